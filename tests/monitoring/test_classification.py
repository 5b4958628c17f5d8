"""Five-category classification: DPD floors, events, restructuring, upgrades, manual decisions."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mortgage_risk.domain import DomainError, EventType, FiveCategory
from mortgage_risk.monitoring.classification import (
    OUTPUT_COLUMNS,
    classify,
    classify_one,
    reason_text,
)
from mortgage_risk.monitoring.policy import MonitoringPolicy, rank

AS_OF = date(2026, 11, 28)
POLICY = MonitoringPolicy.load_default()


def book(*rows: dict[str, Any]) -> pd.DataFrame:
    base = {"borrower_id": 1, "days_past_due": 0, "status": "active",
            "outstanding_principal": 100_000.0, "overdue_amount": 0.0}
    return pd.DataFrame([{**base, "id": i + 1, **r} for i, r in enumerate(rows)])


def one(loans: pd.DataFrame, **kw: Any) -> pd.Series:
    out = classify(loans, as_of=kw.pop("as_of", AS_OF), policy=kw.pop("policy", POLICY), **kw)
    return out.iloc[0]


def monthly(loan_id: int, first_due: date, n: int, *, late: dict[int, int] | None = None,
            unpaid: set[int] | None = None, step_months: int = 1) -> pd.DataFrame:
    """n installments from first_due; late[k] = days late of period k (1-based)."""
    late, unpaid = late or {}, unpaid or set()
    rows = []
    for k in range(1, n + 1):
        due = (pd.Timestamp(first_due) + pd.DateOffset(months=(k - 1) * step_months)).date()
        paid = None if k in unpaid else due + timedelta(days=late.get(k, 0))
        rows.append({"loan_id": loan_id, "period_no": k, "due_date": due, "amount_due": 1000.0,
                     "amount_paid": 0.0 if paid is None else 1000.0, "paid_date": paid,
                     "days_past_due": 0})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- DPD floors

@pytest.mark.parametrize(("dpd", "expected"), [
    (0, "normal"), (1, "normal"), (7, "normal"), (8, "special_mention"),
    (90, "special_mention"), (91, "substandard"), (270, "substandard"), (271, "doubtful"),
    (360, "doubtful"), (361, "loss"), (5000, "loss"),
])
def test_dpd_floor_boundaries(dpd: int, expected: str) -> None:
    row = one(book({"days_past_due": dpd}))
    assert row["category"] == expected
    assert row["dpd_floor_category"] == expected
    assert row["driver"] == "dpd"
    scalar = classify_one({"id": 1, "days_past_due": dpd}, as_of=AS_OF, policy=POLICY)
    assert scalar.category.value == expected


def test_output_columns_and_reason_texts() -> None:
    out = classify(book({"days_past_due": 3}, {"days_past_due": 100}), as_of=AS_OF,
                   policy=POLICY)
    assert tuple(out.columns) == OUTPUT_COLUMNS
    assert out["reasons"].tolist() == [["DPD_TECHNICAL_DELAY"], ["DPD_SUBSTANDARD"]]
    assert reason_text("DPD_SUBSTANDARD", POLICY) == "逾期超过90天"
    assert reason_text("DPD_SPECIAL_MENTION", POLICY, "en") == "more than 7 days past due"
    assert reason_text("EVENT_DEBT_EVASION", POLICY, "en").startswith("borrower evades")
    with pytest.raises(DomainError):
        reason_text("NOPE", POLICY)


def test_technical_delay_flag_required_by_policy() -> None:
    raw = POLICY.to_dict()
    raw["classification"]["technical_delay_requires_flag"] = True
    strict = MonitoringPolicy.from_dict(raw)
    loans = book({"days_past_due": 3, "technical_delay": False},
                 {"days_past_due": 3, "technical_delay": True})
    out = classify(loans, as_of=AS_OF, policy=strict)
    assert out["category"].tolist() == ["special_mention", "normal"]


def test_written_off_is_loss() -> None:
    row = one(book({"status": "written_off", "days_past_due": 0}))
    assert row["category"] == "loss"
    assert row["driver"] == "written_off"


# --------------------------------------------------------------------------- events

@pytest.mark.parametrize("event_type", sorted(POLICY.event_overrides))
def test_each_event_override(event_type: str) -> None:
    ov = POLICY.event_overrides[event_type]
    events = pd.DataFrame([{"loan_id": 1, "borrower_id": 1, "event_type": event_type,
                            "event_date": date(2026, 10, 1)}])
    row = one(book({}), events=events)
    assert row["category"] == ov.min_category.value
    assert row["driver"] == "event"
    assert f"EVENT_{event_type.upper()}" in row["reasons"]
    # the DPD floor wins when it is worse
    row = one(book({"days_past_due": 400}), events=events)
    assert row["category"] == "loss"


def test_brief_event_minimums() -> None:
    ev = POLICY.event_overrides
    assert ev["bankruptcy"].min_category is FiveCategory.DOUBTFUL
    assert ev["bankruptcy_liquidation"].min_category is FiveCategory.LOSS
    assert ev["debt_evasion"].min_category is FiveCategory.DOUBTFUL
    assert ev["bureau_contagion"].min_category is FiveCategory.SUBSTANDARD
    assert ev["npl_elsewhere"].min_category is FiveCategory.SPECIAL_MENTION


def test_event_scope_dates_and_signals() -> None:
    loans = book({"borrower_id": 7}, {"borrower_id": 7}, {"borrower_id": 8})
    events = pd.DataFrame([
        {"loan_id": None, "borrower_id": 7, "event_type": "debt_evasion",
         "event_date": date(2026, 1, 1)},
        {"loan_id": 3, "borrower_id": 8, "event_type": "credit_impaired",
         "event_date": date(2026, 1, 1)},
        {"loan_id": 3, "borrower_id": 8, "event_type": "bankruptcy_liquidation",
         "event_date": date(2027, 1, 1)},  # after the as-of date
        {"loan_id": 3, "borrower_id": 8, "event_type": "bankruptcy",
         "event_date": date(2025, 1, 1), "resolved_date": date(2026, 6, 1)},
        {"loan_id": 3, "borrower_id": 8, "event_type": "dishonest_debtor",
         "event_date": date(2026, 1, 1)},  # a signal, no class
    ])
    out = classify(loans, as_of=AS_OF, policy=POLICY, events=events)
    assert out["category"].tolist() == ["doubtful", "doubtful", "substandard"]
    for i, loan in loans.iterrows():
        r = classify_one(dict(loan), as_of=AS_OF, policy=POLICY, events=events)
        assert r.category.value == out["category"][i]
    bad = pd.DataFrame([{"loan_id": 1, "event_type": "alien_abduction",
                         "event_date": date(2026, 1, 1)}])
    with pytest.raises(DomainError) as exc:
        classify(loans, as_of=AS_OF, policy=POLICY, events=bad)
    assert exc.value.field == "events.event_type"


def test_every_feed_event_type_is_a_signal_only() -> None:
    events = pd.DataFrame([{"loan_id": 1, "event_type": t.value,
                            "event_date": date(2026, 1, 1)} for t in EventType])
    assert one(book({}), events=events)["category"] == "normal"


def test_loan_scope_event_stays_on_its_loan() -> None:
    loans = book({"borrower_id": 7}, {"borrower_id": 7})
    events = pd.DataFrame([{"loan_id": 2, "borrower_id": 7, "event_type": "funds_misused",
                            "event_date": date(2026, 1, 1)}])
    out = classify(loans, as_of=AS_OF, policy=POLICY, events=events)
    assert out["category"].tolist() == ["normal", "special_mention"]


# --------------------------------------------------------------------------- restructuring

RESTR = pd.DataFrame([{"loan_id": 1, "restructure_date": date(2025, 12, 10)}])


def test_restructured_in_observation_is_substandard() -> None:
    reps = monthly(1, date(2026, 1, 1), 3)
    row = one(book({}), as_of=date(2026, 3, 15), restructurings=RESTR, repayments=reps)
    assert row["category"] == "substandard"
    assert row["driver"] == "restructuring"
    assert "RESTRUCTURED_IN_OBSERVATION" in row["reasons"]


def test_restructured_performing_before_is_special_mention() -> None:
    restr = RESTR.assign(pre_category="normal")
    reps = monthly(1, date(2026, 1, 1), 3)
    row = one(book({}), as_of=date(2026, 3, 15), restructurings=restr, repayments=reps)
    assert row["category"] == "special_mention"


def test_observation_passes_after_a_year_and_two_periods() -> None:
    reps = monthly(1, date(2026, 1, 1), 13)
    before = one(book({}), as_of=date(2026, 12, 31), restructurings=RESTR, repayments=reps)
    assert before["category"] == "substandard"  # 11 months
    after = one(book({}), as_of=date(2027, 1, 1), restructurings=RESTR, repayments=reps)
    assert after["category"] == "normal"
    assert "RESTRUCTURED_OBSERVATION_PASSED" in after["reasons"]


def test_observation_needs_two_periods_even_after_a_year() -> None:
    # repayments every 24 months: a year passes before the second period
    reps = monthly(1, date(2026, 1, 1), 2, step_months=24)
    mid = one(book({}), as_of=date(2027, 6, 1), restructurings=RESTR, repayments=reps)
    assert mid["category"] == "substandard"
    done = one(book({}), as_of=date(2028, 1, 2), restructurings=RESTR, repayments=reps)
    assert done["category"] == "normal"


def test_missed_payment_restarts_observation() -> None:
    reps = monthly(1, date(2026, 1, 1), 18, late={6: 20})
    restr = RESTR.assign(pre_category="special_mention")
    row = one(book({}), as_of=date(2027, 1, 5), restructurings=restr, repayments=reps)
    assert row["category"] == "substandard"
    assert "RESTRUCTURED_MISSED_PAYMENT" in row["reasons"]
    row = one(book({}), as_of=date(2027, 6, 2), restructurings=restr, repayments=reps)
    assert row["category"] == "normal"


def test_restructured_again_is_substandard() -> None:
    restr = pd.DataFrame([
        {"loan_id": 1, "restructure_date": date(2025, 8, 1), "pre_category": "normal"},
        {"loan_id": 1, "restructure_date": date(2025, 12, 10), "pre_category": "normal"},
    ])
    row = one(book({}), as_of=date(2026, 3, 15), restructurings=restr,
              repayments=monthly(1, date(2025, 9, 1), 7))
    assert row["category"] == "substandard"
    assert "RESTRUCTURED_AGAIN" in row["reasons"]


def test_difficulty_not_resolved_keeps_observation() -> None:
    restr = RESTR.assign(difficulty_resolved=False)
    reps = monthly(1, date(2026, 1, 1), 14)
    row = one(book({}), as_of=date(2027, 2, 5), restructurings=restr, repayments=reps)
    assert row["category"] == "substandard"


# --------------------------------------------------------------------------- upgrades

PREV_SUB = pd.DataFrame([{"loan_id": 1, "category": "substandard"}])


def cured_history() -> pd.DataFrame:
    # periods 3-6 paid late (arrears), all cleared on 2026-05-10; on time afterwards
    reps = monthly(1, date(2026, 1, 1), 11)
    for k in (3, 4, 5, 6):
        reps.loc[reps["period_no"] == k, "paid_date"] = date(2026, 6, 10)
    return reps


def test_upgrade_blocked_until_six_months_after_arrears_repaid() -> None:
    reps = cured_history()
    row = one(book({}), as_of=date(2026, 9, 15), previous=PREV_SUB, repayments=reps)
    assert row["category"] == "substandard"
    assert row["upgrade_blocked_reason"] == "UPGRADE_BLOCKED_PERIOD"
    assert row["driver"] == "upgrade_gate"
    assert not row["changed"]
    row = one(book({}), as_of=date(2026, 12, 10), previous=PREV_SUB, repayments=reps)
    assert row["category"] == "normal"
    assert "UPGRADE_CONDITIONS_MET" in row["reasons"]
    assert row["changed"]


def test_upgrade_blocked_by_arrears_and_missing_history() -> None:
    row = one(book({"days_past_due": 20}), previous=PREV_SUB)
    assert row["category"] == "substandard"
    assert row["upgrade_blocked_reason"] == "UPGRADE_BLOCKED_ARREARS"
    row = one(book({}), previous=PREV_SUB)
    assert row["upgrade_blocked_reason"] == "UPGRADE_BLOCKED_NO_HISTORY"


def test_downgrade_is_never_gated() -> None:
    row = one(book({"days_past_due": 300}), previous=PREV_SUB)
    assert row["category"] == "doubtful"
    assert row["changed"]


def test_gate_to_performing_allows_upgrades_within_npl() -> None:
    raw = POLICY.to_dict()
    raw["upgrade"]["gate"] = "to_performing"
    policy = MonitoringPolicy.from_dict(raw)
    prev = pd.DataFrame([{"loan_id": 1, "category": "doubtful"}])
    row = one(book({"days_past_due": 100}), policy=policy, previous=prev)
    assert row["category"] == "substandard"
    row = one(book({"days_past_due": 100}), previous=prev)  # default gate: any
    assert row["category"] == "doubtful"


# --------------------------------------------------------------------------- manual

def test_manual_downgrade_applies_at_any_time() -> None:
    manual = pd.DataFrame([{"loan_id": 1, "category": "doubtful",
                            "effective_date": date(2026, 11, 1)}])
    row = one(book({}), manual=manual)
    assert row["category"] == "doubtful"
    assert row["driver"] == "manual_downgrade"
    future = manual.assign(effective_date=date(2027, 1, 1))
    assert one(book({}), manual=future)["category"] == "normal"


def test_manual_upgrade_only_if_approved() -> None:
    ask = pd.DataFrame([{"loan_id": 1, "category": "normal", "approved": False}])
    row = one(book({}), previous=PREV_SUB, manual=ask)
    assert row["category"] == "substandard"
    assert row["upgrade_blocked_reason"] == "MANUAL_UPGRADE_NOT_APPROVED"
    row = one(book({}), previous=PREV_SUB, manual=ask.assign(approved=True))
    assert row["category"] == "normal"
    assert row["driver"] == "manual_upgrade"
    assert row["upgrade_blocked_reason"] is None


def test_approved_upgrade_never_beats_the_dpd_floor() -> None:
    manual = pd.DataFrame([{"loan_id": 1, "category": "normal", "approved": True}])
    row = one(book({"days_past_due": 120}), manual=manual)
    assert row["category"] == "substandard"
    assert row["upgrade_blocked_reason"] == "MANUAL_UPGRADE_LIMITED"


def test_latest_manual_decision_counts() -> None:
    manual = pd.DataFrame([
        {"loan_id": 1, "category": "loss", "effective_date": date(2026, 1, 1)},
        {"loan_id": 1, "category": "normal", "approved": True,
         "effective_date": date(2026, 6, 1)},
    ])
    assert one(book({}), manual=manual)["category"] == "normal"


def test_unknown_category_names_the_field() -> None:
    with pytest.raises(DomainError) as exc:
        classify(book({}), as_of=AS_OF, policy=POLICY,
                 previous=pd.DataFrame([{"loan_id": 1, "category": "great"}]))
    assert exc.value.field == "previous.category"


def test_classify_one_explains() -> None:
    r = classify_one({"id": 9, "days_past_due": 95}, as_of=AS_OF, policy=POLICY,
                     previous_category="normal")
    assert r.category is FiveCategory.SUBSTANDARD
    assert r.changed
    text = r.explain(POLICY, "en")
    assert text[0] == "more than 90 days past due"
    assert json.dumps(r.to_dict())


# --------------------------------------------------------------------------- properties

CATS = [c.value for c in FiveCategory]
EVENT_TYPES = [*sorted(POLICY.event_overrides), "lawsuit"]


@st.composite
def random_case(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 6))
    loans = []
    reps = []
    for i in range(1, n + 1):
        dpd = draw(st.sampled_from([0, 0, 0, 3, 7, 8, 30, 90, 91, 200, 270, 271, 360, 361,
                                    draw(st.integers(0, 800))]))
        loans.append({"id": i, "borrower_id": draw(st.integers(1, 3)), "days_past_due": dpd,
                      "status": draw(st.sampled_from(["active"] * 5 + ["written_off"])),
                      "overdue_amount": 0.0 if dpd == 0 else 100.0})
        if draw(st.booleans()):
            start = date(2025, 1, 1) + timedelta(days=draw(st.integers(0, 400)))
            k = draw(st.integers(1, 24))
            late = {j: draw(st.sampled_from([0, 5, 20, 100]))
                    for j in draw(st.sets(st.integers(1, k), max_size=3))}
            unpaid = draw(st.sets(st.integers(1, k), max_size=1))
            reps.append(monthly(i, start, k, late=late, unpaid=unpaid))
    events = [{"loan_id": draw(st.sampled_from([None, *range(1, n + 1)])),
               "borrower_id": draw(st.sampled_from([None, 1, 2, 3])),
               "event_type": draw(st.sampled_from(EVENT_TYPES)),
               "event_date": date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 500)))}
              for _ in range(draw(st.integers(0, 4)))]
    restr = [{"loan_id": draw(st.integers(1, n)),
              "restructure_date": date(2024, 6, 1) + timedelta(days=draw(st.integers(0, 900))),
              "pre_category": draw(st.sampled_from([None, *CATS]))}
             for _ in range(draw(st.integers(0, 3)))]
    prev = [{"loan_id": i, "category": draw(st.sampled_from(CATS))}
            for i in range(1, n + 1) if draw(st.booleans())]
    manual = [{"loan_id": draw(st.integers(1, n)), "category": draw(st.sampled_from(CATS)),
               "approved": draw(st.booleans()),
               "effective_date": date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 400)))}
              for _ in range(draw(st.integers(0, 3)))]
    return {
        "loans": pd.DataFrame(loans),
        "events": pd.DataFrame(events, columns=["loan_id", "borrower_id", "event_type",
                                                "event_date"]) if events else None,
        "restructurings": pd.DataFrame(restr) if restr else None,
        "previous": pd.DataFrame(prev) if prev else None,
        "manual": pd.DataFrame(manual) if manual else None,
        "repayments": pd.concat(reps, ignore_index=True) if reps else None,
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=random_case())
def test_vectorised_equals_scalar_and_respects_floor(case: dict[str, Any]) -> None:
    loans = case.pop("loans")
    out = classify(loans, as_of=AS_OF, policy=POLICY, **case)
    prev = case.pop("previous")
    prev_map = {} if prev is None else dict(zip(prev["loan_id"], prev["category"],
                                                strict=True))
    for i, loan in enumerate(loans.to_dict("records")):
        row = out.iloc[i]
        floor = POLICY.classification.floor_for(int(loan["days_past_due"]))
        assert row["dpd_floor_category"] == floor.value
        assert rank(row["category"]) >= rank(floor)
        r = classify_one(loan, as_of=AS_OF, policy=POLICY,
                         previous_category=prev_map.get(loan["id"]), **case)
        assert r.category.value == row["category"]
        assert r.dpd_floor_category.value == row["dpd_floor_category"]
        assert list(r.reasons) == row["reasons"]
        assert r.driver == row["driver"]
        assert r.upgrade_blocked_reason == row["upgrade_blocked_reason"]
        assert r.changed == bool(row["changed"])


# --------------------------------------------------------------------------- synthetic book

def test_synthetic_book_matches_generator_classes() -> None:
    from mortgage_risk.synth import generate

    b = generate(5000, 3, AS_OF)
    out = classify(b.loans, as_of=AS_OF, policy=POLICY, repayments=b.repayments)
    mismatch = out["category"].to_numpy() != b.loans["five_category"].to_numpy()
    assert mismatch.sum() == 0
    # the generator's written-off loans are loss whatever their DPD
    wo = (b.loans["status"] == "written_off").to_numpy()
    assert (out.loc[wo, "driver"] == "written_off").all()


# --------------------------------------------------------------------------- policy data

def test_policy_round_trip_and_version() -> None:
    assert POLICY.version == "monitoring-policy-2026.1"
    again = MonitoringPolicy.from_json(POLICY.to_json())
    assert again == POLICY
    assert again.sources == POLICY.sources


@pytest.mark.parametrize(("path", "value", "field"), [
    (("provisions", "specific_rates", "substandard"), 0.4,
     "policy.provisions.specific_rates.substandard"),
    (("classification", "written_off_category"), "terrible",
     "policy.classification.written_off_category"),
    (("upgrade", "gate"), "never", "policy.upgrade.gate"),
    (("thresholds", "npl_ratio_max"), "5%", "policy.thresholds.npl_ratio_max"),
])
def test_policy_errors_name_the_path(path: tuple[str, ...], value: Any, field: str) -> None:
    raw = POLICY.to_dict()
    node = raw
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    with pytest.raises(DomainError) as exc:
        MonitoringPolicy.from_dict(raw)
    assert exc.value.field == field


def test_policy_missing_section() -> None:
    raw = POLICY.to_dict()
    del raw["ecl"]
    with pytest.raises(DomainError) as exc:
        MonitoringPolicy.from_dict(raw)
    assert exc.value.field == "policy.ecl"
