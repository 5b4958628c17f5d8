"""Rules and rule sets: the default set, firing, round trips, validation and refusals."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from typing import Any

import pytest

from mortgage_risk.domain.errors import DomainError
from mortgage_risk.identification import (
    Category,
    Rule,
    RuleSet,
    RuleSetError,
    Severity,
    default_ruleset,
    default_schema,
    parse_expression,
    screen,
)
from tests.identification.factsets import clean_facts


def test_default_set_is_large_versioned_and_valid() -> None:
    rules = default_ruleset()
    assert rules.version == "identification-rules-2026.1"
    assert len(rules.rules) >= 40
    assert rules.validate(default_schema()) == []
    assert all(r.basis for r in rules.rules)
    assert set(Counter(r.category for r in rules.rules)) == set(Category)


def test_every_default_rule_uses_only_schema_fields() -> None:
    schema = default_schema()
    for rule in default_ruleset().rules:
        expr = parse_expression(rule.condition, schema)
        assert schema.check(expr.names) == [], rule.id


def test_clean_application_raises_no_flag() -> None:
    result = screen(clean_facts(), default_ruleset())
    assert result.flags == ()
    assert result.worst_severity is None
    assert result.ruleset_version == "identification-rules-2026.1"


TRIGGERS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    # rule id, facts that trigger it, near-miss facts that must not
    ("BC01", {"bureau_npl_elsewhere": True}, {"bureau_npl_elsewhere": None}),
    ("BC02", {"bureau_max_dpd_24m": 90}, {"bureau_max_dpd_24m": 89}),
    ("BC03", {"bureau_max_dpd_24m": 45}, {"bureau_max_dpd_24m": 30}),
    ("BC05", {"bureau_hard_inquiries_3m": 6}, {"bureau_hard_inquiries_3m": 5}),
    ("BC06", {"dishonest_debtor": True}, {"court_enforcement": True}),
    ("BC07", {"court_enforcement": True}, {"court_enforcement": True, "dishonest_debtor": True}),
    ("BC11", {"grade": "E"}, {"grade": "D"}),
    ("BC13", {"pd": 0.2}, {"pd": 0.1}),
    ("BC15", {"age_at_maturity": 66}, {"age_at_maturity": 65}),
    ("RC01", {"dti": 0.51}, {"dti": 0.5}),
    ("RC02", {"total_dti": 0.56}, {"total_dti": 0.55}),
    ("RC04", {"income_verified": False}, {"income_verified": True}),
    ("RC04", {"income_verified": None}, {}),
    ("RC06", {"segment": "farmer", "household_income": 400000},
     {"segment": "salaried_public", "household_income": 400000}),
    ("RC09", {"term_months": 361}, {"term_months": 360}),
    ("RC10", {"property_type": "shop", "term_months": 121},
     {"property_type": "shop", "term_months": 120}),
    ("RC11", {"down_payment_ratio": 0.1}, {"down_payment_ratio": 0.15}),
    ("CL01", {"land_nature": "homestead"},
     {"land_nature": "homestead", "policy": {"pilot_county": True}, "collective_consent": True}),
    ("CL02", {"land_nature": "collective_construction"},
     {"land_nature": "collective_construction", "policy.pilot_collective_land": True}),
    ("CL04", {"small_property_rights": True}, {"small_property_rights": False}),
    ("CL05", {"public_welfare": True}, {}),
    ("CL06", {"illegal_building": True}, {}),
    ("CL07", {"seized": True}, {"seized": None}),
    ("CL08", {"existing_mortgage": True}, {}),
    ("CL09", {"disputed": True}, {}),
    ("CL10", {"co_owner_consent": False}, {"co_owner_consent": True}),
    ("CL13", {"land_term_remaining": 15}, {"land_term_remaining": 20}),
    ("CV01", {"ltv": 0.75}, {"ltv": 0.7}),
    ("CV04", {"appraisal_age_days": 400}, {"appraisal_age_days": 365}),
    ("CV05", {"appraised_value": 800000}, {"appraised_value": 750000}),
    ("CV07", {"property_age": 35, "term_months": 240}, {"property_age": 35, "term_months": 180}),
    ("CV08", {"remaining_economic_life": 10}, {"remaining_economic_life": 20}),
    ("DO01", {"visit_done": False}, {}),
    ("DO02", {"documents_complete": False}, {}),
    ("DO03", {"id_document_verified": False}, {}),
    ("FR01", {"related_staff": ["S0012"]}, {"related_staff": None}),
    ("FR03", {"same_property_other_applications": 1}, {"same_property_other_applications": 0}),
    ("FR04", {"months_since_purchase": 3}, {"months_since_purchase": 6}),
    ("BC10", {"segment": "business_owner", "abnormal_operation": True},
     {"segment": "farmer", "abnormal_operation": True}),
]


@pytest.mark.parametrize(("rule_id", "trigger", "near_miss"), TRIGGERS,
                         ids=[f"{t[0]}-{i}" for i, t in enumerate(TRIGGERS)])
def test_rule_fires_on_its_trigger_only(rule_id: str, trigger: dict[str, Any],
                                        near_miss: dict[str, Any]) -> None:
    rules = default_ruleset()
    assert rule_id in screen(clean_facts() | trigger, rules).fired
    assert rule_id not in screen(clean_facts() | near_miss, rules).fired


def test_flags_carry_messages_and_worst_severity() -> None:
    result = screen(clean_facts() | {"dti": 0.6, "seized": True, "lawsuits_pending": 1},
                    default_ruleset())
    assert result.fired == ("BC09", "RC01", "CL07")
    assert result.worst_severity is Severity.REJECT
    flag = result.flags[2]
    assert flag.category is Category.COLLATERAL_LEGALITY
    assert "查封" in flag.message_zh and "seized" in flag.message_en
    assert result.to_dict()["flags"][0]["severity"] == "warn"


def test_policy_override() -> None:
    facts = clean_facts() | {"dti": 0.45}
    assert "RC01" not in screen(facts, default_ruleset()).fired
    assert "RC01" in screen(facts, default_ruleset(), policy={"dti_cap": 0.4}).fired
    # a policy value in the facts wins over the policy argument
    assert "RC01" not in screen(facts | {"policy": {"dti_cap": 0.5}}, default_ruleset(),
                                policy={"dti_cap": 0.4}).fired


def test_disabled_rules_do_not_fire() -> None:
    rules = default_ruleset()
    off = RuleSet(rules.version, rules.effective_from, tuple(
        Rule(**(r.to_dict() | {"enabled": r.id != "CL07",
                               "category": r.category, "severity": r.severity}))
        for r in rules.rules))
    assert "CL07" not in screen(clean_facts() | {"seized": True}, off).fired


def test_round_trip() -> None:
    rules = default_ruleset()
    again = RuleSet.from_json(json.dumps(rules.to_dict(), ensure_ascii=False))
    assert again == rules
    assert again.to_dict() == rules.to_dict()


def _rule(rule_id: str, condition: str = "dti > 0.5", **extra: Any) -> dict[str, Any]:
    return {"id": rule_id, "category": "repayment_capacity", "severity": "refer",
            "condition": condition, "message_zh": "测试", "message_en": "test", **extra}


def _set(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"version": "draft-1", "effective_from": "2026-07-01", "rules": list(rules)}


def test_duplicate_ids_refused() -> None:
    with pytest.raises(RuleSetError) as info:
        RuleSet.from_dict(_set(_rule("R1"), _rule("R2"), _rule("R1")))
    assert info.value.field == "rules[R1].id"
    assert "duplicate rule id 'R1'" in info.value.reason
    rule = Rule.from_dict(_rule("R1"))
    with pytest.raises(DomainError, match="duplicate"):
        RuleSet("v", date(2026, 1, 1), (rule, rule))


def test_structural_problems_all_reported() -> None:
    bad = _set(_rule("R1", severity="fatal"), {"id": "R2", "category": "misc"},
               _rule("R3", severty="warn"))
    with pytest.raises(RuleSetError) as info:
        RuleSet.from_dict(bad)
    fields = [p.field for p in info.value.problems]
    assert "rules[R1].severity" in fields
    assert "rules[R2].category" in fields and "rules[R2].condition" in fields
    assert "rules[R3].severty" in fields


def test_validate_reports_every_problem_with_rule_id_and_position() -> None:
    rules = RuleSet.from_dict(_set(
        _rule("R10", "dti > 0.5"),
        _rule("R11", "dti >> 0.5"),
        _rule("R12", 'dti > policy.dti_cap and segmnt == "farmer"'),
        _rule("R13", "land_nature == \"homestaed\"", enabled=False),
    ))
    problems = rules.validate(default_schema())
    assert [(p.rule_id, p.field, p.line, p.column) for p in problems] == [
        ("R11", "rules[R11].condition", 1, 6),
        ("R12", "rules[R12].condition", 1, 26),
        ("R13", "rules[R13].condition", 1, 16),
    ]
    assert "unknown field 'segmnt'" in problems[1].message
    with pytest.raises(RuleSetError) as info:
        rules.ensure_valid()
    assert info.value.field == "rules[R11].condition"
    assert re.search(r"line 1, column 6", info.value.reason)
    assert len(info.value.problems) == 3


def test_broken_rule_cannot_be_screened() -> None:
    rules = RuleSet.from_dict(_set(_rule("R1", "dti >")))
    with pytest.raises(RuleSetError):
        screen(clean_facts(), rules)


def test_rule_fields_checked() -> None:
    with pytest.raises(DomainError):
        Rule.from_dict(_rule("1bad"))
    with pytest.raises(DomainError):
        Rule("R1", Category.BORROWER_CREDIT, Severity.INFO, "dti > 1", "", "x")


def test_category_labels_and_severity_order() -> None:
    assert Category.COLLATERAL_LEGALITY.label_zh == "抵押物合法性"
    assert [s.rank for s in Severity] == [0, 1, 2, 3]
