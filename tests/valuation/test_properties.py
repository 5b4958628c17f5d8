"""Hypothesis properties of the valuation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mortgage_risk.domain import DomainError
from mortgage_risk.valuation.cost import cost_approach
from mortgage_risk.valuation.eligibility import RULE_FIELDS, check_eligibility
from mortgage_risk.valuation.layers import PriorityClaim, value_layers
from mortgage_risk.valuation.newness import age_life_newness, combined_newness
from mortgage_risk.valuation.params import BUILDING_USES
from mortgage_risk.valuation.subject import ObservedScores
from mortgage_risk.valuation.valuate import valuate

from ._support import PARAMS, VALUATION_DATE, house

STRUCTURES = sorted(PARAMS.economic_life)
ages = st.floats(min_value=0, max_value=120, allow_nan=False)
money = st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False,
                    allow_infinity=False)


@given(st.sampled_from(STRUCTURES), st.sampled_from(BUILDING_USES), ages, ages)
def test_newness_never_rises_with_age_and_stays_in_band(structure: str, use: str, a: float,
                                                        b: float) -> None:
    life, residual, _ = PARAMS.life_and_residual(structure, use)
    young, old = sorted((a, b))
    q_young = age_life_newness(young, life, residual)
    q_old = age_life_newness(old, life, residual)
    assert residual <= q_old <= q_young <= 1.0


@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))
def test_combined_newness_between_its_parts(q_age: float, q_score: float, w: float) -> None:
    q = combined_newness(q_age, q_score, w)
    assert min(q_age, q_score) - 1e-12 <= q <= max(q_age, q_score) + 1e-12


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(STRUCTURES), st.integers(1950, 2025), st.integers(0, 40),
       st.integers(1, 6), st.floats(40, 100), st.floats(40, 100), st.floats(40, 100))
def test_cost_value_never_rises_with_age(structure: str, year: int, older_by: int,
                                         storeys: int, g: float, s: float, b: float) -> None:
    observed = ObservedScores(g, s, b)
    young = house(structure=structure, completion_date=date(year, 6, 30), storeys=storeys)
    old = house(structure=structure, completion_date=date(year - older_by, 6, 30),
                storeys=storeys)
    v_young = cost_approach(young, PARAMS, valuation_date=VALUATION_DATE, observed=observed)
    v_old = cost_approach(old, PARAMS, valuation_date=VALUATION_DATE, observed=observed)
    assert v_old.value <= v_young.value
    assert v_young.building is not None
    nb = v_young.building.newness
    assert nb.residual_rate <= nb.q_age <= 1.0


@given(st.decimals(min_value=1, max_value=10_000_000, places=0), money, money,
       st.decimals(min_value=1, max_value=5_000_000, places=2),
       st.sampled_from(["urban_housing", "shop", "factory_warehouse", "rural_house"]),
       st.sampled_from(["county_town", "town", "village"]),
       st.sampled_from([None, "A1", "C1", "D", "E"]))
def test_layers_are_ordered_and_ltv_consistent(market: Decimal, prior: Decimal, tax: Decimal,
                                               loan: Decimal, ptype: str, region: str,
                                               grade: str | None) -> None:
    lay = value_layers(market, [PriorityClaim("prior_mortgage", prior),
                                PriorityClaim("tax_arrears", tax)], PARAMS,
                       property_type=ptype, land_nature="state_granted", region_kind=region,
                       borrower_grade=grade, loan_amount=loan)
    assert 0 <= lay.net_mortgage_value <= lay.mortgage_value <= lay.market_value
    if lay.mortgage_value > 0:
        assert lay.ltv is not None
        assert abs(Decimal(repr(lay.ltv)) * lay.mortgage_value - loan) <= loan * Decimal("1e-9")
    else:
        assert lay.ltv is None
    assert lay.cltv is not None
    assert abs(Decimal(repr(lay.cltv)) * market - (loan + prior + tax)) <= \
        (loan + prior + tax) * Decimal("1e-9")
    assert lay.max_loan is not None and lay.cap is not None
    assert lay.within_cap == (loan <= lay.max_loan)


flag_names = [f for f in RULE_FIELDS if f not in ("property_type", "land_nature", "structure",
                                                  "building_use", "land_use")]


@given(st.fixed_dictionaries({f: st.booleans() for f in flag_names}),
       st.sampled_from(["state_granted", "state_allocated", "collective_construction",
                        "homestead"]),
       st.booleans())
def test_reasons_present_exactly_when_ineligible(flags: dict[str, bool], nature: str,
                                                 pilot: bool) -> None:
    params = PARAMS.with_pilot(rural_housing=pilot, collective_construction_land=pilot)
    result = check_eligibility(house(land_nature=nature, **flags), params)
    assert result.eligible == (len(result.reasons) == 0)
    if any(flags[f] for f in ("seized", "disputed", "small_property_rights",
                              "illegal_building", "public_welfare", "dangerous_building")):
        assert not result.eligible


@settings(max_examples=40, deadline=None)
@given(st.integers(1990, 2024), money, st.decimals(min_value=1, max_value=1_000_000, places=2))
def test_valuation_layers_hold_end_to_end(year: int, prior: Decimal, loan: Decimal) -> None:
    r = valuate(house(completion_date=date(year, 1, 1)), PARAMS, valuation_date=VALUATION_DATE,
                claims=None if prior == 0 else _claims(prior), loan_amount=loan)
    assert r.net_mortgage_value <= r.mortgage_value <= r.market_value
    assert r.market_value % 100 == 0
    assert r.lgd is not None and PARAMS.lgd.floor <= r.lgd.lgd <= 1.0


def _claims(prior: Decimal) -> object:
    from mortgage_risk.valuation.layers import PriorityClaims
    return PriorityClaims((PriorityClaim("prior_mortgage", prior),))


@given(st.decimals(max_value=0, allow_nan=False, allow_infinity=False, places=2))
def test_non_positive_area_names_the_field(area: Decimal) -> None:
    try:
        house(floor_area=area)
    except DomainError as err:
        assert err.field == "floor_area"
    else:
        raise AssertionError("a non-positive floor area was accepted")


@given(st.integers(1, 30))
def test_land_term_beyond_legal_maximum_names_the_field(extra: int) -> None:
    assume(extra > 0)
    try:
        valuate(house(land_term_remaining=70 + extra), PARAMS, valuation_date=VALUATION_DATE)
    except DomainError as err:
        assert err.field == "land_term_remaining"
    else:
        raise AssertionError("a land term beyond the legal maximum was accepted")
