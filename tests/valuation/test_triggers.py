"""Re-appraisal triggers (reference-valuation.md §4.4): each fires exactly at its threshold."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mortgage_risk.domain import DomainError, FiveCategory, PropertyType
from mortgage_risk.valuation.index import PriceIndex
from mortgage_risk.valuation.revaluation import index_revalue
from mortgage_risk.valuation.triggers import (
    RULE_CODES,
    CollateralState,
    Severity,
    TriggerThresholds,
    evaluate_triggers,
)

TODAY = date(2026, 12, 31)
T = TriggerThresholds()


def base(**changes: object) -> CollateralState:
    state = CollateralState(
        property_type=PropertyType.URBAN_HOUSING, last_appraised_value=100_000.0,
        last_appraisal_date=date(2026, 6, 30), current_value=100_000.0, balance=40_000.0,
        ltv_cap=0.60)
    return replace(state, **changes)  # type: ignore[arg-type]


def codes(state: CollateralState, thresholds: TriggerThresholds = T,
          today: date = TODAY) -> set[str]:
    return {t.code for t in evaluate_triggers(state, thresholds, today)}


def test_quiet_state_fires_nothing() -> None:
    assert evaluate_triggers(base(), T, TODAY) == []


# ---------------------------------------------------------------------------- value drop


def test_value_drop_fires_at_exactly_ten_percent() -> None:
    at = (1.0 - 0.10) * 100_000.0
    assert "T2_VALUE_DROP" in codes(base(current_value=at))
    assert "T2_VALUE_DROP" in codes(base(current_value=at - 0.01))
    assert "T2_VALUE_DROP" not in codes(base(current_value=at + 0.01))


def test_value_drop_five_percent_for_sensitive_types_and_thin_markets() -> None:
    at = (1.0 - 0.05) * 100_000.0
    for kind in (PropertyType.SHOP, PropertyType.OFFICE, PropertyType.FACTORY_WAREHOUSE):
        assert "T2_VALUE_DROP" in codes(base(property_type=kind, current_value=at))
        assert "T2_VALUE_DROP" not in codes(base(property_type=kind, current_value=at + 0.01))
    rural = base(property_type=PropertyType.RURAL_HOUSE, ltv_cap=0.5, thin_market=True)
    assert "T2_VALUE_DROP" in codes(replace(rural, current_value=at))
    assert "T2_VALUE_DROP" not in codes(replace(rural, thin_market=False, current_value=at))


@given(st.floats(1.0, 1e8), st.floats(0.0, 1.0))
def test_value_drop_iff_at_or_beyond_threshold(last: float, share: float) -> None:
    state = base(last_appraised_value=last, current_value=last * share, balance=0.0)
    fired = "T2_VALUE_DROP" in codes(state)
    assert fired == (last * share <= 0.9 * last)


def test_regional_yoy_drop() -> None:
    assert "T2_REGIONAL_DROP" in codes(base(regional_index_yoy=-0.10))
    assert "T2_REGIONAL_DROP" not in codes(base(regional_index_yoy=-0.0999))


# ---------------------------------------------------------------------------- LTV


def test_ltv_breach_and_watch_boundaries() -> None:
    # no prior claims, value 100,000, cap 0.60: LTV = balance / 100,000
    assert codes(base(balance=60_000.0)) == {"T3_LTV_WATCH"}  # exactly at the cap: watch only
    assert "T3_LTV_BREACH" in codes(base(balance=60_000.01))
    assert "T3_LTV_WATCH" not in codes(base(balance=60_000.01))
    watch_at = 0.9 * 0.60 * 100_000.0
    assert "T3_LTV_WATCH" not in codes(base(balance=watch_at))
    assert "T3_LTV_WATCH" in codes(base(balance=watch_at + 0.01))


def test_ltv_cap_from_type_table_when_state_has_none() -> None:
    s = base(ltv_cap=None, balance=70_000.0)  # urban housing: 0.70
    assert "T3_LTV_BREACH" not in codes(s)
    assert "T3_LTV_BREACH" in codes(replace(s, balance=70_000.01))


def test_cltv_escalation_boundary() -> None:
    s = base(ltv_cap=1.5, balance=40_000.0, prior_claims=50_000.0)  # CLTV exactly 0.90
    assert "T3_CLTV_ESCALATE" not in codes(s)
    assert "T3_CLTV_ESCALATE" in codes(replace(s, balance=40_000.01))


def test_t26_ltv_breach_without_value_drop() -> None:
    """§4.2: the chained index (−7.6%) breaches a 60% cap through the prior lien alone."""
    mom = [99.6, 99.5, 99.7, 99.4, 99.6, 99.5, 99.8, 99.5, 99.4, 99.6, 99.5, 99.7, 99.6, 99.5,
           99.4, 99.6, 99.7, 99.5]
    idx = PriceIndex.from_month_on_month("2025-06", mom)
    v = index_revalue(298_600.0, idx, "2025-06", "2026-12").value
    s = base(last_appraised_value=298_600.0, last_appraisal_date=date(2025, 6, 30),
             current_value=v, balance=140_000.0, prior_claims=50_000.0, ltv_cap=0.60)
    fired = {t.code: t for t in evaluate_triggers(s, T, date(2026, 12, 1))}
    assert set(fired) == {"T3_LTV_BREACH", "T6_STALE_REPORT"}
    breach = fired["T3_LTV_BREACH"]
    assert breach.severity is Severity.BREACH
    assert breach.observed == pytest.approx(0.619833, rel=1e-6)
    assert "62.0%" in breach.message_zh and "60.0%" in breach.message_en


# ---------------------------------------------------------------------------- credit events


def test_past_due_boundary() -> None:
    assert "T4_PAST_DUE" not in codes(base(days_past_due=29))
    assert "T4_PAST_DUE" in codes(base(days_past_due=30))


def test_downgrade_and_non_performing() -> None:
    fired = {t.code: t for t in evaluate_triggers(
        base(classification=FiveCategory.SPECIAL_MENTION), T, TODAY)}
    assert set(fired) == {"T4_DOWNGRADE"}
    assert fired["T4_DOWNGRADE"].severity is Severity.REVIEW
    npl = {t.code: t for t in evaluate_triggers(
        base(classification=FiveCategory.SUBSTANDARD,
             previous_classification=FiveCategory.SPECIAL_MENTION), T, TODAY)}
    assert set(npl) == {"T4_DOWNGRADE", "T4_NON_PERFORMING"}
    assert npl["T4_DOWNGRADE"].severity is Severity.URGENT
    same = base(classification=FiveCategory.SPECIAL_MENTION,
                previous_classification=FiveCategory.SPECIAL_MENTION)
    assert codes(same) == set()
    upgraded = base(classification="normal", previous_classification="special_mention")
    assert codes(upgraded) == set()


@pytest.mark.parametrize(("change", "code"), [
    ({"seized": True}, "T5_SEIZURE"),
    ({"damaged": True}, "T5_DAMAGE"),
    ({"expropriation_notice": True}, "T5_EXPROPRIATION"),
    ({"dangerous_building_grade": "C"}, "T5_DANGEROUS_BUILDING"),
    ({"other_events": ("zoning change",)}, "T5_OTHER_EVENT"),
])
def test_collateral_events(change: dict[str, object], code: str) -> None:
    assert codes(base(**change)) == {code}
    assert "T5_DANGEROUS_BUILDING" not in codes(base(dangerous_building_grade="B"))


# ---------------------------------------------------------------------------- staleness


def test_report_older_than_one_year() -> None:
    d0 = date(2025, 6, 30)
    s = base(last_appraisal_date=d0)
    assert "T6_STALE_REPORT" not in codes(s, today=d0 + timedelta(days=365))
    fired = {t.code: t for t in evaluate_triggers(s, T, d0 + timedelta(days=366))}
    assert fired["T6_STALE_REPORT"].severity is Severity.REVIEW
    renewal = {t.code: t for t in evaluate_triggers(
        replace(s, renewal_or_drawdown=True), T, d0 + timedelta(days=366))}
    assert renewal["T6_STALE_REPORT"].severity is Severity.BREACH
    with pytest.raises(DomainError) as err:
        evaluate_triggers(s, T, d0 - timedelta(days=1))
    assert err.value.field == "last_appraisal_date"


def test_onsite_inspection_cadence_by_type() -> None:
    d0 = date(2024, 1, 1)
    no_stale = TriggerThresholds(disabled=frozenset({"T6_STALE_REPORT"}))
    res = base(last_appraisal_date=d0, last_onsite_inspection=d0)
    assert "T1_ONSITE_DUE" not in codes(res, no_stale, d0 + timedelta(days=3 * 365))
    assert "T1_ONSITE_DUE" in codes(res, no_stale, d0 + timedelta(days=3 * 365 + 1))
    shop = replace(res, property_type=PropertyType.SHOP)
    assert "T1_ONSITE_DUE" in codes(shop, no_stale, d0 + timedelta(days=366))
    assert "T1_ONSITE_DUE" not in codes(shop, no_stale, d0 + timedelta(days=365))


def test_index_and_avm_flags() -> None:
    assert codes(base(index_extrapolated=True)) == {"T7_NO_INDEX"}
    assert codes(base(index_covered=False)) == {"T7_NO_INDEX"}
    assert codes(base(avm_fsd=0.20)) == set()
    assert codes(base(avm_fsd=0.2001)) == {"T7_AVM_UNCERTAIN"}
    rise = evaluate_triggers(base(current_value=110_000.0), T, TODAY)
    assert [t.code for t in rise] == ["P_INDEX_RISE"]
    assert rise[0].severity is Severity.INFO


# ---------------------------------------------------------------------------- data and output


def test_output_sorted_by_severity_with_both_languages() -> None:
    s = base(current_value=80_000.0, balance=60_000.0, seized=True, days_past_due=45)
    fired = evaluate_triggers(s, T, TODAY)
    ranks = [t.severity.rank for t in fired]
    assert ranks == sorted(ranks, reverse=True)
    assert fired[0].code == "T5_SEIZURE"
    for t in fired:
        assert t.message_zh and t.message_en and t.message("zh") == t.message_zh
        assert t.message("en") == t.message_en
        assert any("\u4e00" <= ch <= "\u9fff" for ch in t.message_zh)
    drop = next(t for t in fired if t.code == "T2_VALUE_DROP")
    assert drop.observed == pytest.approx(0.2)
    assert "20.0%" in drop.message_zh and "10.0%" in drop.message_en


def test_thresholds_from_mapping_and_disabled_rules() -> None:
    t = TriggerThresholds.from_mapping({
        "value_drop": 0.15, "days_past_due": 60, "ltv_caps": {"urban_housing": 0.5},
        "disabled": ["T3_LTV_WATCH"]})
    assert t.ltv_caps[PropertyType.URBAN_HOUSING] == 0.5
    s = base(current_value=88_000.0, days_past_due=45)
    assert codes(s, t) == set()
    assert codes(replace(s, current_value=85_000.0), t) == {"T2_VALUE_DROP"}
    assert codes(base(ltv_cap=None, balance=48_000.0), t) == set()  # watch disabled
    with pytest.raises(DomainError) as err:
        TriggerThresholds.from_mapping({"value_dorp": 0.1})
    assert err.value.field == "value_dorp"
    with pytest.raises(DomainError) as err:
        TriggerThresholds(value_drop=1.5)
    assert err.value.field == "value_drop"
    with pytest.raises(DomainError):
        TriggerThresholds(disabled=frozenset({"T99"}))
    assert {"T2_VALUE_DROP", "T3_LTV_BREACH", "T6_STALE_REPORT"} <= RULE_CODES


def test_bad_state_names_field() -> None:
    with pytest.raises(DomainError) as err:
        base(property_type="castle")
    assert err.value.field == "property_type"
    with pytest.raises(DomainError) as err:
        base(balance=-1.0)
    assert err.value.field == "balance"
    with pytest.raises(DomainError) as err:
        evaluate_triggers(base(), T, None)
    assert err.value.field == "today"
