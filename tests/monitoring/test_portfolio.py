"""Portfolio indicators on a small hand-made book; migration, vintages, roll rates."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from mortgage_risk.monitoring import portfolio as pf
from mortgage_risk.monitoring.classification import classify
from mortgage_risk.monitoring.policy import MonitoringPolicy

POLICY = MonitoringPolicy.load_default()
AS_OF = date(2026, 11, 28)


def small_book() -> pd.DataFrame:
    return pd.DataFrame({
        "loan_id": [1, 2, 3, 4, 5],
        "balance": [100.0, 200.0, 300.0, 100.0, 300.0],
        "days_past_due": [0, 40, 100, 300, 0],
        "category": ["normal", "special_mention", "substandard", "doubtful", "normal"],
        "provision": [10.0, 20.0, 100.0, 50.0, 5.0],
        "branch_id": [1, 1, 2, 2, 2],
        "property_type": ["urban_housing", "shop", "rural_house", "factory_warehouse",
                          "urban_housing"],
    })


def value(tidy: pd.DataFrame, indicator: str, dim: str = "union", group: object = "all") -> float:
    row = tidy[(tidy["dimension"] == dim) & (tidy["group"] == group)
               & (tidy["indicator"] == indicator)]
    assert len(row) == 1
    return float(row["value"].iloc[0])


def test_ratios_on_a_hand_made_book() -> None:
    tidy = pf.indicators(small_book(), policy=POLICY, by=["branch_id"])
    assert value(tidy, "total_balance") == 1000.0
    assert value(tidy, "npl_ratio") == pytest.approx(0.4)
    assert value(tidy, "provision_coverage") == pytest.approx(185 / 400)
    assert value(tidy, "loan_provision_ratio") == pytest.approx(0.185)
    assert value(tidy, "dpd90_to_npl") == pytest.approx(1.0)
    assert value(tidy, "par30") == pytest.approx(0.6)
    assert value(tidy, "par90") == pytest.approx(0.4)
    assert value(tidy, "npl_ratio", "branch_id", 1) == 0.0
    assert math.isnan(value(tidy, "provision_coverage", "branch_id", 1))
    assert value(tidy, "npl_ratio", "branch_id", 2) == pytest.approx(400 / 700)
    breach = tidy.set_index(["dimension", "group", "indicator"])["breach"]
    assert breach[("union", "all", "npl_ratio")]  # 40% > 5%
    assert breach[("union", "all", "provision_coverage")]  # 46% < 120%
    assert not breach[("union", "all", "loan_provision_ratio")]  # 18.5% >= 1.5%
    assert list(tidy.columns) == list(pf.INDICATOR_COLUMNS)


def test_dpd90_to_npl_above_one_when_a_90_dpd_loan_is_not_npl() -> None:
    book = small_book()
    book.loc[2, "category"] = "special_mention"  # 100 DPD but not NPL: misclassified
    tidy = pf.indicators(book, policy=POLICY)
    assert value(tidy, "dpd90_to_npl") == pytest.approx(400 / 100)


def test_concentration_against_limits() -> None:
    c = pf.concentration(small_book(), policy=POLICY, total_loans=5000.0, by=["branch_id"])
    union = c[c["dimension"] == "union"].set_index("limit")
    # real estate: urban housing, shop, rural house, urban housing = 900 of 5000
    assert union.loc["real_estate", "share"] == pytest.approx(0.18)
    assert union.loc["real_estate", "breach"]
    assert union.loc["real_estate", "headroom"] == pytest.approx(0.175 * 5000 - 900)
    # personal housing: 100 + 300 + 300 = 700 -> 14% > 12.5%
    assert union.loc["personal_housing", "share"] == pytest.approx(0.14)
    groups = c[(c["dimension"] == "branch_id") & (c["limit"] == "personal_housing")]
    assert groups["balance"].sum() == pytest.approx(700.0)


def test_migration_matrix_rows_sum_to_one() -> None:
    before = pd.DataFrame({"loan_id": [1, 2, 3, 4, 5, 6],
                           "category": ["normal", "normal", "normal", "special_mention",
                                        "substandard", "loss"],
                           "balance": [100.0, 300.0, 600.0, 50.0, 80.0, 10.0]})
    after = pd.DataFrame({"loan_id": [1, 2, 4, 5],
                          "category": ["normal", "special_mention", "substandard", "normal"],
                          "balance": [90.0, 290.0, 50.0, 70.0]})
    counts = pf.migration_matrix(before, after, shares=False)
    assert counts.loc["normal", "normal"] == 1
    assert counts.loc["normal", "closed"] == 1
    shares = pf.migration_matrix(before, after)
    sums = shares.sum(axis=1)
    assert np.allclose(sums[["normal", "special_mention", "substandard", "loss"]], 1.0)
    assert sums["doubtful"] == 0.0
    bal = pf.migration_matrix(before, after, measure="balance")
    assert bal.loc["normal", "special_mention"] == pytest.approx(0.3)
    assert bal.loc["normal", "closed"] == pytest.approx(0.6)
    assert np.allclose(bal.sum(axis=1)[["normal", "loss"]], 1.0)


def history(loan_id: int, first_due: date, n: int, late: dict[int, int]) -> pd.DataFrame:
    rows = []
    for k in range(1, n + 1):
        due = (pd.Timestamp(first_due) + pd.DateOffset(months=k - 1)).date()
        d = late.get(k, 0)
        paid = None if d < 0 else due + timedelta(days=d)
        rows.append({"loan_id": loan_id, "period_no": k, "due_date": due, "amount_due": 10.0,
                     "amount_paid": 0.0 if paid is None else 10.0, "paid_date": paid,
                     "days_past_due": 0})
    return pd.DataFrame(rows)


def test_roll_rates_follow_a_missed_payment() -> None:
    # loan 1 stops paying with the installment due 2026-08-15; loan 2 always pays
    reps = pd.concat([history(1, date(2026, 1, 15), 11, dict.fromkeys(range(8, 12), -1)),
                      history(2, date(2026, 1, 15), 11, {})], ignore_index=True)
    rr = pf.roll_rates(reps, as_of=AS_OF, policy=POLICY, months=4)
    m = pf.roll_rate_matrix(rr, POLICY)
    # month ends Jul 31 .. Oct 31 and the as-of date; loan 1 is 16, 46, 77, 105 days past due
    assert m.loc["current", "current"] == pytest.approx(4 / 5)  # loan 2 four times
    assert m.loc["current", "1-30"] == pytest.approx(1 / 5)     # loan 1, Jul -> Aug
    assert m.loc["1-30", "31-60"] == pytest.approx(1.0)
    assert m.loc["31-60", "61-90"] == pytest.approx(1.0)
    assert m.loc["61-90", "91-180"] == pytest.approx(1.0)
    for _, g in rr.groupby("from_bucket"):
        assert g["share"].sum() == pytest.approx(1.0)
    dpd = pf.dpd_at(reps, AS_OF)
    assert dpd[1] == (AS_OF - date(2026, 8, 15)).days
    assert dpd[2] == 0


def test_vintage_curves_by_hand() -> None:
    loans = pd.DataFrame({"id": [1, 2, 3, 4],
                          "origination_date": [date(2025, 1, 1)] * 2 + [date(2025, 6, 1)] * 2})
    reps = pd.concat([
        history(1, date(2025, 2, 1), 22, {3: -1}),     # 91+ from 2025-07-02: month 7
        history(2, date(2025, 2, 1), 22, {}),
        history(3, date(2025, 7, 1), 17, {2: 40}),      # 30+ only
        history(4, date(2025, 7, 1), 17, {}),
    ], ignore_index=True)
    v = pf.vintage_curves(loans, reps, as_of=AS_OF, policy=POLICY).set_index("months_on_book")
    assert v.loc[6, "rate"] == 0.0
    assert v.loc[7, "rate"] == pytest.approx(0.25)
    assert v["rate"].is_monotonic_increasing
    assert v.index.max() == 17  # the vintage's youngest loan has 17 full months
    v30 = pf.vintage_curves(loans, reps, as_of=AS_OF, policy=POLICY, metric="dpd30")
    assert v30["rate"].iloc[-1] == pytest.approx(0.5)


def test_vintage_curves_monotone_on_the_synthetic_book() -> None:
    from mortgage_risk.synth import generate

    b = generate(2000, 3, AS_OF)
    for metric in pf.VINTAGE_METRICS:
        v = pf.vintage_curves(b.loans, b.repayments, as_of=AS_OF, policy=POLICY, metric=metric)
        assert not v.empty
        for _, g in v.groupby("vintage"):
            assert g.sort_values("months_on_book")["rate"].is_monotonic_increasing
    c = classify(b.loans, as_of=AS_OF, policy=POLICY)
    view = pf.loan_view(b.loans, c, properties=b.properties)
    tidy = pf.indicators(view, policy=POLICY, by=list(pf.DIMENSIONS[:3]))
    assert set(tidy["dimension"]) == {"union", "branch_id", "township", "property_type"}
    npl = value(tidy, "npl_ratio")
    assert 0.0 < npl < 0.2
    assert value(tidy, "dpd90_to_npl") == pytest.approx(1.0)
