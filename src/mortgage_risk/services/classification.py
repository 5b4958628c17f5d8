"""Five-category classification in the database: every run stores each loan's class with its
reasons; a person may downgrade a loan at any time, an upgrade takes a second person's
approval, and a confirmed orange or red warning opens a review. The rules are the pure engine
(monitoring/classification.py); this module feeds it from storage and keeps the history."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

import pandas as pd
from sqlalchemy import select

from mortgage_risk.domain import Role
from mortgage_risk.monitoring.classification import OUTPUT_COLUMNS, classify, reason_text
from mortgage_risk.monitoring.policy import MonitoringPolicy, rank
from mortgage_risk.monitoring.portfolio import arrears_at
from mortgage_risk.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from mortgage_risk.services.monitoring_schemas import (
    ManualClassIn,
    RestructuringIn,
    ReviewDecisionIn,
    UpgradeDecisionIn,
)
from mortgage_risk.services.users import CurrentUser
from mortgage_risk.services.warnings import handling_policy
from mortgage_risk.storage.tables import (
    LoanRow,
    ManualClassificationRow,
    RepaymentRow,
    RestructuringRow,
)
from mortgage_risk.storage.uow import UnitOfWork

DOWNGRADE_ROLES = frozenset({Role.REVIEWER, Role.APPROVER, Role.RISK_MANAGER})
UPGRADE_REQUEST_ROLES = frozenset({Role.LOAN_OFFICER, Role.REVIEWER, Role.RISK_MANAGER})
UPGRADE_APPROVER_ROLES = frozenset({Role.APPROVER, Role.RISK_MANAGER})
RESTRUCTURING_ROLES = frozenset({Role.APPROVER, Role.RISK_MANAGER})


@cache
def monitoring_policy() -> MonitoringPolicy:
    return MonitoringPolicy.load_default()


def _event_types(policy: MonitoringPolicy) -> list[str]:
    """Event types that set a class (the signal-only ones raise warnings, not classes)."""
    return list(policy.event_overrides)


def _classify(uow: UnitOfWork, loans: pd.DataFrame, repayments: pd.DataFrame, as_of: date
              ) -> pd.DataFrame:
    policy = monitoring_policy()
    previous = uow.classes.previous(as_of)
    manual = uow.classes.manual_frame()
    manual = manual[manual["effective_date"].isna()
                    | (pd.to_datetime(manual["effective_date"]) <= pd.Timestamp(as_of))]
    result = classify(loans, as_of=as_of, policy=policy,
                      events=uow.classes.events_frame(_event_types(policy)),
                      previous=previous, restructurings=uow.classes.restructurings_frame(),
                      manual=manual, repayments=repayments)
    return result.assign(policy_version=policy.version)


def classify_book(uow: UnitOfWork, *, as_of: date, loans: pd.DataFrame,
                  repayments: pd.DataFrame, actor: str) -> dict[str, Any]:
    """Bring every active loan's days past due and overdue amount up to ``as_of`` from its
    repayment records (imported repayments count from the next run), classify every loan,
    store the day's classes (replacing an earlier run of that day) and write each loan's
    current class; returns counts by class."""
    arrears = arrears_at(repayments, as_of)
    loans = loans.copy()
    ids = loans["id"] if "id" in loans.columns else loans["loan_id"]
    active = (loans["status"] == "active").to_numpy()
    fresh = arrears.reindex(ids.to_numpy(), fill_value=0)
    loans.loc[active, "days_past_due"] = fresh["days_past_due"].to_numpy()[active]
    loans.loc[active, "overdue_amount"] = fresh["overdue_amount"].to_numpy()[active]
    refreshed = uow.classes.set_arrears(
        pd.DataFrame({"loan_id": ids.to_numpy()[active],
                      "days_past_due": fresh["days_past_due"].to_numpy()[active],
                      "overdue_amount": fresh["overdue_amount"].to_numpy()[active]}), as_of)
    result = _classify(uow, loans, repayments, as_of)
    stored = uow.classes.replace_day(as_of, result[[c for c in OUTPUT_COLUMNS
                                                    if c not in ("changed",
                                                                 "upgrade_blocked_reason")]
                                                   + ["policy_version"]])
    changed_on_loans = uow.classes.set_loan_categories(result)
    counts = result["category"].value_counts()
    summary = {"as_of": as_of.isoformat(), "stored": stored, "arrears_refreshed": refreshed,
               "changed": int(result["changed"].sum()), "loans_updated": changed_on_loans,
               "counts": {c: int(counts.get(c, 0)) for c in
                          ("normal", "special_mention", "substandard", "doubtful", "loss")},
               "policy_version": monitoring_policy().version}
    uow.audit.record(actor=actor, action="classification_run", entity="loan_classifications",
                     entity_id=as_of.isoformat(), after=summary)
    return summary


def _loan_frames(uow: UnitOfWork, loan_ids: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    loan_cols = list(LoanRow.__table__.columns)
    loans = pd.DataFrame(uow.session.execute(select(*loan_cols).where(
        LoanRow.id.in_(loan_ids))).all(), columns=[c.name for c in loan_cols])
    rep_cols = list(RepaymentRow.__table__.columns)
    repayments = pd.DataFrame(uow.session.execute(select(*rep_cols).where(
        RepaymentRow.loan_id.in_(loan_ids))).all(), columns=[c.name for c in rep_cols])
    return loans, repayments


def reclassify_loans(uow: UnitOfWork, loan_ids: list[int], as_of: date) -> pd.DataFrame:
    """Classify a few loans now (after a manual decision) and store the result."""
    loans, repayments = _loan_frames(uow, loan_ids)
    result = _classify(uow, loans, repayments, as_of)
    uow.classes.replace_loans(as_of, result)
    uow.classes.set_loan_categories(result)
    return result


# --------------------------------------------------------------------------- reading


def _load_loan(uow: UnitOfWork, user: CurrentUser, loan_id: int) -> LoanRow:
    loan = uow.session.get(LoanRow, loan_id)
    scope = user.branch_scope()
    if loan is None or (scope is not None and loan.branch_id != scope):
        raise NotFound(f"no loan {loan_id}", field="loan_id")
    return loan


def loan_classification(uow: UnitOfWork, user: CurrentUser, loan_id: int, *,
                        locale: str = "zh") -> dict[str, Any]:
    """A loan's class now, every change with its reasons, manual decisions and reviews."""
    loan = _load_loan(uow, user, loan_id)
    policy = monitoring_policy()
    history = uow.classes.history(loan_id)
    return {
        "loan_id": loan.id, "contract_no": loan.contract_no, "status": loan.status,
        "category": loan.five_category, "days_past_due": loan.days_past_due,
        "outstanding_principal": loan.outstanding_principal,
        "latest": None if not history else {
            "as_of": history[0].as_of.isoformat(), "driver": history[0].driver,
            "reasons": [{"code": c, "text": reason_text(c, policy, locale)}
                        for c in history[0].reasons],
            "policy_version": history[0].policy_version},
        "changes": [{"as_of": r.as_of.isoformat(), "category": r.category,
                     "previous_category": r.previous_category, "driver": r.driver,
                     "reasons": [{"code": c, "text": reason_text(c, policy, locale)}
                                 for c in r.reasons], "policy_version": r.policy_version}
                    for r in reversed(uow.classes.changes(loan_id))],
        "runs_stored": len(history),
        "manual": [_manual_dict(m) for m in uow.classes.manual(loan_id)],
        "restructurings": [{"id": r.id, "restructure_date": r.restructure_date.isoformat(),
                            "pre_category": r.pre_category, "note": r.note,
                            "difficulty_resolved": r.difficulty_resolved,
                            "recorded_by": r.recorded_by}
                           for r in uow.classes.restructurings(loan_id)],
        "reviews": [{"id": r.id, "warning_id": r.warning_id, "status": r.status,
                     "opened_on": r.opened_on.isoformat(), "due_on": r.due_on.isoformat(),
                     "category_before": r.category_before, "outcome": r.outcome,
                     "decided_by": r.decided_by, "note": r.note}
                    for r, _ in uow.classes.reviews(branch_id=None, status=None,
                                                    loan_id=loan_id)],
    }


