"""Identification rules as versioned data, and screening applications with them.

A rule names one risk: an id, a category, a severity (info < warn < refer < reject), a
condition in the expression language, and a message in Chinese and English. A rule set is
versioned and dated; it is validated against the facts schema before it is saved, and
compiled once. :func:`screen` screens one application, :func:`screen_frame` many at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cached_property, lru_cache
from importlib.resources import files
from typing import Any

import numpy as np
import pandas as pd

from mortgage_risk.domain.errors import DomainError
from mortgage_risk.identification.errors import RuleProblem, RuleSetError, RuleSyntaxError
from mortgage_risk.identification.expression import Expression, parse_expression
from mortgage_risk.identification.facts import FactsSchema, default_schema
from mortgage_risk.identification.vector import Columns

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,39}$")
_RULE_KEYS = ("id", "category", "severity", "condition", "message_zh", "message_en")
_OPTIONAL_KEYS = ("enabled", "basis")


class Category(StrEnum):
    BORROWER_CREDIT = "borrower_credit"
    REPAYMENT_CAPACITY = "repayment_capacity"
    COLLATERAL_LEGALITY = "collateral_legality"
    COLLATERAL_VALUE_LIQUIDITY = "collateral_value_liquidity"
    DOCUMENTS_OPERATIONS = "documents_operations"
    FRAUD_RELATED_PARTIES = "fraud_related_parties"

    @property
    def label_zh(self) -> str:
        return _CATEGORY_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _CATEGORY_LABELS[self][1]


_CATEGORY_LABELS = {
    Category.BORROWER_CREDIT: ("借款人信用", "borrower credit"),
    Category.REPAYMENT_CAPACITY: ("还款能力", "repayment capacity"),
    Category.COLLATERAL_LEGALITY: ("抵押物合法性", "collateral legality"),
    Category.COLLATERAL_VALUE_LIQUIDITY: ("抵押物价值与变现", "collateral value and liquidity"),
    Category.DOCUMENTS_OPERATIONS: ("资料与操作", "documents and operations"),
    Category.FRAUD_RELATED_PARTIES: ("欺诈与关联方", "fraud and related parties"),
}


class Severity(StrEnum):
    INFO = "info"
    WARN = "warn"
    REFER = "refer"
    REJECT = "reject"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)


_SEVERITY_ORDER = (Severity.INFO, Severity.WARN, Severity.REFER, Severity.REJECT)


@dataclass(frozen=True)
class Rule:
    """One identification rule; ``basis`` cites where it comes from."""

    id: str
    category: Category
    severity: Severity
    condition: str
    message_zh: str
    message_en: str
    enabled: bool = True
    basis: str = ""

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise DomainError(f"rules[{self.id}].id", "rule id must be a letter then up to 39 "
                              f"letters, digits or _ . -; got {self.id!r}")
        for name, text in (("message_zh", self.message_zh), ("message_en", self.message_en),
                           ("condition", self.condition)):
            if not str(text).strip():
                raise DomainError(f"rules[{self.id}].{name}", "must not be empty")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "category": self.category.value, "severity": self.severity.value,
                "condition": self.condition, "message_zh": self.message_zh,
                "message_en": self.message_en, "enabled": self.enabled, "basis": self.basis}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], index: int = 0) -> Rule:
        problems = _rule_dict_problems(data, index)
        if problems:
            raise RuleSetError(problems)
        return cls(id=str(data["id"]), category=Category(data["category"]),
                   severity=Severity(data["severity"]), condition=str(data["condition"]),
                   message_zh=str(data["message_zh"]), message_en=str(data["message_en"]),
                   enabled=bool(data.get("enabled", True)), basis=str(data.get("basis", "")))


def _rule_dict_problems(data: Mapping[str, Any], index: int) -> list[RuleProblem]:
    rid = str(data.get("id", f"#{index}")) if isinstance(data, Mapping) else f"#{index}"
    where = f"rules[{rid}]"
    if not isinstance(data, Mapping):
        return [RuleProblem(None, f"rules[{index}]", "a rule must be an object")]
    problems = [RuleProblem(rid, f"{where}.{k}", "required") for k in _RULE_KEYS if k not in data]
    problems += [RuleProblem(rid, f"{where}.{k}", "unknown key") for k in data
                 if k not in _RULE_KEYS + _OPTIONAL_KEYS]
    for key, enum in (("category", Category), ("severity", Severity)):
        if key in data and data[key] not in {m.value for m in enum}:
            allowed = ", ".join(m.value for m in enum)
            problems.append(RuleProblem(rid, f"{where}.{key}",
                                        f"unknown value {data[key]!r}; allowed: {allowed}"))
    for key in ("condition", "message_zh", "message_en", "basis"):
        if key in data and not isinstance(data[key], str):
            problems.append(RuleProblem(rid, f"{where}.{key}", "must be text"))
    if "enabled" in data and not isinstance(data["enabled"], bool):
        problems.append(RuleProblem(rid, f"{where}.enabled", "must be true or false"))
    if "id" in data and not _ID.match(str(data["id"])):
        problems.append(RuleProblem(rid, f"{where}.id", "must be a letter then up to 39 "
                                                        "letters, digits or _ . -"))
    return problems


@dataclass(frozen=True)
class RuleSet:
    """A versioned, dated set of rules; ids are unique."""

    version: str
    effective_from: date
    rules: tuple[Rule, ...]
    description: str = ""

    def __post_init__(self) -> None:
        if not self.version.strip():
            raise DomainError("version", "must not be empty")
        problems = _duplicates(r.id for r in self.rules)
        if problems:
            raise RuleSetError(problems)

    def get(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    @property
    def enabled(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.enabled)

    def validate(self, schema: FactsSchema | None = None) -> list[RuleProblem]:
        """Every problem of every rule (syntax, unknown fields or functions, types), each with
        its rule id and position; empty when the set may be saved."""
        schema = schema or default_schema()
        problems: list[RuleProblem] = []
        for rule in self.rules:
            field = f"rules[{rule.id}].condition"
            try:
                errors = parse_expression(rule.condition).check(schema)
            except RuleSyntaxError as error:
                errors = [error]
            problems += [RuleProblem.from_syntax_error(rule.id, e.with_field(field))
                         for e in errors]
        return problems

    def ensure_valid(self, schema: FactsSchema | None = None) -> RuleSet:
        """This rule set, or RuleSetError naming every problem (call before saving)."""
        problems = self.validate(schema)
        if problems:
            raise RuleSetError(problems)
        return self

    @cached_property
    def compiled(self) -> tuple[tuple[Rule, Expression], ...]:
        """The enabled rules with their parsed conditions (parsed once per rule set)."""
        out, problems = [], []
        for rule in self.enabled:
            try:
                out.append((rule, parse_expression(rule.condition,
                                                   field=f"rules[{rule.id}].condition")))
            except RuleSyntaxError as error:
                problems.append(RuleProblem.from_syntax_error(rule.id, error))
        if problems:
            raise RuleSetError(problems)
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "effective_from": self.effective_from.isoformat(),
                "description": self.description, "rules": [r.to_dict() for r in self.rules]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleSet:
        """Build from plain data; RuleSetError lists every structural problem (missing or
        unknown keys, bad category or severity, duplicate ids)."""
        problems: list[RuleProblem] = []
        for key in ("version", "effective_from", "rules"):
            if key not in data:
                problems.append(RuleProblem(None, key, "required"))
        raw_rules = data.get("rules", [])
        if not isinstance(raw_rules, list):
            problems.append(RuleProblem(None, "rules", "must be a list"))
            raw_rules = []
        effective = None
        try:
            effective = date.fromisoformat(str(data.get("effective_from", "")))
        except ValueError:
            if "effective_from" in data:
                problems.append(RuleProblem(None, "effective_from",
                                            f"expected an ISO date, got "
                                            f"{data['effective_from']!r}"))
        for i, raw in enumerate(raw_rules):
            problems += _rule_dict_problems(raw, i)
        problems += _duplicates(str(r.get("id")) for r in raw_rules
                                if isinstance(r, Mapping) and "id" in r)
        if problems:
            raise RuleSetError(problems)
        assert effective is not None
        return cls(version=str(data["version"]), effective_from=effective,
                   rules=tuple(Rule.from_dict(r, i) for i, r in enumerate(raw_rules)),
                   description=str(data.get("description", "")))

    @classmethod
    def from_json(cls, text: str) -> RuleSet:
        return cls.from_dict(json.loads(text))


def _duplicates(ids: Iterable[str]) -> list[RuleProblem]:
    seen: set[str] = set()
    problems = []
    for rid in ids:
        if rid in seen:
            problems.append(RuleProblem(rid, f"rules[{rid}].id", f"duplicate rule id {rid!r}"))
        seen.add(rid)
    return problems


@lru_cache(maxsize=1)
def default_ruleset() -> RuleSet:
    """The union's default rules shipped with the package (``data/rules-default.json``)."""
    text = (files("mortgage_risk.identification") / "data" / "rules-default.json").read_text(
        encoding="utf-8")
    return RuleSet.from_json(text)


