"""Exercise sets and attempts, certification with its expiry, and the gate on actions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from mortgage_risk.domain import DomainError
from mortgage_risk.training import (
    CaseLibrary,
    Certification,
    ExerciseSet,
    TrainingConfig,
    certify,
    exercise_for,
    gate_allows,
    is_certified,
    score_attempt,
    staff_progress,
)
from mortgage_risk.training.certification import add_months, certification_status

GATES = {"submit_valuation": "valuation", "verify_warning": "warning_handling"}


def _set(library: CaseLibrary, topic: str = "valuation", **extra: Any) -> ExerciseSet:
    ids = [c.id for c in library.of_topic(topic)][:3]
    return ExerciseSet(id=f"SET-{topic}", topic=topic, case_ids=tuple(ids),
                       title_zh="估值练习", created_by="trainer1", **extra)


def _perfect(library: CaseLibrary, s: ExerciseSet) -> dict[str, Any]:
    return {cid: exercise_for(library.get(cid)).expected() for cid in s.case_ids}


def test_a_set_round_trips_and_refuses_bad_data(library: CaseLibrary) -> None:
    s = _set(library, pass_mark=0.9, time_limit_minutes=30)
    assert ExerciseSet.from_dict(s.to_dict()) == s
    assert s.cases(library)[0].topic == "valuation"
    bad = [({"topic": "cooking"}, "set.topic"), ({"case_ids": []}, "set.case_ids"),
           ({"case_ids": ["A", "A"]}, "set.case_ids[1]"), ({"pass_mark": 1.5}, "set.pass_mark"),
           ({"time_limit_minutes": 0}, "set.time_limit_minutes"), ({"colour": "red"}, "set.colour")]
    for change, field in bad:
        with pytest.raises(DomainError) as err:
            ExerciseSet.from_dict({**s.to_dict(), **change})
        assert err.value.field == field
    mixed = ExerciseSet("MIX", "valuation", (s.case_ids[0], library.of_type("flags")[0].id))
    with pytest.raises(DomainError) as err:
        mixed.cases(library)
    assert err.value.field == "set.case_ids[1]"


def test_score_attempt_grades_each_answer(library: CaseLibrary,
                                          config: TrainingConfig) -> None:
    s = _set(library)
    answers = _perfect(library, s)
    result = score_attempt(s, answers, library, user="officer1", submitted_on=date(2026, 4, 1))
    assert result.total == 1.0 and result.passed and not result.unanswered
    assert [g.case_id for g in result.grades] == list(s.case_ids)
    assert result.pass_mark == config.pass_marks["valuation"]
    partial = dict(answers)
    del partial[s.case_ids[0]]
    result = score_attempt(s, partial, library, user="officer1", submitted_on=date(2026, 4, 1))
    assert result.unanswered == (s.case_ids[0],)
    assert result.total == pytest.approx(2 / 3) and not result.passed
    timed = _set(library, time_limit_minutes=20)
    late = score_attempt(timed, answers, library, user="officer1",
                         submitted_on=date(2026, 4, 1), minutes_taken=25)
    assert late.total == 1.0 and late.over_time and not late.passed


def test_a_wrong_form_refuses_the_whole_attempt(library: CaseLibrary) -> None:
    s = _set(library)
    answers = _perfect(library, s)
    answers[s.case_ids[1]] = {**answers[s.case_ids[1]], "land_value": -1}
    with pytest.raises(DomainError) as err:
        score_attempt(s, answers, library, user="officer1", submitted_on=date(2026, 4, 1))
    assert err.value.field == f"answers[{s.case_ids[1]}].land_value"
    with pytest.raises(DomainError) as err:
        score_attempt(s, {"NOPE": {}}, library, user="officer1", submitted_on=date(2026, 4, 1))
    assert err.value.field == "answers[NOPE]"


def test_certification_expires_after_the_validity(library: CaseLibrary,
                                                  config: TrainingConfig) -> None:
    s = _set(library)
    passed = score_attempt(s, _perfect(library, s), library, user="officer1",
                           submitted_on=date(2026, 4, 30))
    cert = certify(passed, config)
    assert cert is not None and cert.topic == "valuation"
    assert cert.expires_on == add_months(date(2026, 4, 30), config.validity_months)
    assert Certification.from_dict(cert.to_dict()) == cert
    records = [cert]
    assert not is_certified(records, "officer1", "valuation", date(2026, 4, 29))
    assert is_certified(records, "officer1", "valuation", date(2026, 4, 30))
    assert is_certified(records, "officer1", "valuation", cert.expires_on.replace(day=1))
    assert not is_certified(records, "officer1", "valuation", cert.expires_on)
    assert not is_certified(records, "officer2", "valuation", date(2026, 6, 1))
    assert not is_certified(records, "officer1", "classification", date(2026, 6, 1))
    status = certification_status(records, "officer1", "valuation", date(2027, 6, 1))
    assert not status.certified and cert.expires_on.isoformat() in status.reason_en
    failed = score_attempt(s, {}, library, user="officer2", submitted_on=date(2026, 4, 30))
    assert certify(failed, config) is None
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


def test_the_gate_blocks_then_allows_after_a_passed_attempt(
        library: CaseLibrary, config: TrainingConfig) -> None:
    gated = config.with_gates(GATES)
    assert gated.gates == GATES and config.gates == {}
    day = date(2026, 5, 6)
    records: list[Certification] = []
    blocked = gate_allows(gated.gates, records, "officer1", "submit_valuation", day)
    assert not blocked.allowed and blocked.topic == "valuation"
    assert "not certified" in blocked.reason_en and "未取得" in blocked.reason_zh
    # an action no gate names, and the default (empty) gates, never block
    assert gate_allows(gated.gates, records, "officer1", "view_book", day).allowed
    assert gate_allows(config.gates, records, "officer1", "submit_valuation", day).allowed

    s = _set(library)
    answers = _perfect(library, s)
    first = next(iter(answers))
    answers[first] = {**answers[first], "mortgage_value": "1"}  # 2/3 on one case: 8/9 total
    result = score_attempt(s, answers, library, user="officer1", submitted_on=day)
    assert result.passed and result.total < 1.0
    cert = certify(result, gated)
    assert cert is not None
    records.append(cert)
    assert gate_allows(gated.gates, records, "officer1", "submit_valuation", day).allowed
    still = gate_allows(gated.gates, records, "officer1", "verify_warning", day)
    assert not still.allowed and still.topic == "warning_handling"

    later = cert.expires_on
    expired = gate_allows(gated.gates, records, "officer1", "submit_valuation", later)
    assert not expired.allowed and expired.expired_on == cert.expires_on
    assert f"expired on {cert.expires_on.isoformat()}" in expired.reason_en
    assert "到期" in expired.reason_zh


def test_gates_and_config_are_validated(config: TrainingConfig) -> None:
    with pytest.raises(DomainError) as err:
        config.with_gates({"submit_valuation": "astrology"})
    assert err.value.field == "training.gates.submit_valuation"
    with pytest.raises(DomainError) as err:
        gate_allows({"x": "astrology"}, [], "u", "x", date(2026, 1, 1))
    assert err.value.field == "training.gates.x"
    raw = dict(config.raw)
    raw["pass_marks"] = {**raw["pass_marks"], "valuation": 1.5}
    with pytest.raises(DomainError) as err:
        TrainingConfig.from_dict(raw)
    assert err.value.field == "training.pass_marks.valuation"
    raw = dict(config.raw)
    raw.pop("certification")
    with pytest.raises(DomainError) as err:
        TrainingConfig.from_dict(raw)
    assert err.value.field == "training.certification"


def test_progress_per_staff_member(library: CaseLibrary, config: TrainingConfig) -> None:
    s = _set(library)
    fail = score_attempt(s, {}, library, user="officer1", submitted_on=date(2026, 4, 1))
    win = score_attempt(s, _perfect(library, s), library, user="officer1",
                        submitted_on=date(2026, 4, 2))
    other = score_attempt(s, _perfect(library, s), library, user="officer2",
                          submitted_on=date(2026, 4, 2))
    cert = certify(win, config)
    assert cert is not None
    progress = {p.topic: p for p in staff_progress([fail, win, other], [cert], "officer1",
                                                   date(2026, 4, 3), config)}
    valuation = progress["valuation"]
    assert (valuation.attempts, valuation.passed, valuation.best, valuation.latest) == \
        (2, 1, 1.0, 1.0)
    assert valuation.certified and valuation.certified_until == cert.expires_on
    assert progress["classification"].attempts == 0
    assert not progress["classification"].certified
    assert progress["valuation"].to_dict()["latest_on"] == "2026-04-02"
