"""One application through identification and the decision engine, from plain inputs.

The same function serves the system (inputs read from the database) and the file command
(`mortgage-risk assess --application app.json`), so both see the same facts and decisions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from mortgage_risk.control.concentration import BookState
from mortgage_risk.control.decision import Decision, decide
from mortgage_risk.control.inputs import Affordability, LoanRequest
from mortgage_risk.control.limits import first_installment
from mortgage_risk.control.policy import CreditPolicy
from mortgage_risk.domain import RepaymentMethod
from mortgage_risk.identification import RuleSet, Screening, screen
from mortgage_risk.valuation import ValuationResult


@dataclass(frozen=True)
class BorrowerFacts:
    birth_date: date
    segment: str
    household_income: Decimal
    dependants: int = 0
    other_monthly_debt: Decimal = Decimal(0)
    bureau_overdue_accounts: int = 0
    bureau_max_dpd_24m: int = 0
    bureau_hard_inquiries_3m: int = 0
    bureau_npl_elsewhere: bool = False
    resident_id_valid: bool = True
    events: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LoanFacts:
    amount: Decimal
    term_months: int
    repayment_method: RepaymentMethod
    purpose: str = "purchase"
    purchase_price: Decimal | None = None
    first_home: bool | None = None
    co_owner_consent: bool = True


@dataclass(frozen=True)
class CollateralRecord:
    """What the collateral file says beyond the valuation."""

    property_type: str
    land_nature: str
    structure: str | None
    build_year: int | None
    floor_area: Decimal
    land_term_remaining: float | None
    appraised_value: Decimal | None
    appraisal_date: date | None
    registration_status: str = "not_registered"
    seized: bool = False
    existing_mortgage: bool = False
    small_property_rights: bool = False
    illegal_building: bool = False
    other_open_applications: int = 0


@dataclass(frozen=True)
class ScoreFacts:
    pd: float
    grade: str
    score: int


@dataclass(frozen=True)
class Operations:
    """What the loan officer's work established (the on-site visit and the documents)."""

    visit_done: bool = False
    income_verified: bool = False
    documents_complete: bool = False
    application_channel: str = "branch"


@dataclass(frozen=True)
class Outcome:
    facts: dict[str, Any]
    screening: Screening
    decision: Decision


def _age(birth: date, on: date) -> float:
    return round((on - birth).days / 365.25, 1)


def build_facts(borrower: BorrowerFacts, loan: LoanFacts, collateral: CollateralRecord,
                valuation: ValuationResult, score: ScoreFacts, ops: Operations,
                policy: CreditPolicy, on: date) -> dict[str, Any]:
    """The facts the identification rules read (names from identification/facts.py)."""
    monthly = borrower.household_income / 12
    rate = policy.lpr.rate + policy.affordability.assessment_rate_spread
    installment = first_installment(loan.amount, rate, loan.term_months, loan.repayment_method)
    other = borrower.other_monthly_debt
    purchase = loan.purchase_price
    age = _age(borrower.birth_date, on)
    cap = valuation.layers.cap
    facts: dict[str, Any] = {
        "application_date": on, "age": age, "age_at_maturity": age + loan.term_months / 12,
        "segment": borrower.segment, "household_income": float(borrower.household_income),
        "monthly_income": float(monthly), "dependants": borrower.dependants,
        "other_monthly_debt": float(other),
        "bureau_overdue_accounts": borrower.bureau_overdue_accounts,
        "bureau_max_dpd_24m": borrower.bureau_max_dpd_24m,
        "bureau_hard_inquiries_3m": borrower.bureau_hard_inquiries_3m,
        "bureau_npl_elsewhere": borrower.bureau_npl_elsewhere, "bureau_authorised": True,
        "resident_id_valid": borrower.resident_id_valid,
        "id_document_verified": ops.visit_done, "income_verified": ops.income_verified,
        "visit_done": ops.visit_done, "face_to_face_signed": ops.visit_done,
        "documents_complete": ops.documents_complete,
        "related_staff": [], "officer_related": False, "buyer_seller_related": False,
        "income_documents_inconsistent": False, "shared_contact_applications": 0,
        "amount": float(loan.amount), "term_months": loan.term_months,
        "repayment_method": loan.repayment_method.value, "purpose": loan.purpose,
        "annual_rate": float(rate), "monthly_installment": float(installment),
        "dti": float(installment / monthly) if monthly > 0 else None,
        "total_dti": float((installment + other) / monthly) if monthly > 0 else None,
        "purchase_price": None if purchase is None else float(purchase),
        "down_payment_ratio": (None if purchase is None
                               else float((purchase - loan.amount) / purchase)),
        "first_home": loan.first_home, "co_owner_consent": loan.co_owner_consent,
        "property_type": collateral.property_type, "land_nature": collateral.land_nature,
        "structure": collateral.structure, "build_year": collateral.build_year,
        "property_age": None if collateral.build_year is None else on.year - collateral.build_year,
        "floor_area": float(collateral.floor_area),
        "land_term_remaining": collateral.land_term_remaining,
        "seized": collateral.seized, "existing_mortgage": collateral.existing_mortgage,
        "disputed": False, "small_property_rights": collateral.small_property_rights,
        "illegal_building": collateral.illegal_building, "public_welfare": False,
        "dangerous_building": False, "registration_status": collateral.registration_status,
        "same_property_other_applications": collateral.other_open_applications,
        "appraised_value": (None if collateral.appraised_value is None
                            else float(collateral.appraised_value)),
        "appraisal_age_days": (None if collateral.appraisal_date is None
                               else (on - collateral.appraisal_date).days),
        "market_value": float(valuation.market_value),
        "mortgage_value": float(valuation.mortgage_value),
        "ltv": valuation.ltv, "cltv": valuation.cltv,
        "ltv_cap": None if cap is None else float(cap),
        "lgd": None if valuation.lgd is None else float(valuation.lgd.lgd),
        "eligible_collateral": valuation.eligibility.eligible,
        "comparable_value": None if valuation.market is None else float(valuation.market.value),
        "pd": score.pd, "grade": score.grade, "score": score.score,
        "application_channel": ops.application_channel,
    }
    facts.update(borrower.events)
    return facts


def assess_application(borrower: BorrowerFacts, loan: LoanFacts, collateral: CollateralRecord,
                       valuation: ValuationResult, score: ScoreFacts, ops: Operations, *,
                       rules: RuleSet, policy: CreditPolicy, book: BookState, on: date
                       ) -> Outcome:
    """Screen the application with ``rules`` and let the engine recommend under ``policy``."""
    facts = build_facts(borrower, loan, collateral, valuation, score, ops, policy, on)
    screening = screen(facts, rules)
    decision = decide(
        screening, score.pd, score.grade, valuation,
        Affordability(monthly_income=borrower.household_income / 12,
                      other_monthly_debt=borrower.other_monthly_debt),
        LoanRequest(amount=loan.amount, term_months=loan.term_months,
                    method=loan.repayment_method, property_type=collateral.property_type),
        policy, book)
    return Outcome(facts, screening, decision)
