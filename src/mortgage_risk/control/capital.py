"""Capital: the Basel IRB retail mortgage formula, standardised risk weights, capital charge.

IRB (reference-regulation.md 4.1; Basel II §328, Basel III CRE31), with R = 0.15 and no
maturity adjustment::

    K = LGD · N[(1 − R)^−½ · G(PD) + (R / (1 − R))^½ · G(0.999)] − PD · LGD
    RW = 12.5 · K          (RWA = RW · EAD)

A defaulted exposure (PD = 1) has ``K = max(0, LGD − best-estimate EL)``. Standardised
(4.2): a flat 50% (China, personal housing) or the Basel III CRE20.82 LTV bands.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import NormalDist
from typing import Final

from mortgage_risk.control.policy import LtvBand
from mortgage_risk.domain import DomainError
from mortgage_risk.domain.money import to_decimal

CORRELATION: Final = 0.15
CONFIDENCE: Final = 0.999
_N: Final = NormalDist()
_G999: Final = _N.inv_cdf(CONFIDENCE)

FLAT_RISK_WEIGHT: Final = Decimal("0.50")
# Basel III CRE20.82, general residential real estate (repayment not dependent on the property).
BASEL_LTV_BANDS: Final[tuple[LtvBand, ...]] = (
    LtvBand(Decimal("0.50"), Decimal("0.20")),
    LtvBand(Decimal("0.60"), Decimal("0.25")),
    LtvBand(Decimal("0.80"), Decimal("0.30")),
    LtvBand(Decimal("0.90"), Decimal("0.40")),
    LtvBand(Decimal("1.00"), Decimal("0.50")),
    LtvBand(None, Decimal("0.70")),
)


@dataclass(frozen=True)
class IrbResult:
    """Capital requirement ``k`` per unit of EAD and ``risk_weight`` = 12.5 · k."""

    k: float
    risk_weight: float
    pd: float
    lgd: float
    correlation: float
    defaulted: bool


def _check_unit(x: float, field: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise DomainError(field, f"must be a finite number; got {x!r}")
    if not 0.0 <= x <= 1.0:
        raise DomainError(field, f"must be within [0, 1]; got {x}")
    return float(x)


def basel_irb_mortgage(pd: float, lgd: float, *, pd_floor: float = 0.0, lgd_floor: float = 0.0,
                       best_estimate_el: float | None = None) -> IrbResult:
    """IRB capital for a retail residential mortgage (R = 0.15, no maturity adjustment).

    ``pd_floor`` (0.0003 Basel II, 0.0005 Basel III) and ``lgd_floor`` (0.10 / 0.05) apply
    before the formula. For PD = 1 the exposure is in default and ``K = max(0, LGD − EL)``
    where EL is ``best_estimate_el`` (default PD · LGD = LGD, so K = 0 unless a best
    estimate below LGD is given).
    """
    pd_used = max(_check_unit(pd, "pd"), _check_unit(pd_floor, "pd_floor"))
    lgd_used = max(_check_unit(lgd, "lgd"), _check_unit(lgd_floor, "lgd_floor"))
    if pd_used >= 1.0:
        el = lgd_used if best_estimate_el is None else _check_unit(best_estimate_el,
                                                                   "best_estimate_el")
        k = max(0.0, lgd_used - el)
        return IrbResult(k, 12.5 * k, pd_used, lgd_used, CORRELATION, True)
    if pd_used <= 0.0:
        return IrbResult(0.0, 0.0, pd_used, lgd_used, CORRELATION, False)
    r = CORRELATION
    x = (1.0 - r) ** -0.5 * _N.inv_cdf(pd_used) + (r / (1.0 - r)) ** 0.5 * _G999
    k = max(0.0, lgd_used * _N.cdf(x) - pd_used * lgd_used)
    return IrbResult(k, 12.5 * k, pd_used, lgd_used, CORRELATION, False)


def ltv_band_risk_weight(ltv: Decimal | float, bands: Sequence[LtvBand] = BASEL_LTV_BANDS
                         ) -> Decimal:
    """The weight of the first band with ``ltv ≤ max_ltv`` (bands are upper-inclusive)."""
    value = ltv if isinstance(ltv, Decimal) else Decimal(repr(float(ltv)))
    if not value.is_finite() or value < 0:
        raise DomainError("ltv", f"must be a finite non-negative ratio; got {ltv}")
    for band in bands:
        if band.max_ltv is None or value <= band.max_ltv:
            return band.risk_weight
    raise DomainError("ltv_bands", "the last band must have no upper bound")


@dataclass(frozen=True)
class CapitalCharge:
    """Capital held for an exposure and its yearly cost at the hurdle rate."""

    ead: Decimal
    risk_weight: Decimal
    rwa: Decimal
    capital: Decimal
    annual_charge: Decimal
    rate: Decimal  # annual_charge ÷ EAD = risk weight × capital ratio × hurdle rate


def capital_charge(ead: Decimal | int | str, rw: Decimal, capital_ratio: Decimal,
                   hurdle: Decimal) -> CapitalCharge:
    """RWA = EAD · RW; capital = RWA · capital ratio; charge = capital · hurdle (exact)."""
    amount = to_decimal(ead, "ead")
    for name, value in (("risk_weight", rw), ("capital_ratio", capital_ratio),
                        ("hurdle_rate", hurdle)):
        if to_decimal(value, name) < 0:
            raise DomainError(name, f"must not be negative; got {value}")
    if amount < 0:
        raise DomainError("ead", f"must not be negative; got {amount}")
    rwa = amount * rw
    capital = rwa * capital_ratio
    return CapitalCharge(amount, rw, rwa, capital, capital * hurdle,
                         rw * capital_ratio * hurdle)
