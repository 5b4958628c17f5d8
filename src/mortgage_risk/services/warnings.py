"""Warning handling: the nightly run's warnings become cases that the loan officer verifies,
measures are taken and tracked, late cases escalate, and a reviewer closes them (a red one only
the union's risk department). Every step is one audited transaction (monitoring/handling.py
holds the rules)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import pandas as pd

from mortgage_risk.domain import DomainError, Role
from mortgage_risk.domain.resident_id import mask
from mortgage_risk.monitoring.handling import (
    CaseAction,
    CaseStatus,
    HandlingPolicy,
    level_rank,
    next_status,
)
from mortgage_risk.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from mortgage_risk.services.monitoring_schemas import (
    CloseDecisionIn,
    MeasureDoneIn,
    MeasureIn,
    NoteIn,
    ReassignIn,
    VerifyIn,
)
from mortgage_risk.services.training_gate import require_certified
from mortgage_risk.services.users import CurrentUser
from mortgage_risk.storage.tables import (
    BorrowerRow,
    ClassificationReviewRow,
    LoanRow,
    UserRow,
    WarningActionRow,
    WarningCaseRow,
    WarningMeasureRow,
)
from mortgage_risk.storage.uow import UnitOfWork

SYSTEM = "system"
#: Roles that may act on any case they can see (the assigned officer may act on theirs).
HANDLER_ROLES = frozenset({Role.REVIEWER, Role.RISK_MANAGER, Role.ADMIN})
ASSIGNER_ROLES = frozenset({Role.REVIEWER, Role.APPROVER, Role.RISK_MANAGER, Role.ADMIN})


@cache
def handling_policy() -> HandlingPolicy:
    return HandlingPolicy.load_default()


def _now() -> datetime:
    return datetime.now(UTC)


def _level_of(case: WarningCaseRow) -> str:
    """The level that governs closing: the verified one when higher."""
    if case.verified_level and level_rank(case.verified_level) > case.level_rank:
        return case.verified_level
    return case.level


def _log(uow: UnitOfWork, case: WarningCaseRow, action: str, actor: str, on: date, *,
         note: str = "", data: dict[str, Any] | None = None, before: Any = None,
         audit: bool = True) -> None:
    """Record the step on the case; ``audit=False`` when the caller audits a whole batch."""
    uow.warnings.add(WarningActionRow(warning_id=case.id, action=action, actor=actor, at=_now(),
                                      on_date=on, note=note, data=_plain(data)))
    if not audit:
        return
    uow.audit.record(actor=actor, action=f"warning_{action}", entity="warning_case",
                     entity_id=case.id, before=before,
                     after={"status": case.status, "level": case.level, "note": note,
                            **(data or {})})


def _plain(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """JSON-ready: dates as ISO strings."""
    if data is None:
        return None
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in data.items()}


# --------------------------------------------------------------------------- from the run


def sync_warnings(uow: UnitOfWork, *, as_of: date, warnings: pd.DataFrame,
                  versions: dict[str, Any], actor: str = SYSTEM) -> dict[str, int]:
    """Turn one run's warnings (one row per borrower) into cases: open a case for a borrower
    without a live one, raise the level of a live case when the run found worse, and note
    that a live case was seen again."""
    policy = handling_policy()
    live = uow.warnings.live_by_borrower()
    officers = uow.warnings.loan_officers(int(b) for b in warnings["borrower_id"])
    by_branch = uow.warnings.officers_by_branch()
    counts = {"opened": 0, "raised": 0, "seen": 0}
    touched: dict[str, list[int]] = {"opened": [], "raised": []}
    versions = {**versions, "warning_handling": policy.version}
    # a borrower-level signal (credit bureau, courts) names no loan: the case covers every
    # active loan of the borrower
    unnamed = [int(w["borrower_id"]) for w in warnings.to_dict("records") if not len(w["loan_ids"])]
    their_loans = uow.warnings.active_loans(unnamed) if unnamed else {}
    for w in warnings.to_dict("records"):
        borrower = int(w["borrower_id"])
        loan_ids = [int(x) for x in w["loan_ids"]] or their_loans.get(borrower, [])
        summary = {"indicator_ids": [str(x) for x in w["indicator_ids"]],
                   "loan_ids": loan_ids,
                   "top_indicator_id": str(w["top_indicator_id"]),
                   "signal_count": int(w["signal_count"])}
        case = live.get(borrower)
        if case is None:
            branch = int(w["branch_id"])
            pool = by_branch.get(branch, [])
            assignee = officers.get(borrower) or (pool[borrower % len(pool)] if pool else None)
            case = uow.warnings.add(WarningCaseRow(
                borrower_id=borrower, branch_id=branch, level=str(w["level"]),
                level_rank=int(w["level_rank"]), status=CaseStatus.OPEN.value,
                opened_on=as_of, last_seen_on=as_of,
                deadline=policy.deadline(str(w["level"]), as_of), assigned_to=assignee,
                escalation=0, low_confidence_only=bool(w["low_confidence_only"]),
                versions=versions, **summary))
            _log(uow, case, "opened", actor, as_of, data={"assigned_to": assignee, **summary},
                 audit=False)
            touched["opened"].append(case.id)
            counts["opened"] += 1
            continue
        before = {"level": case.level, "deadline": case.deadline}
        case.last_seen_on = as_of
        for key, value in summary.items():
            setattr(case, key, value)
        if int(w["level_rank"]) > case.level_rank:
            case.level, case.level_rank = str(w["level"]), int(w["level_rank"])
            if case.status == CaseStatus.OPEN.value:
                case.deadline = policy.raised_deadline(case.deadline, case.level, as_of)
            _log(uow, case, "level_raised", actor, as_of, before=before,
                 data={"deadline": case.deadline, **summary}, audit=False)
            touched["raised"].append(case.id)
            counts["raised"] += 1
        else:
            counts["seen"] += 1
    # one audit record for the batch, naming every case it opened or raised
    uow.audit.record(actor=actor, action="warnings_synced", entity="warning_cases",
                     entity_id=as_of.isoformat(), after={**counts, **touched})
    return counts


def escalate_overdue(uow: UnitOfWork, *, today: date, actor: str = SYSTEM) -> dict[str, int]:
    """Escalate unverified cases past their deadline (one step per working day late) and
    overdue measures."""
    policy = handling_policy()
    cases = 0
    for case in uow.warnings.unverified_with_deadline():
        due = policy.escalation_due(case.deadline, today)
        if due > case.escalation:
            before = {"escalation": case.escalation}
            case.escalation = due
            step = policy.escalation[due - 1]
            _log(uow, case, "escalated", actor, today, before=before,
                 note=f"{step.zh} / {step.en}", data={"escalation": due, "to": step.to})
            cases += 1
    measures = 0
    for m in uow.warnings.overdue_measures(today):
        m.escalated = True
        owner = uow.warnings.get(m.warning_id)
        assert owner is not None
        _log(uow, owner, "measure_overdue", actor, today, data={"measure_id": m.id,
                                                              "code": m.code,
                                                              "due_on": m.due_on})
        measures += 1
    return {"escalated_cases": cases, "escalated_measures": measures}


# --------------------------------------------------------------------------- reading


def load_case(uow: UnitOfWork, user: CurrentUser, case_id: int, *, lock: bool = False
              ) -> WarningCaseRow:
    """The case if the user's branch may see it (else NotFound, not a hint)."""
    case = uow.warnings.get(case_id, lock=lock)
    scope = user.branch_scope()
    if case is None or (scope is not None and case.branch_id != scope):
        raise NotFound(f"no warning {case_id}", field="warning_id")
    return case


