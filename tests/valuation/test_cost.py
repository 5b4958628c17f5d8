"""Cost approach: newness inputs, unit cost table, build-up, obsolescence, warnings, errors."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from mortgage_risk.domain import DomainError
from mortgage_risk.valuation.cost import (
    CostBuildup,
    building_value,
    cost_approach,
    replacement_cost_closed_form,
)
from mortgage_risk.valuation.newness import age_life_newness, effective_life, group_score
from mortgage_risk.valuation.params import ValuationParams
from mortgage_risk.valuation.subject import ObservedScores

from ._support import OBSERVED, PARAMS, VALUATION_DATE, house


def test_params_round_trip_and_version() -> None:
    data = json.loads(json.dumps(PARAMS.to_dict()))
    again = ValuationParams.from_dict(data)
    assert again == PARAMS and again.version == "valuation-params-2026.1"
    assert data["economic_life"]["_source"].startswith("reference-valuation.md 1.4")


def test_params_errors_name_the_path() -> None:
    data = PARAMS.to_dict()
    del data["residual_rate"]["steel"]
    with pytest.raises(DomainError) as err:
        ValuationParams.from_dict(data)
    assert err.value.field == "params.residual_rate.steel"
    data = PARAMS.to_dict()
    data["lgd"]["scenarios"][0]["probability"] = 0.9
    with pytest.raises(DomainError, match="sum to 1"):
        ValuationParams.from_dict(data)


def test_unit_cost_table_by_area_band() -> None:
    assert PARAMS.unit_cost("brick_concrete", "2", 120) == Decimal(2000)
    assert PARAMS.unit_cost("brick_concrete", "2", 80) == Decimal(2050)
    assert PARAMS.unit_cost("brick_concrete", "2", 500) == Decimal(1950)
    assert PARAMS.unit_cost("brick_wood_2", "2", 120) == Decimal(1250)
    with pytest.raises(DomainError) as err:
        PARAMS.unit_cost("brick_concrete", "9", 120)
    assert err.value.field == "construction_grade"


def test_table_unit_cost_matches_b1_for_the_house() -> None:
    r = cost_approach(house(), PARAMS, valuation_date=VALUATION_DATE, observed=OBSERVED)
    assert r.building is not None and r.building.unit_cost_source == "table"
    built = cost_approach(house(), PARAMS, valuation_date=VALUATION_DATE, observed=OBSERVED,
                          cost_buildup=CostBuildup(Decimal(1560), Decimal(40), Decimal(20)))
    assert built.building is not None and built.building.unit_cost_source == "buildup"
    assert abs(built.building.unit_replacement_cost - Decimal(2000)) < 4


def test_profit_bases_balance() -> None:
    for basis in ("direct_cost", "investment", "cost", "sales"):
        r = replacement_cost_closed_form(1e6, 2.5e6, 75e3, selling_rate=0.03,
                                         sales_tax_rate=0.056, interest_rate=0.035,
                                         period_years=2, profit_rate=0.15, profit_basis=basis)
        total = (r.land + r.construction + r.management + r.selling + r.interest + r.profit
                 + r.sales_tax)
        assert abs(total - r.value) < Decimal("1e-6")
    with pytest.raises(DomainError):
        replacement_cost_closed_form(0, 1, 0, selling_rate=0.5, sales_tax_rate=0.5,
                                     interest_rate=0, period_years=1, profit_rate=0)


def test_building_value_obsolescence_floor() -> None:
    assert building_value(Decimal(1000), 0.5, Decimal(100), Decimal(50)) == Decimal(350)
    assert building_value(Decimal(1000), 0.1, Decimal(500)) == 0


def test_effective_age_and_without_observation() -> None:
    r = cost_approach(house(effective_age=15), PARAMS, valuation_date=VALUATION_DATE)
    assert r.building is not None
    assert r.building.newness.newness_rate == pytest.approx(0.706)
    assert "no observed score: age-life newness only" in r.warnings


def test_residential_land_never_truncates() -> None:
    eff = effective_life(10, 60, 0.0, remaining_land_term=5, residential=True,
                         reverts_without_compensation=True)
    assert not eff.truncated and eff.economic_life == 60


def test_commercial_truncation_in_the_cost_approach() -> None:
    shop = house(property_type="shop", structure="reinforced_concrete", land_grade="2",
                 completion_date=date(2015, 6, 30), land_term_remaining=29,
                 land_reverts_without_compensation=True, land_factor_adjustments={},
                 plot_ratio=1.4)
    r = cost_approach(shop, PARAMS, valuation_date=VALUATION_DATE)
    assert r.building is not None and r.building.newness.truncated_by_land_term
    assert r.building.newness.q_age == pytest.approx(1 - 10 / 39)


def test_damage_grade_band_warning() -> None:
    sound = ObservedScores(78, 68, 68, "sound")
    r = cost_approach(house(), PARAMS, valuation_date=VALUATION_DATE, observed=sound)
    assert any("outside the 完好" in w for w in r.warnings)
    ok = cost_approach(house(), PARAMS, valuation_date=VALUATION_DATE, observed=OBSERVED)
    assert not any("outside" in w for w in ok.warnings)


def test_observed_from_items_and_item_limits() -> None:
    obs = ObservedScores.from_items(
        PARAMS,
        {"foundation": 21, "load_bearing": 20, "non_load_bearing_walls": 11, "roof": 15,
         "floors": 11},
        {"doors_windows": 17, "external_render": 13, "internal_plaster": 14, "ceilings": 14,
         "joinery": 10},
        {"water_drainage": 28, "electrical_lighting": 25, "heating_ventilation": 15})
    assert (obs.structure, obs.finish, obs.services) == (78, 68, 68)
    with pytest.raises(DomainError) as err:
        group_score({"roof": 25}, PARAMS.observed.items["structure"], "observed.structure")
    assert err.value.field == "observed.structure.roof"


def test_missing_life_falls_back_with_warning() -> None:
    shed = house(structure="simple", building_use="production_corroded", storeys=1,
                 completion_date=date(2020, 6, 30))
    r = cost_approach(shed, PARAMS, valuation_date=VALUATION_DATE)
    assert any("shortest life" in w for w in r.warnings)


def test_cost_errors_name_the_field() -> None:
    with pytest.raises(DomainError) as err:
        cost_approach(replace(house(), completion_date=None), PARAMS,
                      valuation_date=VALUATION_DATE)
    assert err.value.field == "build_year"
    with pytest.raises(DomainError) as err:
        cost_approach(house(storeys=None), PARAMS, valuation_date=VALUATION_DATE,
                      observed=OBSERVED)
    assert err.value.field == "storeys"
    with pytest.raises(DomainError) as err:
        age_life_newness(-1, 50, 0.02)
    assert err.value.field == "age"