def _manual_dict(m: ManualClassificationRow) -> dict[str, Any]:
    return {"id": m.id, "loan_id": m.loan_id, "category": m.category,
            "direction": m.direction, "status": m.status, "reason": m.reason,
            "requested_by": m.requested_by, "requested_on": m.requested_on.isoformat(),
            "decided_by": m.decided_by,
            "decided_on": m.decided_on.isoformat() if m.decided_on else None,
            "review_id": m.review_id}


def classification_overview(uow: UnitOfWork, user: CurrentUser) -> dict[str, Any]:
    """The class distribution, the stored runs, upgrades waiting and reviews open."""
    scope = user.branch_scope()
    pending = uow.classes.manual(status="pending")
    if scope is not None:
        pending = [m for m in pending
                   if (ln := uow.session.get(LoanRow, m.loan_id)) and ln.branch_id == scope]
    reviews = uow.classes.reviews(branch_id=scope, status="open")
    return {
        "distribution": uow.classes.distribution(branch_id=scope),
        "runs": [d.isoformat() for d in uow.classes.run_dates()],
        "pending_upgrades": [_manual_dict(m) for m in pending],
        "open_reviews": [{"id": r.id, "loan_id": r.loan_id, "contract_no": loan.contract_no,
                          "warning_id": r.warning_id, "opened_on": r.opened_on.isoformat(),
                          "due_on": r.due_on.isoformat(), "category_before": r.category_before,
                          "current": loan.five_category} for r, loan in reviews],
        "policy_version": monitoring_policy().version,
    }