def _case_dict(case: WarningCaseRow, policy: HandlingPolicy, today: date) -> dict[str, Any]:
    late = (case.status == CaseStatus.OPEN.value and case.deadline is not None
            and case.deadline < today)
    return {
        "id": case.id, "borrower_id": case.borrower_id, "branch_id": case.branch_id,
        "level": case.level, "level_rank": case.level_rank, "status": case.status,
        "verified_level": case.verified_level, "false_positive": case.false_positive,
        "opened_on": case.opened_on.isoformat(), "last_seen_on": case.last_seen_on.isoformat(),
        "deadline": case.deadline.isoformat() if case.deadline else None,
        "overdue": late, "escalation": case.escalation,
        "escalated_to": policy.escalation[case.escalation - 1].to if case.escalation else None,
        "assigned_to": case.assigned_to, "low_confidence_only": case.low_confidence_only,
        "indicator_ids": case.indicator_ids, "loan_ids": case.loan_ids,
        "top_indicator_id": case.top_indicator_id, "signal_count": case.signal_count,
        "closed_on": case.closed_on.isoformat() if case.closed_on else None,
        "closed_by": case.closed_by, "versions": case.versions,
    }


def list_warnings(uow: UnitOfWork, user: CurrentUser, *, statuses: Sequence[str] = (),
                  levels: Sequence[str] = (), mine: bool = False, overdue: bool = False,
                  limit: int = 100, offset: int = 0, today: date | None = None
                  ) -> dict[str, Any]:
    """The warnings board: the cases the user may see, most urgent first, with counts."""
    today = today or date.today()
    for level in levels:
        try:
            level_rank(level)
        except DomainError as exc:
            raise InvalidInput(exc.reason, field="level") from None
    allowed = {s.value for s in CaseStatus}
    bad = [s for s in statuses if s not in allowed]
    if bad:
        raise InvalidInput(f"unknown status {bad[0]!r}; one of {', '.join(sorted(allowed))}",
                           field="status")
    if not 1 <= limit <= 1000 or offset < 0:
        raise InvalidInput("limit must be 1-1000 and offset not negative", field="limit")
    policy = handling_policy()
    scope = user.branch_scope()
    total, rows = uow.warnings.listing(
        branch_id=scope, statuses=list(statuses) or None, levels=list(levels) or None,
        assigned_to=user.id if mine else None, overdue_on=today if overdue else None,
        limit=limit, offset=offset)
    items = []
    for case, borrower, branch_zh, branch_en, assignee in rows:
        d = _case_dict(case, policy, today)
        d.update(borrower_name=borrower, branch_zh=branch_zh, branch_en=branch_en,
                 assignee_name=assignee)
        items.append(d)
    return {"total": total, "limit": limit, "offset": offset, "items": items,
            "counts": uow.warnings.counts(branch_id=scope, today=today),
            "handling_version": policy.version}


