"""The loan file as JSON: a round trip, and bad input refused naming the field."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from mortgage_risk.control.enums import AuthorityLevel
from mortgage_risk.domain import DomainError
from mortgage_risk.supervision import LoanFile
from tests.supervision.files import clean_file


def test_json_round_trip() -> None:
    file = LoanFile.from_dict(clean_file())
    again = LoanFile.from_dict(json.loads(json.dumps(file.to_dict())))
    assert again == file
    assert file.file_id == 101
    assert file.application.amount == Decimal("400000.00")
    assert file.decisions[0].decider_level is AuthorityLevel.BRANCH_HEAD
    assert file.valuation_dates == (date(2025, 12, 20),)
    assert file.loan is not None and file.loan.first_missed_due_on is None


def test_naive_timestamps_are_beijing_time() -> None:
    data = clean_file()
    data["events"][0]["at"] = "2026-01-05T09:00:00"
    event = LoanFile.from_dict(data).events[0]
    assert event.at.utcoffset() is not None
    assert event.at.utcoffset().total_seconds() == 8 * 3600  # type: ignore[union-attr]
    assert event.at.replace(tzinfo=None) == datetime(2026, 1, 5, 9)


def test_a_minimal_file_is_an_application_alone() -> None:
    data = {"application": clean_file()["application"] | {"status": "submitted"}}
    file = LoanFile.from_dict(data)
    assert file.loan is None and file.decisions == () and file.warnings == ()


def _set(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(clean_file())
    node: Any = data
    parts = path.replace("]", "").replace("[", ".").split(".")
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    last = parts[-1]
    if value is _DROP:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return data


_DROP = object()


@pytest.mark.parametrize(("path", "value", "field"), [
    ("application", _DROP, "application"),
    ("application.amount", "-5", "application.amount"),
    ("application.amount", "lots", "application.amount"),
    ("application.status", "pending", "application.status"),
    ("application.submitted_on", "05/01/2026", "application.submitted_on"),
    ("application.branch_id", "3", "application.branch_id"),
    ("application.colour", "red", "application.colour"),
    ("events[1].step", "visit", "events[1].step"),
    ("events[1].at", "yesterday", "events[1].at"),
    ("events[1].actor", " ", "events[1].actor"),
    ("visits[0].visited_on", None, "visits[0].visited_on"),
    ("assessments[0].authority_level", "mayor", "assessments[0].authority_level"),
    ("assessments[0].recommendation", "maybe", "assessments[0].recommendation"),
    ("decisions[0].decider_level", "boss", "decisions[0].decider_level"),
    ("decisions[0].decider_role", "teller", "decisions[0].decider_role"),
    ("decisions[0].stage", "final", "decisions[0].stage"),
    ("decisions[0].override", "yes", "decisions[0].override"),
    ("decisions[0].reasons", 12, "decisions[0].reasons"),
    ("valuation_dates[0]", "2025-13-01", "valuation_dates[0]"),
    ("valuation_dates", "2025-12-20", "valuation_dates"),
    ("loan.days_past_due", -1, "loan.days_past_due"),
    ("loan.five_category", "bad", "loan.five_category"),
    ("loan.status", "closed", "loan.status"),
    ("warnings[0].level", "purple", "warnings[0].level"),
    ("warnings[0].deadline", "2026-03-01", "warnings[0].deadline"),
    ("warnings[0].status", "done", "warnings[0].status"),
    ("registered_on", "soon", "registered_on"),
    ("surprise", 1, "surprise"),
])
def test_bad_input_names_the_field(path: str, value: Any, field: str) -> None:
    with pytest.raises(DomainError) as err:
        LoanFile.from_dict(_set(path, value))
    assert err.value.field == field


def test_not_an_object() -> None:
    with pytest.raises(DomainError) as err:
        LoanFile.from_dict(["application"])
    assert err.value.field == "file"
