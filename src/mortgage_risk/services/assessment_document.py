"""Assess an application described in one JSON document, with the shipped model, rules,
valuation parameters and credit policy; nothing is stored (`mortgage-risk assess`)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
from mortgage_risk.domain import BorrowerSegment, DomainError, RepaymentMethod, ResidentId
from mortgage_risk.identification import RuleSet, default_ruleset
from mortgage_risk.scoring.application_features import build_features
from mortgage_risk.scoring.artifact import from_json
from mortgage_risk.scoring.scorecard import Scorecard
from mortgage_risk.services.errors import InvalidInput
from mortgage_risk.services.models import shipped_artifact
from mortgage_risk.services.registry import first_error
from mortgage_risk.services.schemas import ResidentIdStr
from mortgage_risk.valuation import ValuationParams
from mortgage_risk.valuation.request import ValuationRequest

Amount = Field(ge=0, max_digits=16, decimal_places=2)


class BorrowerDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resident_id: ResidentIdStr
    segment: BorrowerSegment
    household_income: Decimal = Amount
    dependants: int = Field(default=0, ge=0, le=20)
    other_monthly_debt: Decimal = Field(default=Decimal(0), ge=0)
    bureau_overdue_accounts: int = Field(default=0, ge=0)
    bureau_max_dpd_24m: int = Field(default=0, ge=0)
    bureau_hard_inquiries_3m: int = Field(default=0, ge=0)
    bureau_npl_elsewhere: bool = False
    court_enforcement: bool = False
    dishonest_debtor: bool = False
    lawsuits_pending: int = Field(default=0, ge=0)
    abnormal_operation: bool = False


class LoanDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Decimal = Field(gt=0, max_digits=16, decimal_places=2)
    term_months: int = Field(ge=1, le=360)
    repayment_method: RepaymentMethod
    purpose: str = "purchase"
    purchase_price: Decimal | None = Field(default=None, gt=0)
    first_home: bool | None = None
    co_owner_consent: bool = True


class RecordDoc(BaseModel):
    """The collateral file beyond the valuation request's subject."""

    model_config = ConfigDict(extra="forbid")
    appraised_value: Decimal | None = Field(default=None, gt=0)
    appraisal_date: date | None = None
    registration_status: str = "not_registered"
    existing_mortgage: bool = False
    other_open_applications: int = Field(default=0, ge=0)


class OperationsDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    visit_done: bool = False
    income_verified: bool = False
    documents_complete: bool = False


class BookDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    real_estate_loans: Decimal = Field(default=Decimal(0), ge=0)
    personal_housing_loans: Decimal = Field(default=Decimal(0), ge=0)
    borrower_exposure: Decimal = Field(default=Decimal(0), ge=0)


class AssessDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    application_date: date
    region_kind: str = Field(default="town", pattern="^(county_town|town|village)$")
    borrower: BorrowerDoc
    loan: LoanDoc
    collateral: dict[str, Any] = Field(description="A valuation request without its date")
    collateral_record: RecordDoc = Field(default_factory=RecordDoc)
    operations: OperationsDoc = Field(default_factory=OperationsDoc)
    book: BookDoc = Field(default_factory=BookDoc)


@lru_cache(maxsize=1)
def _model() -> Scorecard:
    return from_json(shipped_artifact())


@lru_cache(maxsize=1)
def _model_version() -> str:
    return str(json.loads(shipped_artifact())["model_version"])


def _score(doc: AssessDoc, market_value: Decimal, subject: dict[str, Any]) -> ScoreFacts:
    rid = ResidentId(doc.borrower.resident_id)
    row = {
        "amount": float(doc.loan.amount),
        "term_months": doc.loan.term_months,
        "repayment_method": doc.loan.repayment_method.value,
        "submitted_on": pd.Timestamp(doc.application_date),
        "segment": doc.borrower.segment.value,
        "birth_date": pd.Timestamp(rid.birth_date),
        "household_income": float(doc.borrower.household_income),
        "dependants": doc.borrower.dependants,
        "bureau_overdue_accounts": doc.borrower.bureau_overdue_accounts,
        "bureau_max_dpd_24m": doc.borrower.bureau_max_dpd_24m,
        "bureau_hard_inquiries_3m": doc.borrower.bureau_hard_inquiries_3m,
        "bureau_npl_elsewhere": doc.borrower.bureau_npl_elsewhere,
        "other_monthly_debt": float(doc.borrower.other_monthly_debt),
        "property_type": str(subject.get("property_type")),
        "build_year": subject.get("build_year"),
        "floor_area": float(subject.get("floor_area", 0)),
        "appraised_value": float(doc.collateral_record.appraised_value or market_value),
        "branch_kind": doc.region_kind,
    }
    features = build_features(pd.DataFrame([row]))
    model = _model()
    return ScoreFacts(
        float(model.pd(features)[0]), str(model.grade(features)[0]), int(model.score(features)[0])
    )


