"""Eligibility as data: Civil Code Art. 399 and local rules, switched by pilot-county settings.

A rule fires when every field in its ``when`` takes one of the listed values; ``unless_pilot``
names a pilot setting that switches it off, ``only_if_pilot`` one that must be on.
Fields are read from the subject (a fixed whitelist; no evaluation of expressions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mortgage_risk.domain import DomainError
from mortgage_risk.valuation._json import jsonable
from mortgage_risk.valuation.params import ValuationParams
from mortgage_risk.valuation.subject import SubjectProperty

RULE_FIELDS = ("property_type", "land_nature", "structure", "small_property_rights", "disputed",
               "seized", "public_welfare", "illegal_building", "dangerous_building",
               "collective_consent", "building_use", "land_use")


@dataclass(frozen=True)
class IneligibleReason:
    code: str
    zh: str
    en: str
    basis: str


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reasons: tuple[IneligibleReason, ...]

    def to_dict(self) -> dict[str, Any]:
        return dict(jsonable(self))


def _field(subject: SubjectProperty, name: str) -> Any:
    if name not in RULE_FIELDS:
        raise DomainError("params.eligibility_rules", f"unknown rule field {name!r}")
    value = getattr(subject, name)
    return getattr(value, "value", value)


def check_eligibility(subject: SubjectProperty, params: ValuationParams) -> Eligibility:
    """Ineligible with reasons (Chinese and English) when any rule fires."""
    pilot = params.pilot_county
    reasons = []
    for rule in params.eligibility_rules:
        if rule.unless_pilot and pilot.get(rule.unless_pilot, False):
            continue
        if rule.only_if_pilot and not pilot.get(rule.only_if_pilot, False):
            continue
        if all(_field(subject, k) in values for k, values in rule.when.items()):
            reasons.append(IneligibleReason(rule.code, rule.zh, rule.en, rule.basis))
    return Eligibility(not reasons, tuple(reasons))
