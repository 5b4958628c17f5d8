"""Shared inputs for the valuation tests: the §1.8 house, its comparables and a matcher."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from mortgage_risk.valuation.market import Comparable
from mortgage_risk.valuation.params import ValuationParams
from mortgage_risk.valuation.subject import ObservedScores, SubjectProperty

PARAMS = ValuationParams.load_default()
VALUATION_DATE = date(2025, 6, 30)


def matches(actual: Any, expected: str, rel: float = 1e-6) -> bool:
    """Within ``rel`` or equal at the printed precision of ``expected`` (doc values are rounded)."""
    exp = Decimal(expected)
    exponent = exp.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) else 0
    tol = max(rel * abs(float(exp)), 0.5 * 10.0 ** -max(places, 0))
    return abs(float(actual) - float(exp)) <= tol


def house(**changes: Any) -> SubjectProperty:
    """The 120 m² brick-concrete house of §1.8 (valued 2025-06-30)."""
    fields: dict[str, Any] = {
        "property_type": "urban_housing", "land_nature": "state_granted", "floor_area": "120",
        "land_area": "100", "structure": "brick_concrete", "storeys": 2,
        "completion_date": date(2005, 6, 30), "land_grade": "3", "land_term_remaining": 49,
        "plot_ratio": 1.2, "land_factor_adjustments": {"location": -0.02, "frontage": -0.01},
        "land_price_index": 96.0, "functional_obsolescence": "5000"}
    fields.update(changes)
    return SubjectProperty(**fields)


OBSERVED = ObservedScores(78, 68, 68, "basically_sound")

COMPARABLES = (
    Comparable("A", Decimal(2600), date(2024, 12, 15), 101.5, Decimal(118),
               location_adjustment=0.03, physical_adjustment=0.04),
    Comparable("B", Decimal(2450), date(2025, 3, 15), 100.8, Decimal(125),
               transaction_adjustment=-0.05, location_adjustment=-0.02,
               physical_adjustment=0.02),
    Comparable("C", Decimal(2700), date(2025, 5, 15), 100.3, Decimal(110),
               chattel_deduction=Decimal(50), location_adjustment=0.05, legal_adjustment=0.01),
)
