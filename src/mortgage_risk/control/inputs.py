"""What the decision engine reads: screening flags, collateral facts, the request, income.

The engine does not import the identification or valuation packages' result types at run
time: it reads any object of the right shape (:class:`ScreeningLike`, :class:`CollateralFacts`).
:func:`collateral_from_valuation` adapts a ``ValuationResult`` (``eligibility.eligible``,
``lgd.lgd``) to :class:`Collateral`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from mortgage_risk.control.enums import Severity
from mortgage_risk.domain import DomainError, PropertyType, RepaymentMethod
from mortgage_risk.domain.enums import parse_enum
from mortgage_risk.domain.money import to_decimal

# --------------------------------------------------------------------------- screening

class FlagLike(Protocol):
    """One fired identification rule (``identification.Flag`` has this shape)."""

    @property
    def rule_id(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def message_zh(self) -> str: ...
    @property
    def message_en(self) -> str: ...


class ScreeningLike(Protocol):
    """A screening result (``identification.Screening`` has this shape)."""

    @property
    def flags(self) -> Sequence[FlagLike]: ...
    @property
    def ruleset_version(self) -> str: ...
    @property
    def worst_severity(self) -> str | None: ...


@dataclass(frozen=True)
class Flag:
    """A plain flag for callers and tests without the identification package."""

    rule_id: str
    category: str
    severity: str
    message_zh: str
    message_en: str

    def __post_init__(self) -> None:
        Severity.parse(self.severity, f"flags.{self.rule_id}.severity")


@dataclass(frozen=True)
class Screening:
    flags: Sequence[Flag] = ()
    ruleset_version: str = "none"

    @property
    def worst_severity(self) -> str | None:
        return worst_severity(self.flags)


def worst_severity(flags: Sequence[FlagLike]) -> Severity | None:
    """The most severe flag's severity; None without flags."""
    if not flags:
        return None
    return max((Severity.parse(f.severity, f"flags.{f.rule_id}.severity") for f in flags),
               key=lambda s: s.rank)


# --------------------------------------------------------------------------- collateral

@runtime_checkable
class CollateralFacts(Protocol):
    """What the decision needs from the valuation."""

    @property
    def market_value(self) -> Decimal: ...
    @property
    def mortgage_value(self) -> Decimal: ...
    @property
    def ltv(self) -> float | None: ...
    @property
    def lgd(self) -> float: ...
    @property
    def eligible(self) -> bool: ...
    @property
    def max_loan(self) -> Decimal | None: ...


@dataclass(frozen=True)
class Collateral:
    """Collateral facts: values (CNY), LTV of the requested loan, LGD, eligibility, cap amount.

    ``max_loan`` is the valuation's ``cap × mortgage value`` (the cap comes from the
    valuation's cap table; the policy has no LTV caps of its own).
    """

    market_value: Decimal
    mortgage_value: Decimal
    ltv: float | None
    lgd: float
    eligible: bool
    max_loan: Decimal | None
    ineligible_reasons: tuple[tuple[str, str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        for name in ("market_value", "mortgage_value"):
            value = to_decimal(getattr(self, name), f"valuation.{name}")
            if value < 0:
                raise DomainError(f"valuation.{name}", f"must not be negative; got {value}")
            object.__setattr__(self, name, value)
        if self.max_loan is not None:
            cap = to_decimal(self.max_loan, "valuation.max_loan")
            if cap < 0:
                raise DomainError("valuation.max_loan", f"must not be negative; got {cap}")
            object.__setattr__(self, "max_loan", cap)
        _unit(self.lgd, "valuation.lgd")


def _unit(x: object, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not 0.0 <= float(x) <= 1.0:
        raise DomainError(name, f"must be a number within [0, 1]; got {x!r}")
    return float(x)


def collateral_from_valuation(valuation: Any, *, lgd_if_missing: float | None = None
                              ) -> Collateral:
    """Adapt a ``ValuationResult`` (or anything with its attribute names) to :class:`Collateral`.

    ``lgd`` may be an ``LgdResult`` (its ``.lgd``) or a number; a valuation without an LGD
    needs ``lgd_if_missing``.
    """
    raw_lgd = getattr(valuation, "lgd", None)
    lgd = getattr(raw_lgd, "lgd", raw_lgd)
    if lgd is None:
        if lgd_if_missing is None:
            raise DomainError("valuation.lgd", "the valuation has no LGD (value it with a loan "
                                               "amount or pass lgd_if_missing)")
        lgd = lgd_if_missing
    eligibility = getattr(valuation, "eligibility", None)
    if eligibility is not None:
        eligible = bool(eligibility.eligible)
        reasons = tuple((str(r.code), str(r.zh), str(r.en))
                        for r in getattr(eligibility, "reasons", ()))
    else:
        eligible = bool(valuation.eligible)
        reasons = ()
    return Collateral(market_value=valuation.market_value,
                      mortgage_value=valuation.mortgage_value, ltv=valuation.ltv,
                      lgd=float(lgd), eligible=eligible, max_loan=valuation.max_loan,
                      ineligible_reasons=reasons)


# --------------------------------------------------------------------------- request, income

@dataclass(frozen=True)
class LoanRequest:
    """The amount, term, repayment method and product (property type) asked for.

    ``annual_rate`` is the rate affordability is assessed at; None: the policy's LPR plus its
    assessment spread.
    """

    amount: Decimal
    term_months: int
    method: RepaymentMethod = RepaymentMethod.EQUAL_INSTALLMENT
    property_type: str = PropertyType.URBAN_HOUSING.value
    annual_rate: Decimal | None = None

    def __post_init__(self) -> None:
        amount = to_decimal(self.amount, "request.amount")
        if amount <= 0:
            raise DomainError("request.amount", f"must be positive; got {amount}")
        object.__setattr__(self, "amount", amount)
        if isinstance(self.term_months, bool) or not isinstance(self.term_months, int) \
                or self.term_months < 1:
            raise DomainError("request.term_months",
                              f"must be a whole number of months ≥ 1; got {self.term_months!r}")
        object.__setattr__(self, "method", parse_enum(RepaymentMethod, self.method,
                                                      "request.method"))
        object.__setattr__(self, "property_type", str(parse_enum(
            PropertyType, self.property_type, "request.property_type").value))
        if self.annual_rate is not None:
            rate = to_decimal(self.annual_rate, "request.annual_rate")
            if not 0 <= rate < Decimal("0.24"):
                raise DomainError("request.annual_rate", f"must be in [0, 24%); got {rate}")
            object.__setattr__(self, "annual_rate", rate)


@dataclass(frozen=True)
class Affordability:
    """Monthly income and commitments (CNY a month) for the DTI limits."""

    monthly_income: Decimal
    other_monthly_debt: Decimal = Decimal(0)
    monthly_property_fee: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        for name in ("monthly_income", "other_monthly_debt", "monthly_property_fee"):
            value = to_decimal(getattr(self, name), f"affordability.{name}")
            if value < 0:
                raise DomainError(f"affordability.{name}", f"must not be negative; got {value}")
            object.__setattr__(self, name, value)
