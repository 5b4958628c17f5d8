"""The property being valued and the surveyor's observed scores, validated on construction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from mortgage_risk.domain import DomainError, LandNature, PropertyType, Structure
from mortgage_risk.domain.money import to_decimal
from mortgage_risk.valuation.newness import group_score
from mortgage_risk.valuation.params import BUILDING_USES, ValuationParams


def _enum(cls: Any, value: Any, name: str) -> Any:
    try:
        return cls(value)
    except ValueError as exc:
        known = [m.value for m in cls]
        raise DomainError(name, f"unknown {name} {value!r}; known: {known}") from exc


def _dec(value: Any, name: str) -> Decimal:
    if isinstance(value, float):
        value = str(value)
    return to_decimal(value, name)


def _years_between(start: date, end: date) -> float:
    """Exact years from ``start`` to ``end``: whole anniversaries plus the fraction of the next."""
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1

    def anniversary(n: int) -> date:
        y = start.year + n
        try:
            return start.replace(year=y)
        except ValueError:  # 29 February
            return date(y, 2, 28)

    last, nxt = anniversary(years), anniversary(years + 1)
    return years + (end - last).days / (nxt - last).days


@dataclass(frozen=True)
class SubjectProperty:
    """The collateral as the valuer records it.

    Areas are m² (Decimal; floats are taken through ``str``). Land inputs feed the benchmark
    land price method: ``land_grade`` and ``land_use`` pick the benchmark price, ΣK comes from
    ``land_factor_levels`` (looked up in the factor tables) plus ``land_factor_adjustments``
    (coefficients given directly), ``land_price_index`` over the benchmark's base index gives
    K_t, ``plot_ratio`` gives K_v, ``development_adjustment`` is D (CNY/m²).
    ``land_unit_price`` replaces the benchmark method with a given local unit price.
    """

    property_type: PropertyType
    land_nature: LandNature
    floor_area: Decimal = Decimal(0)
    land_area: Decimal = Decimal(0)
    structure: Structure | None = None
    construction_grade: str = "2"
    storeys: int | None = None
    build_year: int | None = None
    completion_date: date | None = None
    effective_age: float | None = None
    building_use: str | None = None
    land_use: str | None = None
    land_grade: str | None = None
    land_term_remaining: float | None = None
    land_reverts_without_compensation: bool = False
    plot_ratio: float | None = None
    land_factor_levels: Mapping[str, str] = field(default_factory=dict)
    land_factor_adjustments: Mapping[str, float] = field(default_factory=dict)
    land_price_index: float | None = None
    development_adjustment: Decimal = Decimal(0)
    land_unit_price: Decimal | None = None
    unit_replacement_cost: Decimal | None = None
    functional_obsolescence: Decimal = Decimal(0)
    external_obsolescence: Decimal = Decimal(0)
    township: str = ""
    seized: bool = False
    disputed: bool = False
    small_property_rights: bool = False
    illegal_building: bool = False
    public_welfare: bool = False
    dangerous_building: bool = False
    collective_consent: bool = False

    def __post_init__(self) -> None:
        s = object.__setattr__
        s(self, "property_type", _enum(PropertyType, self.property_type, "property_type"))
        s(self, "land_nature", _enum(LandNature, self.land_nature, "land_nature"))
        if self.structure is not None:
            s(self, "structure", _enum(Structure, self.structure, "structure"))
        for name in ("floor_area", "land_area", "development_adjustment",
                     "functional_obsolescence", "external_obsolescence"):
            s(self, name, _dec(getattr(self, name), name))
        for name in ("land_unit_price", "unit_replacement_cost"):
            if getattr(self, name) is not None:
                value = _dec(getattr(self, name), name)
                if value < 0:
                    raise DomainError(name, f"must not be negative; got {value}")
                s(self, name, value)
        if self.floor_area < 0:
            raise DomainError("floor_area", f"must be positive; got {self.floor_area}")
        if self.land_area < 0:
            raise DomainError("land_area", f"must be positive; got {self.land_area}")
        if self.property_type.has_building and self.floor_area <= 0:
            raise DomainError("floor_area", f"a building needs an area above 0; got "
                                            f"{self.floor_area}")
        if not self.property_type.has_building and self.land_area <= 0:
            raise DomainError("land_area", f"a land right needs an area above 0; got "
                                           f"{self.land_area}")
        for name in ("functional_obsolescence", "external_obsolescence"):
            if getattr(self, name) < 0:
                raise DomainError(name, "must not be negative")
        if self.storeys is not None and self.storeys < 1:
            raise DomainError("storeys", f"must be at least 1; got {self.storeys}")
        if self.effective_age is not None and self.effective_age < 0:
            raise DomainError("effective_age", f"must not be negative; got {self.effective_age}")
        if self.land_term_remaining is not None:
            term = float(self.land_term_remaining)
            if term < 0:
                raise DomainError("land_term_remaining", f"must not be negative; got {term}")
            s(self, "land_term_remaining", term)
        if self.building_use is not None and self.building_use not in BUILDING_USES:
            raise DomainError("building_use",
                              f"must be one of {BUILDING_USES}; got {self.building_use!r}")
        if self.plot_ratio is not None and self.plot_ratio <= 0:
            raise DomainError("plot_ratio", f"must be positive; got {self.plot_ratio}")

    # ---- derived values

    def resolved_building_use(self) -> str:
        if self.building_use is not None:
            return self.building_use
        return ("production" if self.property_type is PropertyType.FACTORY_WAREHOUSE
                else "non_production")

    def resolved_land_use(self, params: ValuationParams) -> str | None:
        if self.land_use is not None:
            return self.land_use
        return params.land.default_use_by_property_type.get(self.property_type.value)

    def age(self, valuation_date: date) -> float:
        """Effective age if given, else years from completion (or mid-year of the build year)."""
        if self.effective_age is not None:
            return float(self.effective_age)
        if self.completion_date is not None:
            return _years_between(self.completion_date, valuation_date)
        if self.build_year is not None:
            return float(valuation_date.year - self.build_year)
        raise DomainError("build_year", "the cost approach needs a build year or completion date")

    def validate(self, params: ValuationParams, valuation_date: date) -> None:
        """Checks that need the parameter set or the valuation date."""
        if self.build_year is not None and self.build_year > valuation_date.year:
            raise DomainError("build_year", f"{self.build_year} is after the valuation date "
                                            f"{valuation_date.isoformat()}")
        if self.completion_date is not None and self.completion_date > valuation_date:
            raise DomainError("completion_date", f"{self.completion_date.isoformat()} is after "
                                                 f"the valuation date {valuation_date.isoformat()}")
        if self.structure is not None and self.structure.value not in params.economic_life:
            raise DomainError("structure", f"no economic life for {self.structure.value!r} in "
                                           f"params {params.version}")
        use = self.resolved_land_use(params)
        if self.land_use is not None and self.land_use not in params.land.max_term:
            raise DomainError("land_use", f"must be one of {sorted(params.land.max_term)}; "
                                          f"got {self.land_use!r}")
        if self.land_term_remaining is not None and use is not None:
            legal = params.land.max_term[use]
            if self.land_term_remaining > legal:
                raise DomainError("land_term_remaining",
                                  f"{self.land_term_remaining:g} years exceeds the legal maximum "
                                  f"of {legal:g} years for {use} land")


@dataclass(frozen=True)
class ObservedScores:
    """Observed (打分法) group scores out of 100 and the recorded damage grade."""

    structure: float
    finish: float
    services: float
    damage_grade: str | None = None
    weights: tuple[float, float, float] | None = None

    def __post_init__(self) -> None:
        for name in ("structure", "finish", "services"):
            value = float(getattr(self, name))
            if not 0.0 <= value <= 100.0:
                raise DomainError(f"observed.{name}", f"must be within [0, 100]; got {value}")
            object.__setattr__(self, name, value)

    @classmethod
    def from_items(cls, params: ValuationParams, structure: Mapping[str, float],
                   finish: Mapping[str, float], services: Mapping[str, float],
                   damage_grade: str | None = None) -> ObservedScores:
        """Group scores as the sum of sub-item scores, each within its standard score."""
        items = params.observed.items
        return cls(group_score(structure, items["structure"], "observed.structure"),
                   group_score(finish, items["finish"], "observed.finish"),
                   group_score(services, items["services"], "observed.services"),
                   damage_grade)
