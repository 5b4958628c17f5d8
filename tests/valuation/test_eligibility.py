"""Eligibility rules as data, pilot-county settings, reasons in Chinese and English."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mortgage_risk.valuation.eligibility import check_eligibility
from mortgage_risk.valuation.valuate import valuate

from ._support import PARAMS, VALUATION_DATE, house


def _codes(**changes: object) -> set[str]:
    return {r.code for r in check_eligibility(house(**changes), PARAMS).reasons}


def test_ordinary_house_is_eligible() -> None:
    result = check_eligibility(house(), PARAMS)
    assert result.eligible and result.reasons == ()


@pytest.mark.parametrize(("changes", "code"), [
    ({"small_property_rights": True}, "small_property_rights"),
    ({"disputed": True}, "disputed"),
    ({"seized": True}, "seized"),
    ({"illegal_building": True}, "illegal_building"),
    ({"public_welfare": True}, "public_welfare"),
    ({"dangerous_building": True}, "dangerous_building"),
    ({"land_nature": "homestead", "property_type": "rural_house"}, "homestead"),
    ({"land_nature": "collective_construction"}, "collective_land"),
])
def test_each_rule_gives_its_reason(changes: dict[str, object], code: str) -> None:
    result = check_eligibility(house(**changes), PARAMS)
    assert not result.eligible
    reason = next(r for r in result.reasons if r.code == code)
    assert reason.zh and reason.en and reason.basis


def test_several_reasons_are_all_listed() -> None:
    assert _codes(seized=True, illegal_building=True) == {"seized", "illegal_building"}


def test_pilot_county_enables_rural_housing_with_consent() -> None:
    rural = {"property_type": "rural_house", "land_nature": "homestead"}
    piloted = PARAMS.with_pilot(rural_housing=True)
    without = check_eligibility(house(**rural), piloted)
    assert [r.code for r in without.reasons] == ["homestead_without_collective_consent"]
    assert check_eligibility(house(**rural, collective_consent=True),
                             piloted).eligible


def test_land_management_right_needs_the_pilot_setting() -> None:
    lmr = house(property_type="land_management_right", land_nature="collective_construction",
                structure=None, floor_area="0", land_area="66667", land_grade=None)
    codes = {r.code for r in check_eligibility(lmr, PARAMS).reasons}
    assert "land_management_right" in codes
    piloted = PARAMS.with_pilot(land_management_right=True, collective_construction_land=True)
    assert check_eligibility(lmr, piloted).eligible


def test_ineligible_property_is_still_valued_with_reasons() -> None:
    r = valuate(house(seized=True), PARAMS, valuation_date=VALUATION_DATE,
                loan_amount=Decimal(100000))
    assert not r.eligibility.eligible and r.market_value > 0
    assert r.to_dict()["eligibility"]["reasons"][0]["zh"].startswith("依法被查封")