# --------------------------------------------------------------------------- decisions


def manual_downgrade(uow: UnitOfWork, user: CurrentUser, loan_id: int, data: ManualClassIn,
                     today: date | None = None) -> dict[str, Any]:
    """Downgrade a loan now (any time, by a reviewer, approver or the risk department)."""
    out = _downgrade(uow, user, loan_id, data, review_id=None, today=today or date.today())
    uow.commit()
    return out


def _downgrade(uow: UnitOfWork, user: CurrentUser, loan_id: int, data: ManualClassIn, *,
               review_id: int | None, today: date) -> dict[str, Any]:
    if user.role not in DOWNGRADE_ROLES:
        raise PermissionDenied("a manual downgrade is made by a reviewer, an approver or "
                               "the risk department")
    loan = _load_loan(uow, user, loan_id)
    if rank(data.category) <= rank(loan.five_category):
        raise InvalidInput(f"a downgrade must be worse than the current class "
                           f"{loan.five_category}", field="category")
    row = uow.classes.add(ManualClassificationRow(
        loan_id=loan_id, category=data.category, direction="downgrade", status="effective",
        reason=data.reason, requested_by=user.username, requested_on=today,
        decided_by=user.username, decided_on=today, effective_date=today,
        review_id=review_id))
    before = loan.five_category
    result = reclassify_loans(uow, [loan_id], today)
    uow.audit.record(actor=user.username, action="manual_downgrade",
                     entity="loan", entity_id=loan_id, before={"five_category": before},
                     after={"five_category": result["category"].iloc[0],
                            "manual_id": row.id, "reason": data.reason})
    return {"id": row.id, "loan_id": loan_id, "category": str(result["category"].iloc[0])}


def request_upgrade(uow: UnitOfWork, user: CurrentUser, loan_id: int, data: ManualClassIn,
                    today: date | None = None) -> dict[str, Any]:
    """Propose an upgrade; it applies only once a second person approves it."""
    today = today or date.today()
    if user.role not in UPGRADE_REQUEST_ROLES:
        raise PermissionDenied("an upgrade is proposed by the loan officer, a reviewer or "
                               "the risk department")
    loan = _load_loan(uow, user, loan_id)
    if rank(data.category) >= rank(loan.five_category):
        raise InvalidInput(f"an upgrade must be better than the current class "
                           f"{loan.five_category}", field="category")
    if any(m.direction == "upgrade" for m in uow.classes.manual(loan_id, status="pending")):
        raise Conflict("an upgrade of this loan is already waiting for approval",
                       field="loan_id")
    row = uow.classes.add(ManualClassificationRow(
        loan_id=loan_id, category=data.category, direction="upgrade", status="pending",
        reason=data.reason, requested_by=user.username, requested_on=today))
    uow.audit.record(actor=user.username, action="upgrade_requested", entity="loan",
                     entity_id=loan_id, after={"manual_id": row.id, "category": data.category,
                                               "reason": data.reason})
    uow.commit()
    return {"id": row.id, "status": row.status}