def open_by_branch_and_level(uow: UnitOfWork, user: CurrentUser
                             ) -> list[tuple[str, str, str, int]]:
    """Live cases per branch and level in the user's scope: (name zh, name en, level, n)."""
    return uow.warnings.by_branch_and_level(branch_id=user.branch_scope())


def allowed_actions(case: WarningCaseRow, user: CurrentUser, policy: HandlingPolicy
                    ) -> list[str]:
    """What ``user`` may do to ``case`` now (the page shows only these)."""
    status = CaseStatus(case.status)
    handler = case.assigned_to == user.id or user.role in HANDLER_ROLES
    out = []
    if status is CaseStatus.OPEN and handler:
        out.append("verify")
    if status is CaseStatus.CONFIRMED and handler:
        out += ["add_measure", "complete_measure", "request_close"]
    if (status is CaseStatus.CLOSE_REQUESTED and policy.may_close(user.role.value,
                                                                  _level_of(case))):
        out.append("decide_close")
    if status is not CaseStatus.CLOSED and user.role in ASSIGNER_ROLES:
        out.append("reassign")
    return out


def warning_detail(uow: UnitOfWork, user: CurrentUser, case_id: int,
                   today: date | None = None) -> dict[str, Any]:
    today = today or date.today()
    policy = handling_policy()
    case = load_case(uow, user, case_id)
    borrower = uow.session.get(BorrowerRow, case.borrower_id)
    assert borrower is not None
    loans = [uow.session.get(LoanRow, i) for i in case.loan_ids]
    assignee = uow.session.get(UserRow, case.assigned_to) if case.assigned_to else None
    officers = [uow.session.get(UserRow, uid)
                for uid in uow.warnings.officers_by_branch().get(case.branch_id, [])]
    level = case.verified_level or case.level
    return {
        **_case_dict(case, policy, today),
        "borrower": {"id": borrower.id, "name": borrower.name,
                     "resident_id": mask(borrower.resident_id),
                     "township": borrower.township},
        "assignee_name": assignee.full_name if assignee else None,
        "loans": [{"id": ln.id, "contract_no": ln.contract_no, "status": ln.status,
                   "outstanding_principal": ln.outstanding_principal,
                   "days_past_due": ln.days_past_due, "five_category": ln.five_category}
                  for ln in loans if ln is not None],
        "actions": [{"action": a.action, "actor": a.actor, "at": a.at.isoformat(),
                     "on_date": a.on_date.isoformat(), "note": a.note, "data": a.data}
                    for a in uow.warnings.actions(case.id)],
        "measures": [{"id": m.id, "code": m.code, "note": m.note,
                      "due_on": m.due_on.isoformat(),
                      "done_on": m.done_on.isoformat() if m.done_on else None,
                      "overdue": m.done_on is None and m.due_on < today,
                      "created_by": m.created_by} for m in uow.warnings.measures(case.id)],
        "reviews": [{"id": r.id, "loan_id": r.loan_id, "status": r.status,
                     "due_on": r.due_on.isoformat(), "outcome": r.outcome}
                    for r, _ in uow.classes.reviews(branch_id=None, status=None,
                                                    warning_id=case.id)],
        "catalogue": [{"code": m.code, "zh": m.zh, "en": m.en,
                       "due_working_days": m.due_working_days}
                      for m in policy.measures_for(level)],
        "officers": [{"id": u.id, "name": u.full_name} for u in officers if u is not None],
        "allowed_actions": allowed_actions(case, user, policy),
    }


