"""Supervision statistics per branch and per loan officer, from plain frames.

Three frames go in (each has ``file_id``, ``branch_id`` and ``officer``):

- files: one row per file checked, with ``override`` and ``early_default``;
- findings: one row per finding, with ``severity``;
- warnings: one row per warning, with ``verification_days`` (opened to verified, calendar
  days; missing while unverified) and ``late``.

The builders below make them from loan files and findings; :func:`statistics` counts them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Final

import pandas as pd

from mortgage_risk.domain.errors import DomainError
from mortgage_risk.monitoring.policy import MonitoringPolicy
from mortgage_risk.supervision.facts import (
    FactParameters,
    facts_frame,
    warning_late,
    warning_verified_on,
)
from mortgage_risk.supervision.findings import Finding, FindingDraft, FindingSeverity
from mortgage_risk.supervision.loan_file import LoanFile

GROUPS: Final = ("branch_id", "officer")
STATISTICS_COLUMNS: Final = (
    "files_checked", "findings", *(f"findings_{s.value}" for s in FindingSeverity), "overrides",
    "early_defaults", "warnings", "late_warnings", "median_verification_days")
WARNING_COLUMNS: Final = ("file_id", "branch_id", "officer", "level", "opened_on", "deadline",
                          "verified_on", "verification_days", "late")
FINDING_COLUMNS: Final = ("file_id", "branch_id", "officer", "check_id", "severity",
                          "responsible", "status")


def files_frame(files: Iterable[LoanFile], *, as_of: date,
                parameters: FactParameters | None = None,
                policy: MonitoringPolicy | None = None) -> pd.DataFrame:
    """One row per file: ``file_id``, ``branch_id``, ``officer``, ``override``,
    ``early_default``."""
    facts = facts_frame(files, as_of=as_of, parameters=parameters, policy=policy)
    return facts[["file_id", "branch_id", "officer", "override", "early_default"]].copy()


def findings_frame(findings: Iterable[Finding | FindingDraft]) -> pd.DataFrame:
    rows = []
    for f in findings:
        draft = f.draft if isinstance(f, Finding) else f
        person = f.responsible
        rows.append({"file_id": draft.file_id, "branch_id": draft.branch_id,
                     "officer": draft.officer, "check_id": draft.check_id,
                     "severity": draft.severity.value,
                     "responsible": None if person is None else person.username,
                     "status": f.status.value if isinstance(f, Finding) else "draft"})
    return pd.DataFrame(rows, columns=list(FINDING_COLUMNS))


def warnings_frame(files: Iterable[LoanFile], *, as_of: date) -> pd.DataFrame:
    rows = []
    for f in files:
        for w in f.warnings:
            verified = warning_verified_on(w)
            rows.append({"file_id": f.file_id, "branch_id": f.application.branch_id,
                         "officer": f.application.officer, "level": w.level,
                         "opened_on": w.opened_on, "deadline": w.deadline,
                         "verified_on": verified,
                         "verification_days": None if verified is None
                         else (verified - w.opened_on).days,
                         "late": warning_late(w, as_of)})
    return pd.DataFrame(rows, columns=list(WARNING_COLUMNS))


def _need(frame: pd.DataFrame, name: str, columns: Iterable[str]) -> None:
    for col in columns:
        if col not in frame.columns:
            raise DomainError(f"{name}.{col}", "required column")


def statistics(files: pd.DataFrame, findings: pd.DataFrame, warnings: pd.DataFrame, *,
               by: str = "branch_id") -> pd.DataFrame:
    """Per ``by`` (``branch_id`` or ``officer``): files checked, findings (all and by
    severity), overrides, early defaults, warnings, late warnings and the median days from a
    warning to its verification. One row per group seen in any frame, sorted."""
    if by not in GROUPS:
        raise DomainError("by", f"must be one of {', '.join(GROUPS)}; got {by!r}")
    _need(files, "files", (by, "file_id", "override", "early_default"))
    _need(findings, "findings", (by, "severity"))
    _need(warnings, "warnings", (by, "verification_days", "late"))
    keys = sorted({*files[by].dropna(), *findings[by].dropna(), *warnings[by].dropna()},
                  key=lambda k: (str(type(k)), k))
    out = pd.DataFrame(index=pd.Index(keys, name=by))
    f = files.groupby(by)
    out["files_checked"] = f["file_id"].nunique()
    out["findings"] = findings.groupby(by).size()
    for sev in FindingSeverity:
        hits = findings[findings["severity"] == sev.value]
        out[f"findings_{sev.value}"] = hits.groupby(by).size()
    out["overrides"] = f["override"].apply(lambda s: int(s.fillna(False).astype(bool).sum()))
    out["early_defaults"] = f["early_default"].apply(
        lambda s: int(s.fillna(False).astype(bool).sum()))
    w = warnings.groupby(by)
    out["warnings"] = w.size()
    out["late_warnings"] = w["late"].apply(lambda s: int(s.fillna(False).astype(bool).sum()))
    counts = [c for c in STATISTICS_COLUMNS if c != "median_verification_days"]
    out[counts] = out[counts].fillna(0).astype(int)
    days = pd.to_numeric(warnings["verification_days"], errors="coerce")
    medians = days.groupby(warnings[by]).median()
    out["median_verification_days"] = medians.reindex(out.index).astype(float)
    return out[list(STATISTICS_COLUMNS)]


def branch_statistics(files: pd.DataFrame, findings: pd.DataFrame,
                      warnings: pd.DataFrame) -> pd.DataFrame:
    return statistics(files, findings, warnings, by="branch_id")


def officer_statistics(files: pd.DataFrame, findings: pd.DataFrame,
                       warnings: pd.DataFrame) -> pd.DataFrame:
    return statistics(files, findings, warnings, by="officer")

