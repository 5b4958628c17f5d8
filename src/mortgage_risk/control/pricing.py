"""Risk-based price: LPR + premium, with the breakdown of every component.

    premium = expected loss rate + funding spread + operating cost + capital charge rate
    expected loss rate  = annual PD × LGD   (annual PD = 1 − (1 − PD)^(1 / horizon years))
    capital charge rate = RWA × capital ratio × hurdle rate ÷ EAD = RW × capital ratio × hurdle

The premium is clamped to the policy's ``[min_spread, max_spread]``. Arithmetic is exact
Decimal (PD and LGD enter as the Decimal of their float repr); ``rate_display`` is the rate
rounded half-up to the basis point, ``spread_bp`` the clamped premium in basis points.

Risk weight by ``pricing.risk_weight_method``: ``flat_50`` (the policy's flat weight, 50%),
``ltv_bands`` (Basel III CRE20.82 table in the policy, LTV of the loan ÷ mortgage value) or
``irb`` (:func:`~mortgage_risk.control.capital.basel_irb_mortgage` with the policy's floors).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from mortgage_risk.control.capital import basel_irb_mortgage, ltv_band_risk_weight
from mortgage_risk.control.policy import CreditPolicy, PricingPolicy
from mortgage_risk.domain import DomainError

BASIS_POINT: Final = Decimal("0.0001")


def as_decimal(x: float | Decimal, field: str) -> Decimal:
    """A float as the Decimal of its shortest repr (exact for its printed digits)."""
    if isinstance(x, Decimal):
        return x
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise DomainError(field, f"must be a number; got {x!r}")
    value = Decimal(repr(float(x)))
    if not value.is_finite():
        raise DomainError(field, f"must be finite; got {x}")
    return value


def risk_weight(pricing: PricingPolicy, *, pd: float, lgd: float, ltv: Decimal | None
                ) -> Decimal:
    """The risk weight of the policy's method; ``ltv`` None (no value) takes the top band."""
    method = pricing.risk_weight_method
    if method == "flat_50":
        return pricing.flat_risk_weight
    if method == "ltv_bands":
        if ltv is None:
            return pricing.ltv_bands[-1].risk_weight
        return ltv_band_risk_weight(ltv, pricing.ltv_bands)
    irb = basel_irb_mortgage(pd, lgd, pd_floor=pricing.irb.pd_floor,
                             lgd_floor=pricing.irb.lgd_floor)
    return as_decimal(irb.risk_weight, "risk_weight")


def annual_pd(pd: Decimal, horizon_years: Decimal) -> Decimal:
    """PD over ``horizon_years`` converted to one year (identity for a 12-month PD)."""
    if horizon_years == 1:
        return pd
    return 1 - (1 - pd) ** (1 / horizon_years)


@dataclass(frozen=True)
class PriceBreakdown:
    lpr: Decimal
    lpr_as_of: date
    pd: Decimal
    lgd: Decimal
    annual_pd: Decimal
    expected_loss_rate: Decimal
    funding_spread: Decimal
    operating_cost: Decimal
    risk_weight_method: str
    risk_weight: Decimal
    capital_ratio: Decimal
    hurdle_rate: Decimal
    capital_charge_rate: Decimal
    premium_unclamped: Decimal
    premium: Decimal
    clamped: str | None  # "min_spread", "max_spread" or None
    rate: Decimal  # exact
    rate_display: Decimal  # to the basis point
    spread_bp: int

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in vars(self).items():
            if isinstance(value, Decimal):
                out[name] = str(value)
            elif isinstance(value, date):
                out[name] = value.isoformat()
            else:
                out[name] = value
        return out


def price(*, pd: float, lgd: float, ltv: Decimal | None, policy: CreditPolicy
          ) -> PriceBreakdown:
    """The risk-based rate for a loan with this PD, LGD and LTV (loan ÷ mortgage value)."""
    pr = policy.pricing
    pd_d = as_decimal(pd, "pd")
    lgd_d = as_decimal(lgd, "lgd")
    if not (0 <= pd_d <= 1 and 0 <= lgd_d <= 1):
        raise DomainError("pd" if not 0 <= pd_d <= 1 else "lgd", "must be within [0, 1]")
    apd = annual_pd(pd_d, pr.pd_horizon_years)
    el_rate = apd * lgd_d
    rw = risk_weight(pr, pd=pd, lgd=lgd, ltv=ltv)
    cap_rate = rw * pr.capital_ratio * pr.hurdle_rate
    raw = el_rate + pr.funding_spread + pr.operating_cost + cap_rate
    clamped: str | None = None
    premium = raw
    if raw < pr.min_spread:
        premium, clamped = pr.min_spread, "min_spread"
    elif raw > pr.max_spread:
        premium, clamped = pr.max_spread, "max_spread"
    rate = policy.lpr.rate + premium
    return PriceBreakdown(
        lpr=policy.lpr.rate, lpr_as_of=policy.lpr.as_of, pd=pd_d, lgd=lgd_d, annual_pd=apd,
        expected_loss_rate=el_rate, funding_spread=pr.funding_spread,
        operating_cost=pr.operating_cost, risk_weight_method=pr.risk_weight_method,
        risk_weight=rw, capital_ratio=pr.capital_ratio, hurdle_rate=pr.hurdle_rate,
        capital_charge_rate=cap_rate, premium_unclamped=raw, premium=premium, clamped=clamped,
        rate=rate, rate_display=rate.quantize(BASIS_POINT, rounding=ROUND_HALF_UP),
        spread_bp=int((premium / BASIS_POINT).quantize(Decimal(1), rounding=ROUND_HALF_UP)))
