"""The four exercise types, each graded by the production engine of its topic:

- ``flags``: find the identification flags (rule ids) in an application — ``screen``;
- ``valuation``: newness rate, land value, mortgage value — ``ValuationRequest.run``;
- ``classification``: five categories of N loans — ``classify_one``;
- ``warning_handling``: level, measures, verification deadline — the monitoring rules and the
  handling policy with the training rubric.

``exercise_for(case).question()`` is what the trainee sees, ``.expected()`` the engine's
answer, ``.grade(answer)`` the Grade (a wrong form raises DomainError and is not scored).
"""

from __future__ import annotations

from typing import Any

from mortgage_risk.domain import DomainError
from mortgage_risk.training.case import Case
from mortgage_risk.training.config import TrainingConfig
from mortgage_risk.training.engines import Engines
from mortgage_risk.training.exercise_base import Exercise
from mortgage_risk.training.exercise_classification import ClassificationExercise
from mortgage_risk.training.exercise_flags import FlagsExercise
from mortgage_risk.training.exercise_valuation import ValuationExercise
from mortgage_risk.training.exercise_warning import WarningHandlingExercise
from mortgage_risk.training.grades import Grade

EXERCISES: dict[str, type[Exercise]] = {
    cls.type: cls for cls in (FlagsExercise, ValuationExercise, ClassificationExercise,
                              WarningHandlingExercise)
}


def exercise_for(case: Case, engines: Engines | None = None,
                 config: TrainingConfig | None = None) -> Exercise:
    """The exercise of ``case``'s type."""
    cls = EXERCISES.get(case.type)
    if cls is None:
        raise DomainError("case.type", f"no exercise for type {case.type!r}")
    return cls(case, engines, config)


def grade_answer(case: Case, answer: Any, engines: Engines | None = None,
                 config: TrainingConfig | None = None) -> Grade:
    """Grade one answer to one case."""
    return exercise_for(case, engines, config).grade(answer)


__all__ = ["EXERCISES", "ClassificationExercise", "Exercise", "FlagsExercise",
           "ValuationExercise", "WarningHandlingExercise", "exercise_for", "grade_answer"]