# --------------------------------------------------------------------------- handling


def _transition(case: WarningCaseRow, action: CaseAction) -> str:
    try:
        return next_status(CaseStatus(case.status), action,
                           false_positive=bool(case.false_positive)).value
    except DomainError as exc:
        raise Conflict(exc.reason, field=exc.field) from None


def _require_handler(case: WarningCaseRow, user: CurrentUser) -> None:
    if case.assigned_to != user.id and user.role not in HANDLER_ROLES:
        raise PermissionDenied("only the assigned loan officer, a reviewer or the risk "
                               "department may handle this warning")


def verify(uow: UnitOfWork, user: CurrentUser, case_id: int, data: VerifyIn,
           today: date | None = None) -> dict[str, Any]:
    """Record the verification with its evidence. A confirmed orange or red warning opens a
    classification review of each of the borrower's active loans it names."""
    today = today or date.today()
    policy = handling_policy()
    case = load_case(uow, user, case_id, lock=True)
    _require_handler(case, user)
    require_certified(uow, user, "verify_warning", today)
    confirmed = data.outcome == "confirmed"
    before = {"status": case.status}
    case.status = _transition(case, CaseAction.VERIFY_CONFIRMED if confirmed
                              else CaseAction.VERIFY_FALSE_POSITIVE)
    case.false_positive = not confirmed
    case.verified_level = (data.level or case.level) if confirmed else None
    _log(uow, case, "verified", user.username, today, before=before, note=data.note,
         data={"outcome": data.outcome, "level": case.verified_level, "method": data.method,
               "evidence": data.evidence, "late": bool(case.deadline and today > case.deadline)})
    reviews = []
    if confirmed and case.verified_level and policy.opens_review(case.verified_level):
        open_loans = uow.classes.open_review_loans()
        for loan_id in case.loan_ids:
            loan = uow.session.get(LoanRow, loan_id)
            if loan is None or loan.status != "active" or loan_id in open_loans:
                continue
            review = uow.classes.add(ClassificationReviewRow(
                loan_id=loan_id, warning_id=case.id, opened_on=today,
                due_on=policy.review_due(today), status="open",
                category_before=loan.five_category, note=""))
            uow.audit.record(actor=user.username, action="classification_review_opened",
                             entity="classification_review", entity_id=review.id,
                             after={"loan_id": loan_id, "warning_id": case.id,
                                    "due_on": review.due_on})
            reviews.append(review.id)
    uow.commit()
    return {"id": case.id, "status": case.status, "reviews_opened": reviews}


def add_measure(uow: UnitOfWork, user: CurrentUser, case_id: int, data: MeasureIn,
                today: date | None = None) -> dict[str, Any]:
    today = today or date.today()
    policy = handling_policy()
    case = load_case(uow, user, case_id, lock=True)
    _require_handler(case, user)
    if case.status != CaseStatus.CONFIRMED.value:
        raise Conflict(f"measures are taken on a confirmed warning; this one is {case.status}",
                       field="status")
    try:
        measure = policy.measure(data.code, case.verified_level or case.level)
    except DomainError as exc:
        raise InvalidInput(exc.reason, field="code") from None
    due = data.due_on or policy.calendar.add_working_days(today, measure.due_working_days)
    if due < today:
        raise InvalidInput("must not be in the past", field="due_on")
    row = uow.warnings.add(WarningMeasureRow(warning_id=case.id, code=measure.code,
                                             note=data.note, due_on=due, done_on=None,
                                             created_by=user.username, escalated=False))
    _log(uow, case, "measure_added", user.username, today, note=data.note,
         data={"measure_id": row.id, "code": measure.code, "due_on": due})
    uow.commit()
    return {"id": row.id, "code": row.code, "due_on": due.isoformat()}


