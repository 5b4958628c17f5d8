"""A graded answer: the score, each part right or wrong, and the engine's explanation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mortgage_risk.training.jsondata import jsonable


@dataclass(frozen=True)
class PartResult:
    """One part of an answer (a rule, a value, a loan, the deadline …) against the engine."""

    name: str
    score: float
    correct: bool
    expected: Any
    given: Any

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "score": self.score, "correct": self.correct,
                "expected": jsonable(self.expected), "given": jsonable(self.given)}


@dataclass(frozen=True)
class Grade:
    """``score`` in [0, 1]; the explanation is shown to the trainee after the answer."""

    case_id: str
    exercise_type: str
    score: float
    parts: tuple[PartResult, ...]
    explanation_zh: tuple[str, ...]
    explanation_en: tuple[str, ...]
    versions: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "score", min(1.0, max(0.0, float(self.score))))

    @property
    def correct_parts(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parts if p.correct)

    @property
    def wrong_parts(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parts if not p.correct)

    @property
    def perfect(self) -> bool:
        return self.score >= 1.0

    def explanation(self, locale: str = "zh") -> tuple[str, ...]:
        return self.explanation_zh if locale.startswith("zh") else self.explanation_en

    def to_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "exercise_type": self.exercise_type,
                "score": self.score, "parts": [p.to_dict() for p in self.parts],
                "correct_parts": list(self.correct_parts),
                "explanation_zh": list(self.explanation_zh),
                "explanation_en": list(self.explanation_en), "versions": dict(self.versions)}


def weighted(scores: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """The weighted mean of part scores (weights from the training data)."""
    total = sum(weights[k] for k in scores)
    return 0.0 if total <= 0 else sum(scores[k] * weights[k] for k in scores) / total
