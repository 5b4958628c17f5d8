"""Findings (监督发现问题) and their rectification (整改).

A check that fails on a file gives a :class:`FindingDraft`: the check, its severity, the file
and the staff member accountable for it. :func:`open_finding` turns it into a
:class:`Finding` with a rectification task and a deadline in working days by severity (the
check set's ``rectification`` data). A finding without a responsible person or a deadline is
refused. It then moves::

    open ──start──▶ rectifying ──submit evidence──▶ rectified ──close (supervisor)──▶ closed
      └──────────submit evidence─────────────────────▲    └──reopen (supervisor)──▶ rectifying
                                                          closed ──reopen──▶ rectifying

Only the responsible person rectifies; only a closing role (the supervisor, 稽核) who is not
the responsible person closes or reopens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from mortgage_risk.domain.errors import DomainError
from mortgage_risk.monitoring.handling import WorkingCalendar
from mortgage_risk.supervision import _read as r


class FindingSeverity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return tuple(FindingSeverity).index(self)

    @property
    def label_zh(self) -> str:
        return {"low": "低", "medium": "中", "high": "高", "critical": "严重"}[self.value]


class FindingStatus(StrEnum):
    OPEN = "open"
    RECTIFYING = "rectifying"
    RECTIFIED = "rectified"
    CLOSED = "closed"

    @property
    def label_zh(self) -> str:
        return {"open": "待整改", "rectifying": "整改中", "rectified": "已整改待验收",
                "closed": "已销号"}[self.value]


class ResponsibleRole(StrEnum):
    """Whose part of the file a check is about, so who answers for a finding."""

    LOAN_OFFICER = "loan_officer"
    REVIEWER = "reviewer"
    APPROVER = "approver"
    CHECKER = "checker"
    DISBURSER = "disburser"
    WARNING_ASSIGNEE = "warning_assignee"
    AUDIT_CUSTODIAN = "audit_custodian"

    @property
    def label_zh(self) -> str:
        return _ROLE_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _ROLE_LABELS[self][1]


_ROLE_LABELS = {
    ResponsibleRole.LOAN_OFFICER: ("客户经理", "loan officer"),
    ResponsibleRole.REVIEWER: ("审查岗", "reviewer"),
    ResponsibleRole.APPROVER: ("审批人", "approver"),
    ResponsibleRole.CHECKER: ("经办兼复核/审批人", "maker who also checked"),
    ResponsibleRole.DISBURSER: ("放款经办人", "disbursing officer"),
    ResponsibleRole.WARNING_ASSIGNEE: ("预警处置责任人", "warning assignee"),
    ResponsibleRole.AUDIT_CUSTODIAN: ("审计日志管理人", "audit log custodian"),
}


@dataclass(frozen=True)
class StaffRef:
    """A staff member by username, in the role they answer for."""

    username: str
    role: ResponsibleRole

    def __post_init__(self) -> None:
        if not isinstance(self.username, str) or not self.username.strip():
            raise DomainError("responsible.username", "a finding needs the username of the "
                                                      "staff member responsible for it")

    def is_(self, username: str | None) -> bool:
        return username is not None and username.strip().casefold() == \
            self.username.strip().casefold()

    def to_dict(self) -> dict[str, str]:
        return {"username": self.username, "role": self.role.value}

    @classmethod
    def from_dict(cls, raw: Any, path: str = "responsible") -> StaffRef:
        d = r.obj(raw, path, allowed=("username", "role"))
        return cls(r.text(r.required(d, "username", path), r.at(path, "username")),
                   r.choice(r.required(d, "role", path), r.at(path, "role"), ResponsibleRole))


@dataclass(frozen=True)
class FindingDraft:
    """A failed check on one file (or on the audit log), before it is opened as a finding.

    ``responsible`` is None when the file does not name the person (a supervisor must name
    one before the finding opens); ``facts`` are the values the check read.
    """

    check_id: str
    checkset_version: str
    severity: FindingSeverity
    title_zh: str
    title_en: str
    regulation: str
    responsible_role: ResponsibleRole
    responsible: StaffRef | None
    detected_on: date
    file_id: int | None = None
    branch_id: int | None = None
    officer: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"check_id": self.check_id, "checkset_version": self.checkset_version,
                "severity": self.severity.value, "title_zh": self.title_zh,
                "title_en": self.title_en, "regulation": self.regulation,
                "responsible_role": self.responsible_role.value,
                "responsible": None if self.responsible is None else self.responsible.to_dict(),
                "detected_on": self.detected_on.isoformat(), "file_id": self.file_id,
                "branch_id": self.branch_id, "officer": self.officer,
                "facts": {k: _plain(v) for k, v in self.facts.items()}, "detail": self.detail}

    @classmethod
    def from_dict(cls, raw: Any, path: str = "draft") -> FindingDraft:
        d = r.obj(raw, path)
        resp = d.get("responsible")
        file_id, branch_id = d.get("file_id"), d.get("branch_id")
        return cls(
            check_id=r.text(r.required(d, "check_id", path), r.at(path, "check_id")),
            checkset_version=r.text(r.required(d, "checkset_version", path),
                                    r.at(path, "checkset_version")),
            severity=r.choice(r.required(d, "severity", path), r.at(path, "severity"),
                              FindingSeverity),
            title_zh=r.text(r.required(d, "title_zh", path), r.at(path, "title_zh")),
            title_en=r.text(r.required(d, "title_en", path), r.at(path, "title_en")),
            regulation=str(d.get("regulation") or ""),
            responsible_role=r.choice(r.required(d, "responsible_role", path),
                                      r.at(path, "responsible_role"), ResponsibleRole),
            responsible=None if resp is None else StaffRef.from_dict(resp,
                                                                     r.at(path, "responsible")),
            detected_on=r.day(r.required(d, "detected_on", path), r.at(path, "detected_on")),
            file_id=None if file_id is None else r.whole(file_id, r.at(path, "file_id")),
            branch_id=None if branch_id is None else r.whole(branch_id,
                                                             r.at(path, "branch_id")),
            officer=r.optional_text(d.get("officer"), r.at(path, "officer")),
            facts=dict(r.obj(d.get("facts") or {}, r.at(path, "facts"))),
            detail=str(d.get("detail") or ""))


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class RectificationTerms:
    """Working days to rectify by severity, and the roles that may close or reopen."""

    working_days: Mapping[FindingSeverity, int]
    closing_roles: frozenset[str]

    def __post_init__(self) -> None:
        missing = [s.value for s in FindingSeverity if s not in self.working_days]
        if missing:
            raise DomainError("rectification.working_days", f"must give every severity; "
                                                             f"missing {', '.join(missing)}")
        if not self.closing_roles:
            raise DomainError("rectification.closing_roles", "must name at least one role")

    def deadline(self, severity: FindingSeverity, detected_on: date,
                 calendar: WorkingCalendar) -> date:
        """The rectification deadline: ``working_days[severity]`` working days after
        ``detected_on``."""
        return calendar.add_working_days(detected_on, self.working_days[severity])

    def to_dict(self) -> dict[str, Any]:
        return {"working_days": {s.value: self.working_days[s] for s in FindingSeverity},
                "closing_roles": sorted(self.closing_roles)}

    @classmethod
    def from_dict(cls, raw: Any, path: str = "rectification") -> RectificationTerms:
        d = r.obj(raw, path)
        days_path = r.at(path, "working_days")
        days = r.obj(r.required(d, "working_days", path), days_path)
        working = {}
        for key, value in days.items():
            if str(key).startswith("_"):
                continue
            sev = r.choice(key, r.at(days_path, str(key)), FindingSeverity)
            working[sev] = r.whole(value, r.at(days_path, str(key)), low=1)
        roles = r.items(d, "closing_roles", path)
        return cls(working, frozenset(r.text(v, f"{path}.closing_roles[{i}]")
                                      for i, v in enumerate(roles)))


@dataclass(frozen=True)
class FindingEvent:
    """One step in handling a finding: what, by whom, on which day, with any evidence."""

    action: str
    by: str
    on: date
    note: str = ""
    evidence: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "by": self.by, "on": self.on.isoformat(),
                "note": self.note, "evidence": list(self.evidence)}


@dataclass(frozen=True)
class Finding:
    """An opened finding: the draft, who answers for it, the task and its deadline, the state
    and its history."""

    draft: FindingDraft
    responsible: StaffRef
    deadline: date
    task: str
    status: FindingStatus = FindingStatus.OPEN
    history: tuple[FindingEvent, ...] = ()
    id: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.responsible, StaffRef):
            raise DomainError("responsible", "a finding needs the staff member responsible "
                                             "for it (username and role)")
        if not isinstance(self.deadline, date):
            raise DomainError("deadline", "a finding needs a rectification deadline")
        if self.deadline < self.draft.detected_on:
            raise DomainError("deadline", f"{self.deadline} is before the finding was made "
                                          f"on {self.draft.detected_on}")
        if not isinstance(self.task, str) or not self.task.strip():
            raise DomainError("task", "a finding needs a rectification task")

    # ------------------------------------------------------------------ views

    @property
    def severity(self) -> FindingSeverity:
        return self.draft.severity

    @property
    def check_id(self) -> str:
        return self.draft.check_id

    def _last(self, action: str) -> FindingEvent | None:
        return next((e for e in reversed(self.history) if e.action == action), None)

    @property
    def rectified_on(self) -> date | None:
        last = self._last("rectify")
        return None if last is None or self.status not in (
            FindingStatus.RECTIFIED, FindingStatus.CLOSED) else last.on

    @property
    def closed(self) -> FindingEvent | None:
        return self._last("close") if self.status is FindingStatus.CLOSED else None

    @property
    def evidence(self) -> tuple[str, ...]:
        last = self._last("rectify")
        return () if last is None else last.evidence

    @property
    def reopened(self) -> int:
        return sum(1 for e in self.history if e.action == "reopen")

    def is_overdue(self, as_of: date) -> bool:
        """Not yet rectified and past the deadline."""
        return self.status in (FindingStatus.OPEN, FindingStatus.RECTIFYING) and \
            as_of > self.deadline

    # ------------------------------------------------------------------ steps

    def _by_responsible(self, by: str, what: str) -> None:
        if not self.responsible.is_(by):
            raise DomainError("by", f"only {self.responsible.username} (responsible) may "
                                    f"{what} this finding; got {by!r}")

    def _need(self, allowed: tuple[FindingStatus, ...], what: str) -> None:
        if self.status not in allowed:
            raise DomainError("status", f"cannot {what} a finding that is {self.status.value}")

    def _step(self, status: FindingStatus, event: FindingEvent, **changes: Any) -> Finding:
        if event.on < self.draft.detected_on:
            raise DomainError("on", f"{event.on} is before the finding was made on "
                                    f"{self.draft.detected_on}")
        return replace(self, status=status, history=(*self.history, event), **changes)

    def start(self, by: str, on: date, note: str = "") -> Finding:
        """The responsible person starts rectifying."""
        self._need((FindingStatus.OPEN,), "start rectifying")
        self._by_responsible(by, "rectify")
        return self._step(FindingStatus.RECTIFYING, FindingEvent("start", by, on, note))

    def rectify(self, by: str, on: date, evidence: Sequence[str], note: str = "") -> Finding:
        """The responsible person reports the rectification done, with evidence."""
        self._need((FindingStatus.OPEN, FindingStatus.RECTIFYING), "report rectified")
        self._by_responsible(by, "rectify")
        kept = tuple(e.strip() for e in evidence if isinstance(e, str) and e.strip())
        if not kept:
            raise DomainError("evidence", "a rectification needs evidence (documents, "
                                          "photos or record numbers)")
        return self._step(FindingStatus.RECTIFIED,
                          FindingEvent("rectify", by, on, note, kept))

    def _supervisor(self, by: str, role: str, terms: RectificationTerms, what: str) -> str:
        name = by.strip()
        if role not in terms.closing_roles:
            raise DomainError("by", f"only {', '.join(sorted(terms.closing_roles))} may {what} "
                                    f"a finding; {name!r} is {role}")
        if self.responsible.is_(name):
            raise DomainError("by", f"{name!r} is responsible for this finding and cannot "
                                    f"{what} it")
        return name

    def close(self, by: str, role: str, on: date, terms: RectificationTerms,
              note: str = "") -> Finding:
        """A supervisor accepts the rectification and closes the finding (销号)."""
        self._need((FindingStatus.RECTIFIED,), "close")
        name = self._supervisor(by, role, terms, "close")
        return self._step(FindingStatus.CLOSED, FindingEvent("close", name, on, note))

    def reopen(self, by: str, role: str, on: date, terms: RectificationTerms, reason: str,
               new_deadline: date | None = None) -> Finding:
        """A supervisor rejects the rectification (or reopens a closed finding)."""
        self._need((FindingStatus.RECTIFIED, FindingStatus.CLOSED), "reopen")
        name = self._supervisor(by, role, terms, "reopen")
        if not reason.strip():
            raise DomainError("reason", "reopening a finding needs the reason")
        deadline = self.deadline if new_deadline is None else new_deadline
        if deadline < on and new_deadline is not None:
            raise DomainError("deadline", f"the new deadline {deadline} is before {on}")
        return self._step(FindingStatus.RECTIFYING, FindingEvent("reopen", name, on, reason),
                          deadline=deadline)

    # ------------------------------------------------------------------ JSON

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "draft": self.draft.to_dict(),
                "responsible": self.responsible.to_dict(),
                "deadline": self.deadline.isoformat(), "task": self.task,
                "status": self.status.value, "history": [e.to_dict() for e in self.history]}

    @classmethod
    def from_dict(cls, raw: Any) -> Finding:
        d = r.obj(raw, "", allowed=("id", "draft", "responsible", "deadline", "task", "status",
                                    "history"))
        if d.get("responsible") is None:
            raise DomainError("responsible", "a finding needs the staff member responsible "
                                             "for it (username and role)")
        if d.get("deadline") is None:
            raise DomainError("deadline", "a finding needs a rectification deadline")
        history = []
        for i, e in enumerate(r.items(d, "history", "")):
            path = f"history[{i}]"
            e = r.obj(e, path, allowed=("action", "by", "on", "note", "evidence"))
            history.append(FindingEvent(
                r.text(r.required(e, "action", path), r.at(path, "action")),
                r.text(r.required(e, "by", path), r.at(path, "by")),
                r.day(r.required(e, "on", path), r.at(path, "on")), str(e.get("note") or ""),
                tuple(r.text(v, f"{path}.evidence[{j}]")
                      for j, v in enumerate(r.items(e, "evidence", path)))))
        fid = d.get("id")
        return cls(draft=FindingDraft.from_dict(r.required(d, "draft", "")),
                   responsible=StaffRef.from_dict(d["responsible"]),
                   deadline=r.day(d["deadline"], "deadline"),
                   task=r.text(r.required(d, "task", ""), "task"),
                   status=r.choice(d.get("status", "open"), "status", FindingStatus),
                   history=tuple(history),
                   id=None if fid is None else r.whole(fid, "id", low=1))


def open_finding(draft: FindingDraft, terms: RectificationTerms, calendar: WorkingCalendar, *,
                 responsible: StaffRef | None = None, task: str | None = None,
                 finding_id: int | None = None) -> Finding:
    """Open a finding from ``draft``: the deadline from its severity in working days.

    ``responsible`` names the person when the draft does not (or replaces it); without
    either the finding is refused (DomainError on ``responsible``).
    """
    person = responsible or draft.responsible
    if person is None:
        raise DomainError("responsible", f"check {draft.check_id} on file {draft.file_id}: "
                                         f"the file names no {draft.responsible_role.value}; "
                                         f"name the staff member responsible")
    deadline = terms.deadline(draft.severity, draft.detected_on, calendar)
    return Finding(draft=draft, responsible=person, deadline=deadline,
                   task=task or f"整改：{draft.title_zh} / Rectify: {draft.title_en}",
                   id=finding_id)
