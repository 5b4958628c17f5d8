"""Entities of the mortgage book: borrower, property, application, loan, events.

Each validates itself on construction and raises DomainError naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from mortgage_risk.domain.enums import (
    ApplicationStatus,
    BorrowerSegment,
    EventType,
    LandNature,
    LoanStatus,
    MatchConfidence,
    PropertyType,
    RegistrationStatus,
    RepaymentMethod,
    Structure,
)
from mortgage_risk.domain.errors import DomainError
from mortgage_risk.domain.money import Money, to_decimal
from mortgage_risk.domain.resident_id import ResidentId

MAX_TERM_MONTHS = 360
EARLIEST_BUILD_YEAR = 1900


def _require(condition: bool, name: str, reason: str) -> None:
    if not condition:
        raise DomainError(name, reason)


@dataclass(frozen=True, slots=True)
class CreditBureauSummary:
    """What the PBOC credit report says about the borrower at application."""

    overdue_accounts: int = 0
    max_days_past_due_24m: int = 0
    hard_inquiries_3m: int = 0
    npl_elsewhere: bool = False
    other_monthly_debt: Money = field(default_factory=Money.zero)

    def __post_init__(self) -> None:
        for name in ("overdue_accounts", "max_days_past_due_24m", "hard_inquiries_3m"):
            _require(getattr(self, name) >= 0, name, "must not be negative")
        _require(
            not self.other_monthly_debt.is_negative(), "other_monthly_debt", "must not be negative"
        )


@dataclass(frozen=True, slots=True)
class Borrower:
    resident_id: ResidentId
    name: str
    segment: BorrowerSegment
    township: str
    household_income: Money
    dependants: int = 0
    bureau: CreditBureauSummary = field(default_factory=CreditBureauSummary)
    id: int | None = None

    def __post_init__(self) -> None:
        _require(bool(self.name.strip()), "name", "must not be empty")
        _require(bool(self.township.strip()), "township", "must not be empty")
        _require(
            not self.household_income.is_negative(), "household_income", "must not be negative"
        )
        _require(0 <= self.dependants <= 20, "dependants", "must be between 0 and 20")

    @property
    def monthly_income(self) -> Money:
        return Money(self.household_income.amount / 12)


@dataclass(frozen=True, slots=True)
class Property:
    """The collateral: a building with its land, or a land right alone."""

    property_type: PropertyType
    land_nature: LandNature
    township: str
    address: str
    floor_area: Decimal
    land_area: Decimal
    structure: Structure | None = None
    storeys: int | None = None
    build_year: int | None = None
    land_term_remaining_years: Decimal | None = None
    ownership_certificate_no: str = ""
    land_certificate_no: str = ""
    registration_status: RegistrationStatus = RegistrationStatus.NOT_REGISTERED
    seized: bool = False
    existing_mortgage: bool = False
    small_property_rights: bool = False
    illegal_building: bool = False
    id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "floor_area", to_decimal(self.floor_area, "floor_area"))
        object.__setattr__(self, "land_area", to_decimal(self.land_area, "land_area"))
        _require(self.floor_area >= 0, "floor_area", "must not be negative")
        _require(self.land_area >= 0, "land_area", "must not be negative")
        if self.property_type.has_building:
            _require(self.floor_area > 0, "floor_area", "a building must have a floor area above 0")
            _require(self.structure is not None, "structure", "a building must have a structure")
            _require(self.build_year is not None, "build_year", "a building must have a build year")
            _require(
                self.storeys is not None and self.storeys >= 1, "storeys", "must be at least 1"
            )
        else:
            _require(self.land_area > 0, "land_area", "a land right must have a land area above 0")
        if self.build_year is not None:
            _require(self.build_year >= EARLIEST_BUILD_YEAR, "build_year", "must be 1900 or later")
        if self.land_term_remaining_years is not None:
            term = to_decimal(self.land_term_remaining_years, "land_term_remaining_years")
            object.__setattr__(self, "land_term_remaining_years", term)
            _require(0 <= term <= 70, "land_term_remaining_years", "must be between 0 and 70 years")

    def check_as_of(self, as_of: date) -> None:
        """Reject facts that cannot be true on ``as_of`` (a building not yet built)."""
        if self.build_year is not None and self.build_year > as_of.year:
            raise DomainError("build_year", f"{self.build_year} is after the as-of date {as_of}")

    def age_on(self, day: date) -> int | None:
        return None if self.build_year is None else max(0, day.year - self.build_year)


@dataclass(frozen=True, slots=True)
class Application:
    borrower: Borrower
    collateral: Property
    amount: Money
    term_months: int
    repayment_method: RepaymentMethod
    appraised_value: Money
    purpose: str = "purchase"
    purchase_price: Money | None = None
    co_owner_consent: bool = True
    status: ApplicationStatus = ApplicationStatus.DRAFT
    branch_code: str = ""
    id: int | None = None

    def __post_init__(self) -> None:
        _require(self.amount.amount > 0, "amount", "must be above 0")
        _require(1 <= self.term_months <= MAX_TERM_MONTHS, "term_months", "must be 1 to 360 months")
        _require(self.appraised_value.amount > 0, "appraised_value", "must be above 0")
        if self.purchase_price is not None:
            _require(self.purchase_price.amount > 0, "purchase_price", "must be above 0")

    @property
    def ltv(self) -> Decimal:
        return self.amount / self.appraised_value


@dataclass(frozen=True, slots=True)
class Loan:
    contract_no: str
    principal: Money
    term_months: int
    annual_rate: Decimal
    repayment_method: RepaymentMethod
    origination_date: date
    status: LoanStatus = LoanStatus.ACTIVE
    id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "annual_rate", to_decimal(self.annual_rate, "annual_rate"))
        _require(self.principal.amount > 0, "principal", "must be above 0")
        _require(1 <= self.term_months <= MAX_TERM_MONTHS, "term_months", "must be 1 to 360 months")
        _require(0 <= self.annual_rate < Decimal("0.24"), "annual_rate", "must be in [0, 24%)")

    @property
    def monthly_rate(self) -> Decimal:
        return self.annual_rate / 12


@dataclass(frozen=True, slots=True)
class ScheduleLine:
    """One period of a repayment schedule."""

    period_no: int
    due_date: date
    principal_due: Money
    interest_due: Money
    balance_after: Money

    @property
    def amount_due(self) -> Money:
        return self.principal_due + self.interest_due


@dataclass(frozen=True, slots=True)
class RepaymentRecord:
    """What was paid against one scheduled period, and how late."""

    period_no: int
    due_date: date
    amount_due: Money
    amount_paid: Money
    paid_date: date | None
    days_past_due: int = 0

    def __post_init__(self) -> None:
        _require(not self.amount_paid.is_negative(), "amount_paid", "must not be negative")
        _require(self.days_past_due >= 0, "days_past_due", "must not be negative")
        if self.paid_date is not None:
            _require(self.paid_date >= date(2000, 1, 1), "paid_date", "is implausibly early")


@dataclass(frozen=True, slots=True)
class ExternalEvent:
    """A signal from outside the union ("Internet big data"), kept with source and match."""

    event_type: EventType
    event_date: date
    source: str
    subject_name: str
    subject_resident_id: str | None = None
    match_confidence: MatchConfidence = MatchConfidence.RESIDENT_ID
    detail: str = ""
    borrower_id: int | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        _require(bool(self.source.strip()), "source", "must name where the record came from")
        if self.match_confidence is MatchConfidence.RESIDENT_ID:
            _require(
                self.subject_resident_id is not None,
                "subject_resident_id",
                "required when matched by resident ID",
            )
