"""Cost approach (成本法): replacement cost, newness, obsolescence, land (GB/T 50291-2015).

``V_cost = V_land + RC × q − functional obsolescence − external obsolescence``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from mortgage_risk.domain import DomainError
from mortgage_risk.valuation._json import dec, jsonable
from mortgage_risk.valuation.land import LandValuation, value_land
from mortgage_risk.valuation.newness import (
    age_life_newness,
    combined_newness,
    effective_life,
    score_newness,
)
from mortgage_risk.valuation.params import PROFIT_BASES, CostBuildupDefaults, ValuationParams
from mortgage_risk.valuation.subject import ObservedScores, SubjectProperty


@dataclass(frozen=True)
class BuildupResult:
    """A replacement cost build-up; the items add up to ``value`` (§1.2)."""

    value: Decimal
    land: Decimal
    construction: Decimal
    management: Decimal
    selling: Decimal
    interest: Decimal
    profit: Decimal
    sales_tax: Decimal
    profit_basis: str
    construction_items: dict[str, Decimal] = field(default_factory=dict)


def replacement_cost_closed_form(
        land: Decimal | float, construction: Decimal | float, management: Decimal | float, *,
        selling_rate: float, sales_tax_rate: float, interest_rate: float, period_years: float,
        profit_rate: float, profit_basis: str = "investment") -> BuildupResult:
    """Solve ``V = L + C + M + sV + I + P + tV`` for V (selling costs and taxes are shares of V).

    Interest: land accrues over the whole period T, other costs over T/2 (spent evenly).
    Profit bases: direct_cost (L+C), investment (L+C+M+S), cost (L+C+M+S+I), sales (V).
    """
    if profit_basis not in PROFIT_BASES:
        raise DomainError("profit_basis", f"must be one of {PROFIT_BASES}; got {profit_basis!r}")
    for name, value in (("land", land), ("construction", construction),
                        ("management", management)):
        if float(value) < 0:
            raise DomainError(name, f"must not be negative; got {value}")
    for name, rate in (("selling_rate", selling_rate), ("sales_tax_rate", sales_tax_rate),
                       ("interest_rate", interest_rate), ("profit_rate", profit_rate),
                       ("period_years", period_years)):
        if rate < 0:
            raise DomainError(name, f"must not be negative; got {rate}")
    lf, cf, mf = float(land), float(construction), float(management)
    a = (1.0 + interest_rate) ** period_years - 1.0
    b = (1.0 + interest_rate) ** (period_years / 2.0) - 1.0
    # Each quantity as (constant, coefficient of V).
    sell = (0.0, selling_rate)
    interest = (lf * a + (cf + mf) * b, selling_rate * b)
    base = {
        "direct_cost": (lf + cf, 0.0),
        "investment": (lf + cf + mf, selling_rate),
        "cost": (lf + cf + mf + interest[0], selling_rate + interest[1]),
        "sales": (0.0, 1.0),
    }[profit_basis]
    profit = (profit_rate * base[0], profit_rate * base[1])
    const = lf + cf + mf + sell[0] + interest[0] + profit[0]
    coef = sell[1] + interest[1] + profit[1] + sales_tax_rate
    if coef >= 1.0:
        raise DomainError("selling_rate", "selling, tax and profit shares of value reach 100%")
    v = const / (1.0 - coef)
    return BuildupResult(
        value=dec(v), land=dec(lf), construction=dec(cf), management=dec(mf),
        selling=dec(selling_rate * v), interest=dec(interest[0] + interest[1] * v),
        profit=dec(profit[0] + profit[1] * v), sales_tax=dec(sales_tax_rate * v),
        profit_basis=profit_basis)


@dataclass(frozen=True)
class CostBuildup:
    """A per-m² build-up for a building only (example B1); None takes the parameter default."""

    build_install: Decimal
    utilities: Decimal = Decimal(0)
    other: Decimal = Decimal(0)
    preliminaries_rate: float | None = None
    management_rate: float | None = None
    interest_rate: float | None = None
    period_years: float | None = None
    profit_rate: float | None = None
    profit_basis: str | None = None
    selling_rate: float | None = None
    sales_tax_rate: float | None = None

    def compute(self, defaults: CostBuildupDefaults) -> BuildupResult:
        """Unit replacement cost: C = build-install + preliminaries + utilities + other."""
        def pick(value: float | None, default: float) -> float:
            return default if value is None else value

        bi = dec(self.build_install, "build_install")
        if bi <= 0:
            raise DomainError("cost_buildup.build_install", "must be positive")
        prelim = bi * dec(pick(self.preliminaries_rate, defaults.preliminaries_rate))
        c = bi + prelim + dec(self.utilities) + dec(self.other)
        m = c * dec(pick(self.management_rate, defaults.management_rate))
        result = replacement_cost_closed_form(
            0.0, c, m,
            selling_rate=pick(self.selling_rate, defaults.selling_rate),
            sales_tax_rate=pick(self.sales_tax_rate, defaults.sales_tax_rate),
            interest_rate=pick(self.interest_rate, defaults.interest_rate),
            period_years=pick(self.period_years, defaults.construction_period_years),
            profit_rate=pick(self.profit_rate, defaults.profit_rate),
            profit_basis=self.profit_basis or defaults.profit_basis)
        items = {"build_install": bi, "preliminaries": prelim,
                 "utilities": dec(self.utilities), "other": dec(self.other)}
        return replace(result, construction_items=items)


def building_value(replacement_cost: Decimal, newness_rate: float,
                   functional_obsolescence: Decimal = Decimal(0),
                   external_obsolescence: Decimal = Decimal(0)) -> Decimal:
    """``RC × q − functional − external`` (not below 0)."""
    if replacement_cost < 0:
        raise DomainError("replacement_cost", "must not be negative")
    if not 0.0 <= newness_rate <= 1.0:
        raise DomainError("newness_rate", f"must be within [0, 1]; got {newness_rate}")
    value = replacement_cost * dec(newness_rate) - functional_obsolescence - external_obsolescence
    return max(value, Decimal(0))


@dataclass(frozen=True)
class NewnessBreakdown:
    """How the newness rate was reached."""

    age: float
    economic_life: float
    residual_rate: float
    truncated_by_land_term: bool
    q_age: float
    q_score: float | None
    score_weights: tuple[float, float, float] | None
    w_age: float
    newness_rate: float
    damage_grade: str | None = None


@dataclass(frozen=True)
class BuildingValuation:
    unit_cost_source: str
    unit_replacement_cost: Decimal
    floor_area: Decimal
    replacement_cost: Decimal
    newness: NewnessBreakdown
    depreciated: Decimal
    functional_obsolescence: Decimal
    external_obsolescence: Decimal
    value: Decimal
    buildup: BuildupResult | None = None


@dataclass(frozen=True)
class CostIndication:
    """The cost approach's indication with land and building parts."""

    value: Decimal
    land: LandValuation
    building: BuildingValuation | None
    warnings: tuple[str, ...] = ()
    approach: str = "cost"

    def to_dict(self) -> dict[str, Any]:
        return dict(jsonable(self))


