"""The origination workflow: each step one audited transaction, in the order the state
machine allows (domain/origination.py). Maker-checker: whoever entered an application can
neither review nor decide it; decisions need the authority level the assessment routed to,
and an override of the engines' recommendation needs written reasons and the next level."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from mortgage_risk.control.authority import is_override
from mortgage_risk.control.enums import AuthorityLevel, Recommendation
from mortgage_risk.domain import ApplicationStatus, DomainError, Loan, Money, RepaymentMethod, Role
from mortgage_risk.domain.origination import Step, next_status, steps_from
from mortgage_risk.domain.schedule import add_months, build_schedule
from mortgage_risk.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from mortgage_risk.services.schemas import (
    ApplicationIn,
    ContractIn,
    DecisionIn,
    RegistrationIn,
    VisitIn,
)
from mortgage_risk.services.users import CurrentUser, require_role
from mortgage_risk.storage.tables import (
    ApplicationRow,
    ContractRow,
    CreditDecisionRow,
    LoanRow,
    MortgageRegistrationRow,
    ScheduleRow,
    SiteVisitRow,
    WorkflowEventRow,
)
from mortgage_risk.storage.uow import UnitOfWork

#: The highest authority level each deciding role holds.
ROLE_LEVEL = {Role.APPROVER: AuthorityLevel.BRANCH_HEAD,
              Role.RISK_MANAGER: AuthorityLevel.CREDIT_COMMITTEE}


@dataclass(frozen=True)
class ApplicationView:
    id: int
    application_no: str
    status: ApplicationStatus
    next_steps: list[str]


def _view(row: ApplicationRow) -> ApplicationView:
    status = ApplicationStatus(row.status)
    return ApplicationView(
        row.id, row.application_no, status, [s.value for s in steps_from(status)]
    )


def _now() -> datetime:
    return datetime.now(UTC)


def load_application(
    uow: UnitOfWork, user: CurrentUser, application_id: int, *, lock: bool = False
) -> ApplicationRow:
    """The application if the user's branch may see it (else NotFound, not a hint)."""
    row = uow.origination.application(application_id, lock=lock)
    scope = user.branch_scope()
    if row is None or (scope is not None and row.branch_id != scope):
        raise NotFound(f"no application {application_id}", field="application_id")
    return row


