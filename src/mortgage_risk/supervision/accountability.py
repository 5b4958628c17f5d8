"""Accountability records (问责记录) per staff member, from their findings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import pandas as pd

from mortgage_risk.supervision.findings import Finding, FindingSeverity, FindingStatus

ACCOUNTABILITY_COLUMNS: Final = (
    "username", "roles", "findings", *(f"findings_{s.value}" for s in FindingSeverity),
    "open", "overdue", "rectified_on_time", "rectified_late", "closed", "reopened")


@dataclass(frozen=True)
class AccountabilityRecord:
    """What one staff member answers for: findings by severity and how they were handled."""

    username: str
    roles: tuple[str, ...]
    findings: int
    by_severity: Mapping[FindingSeverity, int]
    open: int
    overdue: int
    rectified_on_time: int
    rectified_late: int
    closed: int
    reopened: int
    check_ids: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"username": self.username, "roles": list(self.roles), "findings": self.findings,
                **{f"findings_{s.value}": self.by_severity.get(s, 0) for s in FindingSeverity},
                "open": self.open, "overdue": self.overdue,
                "rectified_on_time": self.rectified_on_time,
                "rectified_late": self.rectified_late, "closed": self.closed,
                "reopened": self.reopened, "check_ids": list(self.check_ids)}


def accountability(findings: Iterable[Finding], *, as_of: date) -> list[AccountabilityRecord]:
    """One record per responsible staff member (usernames compared case-insensitively),
    sorted by username. A finding is rectified on time when its last rectification was on or
    before its deadline; ``open`` counts findings not yet rectified."""
    groups: dict[str, list[Finding]] = {}
    names: dict[str, str] = {}
    for f in findings:
        key = f.responsible.username.strip().casefold()
        groups.setdefault(key, []).append(f)
        names.setdefault(key, f.responsible.username.strip())
    out = []
    for key in sorted(groups):
        fs = groups[key]
        done = [f for f in fs if f.rectified_on is not None]
        out.append(AccountabilityRecord(
            username=names[key],
            roles=tuple(sorted({f.responsible.role.value for f in fs})),
            findings=len(fs),
            by_severity={s: sum(f.severity is s for f in fs) for s in FindingSeverity},
            open=sum(f.status in (FindingStatus.OPEN, FindingStatus.RECTIFYING) for f in fs),
            overdue=sum(f.is_overdue(as_of) for f in fs),
            rectified_on_time=sum(f.rectified_on is not None and f.rectified_on <= f.deadline
                                  for f in done),
            rectified_late=sum(f.rectified_on is not None and f.rectified_on > f.deadline
                               for f in done),
            closed=sum(f.status is FindingStatus.CLOSED for f in fs),
            reopened=sum(f.reopened for f in fs),
            check_ids=tuple(sorted({f.check_id for f in fs}))))
    return out


def accountability_frame(findings: Iterable[Finding], *, as_of: date) -> pd.DataFrame:
    rows = []
    for rec in accountability(findings, as_of=as_of):
        row = rec.to_dict()
        row["roles"] = ",".join(rec.roles)
        rows.append({k: row[k] for k in ACCOUNTABILITY_COLUMNS})
    return pd.DataFrame(rows, columns=list(ACCOUNTABILITY_COLUMNS))
