"""Rural collateral formulas: land management right value (§5.3) and the Pingluo loan rule."""

from __future__ import annotations

from decimal import Decimal

from mortgage_risk.domain import DomainError
from mortgage_risk.valuation._json import dec
from mortgage_risk.valuation.income import capitalise


def land_management_right_value(area_mu: float, annual_rent_per_mu: Decimal | float,
                                remaining_years: float, rate: float) -> Decimal:
    """``a/r·[1 − (1+r)^−n]`` with a = area × rent (T28: 100 亩 × 800, 8 yr, 5% → 517,057.02)."""
    if area_mu <= 0:
        raise DomainError("area_mu", f"must be positive; got {area_mu}")
    return capitalise(dec(area_mu) * dec(annual_rent_per_mu), rate, remaining_years)


def farmer_pledge_loan(land_price_per_mu: Decimal | float, area_mu: float,
                       remaining_contract_years: float, share: float = 0.5) -> Decimal:
    """Pingluo rule for a farmer's own contract land: price × area × remaining years × ½ (T29)."""
    for name, v in (("land_price_per_mu", float(land_price_per_mu)), ("area_mu", area_mu),
                    ("remaining_contract_years", remaining_contract_years)):
        if v < 0:
            raise DomainError(name, f"must not be negative; got {v}")
    if not 0 < share <= 1:
        raise DomainError("share", f"must be within (0, 1]; got {share}")
    return dec(land_price_per_mu) * dec(area_mu) * dec(remaining_contract_years) * dec(share)
