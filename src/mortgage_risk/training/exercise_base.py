"""What every exercise type does: the question from a case, the expected answer from the
production engine, strict reading of an answer, and the grade with the engine's explanation."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from mortgage_risk.domain import DomainError
from mortgage_risk.training.case import Case
from mortgage_risk.training.config import TrainingConfig
from mortgage_risk.training.engines import Engines
from mortgage_risk.training.grades import Grade, PartResult
from mortgage_risk.training.jsondata import jsonable


class Exercise(ABC):
    """One case as an exercise; subclasses name their ``type``."""

    type: ClassVar[str]
    prompt_zh: ClassVar[str]
    prompt_en: ClassVar[str]

    def __init__(self, case: Case, engines: Engines | None = None,
                 config: TrainingConfig | None = None) -> None:
        if case.type != self.type:
            raise DomainError("case.type", f"a {self.type} exercise needs a {self.type} case; "
                                           f"got {case.type!r}")
        self.case = case
        self.engines = engines or Engines.default()
        self.config = config or TrainingConfig.load_default()

    # ---------------------------------------------------------------- what subclasses give

    @abstractmethod
    def expected(self) -> dict[str, Any]:
        """The answer the production engine gives, in the answer's own form."""

    @abstractmethod
    def check(self, answer: Any) -> Any:
        """The answer read strictly; DomainError(field, reason) for a wrong form."""

    @abstractmethod
    def reference(self) -> dict[str, Any]:
        """The rule book or tables the trainee may consult (from the engines' parameters)."""

    @abstractmethod
    def answer_form(self) -> dict[str, Any]:
        """The answer's fields and an example of the form (not of the solution)."""

    @abstractmethod
    def _grade(self, answer: Any) -> tuple[float, list[PartResult], list[str], list[str]]:
        """Score, parts and the zh/en explanation of a checked answer."""

    # ---------------------------------------------------------------- shared

    def question(self) -> dict[str, Any]:
        label = self.config.exercise_types[self.type][1]
        data = {"case_id": self.case.id, "type": self.type, "topic": self.case.topic,
                "difficulty": self.case.difficulty, "title_zh": label.zh,
                "title_en": label.en, "prompt_zh": self.prompt_zh, "prompt_en": self.prompt_en,
                "material": self.case.material, "reference": self.reference(),
                "answer_form": self.answer_form()}
        result: dict[str, Any] = jsonable(data)
        return result

    def grade(self, answer: Any) -> Grade:
        """Grade ``answer``; a wrong form raises DomainError and is not scored."""
        checked = self.check(answer)
        score, parts, zh, en = self._grade(checked)
        return Grade(self.case.id, self.type, score, tuple(parts), tuple(zh), tuple(en),
                     {"training": self.config.version, **self.engines.versions()})
