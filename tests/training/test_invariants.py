"""Invariants over any well-formed answer: the score is within [0, 1], the engine's own answer
always scores 1, and a wrong form never yields a score."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mortgage_risk.domain import DomainError, FiveCategory
from mortgage_risk.monitoring.handling import LEVELS, HandlingPolicy
from mortgage_risk.training import CaseLibrary, exercise_for
from mortgage_risk.training.exercise_base import Exercise

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
MEASURES = sorted(HandlingPolicy.load_default().measures)


def _answers(exercise: Exercise, draw: st.DataObject) -> dict[str, Any]:
    """A well-formed answer of the exercise's type."""
    kind = exercise.type
    if kind == "flags":
        ids = sorted(r.id for r in exercise.engines.rules.enabled)
        return {"rule_ids": draw.draw(st.lists(st.sampled_from(ids), unique=True,
                                               max_size=12))}
    if kind == "valuation":
        money = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False)
        return {"newness_rate": draw.draw(st.floats(0, 1)),
                "land_value": str(draw.draw(money)), "mortgage_value": str(draw.draw(money))}
    if kind == "classification":
        refs = list(exercise.expected()["categories"])
        cats = st.sampled_from([c.value for c in FiveCategory])
        return {"categories": {ref: draw.draw(cats) for ref in refs}}
    opened = date.fromisoformat(exercise.case.engine_input["opened_on"])
    deadline = draw.draw(st.none() | st.integers(0, 30).map(
        lambda d: (opened + timedelta(days=d)).isoformat()))
    return {"level": draw.draw(st.sampled_from(LEVELS)),
            "measures": draw.draw(st.lists(st.sampled_from(MEASURES), unique=True)),
            "verification_deadline": deadline}


@SETTINGS
@given(data=st.data())
def test_any_well_formed_answer_scores_within_0_and_1(library: CaseLibrary,
                                                      data: st.DataObject) -> None:
    case = data.draw(st.sampled_from(library.cases))
    exercise = _exercise(case.id, library)
    grade = exercise.grade(_answers(exercise, data))
    assert 0.0 <= grade.score <= 1.0
    assert all(0.0 <= p.score <= 1.0 for p in grade.parts)
    assert grade.explanation_zh and grade.explanation_en
    assert exercise.grade(exercise.expected()).score == 1.0


@SETTINGS
@given(data=st.data(), junk=st.one_of(st.none(), st.integers(), st.text(max_size=5),
                                      st.lists(st.integers(), max_size=3),
                                      st.dictionaries(st.text(max_size=4), st.integers(),
                                                      max_size=3)))
def test_a_wrong_form_is_refused_naming_its_field(library: CaseLibrary, data: st.DataObject,
                                            junk: Any) -> None:
    case = data.draw(st.sampled_from(library.cases))
    exercise = _exercise(case.id, library)
    answer = dict(exercise.expected())
    field = data.draw(st.sampled_from(sorted(answer)))
    answer[field] = junk
    try:
        grade = exercise.grade(answer)
    except DomainError as err:
        assert err.field.startswith(f"answer.{field}")
    else:  # junk that happens to be of the right form (an empty list, a number) is graded
        assert 0.0 <= grade.score <= 1.0


_CACHE: dict[str, Exercise] = {}


def _exercise(case_id: str, library: CaseLibrary) -> Exercise:
    """One exercise per case for the whole module (the engines' results are cached on it)."""
    if case_id not in _CACHE:
        _CACHE[case_id] = exercise_for(library.get(case_id))
    return _CACHE[case_id]