def decide_upgrade(uow: UnitOfWork, user: CurrentUser, manual_id: int,
                   data: UpgradeDecisionIn, today: date | None = None) -> dict[str, Any]:
    """Approve or reject a proposed upgrade (an approver or the risk department, never the
    proposer). An approved upgrade still stops at the hard floors (DPD, events,
    restructuring)."""
    today = today or date.today()
    if user.role not in UPGRADE_APPROVER_ROLES:
        raise PermissionDenied("an upgrade is approved by an approver or the risk department")
    row = uow.classes.manual_row(manual_id, lock=True)
    if row is None or row.direction != "upgrade":
        raise NotFound(f"no upgrade request {manual_id}", field="manual_id")
    loan = _load_loan(uow, user, row.loan_id)
    if row.status != "pending":
        raise Conflict(f"the request is already {row.status}", field="manual_id")
    if row.requested_by == user.username:
        raise PermissionDenied("you proposed this upgrade; another person must approve it "
                               "(maker-checker)")
    before = loan.five_category
    row.status = "effective" if data.approve else "rejected"
    row.decided_by, row.decided_on = user.username, today
    category = before
    if data.approve:
        row.effective_date = today
        category = str(reclassify_loans(uow, [loan.id], today)["category"].iloc[0])
    uow.audit.record(actor=user.username, action="upgrade_" + row.status, entity="loan",
                     entity_id=loan.id, before={"five_category": before},
                     after={"five_category": category, "manual_id": row.id,
                            "note": data.note})
    uow.commit()
    return {"id": row.id, "status": row.status, "category": category}


def decide_review(uow: UnitOfWork, user: CurrentUser, review_id: int, data: ReviewDecisionIn,
                  today: date | None = None) -> dict[str, Any]:
    """Close a classification review: keep the class, or downgrade the loan."""
    today = today or date.today()
    if user.role.value not in handling_policy().review_decider_roles:
        raise PermissionDenied("a classification review is decided by a reviewer, an "
                               "approver or the risk department")
    review = uow.classes.review(review_id, lock=True)
    if review is None:
        raise NotFound(f"no review {review_id}", field="review_id")
    loan = _load_loan(uow, user, review.loan_id)
    if review.status != "open":
        raise Conflict("the review is already decided", field="review_id")
    category = loan.five_category
    if data.outcome == "downgrade":
        assert data.category is not None
        category = _downgrade(uow, user, loan.id,
                              ManualClassIn(category=data.category, reason=data.note),
                              review_id=review.id, today=today)["category"]
    review.status, review.outcome = "decided", data.outcome
    review.decided_by, review.decided_on, review.note = user.username, today, data.note
    uow.audit.record(actor=user.username, action="classification_review_decided",
                     entity="classification_review", entity_id=review.id,
                     after={"outcome": data.outcome, "category": category, "note": data.note})
    uow.commit()
    return {"id": review.id, "outcome": data.outcome, "category": category}


def record_restructuring(uow: UnitOfWork, user: CurrentUser, loan_id: int,
                         data: RestructuringIn, today: date | None = None) -> dict[str, Any]:
    """Record an approved restructuring; the loan is reclassified at once and watched through
    its observation period (at least 2 periods and 12 months) at every run."""
    today = today or date.today()
    if user.role not in RESTRUCTURING_ROLES:
        raise PermissionDenied("a restructuring is recorded by an approver or the risk "
                               "department")
    loan = _load_loan(uow, user, loan_id)
    if loan.status != "active":
        raise Conflict(f"only an active loan is restructured; this one is {loan.status}",
                       field="loan_id")
    if data.restructure_date > today:
        raise InvalidInput("must not be in the future", field="restructure_date")
    if data.restructure_date < loan.origination_date:
        raise InvalidInput("must not be before the loan was made", field="restructure_date")
    before = loan.five_category
    row = uow.classes.add(RestructuringRow(
        loan_id=loan_id, restructure_date=data.restructure_date, pre_category=before,
        observation_start=None, difficulty_resolved=data.difficulty_resolved, note=data.note,
        recorded_by=user.username))
    category = str(reclassify_loans(uow, [loan_id], today)["category"].iloc[0])
    uow.audit.record(actor=user.username, action="restructuring_recorded", entity="loan",
                     entity_id=loan_id, before={"five_category": before},
                     after={"five_category": category, "restructuring_id": row.id,
                            "restructure_date": data.restructure_date, "note": data.note})
    uow.commit()
    return {"id": row.id, "loan_id": loan_id, "category": category}
