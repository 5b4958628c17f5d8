"""Flags cases: a book application as the identification facts the rule engine screens.

The facts come from :func:`mortgage_risk.control.assessment.build_facts` (the function the
system's assessment uses) with the application, borrower and property of the book, the
shipped scorecard's PD and grade, a valuation of the collateral by the valuation engine and
the loan officer's work (drawn: the book does not hold it).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache
from importlib.resources import files
from typing import Any

import numpy as np
import pandas as pd

from mortgage_risk.control.assessment import (
    BorrowerFacts,
    CollateralRecord,
    LoanFacts,
    Operations,
    ScoreFacts,
    build_facts,
)
from mortgage_risk.control.policy import CreditPolicy
from mortgage_risk.domain import DomainError, EventType, RepaymentMethod, ResidentId
from mortgage_risk.identification import default_schema
from mortgage_risk.scoring import artifact
from mortgage_risk.scoring.application_features import build_features
from mortgage_risk.scoring.scorecard import Scorecard
from mortgage_risk.training.case import Case
from mortgage_risk.training.engine_calls import screen_case
from mortgage_risk.training.jsondata import jsonable
from mortgage_risk.training.property_docs import (
    comparables_for,
    has_building,
    index_for,
    subject_of,
)
from mortgage_risk.training.source import Record, Source
from mortgage_risk.valuation import ValuationResult
from mortgage_risk.valuation.request import ValuationRequest

EXPLANATION = "培训案例：按可比案例估值 / training case: valued by comparables"


@lru_cache(maxsize=1)
def shipped_scorecard() -> Scorecard:
    text = (files("mortgage_risk.scoring") / "models" / "mortgage-default.json").read_text(
        encoding="utf-8")
    return artifact.from_json(text)


def _scores(src: Source, app_ids: list[int]) -> dict[int, ScoreFacts]:
    """PD, grade and points of the shipped scorecard for each application (as submitted)."""
    rows = []
    for i in app_ids:
        app = src.applications[i]
        b = src.borrowers[int(app["borrower_id"])]
        p = src.properties[int(app["property_id"])]
        rows.append({**{k: b[k] for k in ("segment", "birth_date", "household_income",
                                          "dependants", "bureau_overdue_accounts",
                                          "bureau_max_dpd_24m", "bureau_hard_inquiries_3m",
                                          "bureau_npl_elsewhere", "other_monthly_debt")},
                     **{k: p[k] for k in ("property_type", "build_year", "floor_area",
                                          "appraised_value")},
                     **{k: app[k] for k in ("amount", "term_months", "repayment_method",
                                            "submitted_on")},
                     "branch_kind": src.branch_kind[int(app["branch_id"])]})
    if not rows:
        return {}
    model = shipped_scorecard()
    features = build_features(pd.DataFrame(rows))
    pds, points, grades = model.pd(features), model.score(features), model.grade(features)
    return {i: ScoreFacts(float(pds[k]), str(grades[k]), int(round(float(points[k]))))
            for k, i in enumerate(app_ids)}


def event_facts(events: list[Record]) -> dict[str, Any]:
    """External records as identification facts; name-only matches never count as a hit
    (the rule of the system's assessment)."""
    kinds = {e["event_type"] for e in events if e.get("match_confidence") == "resident_id"}
    return {
        "court_enforcement": "court_enforcement" in kinds,
        "dishonest_debtor": "dishonest_debtor" in kinds,
        "spending_restricted": "dishonest_debtor" in kinds,
        "lawsuits_pending": sum(1 for e in events if e["event_type"] == "lawsuit"),
        "abnormal_operation": bool(kinds & {"abnormal_operation", "business_deregistration"}),
        "name_only_match": any(e.get("match_confidence") == "name_only" for e in events),
    }


def _valid_id(raw: str) -> bool:
    try:
        ResidentId(raw)
    except ValueError:
        return False
    return True


def valuation_document(src: Source, prop: Record, branch_kind: str, on: date,
                       loan_amount: float) -> dict[str, Any]:
    comps = comparables_for(src, prop, on)
    return {"valuation_date": on.isoformat(), "subject": subject_of(src, prop, branch_kind),
            "comparables": comps, "approaches": ["market"] if comps else ["cost"],
            "region_kind": branch_kind, "price_index_at_valuation": index_for(src, on).level(on),
            "loan_amount": str(loan_amount), "explanation": EXPLANATION}


def _facts(src: Source, app: Record, score: ScoreFacts, rng: np.random.Generator
           ) -> tuple[dict[str, Any], ValuationResult, list[Record]]:
    on: date = app["submitted_on"]
    b = src.borrowers[int(app["borrower_id"])]
    p = src.properties[int(app["property_id"])]
    kind = src.branch_kind[int(app["branch_id"])]
    events = src.borrower_events(int(b["id"]), on)
    valuation = ValuationRequest.from_dict(
        valuation_document(src, p, kind, on, float(app["amount"]))).run(src.engines.valuation)
    ops = src.config.cases.operations
    borrower = BorrowerFacts(
        birth_date=b["birth_date"], segment=b["segment"],
        household_income=Decimal(str(b["household_income"])), dependants=b["dependants"],
        other_monthly_debt=Decimal(str(b["other_monthly_debt"])),
        bureau_overdue_accounts=b["bureau_overdue_accounts"],
        bureau_max_dpd_24m=b["bureau_max_dpd_24m"],
        bureau_hard_inquiries_3m=b["bureau_hard_inquiries_3m"],
        bureau_npl_elsewhere=b["bureau_npl_elsewhere"],
        resident_id_valid=_valid_id(str(b["resident_id"])), events=event_facts(events))
    loan = LoanFacts(
        amount=Decimal(str(app["amount"])), term_months=app["term_months"],
        repayment_method=RepaymentMethod(app["repayment_method"]), purpose=app["purpose"],
        purchase_price=(None if app["purchase_price"] is None
                        else Decimal(str(app["purchase_price"]))),
        first_home=app["first_home"], co_owner_consent=app["co_owner_consent"])
    collateral = CollateralRecord(
        property_type=p["property_type"], land_nature=p["land_nature"],
        structure=p["structure"], build_year=p["build_year"],
        floor_area=Decimal(str(p["floor_area"])),
        land_term_remaining=p["land_term_remaining_years"],
        appraised_value=Decimal(str(p["appraised_value"])), appraisal_date=p["appraisal_date"],
        seized=p["seized"], existing_mortgage=p["existing_mortgage"],
        small_property_rights=p["small_property_rights"],
        illegal_building=p["illegal_building"])
    work = Operations(
        visit_done=bool(rng.random() < ops.get("visit_done", 1.0)),
        income_verified=bool(rng.random() < ops.get("income_verified", 1.0)),
        documents_complete=bool(rng.random() < ops.get("documents_complete", 1.0)),
        application_channel=("intermediary" if rng.random() < ops.get("intermediary_channel",
                                                                      0.0) else "branch"))
    facts = build_facts(borrower, loan, collateral, valuation, score, work,
                        CreditPolicy.load_default(), on)
    return facts, valuation, events


def _material(src: Source, app: Record, facts: dict[str, Any], events: list[Record]
              ) -> dict[str, Any]:
    b = src.borrowers[int(app["borrower_id"])]
    schema = default_schema()
    groups: dict[str, list[dict[str, Any]]] = {}
    for name, value in facts.items():
        fact = schema.get(name)
        if fact is None:
            continue
        groups.setdefault(fact.group, []).append(
            {"name": name, "zh": fact.description_zh, "en": fact.description_en,
             "unit": fact.unit, "value": value})
    male = int(str(b["resident_id"])[16]) % 2 == 1
    return {
        "applicant": {
            "name": src.anonymiser.name(int(b["id"])),
            "resident_id": src.anonymiser.resident_id(int(b["id"]), b["birth_date"], male,
                                                       bool(facts["resident_id_valid"])),
            "address": src.anonymiser.address(str(b["township"])),
            "branch_kind": src.branch_kind[int(app["branch_id"])],
        },
        "application_date": app["submitted_on"],
        "facts": groups,
        "external_records": [
            {"event_type": e["event_type"], "zh": EventType(e["event_type"]).label_zh,
             "en": EventType(e["event_type"]).label_en, "date": e["event_date"],
             "match": e["match_confidence"], "source": e["source"],
             "detail": src.scrub(str(e["detail"]))} for e in events],
    }


def _difficulty(src: Source, fired: int) -> str:
    cut = src.config.cases.difficulty.get("flags", {})
    if fired >= int(cut.get("hard", 4)):
        return "hard"
    return "medium" if fired >= int(cut.get("medium", 2)) else "easy"


def flag_cases(src: Source, n: int) -> list[Case]:
    """Up to ``n`` flags cases, declined and approved applications in turn."""
    rng = src.rng("flags")
    ok = [a for a in src.applications.values()
          if has_building(src.properties[int(a["property_id"])])
          and src.properties[int(a["property_id"])]["build_year"] <= a["submitted_on"].year]
    pools = [[a["id"] for a in ok if a["status"] == s] for s in ("declined", "disbursed")]
    pools = [list(rng.permutation(p)) for p in pools]
    order = [int(x) for pair in _interleave(pools) for x in pair]
    scores = _scores(src, order)
    topic = src.config.topic_of("flags")
    cases: list[Case] = []
    for app_id in order:
        if len(cases) >= n:
            break
        app = src.applications[app_id]
        try:
            facts, _, events = _facts(src, app, scores[app_id], rng)
        except DomainError:
            continue
        engine_input = jsonable({"facts": facts})
        fired = screen_case(engine_input, src.engines.rules).fired
        cases.append(Case(
            id=f"FLG-{src.seed}-{len(cases) + 1:03d}", type="flags", topic=topic,
            difficulty=_difficulty(src, len(fired)),
            material=_material(src, app, facts, events),
            engine_input=engine_input))
    return cases


def _interleave(pools: list[list[Any]]) -> list[list[Any]]:
    longest = max((len(p) for p in pools), default=0)
    return [[p[i] for p in pools if i < len(p)] for i in range(longest)]