def assess_document(document: dict[str, Any]) -> dict[str, Any]:
    """Flags, PD, grade, valuation, LTV, LGD, EL, decision, limit, price and reasons."""
    try:
        doc = AssessDoc.model_validate(document)
    except ValidationError as exc:
        field, reason = first_error(exc)
        raise InvalidInput(reason, field=field) from None
    try:
        request = ValuationRequest.from_dict(
            {
                **doc.collateral,
                "valuation_date": doc.application_date.isoformat(),
                "loan_amount": str(doc.loan.amount),
                "region_kind": doc.region_kind,
            }
        )
        valuation = request.run(ValuationParams.load_default())
        subject = dict(doc.collateral.get("subject", {}))
        score = _score(doc, valuation.market_value, subject)
        b, loan, rec = doc.borrower, doc.loan, doc.collateral_record
        s = request.subject
        policy = CreditPolicy.load_default()
        rules: RuleSet = default_ruleset()
        figures = UnionFigures.load_default()
        outcome = assess_application(
            BorrowerFacts(
                birth_date=ResidentId(b.resident_id).birth_date,
                segment=b.segment.value,
                household_income=b.household_income,
                dependants=b.dependants,
                other_monthly_debt=b.other_monthly_debt,
                bureau_overdue_accounts=b.bureau_overdue_accounts,
                bureau_max_dpd_24m=b.bureau_max_dpd_24m,
                bureau_hard_inquiries_3m=b.bureau_hard_inquiries_3m,
                bureau_npl_elsewhere=b.bureau_npl_elsewhere,
                events={
                    "court_enforcement": b.court_enforcement,
                    "dishonest_debtor": b.dishonest_debtor,
                    "spending_restricted": b.dishonest_debtor,
                    "lawsuits_pending": b.lawsuits_pending,
                    "abnormal_operation": b.abnormal_operation,
                },
            ),
            LoanFacts(
                amount=loan.amount,
                term_months=loan.term_months,
                repayment_method=loan.repayment_method,
                purpose=loan.purpose,
                purchase_price=loan.purchase_price,
                first_home=loan.first_home,
                co_owner_consent=loan.co_owner_consent,
            ),
            CollateralRecord(
                property_type=s.property_type.value,
                land_nature=s.land_nature.value,
                structure=None if s.structure is None else s.structure.value,
                build_year=s.build_year,
                floor_area=s.floor_area,
                land_term_remaining=s.land_term_remaining,
                appraised_value=rec.appraised_value,
                appraisal_date=rec.appraisal_date,
                registration_status=rec.registration_status,
                seized=s.seized,
                existing_mortgage=rec.existing_mortgage,
                small_property_rights=s.small_property_rights,
                illegal_building=s.illegal_building,
                other_open_applications=rec.other_open_applications,
            ),
            valuation,
            score,
            Operations(
                visit_done=doc.operations.visit_done,
                income_verified=doc.operations.income_verified,
                documents_complete=doc.operations.documents_complete,
            ),
            rules=rules,
            policy=policy,
            book=BookState(
                all_loans=figures.all_loans,
                real_estate_loans=doc.book.real_estate_loans,
                personal_housing_loans=doc.book.personal_housing_loans,
                net_capital=figures.net_capital,
                borrower_exposure=doc.book.borrower_exposure,
            ),
            on=doc.application_date,
        )
    except DomainError as exc:
        raise InvalidInput(exc.reason, field=exc.field) from None
    decision = outcome.decision.to_dict()
    return {
        "recommendation": decision["recommendation"],
        "recommendation_zh": decision["recommendation_zh"],
        "flags": [
            {
                "rule_id": f.rule_id,
                "category": str(f.category),
                "severity": str(f.severity),
                "zh": f.message_zh,
                "en": f.message_en,
            }
            for f in outcome.screening.flags
        ],
        "pd": score.pd,
        "grade": score.grade,
        "score": score.score,
        "valuation": valuation.to_dict(),
        "ltv": valuation.ltv,
        "lgd": None if valuation.lgd is None else valuation.lgd.lgd,
        "expected_loss": decision["expected_loss"],
        "limit": decision["limit"],
        "price": decision["price"],
        "reasons": decision["reasons"],
        "decision": decision,
        "versions": {
            "scorecard": _model_version(),
            "rules": rules.version,
            "valuation_params": valuation.params_version,
            "credit_policy": policy.version,
            "union_figures": figures.version,
        },
    }
