"""Exercise sets built by trainers, and scoring an attempt at one.

A set is a list of case ids of one topic with a pass mark (the topic's default from the
training data when not given) and an optional time limit. :func:`score_attempt` checks every
answer first — one of the wrong form refuses the whole attempt with the field and the
reason, and nothing is scored — then grades each with its engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mortgage_risk.domain import DomainError
from mortgage_risk.training.case import Case
from mortgage_risk.training.cases import CaseLibrary
from mortgage_risk.training.config import TOPICS, TrainingConfig
from mortgage_risk.training.engines import Engines
from mortgage_risk.training.exercises import exercise_for
from mortgage_risk.training.grades import Grade


@dataclass(frozen=True)
class ExerciseSet:
    """A trainer's set: ``case_ids`` of ``topic``; ``pass_mark`` None takes the topic's."""

    id: str
    topic: str
    case_ids: tuple[str, ...]
    title_zh: str = ""
    title_en: str = ""
    pass_mark: float | None = None
    time_limit_minutes: int | None = None
    created_by: str = ""

    def __post_init__(self) -> None:
        if not str(self.id).strip():
            raise DomainError("set.id", "must not be empty")
        if self.topic not in TOPICS:
            raise DomainError("set.topic", f"unknown topic {self.topic!r}; one of "
                                           f"{', '.join(TOPICS)}")
        ids = tuple(self.case_ids)
        if not ids:
            raise DomainError("set.case_ids", "a set needs at least one case")
        for i, cid in enumerate(ids):
            if not isinstance(cid, str) or not cid.strip():
                raise DomainError(f"set.case_ids[{i}]", f"must be a case id; got {cid!r}")
            if cid in ids[:i]:
                raise DomainError(f"set.case_ids[{i}]", f"{cid!r} is listed twice")
        object.__setattr__(self, "case_ids", ids)
        mark = self.pass_mark
        if mark is not None and (isinstance(mark, bool) or not isinstance(mark, int | float)
                                 or not 0 < float(mark) <= 1):
            raise DomainError("set.pass_mark", f"must be a share in (0, 1]; got {mark!r}")
        limit = self.time_limit_minutes
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                                  or limit < 1):
            raise DomainError("set.time_limit_minutes",
                              f"must be a whole number of minutes ≥ 1; got {limit!r}")

    def cases(self, library: CaseLibrary) -> tuple[Case, ...]:
        """The set's cases, each in the library and of the set's topic."""
        out = []
        for i, cid in enumerate(self.case_ids):
            try:
                case = library.get(cid)
            except DomainError:
                raise DomainError(f"set.case_ids[{i}]", f"no case {cid!r} in the library") \
                    from None
            if case.topic != self.topic:
                raise DomainError(f"set.case_ids[{i}]", f"case {cid!r} is on {case.topic}, "
                                                        f"not {self.topic}")
            out.append(case)
        return tuple(out)

    def mark(self, config: TrainingConfig) -> float:
        return float(self.pass_mark) if self.pass_mark is not None else \
            config.pass_marks[self.topic]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "topic": self.topic, "case_ids": list(self.case_ids),
                "title_zh": self.title_zh, "title_en": self.title_en,
                "pass_mark": self.pass_mark, "time_limit_minutes": self.time_limit_minutes,
                "created_by": self.created_by}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ExerciseSet:
        if not isinstance(raw, Mapping):
            raise DomainError("set", "must be an object")
        known = {"id", "topic", "case_ids", "title_zh", "title_en", "pass_mark",
                 "time_limit_minutes", "created_by"}
        for key in raw:
            if key not in known:
                raise DomainError(f"set.{key}", "unknown field")
        for key in ("id", "topic", "case_ids"):
            if key not in raw:
                raise DomainError(f"set.{key}", "is required")
        if not isinstance(raw["case_ids"], list):
            raise DomainError("set.case_ids", "must be a list of case ids")
        return cls(id=str(raw["id"]), topic=str(raw["topic"]), case_ids=tuple(raw["case_ids"]),
                   title_zh=str(raw.get("title_zh", "")), title_en=str(raw.get("title_en", "")),
                   pass_mark=raw.get("pass_mark"),
                   time_limit_minutes=raw.get("time_limit_minutes"),
                   created_by=str(raw.get("created_by", "")))


@dataclass(frozen=True)
class AttemptResult:
    """A scored attempt: per-case grades, the total (mean score), and whether it passed."""

    set_id: str
    topic: str
    user: str
    submitted_on: date
    grades: tuple[Grade, ...]
    unanswered: tuple[str, ...]
    total: float
    pass_mark: float
    over_time: bool
    passed: bool
    versions: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"set_id": self.set_id, "topic": self.topic, "user": self.user,
                "submitted_on": self.submitted_on.isoformat(),
                "grades": [g.to_dict() for g in self.grades],
                "unanswered": list(self.unanswered), "total": self.total,
                "pass_mark": self.pass_mark, "over_time": self.over_time,
                "passed": self.passed, "versions": dict(self.versions)}


def score_attempt(exercise_set: ExerciseSet, answers: Mapping[str, Any], library: CaseLibrary,
                  *, user: str, submitted_on: date, minutes_taken: float | None = None,
                  engines: Engines | None = None, config: TrainingConfig | None = None
                  ) -> AttemptResult:
    """Grade every answer of ``user`` to the set; an unanswered case scores 0.

    ``answers`` maps case id → answer. A wrong-form answer, or an answer to a case outside
    the set, refuses the attempt (DomainError naming ``answers[<case id>].<field>``).
    """
    config = config or TrainingConfig.load_default()
    engines = engines or Engines.default()
    if not str(user).strip():
        raise DomainError("user", "must not be empty")
    if not isinstance(answers, Mapping):
        raise DomainError("answers", "must be an object of case id: answer")
    cases = exercise_set.cases(library)
    ids = {c.id for c in cases}
    for cid in answers:
        if cid not in ids:
            raise DomainError(f"answers[{cid}]", f"case {cid!r} is not in set "
                                                 f"{exercise_set.id!r}")
    exercises = {c.id: exercise_for(c, engines, config) for c in cases}
    for cid, answer in answers.items():
        try:
            exercises[cid].check(answer)
        except DomainError as exc:
            rest = exc.field.removeprefix("answer")
            raise DomainError(f"answers[{cid}]{rest}", exc.reason) from None
    grades = tuple(exercises[c.id].grade(answers[c.id]) for c in cases if c.id in answers)
    unanswered = tuple(c.id for c in cases if c.id not in answers)
    total = sum(g.score for g in grades) / len(cases)
    mark = exercise_set.mark(config)
    limit = exercise_set.time_limit_minutes
    if minutes_taken is not None and minutes_taken < 0:
        raise DomainError("minutes_taken", f"must not be negative; got {minutes_taken}")
    over = limit is not None and minutes_taken is not None and minutes_taken > limit
    return AttemptResult(exercise_set.id, exercise_set.topic, user, submitted_on, grades,
                         unanswered, total, mark, over, total >= mark - 1e-12 and not over,
                         {"training": config.version, **engines.versions()})
