"""Income approach (收益法, §3.2): NOI and direct capitalisation with cap-rate floors.

``V = A/Y`` (perpetual), ``A/Y·[1 − (1+Y)^−n]`` (n years), ``A/(Y−g)`` (growth),
``A/(Y−g)·[1 − ((1+g)/(1+Y))^n]`` (growth, n years).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mortgage_risk.domain import DomainError
from mortgage_risk.domain.money import to_decimal
from mortgage_risk.valuation._json import dec, jsonable


def capitalise(noi: Decimal | float, rate: float, years: float | None = None,
               growth: float = 0.0) -> Decimal:
    """Capitalised value of an annual net income (end-of-year receipts)."""
    a = float(noi)
    if a < 0:
        raise DomainError("noi", f"must not be negative; got {noi}")
    if rate <= 0:
        raise DomainError("cap_rate", f"must be positive; got {rate}")
    if years is not None and years <= 0:
        raise DomainError("years", f"must be positive; got {years}")
    if years is None:
        if growth >= rate:
            raise DomainError("growth", "a perpetual growing income needs growth below the rate")
        return dec(a / (rate - growth))
    if abs(rate - growth) < 1e-12:
        return dec(a * years / (1.0 + rate))
    return dec(a / (rate - growth) * (1.0 - ((1.0 + growth) / (1.0 + rate)) ** years))


@dataclass(frozen=True)
class IncomeInput:
    """Rent and expenses, or a net operating income given directly (``noi``).

    Expense rates on effective gross income: property tax on rent, VAT and surcharges,
    management; rates on the building replacement cost: maintenance, insurance.
    ``years`` None: the remaining land term (if any) is used for mortgage purposes.
    """

    cap_rate: float
    noi: Decimal | None = None
    gross_annual_rent: Decimal | None = None
    vacancy_rate: float = 0.0
    property_tax_rate: float = 0.0
    vat_surcharge_rate: float = 0.0
    management_rate: float = 0.0
    maintenance_rate_of_rc: float = 0.0
    insurance_rate_of_rc: float = 0.0
    building_replacement_cost: Decimal | None = None
    other_expenses: Decimal = Decimal(0)
    years: float | None = None
    perpetual: bool = False
    growth: float = 0.0

    def __post_init__(self) -> None:
        for name in ("noi", "gross_annual_rent", "building_replacement_cost"):
            v = getattr(self, name)
            if v is not None:
                object.__setattr__(self, name, to_decimal(v, f"income.{name}"))
        object.__setattr__(self, "other_expenses",
                           to_decimal(self.other_expenses, "income.other_expenses"))
        if self.noi is None and self.gross_annual_rent is None:
            raise DomainError("income.gross_annual_rent", "give the rent or the NOI")
        for name in ("vacancy_rate", "property_tax_rate", "vat_surcharge_rate",
                     "management_rate", "maintenance_rate_of_rc", "insurance_rate_of_rc"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise DomainError(f"income.{name}", "must be within [0, 1)")
        if self.cap_rate <= 0:
            raise DomainError("income.cap_rate", f"must be positive; got {self.cap_rate}")


@dataclass(frozen=True)
class NoiBreakdown:
    potential_gross_income: Decimal
    effective_gross_income: Decimal
    expenses: dict[str, Decimal]
    operating_expenses: Decimal
    noi: Decimal


def net_operating_income(inp: IncomeInput) -> NoiBreakdown:
    """NOI = EGI − operating expenses (no debt service, no depreciation)."""
    if inp.noi is not None:
        return NoiBreakdown(inp.noi, inp.noi, {}, Decimal(0), inp.noi)
    assert inp.gross_annual_rent is not None
    pgi = inp.gross_annual_rent
    egi = pgi * (1 - dec(inp.vacancy_rate))
    rc = inp.building_replacement_cost
    if (inp.maintenance_rate_of_rc or inp.insurance_rate_of_rc) and rc is None:
        raise DomainError("income.building_replacement_cost",
                          "maintenance and insurance rates need the building replacement cost")
    rc = rc or Decimal(0)
    expenses = {
        "property_tax": egi * dec(inp.property_tax_rate),
        "vat_surcharges": egi * dec(inp.vat_surcharge_rate),
        "maintenance": rc * dec(inp.maintenance_rate_of_rc),
        "management": egi * dec(inp.management_rate),
        "insurance": rc * dec(inp.insurance_rate_of_rc),
        "other": inp.other_expenses,
    }
    opex = sum(expenses.values(), Decimal(0))
    return NoiBreakdown(pgi, egi, expenses, opex, egi - opex)


@dataclass(frozen=True)
class IncomeIndication:
    value: Decimal
    noi: NoiBreakdown
    cap_rate_given: float
    cap_rate_used: float
    cap_rate_floor: float
    years: float | None
    growth: float
    warnings: tuple[str, ...] = ()
    approach: str = "income"

    def to_dict(self) -> dict[str, Any]:
        return dict(jsonable(self))


def income_approach(inp: IncomeInput, *, cap_rate_floor: float,
                    default_years: float | None = None) -> IncomeIndication:
    """Capitalise the NOI; a cap rate below the floor is raised to it (prudence)."""
    warnings: list[str] = []
    noi = net_operating_income(inp)
    if noi.noi <= 0:
        raise DomainError("income", f"net operating income must be positive; got {noi.noi}")
    rate = inp.cap_rate
    if rate < cap_rate_floor:
        warnings.append(f"cap rate {rate:.4f} below the floor {cap_rate_floor:.4f}: floor used")
        rate = cap_rate_floor
    years = None if inp.perpetual else (inp.years if inp.years is not None else default_years)
    if years is None and not inp.perpetual:
        warnings.append("no finite income term: perpetual capitalisation")
    if inp.growth > 0:
        warnings.append("income growth assumed: needs evidence (prudence)")
    value = capitalise(noi.noi, rate, years, inp.growth)
    return IncomeIndication(value, noi, inp.cap_rate, rate, cap_rate_floor, years, inp.growth,
                            tuple(warnings))
