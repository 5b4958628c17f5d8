"""Staff training: a case library from the synthetic book, exercises graded by the production
engines, exercise sets, certification by topic and the gate that asks for it.

Pure: no database, web or CLI; the versioned parameters are in ``data/training-default.json``.
"""

from mortgage_risk.training.case import Case
from mortgage_risk.training.cases import CaseLibrary, build_cases
from mortgage_risk.training.certification import (
    Certification,
    GateDecision,
    Status,
    certification_status,
    certify,
    gate_allows,
    is_certified,
)
from mortgage_risk.training.config import EXERCISE_TYPES, TOPICS, TrainingConfig
from mortgage_risk.training.engines import Engines
from mortgage_risk.training.exercises import EXERCISES, Exercise, exercise_for, grade_answer
from mortgage_risk.training.grades import Grade, PartResult
from mortgage_risk.training.progress import TopicProgress, staff_progress
from mortgage_risk.training.sets import AttemptResult, ExerciseSet, score_attempt

__all__ = [
    "EXERCISES", "EXERCISE_TYPES", "TOPICS", "AttemptResult", "Case", "CaseLibrary",
    "Certification", "Engines", "Exercise", "ExerciseSet", "GateDecision", "Grade",
    "PartResult", "Status", "TopicProgress", "TrainingConfig", "build_cases",
    "certification_status", "certify", "exercise_for", "gate_allows", "grade_answer",
    "is_certified", "score_attempt", "staff_progress",
]
