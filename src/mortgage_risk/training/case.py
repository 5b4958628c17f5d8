"""One training case: what the trainee is shown and what the grading engine is fed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mortgage_risk.domain import DomainError
from mortgage_risk.training.config import DIFFICULTIES, EXERCISE_TYPES, TOPICS
from mortgage_risk.training.jsondata import jsonable


@dataclass(frozen=True)
class Case:
    """One training case; ``material`` is shown to the trainee, ``engine_input`` grades it."""

    id: str
    type: str
    topic: str
    difficulty: str
    material: Mapping[str, Any]
    engine_input: Mapping[str, Any]

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise DomainError("case.id", "must not be empty")
        if self.type not in EXERCISE_TYPES:
            raise DomainError("case.type", f"unknown exercise type {self.type!r}; one of "
                                           f"{', '.join(EXERCISE_TYPES)}")
        if self.topic not in TOPICS:
            raise DomainError("case.topic", f"unknown topic {self.topic!r}; one of "
                                            f"{', '.join(TOPICS)}")
        if self.difficulty not in DIFFICULTIES:
            raise DomainError("case.difficulty", f"one of {', '.join(DIFFICULTIES)}; got "
                                                 f"{self.difficulty!r}")
        object.__setattr__(self, "material", jsonable(self.material))
        object.__setattr__(self, "engine_input", jsonable(self.engine_input))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "topic": self.topic,
                "difficulty": self.difficulty, "material": self.material,
                "engine_input": self.engine_input}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Case:
        if not isinstance(raw, Mapping):
            raise DomainError("case", "must be an object")
        for key in ("id", "type", "topic", "difficulty", "material", "engine_input"):
            if key not in raw:
                raise DomainError(f"case.{key}", "is required")
        return cls(str(raw["id"]), str(raw["type"]), str(raw["topic"]),
                   str(raw["difficulty"]), dict(raw["material"]), dict(raw["engine_input"]))
