"""Grading agrees with the production engines on every exercise type; a perfect answer scores
1, a wrong one less with the engine's explanation; a wrong form is refused, not scored."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mortgage_risk.domain import DomainError
from mortgage_risk.identification import default_ruleset, screen
from mortgage_risk.monitoring.classification import classify_one
from mortgage_risk.monitoring.handling import HandlingPolicy
from mortgage_risk.monitoring.policy import MonitoringPolicy
from mortgage_risk.monitoring.run import run_monitoring
from mortgage_risk.monitoring.warnings import aggregate_warnings
from mortgage_risk.synth import SyntheticBook, write_parquet
from mortgage_risk.training import CaseLibrary, TrainingConfig, exercise_for, grade_answer
from mortgage_risk.valuation import ValuationParams
from mortgage_risk.valuation.request import ValuationRequest
from tests.training.conftest import AS_OF

RULES = default_ruleset()
VALUATION = ValuationParams.load_default()
MONITORING = MonitoringPolicy.load_default()
HANDLING = HandlingPolicy.load_default()


def _assert_graded_by_engine(library: CaseLibrary, kind: str, wrong: Any) -> None:
    """The expected answer scores 1; ``wrong(expected)`` scores less, explained in zh and en."""
    for case in library.of_type(kind):
        exercise = exercise_for(case)
        expected = exercise.expected()
        perfect = exercise.grade(expected)
        assert perfect.score == 1.0 and perfect.perfect and not perfect.wrong_parts
        bad = exercise.grade(wrong(expected))
        assert bad.score < 1.0 and bad.wrong_parts
        assert bad.explanation_zh and bad.explanation_en
        assert bad.versions["training"] == "training-2026.1"
        question = exercise.question()
        assert question["case_id"] == case.id and question["material"] == case.material
        assert "reference" in question and "answer_form" in question


# --------------------------------------------------------------------------- flags


def test_flags_expected_answer_is_what_screen_fires(library: CaseLibrary) -> None:
    fired_somewhere = set()
    for case in library.of_type("flags"):
        fired = screen(case.engine_input["facts"], RULES).fired
        assert exercise_for(case).expected() == {"rule_ids": list(fired)}
        fired_somewhere |= set(fired)
    assert fired_somewhere  # the cases are not all clean


def test_flags_grading(library: CaseLibrary) -> None:
    def wrong(expected: dict[str, Any]) -> dict[str, Any]:
        ids = expected["rule_ids"]
        return {"rule_ids": ids[1:] if ids else ["DO01"]}

    _assert_graded_by_engine(library, "flags", wrong)
    case = max(library.of_type("flags"), key=lambda c: len(exercise_for(c).expected()
                                                             ["rule_ids"]))
    fired = exercise_for(case).expected()["rule_ids"]
    grade = grade_answer(case, {"rule_ids": fired[:1]})
    recall = 1 / len(fired)
    assert grade.score == pytest.approx(2 * recall / (1 + recall))
    messages = {r.id: r.message_zh for r in RULES.rules}
    assert all(any(messages[rid] in line for line in grade.explanation_zh) for rid in fired)


# --------------------------------------------------------------------------- valuation


def test_valuation_expected_answer_is_the_engine_result(library: CaseLibrary) -> None:
    for case in library.of_type("valuation"):
        result = ValuationRequest.from_dict(case.engine_input["request"]).run(VALUATION)
        expected = exercise_for(case).expected()
        assert result.newness is not None and result.cost is not None
        assert expected["newness_rate"] == pytest.approx(result.newness, abs=5e-5)
        assert Decimal(expected["land_value"]) == result.cost.land.value.quantize(
            Decimal("0.01"))
        assert Decimal(expected["mortgage_value"]) == result.mortgage_value


def test_valuation_grading_and_tolerances(library: CaseLibrary, config: TrainingConfig
                                          ) -> None:
    def wrong(expected: dict[str, Any]) -> dict[str, Any]:
        return {**expected, "mortgage_value": str(Decimal(expected["mortgage_value"]) * 2
                                                  + 1000)}

    _assert_graded_by_engine(library, "valuation", wrong)
    case = library.of_type("valuation")[0]
    exercise = exercise_for(case)
    exp = exercise.expected()
    tol = config.valuation
    near = {"newness_rate": exp["newness_rate"] + tol.newness_points / 2,
            "land_value": float(Decimal(exp["land_value"]) * Decimal("1.02")),
            "mortgage_value": str(Decimal(exp["mortgage_value"]) * Decimal("0.98"))}
    assert exercise.grade(near).score == 1.0
    far = {**near, "newness_rate": exp["newness_rate"] + 3 * tol.newness_points}
    grade = exercise.grade(far)
    assert grade.score == pytest.approx(2 / 3) and grade.wrong_parts == ("newness_rate",)
    assert any("q_age" in line for line in grade.explanation_zh)
    assert any("mortgage value" in line for line in grade.explanation_en)


# --------------------------------------------------------------------------- classification


def test_classification_expected_answer_is_classify_one(library: CaseLibrary) -> None:
    seen = set()
    for case in library.of_type("classification"):
        data = case.engine_input
        events = pd.DataFrame(data["events"]) if data["events"] else None
        repayments = pd.DataFrame(data["repayments"])
        expected = exercise_for(case).expected()["categories"]
        assert list(expected) == [loan["loan_id"] for loan in data["loans"]]
        for loan in data["loans"]:
            result = classify_one(loan, as_of=AS_OF, policy=MONITORING, events=events,
                                  previous_category=data["previous"][loan["loan_id"]],
                                  repayments=repayments)
            assert expected[loan["loan_id"]] == result.category.value
            seen.add(result.category.value)
    assert len(seen) >= 3  # the cases mix categories


def test_classification_grading(library: CaseLibrary) -> None:
    def wrong(expected: dict[str, Any]) -> dict[str, Any]:
        cats = dict(expected["categories"])
        first = next(iter(cats))
        cats[first] = "loss" if cats[first] != "loss" else "normal"
        return {"categories": cats}

    _assert_graded_by_engine(library, "classification", wrong)
    case = library.of_type("classification")[0]
    exercise = exercise_for(case)
    labels = {"normal": "正常", "special_mention": "关注", "substandard": "次级",
              "doubtful": "可疑", "loss": "损失"}
    zh = {ref: labels[c] for ref, c in exercise.expected()["categories"].items()}
    assert exercise.grade({"categories": zh}).score == 1.0
    grade = exercise.grade(wrong(exercise.expected()))
    assert grade.score == pytest.approx(1 - 1 / len(zh))
    assert any("依据" in line for line in grade.explanation_zh)


# --------------------------------------------------------------------------- warnings


def test_warning_expected_answer_is_the_monitoring_and_handling_engines(
        library: CaseLibrary, config: TrainingConfig) -> None:
    rubric = config.warning
    for case in library.of_type("warning_handling"):
        signals = pd.DataFrame(case.engine_input["signals"])
        opened = date.fromisoformat(case.engine_input["opened_on"])
        warning = aggregate_warnings(signals, opened).iloc[0]
        level = str(warning["level"])
        allowed = [m.code for m in HANDLING.measures_for(level)]
        required = set(rubric.required_measures[level])
        for family in warning["families"]:
            required |= set(rubric.required_by_family.get(family, ())) & set(allowed)
        due = HANDLING.deadline(level, opened)
        expected = exercise_for(case).expected()
        assert expected["level"] == level
        assert set(expected["measures"]) == required and required <= set(allowed)
        assert expected["verification_deadline"] == (None if due is None else due.isoformat())


def test_warning_levels_are_those_of_the_nightly_run(library: CaseLibrary,
                                                     book: SyntheticBook,
                                                     tmp_path: Path) -> None:
    write_parquet(book, tmp_path / "book")
    run = run_monitoring(tmp_path / "book", tmp_path / "out", AS_OF)
    warnings = run.read("warnings")
    signals = run.read("signals")
    fingerprints = {}
    for borrower, rows in signals.groupby("borrower_id"):
        key = tuple(sorted(zip(rows["indicator_id"], rows["value"].round(9), strict=True)))
        fingerprints[key] = str(warnings.set_index("borrower_id").loc[borrower, "level"])
    for case in library.of_type("warning_handling"):
        key = tuple(sorted((s["indicator_id"], round(s["value"], 9))
                           for s in case.engine_input["signals"]))
        assert fingerprints[key] == exercise_for(case).expected()["level"]


def test_warning_grading(library: CaseLibrary) -> None:
    def wrong(expected: dict[str, Any]) -> dict[str, Any]:
        level = "blue" if expected["level"] != "blue" else "red"
        return {**expected, "level": level}

    _assert_graded_by_engine(library, "warning_handling", wrong)
    case = next(c for c in library.of_type("warning_handling")
                if exercise_for(c).expected()["level"] in ("yellow", "orange", "red"))
    exercise = exercise_for(case)
    exp = exercise.expected()
    # a red-only measure on a lower warning is not allowed: it costs points
    too_much = {**exp, "measures": [*exp["measures"], "call_loan"]}
    if exp["level"] != "red":
        assert exercise.grade(too_much).score < 1.0
    late = {**exp, "verification_deadline": "2026-12-31"}
    grade = exercise.grade(late)
    assert grade.wrong_parts == ("verification_deadline",)
    assert any("工作日" in line for line in grade.explanation_zh)


# --------------------------------------------------------------------------- wrong forms

WRONG_FORMS: dict[str, list[tuple[Any, str]]] = {
    "flags": [
        ("BC01", "answer"),
        ({}, "answer.rule_ids"),
        ({"rule_ids": "BC01"}, "answer.rule_ids"),
        ({"rule_ids": ["BC01", 3]}, "answer.rule_ids[1]"),
        ({"rule_ids": ["ZZ99"]}, "answer.rule_ids[0]"),
        ({"rule_ids": ["BC01", "BC01"]}, "answer.rule_ids[1]"),
        ({"rule_ids": [], "notes": "x"}, "answer.notes"),
    ],
    "valuation": [
        ({"newness_rate": 0.7, "land_value": "1"}, "answer.mortgage_value"),
        ({"newness_rate": 70, "land_value": 1, "mortgage_value": 1}, "answer.newness_rate"),
        ({"newness_rate": -0.1, "land_value": 1, "mortgage_value": 1}, "answer.newness_rate"),
        ({"newness_rate": 0.7, "land_value": -5, "mortgage_value": 1}, "answer.land_value"),
        ({"newness_rate": 0.7, "land_value": "abc", "mortgage_value": 1}, "answer.land_value"),
        ({"newness_rate": 0.7, "land_value": 1, "mortgage_value": True},
         "answer.mortgage_value"),
        ({"newness_rate": 0.7, "land_value": 1, "mortgage_value": float("nan")},
         "answer.mortgage_value"),
    ],
    "warning_handling": [
        ({"level": "purple", "measures": [], "verification_deadline": None}, "answer.level"),
        ({"level": "red", "measures": ["pray"], "verification_deadline": None},
         "answer.measures[0]"),
        ({"level": "red", "measures": "call_loan", "verification_deadline": None},
         "answer.measures"),
        ({"level": "red", "measures": [], "verification_deadline": "31/03/2026"},
         "answer.verification_deadline"),
        ({"level": "red", "measures": [], "verification_deadline": "2020-01-01"},
         "answer.verification_deadline"),
        ({"level": "red", "measures": []}, "answer.verification_deadline"),
    ],
}


@pytest.mark.parametrize("kind", sorted(WRONG_FORMS))
def test_wrong_forms_are_refused_with_the_field(library: CaseLibrary, kind: str) -> None:
    exercise = exercise_for(library.of_type(kind)[0])
    for answer, field in WRONG_FORMS[kind]:
        with pytest.raises(DomainError) as err:
            exercise.grade(answer)
        assert err.value.field == field, (answer, err.value)
        assert err.value.reason


def test_classification_wrong_forms(library: CaseLibrary) -> None:
    exercise = exercise_for(library.of_type("classification")[0])
    cats = dict(exercise.expected()["categories"])
    first = next(iter(cats))
    cases = [
        ({"categories": [first]}, "answer.categories"),
        ({"categories": {**cats, first: "bad"}}, f"answer.categories.{first}"),
        ({"categories": {**cats, first: 2}}, f"answer.categories.{first}"),
        ({"categories": {k: v for k, v in cats.items() if k != first}},
         f"answer.categories.{first}"),
        ({"categories": {**cats, "L99": "normal"}}, "answer.categories.L99"),
    ]
    for answer, field in cases:
        with pytest.raises(DomainError) as err:
            exercise.grade(answer)
        assert err.value.field == field


def test_an_exercise_needs_a_case_of_its_type(library: CaseLibrary) -> None:
    from mortgage_risk.training.exercises import FlagsExercise

    with pytest.raises(DomainError) as err:
        FlagsExercise(library.of_type("valuation")[0])
    assert err.value.field == "case.type"
