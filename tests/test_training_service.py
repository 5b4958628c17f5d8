"""Training in the database (SQLite and PostgreSQL): a trainer builds a set, a wrong-form answer
is refused naming the field with nothing stored, a perfect answer (computed with the engine
here) passes and certifies until the configured expiry, a poor one does not, progress numbers,
the time limit, and the gate: a training configuration gating an action (activated by a second
person) refuses an uncertified officer, allows them once certified, and blocks again when the
certification has expired."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select

from mortgage_risk.services import parameters, training, training_gate, valuation
from mortgage_risk.services import warnings as wrn
from mortgage_risk.services.demo import seed_portfolio
from mortgage_risk.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from mortgage_risk.services.monitoring_schemas import VerifyIn
from mortgage_risk.services.users import CurrentUser, load_user
from mortgage_risk.storage.audit import verify_chain
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.tables import (
    AttemptRow,
    AuditRow,
    BorrowerRow,
    CertificationRow,
    ExerciseSetRow,
    LoanRow,
    PropertyRow,
    ValuationRow,
    WarningCaseRow,
)
from mortgage_risk.training import Engines, TrainingConfig, exercise_for

ON = date(2026, 6, 30)
SEED, SIZE = 7, 3
WHY = {"explanation": "县城住宅以比较法为主，成本法未反映区位价值"}


def _user(db: Database, name: str) -> CurrentUser:
    with db.uow() as uow:
        row = uow.users.by_username(name)
        assert row is not None
        user = load_user(uow, row.id)
        assert user is not None
        return user


@pytest.fixture
def book(database: Database) -> Database:
    with database.uow() as uow:
        seed_portfolio(uow, actor="test", loans=300, seed=21, as_of=ON, parquet_dir=None)
    return database


def _count(db: Database, table: Any) -> int:
    with db.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def _audits(db: Database, action: str) -> int:
    with db.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(AuditRow).where(
            AuditRow.action == action)) or 0)


def _new_set(db: Database, topic: str = "valuation", **extra: Any) -> dict[str, Any]:
    with db.uow() as uow:
        return training.create_set(uow, _user(db, "trainer"), name=f"{topic} 练习",
                                   topic=topic, seed=SEED, n=SIZE, **extra)


def _perfect(s: dict[str, Any]) -> dict[str, Any]:
    """The engine's own answers, computed here with the production engines and data."""
    library = training.case_library(s["library_seed"], s["library_size"])
    return {cid: exercise_for(library.get(cid), Engines.default(),
                              TrainingConfig.load_default()).expected()
            for cid in s["case_ids"]}


def _poor(s: dict[str, Any]) -> dict[str, Any]:
    return {cid: {"newness_rate": 0.01, "land_value": "1", "mortgage_value": "1"}
            for cid in s["case_ids"]}


def _submit(db: Database, who: str, s: dict[str, Any], answers: Any,
            now: datetime | None = None) -> dict[str, Any]:
    with db.uow() as uow:
        return training.submit_attempt(uow, _user(db, who), s["id"], answers, now=now)


def test_a_trainer_builds_a_set_and_the_trainee_sees_no_answers(book: Database) -> None:
    s = _new_set(book)
    assert (s["topic"], s["cases"], s["pass_mark"]) == ("valuation", 3, 0.8)
    assert all(cid.startswith("VAL-7-") for cid in s["case_ids"])
    officer = _user(book, "officer1")
    with book.uow() as uow, pytest.raises(PermissionDenied):
        training.create_set(uow, officer, name="x", topic="valuation", seed=1, n=1)
    bad: list[tuple[dict[str, Any], str]] = [
        ({"topic": "cooking"}, "topic"), ({"name": "  "}, "name"),
        ({"n": 99}, "n"), ({"size": 99}, "size"), ({"size": 3, "n": 5}, "n"),
        ({"case_ids": [s["case_ids"][0], "FLG-7-001"]}, "case_ids[1]"),
        ({"case_ids": ["NOPE"]}, "case_ids[0]"), ({"pass_mark": 1.5}, "pass_mark"),
        ({"time_limit": 0}, "time_limit"), ({"seed": -1}, "seed")]
    for change, field in bad:
        args: dict[str, Any] = {"name": "练习", "topic": "valuation", "seed": SEED, "n": SIZE,
                                **change}
        with book.uow() as uow, pytest.raises(InvalidInput) as err:
            training.create_set(uow, _user(book, "trainer"), **args)
        assert err.value.field == field, (change, err.value)
    assert _count(book, ExerciseSetRow) == 1
    with book.uow() as uow:
        view = training.get_set_for_trainee(uow, officer, s["id"])
        listing = training.list_sets(uow, officer)
    assert [q["case_id"] for q in view["questions"]] == s["case_ids"]
    text = json.dumps(view, ensure_ascii=False)
    assert "engine_input" not in text and "expected" not in text
    for cid, answer in _perfect(s).items():  # not a single engine answer leaks
        assert answer["mortgage_value"] not in text, cid
    assert listing[0]["mine"] == {"attempts": 0, "passed": False, "best": None,
                                  "last_attempt_id": None}
    with book.uow() as uow:
        assert verify_chain(uow.session).intact


