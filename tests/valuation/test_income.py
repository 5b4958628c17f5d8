"""Income approach: capitalisation variants, cap-rate floors, errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mortgage_risk.domain import DomainError
from mortgage_risk.valuation.income import IncomeInput, capitalise, income_approach

from ._support import PARAMS


def test_growth_finite_reduces_to_plain_finite_at_zero_growth() -> None:
    assert capitalise(Decimal(1000), 0.05, 10, 0.0) == pytest.approx(
        Decimal(1000) / Decimal("0.05") * (1 - Decimal("1.05") ** -10), rel=Decimal("1e-12"))


def test_cap_rate_floor_applied_with_warning() -> None:
    inp = IncomeInput(cap_rate=0.03, noi=Decimal(30000), years=30)
    floor = PARAMS.cap_rate_floor["shop"]
    r = income_approach(inp, cap_rate_floor=floor)
    assert r.cap_rate_used == floor == 0.05
    assert any("below the floor" in w for w in r.warnings)


def test_default_years_from_the_land_term() -> None:
    r = income_approach(IncomeInput(cap_rate=0.065, noi=Decimal("28156.736")),
                        cap_rate_floor=0.05, default_years=30)
    assert float(r.value) == pytest.approx(367689.69, abs=0.01)
    perpetual = income_approach(IncomeInput(cap_rate=0.06, noi=Decimal("28156.736"),
                                            perpetual=True), cap_rate_floor=0.05,
                                default_years=30)
    assert float(perpetual.value) == pytest.approx(469278.93, abs=0.01)


def test_income_errors_name_the_field() -> None:
    with pytest.raises(DomainError) as err:
        IncomeInput(cap_rate=0.06)
    assert err.value.field == "income.gross_annual_rent"
    with pytest.raises(DomainError) as err:
        IncomeInput(cap_rate=0.0, noi=Decimal(1))
    assert err.value.field == "income.cap_rate"
    with pytest.raises(DomainError) as err:
        capitalise(Decimal(1), 0.03, None, 0.05)
    assert err.value.field == "growth"
    with pytest.raises(DomainError) as err:
        income_approach(IncomeInput(cap_rate=0.06, gross_annual_rent=Decimal(1000),
                                    maintenance_rate_of_rc=0.01), cap_rate_floor=0.05)
    assert err.value.field == "income.building_replacement_cost"