def advance(
    uow: UnitOfWork,
    user: CurrentUser,
    row: ApplicationRow,
    step: Step,
    *,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """Move ``row`` by ``step`` (refused out of order, naming the state) and record it."""
    try:
        target = next_status(ApplicationStatus(row.status), step)
    except DomainError as exc:
        raise Conflict(exc.reason, field=exc.field) from None
    before = row.status
    row.status = target.value
    uow.origination.add(
        WorkflowEventRow(
            application_id=row.id,
            step=step.value,
            from_status=before,
            to_status=target.value,
            actor=user.username,
            at=_now(),
            note=note,
            data=data,
        )
    )
    uow.audit.record(
        actor=user.username,
        action=step.value,
        entity="application",
        entity_id=row.id,
        before={"status": before},
        after={"status": target.value, "note": note, **(data or {})},
    )


def _maker_name(uow: UnitOfWork, row: ApplicationRow) -> str | None:
    maker = uow.users.get(row.officer_id) if row.officer_id else None
    return maker.username if maker else None


def _not_maker(uow: UnitOfWork, user: CurrentUser, row: ApplicationRow, what: str) -> None:
    if row.officer_id == user.id or _maker_name(uow, row) == user.username:
        raise PermissionDenied(
            f"you entered application {row.application_no}; you may not {what} it (maker-checker)"
        )


def create_application(uow: UnitOfWork, user: CurrentUser, data: ApplicationIn) -> ApplicationView:
    require_role(user, Role.LOAN_OFFICER)
    borrower = uow.borrowers.by_resident_id(data.borrower_resident_id)
    if borrower is None or (user.branch_scope() not in (None, borrower.branch_id)):
        raise NotFound(
            "no borrower with this resident ID in your branch", field="borrower_resident_id"
        )
    prop = uow.properties.get(data.property_id)
    if prop is None or prop.owner_id != borrower.id:
        raise NotFound("no property of this borrower with this id", field="property_id")
    row = uow.origination.add(
        ApplicationRow(
            application_no=f"TMP{_now().timestamp():.0f}",
            borrower_id=borrower.id,
            property_id=prop.id,
            branch_id=borrower.branch_id,
            officer_id=user.id,
            amount=data.amount,
            term_months=data.term_months,
            repayment_method=data.repayment_method.value,
            purpose=data.purpose,
            purchase_price=data.purchase_price,
            co_owner_consent=data.co_owner_consent,
            first_home=data.first_home,
            status=ApplicationStatus.DRAFT.value,
            submitted_on=data.submitted_on,
        )
    )
    row.application_no = f"AP{data.submitted_on:%Y%m%d}{row.id:06d}"
    uow.audit.record(
        actor=user.username,
        action="create",
        entity="application",
        entity_id=row.id,
        after=data.model_dump(mode="json"),
    )
    uow.commit()
    return _view(row)


def submit(uow: UnitOfWork, user: CurrentUser, application_id: int) -> ApplicationView:
    require_role(user, Role.LOAN_OFFICER)
    row = load_application(uow, user, application_id, lock=True)
    advance(uow, user, row, Step.SUBMIT)
    uow.commit()
    return _view(row)


def record_visit(
    uow: UnitOfWork, user: CurrentUser, application_id: int, visit: VisitIn
) -> ApplicationView:
    require_role(user, Role.LOAN_OFFICER)
    row = load_application(uow, user, application_id, lock=True)
    if visit.visited_on < row.submitted_on:
        raise InvalidInput("the visit cannot be before the application", field="visited_on")
    uow.origination.add(
        SiteVisitRow(
            application_id=row.id,
            visited_on=visit.visited_on,
            officer=user.username,
            occupancy=visit.occupancy,
            collateral_condition=visit.collateral_condition,
            income_verified=visit.income_verified,
            findings=visit.findings,
            evidence=list(visit.evidence),
            observed=visit.observed,
        )
    )
    advance(uow, user, row, Step.RECORD_VISIT, data={"visited_on": visit.visited_on.isoformat()})
    uow.commit()
    return _view(row)


def review(
    uow: UnitOfWork, user: CurrentUser, application_id: int, *, agree: bool, note: str
) -> ApplicationView:
    """The checker reviews the assessed file: agree (to the decision maker) or return it."""
    require_role(user, Role.REVIEWER)
    row = load_application(uow, user, application_id, lock=True)
    _not_maker(uow, user, row, "review")
    if not note.strip():
        raise InvalidInput("the review needs a written opinion", field="note")
    advance(uow, user, row, Step.REVIEW if agree else Step.RETURN, note=note)
    uow.commit()
    return _view(row)


def _level(level: str) -> AuthorityLevel:
    try:
        return AuthorityLevel(level)
    except ValueError:
        raise Conflict(f"unknown authority level {level!r}", field="authority_level") from None


def decide(
    uow: UnitOfWork, user: CurrentUser, application_id: int, body: DecisionIn
) -> ApplicationView:
    """Approve or decline within authority; against the recommendation it is an override."""
    if user.role not in ROLE_LEVEL:
        raise PermissionDenied("only an approver or the credit committee may decide")
    row = load_application(uow, user, application_id, lock=True)
    _not_maker(uow, user, row, "decide")
    assessment = uow.origination.latest_assessment(row.id)
    if assessment is None:
        raise Conflict("the application has no assessment", field="status")
    reviewers = {e.actor for e in uow.origination.events(row.id) if e.step == Step.REVIEW.value}
    if user.username in reviewers:
        raise PermissionDenied("you reviewed this application; another person must decide it")
    recommendation = Recommendation(assessment.recommendation)
    # a human approval carries the conditions the engines asked for (they go on the contract)
    final = (Recommendation.DECLINE if body.decision == "decline"
             else Recommendation.APPROVE_WITH_CONDITIONS
             if recommendation is Recommendation.APPROVE_WITH_CONDITIONS
             else Recommendation.APPROVE)
    override = is_override(recommendation, final)
    routed = _level(assessment.authority_level)
    required = routed.next_up() if override else routed
    if override and not body.reasons.strip():
        raise InvalidInput(
            "deciding against the recommendation "
            f"({assessment.recommendation}) needs written reasons",
            field="reasons",
        )
    held = ROLE_LEVEL[user.role]
    if held.rank < required.rank:
        raise PermissionDenied(
            f"this decision needs the authority of {required.value}"
            f"{' (override)' if override else ''}; you hold {held.value}"
        )
    amount = body.amount if body.amount is not None else assessment.approved_amount
    if body.decision == "approve" and amount > assessment.limit_amount and not override:
        raise InvalidInput(
            f"above the limit {assessment.limit_amount}; approving more is an "
            "override and needs reasons",
            field="amount",
        )
    uow.origination.add(
        CreditDecisionRow(
            application_id=row.id,
            assessment_id=assessment.id,
            stage="approval",
            decision=body.decision,
            decided_by=user.username,
            authority_level=held.value,
            override=override,
            reasons=body.reasons,
            approved_amount=amount if body.decision == "approve" else None,
            annual_rate=assessment.annual_rate if body.decision == "approve" else None,
            at=_now(),
        )
    )
    advance(
        uow,
        user,
        row,
        Step.APPROVE if body.decision == "approve" else Step.DECLINE,
        note=body.reasons,
        data={"override": override, "amount": str(amount), "assessment_id": assessment.id},
    )
    row.decided_on = _now().date()
    uow.commit()
    return _view(row)


def _approval(uow: UnitOfWork, row: ApplicationRow) -> CreditDecisionRow:
    approvals = [d for d in uow.origination.decisions(row.id) if d.decision == "approve"]
    if not approvals:
        raise Conflict("the application has no approval", field="status")
    return approvals[-1]


def sign_contract(
    uow: UnitOfWork, user: CurrentUser, application_id: int, body: ContractIn
) -> ApplicationView:
    require_role(user, Role.LOAN_OFFICER)
    row = load_application(uow, user, application_id, lock=True)
    approval = _approval(uow, row)
    assert approval.approved_amount is not None and approval.annual_rate is not None
    advance(uow, user, row, Step.SIGN_CONTRACT, data={"signed_on": body.signed_on.isoformat()})
    uow.origination.add(
        ContractRow(
            application_id=row.id,
            contract_no=f"HT{row.application_no[2:]}",
            signed_on=body.signed_on,
            amount=approval.approved_amount,
            annual_rate=approval.annual_rate,
            term_months=row.term_months,
            repayment_method=row.repayment_method,
            signed_by=user.username,
        )
    )
    uow.commit()
    return _view(row)


def register_mortgage(
    uow: UnitOfWork, user: CurrentUser, application_id: int, body: RegistrationIn
) -> ApplicationView:
    require_role(user, Role.LOAN_OFFICER)
    row = load_application(uow, user, application_id, lock=True)
    advance(uow, user, row, Step.REGISTER_MORTGAGE, data={"certificate_no": body.certificate_no})
    uow.origination.add(
        MortgageRegistrationRow(
            application_id=row.id,
            property_id=row.property_id,
            certificate_no=body.certificate_no,
            registered_on=body.registered_on,
            registry_office=body.registry_office,
            recorded_by=user.username,
        )
    )
    prop = uow.properties.get(row.property_id)
    assert prop is not None
    prop.registration_status = "registered"
    uow.commit()
    return _view(row)


def disburse(
    uow: UnitOfWork, user: CurrentUser, application_id: int, *, on: date
) -> ApplicationView:
    """Pay out: only after registration; creates the loan and its full schedule."""
    require_role(user, Role.LOAN_OFFICER)
    row = load_application(uow, user, application_id, lock=True)
    advance(uow, user, row, Step.DISBURSE, data={"on": on.isoformat()})
    contract = uow.origination.contract(row.id)
    assert contract is not None
    loan = Loan(
        contract.contract_no,
        Money(contract.amount),
        contract.term_months,
        contract.annual_rate,
        RepaymentMethod(contract.repayment_method),
        on,
    )
    lines = build_schedule(loan)
    loan_row = uow.origination.add(
        LoanRow(
            contract_no=contract.contract_no,
            application_id=row.id,
            borrower_id=row.borrower_id,
            property_id=row.property_id,
            branch_id=row.branch_id,
            officer_id=row.officer_id,
            principal=contract.amount,
            term_months=contract.term_months,
            annual_rate=contract.annual_rate,
            repayment_method=contract.repayment_method,
            origination_date=on,
            maturity_date=add_months(on, contract.term_months),
            status="active",
            outstanding_principal=contract.amount,
            overdue_amount=Decimal(0),
            days_past_due=0,
            five_category="normal",
            as_of=on,
        )
    )
    uow.session.add_all(
        [
            ScheduleRow(
                loan_id=loan_row.id,
                period_no=ln.period_no,
                due_date=ln.due_date,
                principal_due=ln.principal_due.amount,
                interest_due=ln.interest_due.amount,
                balance_after=ln.balance_after.amount,
            )
            for ln in lines
        ]
    )
    uow.audit.record(
        actor=user.username,
        action="create",
        entity="loan",
        entity_id=loan_row.id,
        after={
            "contract_no": contract.contract_no,
            "principal": str(contract.amount),
            "annual_rate": str(contract.annual_rate),
            "periods": len(lines),
        },
    )
    uow.commit()
    return _view(row)


def application_detail(uow: UnitOfWork, user: CurrentUser, application_id: int) -> dict[str, Any]:
    """The file: application, timeline, visit, latest assessment, decisions, contract."""
    row = load_application(uow, user, application_id)
    visit = uow.origination.latest_visit(row.id)
    assessment = uow.origination.latest_assessment(row.id)
    contract = uow.origination.contract(row.id)
    registration = uow.origination.registration(row.id)
    status = ApplicationStatus(row.status)
    return {
        "id": row.id,
        "application_no": row.application_no,
        "status": status.value,
        "status_zh": status.label_zh,
        "next_steps": [s.value for s in steps_from(status)],
        "borrower_id": row.borrower_id,
        "property_id": row.property_id,
        "branch_id": row.branch_id,
        "amount": str(row.amount),
        "term_months": row.term_months,
        "repayment_method": row.repayment_method,
        "purpose": row.purpose,
        "submitted_on": row.submitted_on.isoformat(),
        "events": [
            {
                "step": e.step,
                "from": e.from_status,
                "to": e.to_status,
                "actor": e.actor,
                "at": e.at.isoformat(),
                "note": e.note,
            }
            for e in uow.origination.events(row.id)
        ],
        "visit": None
        if visit is None
        else {
            "visited_on": visit.visited_on.isoformat(),
            "officer": visit.officer,
            "occupancy": visit.occupancy,
            "collateral_condition": visit.collateral_condition,
            "income_verified": visit.income_verified,
            "findings": visit.findings,
            "evidence": visit.evidence,
            "observed": visit.observed,
        },
        "assessment": None
        if assessment is None
        else {
            "id": assessment.id,
            "recommendation": assessment.recommendation,
            "authority_level": assessment.authority_level,
            "versions": assessment.versions,
            "sha256": assessment.content_sha256,
            "content": assessment.content,
        },
        "decisions": [
            {
                "stage": d.stage,
                "decision": d.decision,
                "decided_by": d.decided_by,
                "authority_level": d.authority_level,
                "override": d.override,
                "reasons": d.reasons,
                "at": d.at.isoformat(),
            }
            for d in uow.origination.decisions(row.id)
        ],
        "contract": None
        if contract is None
        else {
            "contract_no": contract.contract_no,
            "signed_on": contract.signed_on.isoformat(),
            "amount": str(contract.amount),
            "annual_rate": str(contract.annual_rate),
        },
        "registration": None
        if registration is None
        else {
            "certificate_no": registration.certificate_no,
            "registered_on": registration.registered_on.isoformat(),
        },
    }


def list_applications(
    uow: UnitOfWork, user: CurrentUser, statuses: tuple[str, ...] | None = None
) -> list[ApplicationView]:
    wanted = statuses or tuple(s.value for s in ApplicationStatus)
    return [_view(r) for r in uow.origination.queue(wanted, user.branch_scope())]
