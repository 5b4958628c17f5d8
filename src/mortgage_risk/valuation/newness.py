"""Newness rates (成新率): age-life, the land-term truncation rule, observed scoring, combined.

All rates are fractions in ``[0, 1]``; observed scores are points out of 100.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from mortgage_risk.domain import DomainError

DEFAULT_AGE_WEIGHT = 0.4


def _check_rate(name: str, value: float, *, upper_open: bool = False) -> None:
    if not 0.0 <= value <= 1.0 or (upper_open and value >= 1.0):
        bound = "[0, 1)" if upper_open else "[0, 1]"
        raise DomainError(name, f"must be within {bound}; got {value}")


def age_life_newness(age: float, economic_life: float, residual_rate: float,
                     floor_at_residual: bool = True) -> float:
    """Straight-line newness ``1 − (1 − R)·t / N``, floored at ``R`` once ``t ≥ N`` by default.

    ``age`` is the effective age in years (completion to valuation date, adjusted for upkeep).
    """
    if age < 0:
        raise DomainError("age", f"must not be negative; got {age}")
    if economic_life <= 0:
        raise DomainError("economic_life", f"must be positive; got {economic_life}")
    _check_rate("residual_rate", residual_rate, upper_open=True)
    q = 1.0 - (1.0 - residual_rate) * age / economic_life
    return max(q, residual_rate) if floor_at_residual else q


class EffectiveLife(NamedTuple):
    """The life and residual rate to use after the land-term rule; ``truncated`` if it bit."""

    economic_life: float
    residual_rate: float
    truncated: bool


def effective_life(age: float, economic_life: float, residual_rate: float, *,
                   remaining_land_term: float | None = None, residential: bool = True,
                   reverts_without_compensation: bool = False) -> EffectiveLife:
    """Apply the land-term truncation rule (textbook rule, GB/T 50291-2015 §4.4 practice).

    Residential land renews automatically (民法典 art. 359), so the building keeps its own life.
    Non-residential land whose grant contract takes the building back without compensation,
    and whose term ends before the building's life does, gives ``N' = t + remaining term`` and
    ``R = 0``. Otherwise (compensation or renewal) the building's own life is used.
    """
    if age < 0:
        raise DomainError("age", f"must not be negative; got {age}")
    if economic_life <= 0:
        raise DomainError("economic_life", f"must be positive; got {economic_life}")
    _check_rate("residual_rate", residual_rate, upper_open=True)
    if remaining_land_term is not None and remaining_land_term < 0:
        raise DomainError("remaining_land_term",
                          f"must not be negative; got {remaining_land_term}")
    if (residential or not reverts_without_compensation or remaining_land_term is None
            or age + remaining_land_term >= economic_life):
        return EffectiveLife(float(economic_life), float(residual_rate), False)
    truncated_life = age + remaining_land_term
    if truncated_life <= 0:
        raise DomainError("remaining_land_term", "land term has ended with no building age")
    return EffectiveLife(float(truncated_life), 0.0, True)


def group_score(item_scores: Mapping[str, float], standard_scores: Mapping[str, float],
                group: str = "group") -> float:
    """Sum of sub-item scores, each within ``[0, its standard score]`` (a group totals 100)."""
    total = 0.0
    for item, score in item_scores.items():
        if item not in standard_scores:
            raise DomainError(f"{group}.{item}",
                              f"unknown sub-item; known: {sorted(standard_scores)}")
        top = standard_scores[item]
        if not 0.0 <= score <= top:
            raise DomainError(f"{group}.{item}", f"score must be within [0, {top}]; got {score}")
        total += score
    return total


def score_newness(structure_score: float, finish_score: float, services_score: float,
                  weights: tuple[float, float, float]) -> float:
    """Observed newness ``(G·w_G + S·w_S + B·w_B) / 100`` from group scores out of 100."""
    for name, score in (("structure_score", structure_score), ("finish_score", finish_score),
                        ("services_score", services_score)):
        if not 0.0 <= score <= 100.0:
            raise DomainError(name, f"must be within [0, 100]; got {score}")
    if any(w < 0 for w in weights) or abs(sum(weights) - 1.0) > 1e-9:
        raise DomainError("weights", f"must be non-negative and sum to 1; got {weights}")
    w_g, w_s, w_b = weights
    return (structure_score * w_g + finish_score * w_s + services_score * w_b) / 100.0


def combined_newness(q_age: float, q_score: float, w_age: float = DEFAULT_AGE_WEIGHT) -> float:
    """``w_age·q_age + (1 − w_age)·q_score`` (0.4 / 0.6 by convention)."""
    _check_rate("q_age", q_age)
    _check_rate("q_score", q_score)
    _check_rate("w_age", w_age)
    return w_age * q_age + (1.0 - w_age) * q_score
