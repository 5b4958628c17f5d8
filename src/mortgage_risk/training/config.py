"""The training parameters as versioned data (``data/training-default.json``): topics,
grading tolerances and rubrics, pass marks, certification validity, gates and the case draws.

Errors name the path of the bad value, e.g. ``training.pass_marks.valuation``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib.resources import files
from typing import Any, Final

from mortgage_risk.domain import DomainError
from mortgage_risk.monitoring.handling import LEVELS

TOPICS: Final = ("identification", "valuation", "classification", "warning_handling")
EXERCISE_TYPES: Final = ("flags", "valuation", "classification", "warning_handling")
DIFFICULTIES: Final = ("easy", "medium", "hard")
DEFAULT_RESOURCE: Final = "training-default.json"


def _err(path: str, reason: str) -> DomainError:
    return DomainError(f"training.{path}", reason)


def _obj(raw: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise _err(path, f"must be an object; got {type(raw).__name__}")
    return raw


def _get(raw: Any, key: str, path: str) -> Any:
    obj = _obj(raw, path)
    if key not in obj:
        raise _err(f"{path}.{key}" if path else key, "missing")
    return obj[key]


def _items(raw: Any, path: str) -> list[tuple[str, Any]]:
    """The entries of an object without its ``_source`` notes."""
    return [(str(k), v) for k, v in _obj(raw, path).items() if not str(k).startswith("_")]


def _num(raw: Any, path: str, low: float, high: float) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise _err(path, f"must be a number; got {raw!r}")
    if not low <= float(raw) <= high:
        raise _err(path, f"must be within [{low:g}, {high:g}]; got {raw}")
    return float(raw)


def _whole(raw: Any, path: str, low: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < low:
        raise _err(path, f"must be a whole number of at least {low}; got {raw!r}")
    return raw


def _text(raw: Any, path: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise _err(path, f"must be non-empty text; got {raw!r}")
    return raw


def _texts(raw: Any, path: str) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise _err(path, f"must be a list; got {type(raw).__name__}")
    return tuple(_text(v, f"{path}[{i}]") for i, v in enumerate(raw))


def _topic(raw: Any, path: str) -> str:
    if raw not in TOPICS:
        raise _err(path, f"unknown topic {raw!r}; one of {', '.join(TOPICS)}")
    return str(raw)


def parse_gates(raw: Any, path: str = "gates") -> dict[str, str]:
    """``{action: topic}`` with every topic known (``_source`` notes skipped)."""
    return {action: _topic(topic, f"{path}.{action}") for action, topic in _items(raw, path)}


@dataclass(frozen=True)
class Label:
    zh: str
    en: str


@dataclass(frozen=True)
class ValuationGrading:
    newness_points: float
    land_share: float
    mortgage_share: float
    minimum_cny: Decimal
    weights: Mapping[str, float]


@dataclass(frozen=True)
class WarningGrading:
    weights: Mapping[str, float]
    required_measures: Mapping[str, tuple[str, ...]]
    required_by_family: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class CaseDraws:
    """How the case library is drawn from the synthetic book."""

    as_of: date
    book_loans: int
    loans_per_classification_case: int
    history_periods: int
    placeholder_prefix: str
    synthetic_region_code: str
    land_grade_by_branch_kind: Mapping[str, str]
    price_index: Mapping[str, str]
    comparables: Mapping[str, int]
    operations: Mapping[str, float]
    valuation: Mapping[str, Any]
    classification_events: Mapping[str, Any]
    difficulty: Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class TrainingConfig:
    """Every training parameter, with its version."""

    version: str
    effective_date: date
    topics: Mapping[str, Label]
    exercise_types: Mapping[str, tuple[str, Label]]
    flags_beta: float
    valuation: ValuationGrading
    one_class_off_credit: float
    warning: WarningGrading
    pass_marks: Mapping[str, float]
    validity_months: int
    gates: Mapping[str, str]
    cases: CaseDraws
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def topic_of(self, exercise_type: str) -> str:
        return self.exercise_types[exercise_type][0]

    def with_gates(self, gates: Mapping[str, str]) -> TrainingConfig:
        """This configuration with other gates (validated)."""
        raw = dict(self.raw)
        raw["gates"] = dict(gates)
        return TrainingConfig.from_dict(raw)

    @classmethod
    def load_default(cls) -> TrainingConfig:
        return _default()

    @classmethod
    def from_json(cls, text: str) -> TrainingConfig:
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> TrainingConfig:
        _obj(raw, "")
        try:
            effective = date.fromisoformat(_text(_get(raw, "effective_date", ""),
                                                 "effective_date"))
        except ValueError:
            raise _err("effective_date", "must be an ISO date") from None
        topics = {_topic(k, f"topics.{k}"): Label(_text(_get(v, "zh", f"topics.{k}"),
                                                         f"topics.{k}.zh"),
                                                   _text(_get(v, "en", f"topics.{k}"),
                                                         f"topics.{k}.en"))
                  for k, v in _items(_get(raw, "topics", ""), "topics")}
        if set(topics) != set(TOPICS):
            raise _err("topics", f"must name every topic: {', '.join(TOPICS)}")
        types: dict[str, tuple[str, Label]] = {}
        for name, v in _items(_get(raw, "exercise_types", ""), "exercise_types"):
            path = f"exercise_types.{name}"
            if name not in EXERCISE_TYPES:
                raise _err(path, f"unknown exercise type; one of {', '.join(EXERCISE_TYPES)}")
            types[name] = (_topic(_get(v, "topic", path), f"{path}.topic"),
                           Label(_text(_get(v, "zh", path), f"{path}.zh"),
                                 _text(_get(v, "en", path), f"{path}.en")))
        if set(types) != set(EXERCISE_TYPES):
            raise _err("exercise_types", f"must name every type: {', '.join(EXERCISE_TYPES)}")
        grading = _get(raw, "grading", "")
        pass_marks = {_topic(k, f"pass_marks.{k}"): _num(v, f"pass_marks.{k}", 0.0, 1.0)
                      for k, v in _items(_get(raw, "pass_marks", ""), "pass_marks")}
        if set(pass_marks) != set(TOPICS):
            raise _err("pass_marks", f"must give every topic: {', '.join(TOPICS)}")
        return cls(
            version=_text(_get(raw, "version", ""), "version"),
            effective_date=effective,
            topics=topics,
            exercise_types=types,
            flags_beta=_num(_get(_get(grading, "flags", "grading"), "beta", "grading.flags"),
                            "grading.flags.beta", 0.01, 100.0),
            valuation=_valuation(_get(grading, "valuation", "grading")),
            one_class_off_credit=_num(
                _get(_get(grading, "classification", "grading"), "one_class_off_credit",
                     "grading.classification"),
                "grading.classification.one_class_off_credit", 0.0, 1.0),
            warning=_warning(_get(grading, "warning_handling", "grading")),
            pass_marks=pass_marks,
            validity_months=_whole(_get(_get(raw, "certification", ""), "validity_months",
                                        "certification"),
                                   "certification.validity_months", 1),
            gates=parse_gates(_get(raw, "gates", "")),
            cases=_cases(_get(raw, "case_library", "")),
            raw=dict(raw),
        )


def _weights(raw: Any, path: str, names: tuple[str, ...]) -> dict[str, float]:
    out = {k: _num(v, f"{path}.{k}", 0.0, 100.0) for k, v in _items(raw, path)}
    if set(out) != set(names):
        raise _err(path, f"must weigh exactly: {', '.join(names)}")
    if sum(out.values()) <= 0:
        raise _err(path, "weights must not all be 0")
    return out


def _valuation(raw: Any) -> ValuationGrading:
    path = "grading.valuation"
    tol = _get(raw, "tolerances", path)
    tpath = f"{path}.tolerances"
    try:
        minimum = Decimal(str(_get(tol, "minimum_cny", tpath)))
    except InvalidOperation:
        raise _err(f"{tpath}.minimum_cny", "must be an amount") from None
    if not minimum.is_finite() or minimum < 0:
        raise _err(f"{tpath}.minimum_cny", "must not be negative")
    return ValuationGrading(
        newness_points=_num(_get(tol, "newness_rate_points", tpath),
                            f"{tpath}.newness_rate_points", 0.0, 1.0),
        land_share=_num(_get(tol, "land_value_share", tpath), f"{tpath}.land_value_share",
                        0.0, 1.0),
        mortgage_share=_num(_get(tol, "mortgage_value_share", tpath),
                            f"{tpath}.mortgage_value_share", 0.0, 1.0),
        minimum_cny=minimum,
        weights=_weights(_get(raw, "weights", path), f"{path}.weights",
                         ("newness_rate", "land_value", "mortgage_value")))


def _warning(raw: Any) -> WarningGrading:
    path = "grading.warning_handling"
    required = {}
    for level, codes in _items(_get(raw, "required_measures", path),
                               f"{path}.required_measures"):
        if level not in LEVELS:
            raise _err(f"{path}.required_measures.{level}",
                       f"unknown level; one of {', '.join(LEVELS)}")
        required[level] = _texts(codes, f"{path}.required_measures.{level}")
    if set(required) != set(LEVELS):
        raise _err(f"{path}.required_measures", f"must give every level: {', '.join(LEVELS)}")
    by_family = {k: _texts(v, f"{path}.required_by_family.{k}")
                 for k, v in _items(_get(raw, "required_by_family", path),
                                    f"{path}.required_by_family")}
    return WarningGrading(_weights(_get(raw, "weights", path), f"{path}.weights",
                                   ("level", "measures", "deadline")), required, by_family)


def _cases(raw: Any) -> CaseDraws:
    path = "case_library"
    try:
        as_of = date.fromisoformat(_text(_get(raw, "as_of", path), f"{path}.as_of"))
    except ValueError:
        raise _err(f"{path}.as_of", "must be an ISO date") from None
    region = _text(_get(raw, "synthetic_region_code", path), f"{path}.synthetic_region_code")
    if len(region) != 6 or not region.isdigit():
        raise _err(f"{path}.synthetic_region_code", "must be 6 digits")
    shares = {k: _num(v, f"{path}.operations.{k}", 0.0, 1.0)
              for k, v in _items(_get(raw, "operations", path), f"{path}.operations")}
    comparables = {k: _whole(v, f"{path}.comparables.{k}", 0)
                   for k, v in _items(_get(raw, "comparables", path), f"{path}.comparables")}
    return CaseDraws(
        as_of=as_of,
        book_loans=_whole(_get(raw, "book_loans", path), f"{path}.book_loans", 20),
        loans_per_classification_case=_whole(_get(raw, "loans_per_classification_case", path),
                                             f"{path}.loans_per_classification_case", 1),
        history_periods=_whole(_get(raw, "history_periods", path), f"{path}.history_periods",
                               1),
        placeholder_prefix=_text(_get(raw, "placeholder_prefix", path),
                                 f"{path}.placeholder_prefix"),
        synthetic_region_code=region,
        land_grade_by_branch_kind={k: _text(v, f"{path}.land_grade_by_branch_kind.{k}")
                                   for k, v in _items(_get(raw, "land_grade_by_branch_kind",
                                                           path),
                                                      f"{path}.land_grade_by_branch_kind")},
        price_index={k: _text(v, f"{path}.price_index.{k}")
                     for k, v in _items(_get(raw, "price_index", path), f"{path}.price_index")},
        comparables=comparables,
        operations=shares,
        valuation=dict(_items(_get(raw, "valuation", path), f"{path}.valuation")),
        classification_events=dict(_items(_get(raw, "classification_events", path),
                                          f"{path}.classification_events")),
        difficulty={k: dict(_items(v, f"{path}.difficulty.{k}"))
                    for k, v in _items(_get(raw, "difficulty", path), f"{path}.difficulty")},
    )


@lru_cache(maxsize=1)
def _default() -> TrainingConfig:
    text = (files("mortgage_risk.training") / "data" / DEFAULT_RESOURCE).read_text(
        encoding="utf-8")
    return TrainingConfig.from_json(text)
