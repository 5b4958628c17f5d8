"""Compliance checks as versioned data, run over loan files and over the audit chain.

A check names one rule of the union's post-loan supervision: an id, a Chinese and an English
title, a severity (low < medium < high < critical), a condition in the identification rule
language that holds when a file **breaks** the rule, the regulation it comes from and the
role that answers for it. A check set is versioned and dated; its ``parameters`` are facts
named ``policy.<name>``; its ``rectification`` terms give the working days to rectify by
severity; its ``sampling`` weights drive risk-based sampling. The conditions are type-checked
against the supervision facts (:mod:`.facts`) before a set is saved.

Scopes: ``loan_file`` checks run on each file (:func:`run_checks`, or vectorised over a facts
frame with :func:`check_frame`); ``audit_chain`` checks run on a walk of the audit log
(:func:`check_audit_chain`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from importlib.resources import files as resources
from typing import Any, Final

import pandas as pd

from mortgage_risk.domain.errors import DomainError
from mortgage_risk.domain.param_data import collect_sources, put_source
from mortgage_risk.identification.errors import RuleProblem, RuleSetError, RuleSyntaxError
from mortgage_risk.identification.expression import Expression, parse_expression
from mortgage_risk.identification.facts import FactsSchema
from mortgage_risk.monitoring.policy import MonitoringPolicy
from mortgage_risk.supervision.facts import (
    ChainReportLike,
    FactParameters,
    audit_facts,
    audit_schema,
    file_facts,
    file_schema,
    identity,
    parameter_values,
    responsible_staff,
)
from mortgage_risk.supervision.findings import (
    FindingDraft,
    FindingSeverity,
    RectificationTerms,
    ResponsibleRole,
    StaffRef,
)
from mortgage_risk.supervision.loan_file import LoanFile
from mortgage_risk.supervision.sampling import SamplingWeights

SCOPES: Final = ("loan_file", "audit_chain")
DEFAULT_RESOURCE: Final = "checks-default.json"
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,39}$")
_CHECK_KEYS: Final = ("id", "title_zh", "title_en", "severity", "condition", "regulation",
                      "responsible_role")
_OPTIONAL_KEYS: Final = ("scope", "enabled")
_SET_KEYS: Final = ("version", "effective_from", "parameters", "rectification", "sampling",
                    "checks")


@dataclass(frozen=True)
class Check:
    """One compliance check; ``condition`` holds when the file breaks it."""

    id: str
    title_zh: str
    title_en: str
    severity: FindingSeverity
    condition: str
    regulation: str
    responsible_role: ResponsibleRole
    scope: str = "loan_file"
    enabled: bool = True

    def __post_init__(self) -> None:
        problems = _check_problems(self.to_dict(), 0)
        if problems:
            raise RuleSetError(problems)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "scope": self.scope, "title_zh": self.title_zh,
                "title_en": self.title_en, "severity": getattr(self.severity, "value",
                                                               self.severity),
                "condition": self.condition, "regulation": self.regulation,
                "responsible_role": getattr(self.responsible_role, "value",
                                            self.responsible_role),
                "enabled": self.enabled}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], index: int = 0) -> Check:
        problems = _check_problems(data, index)
        if problems:
            raise RuleSetError(problems)
        return cls(id=str(data["id"]), title_zh=str(data["title_zh"]),
                   title_en=str(data["title_en"]), severity=FindingSeverity(data["severity"]),
                   condition=str(data["condition"]), regulation=str(data["regulation"]),
                   responsible_role=ResponsibleRole(data["responsible_role"]),
                   scope=str(data.get("scope", "loan_file")),
                   enabled=bool(data.get("enabled", True)))


def _check_problems(data: Any, index: int) -> list[RuleProblem]:
    if not isinstance(data, Mapping):
        return [RuleProblem(None, f"checks[{index}]", "a check must be an object")]
    cid = str(data.get("id", f"#{index}"))
    where = f"checks[{cid}]"
    problems = [RuleProblem(cid, f"{where}.{k}", "required") for k in _CHECK_KEYS
                if k not in data]
    problems += [RuleProblem(cid, f"{where}.{k}", "unknown key") for k in data
                 if k not in _CHECK_KEYS + _OPTIONAL_KEYS]
    if "id" in data and not _ID.match(str(data["id"])):
        problems.append(RuleProblem(cid, f"{where}.id", "must be a letter then up to 39 "
                                                        "letters, digits or _ . -"))
    for key, allowed in (("severity", tuple(s.value for s in FindingSeverity)),
                         ("responsible_role", tuple(s.value for s in ResponsibleRole)),
                         ("scope", SCOPES)):
        if key in data and data[key] not in allowed:
            problems.append(RuleProblem(cid, f"{where}.{key}", f"unknown value {data[key]!r}; "
                                                               f"allowed: {', '.join(allowed)}"))
    for key in ("title_zh", "title_en", "condition", "regulation"):
        if key in data and (not isinstance(data[key], str) or not data[key].strip()):
            problems.append(RuleProblem(cid, f"{where}.{key}", "must be non-empty text"))
    if "enabled" in data and not isinstance(data["enabled"], bool):
        problems.append(RuleProblem(cid, f"{where}.enabled", "must be true or false"))
    return problems


@dataclass(frozen=True)
class CheckSet:
    """A versioned, dated set of compliance checks with their parameters."""

    version: str
    effective_from: date
    checks: tuple[Check, ...]
    parameters: Mapping[str, Any]
    rectification: RectificationTerms
    sampling: SamplingWeights = field(default_factory=SamplingWeights)
    description: str = ""
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not self.version.strip():
            raise DomainError("version", "must not be empty")
        problems = _duplicates(c.id for c in self.checks)
        if problems:
            raise RuleSetError(problems)
        FactParameters.from_mapping(self.parameters)
        self.schema("loan_file")  # parameters must be plain values

    @property
    def fact_parameters(self) -> FactParameters:
        return FactParameters.from_mapping(self.parameters)

    def schema(self, scope: str) -> FactsSchema:
        return audit_schema(self.parameters) if scope == "audit_chain" else \
            file_schema(self.parameters)

    def get(self, check_id: str) -> Check:
        for check in self.checks:
            if check.id == check_id:
                return check
        raise KeyError(check_id)

    def enabled(self, scope: str = "loan_file") -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.enabled and c.scope == scope)

    def validate(self) -> list[RuleProblem]:
        """Every problem of every condition (syntax, unknown facts, types), with its check
        id and position; empty when the set may be saved."""
        problems: list[RuleProblem] = []
        for check in self.checks:
            try:
                errors = parse_expression(check.condition).check(self.schema(check.scope))
            except RuleSyntaxError as error:
                errors = [error]
            field_ = f"checks[{check.id}].condition"
            problems += [RuleProblem.from_syntax_error(check.id, e.with_field(field_))
                         for e in errors]
        return problems

    def ensure_valid(self) -> CheckSet:
        """This set, or RuleSetError naming every problem (call before saving)."""
        problems = self.validate()
        if problems:
            raise RuleSetError(problems)
        return self

    @cached_property
    def compiled(self) -> tuple[tuple[Check, Expression], ...]:
        """The enabled checks with their parsed conditions (parsed once per set)."""
        out, problems = [], []
        for check in self.checks:
            if not check.enabled:
                continue
            try:
                out.append((check, parse_expression(check.condition,
                                                    field=f"checks[{check.id}].condition")))
            except RuleSyntaxError as error:
                problems.append(RuleProblem.from_syntax_error(check.id, error))
        if problems:
            raise RuleSetError(problems)
        return tuple(out)

    def compiled_for(self, scope: str) -> tuple[tuple[Check, Expression], ...]:
        return tuple((c, e) for c, e in self.compiled if c.scope == scope)

    @property
    def environment(self) -> dict[str, Any]:
        """The parameters as ``policy.<name>`` facts."""
        return parameter_values(self.parameters)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "version": self.version, "effective_from": self.effective_from.isoformat(),
            "description": self.description, "parameters": dict(self.parameters),
            "rectification": self.rectification.to_dict(), "sampling": self.sampling.to_dict(),
            "checks": [c.to_dict() for c in self.checks]}
        for path, note in self.sources.items():
            put_source(out, path, note)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckSet:
        """Build from plain data; RuleSetError lists every structural problem of the checks;
        a bad parameter, rectification term or weight raises DomainError naming it."""
        if not isinstance(data, Mapping):
            raise DomainError("checkset", "must be an object")
        problems = [RuleProblem(None, k, "required") for k in _SET_KEYS if k not in data]
        problems += [RuleProblem(None, k, "unknown key") for k in data
                     if k not in (*_SET_KEYS, "description") and not str(k).startswith("_")]
        raw_checks = data.get("checks", [])
        if not isinstance(raw_checks, list):
            problems.append(RuleProblem(None, "checks", "must be a list"))
            raw_checks = []
        effective: date | None = None
        try:
            effective = date.fromisoformat(str(data.get("effective_from", "")))
        except ValueError:
            if "effective_from" in data:
                problems.append(RuleProblem(None, "effective_from", "expected an ISO date, got "
                                                                    f"{data['effective_from']!r}"))
        for i, raw in enumerate(raw_checks):
            problems += _check_problems(raw, i)
        problems += _duplicates(str(c.get("id")) for c in raw_checks
                                if isinstance(c, Mapping) and "id" in c)
        if problems:
            raise RuleSetError(problems)
        assert effective is not None
        params = data["parameters"]
        if not isinstance(params, Mapping):
            raise DomainError("parameters", "must be an object")
        sources: dict[str, str] = {}
        collect_sources(data, "", sources)
        return cls(version=str(data["version"]), effective_from=effective,
                   checks=tuple(Check.from_dict(c, i) for i, c in enumerate(raw_checks)),
                   parameters={str(k): v for k, v in params.items()
                               if not str(k).startswith("_")},
                   rectification=RectificationTerms.from_dict(data["rectification"]),
                   sampling=SamplingWeights.from_dict(data["sampling"]),
                   description=str(data.get("description", "")), sources=sources)

    @classmethod
    def from_json(cls, text: str) -> CheckSet:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DomainError("checkset", f"not valid JSON: {exc}") from None
        return cls.from_dict(raw)


def _duplicates(ids: Iterable[str]) -> list[RuleProblem]:
    seen: set[str] = set()
    problems = []
    for cid in ids:
        if cid in seen:
            problems.append(RuleProblem(cid, f"checks[{cid}].id", f"duplicate check id {cid!r}"))
        seen.add(cid)
    return problems


@lru_cache(maxsize=1)
def default_checkset() -> CheckSet:
    """The union's default checks shipped with the package (``data/checks-default.json``)."""
    text = (resources("mortgage_risk.supervision") / "data" / DEFAULT_RESOURCE).read_text(
        encoding="utf-8")
    return CheckSet.from_json(text).ensure_valid()