def complete_measure(uow: UnitOfWork, user: CurrentUser, measure_id: int, data: MeasureDoneIn,
                     today: date | None = None) -> dict[str, Any]:
    today = today or date.today()
    measure = uow.warnings.measure(measure_id)
    if measure is None:
        raise NotFound(f"no measure {measure_id}", field="measure_id")
    case = load_case(uow, user, measure.warning_id, lock=True)
    _require_handler(case, user)
    if measure.done_on is not None:
        raise Conflict(f"measure {measure_id} was completed on {measure.done_on}",
                       field="measure_id")
    done = data.done_on or today
    if done > today:
        raise InvalidInput("must not be in the future", field="done_on")
    measure.done_on = done
    _log(uow, case, "measure_done", user.username, today, note=data.note,
         data={"measure_id": measure.id, "code": measure.code, "done_on": done})
    uow.commit()
    return {"id": measure.id, "done_on": done.isoformat()}


def request_close(uow: UnitOfWork, user: CurrentUser, case_id: int, data: NoteIn,
                  today: date | None = None) -> dict[str, Any]:
    """The trigger is cleared and every measure done: ask a reviewer to close."""
    today = today or date.today()
    case = load_case(uow, user, case_id, lock=True)
    _require_handler(case, user)
    pending = [m.code for m in uow.warnings.measures(case.id) if m.done_on is None]
    if pending:
        raise Conflict(f"measures not done: {', '.join(pending)}", field="measures")
    before = {"status": case.status}
    case.status = _transition(case, CaseAction.REQUEST_CLOSE)
    _log(uow, case, "close_requested", user.username, today, before=before, note=data.note)
    uow.commit()
    return {"id": case.id, "status": case.status}


def _makers(uow: UnitOfWork, case: WarningCaseRow) -> set[str]:
    return {a.actor for a in uow.warnings.actions(case.id)
            if a.action in ("verified", "close_requested")}


def decide_close(uow: UnitOfWork, user: CurrentUser, case_id: int, data: CloseDecisionIn,
                 today: date | None = None) -> dict[str, Any]:
    """A reviewer approves or rejects closing; red needs the union's risk department, and
    nobody closes a warning they verified or asked to close."""
    today = today or date.today()
    policy = handling_policy()
    case = load_case(uow, user, case_id, lock=True)
    level = _level_of(case)
    if not policy.may_close(user.role.value, level):
        who = "the union's risk department" if level == "red" else "a reviewer"
        raise PermissionDenied(f"a {level} warning is closed only by {who}")
    if user.username in _makers(uow, case):
        raise PermissionDenied("you verified or asked to close this warning; another person "
                               "must decide (maker-checker)")
    before = {"status": case.status}
    case.status = _transition(case, CaseAction.APPROVE_CLOSE if data.approve
                              else CaseAction.REJECT_CLOSE)
    if data.approve:
        case.closed_on, case.closed_by = today, user.username
    _log(uow, case, "closed" if data.approve else "close_rejected", user.username, today,
         before=before, note=data.note)
    uow.commit()
    return {"id": case.id, "status": case.status}


def reassign(uow: UnitOfWork, user: CurrentUser, case_id: int, data: ReassignIn,
             today: date | None = None) -> dict[str, Any]:
    today = today or date.today()
    if user.role not in ASSIGNER_ROLES:
        raise PermissionDenied("only a reviewer, an approver or the risk department reassigns")
    case = load_case(uow, user, case_id, lock=True)
    if case.status == CaseStatus.CLOSED.value:
        raise Conflict("the warning is closed", field="status")
    if data.user_id not in uow.warnings.officers_by_branch().get(case.branch_id, []):
        raise InvalidInput("must be an active loan officer of the warning's branch",
                           field="user_id")
    before = {"assigned_to": case.assigned_to}
    case.assigned_to = data.user_id
    _log(uow, case, "reassigned", user.username, today, before=before,
         data={"assigned_to": data.user_id})
    uow.commit()
    return {"id": case.id, "assigned_to": case.assigned_to}