@dataclass(frozen=True)
class Flag:
    """A rule that fired on an application."""

    rule_id: str
    category: Category
    severity: Severity
    message_zh: str
    message_en: str

    def to_dict(self) -> dict[str, str]:
        return {"rule_id": self.rule_id, "category": self.category.value,
                "severity": self.severity.value, "message_zh": self.message_zh,
                "message_en": self.message_en}


@dataclass(frozen=True)
class Screening:
    """The flags raised on one application, with the rule-set version that raised them."""

    flags: tuple[Flag, ...]
    ruleset_version: str
    worst_severity: Severity | None

    @property
    def fired(self) -> tuple[str, ...]:
        return tuple(f.rule_id for f in self.flags)

    def has(self, severity: Severity) -> bool:
        return any(f.severity is severity for f in self.flags)

    def to_dict(self) -> dict[str, Any]:
        return {"ruleset_version": self.ruleset_version,
                "worst_severity": None if self.worst_severity is None else
                self.worst_severity.value,
                "flags": [f.to_dict() for f in self.flags]}

    @classmethod
    def of(cls, rules: Iterable[Rule], ruleset_version: str) -> Screening:
        flags = tuple(Flag(r.id, r.category, r.severity, r.message_zh, r.message_en)
                      for r in rules)
        worst = max((f.severity for f in flags), key=lambda s: s.rank, default=None)
        return cls(flags, ruleset_version, worst)


