"""Assess an application: score it, value its collateral, screen it with the rule set, and let
the decision engine recommend, limit, price and route it — all in one transaction, stored as
an immutable assessment naming every version that produced it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from mortgage_risk.control.assessment import (
    BorrowerFacts,
    CollateralRecord,
    LoanFacts,
    Operations,
    ScoreFacts,
    assess_application,
)
from mortgage_risk.control.concentration import BookState
from mortgage_risk.control.policy import CreditPolicy
from mortgage_risk.control.union import UnionFigures
from mortgage_risk.domain import RepaymentMethod, ResidentId, Role
from mortgage_risk.domain.origination import Step
from mortgage_risk.identification import RuleSet
from mortgage_risk.services import parameters
from mortgage_risk.services.models import record_score
from mortgage_risk.services.origination import advance, load_application
from mortgage_risk.services.users import CurrentUser, require_role
from mortgage_risk.services.valuation import record_valuation
from mortgage_risk.storage.tables import (
    ApplicationRow,
    AssessmentRow,
    BorrowerRow,
    PropertyRow,
    SiteVisitRow,
)
from mortgage_risk.storage.uow import UnitOfWork

PERSONAL_HOUSING = ("urban_housing", "rural_house")


@dataclass(frozen=True)
class AssessmentView:
    id: int
    application_id: int
    recommendation: str
    authority_level: str
    content: dict[str, Any]
    versions: dict[str, Any]


def _events(uow: UnitOfWork, borrower_id: int) -> dict[str, Any]:
    """External signals on the borrower, as identification facts (name-only matches are
    kept apart and never count as a hit)."""
    rows = uow.book.event_kinds(borrower_id)
    kinds = {kind for kind, confidence in rows if confidence == "resident_id"}
    return {
        "court_enforcement": "court_enforcement" in kinds,
        "dishonest_debtor": "dishonest_debtor" in kinds,
        "spending_restricted": "dishonest_debtor" in kinds,
        "lawsuits_pending": sum(1 for kind, _ in rows if kind == "lawsuit"),
        "abnormal_operation": bool(kinds & {"abnormal_operation", "business_deregistration"}),
        "name_only_match": any(confidence == "name_only" for _, confidence in rows),
    }


def _valid_id(raw: str) -> bool:
    try:
        ResidentId(raw)
    except ValueError:
        return False
    return True


def _inputs(uow: UnitOfWork, app: ApplicationRow, borrower: BorrowerRow, prop: PropertyRow,
            visit: SiteVisitRow | None
            ) -> tuple[BorrowerFacts, LoanFacts, CollateralRecord, Operations]:
    return (
        BorrowerFacts(
            birth_date=borrower.birth_date, segment=borrower.segment,
            household_income=Decimal(borrower.household_income),
            dependants=borrower.dependants,
            other_monthly_debt=Decimal(borrower.other_monthly_debt),
            bureau_overdue_accounts=borrower.bureau_overdue_accounts,
            bureau_max_dpd_24m=borrower.bureau_max_dpd_24m,
            bureau_hard_inquiries_3m=borrower.bureau_hard_inquiries_3m,
            bureau_npl_elsewhere=borrower.bureau_npl_elsewhere,
            resident_id_valid=_valid_id(borrower.resident_id),
            events=_events(uow, borrower.id)),
        LoanFacts(amount=Decimal(app.amount), term_months=app.term_months,
                  repayment_method=RepaymentMethod(app.repayment_method), purpose=app.purpose,
                  purchase_price=(None if app.purchase_price is None
                                  else Decimal(app.purchase_price)),
                  first_home=app.first_home, co_owner_consent=app.co_owner_consent),
        CollateralRecord(
            property_type=prop.property_type, land_nature=prop.land_nature,
            structure=prop.structure, build_year=prop.build_year,
            floor_area=Decimal(prop.floor_area),
            land_term_remaining=(None if prop.land_term_remaining_years is None
                                 else float(prop.land_term_remaining_years)),
            appraised_value=Decimal(prop.appraised_value), appraisal_date=prop.appraisal_date,
            registration_status=prop.registration_status, seized=prop.seized,
            existing_mortgage=prop.existing_mortgage,
            small_property_rights=prop.small_property_rights,
            illegal_building=prop.illegal_building,
            other_open_applications=uow.origination.other_open_applications_on(prop.id,
                                                                                 app.id)),
        Operations(visit_done=visit is not None,
                   income_verified=bool(visit and visit.income_verified),
                   documents_complete=bool(visit and visit.evidence)),
    )


def book_state(uow: UnitOfWork, figures: UnionFigures, borrower_id: int) -> BookState:
    """The union's book: its own real-estate loans and the ledger's total and net capital."""
    real_estate, housing, exposure = uow.book.active_balances(borrower_id, PERSONAL_HOUSING)
    return BookState(all_loans=max(figures.all_loans, real_estate), real_estate_loans=real_estate,
                     personal_housing_loans=housing, net_capital=figures.net_capital,
                     borrower_exposure=exposure)


def assess(uow: UnitOfWork, user: CurrentUser, application_id: int, *,
           valuation_explanation: str | None = None, on: date | None = None) -> AssessmentView:
    """Run every engine on an investigated application and store the immutable result."""
    require_role(user, Role.LOAN_OFFICER, Role.REVIEWER, Role.RISK_MANAGER)
    app = load_application(uow, user, application_id, lock=True)
    day = on or date.today()
    borrower = uow.borrowers.get(app.borrower_id)
    prop = uow.properties.get(app.property_id)
    assert borrower is not None and prop is not None
    visit = uow.origination.latest_visit(app.id)
    advance(uow, user, app, Step.ASSESS)
    policy: CreditPolicy = parameters.active_typed(uow, "credit_policy")
    rules: RuleSet = parameters.active_typed(uow, "identification_rules")
    figures: UnionFigures = parameters.active_typed(uow, "union_figures")
    score = record_score(uow, user, application_id=app.id)
    request: dict[str, Any] = {}
    if visit is not None and visit.observed:
        request["observed"] = dict(visit.observed)
    if valuation_explanation:
        request["explanation"] = valuation_explanation
    valuation_view, valuation = record_valuation(
        uow, user, prop.id, valuation_date=day, loan_amount=Decimal(app.amount),
        request=request)
    borrower_facts, loan_facts, collateral, ops = _inputs(uow, app, borrower, prop, visit)
    outcome = assess_application(
        borrower_facts, loan_facts, collateral, valuation,
        ScoreFacts(float(score.pd), score.grade, score.score), ops, rules=rules, policy=policy,
        book=book_state(uow, figures, borrower.id), on=day)
    facts, screening, decision = outcome.facts, outcome.screening, outcome.decision
    versions = {"scorecard": score.model_version, "rules": rules.version,
                "valuation_params": valuation.params_version, "credit_policy": policy.version,
                "union_figures": figures.version,
                "features": "features-2026.1"}
    content = _jsonable({
        "facts": facts,
        "flags": [{"rule_id": f.rule_id, "category": str(f.category),
                   "severity": str(f.severity), "zh": f.message_zh, "en": f.message_en}
                  for f in screening.flags],
        "score": {"score": score.score, "pd": str(score.pd), "grade": score.grade,
                  "reason_codes": score.reason_codes},
        "valuation": {"valuation_id": valuation_view.id,
                      "market_value": str(valuation.market_value),
                      "mortgage_value": str(valuation.mortgage_value),
                      "net_mortgage_value": str(valuation.net_mortgage_value),
                      "ltv": valuation.ltv, "lgd": None if valuation.lgd is None
                      else valuation.lgd.lgd, "eligible": valuation.eligibility.eligible},
        "decision": decision.to_dict(),
    })
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False)
                            .encode("utf-8")).hexdigest()
    row = uow.origination.add(AssessmentRow(
        application_id=app.id, created_by=user.username, created_at=datetime.now(UTC),
        recommendation=decision.recommendation.value,
        authority_level=decision.authority_level.value, pd=Decimal(str(score.pd)),
        grade=score.grade, limit_amount=decision.limit.amount,
        approved_amount=decision.approved_amount, annual_rate=decision.price.rate,
        expected_loss=decision.expected_loss, valuation_id=valuation_view.id,
        versions=versions, content=content, content_sha256=digest))
    uow.audit.record(actor=user.username, action="assess", entity="application",
                     entity_id=app.id, after={"assessment_id": row.id,
                                              "recommendation": row.recommendation,
                                              "authority_level": row.authority_level,
                                              "versions": versions, "sha256": digest})
    uow.commit()
    return AssessmentView(row.id, app.id, row.recommendation, row.authority_level, content,
                          versions)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=_default, ensure_ascii=False))


def _default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)
