"""Warning handling rules: working-day deadlines over Chinese holidays, escalation, closing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mortgage_risk.domain import DomainError
from mortgage_risk.monitoring.handling import (
    CaseAction,
    CaseStatus,
    HandlingPolicy,
    next_status,
)

POLICY = HandlingPolicy.load_default()
CAL = POLICY.calendar


def test_deadlines_by_level_over_the_national_day_week() -> None:
    # Raised Wednesday 30 Sep 2026; 1-7 Oct are holidays, Saturday 10 Oct is a make-up day.
    raised = date(2026, 9, 30)
    assert POLICY.deadline("red", raised) == date(2026, 10, 8)
    assert POLICY.deadline("orange", raised) == date(2026, 10, 10)
    assert POLICY.deadline("yellow", raised) == date(2026, 10, 13)
    assert POLICY.deadline("blue", raised) is None


def test_weekends_and_make_up_saturdays() -> None:
    assert POLICY.deadline("red", date(2026, 11, 27)) == date(2026, 11, 30)  # Fri → Mon
    assert POLICY.deadline("red", date(2026, 2, 13)) == date(2026, 2, 14)  # make-up Sat
    assert not CAL.is_working_day(date(2026, 2, 16))  # Spring Festival
    assert CAL.covers(date(2026, 5, 1)) and not CAL.covers(date(2030, 5, 1))


def test_escalation_one_step_per_working_day_late() -> None:
    deadline = date(2026, 11, 30)  # Monday
    assert POLICY.escalation_due(deadline, date(2026, 11, 30)) == 0
    assert POLICY.escalation_due(deadline, date(2026, 12, 1)) == 1
    assert POLICY.escalation_due(deadline, date(2026, 12, 2)) == 2
    assert POLICY.escalation_due(deadline, date(2026, 12, 20)) == 2  # two steps in all
    assert POLICY.escalation_due(date(2026, 12, 4), date(2026, 12, 6)) == 0  # weekend
    assert POLICY.escalation_due(None, date(2027, 1, 1)) == 0  # blue: never


def test_raising_the_level_keeps_the_earlier_deadline() -> None:
    yellow = POLICY.deadline("yellow", date(2026, 11, 23))  # Mon → Mon 30 Nov
    assert yellow == date(2026, 11, 30)
    assert POLICY.raised_deadline(yellow, "red", date(2026, 11, 25)) == date(2026, 11, 26)
    assert POLICY.raised_deadline(date(2026, 11, 24), "orange", date(2026, 11, 23)) == date(
        2026, 11, 24)
    assert POLICY.raised_deadline(None, "orange", date(2026, 11, 23)) == date(2026, 11, 26)


def test_closing_authority_and_review() -> None:
    assert POLICY.may_close("reviewer", "orange")
    assert not POLICY.may_close("reviewer", "red")
    assert POLICY.may_close("risk_manager", "red")
    assert not POLICY.may_close("loan_officer", "blue")
    assert POLICY.opens_review("orange") and POLICY.opens_review("red")
    assert not POLICY.opens_review("yellow")
    assert POLICY.review_due(date(2026, 11, 27)) == date(2026, 12, 4)


def test_measures_by_level() -> None:
    red = {m.code for m in POLICY.measures_for("red")}
    assert {"call_loan", "legal_action", "specific_provision"} <= red
    assert "call_loan" not in {m.code for m in POLICY.measures_for("yellow")}
    with pytest.raises(DomainError, match="not a measure for a yellow"):
        POLICY.measure("call_loan", "yellow")
    with pytest.raises(DomainError, match="unknown measure"):
        POLICY.measure("pray", "red")


def test_state_machine() -> None:
    assert next_status(CaseStatus.OPEN, CaseAction.VERIFY_CONFIRMED) is CaseStatus.CONFIRMED
    assert next_status(CaseStatus.OPEN,
                       CaseAction.VERIFY_FALSE_POSITIVE) is CaseStatus.CLOSE_REQUESTED
    assert next_status(CaseStatus.CLOSE_REQUESTED, CaseAction.REJECT_CLOSE,
                       false_positive=True) is CaseStatus.OPEN
    assert next_status(CaseStatus.CLOSE_REQUESTED,
                       CaseAction.REJECT_CLOSE) is CaseStatus.CONFIRMED
    with pytest.raises(DomainError, match="cannot approve_close a warning that is open"):
        next_status(CaseStatus.OPEN, CaseAction.APPROVE_CLOSE)
    with pytest.raises(DomainError, match="closed"):
        next_status(CaseStatus.CLOSED, CaseAction.REQUEST_CLOSE)


def test_bad_policy_names_the_field() -> None:
    raw = _raw_policy()
    raw["deadlines"]["purple"] = 2
    with pytest.raises(DomainError, match="level"):
        HandlingPolicy.from_dict(raw)
    raw = _raw_policy()
    raw["calendar"]["holidays"].append("2026-13-01")
    with pytest.raises(DomainError) as err:
        HandlingPolicy.from_dict(raw)
    assert err.value.field == "policy.calendar.holidays"


def _raw_policy() -> dict[str, Any]:
    import json
    from importlib.resources import files

    return json.loads(files("mortgage_risk.monitoring").joinpath(
        "data", "warning-handling-default.json").read_text(encoding="utf-8"))


@given(start=st.dates(date(2025, 1, 1), date(2026, 12, 31)), n=st.integers(1, 40))
def test_add_then_count_working_days(start: date, n: int) -> None:
    end = CAL.add_working_days(start, n)
    assert CAL.is_working_day(end)
    assert CAL.working_days_after(start, end) == n
    assert CAL.working_days_after(start, end - timedelta(days=1)) == n - 1