def test_a_wrong_form_answer_is_refused_naming_the_field_and_nothing_is_stored(
        book: Database) -> None:
    s = _new_set(book)
    first, second = s["case_ids"][:2]
    good = _perfect(s)
    cases: list[tuple[Any, str]] = [
        ({**good, first: {**good[first], "land_value": "12万"}}, f"answers[{first}].land_value"),
        ({**good, second: {**good[second], "newness_rate": 68.7}},
         f"answers[{second}].newness_rate"),
        ({**good, first: {"newness_rate": 0.5}}, f"answers[{first}].land_value"),
        ({**good, first: {**good[first], "colour": "red"}}, f"answers[{first}].colour"),
        ({"VAL-9-999": good[first]}, "answers[VAL-9-999]"),
        (["not", "an", "object"], "answers"),
    ]
    for answers, field in cases:
        with pytest.raises(InvalidInput) as err:
            _submit(book, "officer1", s, answers)
        assert err.value.field == field, err.value
        assert err.value.reason
    assert _count(book, AttemptRow) == 0
    assert _count(book, CertificationRow) == 0
    assert _audits(book, "training_attempt_submitted") == 0


def test_perfect_answers_certify_until_the_expiry_and_poor_ones_do_not(book: Database) -> None:
    s = _new_set(book)
    march = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)
    result = _submit(book, "officer1", s, _perfect(s), now=march)
    assert (result["score"], result["passed"]) == (1.0, True)
    cert = result["certification"]
    assert (cert["topic"], cert["granted_on"], cert["expires_on"]) == (
        "valuation", "2026-03-15", "2027-03-15")  # 12 months in training-2026.1
    assert len(result["grades"]) == 3
    for grade in result["grades"]:  # the engine's explanation is kept with each grade
        assert grade["score"] == 1.0
        assert any("抵押价值" in line for line in grade["explanation_zh"])
        assert any("mortgage value" in line for line in grade["explanation_en"])
    versions = result["versions"]
    assert versions["training"] == "training-2026.1"
    assert versions["valuation_params"] == "valuation-params-2026.1"
    assert versions["rules"] and versions["case_library"] == "seed 7, size 3"
    poor = _submit(book, "reviewer1", s, _poor(s), now=march)
    assert not poor["passed"] and poor["score"] < 0.8 and poor["certification"] is None
    # a retake after seeing the engines' answers is graded but does not certify
    retake = _submit(book, "reviewer1", s, _perfect(s), now=march + timedelta(minutes=5))
    assert retake["passed"] and retake["certification"] is None
    with book.uow() as uow:
        rows = uow.session.scalars(select(CertificationRow)).all()
        assert [(r.username, r.topic, r.expires_on) for r in rows] == [
            ("officer1", "valuation", date(2027, 3, 15))]
        stored = uow.session.get(AttemptRow, result["id"])
        assert stored is not None and stored.answers == json.loads(json.dumps(_perfect(s)))
        assert verify_chain(uow.session).intact
    # only what was answered counts: one case of three left out scores 0 for it
    partial = _perfect(s)
    partial.pop(s["case_ids"][2])
    later = _submit(book, "officer1", s, partial, now=march + timedelta(days=30))
    assert later["score"] == pytest.approx(2 / 3, abs=1e-4) and not later["passed"]
    assert later["unanswered"] == [s["case_ids"][2]]
    assert later["certification"] is None
    # progress per staff member
    on = date(2026, 6, 1)
    with book.uow() as uow:
        mine = training.progress(uow, _user(book, "officer1"), on=on)
        theirs = training.progress(uow, _user(book, "trainer"), "reviewer1", on=on)
        overview = training.staff_overview(uow, _user(book, "trainer"), on=on)
    val = next(t for t in mine["topics"] if t["topic"] == "valuation")
    assert (val["attempts"], val["passed"], val["best"], val["certified"],
            val["certified_until"]) == (2, 1, 1.0, True, "2027-03-15")
    assert val["latest"] == pytest.approx(2 / 3, abs=1e-4)
    assert [a["score"] for a in mine["attempts"]] == [later["score"], 1.0]  # newest first
    other = next(t for t in theirs["topics"] if t["topic"] == "valuation")
    assert (other["attempts"], other["passed"], other["certified"]) == (2, 1, False)
    assert all(t["attempts"] == 0 for t in mine["topics"] if t["topic"] != "valuation")
    by_user = {m["username"]: m for m in overview["staff"]}
    assert by_user["officer1"]["topics"][1]["certified"]
    assert not by_user["reviewer1"]["topics"][1]["certified"]
    with book.uow() as uow, pytest.raises(PermissionDenied):
        training.progress(uow, _user(book, "officer1"), "reviewer1")
    with book.uow() as uow, pytest.raises(PermissionDenied):
        training.staff_overview(uow, _user(book, "officer1"))
    with book.uow() as uow:  # someone else's result is not shown to a trainee
        with pytest.raises(NotFound):
            training.attempt_result(uow, _user(book, "reviewer1"), result["id"])
        assert training.attempt_result(uow, _user(book, "trainer"), result["id"])["passed"]


