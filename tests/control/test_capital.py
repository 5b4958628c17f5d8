"""Basel IRB retail mortgage formula (every fixture cell), LTV bands, capital charge."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from mortgage_risk.control import (
    BASEL_LTV_BANDS,
    basel_irb_mortgage,
    capital_charge,
    ltv_band_risk_weight,
)
from mortgage_risk.domain import DomainError

# reference-regulation.md 4.1, worked values: (PD, LGD, K %, RW %) as printed.
IRB_FIXTURE = [
    (0.003, 0.10, "0.43", "5.4"), (0.003, 0.25, "1.08", "13.5"), (0.003, 0.45, "1.95", "24.3"),
    (0.01, 0.10, "1.00", "12.5"), (0.01, 0.25, "2.51", "31.3"), (0.01, 0.45, "4.51", "56.4"),
    (0.02, 0.10, "1.56", "19.5"), (0.02, 0.25, "3.91", "48.9"), (0.02, 0.45, "7.03", "87.9"),
    (0.05, 0.10, "2.64", "32.9"), (0.05, 0.25, "6.59", "82.3"), (0.05, 0.45, "11.86", "148"),
    (0.10, 0.10, "3.63", "45.4"), (0.10, 0.25, "9.08", "114"), (0.10, 0.45, "16.35", "204"),
]


def at_printed_precision(value_pct: float, printed: str) -> Decimal:
    """``value_pct`` rounded half-up to the number of decimals ``printed`` shows."""
    return Decimal(repr(value_pct)).quantize(Decimal(printed), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize(("pd", "lgd", "k_pct", "rw_pct"), IRB_FIXTURE)
def test_irb_fixture_table(pd: float, lgd: float, k_pct: str, rw_pct: str) -> None:
    r = basel_irb_mortgage(pd, lgd)
    assert at_printed_precision(r.k * 100, k_pct) == Decimal(k_pct)
    assert at_printed_precision(r.risk_weight * 100, rw_pct) == Decimal(rw_pct)
    assert r.risk_weight == pytest.approx(12.5 * r.k)
    assert r.correlation == 0.15 and not r.defaulted


def test_irb_floors_apply_before_the_formula() -> None:
    floored = basel_irb_mortgage(0.0001, 0.02, pd_floor=0.0005, lgd_floor=0.10)
    assert (floored.pd, floored.lgd) == (0.0005, 0.10)
    assert floored.k == pytest.approx(basel_irb_mortgage(0.0005, 0.10).k)
    assert basel_irb_mortgage(0.0, 0.45).k == 0.0


def test_irb_defaulted_exposure_is_lgd_minus_best_estimate_el() -> None:
    d = basel_irb_mortgage(1.0, 0.45, best_estimate_el=0.30)
    assert d.defaulted and d.k == pytest.approx(0.15) and d.risk_weight == pytest.approx(1.875)
    assert basel_irb_mortgage(1.0, 0.45).k == 0.0  # EL = PD × LGD = LGD
    assert basel_irb_mortgage(1.0, 0.20, best_estimate_el=0.30).k == 0.0  # never negative


def test_irb_monotone_in_pd_and_lgd() -> None:
    ks = [basel_irb_mortgage(p, 0.25).k for p in (0.001, 0.003, 0.01, 0.05, 0.2)]
    assert ks == sorted(ks)
    assert basel_irb_mortgage(0.02, 0.1).k < basel_irb_mortgage(0.02, 0.4).k


@pytest.mark.parametrize("bad", [-0.01, 1.5, float("nan")])
def test_irb_refuses_bad_pd(bad: float) -> None:
    with pytest.raises(DomainError) as err:
        basel_irb_mortgage(bad, 0.25)
    assert err.value.field == "pd"


# Basel III CRE20.82 general residential: upper-inclusive bands.
@pytest.mark.parametrize(("ltv", "rw"), [
    ("0", "0.20"), ("0.30", "0.20"), ("0.50", "0.20"), ("0.5001", "0.25"), ("0.60", "0.25"),
    ("0.61", "0.30"), ("0.80", "0.30"), ("0.85", "0.40"), ("0.90", "0.40"), ("0.95", "0.50"),
    ("1.00", "0.50"), ("1.01", "0.70"), ("3", "0.70"),
])
def test_ltv_band_weights(ltv: str, rw: str) -> None:
    assert ltv_band_risk_weight(Decimal(ltv), BASEL_LTV_BANDS) == Decimal(rw)


def test_ltv_band_accepts_float_and_refuses_negative() -> None:
    assert ltv_band_risk_weight(0.7) == Decimal("0.30")
    with pytest.raises(DomainError):
        ltv_band_risk_weight(Decimal("-0.1"))


def test_capital_charge_by_hand() -> None:
    # EAD 500,000 at 50%: RWA 250,000; capital 8% = 20,000; at a 10% hurdle 2,000 a year = 0.4%.
    c = capital_charge(Decimal(500_000), Decimal("0.50"), Decimal("0.08"), Decimal("0.10"))
    assert (c.rwa, c.capital, c.annual_charge) == (Decimal(250_000), Decimal(20_000),
                                                   Decimal(2_000))
    assert c.rate == Decimal("0.004")
    with pytest.raises(DomainError):
        capital_charge(Decimal(-1), Decimal("0.5"), Decimal("0.08"), Decimal("0.1"))
