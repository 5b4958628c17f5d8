"""The facts schema and fact validation."""

from __future__ import annotations

import pytest

from mortgage_risk.identification import FactsSchema, FactType, default_schema, validate_facts
from mortgage_risk.identification.facts import Fact
from tests.identification.factsets import clean_facts

REQUIRED = (
    "age age_at_maturity segment household_income monthly_income dependants "
    "bureau_overdue_accounts bureau_max_dpd_24m bureau_hard_inquiries_3m bureau_npl_elsewhere "
    "other_monthly_debt income_verified court_enforcement dishonest_debtor lawsuits_pending "
    "related_staff resident_id_valid amount term_months repayment_method purpose annual_rate "
    "monthly_installment dti total_dti down_payment_ratio purchase_price first_home "
    "property_type land_nature structure build_year property_age floor_area seized "
    "existing_mortgage disputed small_property_rights illegal_building public_welfare "
    "co_owner_consent registration_status land_term_remaining months_since_purchase "
    "same_property_other_applications appraised_value appraisal_age_days market_value "
    "mortgage_value ltv cltv ltv_cap lgd eligible_collateral visit_done documents_complete "
    "id_document_verified application_channel pd grade score"
).split()


def test_schema_covers_the_required_facts() -> None:
    schema = default_schema()
    assert schema.check(REQUIRED) == []
    for fact in schema.facts:
        assert fact.description_zh and fact.description_en, fact.name


def test_policy_defaults() -> None:
    defaults = default_schema().policy_defaults()
    assert defaults["policy.max_age_at_maturity"] == 65
    assert defaults["policy.dti_cap"] == 0.5
    assert defaults["policy.total_dti_cap"] == 0.55
    assert defaults["policy.max_term_months"] == 360
    assert defaults["policy.max_term_commercial_months"] == 120
    assert defaults["policy.min_down_payment"] == 0.15
    assert defaults["policy.max_hard_inquiries_3m"] == 6
    assert defaults["policy.remortgage_min_months"] == 6
    assert defaults["policy.pilot_county"] is False


def test_check_names_unknown_with_suggestion() -> None:
    assert default_schema().check(["dti", "seizd", "zzz"]) == [
        "unknown field 'seizd'; did you mean 'seized'?", "unknown field 'zzz'"]


def test_enum_facts_list_allowed_values() -> None:
    schema = default_schema()
    land = schema.get("land_nature")
    assert land is not None and land.type is FactType.ENUM and "homestead" in land.allowed
    assert schema.get("grade") is not None and "E" in schema.get("grade").allowed  # type: ignore[union-attr]


def test_clean_facts_are_valid() -> None:
    assert validate_facts(clean_facts()) == []


def test_validate_facts_reports_each_problem() -> None:
    problems = validate_facts({
        "dti": "high", "term_months": 12.5, "segment": "farmr", "seized": "yes",
        "application_date": "2024-13-01", "related_staff": "S1", "ltv_cap": 1.5, "age": -1,
        "policy": {"dti_cap": 0.45, "dti_capp": 1}, "unknown_thing": 1, "pd": None,
    })
    by_field = {p.field: p.reason for p in problems}
    assert set(by_field) == {"dti", "term_months", "segment", "seized", "application_date",
                             "related_staff", "ltv_cap", "age", "policy.dti_capp",
                             "unknown_thing"}
    assert "allowed: farmer" in by_field["segment"]
    assert "did you mean 'policy.dti_cap'" in by_field["policy.dti_capp"]


def test_schema_refuses_duplicates() -> None:
    fact = Fact("x", FactType.NUMBER, "", "x", "x")
    with pytest.raises(ValueError, match="duplicate"):
        FactsSchema((fact, fact))
