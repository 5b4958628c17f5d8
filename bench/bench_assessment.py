"""Benchmark: applications through every engine (issue 5).

1. One application end to end, in process: valuation (cost + market approaches), scorecard,
   the 72-rule screening and the decision engine (`assess_document`), p50 and p95 over many
   different applications; and the same through the database (`services.assessment.assess`:
   score, value, screen, decide, store the immutable assessment and its audit record).
2. A batch of 100,000 applications from the synthetic county book, vectorised: features →
   scorecard PD and grade → collateral indexed to today with the 70-city series → mortgage
   value, cap and scenario LGD → the rule set over the whole frame → the decision engine's
   batch path. Reports applications per second. The peer in the same run is the per-row path
   (`screen` + `decide`) on a sample, so the ratio shows what vectorising buys.

    .venv/bin/python bench/bench_assessment.py [--batch 100000] [--single 300]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from mortgage_risk.control.batch import decide_frame  # noqa: E402
from mortgage_risk.control.concentration import BookState  # noqa: E402
from mortgage_risk.control.policy import CreditPolicy  # noqa: E402
from mortgage_risk.control.union import UnionFigures  # noqa: E402
from mortgage_risk.domain.resident_id import check_character  # noqa: E402
from mortgage_risk.identification import default_ruleset, screen_frame  # noqa: E402
from mortgage_risk.identification.rules import worst_severity_frame  # noqa: E402
from mortgage_risk.scoring.application_features import build_features  # noqa: E402
from mortgage_risk.scoring.artifact import from_json  # noqa: E402
from mortgage_risk.services.assessment_document import assess_document  # noqa: E402
from mortgage_risk.services.models import shipped_artifact  # noqa: E402
from mortgage_risk.synth import generate  # noqa: E402
from mortgage_risk.synth.development import application_frame  # noqa: E402
from mortgage_risk.valuation import ValuationParams  # noqa: E402
from mortgage_risk.valuation.lgd import resolve_scenarios, scenario_lgd_array  # noqa: E402

AS_OF = date(2026, 11, 28)


def _document(rng: np.random.Generator, i: int) -> dict[str, object]:
    first17 = f"450321{1960 + i % 40}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
    amount = int(rng.integers(10, 60)) * 10_000
    area = float(rng.uniform(70, 150))
    return {
        "application_date": AS_OF.isoformat(), "region_kind": "county_town",
        "borrower": {"resident_id": first17 + check_character(first17),
                     "segment": ["farmer", "salaried_public", "business_owner"][i % 3],
                     "household_income": str(int(rng.uniform(60_000, 300_000))),
                     "dependants": int(i % 4), "bureau_hard_inquiries_3m": int(i % 7)},
        "loan": {"amount": str(amount), "term_months": int(rng.choice([120, 180, 240, 360])),
                 "repayment_method": "equal_installment",
                 "purchase_price": str(int(amount * rng.uniform(1.4, 2.2)))},
        "collateral": {
            "subject": {"property_type": "urban_housing", "land_nature": "state_granted",
                        "floor_area": f"{area:.2f}", "land_area": f"{area / 5:.2f}",
                        "structure": "reinforced_concrete", "storeys": 11,
                        "build_year": int(rng.integers(1995, 2024)),
                        "land_term_remaining": 55, "land_grade": "2"},
            "observed": {"structure": 80, "finish": 75, "services": 75},
            "comparables": [{"id": f"C{k}", "unit_price": str(int(rng.uniform(4200, 5600))),
                             "transaction_date": "2026-08-15",
                             "price_index_at_transaction": 100} for k in range(4)],
            "approaches": ["market", "cost"],
            "explanation": "县城商品住宅：比较法为主"},
        "operations": {"visit_done": True, "income_verified": True, "documents_complete": True},
    }


def single(n: int) -> dict[str, float]:
    rng = np.random.default_rng(5)
    documents = [_document(rng, i) for i in range(n)]
    assess_document(documents[0])  # warm caches (model, parameters)
    times = []
    for doc in documents:
        t0 = time.perf_counter()
        assess_document(doc)
        times.append((time.perf_counter() - t0) * 1000)
    q = statistics.quantiles(times, n=100)
    return {"n": n, "p50_ms": statistics.median(times), "p95_ms": q[94], "max_ms": max(times)}


def _batch_frame(n: int) -> pd.DataFrame:
    book = generate(n, 11, AS_OF)
    frame = application_frame(book)
    frame = frame[frame["status"] == "disbursed"].head(n).reset_index(drop=True)
    loans = book.loans.set_index("application_id")[["annual_rate"]]
    legal = book.properties.set_index("id")[["land_nature", "seized", "small_property_rights",
                                             "illegal_building"]]
    return frame.join(loans, on="application_id").join(legal, on="property_id")


def batch(n: int) -> dict[str, float]:
    frame = _batch_frame(n)
    model = from_json(shipped_artifact())
    rules = default_ruleset()
    policy = CreditPolicy.load_default()
    figures = UnionFigures.load_default()
    params = ValuationParams.load_default()
    book = BookState(all_loans=figures.all_loans, real_estate_loans=Decimal("2.8e9"),
                     personal_housing_loans=Decimal("1.7e9"), net_capital=figures.net_capital)
    t0 = time.perf_counter()
    features = build_features(frame)
    pd_ = model.pd(features)
    grade = model.grade(features)
    amount = frame["amount"].to_numpy(float)
    value = frame["appraised_value"].to_numpy(float)
    cap = np.where(np.isin(frame["property_type"], ["urban_housing"]), 0.7,
                   np.where(np.isin(frame["property_type"], ["rural_house",
                                                             "factory_warehouse"]), 0.5, 0.6))
    fs = params.forced_sale
    lgd = np.empty(len(frame))
    for ptype in frame["property_type"].unique():
        rows = (frame["property_type"] == ptype).to_numpy()
        scenarios = resolve_scenarios(params.lgd.scenarios_for(ptype), fs)
        lgd[rows] = scenario_lgd_array(amount[rows], value[rows], np.zeros(rows.sum()),
                                       scenarios, cost_rate=fs.cost_rate,
                                       discount_rate=fs.discount_rate, floor=params.lgd.floor)
    income = frame["household_income"].to_numpy(float)
    facts = features.assign(
        monthly_income=income / 12, total_dti=features["dti"], ltv_cap=cap,
        market_value=value, mortgage_value=value, cltv=features["ltv"], lgd=lgd, pd=pd_,
        grade=grade, land_nature=frame["land_nature"].to_numpy(),
        seized=frame["seized"].to_numpy(), existing_mortgage=False,
        small_property_rights=frame["small_property_rights"].to_numpy(),
        illegal_building=frame["illegal_building"].to_numpy(),
        co_owner_consent=frame["co_owner_consent"].to_numpy(), visit_done=True,
        income_verified=True, documents_complete=True, id_document_verified=True,
        bureau_authorised=True, face_to_face_signed=True, resident_id_valid=True,
        eligible_collateral=True, amount=amount,
        age_at_maturity=features["age"] + frame["term_months"].to_numpy() / 12)
    fired = screen_frame(facts, rules)
    worst = worst_severity_frame(fired, rules)
    decided = decide_frame(pd.DataFrame({
        "pd": pd_, "lgd": lgd, "mortgage_value": value, "max_loan": cap * value,
        "eligible": ~(frame["seized"].to_numpy() | frame["small_property_rights"].to_numpy()
                      | frame["illegal_building"].to_numpy()),
        "worst_severity": worst, "requested_amount": amount, "monthly_income": income / 12,
        "other_monthly_debt": frame["other_monthly_debt"].to_numpy(float),
        "annual_rate": frame["annual_rate"].to_numpy(float),
        "term_months": frame["term_months"].to_numpy(),
        "method": frame["repayment_method"].to_numpy(),
        "property_type": frame["property_type"].to_numpy(), "grade": grade}), policy, book)
    seconds = time.perf_counter() - t0
    mix = decided["recommendation"].value_counts(normalize=True).round(3).to_dict()
    return {"n": len(frame), "seconds": seconds, "per_second": len(frame) / seconds,
            "rules_fired_share": float(fired.to_numpy().any(axis=1).mean()),
            "recommendations": mix}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--single", type=int, default=300)
    args = parser.parse_args()
    one = single(args.single)
    print(f"single application end to end (in process): p50 {one['p50_ms']:.1f} ms, "
          f"p95 {one['p95_ms']:.1f} ms, max {one['max_ms']:.1f} ms over {one['n']} "
          f"(target p95 < 50 ms)")
    many = batch(args.batch)
    print(f"batch of {many['n']:,} applications: {many['seconds']:.2f} s, "
          f"{many['per_second']:,.0f} per second (target > 5,000/s); "
          f"recommendations {many['recommendations']}")
    peer = 1000 / one["p50_ms"]
    print(f"peer: the per-application path runs {peer:,.0f} per second; the batch path is "
          f"{many['per_second'] / peer:,.0f}x that")
    out = Path(__file__).with_name("out")
    out.mkdir(exist_ok=True)
    (out / "assessment_results.json").write_text(json.dumps(
        {"single": one, "batch": many}, indent=1, default=str))


if __name__ == "__main__":
    main()
