"""Reference cases T01-T23 and T27-T29 of reference-valuation.md §8.

Tolerance: 1e-6 relative, or equality at the printed precision of the document's value
(the document prints cents and rounded factors).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from mortgage_risk.valuation.cost import CostBuildup, cost_approach, replacement_cost_closed_form
from mortgage_risk.valuation.income import IncomeInput, capitalise, net_operating_income
from mortgage_risk.valuation.land import benchmark_land_price, land_term_factor
from mortgage_risk.valuation.layers import PriorityClaims, mortgage_value
from mortgage_risk.valuation.lgd import resolve_scenarios, scenario_lgd
from mortgage_risk.valuation.market import sales_comparison
from mortgage_risk.valuation.newness import (
    age_life_newness,
    combined_newness,
    effective_life,
    score_newness,
)
from mortgage_risk.valuation.reconcile import reconcile
from mortgage_risk.valuation.rural import farmer_pledge_loan, land_management_right_value
from mortgage_risk.valuation.valuate import valuate

from ._support import COMPARABLES, OBSERVED, PARAMS, VALUATION_DATE, house, matches


@pytest.mark.parametrize(("case", "args", "expected"), [
    ("T01", (20, 50, 0.02), "0.608"),
    ("T02", (20, 60, 0.0), "0.666667"),
    ("T03", (20, 40, 0.04), "0.52"),
    ("T04", (5, 10, 0.0), "0.5"),
    ("T05", (60, 50, 0.02), "0.02"),
    ("T06", (15, 50, 0.02), "0.706"),
])
def test_t01_t06_age_life(case: str, args: tuple[float, float, float], expected: str) -> None:
    assert matches(age_life_newness(*args), expected), case


def test_t07_land_term_truncation() -> None:
    eff = effective_life(10, 60, 0.0, remaining_land_term=29, residential=False,
                         reverts_without_compensation=True)
    assert eff.truncated and eff.economic_life == 39 and eff.residual_rate == 0
    assert matches(age_life_newness(10, eff.economic_life, eff.residual_rate), "0.743590")
    own = effective_life(10, 60, 0.0, remaining_land_term=29, residential=False)
    assert matches(age_life_newness(10, own.economic_life, own.residual_rate), "0.833333")


def test_t08_score() -> None:
    assert matches(score_newness(85, 80, 70, (0.8, 0.1, 0.1)), "0.83")


def test_t09_combined() -> None:
    q_age = age_life_newness(22, 50, 0.0)
    q_score = score_newness(75, 70, 50, (0.5, 0.4, 0.1))
    assert matches(q_age, "0.56") and matches(q_score, "0.705")
    assert matches(combined_newness(q_age, q_score, 0.4), "0.647")


@pytest.mark.parametrize(("case", "args", "expected"), [
    ("T10", (0.06, 45, 50), "0.980584"),
    ("T11", (0.08, 70, 50), "1.017112"),
    ("T12a", (0.065, 20, 40), "0.778939"),
    ("T12b", (0.065, 1, 40), "0.066379"),
    ("T12c", (0.065, 10, 40), "0.508205"),
])
def test_t10_t12_land_term_factor(case: str, args: tuple[float, float, float],
                                  expected: str) -> None:
    assert matches(land_term_factor(*args), expected), case


def test_t12_table_values() -> None:
    for m, table in ((20, "0.7789"), (1, "0.0664"), (10, "0.5082")):
        assert matches(land_term_factor(0.065, m, 40), table)


def test_t13_benchmark_land_price() -> None:
    assert matches(benchmark_land_price(500, -0.13, 1.06, 1.51, 0, 0.97), "675.37317")


def test_t14_land_of_the_house() -> None:
    assert matches(land_term_factor(0.06, 49, 70), "0.958682")
    land = cost_approach(house(), PARAMS, valuation_date=VALUATION_DATE, observed=OBSERVED).land
    assert land.kv == pytest.approx(1.048)
    assert matches(land.unit_price, "1403.3636")
    assert matches(land.value, "140336.36")


def test_t15_mortgage_value() -> None:
    assert mortgage_value(Decimal(8000), [Decimal(2000)]) == Decimal(6000)


def test_t16_t17_cost_value_of_the_house() -> None:
    result = cost_approach(house(), PARAMS, valuation_date=VALUATION_DATE, observed=OBSERVED)
    building = result.building
    assert building is not None
    assert building.replacement_cost == Decimal(240000)
    assert matches(building.newness.q_age, "0.608")
    assert matches(building.newness.q_score or 0, "0.74")
    assert matches(building.newness.newness_rate, "0.6872")
    assert matches(building.depreciated, "164928")
    assert matches(building.value, "159928")
    # The document rounds land to CNY 1 (140,336) before adding: 300,264.
    assert matches(result.value, "300264")
    assert round(result.land.value) + building.value == Decimal(300264)
    assert result.warnings == ()


def test_t18_b1_unit_buildup() -> None:
    b1 = CostBuildup(Decimal(1560), utilities=Decimal(40), other=Decimal(20))
    result = b1.compute(PARAMS.cost_buildup)
    assert matches(result.value, "2003.0884")
    assert matches(result.construction, "1713.60")
    assert matches(result.management, "51.41")
    assert matches(result.interest, "26.28")
    assert matches(result.profit, "211.80")


def test_t19_b2_closed_form() -> None:
    r = replacement_cost_closed_form(1_000_000, 2_500_000, 75_000, selling_rate=0.03,
                                     sales_tax_rate=0.056, interest_rate=0.035,
                                     period_years=2, profit_rate=0.15)
    assert matches(r.value, "4703175.74")
    assert matches(r.selling, "141095.27")
    assert matches(r.interest, "166288.33")
    assert matches(r.profit, "557414.29")
    assert matches(r.sales_tax, "263377.84")
    parts = r.land + r.construction + r.management + r.selling + r.interest + r.profit
    assert matches(parts + r.sales_tax, str(r.value), rel=1e-12)


def test_t20_sales_comparison() -> None:
    m = sales_comparison(Decimal(120), COMPARABLES, PARAMS.market,
                         valuation_date=VALUATION_DATE)
    by_id = {c.id: c for c in m.comparables}
    for cid, price, factor, gross, weight in (("A", "2391.31", "0.9197", "8.48", "0.3114"),
                                              ("B", "2559.50", "1.0447", "9.79", "0.2695"),
                                              ("C", "2491.35", "0.9401", "6.30", "0.4191")):
        c = by_id[cid]
        assert c.included
        assert matches(c.indicated_price, price)
        assert matches(c.total_factor, factor)
        assert matches(c.gross_adjustment * 100, gross)
        assert matches(c.weight, weight)
    assert matches(m.dispersion_ratio, "1.070")
    assert matches(m.unit_price, "2478.57")
    assert matches(m.value, "297428.44")


def test_t21_reconcile() -> None:
    r = reconcile({"market": Decimal("297428.44"), "cost": Decimal(300264)},
                  {"market": 0.6, "cost": 0.4})
    assert matches(r.value, "298562.66")
    assert r.reported_value == Decimal(298600)
    assert matches(r.spread, "0.0095", rel=1e-3) and not r.requires_explanation


def test_t21_t22_full_valuation() -> None:
    result = valuate(house(), PARAMS, valuation_date=VALUATION_DATE, observed=OBSERVED,
                     comparables=COMPARABLES, claims=PriorityClaims.of(prior_mortgage=50000))
    assert matches(result.reconciliation.value, "298562.66")
    assert result.market_value == Decimal(298600)
    assert result.mortgage_value == Decimal(248600)
    assert result.net_mortgage_value == Decimal(233670)
    assert result.params_version == PARAMS.version


def test_t22_max_loan_at_60_percent() -> None:
    result = valuate(house(), PARAMS, valuation_date=VALUATION_DATE, observed=OBSERVED,
                     comparables=COMPARABLES, claims=PriorityClaims.of(prior_mortgage=50000),
                     region_kind="village", loan_amount=Decimal(140000))
    assert result.layers.cap == 0.6
    assert result.max_loan == Decimal(149160)


def test_t23_income() -> None:
    inp = IncomeInput(cap_rate=0.06, gross_annual_rent=Decimal(45 * 12 * 80), vacancy_rate=0.08,
                      property_tax_rate=0.12, vat_surcharge_rate=0.056, management_rate=0.03,
                      maintenance_rate_of_rc=0.015, insurance_rate_of_rc=0.002,
                      building_replacement_cost=Decimal(200000))
    noi = net_operating_income(inp)
    assert noi.effective_gross_income == Decimal(39744)
    assert matches(noi.operating_expenses, "11587.26")
    assert matches(noi.noi, "28156.736")
    assert matches(capitalise(noi.noi, 0.06), "469278.93")
    assert matches(capitalise(noi.noi, 0.065, 30), "367689.69")
    assert matches(capitalise(noi.noi, 0.065, 30, 0.01), "407619.45")


def test_t27_lgd() -> None:
    scenarios = resolve_scenarios(PARAMS.lgd.scenarios, PARAMS.forced_sale)
    assert [round(s.discount, 10) for s in scenarios] == [0.3, 0.44, 0.44]
    r = scenario_lgd(Decimal(150000), Decimal(290000), Decimal(50000), scenarios,
                     cost_rate=0.05, discount_rate=0.05, floor=PARAMS.lgd.floor)
    lgds = [s.lgd for s in r.scenarios]
    for got, expected in zip(lgds, ("0.114874", "0.369433", "0.384630"), strict=True):
        assert matches(got, expected)
    for got, expected in zip([s.recovery for s in r.scenarios], ("132769", "94585", "92306"),
                             strict=True):
        assert matches(got, expected)
    assert matches(r.expected_recovery, "113221")
    assert matches(r.lgd, "0.245193")


def test_t28_land_management_right() -> None:
    assert matches(land_management_right_value(100, 800, 8, 0.05), "517057.02")


def test_t29_pingluo_farmer_formula() -> None:
    assert farmer_pledge_loan(800, 10, 3, 0.5) == Decimal(12000)
