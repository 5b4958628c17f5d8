"""Reconciling the approaches (§3.4): weights, spread checks, rounding."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from mortgage_risk.domain import DomainError
from mortgage_risk.valuation._json import dec, jsonable


def round_to(value: Decimal, unit: Decimal) -> Decimal:
    """Round half up to a multiple of ``unit`` (e.g. CNY 100)."""
    if unit <= 0:
        return value
    return (value / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP) * unit


@dataclass(frozen=True)
class Reconciliation:
    """The reconciled value; ``method`` is single, weighted or lowest."""

    value: Decimal
    reported_value: Decimal
    method: str
    indications: dict[str, Decimal]
    weights: dict[str, float]
    spread: float
    requires_explanation: bool
    explanation: str | None
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return dict(jsonable(self))


def reconcile(indications: Mapping[str, Decimal], weights: Mapping[str, float], *,
              explanation: str | None = None, explanation_spread: float = 0.15,
              lowest_spread: float = 0.30,
              rounding: Decimal = Decimal(100)) -> Reconciliation:
    """Weighted value of the indications; spread = (max − min)/min.

    Spread above ``explanation_spread`` needs a written explanation (an error without one);
    above ``lowest_spread`` the lowest indication is taken. Weights are renormalised over the
    approaches present; approaches without a weight share equally when none has one.
    """
    if not indications:
        raise DomainError("approaches", "no approach produced an indication")
    for name, v in indications.items():
        if v <= 0:
            raise DomainError(f"indications.{name}", f"must be positive; got {v}")
    warnings: list[str] = []
    present = {k: float(weights.get(k, 0.0)) for k in indications}
    if sum(present.values()) <= 0:
        present = dict.fromkeys(indications, 1.0)
        warnings.append("no configured weight for the approaches used: equal weights")
    missing = [k for k, w in present.items() if w == 0]
    if missing:
        warnings.append(f"approaches without weight (shown, not weighted): {sorted(missing)}")
    total = sum(present.values())
    used = {k: w / total for k, w in present.items()}
    weighted = {k: v for k, v in indications.items() if used[k] > 0}
    lo, hi = min(weighted.values()), max(weighted.values())
    spread = float((hi - lo) / lo)
    requires = spread > explanation_spread
    text = explanation.strip() if explanation else None
    if requires and not text:
        raise DomainError("explanation", f"the approaches differ by {spread:.1%} (over "
                                         f"{explanation_spread:.0%}): a written explanation "
                                         "is required")
    if len(weighted) == 1:
        method, value = "single", lo
    elif spread > lowest_spread:
        method, value = "lowest", lo
        warnings.append(f"spread {spread:.1%} over {lowest_spread:.0%}: lowest indication taken")
    else:
        method = "weighted"
        value = sum((v * dec(used[k]) for k, v in weighted.items()), Decimal(0))
    return Reconciliation(value, round_to(value, rounding), method, dict(indications), used,
                          spread, requires, text, tuple(warnings))