def test_the_time_limit_counts_from_the_start(book: Database) -> None:
    s = _new_set(book, time_limit=10)
    with pytest.raises(Conflict) as err:
        _submit(book, "officer1", s, _perfect(s))
    assert err.value.field == "set_id"
    t0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
    officer = _user(book, "officer1")
    with book.uow() as uow:  # the questions of a timed set are shown once it is started
        hidden = training.get_set_for_trainee(uow, officer, s["id"], now=t0)
    assert hidden["questions_hidden"] and hidden["questions"] == []
    with book.uow() as uow:
        first = training.start_attempt(uow, officer, s["id"], now=t0)
    with book.uow() as uow:
        shown = training.get_set_for_trainee(uow, officer, s["id"], now=t0)
    assert not shown["questions_hidden"] and len(shown["questions"]) == 3
    with book.uow() as uow:  # starting again within the limit resumes the same attempt
        again = training.start_attempt(uow, officer, s["id"], now=t0 + timedelta(minutes=3))
    assert (first["resumed"], again["resumed"]) == (False, True)
    assert again["started_at"] == first["started_at"] and again["minutes_left"] == 7.0
    assert _audits(book, "training_attempt_started") == 1
    late = _submit(book, "officer1", s, _perfect(s), now=t0 + timedelta(minutes=25))
    assert late["score"] == 1.0 and late["over_time"] and not late["passed"]
    assert late["certification"] is None and late["minutes_taken"] == 25.0
    with book.uow() as uow:
        training.start_attempt(uow, officer, s["id"], now=t0 + timedelta(hours=1))
    # the time runs out without a submission: starting again records a failed attempt first
    with book.uow() as uow:
        restarted = training.start_attempt(uow, officer, s["id"], now=t0 + timedelta(hours=2))
    assert not restarted["resumed"] and _count(book, AttemptRow) == 2
    with book.uow() as uow:
        expired = training.progress(uow, officer)["attempts"][0]
    assert (expired["score"], expired["passed"], expired["over_time"]) == (0.0, False, True)
    assert _audits(book, "training_attempt_expired") == 1
    on_time = _submit(book, "officer1", s, _perfect(s), now=t0 + timedelta(hours=2, minutes=9))
    # on time, but the late attempt already showed the engines' answers: no certification
    assert on_time["passed"] and on_time["certification"] is None
    with book.uow() as uow:  # a retired set takes no attempts
        training.set_active(uow, _user(book, "trainer"), s["id"], False)
    with pytest.raises(NotFound):
        _submit(book, "officer1", s, _perfect(s))


# --------------------------------------------------------------------------- the gate


def _activate_gates(db: Database, gates: dict[str, str], version: str) -> None:
    """The risk manager drafts a training configuration with ``gates``; a second person
    activates it (maker-checker)."""
    content = training_gate.default_content()
    content["version"] = version
    content["gates"] = {"_source": "gated by the risk department", **gates}
    with db.uow() as uow:
        parameters.create_draft(uow, _user(db, "risk"), kind="training", content=content,
                                notes="certified staff only")
    with db.uow() as uow, pytest.raises(PermissionDenied, match="maker-checker"):
        parameters.activate(uow, _user(db, "risk"), kind="training", version=version)
    with db.uow() as uow:
        parameters.activate(uow, _user(db, "modeller"), kind="training", version=version)


