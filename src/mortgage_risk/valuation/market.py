"""Market comparison (比较法, §3.1) with adjustment and prudence guards.

Indicated price ``P* = P × 100/(100+s) × I_v/I_t × 100/(100+a_loc) × 100/(100+a_phys)
× 100/(100+a_legal)`` with each percentage given as a fraction (``0.03`` for +3%).
A comparable better than the subject has a positive adjustment; an urgent sale a negative
transaction adjustment. Guards: each single adjustment (the date one as ``|I_v/I_t − 1|``)
within ±20%, the composite ``|P*/P − 1|`` within ±30%; a comparable breaking them is excluded
with its reason. Comparables priced above ``median × prudence multiple`` are flagged.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from mortgage_risk.domain import DomainError
from mortgage_risk.domain.money import to_decimal
from mortgage_risk.valuation._json import dec, jsonable
from mortgage_risk.valuation.params import MarketParams


@dataclass(frozen=True)
class Comparable:
    """A comparable sale or recent valuation, priced per m² of floor area."""

    id: str
    unit_price: Decimal
    transaction_date: date
    price_index_at_transaction: float
    area: Decimal | None = None
    chattel_deduction: Decimal = Decimal(0)
    transaction_adjustment: float = 0.0
    location_adjustment: float = 0.0
    physical_adjustment: float = 0.0
    legal_adjustment: float = 0.0
    property_type: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit_price", to_decimal(self.unit_price, "unit_price"))
        object.__setattr__(self, "chattel_deduction",
                           to_decimal(self.chattel_deduction, "chattel_deduction"))
        if self.unit_price <= 0:
            raise DomainError(f"comparables[{self.id}].unit_price", "must be positive")
        if not 0 <= self.chattel_deduction < self.unit_price:
            raise DomainError(f"comparables[{self.id}].chattel_deduction",
                              "must be within [0, unit price)")
        if self.price_index_at_transaction <= 0:
            raise DomainError(f"comparables[{self.id}].price_index_at_transaction",
                              "must be positive")
        for name in ("transaction_adjustment", "location_adjustment", "physical_adjustment",
                     "legal_adjustment"):
            if getattr(self, name) <= -1.0:
                raise DomainError(f"comparables[{self.id}].{name}", "must be above −100%")


@dataclass(frozen=True)
class ComparableResult:
    """One comparable's factors, indicated price, guard outcome and weight."""

    id: str
    base_price: Decimal
    factors: dict[str, float]
    total_factor: float
    indicated_price: Decimal
    gross_adjustment: float
    included: bool
    weight: float = 0.0
    flags: tuple[str, ...] = ()
    exclusion_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class MarketIndication:
    value: Decimal
    unit_price: Decimal
    subject_area: Decimal
    weighting: str
    comparables: tuple[ComparableResult, ...]
    median_unit_price: Decimal
    dispersion_ratio: float
    warnings: tuple[str, ...] = field(default_factory=tuple)
    approach: str = "market"

    def to_dict(self) -> dict[str, Any]:
        return dict(jsonable(self))


def comparable_factors(c: Comparable, index_at_valuation: float) -> dict[str, float]:
    """The multiplicative correction factors of one comparable."""
    return {
        "transaction": 1.0 / (1.0 + c.transaction_adjustment),
        "date": index_at_valuation / c.price_index_at_transaction,
        "location": 1.0 / (1.0 + c.location_adjustment),
        "physical": 1.0 / (1.0 + c.physical_adjustment),
        "legal": 1.0 / (1.0 + c.legal_adjustment),
    }


