"""The credit policy as data: default values, round trip, bad values name the field path."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from mortgage_risk.control import AuthorityLevel, CreditPolicy, LoanRequest, Recommendation
from mortgage_risk.domain import DomainError
from tests.control._support import POLICY, base_decision


def test_default_policy_values() -> None:
    p = POLICY
    assert p.version == "credit-policy-2026.1"
    assert p.lpr.rate == Decimal("0.035") and p.lpr.as_of.isoformat() == "2025-05-20"
    assert (p.affordability.housing_dti_cap, p.affordability.total_dti_cap) == (
        Decimal("0.50"), Decimal("0.55"))
    assert p.product("urban_housing").max_term_months == 360
    assert p.product("shop").max_term_months == 120
    assert p.pricing.risk_weight_method == "flat_50"
    assert p.pricing.flat_risk_weight == Decimal("0.50")
    assert p.pricing.capital_ratio == Decimal("0.08")
    assert [b.risk_weight for b in p.pricing.ltv_bands] == [
        Decimal(x) for x in ("0.20", "0.25", "0.30", "0.40", "0.50", "0.70")]
    assert p.authority.tier(AuthorityLevel.BRANCH_HEAD).zh == "信用社主任"
    assert p.authority.by_recommendation[Recommendation.REFER] is AuthorityLevel.CREDIT_COMMITTEE
    assert "lpr" in p.sources and "3.7" in p.sources["concentration"]


def test_round_trip_is_equal_and_json_ready() -> None:
    data = POLICY.to_dict()
    text = json.dumps(data, ensure_ascii=False)
    again = CreditPolicy.from_json(text)
    assert again == POLICY and again.to_dict() == data
    assert again.sources == POLICY.sources


def edit(path: str, value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(POLICY.to_dict())
    node: Any = raw
    parts = path.replace("[", ".").replace("]", "").split(".")
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    last = parts[-1]
    if value is DELETE:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return dict(raw)


DELETE = object()

BAD: list[tuple[str, Any, str]] = [
    ("version", "", "policy.version"),
    ("lpr.rate", 0.035, "policy.lpr.rate"),  # a float, not a decimal string
    ("lpr.rate", "abc", "policy.lpr.rate"),
    ("lpr.as_of", "20/05/2025", "policy.lpr.as_of"),
    ("affordability.housing_dti_cap", "0.60", "policy.affordability.housing_dti_cap"),
    ("affordability.total_dti_cap", "1.5", "policy.affordability.total_dti_cap"),
    ("products.urban_housing.max_term_months", 0, "policy.products.urban_housing.max_term_months"),
    ("products.urban_housing.min_amount", "9000000",
     "policy.products.urban_housing.min_amount"),
    ("products.castle", {"min_amount": "1", "max_amount": "2", "max_term_months": 1},
     "policy.products.castle"),
    ("pd_cutoffs.refer_above", 0.5, "policy.pd_cutoffs.refer_above"),
    ("pd_cutoffs.decline_above", "0.1", "policy.pd_cutoffs.decline_above"),
    ("grade_rules.decline", ["Z"], "policy.grade_rules.decline"),
    ("amount.limit_rounding", "0", "policy.amount.limit_rounding"),
    ("pricing.risk_weight_method", "advanced", "policy.pricing.risk_weight_method"),
    ("pricing.capital_ratio", "-0.08", "policy.pricing.capital_ratio"),
    ("pricing.min_spread", "0.05", "policy.pricing.min_spread"),
    ("pricing.ltv_bands[5].max_ltv", "2", "policy.pricing.ltv_bands"),
    ("pricing.ltv_bands[1].max_ltv", "0.40", "policy.pricing.ltv_bands"),
    ("pricing.irb.pd_floor", 2, "policy.pricing.irb.pd_floor"),
    ("concentration.real_estate_max_share", "17.5", "policy.concentration.real_estate_max_share"),
    ("concentration.classification.shop.real_estate", "yes",
     "policy.concentration.classification.shop.real_estate"),
    ("authority.tiers[0].level", "teller", "policy.authority.tiers[0].level"),
    ("authority.tiers[1].max_amount", "100", "policy.authority.tiers[1].max_amount"),
    ("authority.tiers[0].max_grade", "Q", "policy.authority.tiers[0].max_grade"),
    ("authority.by_recommendation.refer", "president",
     "policy.authority.by_recommendation.refer"),
    ("authority.by_flag_severity.fatal", "branch_head", "policy.authority.by_flag_severity.fatal"),
    ("authority.override_steps", 0, "policy.authority.override_steps"),
    ("pricing.hurdle_rate", DELETE, "policy.pricing.hurdle_rate"),
]


@pytest.mark.parametrize(("path", "value", "field"), BAD)
def test_bad_policy_value_names_the_field(path: str, value: Any, field: str) -> None:
    with pytest.raises(DomainError) as err:
        CreditPolicy.from_dict(edit(path, value))
    assert err.value.field == field, err.value


def test_not_json_is_refused() -> None:
    with pytest.raises(DomainError) as err:
        CreditPolicy.from_json("{not json")
    assert err.value.field == "policy"


BAD_INPUTS: list[tuple[Callable[[], object], str]] = [
    (lambda: base_decision(pd=1.5), "pd"),
    (lambda: base_decision(grade="Z"), "grade"),
    (lambda: LoanRequest(amount=Decimal(0), term_months=12), "request.amount"),
    (lambda: LoanRequest(amount=Decimal(1), term_months=0), "request.term_months"),
    (lambda: LoanRequest(amount=Decimal(1), term_months=12, method="balloon"),  # type: ignore[arg-type]
     "request.method"),
    (lambda: LoanRequest(amount=Decimal(1), term_months=12, property_type="castle"),
     "request.property_type"),
    (lambda: LoanRequest(amount=1.5, term_months=12), "request.amount"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("call", "field"), BAD_INPUTS)
def test_bad_decision_inputs_name_the_field(call: Callable[[], object], field: str) -> None:
    with pytest.raises(DomainError) as err:
        call()
    assert err.value.field == field