# --------------------------------------------------------------------------- running

def _detail(expression: Expression, env: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    read = {name: env.get(name) for name in expression.names}
    return read, "; ".join(f"{k}={v}" for k, v in read.items())


def run_checks(files: Iterable[LoanFile], checkset: CheckSet | None = None, *, as_of: date,
               policy: MonitoringPolicy | None = None) -> list[FindingDraft]:
    """A finding draft for every enabled loan-file check each file breaks, in file then check
    order; ``as_of`` is the day of the review (late warnings, early defaults)."""
    cs = checkset or default_checkset()
    params = cs.fact_parameters
    base = cs.environment
    drafts = []
    for file in files:
        env = base | file_facts(file, as_of=as_of, parameters=params, policy=policy)
        ident = identity(file)
        for check, expression in cs.compiled_for("loan_file"):
            if not expression.test(env):
                continue
            facts, detail = _detail(expression, env)
            drafts.append(FindingDraft(
                check_id=check.id, checkset_version=cs.version, severity=check.severity,
                title_zh=check.title_zh, title_en=check.title_en, regulation=check.regulation,
                responsible_role=check.responsible_role,
                responsible=responsible_staff(file, check.responsible_role, as_of=as_of),
                detected_on=as_of, file_id=file.file_id, branch_id=ident["branch_id"],
                officer=ident["officer"], facts=facts, detail=detail))
    return drafts


def check_frame(facts: pd.DataFrame, checkset: CheckSet | None = None) -> pd.DataFrame:
    """One boolean column per enabled loan-file check (True: broken), one row per file of a
    facts frame (:func:`~mortgage_risk.supervision.facts.facts_frame`); row ``i`` breaks
    exactly the checks :func:`run_checks` finds on file ``i``."""
    cs = checkset or default_checkset()
    compiled = cs.compiled_for("loan_file")
    data = {c.id: e.test_frame(facts, cs.environment) for c, e in compiled}
    return pd.DataFrame(data, index=facts.index, columns=[c.id for c, _ in compiled])


def check_audit_chain(report: ChainReportLike, checkset: CheckSet | None = None, *,
                      detected_on: date, custodian: str | None = None) -> list[FindingDraft]:
    """A finding draft for every enabled audit-chain check the walk of the audit log breaks
    (the default: one critical finding when the chain is broken, naming the first broken
    record and why). ``custodian`` is the staff member who answers for the log."""
    cs = checkset or default_checkset()
    env = cs.environment | audit_facts(report)
    drafts = []
    brk = report.first_break
    where = "" if brk is None else (f"first broken record {brk.record_id}: {brk.reason}; "
                                    f"{report.records} records walked")
    for check, expression in cs.compiled_for("audit_chain"):
        if not expression.test(env):
            continue
        facts, detail = _detail(expression, env)
        person = None if not custodian or not custodian.strip() else \
            StaffRef(custodian, check.responsible_role)
        drafts.append(FindingDraft(
            check_id=check.id, checkset_version=cs.version, severity=check.severity,
            title_zh=check.title_zh, title_en=check.title_en, regulation=check.regulation,
            responsible_role=check.responsible_role, responsible=person,
            detected_on=detected_on, facts={**facts, **audit_facts(report)},
            detail="; ".join(p for p in (where, detail) if p)))
    return drafts