def sales_comparison(subject_area: Decimal, comparables: Sequence[Comparable],
                     params: MarketParams, *, valuation_date: date,
                     index_at_valuation: float = 100.0,
                     local_median_unit_price: Decimal | None = None) -> MarketIndication:
    """Adjust, guard, weight (inverse gross adjustment by default) and value the subject."""
    if subject_area <= 0:
        raise DomainError("floor_area", "market comparison needs a floor area above 0")
    if not comparables:
        raise DomainError("comparables", "market comparison needs comparables")
    if index_at_valuation <= 0:
        raise DomainError("price_index_at_valuation", "must be positive")
    ids = [c.id for c in comparables]
    if len(set(ids)) != len(ids):
        raise DomainError("comparables", "comparable ids must be unique")
    warnings: list[str] = []
    bases = [c.unit_price - c.chattel_deduction for c in comparables]
    median = (local_median_unit_price if local_median_unit_price is not None
              else dec(statistics.median(float(b) for b in bases)))
    results: list[ComparableResult] = []
    for c, base in zip(comparables, bases, strict=True):
        factors = comparable_factors(c, index_at_valuation)
        singles = {"transaction": abs(c.transaction_adjustment),
                   "date": abs(factors["date"] - 1.0),
                   "location": abs(c.location_adjustment),
                   "physical": abs(c.physical_adjustment),
                   "legal": abs(c.legal_adjustment)}
        total = 1.0
        for f in factors.values():
            total *= f
        reasons: list[str] = []
        for name, size in singles.items():
            if size > params.single_adjustment_limit + 1e-12:
                reasons.append(f"{name} adjustment {size:.2%} exceeds the single limit "
                               f"{params.single_adjustment_limit:.0%}")
        if abs(total - 1.0) > params.total_adjustment_limit + 1e-12:
            reasons.append(f"total adjustment {total - 1.0:+.2%} exceeds the limit "
                           f"{params.total_adjustment_limit:.0%}")
        age_days = (valuation_date - c.transaction_date).days
        if age_days < 0:
            reasons.append("transaction date is after the valuation date")
        elif age_days > params.max_age_days:
            reasons.append(f"transaction is {age_days} days old (limit {params.max_age_days})")
        flags: list[str] = []
        if params.warn_age_days < age_days <= params.max_age_days:
            flags.append(f"transaction older than {params.warn_age_days} days")
        if median > 0 and base > median * dec(params.prudence_median_multiple):
            flags.append(f"priced {float(base / median):.2f}× the local median "
                         f"(prudence limit {params.prudence_median_multiple:g}×)")
            if params.exclude_prudence_flagged:
                reasons.append("priced far above the local median (prudence)")
        indicated = base * dec(total)
        results.append(ComparableResult(
            c.id, base, factors, total, indicated, sum(singles.values()), not reasons,
            flags=tuple(flags), exclusion_reasons=tuple(reasons)))
    included = [r for r in results if r.included]
    for r in results:
        if not r.included:
            warnings.append(f"comparable {r.id} excluded: {'; '.join(r.exclusion_reasons)}")
        warnings.extend(f"comparable {r.id}: {flag}" for flag in r.flags)
    if not included:
        raise DomainError("comparables", "no comparable passed the adjustment guards")
    if len(included) < params.min_comparables:
        warnings.append(f"only {len(included)} comparables (at least {params.min_comparables} "
                        "expected)")
    prices = [float(r.indicated_price) for r in included]
    dispersion = max(prices) / min(prices)
    if dispersion > params.dispersion_ratio_flag:
        warnings.append(f"indicated prices differ by {dispersion:.3f}× (flag above "
                        f"{params.dispersion_ratio_flag:g}×)")
    weights = _weights(included, params.weighting)
    if params.weighting == "median":
        unit = dec(statistics.median(prices))
    else:
        unit = sum((r.indicated_price * dec(w) for r, w in zip(included, weights, strict=True)),
                   Decimal(0))
    weight_of = {r.id: w for r, w in zip(included, weights, strict=True)}
    final = tuple(replace(r, weight=weight_of.get(r.id, 0.0)) for r in results)
    return MarketIndication(unit * subject_area, unit, subject_area, params.weighting, final,
                            median, dispersion, tuple(warnings))


def _weights(included: list[ComparableResult], method: str) -> list[float]:
    n = len(included)
    if method == "inverse_gross":
        if any(r.gross_adjustment == 0 for r in included):
            exact = [1.0 if r.gross_adjustment == 0 else 0.0 for r in included]
            return [w / sum(exact) for w in exact]
        inv = [1.0 / r.gross_adjustment for r in included]
        return [w / sum(inv) for w in inv]
    return [1.0 / n] * n
