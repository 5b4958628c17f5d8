"""Risk-based pricing: worked examples by hand, clamps, risk-weight methods.

Worked example (default policy credit-policy-2026.1, flat 50% risk weight), PD 2%, LGD 25%:

    expected loss rate  = 2% × 25%                 = 0.50%
    funding spread                                 = 0.20%
    operating cost                                 = 0.60%
    capital charge      = 50% × 8% × 10% (hurdle)  = 0.40%
    premium                                        = 1.70%  (within [0.50%, 3.00%])
    rate                = LPR 3.50% + 1.70%        = 5.20%  (170 bp over LPR)

IRB option, PD 1%, LGD 25%: RW = 31.3327% (fixture table 31.3%); capital charge =
0.313327 × 8% × 10% = 0.250662%; premium = 0.25% + 0.20% + 0.60% + 0.250662% = 1.300662%;
rate 4.800662% → 4.80% shown, 130 bp.

LTV bands, PD 1%, LGD 20%, LTV 75% → RW 30%: capital 0.24%; premium 0.20% + 0.20% + 0.60% +
0.24% = 1.24%; rate 4.74%.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from mortgage_risk.control import basel_irb_mortgage, price
from tests.control._support import POLICY, policy_with


def test_worked_example_flat_50() -> None:
    p = price(pd=0.02, lgd=0.25, ltv=Decimal("0.6"), policy=POLICY)
    assert p.expected_loss_rate == Decimal("0.0050")
    assert p.funding_spread == Decimal("0.0020")
    assert p.operating_cost == Decimal("0.0060")
    assert p.risk_weight == Decimal("0.50")
    assert p.capital_charge_rate == Decimal("0.004")
    assert p.premium == Decimal("0.017") and p.clamped is None
    assert p.rate == Decimal("0.052")
    assert p.rate_display == Decimal("0.0520") and p.spread_bp == 170
    assert p.lpr == Decimal("0.035") and p.lpr_as_of.isoformat() == "2025-05-20"


def test_worked_example_irb() -> None:
    pol = policy_with(pricing={"risk_weight_method": "irb"})
    p = price(pd=0.01, lgd=0.25, ltv=None, policy=pol)
    rw = basel_irb_mortgage(0.01, 0.25).risk_weight
    assert float(p.risk_weight) == pytest.approx(rw) and f"{rw:.3%}" == "31.333%"
    assert float(p.capital_charge_rate) == pytest.approx(rw * 0.008)
    assert float(p.premium) == pytest.approx(0.0025 + 0.002 + 0.006 + 0.00250662, abs=1e-8)
    assert p.rate_display == Decimal("0.0480") and p.spread_bp == 130


def test_worked_example_ltv_bands() -> None:
    pol = policy_with(pricing={"risk_weight_method": "ltv_bands"})
    p = price(pd=0.01, lgd=0.20, ltv=Decimal("0.75"), policy=pol)
    assert p.risk_weight == Decimal("0.30")
    assert p.capital_charge_rate == Decimal("0.0024")
    assert p.premium == Decimal("0.0124") and p.rate == Decimal("0.0474")
    assert price(pd=0.01, lgd=0.2, ltv=None, policy=pol).risk_weight == Decimal("0.70")


def test_premium_clamped_to_max_and_min() -> None:
    high = price(pd=0.10, lgd=0.45, ltv=None, policy=POLICY)
    assert high.premium_unclamped == Decimal("0.057")
    assert high.premium == Decimal("0.0300") and high.clamped == "max_spread"
    assert high.rate == Decimal("0.0650")
    pol = policy_with(pricing={"min_spread": "0.0125"})
    low = price(pd=0.001, lgd=0.10, ltv=None, policy=pol)
    assert low.premium_unclamped == Decimal("0.0121")
    assert low.premium == Decimal("0.0125") and low.clamped == "min_spread"


def test_rounding_to_the_basis_point_is_for_display_only() -> None:
    p = price(pd=0.0123, lgd=0.17, ltv=None, policy=POLICY)
    # EL 0.002091: premium 0.014091, rate 0.049091 exact; shown 4.91%.
    assert p.rate == Decimal("0.049091")
    assert p.rate_display == Decimal("0.0491") and p.spread_bp == 141


def test_multi_year_pd_is_annualised() -> None:
    pol = policy_with(pricing={"pd_horizon_years": "2"})
    p = price(pd=0.0199, lgd=0.5, ltv=None, policy=pol)
    # 1 − (1 − 0.0199)^½ = 0.01000...
    assert float(p.annual_pd) == pytest.approx(1 - (1 - 0.0199) ** 0.5)
    assert float(p.expected_loss_rate) == pytest.approx(float(p.annual_pd) * 0.5)
