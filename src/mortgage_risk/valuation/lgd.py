"""Forced sale and LGD from collateral (§2.5, §2.6).

``Recovery_k = max(0, V·(1 − d_k)·(1 − c) − P_prior) / (1 + r)^T_k`` (at most EAD);
``LGD = max(floor, 1 − Σ π_k·Recovery_k / EAD)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mortgage_risk.domain import DomainError
from mortgage_risk.valuation._json import dec, jsonable
from mortgage_risk.valuation.params import ForcedSaleParams, ScenarioSpec


def auction_curve(first: float = 0.70, cut: float = 0.20, rounds: int = 2) -> tuple[float, ...]:
    """Start prices as shares of the appraisal: 70%, then 56% (each re-auction cut ≤ 20%)."""
    if not 0 < first <= 1 or not 0 <= cut < 1 or rounds < 1:
        raise DomainError("forced_sale", "first in (0, 1], cut in [0, 1), rounds ≥ 1")
    return tuple(first * (1.0 - cut) ** k for k in range(rounds))


@dataclass(frozen=True)
class Scenario:
    name: str
    probability: float
    discount: float
    years: float


def resolve_scenarios(specs: Sequence[ScenarioSpec], forced: ForcedSaleParams) -> list[Scenario]:
    """Scenario discounts from the auction curve where a scenario names an auction round."""
    curve = auction_curve(forced.first_auction_fraction, forced.reauction_cut,
                          forced.auction_rounds)
    out = []
    for s in specs:
        d = s.discount if s.discount is not None else 1.0 - curve[(s.auction_round or 1) - 1]
        out.append(Scenario(s.name, s.probability, d, s.years))
    return out


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    probability: float
    discount: float
    years: float
    recovery: Decimal
    lgd: float


@dataclass(frozen=True)
class LgdResult:
    ead: Decimal
    market_value: Decimal
    prior_claims: Decimal
    cost_rate: float
    discount_rate: float
    scenarios: tuple[ScenarioResult, ...]
    expected_recovery: Decimal
    lgd_unfloored: float
    floor: float
    lgd: float

    def to_dict(self) -> dict[str, Any]:
        return dict(jsonable(self))


def scenario_lgd(ead: Decimal, market_value: Decimal, prior_claims: Decimal,
                 scenarios: Sequence[Scenario], *, cost_rate: float, discount_rate: float,
                 floor: float = 0.0) -> LgdResult:
    """Scenario-weighted LGD with a floor (T27)."""
    if ead <= 0:
        raise DomainError("loan_amount", f"EAD must be positive; got {ead}")
    if market_value < 0 or prior_claims < 0:
        raise DomainError("market_value", "values must not be negative")
    if not scenarios or abs(sum(s.probability for s in scenarios) - 1.0) > 1e-9:
        raise DomainError("scenarios", "probabilities must sum to 1")
    if not 0 <= cost_rate < 1 or discount_rate <= -1 or not 0 <= floor <= 1:
        raise DomainError("lgd", "cost_rate in [0, 1), discount_rate > −1, floor in [0, 1]")
    results = []
    expected = 0.0
    v, p, e = float(market_value), float(prior_claims), float(ead)
    for s in scenarios:
        if not 0 <= s.discount <= 1 or s.years < 0:
            raise DomainError(f"scenarios.{s.name}", "discount in [0, 1], years ≥ 0")
        net = max(0.0, v * (1.0 - s.discount) * (1.0 - cost_rate) - p)
        rec = min(net / (1.0 + discount_rate) ** s.years, e)
        expected += s.probability * rec
        results.append(ScenarioResult(s.name, s.probability, s.discount, s.years, dec(rec),
                                      1.0 - rec / e))
    raw = 1.0 - expected / e
    return LgdResult(ead, market_value, prior_claims, cost_rate, discount_rate, tuple(results),
                     dec(expected), raw, floor, max(raw, floor))


def scenario_lgd_array(ead: Any, market_value: Any, prior_claims: Any,
                       scenarios: Sequence[Scenario], *, cost_rate: float,
                       discount_rate: float, floor: float = 0.0) -> Any:
    """:func:`scenario_lgd` over numpy arrays (the same formula, one value per row)."""
    import numpy as np

    e = np.asarray(ead, dtype=float)
    v = np.asarray(market_value, dtype=float)
    p = np.asarray(prior_claims, dtype=float)
    if (e <= 0).any():
        raise DomainError("loan_amount", "EAD must be positive")
    expected = np.zeros_like(e)
    for s in scenarios:
        net = np.maximum(0.0, v * (1.0 - s.discount) * (1.0 - cost_rate) - p)
        expected += s.probability * np.minimum(net / (1.0 + discount_rate) ** s.years, e)
    return np.maximum(1.0 - expected / e, floor)
