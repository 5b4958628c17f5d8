"""Land value by benchmark land price coefficient correction (基准地价系数修正法, §1.7).

``P = [P_b × (1 + ΣK) × K_t × K_v + D] × K_y`` with the land-term factor
``K_y = [1 − (1+r)^−m] / [1 − (1+r)^−n]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from mortgage_risk.domain import DomainError, LandNature
from mortgage_risk.valuation._json import dec, jsonable
from mortgage_risk.valuation.params import ValuationParams
from mortgage_risk.valuation.subject import SubjectProperty


def land_term_factor(r: float, m: float, n: float) -> float:
    """``[1 − (1+r)^−m] / [1 − (1+r)^−n]``: remaining term m against reference term n."""
    if r <= 0:
        raise DomainError("r", f"must be positive; got {r}")
    if m < 0:
        raise DomainError("m", f"must not be negative; got {m}")
    if n <= 0:
        raise DomainError("n", f"must be positive; got {n}")
    return float((1.0 - (1.0 + r) ** -m) / (1.0 - (1.0 + r) ** -n))


def benchmark_land_price(pb: float, sum_k: float, kt: float, kv: float, d: float,
                         ky: float) -> float:
    """Unit land price ``[P_b(1 + ΣK)·K_t·K_v + D]·K_y`` (CNY per m² of land)."""
    if pb < 0:
        raise DomainError("pb", f"must not be negative; got {pb}")
    if sum_k <= -1:
        raise DomainError("sum_k", f"must be above −1; got {sum_k}")
    return (pb * (1.0 + sum_k) * kt * kv + d) * ky


def plot_ratio_factor(table: tuple[tuple[float, float], ...], ratio: float) -> tuple[float, bool]:
    """K_v by linear interpolation; outside the table the end value is kept (flag True)."""
    if ratio <= table[0][0]:
        return table[0][1], ratio < table[0][0]
    if ratio >= table[-1][0]:
        return table[-1][1], ratio > table[-1][0]
    for (x0, y0), (x1, y1) in zip(table, table[1:], strict=False):
        if x0 <= ratio <= x1:
            return y0 + (y1 - y0) * (ratio - x0) / (x1 - x0), False
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class LandValuation:
    """Land value with every factor used (``method`` says which path produced it)."""

    method: str
    area: Decimal
    unit_price: Decimal
    value: Decimal
    land_use: str | None = None
    grade: str | None = None
    benchmark_price: Decimal | None = None
    factor_coefficients: dict[str, float] = field(default_factory=dict)
    sum_k: float = 0.0
    kt: float = 1.0
    kv: float = 1.0
    development_adjustment: Decimal = Decimal(0)
    r: float | None = None
    m: float | None = None
    n: float | None = None
    ky: float = 1.0
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return dict(jsonable(self))


def value_land(subject: SubjectProperty, params: ValuationParams) -> LandValuation:
    """The land value for the cost approach (0 for homestead outside a pilot county)."""
    area = subject.land_area
    pilot = params.pilot_county
    if subject.land_nature is LandNature.HOMESTEAD and not pilot.get("rural_housing", False):
        return LandValuation("homestead_not_valued", area, Decimal(0), Decimal(0),
                             warnings=("homestead land is valued at 0 outside a pilot county",))
    if area == 0:
        return LandValuation("no_land", area, Decimal(0), Decimal(0))
    if subject.land_unit_price is not None:
        unit = subject.land_unit_price
        return LandValuation("given_unit_price", area, unit, unit * area)
    use = subject.resolved_land_use(params)
    if use is None:
        raise DomainError("land_use", "the benchmark land price method needs a land use")
    bench = params.land.benchmark.get(use)
    if bench is None:
        raise DomainError("land_use", f"no benchmark land price for {use!r}; give land_unit_price")
    if subject.land_grade is None:
        raise DomainError("land_grade", "the benchmark land price method needs a land grade "
                                        f"(one of {sorted(bench.prices)})")
    if subject.land_grade not in bench.prices:
        raise DomainError("land_grade", f"must be one of {sorted(bench.prices)}; "
                                        f"got {subject.land_grade!r}")
    warnings: list[str] = []
    coefficients: dict[str, float] = {}
    for factor, level in subject.land_factor_levels.items():
        table = bench.factors.get(factor)
        if table is None or level not in table:
            raise DomainError(f"land_factor_levels.{factor}",
                              f"unknown factor or level {level!r} for {use} land")
        coefficients[factor] = table[level]
    for factor, coeff in subject.land_factor_adjustments.items():
        if factor in coefficients:
            raise DomainError(f"land_factor_adjustments.{factor}", "also given as a level")
        coefficients[factor] = float(coeff)
    sum_k = sum(coefficients.values())
    kt = 1.0
    if subject.land_price_index is not None:
        kt = subject.land_price_index / bench.base_index
    else:
        warnings.append(f"no land price index: date correction K_t = 1 (benchmark base date "
                        f"{bench.base_date.isoformat()})")
    kv = 1.0
    if subject.plot_ratio is not None:
        kv, outside = plot_ratio_factor(bench.plot_ratio_table, subject.plot_ratio)
        if outside:
            warnings.append(f"plot ratio {subject.plot_ratio} outside the K_v table; "
                            "end value kept")
    n = bench.term
    m: float | None
    if subject.land_nature is LandNature.STATE_GRANTED:
        if subject.land_term_remaining is None:
            raise DomainError("land_term_remaining", "granted land needs its remaining term")
        m = float(subject.land_term_remaining)
        ky = land_term_factor(bench.r, m, n)
    else:
        m, ky = None, 1.0
        warnings.append(f"{subject.land_nature.value} land has no granted term: K_y = 1")
    d = float(subject.development_adjustment)
    unit_f = benchmark_land_price(float(bench.prices[subject.land_grade]), sum_k, kt, kv, d, ky)
    unit = dec(unit_f)
    return LandValuation(
        method="benchmark_land_price", area=area, unit_price=unit, value=unit * area,
        land_use=use, grade=subject.land_grade, benchmark_price=bench.prices[subject.land_grade],
        factor_coefficients=coefficients, sum_k=sum_k, kt=kt, kv=kv,
        development_adjustment=subject.development_adjustment, r=bench.r, m=m, n=n, ky=ky,
        warnings=tuple(warnings))
