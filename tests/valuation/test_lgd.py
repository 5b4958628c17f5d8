"""Forced sale curve and scenario LGD."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mortgage_risk.domain import DomainError
from mortgage_risk.valuation.layers import PriorityClaims
from mortgage_risk.valuation.lgd import Scenario, auction_curve, scenario_lgd
from mortgage_risk.valuation.valuate import valuate

from ._support import OBSERVED, PARAMS, VALUATION_DATE, house


def test_auction_curve_70_then_56() -> None:
    assert auction_curve() == pytest.approx((0.70, 0.56))
    assert auction_curve(0.8, 0.2, 3) == pytest.approx((0.8, 0.64, 0.512))


def test_floor_applies() -> None:
    r = scenario_lgd(Decimal(10000), Decimal(1000000), Decimal(0),
                     [Scenario("easy", 1.0, 0.3, 1.0)], cost_rate=0.05, discount_rate=0.05,
                     floor=0.1)
    assert r.lgd_unfloored == 0 and r.lgd == 0.1


def test_total_loss_when_prior_claims_swallow_the_value() -> None:
    r = scenario_lgd(Decimal(10000), Decimal(100000), Decimal(90000),
                     [Scenario("s", 1.0, 0.3, 1.0)], cost_rate=0.05, discount_rate=0.05)
    assert r.lgd == 1.0


def test_lgd_errors() -> None:
    with pytest.raises(DomainError) as err:
        scenario_lgd(Decimal(0), Decimal(1), Decimal(0), [Scenario("s", 1.0, 0.3, 1.0)],
                     cost_rate=0.05, discount_rate=0.05)
    assert err.value.field == "loan_amount"
    with pytest.raises(DomainError) as err:
        scenario_lgd(Decimal(1), Decimal(1), Decimal(0), [Scenario("s", 0.5, 0.3, 1.0)],
                     cost_rate=0.05, discount_rate=0.05)
    assert err.value.field == "scenarios"


def test_valuate_uses_property_type_scenarios() -> None:
    claims = PriorityClaims.of(prior_mortgage=50000)
    town = valuate(house(), PARAMS, valuation_date=VALUATION_DATE, observed=OBSERVED,
                   claims=claims, loan_amount=Decimal(150000))
    assert town.lgd is not None
    assert [s.name for s in town.lgd.scenarios] == ["first_auction", "second_auction",
                                                    "private_sale_or_delay"]
    piloted = PARAMS.with_pilot(rural_housing=True)
    rural = valuate(house(property_type="rural_house", land_nature="homestead", land_grade=None,
                          land_unit_price=Decimal(300), collective_consent=True),
                    piloted, valuation_date=VALUATION_DATE, observed=OBSERVED, claims=claims,
                    loan_amount=Decimal(150000))
    assert rural.lgd is not None and town.lgd is not None
    assert rural.lgd.scenarios[0].discount == 0.45