def assess_newness(subject: SubjectProperty, params: ValuationParams, valuation_date: date,
                   observed: ObservedScores | None,
                   warnings: list[str]) -> NewnessBreakdown:
    """Age-life newness (with the land-term rule), observed score and their combination."""
    if subject.structure is None:
        raise DomainError("structure", "the cost approach needs the building structure")
    age = subject.age(valuation_date)
    life, residual, fallback = params.life_and_residual(subject.structure.value,
                                                        subject.resolved_building_use())
    if fallback:
        warnings.append(f"no economic life for {subject.structure.value} "
                        f"{subject.resolved_building_use()}: shortest life {life:g} used")
    use = subject.resolved_land_use(params)
    eff = effective_life(age, life, residual, remaining_land_term=subject.land_term_remaining,
                         residential=use == "residential",
                         reverts_without_compensation=subject.land_reverts_without_compensation)
    if eff.truncated:
        warnings.append(f"land term ends before the building's life: N' = {eff.economic_life:g}, "
                        "R = 0")
    q_age = age_life_newness(age, eff.economic_life, eff.residual_rate)
    if age >= eff.economic_life:
        warnings.append(f"age {age:g} reaches the economic life {eff.economic_life:g}: newness "
                        "floored at the residual rate")
    if observed is None:
        warnings.append("no observed score: age-life newness only")
        return NewnessBreakdown(age, eff.economic_life, eff.residual_rate, eff.truncated, q_age,
                                None, None, 1.0, q_age)
    if observed.weights is not None:
        weights = observed.weights
    else:
        if subject.storeys is None:
            raise DomainError("storeys", "observed-score weights need the number of storeys")
        weights = params.observed.weights_for(subject.structure.value, subject.storeys)
    q_score = score_newness(observed.structure, observed.finish, observed.services, weights)
    if observed.damage_grade is not None:
        band = params.observed.damage_grade_bands.get(observed.damage_grade)
        if band is None:
            raise DomainError("observed.damage_grade",
                              f"must be one of {sorted(params.observed.damage_grade_bands)}")
        step = params.observed.band_check_rounding
        shown = round(q_score / step) * step if step > 0 else q_score
        if not band.low - 1e-9 <= shown <= band.high + 1e-9:
            warnings.append(f"observed score {q_score:.4f} is outside the {band.zh} "
                            f"({observed.damage_grade}) band [{band.low:g}, {band.high:g}]")
    w_age = params.observed.age_weight
    q = combined_newness(q_age, q_score, w_age)
    return NewnessBreakdown(age, eff.economic_life, eff.residual_rate, eff.truncated, q_age,
                            q_score, weights, w_age, q, observed.damage_grade)


