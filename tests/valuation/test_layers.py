"""Value layers, cap table, LTV/CLTV, reconciliation rules and valuate() input errors."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from mortgage_risk.domain import DomainError
from mortgage_risk.valuation.income import IncomeInput
from mortgage_risk.valuation.layers import PriorityClaim, PriorityClaims, value_layers
from mortgage_risk.valuation.reconcile import reconcile
from mortgage_risk.valuation.valuate import valuate

from ._support import COMPARABLES, OBSERVED, PARAMS, VALUATION_DATE, house


def test_layers_ltv_cltv_and_cap() -> None:
    lay = value_layers(Decimal(298600), [PriorityClaim("prior_mortgage", Decimal(50000))],
                       PARAMS, property_type="urban_housing", land_nature="state_granted",
                       region_kind="county_town", loan_amount=Decimal(140000))
    assert lay.mortgage_value == 248600 and lay.net_mortgage_value == Decimal("233670.00")
    assert lay.enforcement_cost_total == Decimal("14930.00")
    assert lay.ltv == pytest.approx(140000 / 248600)
    assert lay.cltv == pytest.approx(190000 / 298600)
    assert lay.cap == 0.7 and lay.within_cap


def test_cap_table_specificity_and_grades() -> None:
    table = PARAMS.mortgage_rate_cap
    assert table.lookup("urban_housing", "village", None).cap == 0.6
    assert table.lookup("urban_housing", "village", "D").cap == 0.3
    assert table.lookup("shop", "town", "A1").cap == 0.6
    assert table.lookup("forest", "town", None).cap == 0.5


def test_cap_base_is_configurable() -> None:
    params = replace(PARAMS, mortgage_rate_cap=replace(PARAMS.mortgage_rate_cap,
                                                       applies_to="net_mortgage_value"))
    lay = value_layers(Decimal(298600), [PriorityClaim("prior_mortgage", Decimal(50000))],
                       params, property_type="urban_housing", land_nature="state_granted",
                       region_kind="village")
    assert lay.max_loan == Decimal("140202.0000")


def test_second_charge_option() -> None:
    params = replace(PARAMS, priority_claims=replace(
        PARAMS.priority_claims, prior_mortgage_method="balance_over_typical_ltv"))
    lay = value_layers(Decimal(298600), [PriorityClaim("prior_mortgage", Decimal(70000))],
                       params, property_type="urban_housing", land_nature="state_granted")
    assert lay.mortgage_value == Decimal(198600)


def test_claims_beyond_value_and_allocated_land_warning() -> None:
    lay = value_layers(Decimal(1000), [PriorityClaim("tax_arrears", Decimal(5000))], PARAMS,
                       property_type="shop", land_nature="state_allocated")
    assert lay.mortgage_value == 0 and lay.net_mortgage_value == 0
    assert any("land grant fee" in w for w in lay.warnings)
    with pytest.raises(DomainError) as err:
        value_layers(Decimal(1000), [PriorityClaim("gambling_debt", Decimal(1))], PARAMS,
                     property_type="shop", land_nature="state_granted")
    assert err.value.field == "claims"


def test_reconcile_spread_rules() -> None:
    with pytest.raises(DomainError) as err:
        reconcile({"market": Decimal(120), "cost": Decimal(100)}, {"market": 0.6, "cost": 0.4})
    assert err.value.field == "explanation"
    r = reconcile({"market": Decimal(120), "cost": Decimal(100)}, {"market": 0.6, "cost": 0.4},
                  explanation="thin market; comparables from the county town")
    assert r.requires_explanation and r.method == "weighted"
    low = reconcile({"market": Decimal(140), "cost": Decimal(100)},
                    {"market": 0.6, "cost": 0.4}, explanation="see report")
    assert low.method == "lowest" and low.value == 100


def test_valuate_to_dict_is_json() -> None:
    r = valuate(house(), PARAMS, valuation_date=VALUATION_DATE, observed=OBSERVED,
                comparables=COMPARABLES, claims=PriorityClaims.of(prior_mortgage=50000),
                loan_amount=Decimal(140000), borrower_grade="A2", region_kind="county_town")
    d = json.loads(json.dumps(r.to_dict(), ensure_ascii=False))
    assert d["market_value"] == "298600" and d["params_version"] == PARAMS.version
    assert d["mortgage_value"] == "248600.00" and d["net_mortgage_value"] == "233670.00"
    assert d["eligible"] is True and d["lgd"]["lgd"] >= PARAMS.lgd.floor
    assert set(d["indications"]) == {"cost", "market"}
    assert d["ltv"] == pytest.approx(140000 / 248600)
    assert d["cost"]["building"]["newness"]["newness_rate"] == pytest.approx(0.6872)


def test_valuate_shop_with_income() -> None:
    shop = house(property_type="shop", structure="reinforced_concrete", land_grade="2",
                 floor_area="80", land_area="40", completion_date=date(2015, 6, 30),
                 land_term_remaining=30, land_factor_adjustments={}, plot_ratio=1.4,
                 functional_obsolescence="0")
    inc = IncomeInput(cap_rate=0.065, noi=Decimal("28156.736"))
    r = valuate(shop, PARAMS, valuation_date=VALUATION_DATE, income=inc,
                approaches={"income"})
    assert r.approaches == ("income",)
    assert float(r.reconciliation.value) == pytest.approx(367689.69, abs=0.01)
    assert r.market_value == Decimal(367700)


@pytest.mark.parametrize(("changes", "kwargs", "field"), [
    ({"property_type": "castle"}, {}, "property_type"),
    ({"structure": "glass"}, {}, "structure"),
    ({"floor_area": "0"}, {}, "floor_area"),
    ({"floor_area": "-5"}, {}, "floor_area"),
    ({"completion_date": date(2026, 1, 1)}, {}, "completion_date"),
    ({"completion_date": None, "build_year": 2030}, {}, "build_year"),
    ({"land_term_remaining": 75}, {}, "land_term_remaining"),
    ({}, {"approaches": {"market"}}, "comparables"),
    ({}, {"approaches": {"income"}}, "income"),
    ({}, {"approaches": {"magic"}}, "approaches"),
    ({}, {"region_kind": "moon"}, "region_kind"),
    ({"land_grade": None}, {}, "land_grade"),
])
def test_bad_input_names_the_field(changes: dict[str, object], kwargs: dict[str, object],
                                   field: str) -> None:
    with pytest.raises(DomainError) as err:
        valuate(house(**changes), PARAMS, valuation_date=VALUATION_DATE,
                **kwargs)
    assert err.value.field == field