def _property_of(db: Database, user: CurrentUser) -> int:
    with db.uow() as uow:
        found = uow.session.scalar(
            select(PropertyRow.id).join(BorrowerRow, BorrowerRow.id == PropertyRow.owner_id)
            .where(PropertyRow.property_type == "urban_housing",
                   PropertyRow.seized.is_(False), BorrowerRow.branch_id == user.branch_id)
            .order_by(PropertyRow.id).limit(1))
    assert found is not None
    return int(found)


def _valuate(db: Database, user: CurrentUser, prop: int) -> None:
    with db.uow() as uow:
        valuation.valuate_property(uow, user, prop, valuation_date=ON,
                                   loan_amount=Decimal("150000"), request=WHY)


def test_the_certification_gate_blocks_then_allows_a_valuation(book: Database) -> None:
    officer = _user(book, "officer1")
    prop = _property_of(book, officer)
    _valuate(book, officer, prop)  # the shipped configuration gates nothing
    assert _count(book, ValuationRow) == 1
    # a gate on an action no service asks about is refused, naming it
    bad = training_gate.default_content()
    bad.update(version="training-bad", gates={"submit_valuations": "valuation"})
    with book.uow() as uow, pytest.raises(InvalidInput) as err:
        parameters.create_draft(uow, _user(book, "risk"), kind="training", content=bad)
    assert err.value.field == "content.training.gates.submit_valuations"

    _activate_gates(book, {"submit_valuation": "valuation"}, "training-2026.2")
    with pytest.raises(PermissionDenied) as refused:
        _valuate(book, officer, prop)
    assert refused.value.field == "certification"
    assert "not certified in collateral valuation" in refused.value.reason
    assert "未取得抵押物估值认证" in refused.value.reason
    assert _count(book, ValuationRow) == 1  # nothing written

    s = _new_set(book)
    result = _submit(book, "officer1", s, _perfect(s))
    assert result["passed"] and result["versions"]["training"] == "training-2026.2"
    assert result["certification"]["config_version"] == "training-2026.2"
    _valuate(book, officer, prop)  # the same valuation is now allowed
    assert _count(book, ValuationRow) == 2

    # a certification that has expired blocks again
    other = _user(book, "officer2")
    long_ago = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)
    old = _submit(book, "officer2", s, _perfect(s), now=long_ago)
    assert old["certification"]["expires_on"] == "2025-01-10"
    with pytest.raises(PermissionDenied) as expired:
        _valuate(book, other, _property_of(book, other))
    assert "expired on 2025-01-10" in expired.value.reason
    assert _count(book, ValuationRow) == 2
    with book.uow() as uow:
        assert training_gate.gate(uow, other, "submit_valuation").expired_on == date(2025, 1, 10)
        assert training_gate.gate(uow, other, "verify_warning").allowed  # not gated
        assert verify_chain(uow.session).intact


def test_the_gate_on_verifying_a_warning(book: Database) -> None:
    officer = _user(book, "officer1")
    with book.uow() as uow:
        borrower, loan = uow.session.execute(
            select(LoanRow.borrower_id, LoanRow.id).where(
                LoanRow.branch_id == officer.branch_id, LoanRow.status == "active")
            .order_by(LoanRow.id).limit(1)).one()
        frame = pd.DataFrame([{
            "borrower_id": borrower, "branch_id": officer.branch_id, "level": "yellow",
            "level_rank": 2, "signal_count": 1, "top_indicator_id": "REP_CUR_DPD",
            "indicator_ids": ["REP_CUR_DPD"], "loan_ids": [loan],
            "low_confidence_only": False}])
        wrn.sync_warnings(uow, as_of=ON, warnings=frame, versions={"t": "1"})
        uow.commit()
        case_id = uow.session.scalar(select(WarningCaseRow.id))
    assert case_id is not None
    _activate_gates(book, {"verify_warning": "warning_handling"}, "training-2026.3")
    data = VerifyIn.model_validate({"outcome": "confirmed", "method": "phone",
                                    "evidence": ["电话核实：借款人称收入下降"]})
    with book.uow() as uow, pytest.raises(PermissionDenied) as refused:
        wrn.verify(uow, officer, case_id, data, today=ON)
    assert refused.value.field == "certification"
    assert "warning handling" in refused.value.reason
    with book.uow() as uow:
        case = uow.session.get(WarningCaseRow, case_id)
        assert case is not None and case.status == "open"  # nothing written
    s = _new_set(book, "warning_handling")
    june = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # certified before the day of the check
    assert _submit(book, "officer1", s, _perfect(s), now=june)["passed"]
    with book.uow() as uow:
        assert wrn.verify(uow, officer, case_id, data, today=ON)["status"] == "confirmed"