def cost_approach(subject: SubjectProperty, params: ValuationParams, *, valuation_date: date,
                  observed: ObservedScores | None = None,
                  cost_buildup: CostBuildup | None = None) -> CostIndication:
    """Land (benchmark method) plus the depreciated building less obsolescence."""
    warnings: list[str] = []
    land = value_land(subject, params)
    warnings.extend(land.warnings)
    if not subject.property_type.has_building:
        return CostIndication(land.value, land, None, tuple(warnings))
    if subject.structure is None:
        raise DomainError("structure", "the cost approach needs the building structure")
    if subject.build_year is None and subject.completion_date is None and \
            subject.effective_age is None:
        raise DomainError("build_year", "the cost approach needs a build year or completion date")
    newness = assess_newness(subject, params, valuation_date, observed, warnings)
    buildup: BuildupResult | None = None
    if subject.unit_replacement_cost is not None:
        unit, source = subject.unit_replacement_cost, "given"
    elif cost_buildup is not None:
        buildup = cost_buildup.compute(params.cost_buildup)
        unit, source = buildup.value, "buildup"
    else:
        unit = params.unit_cost(subject.structure.value, subject.construction_grade,
                                float(subject.floor_area))
        source = "table"
    rc = unit * subject.floor_area
    depreciated = rc * dec(newness.newness_rate)
    value = building_value(rc, newness.newness_rate, subject.functional_obsolescence,
                           subject.external_obsolescence)
    if value == 0 and depreciated > 0:
        warnings.append("obsolescence exceeds the depreciated building: building value set to 0")
    building = BuildingValuation(source, unit, subject.floor_area, rc, newness, depreciated,
                                 subject.functional_obsolescence, subject.external_obsolescence,
                                 value, buildup)
    return CostIndication(land.value + value, land, building, tuple(warnings))
