"""A valuation request as plain JSON data: parsed into the typed inputs of ``valuate``.

Shared by the CLI (`mortgage-risk valuate --input property.json`), the API and the services,
so one format is validated in one place. Errors name the field by its path in the document,
e.g. ``subject.floor_area`` or ``comparables[2].unit_price``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from mortgage_risk.domain import DomainError
from mortgage_risk.valuation.income import IncomeInput
from mortgage_risk.valuation.layers import PriorityClaim, PriorityClaims
from mortgage_risk.valuation.market import Comparable
from mortgage_risk.valuation.params import ValuationParams
from mortgage_risk.valuation.subject import ObservedScores, SubjectProperty
from mortgage_risk.valuation.valuate import ValuationResult, valuate

_DATE_FIELDS = {"completion_date", "transaction_date"}


def _build(cls: type[Any], raw: Any, path: str) -> Any:
    """``cls(**raw)`` with unknown or missing fields and bad values named by their path."""
    if not isinstance(raw, Mapping):
        raise DomainError(path, f"must be an object; got {type(raw).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise DomainError(f"{path}.{unknown[0]}", "unknown field")
    required = [n for n, f in fields.items() if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING]
    missing = [n for n in required if n not in raw]
    if missing:
        raise DomainError(f"{path}.{missing[0]}", "is required")
    values = dict(raw)
    for name in _DATE_FIELDS & set(values):
        values[name] = _date(values[name], f"{path}.{name}")
    try:
        return cls(**values)
    except DomainError as exc:
        name = exc.field if exc.field.startswith(path) else f"{path}.{exc.field}"
        raise DomainError(name, exc.reason) from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise DomainError(path, str(exc)) from None


def _date(raw: Any, path: str) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise DomainError(path, f"{raw!r} is not a date (YYYY-MM-DD)") from None


def _claims(raw: Any) -> PriorityClaims | None:
    if raw is None:
        return None
    if isinstance(raw, Mapping):
        items = [{"kind": k, "amount": v} for k, v in raw.items()]
    elif isinstance(raw, list):
        items = raw
    else:
        raise DomainError("claims", "must be an object of kind: amount, or a list")
    return PriorityClaims(tuple(_build(PriorityClaim, item, f"claims[{i}]")
                                for i, item in enumerate(items)))


@dataclass(frozen=True)
class ValuationRequest:
    subject: SubjectProperty
    valuation_date: date
    observed: ObservedScores | None = None
    comparables: tuple[Comparable, ...] = ()
    income: IncomeInput | None = None
    claims: PriorityClaims | None = None
    loan_amount: Decimal | None = None
    borrower_grade: str | None = None
    region_kind: str = "town"
    approaches: frozenset[str] | None = None
    explanation: str | None = None
    price_index_at_valuation: float = 100.0
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ValuationRequest:
        known = {"subject", "valuation_date", "observed", "comparables", "income", "claims",
                 "loan_amount", "borrower_grade", "region_kind", "approaches", "explanation",
                 "price_index_at_valuation"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise DomainError(unknown[0], "unknown field")
        if "subject" not in data:
            raise DomainError("subject", "is required")
        if "valuation_date" not in data:
            raise DomainError("valuation_date", "is required")
        comparables = data.get("comparables") or []
        if not isinstance(comparables, list):
            raise DomainError("comparables", "must be a list")
        loan = data.get("loan_amount")
        if loan is not None:
            loan = _decimal(loan, "loan_amount")
            if loan <= 0:
                raise DomainError("loan_amount", f"must be above 0; got {loan}")
        approaches = data.get("approaches")
        return cls(
            subject=_build(SubjectProperty, data["subject"], "subject"),
            valuation_date=_date(data["valuation_date"], "valuation_date"),
            observed=(None if data.get("observed") is None
                      else _build(ObservedScores, data["observed"], "observed")),
            comparables=tuple(_build(Comparable, c, f"comparables[{i}]")
                              for i, c in enumerate(comparables)),
            income=None if data.get("income") is None else _build(IncomeInput, data["income"],
                                                                  "income"),
            claims=_claims(data.get("claims")),
            loan_amount=loan,
            borrower_grade=data.get("borrower_grade"),
            region_kind=str(data.get("region_kind", "town")),
            approaches=None if approaches is None else frozenset(str(a) for a in approaches),
            explanation=data.get("explanation"),
            price_index_at_valuation=float(data.get("price_index_at_valuation", 100.0)),
        )

    def run(self, params: ValuationParams) -> ValuationResult:
        """Value the request; an error about the subject names it as ``subject.<field>``."""
        try:
            return self._run(params)
        except DomainError as exc:
            subject_fields = {f.name for f in dataclasses.fields(SubjectProperty)}
            if exc.field in subject_fields:
                raise DomainError(f"subject.{exc.field}", exc.reason) from None
            raise

    def _run(self, params: ValuationParams) -> ValuationResult:
        return valuate(
            self.subject, params, valuation_date=self.valuation_date,
            comparables=self.comparables, income=self.income, claims=self.claims,
            loan_amount=self.loan_amount, borrower_grade=self.borrower_grade,
            region_kind=self.region_kind, observed=self.observed,
            approaches=None if self.approaches is None else set(self.approaches),
            explanation=self.explanation,
            price_index_at_valuation=self.price_index_at_valuation)


def _decimal(raw: Any, path: str) -> Decimal:
    from mortgage_risk.domain.money import to_decimal

    return to_decimal(str(raw) if isinstance(raw, float) else raw, path)
