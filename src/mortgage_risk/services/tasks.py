"""Each user's work list: what waits for them now, by their role and branch, with deadlines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from mortgage_risk.domain import Role
from mortgage_risk.services.users import CurrentUser
from mortgage_risk.storage.tables import ApplicationRow, FindingRow, WarningCaseRow
from mortgage_risk.storage.uow import UnitOfWork

#: The loan officer's next step on their own application, by its status.
OFFICER_STEPS = {"draft": "submit", "submitted": "record_visit", "investigated": "assess",
                 "approved": "sign_contract", "contract_signed": "register_mortgage",
                 "mortgage_registered": "disburse"}
LIVE = ("open", "confirmed", "close_requested")


@dataclass
class Task:
    kind: str  # what to do (a step, verify, measure, close, review, upgrade)
    subject: str  # what it is about (application no., borrower, contract no.)
    url: str
    due: date | None = None
    level: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, today: date) -> dict[str, Any]:
        return {"kind": self.kind, "subject": self.subject, "url": self.url,
                "due": self.due.isoformat() if self.due else None,
                "overdue": bool(self.due and self.due < today), "level": self.level,
                "detail": self.detail}


def _application_tasks(rows: list[ApplicationRow], step_of: dict[str, str]) -> list[Task]:
    return [Task(step_of[r.status], r.application_no, f"/applications/{r.id}#actions",
                 detail={"status": r.status, "amount": str(r.amount)}) for r in rows]


def _case_task(kind: str, case: WarningCaseRow, borrower: str, due: date | None) -> Task:
    return Task(kind, borrower, f"/warnings/{case.id}", due=due, level=case.level,
                detail={"warning_id": case.id, "escalation": case.escalation})


def my_tasks(uow: UnitOfWork, user: CurrentUser, today: date | None = None
             ) -> dict[str, Any]:
    """The sections of the user's work list, each a list of tasks, most urgent first."""
    today = today or date.today()
    scope = user.branch_scope()
    sections: dict[str, list[Task]] = {}
    role = user.role
    if role is Role.LOAN_OFFICER:
        sections["applications"] = _application_tasks(
            uow.origination.of_officer(user.id, tuple(OFFICER_STEPS)), OFFICER_STEPS)
        _, rows = uow.warnings.listing(branch_id=scope, statuses=["open"],
                                       assigned_to=user.id, limit=500)
        sections["verify"] = [_case_task("verify", c, name, c.deadline)
                              for c, name, *_ in rows]
        sections["measures"] = [
            Task("measure", m.code, f"/warnings/{c.id}", due=m.due_on, level=c.level,
                 detail={"warning_id": c.id, "measure_id": m.id})
            for m, c in uow.warnings.open_measures_of(user.id)]
    if role in (Role.REVIEWER, Role.RISK_MANAGER, Role.APPROVER):
        queue = {Role.REVIEWER: ("assessed",), Role.APPROVER: ("reviewed",),
                 Role.RISK_MANAGER: ("reviewed",)}[role]
        step = "review" if role is Role.REVIEWER else "decide"
        sections["applications"] = _application_tasks(
            [r for r in uow.origination.queue(queue, scope) if r.officer_id != user.id],
            dict.fromkeys(queue, step))
    if role in (Role.REVIEWER, Role.APPROVER, Role.RISK_MANAGER):
        _, rows = uow.warnings.listing(branch_id=scope, statuses=["close_requested"],
                                       limit=500)
        red_only = role is Role.RISK_MANAGER
        sections["close"] = [
            _case_task("close", c, name, None) for c, name, *_ in rows
            if ((c.verified_level or c.level) == "red") == red_only]
        sections["reviews"] = [
            Task("review", loan.contract_no, f"/loans/{loan.id}/classification", due=r.due_on,
                 detail={"review_id": r.id, "warning_id": r.warning_id})
            for r, loan in uow.classes.reviews(branch_id=scope, status="open")]
    if role in (Role.APPROVER, Role.RISK_MANAGER):
        pending = [m for m in uow.classes.manual(status="pending")
                   if m.requested_by != user.username]
        sections["upgrades"] = [
            Task("upgrade", str(m.loan_id), "/classification",
                 detail={"manual_id": m.id, "category": m.category})
            for m in pending if scope is None or _loan_branch(uow, m.loan_id) == scope]
    if role is Role.RISK_MANAGER:
        _, rows = uow.warnings.listing(branch_id=None, statuses=["open"], overdue_on=today,
                                       limit=500)
        sections["escalated"] = [_case_task("escalated", c, name, c.deadline)
                                 for c, name, *_ in rows if c.escalation >= 2]
    sections["findings"] = [
        Task("rectify", f.check_id, f"/supervision/findings/{f.id}", due=f.deadline,
             detail={"finding_id": f.id, "severity": f.severity, "title_zh": f.title_zh})
        for f in _findings(uow, responsible=user.username, statuses=("open", "rectifying"))]
    if role in (Role.SUPERVISOR, Role.ADMIN):
        sections["findings_to_close"] = [
            Task("close_finding", f.check_id, f"/supervision/findings/{f.id}",
                 detail={"finding_id": f.id, "severity": f.severity})
            for f in _findings(uow, responsible=None, statuses=("rectified",))
            if f.responsible != user.username]
    out = {key: [t.to_dict(today) for t in sorted(
        tasks, key=lambda t: (t.due is None, t.due or today))] for key, tasks in
        sections.items()}
    return {"sections": out, "total": sum(len(v) for v in out.values()),
            "overdue": sum(t["overdue"] for v in out.values() for t in v),
            "today": today.isoformat()}


def _findings(uow: UnitOfWork, *, responsible: str | None, statuses: tuple[str, ...]
              ) -> list[FindingRow]:
    stmt = select(FindingRow).where(FindingRow.status.in_(statuses)).order_by(
        FindingRow.deadline)
    if responsible is not None:
        stmt = stmt.where(FindingRow.responsible == responsible)
    return list(uow.session.scalars(stmt.limit(500)))


def _loan_branch(uow: UnitOfWork, loan_id: int) -> int | None:
    from mortgage_risk.storage.tables import LoanRow

    loan = uow.session.get(LoanRow, loan_id)
    return loan.branch_id if loan else None
