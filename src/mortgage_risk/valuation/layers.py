"""Value layers: market value → mortgage value → net mortgage value; LTV, CLTV, maximum loan.

Mortgage value (抵押价值) = market value assumed unencumbered − statutory priority claims
known to the valuer. Net mortgage value (抵押净值) = mortgage value − expected enforcement
costs and taxes (rates on the market value). Neither goes below 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from mortgage_risk.domain import DomainError
from mortgage_risk.domain.money import to_decimal
from mortgage_risk.valuation._json import dec, jsonable
from mortgage_risk.valuation.params import ValuationParams


@dataclass(frozen=True)
class PriorityClaim:
    """One statutory priority claim: kind from the params (prior_mortgage, ...), amount."""

    kind: str
    amount: Decimal
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount, f"claims.{self.kind}"))
        if self.amount < 0:
            raise DomainError(f"claims.{self.kind}", f"must not be negative; got {self.amount}")


@dataclass(frozen=True)
class PriorityClaims:
    claims: tuple[PriorityClaim, ...] = ()

    @classmethod
    def of(cls, **amounts: Decimal | int | str) -> PriorityClaims:
        return cls(tuple(PriorityClaim(k, Decimal(v) if not isinstance(v, Decimal) else v)
                         for k, v in amounts.items()))


def mortgage_value(market_value: Decimal, claims: Iterable[Decimal]) -> Decimal:
    """``market value − Σ claims``, not below 0 (T15: 8000 − 2000 = 6000)."""
    mv = to_decimal(market_value, "market_value")
    if mv < 0:
        raise DomainError("market_value", "must not be negative")
    total = sum((to_decimal(c, "claims") for c in claims), Decimal(0))
    if total < 0:
        raise DomainError("claims", "must not be negative")
    return max(mv - total, Decimal(0))


def net_mortgage_value(mortgage: Decimal, market_value: Decimal, cost_rate: float) -> Decimal:
    """``mortgage value − cost_rate × market value``, not below 0 (T22)."""
    if not 0.0 <= cost_rate < 1.0:
        raise DomainError("cost_rate", f"must be within [0, 1); got {cost_rate}")
    return max(mortgage - market_value * dec(cost_rate), Decimal(0))


def ltv(loan_amount: Decimal, value: Decimal) -> float | None:
    """Loan ÷ value; None when the value is 0."""
    if loan_amount < 0:
        raise DomainError("loan_amount", f"must not be negative; got {loan_amount}")
    return None if value <= 0 else float(loan_amount / value)


def cltv(loan_amount: Decimal, prior_claims: Decimal, market_value: Decimal) -> float | None:
    """(Loan + claims ranking ahead) ÷ market value."""
    if loan_amount < 0:
        raise DomainError("loan_amount", f"must not be negative; got {loan_amount}")
    return None if market_value <= 0 else float((loan_amount + prior_claims) / market_value)


@dataclass(frozen=True)
class ValueLayers:
    market_value: Decimal
    claims: dict[str, Decimal]
    priority_claims_total: Decimal
    mortgage_value: Decimal
    enforcement_costs: dict[str, Decimal]
    enforcement_cost_total: Decimal
    net_mortgage_value: Decimal
    cap: float | None = None
    cap_key: tuple[str, str, str] | None = None
    cap_applies_to: str | None = None
    max_loan: Decimal | None = None
    loan_amount: Decimal | None = None
    ltv: float | None = None
    cltv: float | None = None
    within_cap: bool | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return dict(jsonable(self))


def value_layers(market_value: Decimal, claims: Sequence[PriorityClaim],
                 params: ValuationParams, *, property_type: str, land_nature: str,
                 region_kind: str = "town", borrower_grade: str | None = None,
                 loan_amount: Decimal | None = None) -> ValueLayers:
    """All layers, the cap from the cap table and, with a loan amount, LTV and CLTV."""
    warnings: list[str] = []
    kinds = params.priority_claims.kinds
    by_kind: dict[str, Decimal] = {}
    for c in claims:
        if c.kind not in kinds:
            raise DomainError("claims", f"unknown claim kind {c.kind!r}; known: {sorted(kinds)}")
        amount = c.amount
        if c.kind == "prior_mortgage" and \
                params.priority_claims.prior_mortgage_method == "balance_over_typical_ltv":
            amount = amount / dec(params.priority_claims.typical_ltv)
        by_kind[c.kind] = by_kind.get(c.kind, Decimal(0)) + amount
    if land_nature == "state_allocated" and "land_grant_fee" not in by_kind:
        warnings.append("allocated land: the land grant fee owed on enforcement should be "
                        "deducted as a priority claim")
    total = sum(by_kind.values(), Decimal(0))
    mv = mortgage_value(market_value, by_kind.values())
    if market_value - total < 0:
        warnings.append("priority claims exceed the market value: mortgage value 0")
    rates = params.enforcement.rates_for(property_type)
    costs = {k: market_value * dec(r) for k, r in rates.items()}
    cost_total = sum(costs.values(), Decimal(0))
    net = net_mortgage_value(mv, market_value, sum(rates.values()))
    entry = params.mortgage_rate_cap.lookup(property_type, region_kind, borrower_grade)
    base = {"market_value": market_value, "mortgage_value": mv,
            "net_mortgage_value": net}[params.mortgage_rate_cap.applies_to]
    max_loan = base * dec(entry.cap)
    layers = ValueLayers(market_value, by_kind, total, mv, costs, cost_total, net, entry.cap,
                         (entry.collateral_type, entry.region_kind, entry.borrower_grade),
                         params.mortgage_rate_cap.applies_to, max_loan)
    if loan_amount is None:
        return replace(layers, warnings=tuple(warnings))
    loan = to_decimal(loan_amount, "loan_amount")
    if loan <= 0:
        raise DomainError("loan_amount", f"must be positive; got {loan}")
    ratio = ltv(loan, mv)
    if ratio is None:
        warnings.append("mortgage value is 0: LTV undefined")
    within = loan <= max_loan
    if not within:
        warnings.append(f"loan {loan} exceeds the maximum {max_loan:.2f} "
                        f"({entry.cap:.0%} of {params.mortgage_rate_cap.applies_to})")
    return replace(layers, loan_amount=loan, ltv=ratio, cltv=cltv(loan, total, market_value),
                   within_cap=within, warnings=tuple(warnings))