def _flatten(facts: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for key, value in facts.items():
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def policy_values(policy: Mapping[str, Any] | None = None,
                  schema: FactsSchema | None = None) -> dict[str, Any]:
    """The default policy parameters (``policy.*``), overridden by ``policy`` (keys with or
    without the ``policy.`` prefix)."""
    out = (schema or default_schema()).policy_defaults()
    for key, value in _flatten(policy or {}):
        out[key if key.startswith("policy.") else f"policy.{key}"] = value
    return out


def screen(facts: Mapping[str, Any], ruleset: RuleSet, *,
           policy: Mapping[str, Any] | None = None) -> Screening:
    """The flags ``ruleset`` raises on one application's facts.

    Facts may be flat (``"policy.dti_cap"``) or nested (``{"policy": {"dti_cap": 0.5}}``);
    policy parameters the facts lack come from ``policy``, then the schema's defaults.
    """
    env = policy_values(policy) if policy is not None else dict(_default_policy())
    env.update(_flatten(facts))
    return Screening.of((rule for rule, expr in ruleset.compiled if expr.test(env)),
                        ruleset.version)


@lru_cache(maxsize=1)
def _default_policy() -> tuple[tuple[str, Any], ...]:
    return tuple(policy_values().items())


def screen_frame(frame: pd.DataFrame | Mapping[str, Any], ruleset: RuleSet, *,
                 policy: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """One boolean column per enabled rule (named by rule id), one row per application.

    ``frame`` is a DataFrame or a mapping of columns; policy parameters not given as columns
    come from ``policy``, then the schema's defaults. Row ``i`` fires exactly the rules that
    :func:`screen` fires on row ``i``'s facts.
    """
    columns = Columns(frame, policy_values(policy))
    fired = {rule.id: expr.test_frame_columns(columns) for rule, expr in ruleset.compiled}
    index = frame.index if isinstance(frame, pd.DataFrame) else pd.RangeIndex(columns.n)
    return pd.DataFrame(fired, index=index, columns=[r.id for r, _ in ruleset.compiled])


def worst_severity_frame(fired: pd.DataFrame, ruleset: RuleSet) -> pd.Series:
    """The worst severity fired on each row (None where nothing fired)."""
    rank = np.full(len(fired), -1)
    for rule_id in fired.columns:
        level = ruleset.get(rule_id).severity.rank
        rank = np.where(fired[rule_id].to_numpy(dtype=bool), np.maximum(rank, level), rank)
    labels = np.array([None, *[s.value for s in _SEVERITY_ORDER]], dtype=object)
    return pd.Series(labels[rank + 1], index=fired.index, name="worst_severity")
