"""Land: term factor, coefficient correction, plot-ratio interpolation, land paths."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mortgage_risk.domain import DomainError
from mortgage_risk.valuation.land import (
    benchmark_land_price,
    land_term_factor,
    plot_ratio_factor,
    value_land,
)

from ._support import PARAMS, house


def test_term_factor_is_one_at_the_reference_term() -> None:
    assert land_term_factor(0.06, 70, 70) == pytest.approx(1.0)
    assert land_term_factor(0.06, 0, 70) == 0


def test_term_factor_errors() -> None:
    for args, name in (((0, 10, 40), "r"), ((0.06, -1, 40), "m"), ((0.06, 1, 0), "n")):
        with pytest.raises(DomainError) as err:
            land_term_factor(*args)
        assert err.value.field == name


def test_plot_ratio_interpolation() -> None:
    table = PARAMS.land.benchmark["residential"].plot_ratio_table
    assert plot_ratio_factor(table, 1.2) == (pytest.approx(1.048), False)
    assert plot_ratio_factor(table, 3.0) == (1.12, True)
    commercial = PARAMS.land.benchmark["commercial"].plot_ratio_table
    assert plot_ratio_factor(commercial, 1.4)[0] == 1.0


def test_development_degree_adds_before_the_term_factor() -> None:
    assert benchmark_land_price(1000, 0, 1, 1, -100, 0.5) == pytest.approx(450)


def test_factor_levels_from_the_tables() -> None:
    land = value_land(house(land_factor_adjustments={},
                            land_factor_levels={"location": "better", "road_frontage": "worse"}),
                      PARAMS)
    assert land.sum_k == pytest.approx(0.01)


def test_homestead_outside_pilot_is_zero() -> None:
    rural = house(property_type="rural_house", land_nature="homestead", land_grade=None)
    land = value_land(rural, PARAMS)
    assert land.value == 0 and land.method == "homestead_not_valued"
    piloted = PARAMS.with_pilot(rural_housing=True)
    land = value_land(house(property_type="rural_house", land_nature="homestead",
                            land_grade=None, land_unit_price=Decimal(300)), piloted)
    assert land.value == Decimal(30000)


def test_land_errors_name_the_field() -> None:
    with pytest.raises(DomainError) as err:
        value_land(house(land_grade=None), PARAMS)
    assert err.value.field == "land_grade"
    with pytest.raises(DomainError) as err:
        value_land(house(land_term_remaining=None), PARAMS)
    assert err.value.field == "land_term_remaining"
    with pytest.raises(DomainError) as err:
        value_land(house(land_factor_levels={"location": "heavenly"}), PARAMS)
    assert err.value.field == "land_factor_levels.location"
