"""The case library: anonymised, reproducible training cases drawn from the synthetic book.

:func:`build_cases` generates a small book with :func:`mortgage_risk.synth.generate` and turns
its applications, properties, loans with their repayment histories and the monitoring run's
warnings into cases of the four exercise types. Every case holds what the trainee is shown
(``material``) and what the grading engine is fed (``engine_input``), both plain JSON. The same
seed (and parameters) gives a byte-identical library (:meth:`CaseLibrary.to_json`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mortgage_risk.domain import DomainError
from mortgage_risk.synth import generate
from mortgage_risk.training.case import Case
from mortgage_risk.training.case_classification import classification_cases
from mortgage_risk.training.case_flags import flag_cases
from mortgage_risk.training.case_valuation import valuation_cases
from mortgage_risk.training.case_warnings import warning_cases
from mortgage_risk.training.config import EXERCISE_TYPES, TrainingConfig
from mortgage_risk.training.engines import Engines
from mortgage_risk.training.source import Source


@dataclass(frozen=True)
class CaseLibrary:
    """Cases of one seed and as-of date, with the versions that built them."""

    seed: int
    as_of: date
    versions: Mapping[str, str]
    cases: tuple[Case, ...]
    book: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ids = [c.id for c in self.cases]
        if len(set(ids)) != len(ids):
            raise DomainError("cases", "case ids must be unique")

    def get(self, case_id: str) -> Case:
        for case in self.cases:
            if case.id == case_id:
                return case
        raise DomainError("case_id", f"no case {case_id!r} in the library")

    def of_type(self, exercise_type: str) -> tuple[Case, ...]:
        return tuple(c for c in self.cases if c.type == exercise_type)

    def of_topic(self, topic: str) -> tuple[Case, ...]:
        return tuple(c for c in self.cases if c.topic == topic)

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "as_of": self.as_of.isoformat(),
                "versions": dict(self.versions), "book": dict(self.book),
                "cases": [c.to_dict() for c in self.cases]}

    def to_json(self) -> str:
        """Canonical JSON (sorted keys): the same library gives the same bytes."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True,
                          separators=(",", ":"))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> CaseLibrary:
        for key in ("seed", "as_of", "cases"):
            if key not in raw:
                raise DomainError(f"library.{key}", "is required")
        try:
            as_of = date.fromisoformat(str(raw["as_of"]))
        except ValueError:
            raise DomainError("library.as_of", f"{raw['as_of']!r} is not a date") from None
        return cls(int(raw["seed"]), as_of, dict(raw.get("versions", {})),
                   tuple(Case.from_dict(c) for c in raw["cases"]), dict(raw.get("book", {})))


def build_cases(seed: int, n_per_type: int = 5, *, as_of: date | None = None,
                book_loans: int | None = None, types: Sequence[str] | None = None,
                config: TrainingConfig | None = None, engines: Engines | None = None
                ) -> CaseLibrary:
    """A case library of up to ``n_per_type`` cases of each exercise type.

    The book has ``book_loans`` loans (default from the training data) as of ``as_of``; the
    same arguments always give the same library. Fewer cases come back when the book lacks
    candidates (e.g. no red warning in a small book).
    """
    if n_per_type < 0:
        raise DomainError("n_per_type", f"must not be negative; got {n_per_type}")
    config = config or TrainingConfig.load_default()
    engines = engines or Engines.default()
    day = as_of or config.cases.as_of
    n_loans = book_loans or config.cases.book_loans
    chosen = tuple(types) if types is not None else EXERCISE_TYPES
    for t in chosen:
        if t not in EXERCISE_TYPES:
            raise DomainError("types", f"unknown exercise type {t!r}; one of "
                                       f"{', '.join(EXERCISE_TYPES)}")
    book = generate(n_loans, seed, day)
    src = Source.of(book, seed, day, config, engines)
    cases: list[Case] = []
    for t in EXERCISE_TYPES:
        if t in chosen:
            cases.extend(_BUILDERS[t](src, n_per_type))
    versions = {"training": config.version, "synth_params": book.params_version,
                **engines.versions()}
    return CaseLibrary(seed, day, versions, tuple(cases),
                       {"loans": n_loans, "county": src.county})


_BUILDERS: Mapping[str, Callable[[Source, int], list[Case]]] = {
    "flags": flag_cases, "valuation": valuation_cases,
    "classification": classification_cases, "warning_handling": warning_cases,
}
