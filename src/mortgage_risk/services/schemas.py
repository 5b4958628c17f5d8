"""Input schemas shared by the API and the CLI: validation names the field and the reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from mortgage_risk.domain import (
    BorrowerSegment,
    LandNature,
    PropertyType,
    RegistrationStatus,
    RepaymentMethod,
    ResidentId,
    Structure,
)


def _resident_id(value: str) -> str:
    return ResidentId.parse(value).value


ResidentIdStr = Annotated[str, AfterValidator(_resident_id)]
NonNegativeMoney = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)]


class BorrowerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    resident_id: ResidentIdStr
    name: str = Field(min_length=1, max_length=64)
    segment: BorrowerSegment
    township: str = Field(min_length=1, max_length=64)
    branch_code: str = Field(min_length=1, max_length=16)
    household_income: NonNegativeMoney
    dependants: int = Field(default=0, ge=0, le=20)
    bureau_overdue_accounts: int = Field(default=0, ge=0)
    bureau_max_dpd_24m: int = Field(default=0, ge=0)
    bureau_hard_inquiries_3m: int = Field(default=0, ge=0)
    bureau_npl_elsewhere: bool = False
    other_monthly_debt: NonNegativeMoney = Decimal(0)


class PropertyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    owner_resident_id: ResidentIdStr
    property_type: PropertyType
    land_nature: LandNature
    structure: Structure | None = None
    storeys: int | None = Field(default=None, ge=1, le=200)
    build_year: int | None = Field(default=None, ge=1900)
    floor_area: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    land_area: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    land_term_remaining_years: Decimal | None = Field(default=None, ge=0, le=70)
    township: str = Field(min_length=1, max_length=64)
    address: str = Field(min_length=1, max_length=255)
    ownership_certificate_no: str = ""
    land_certificate_no: str = ""
    registration_status: RegistrationStatus = RegistrationStatus.NOT_REGISTERED
    seized: bool = False
    existing_mortgage: bool = False
    small_property_rights: bool = False
    illegal_building: bool = False
    appraised_value: Decimal = Field(gt=0, max_digits=16, decimal_places=2)
    as_of: date = Field(default_factory=date.today)

    @model_validator(mode="after")
    def _build_year_not_after_as_of(self) -> PropertyIn:
        if self.build_year is not None and self.build_year > self.as_of.year:
            raise ValueError(f"build_year: {self.build_year} is after the as-of date {self.as_of}")
        return self


class ApplicationIn(BaseModel):
    """A new mortgage application: the borrower and collateral must already be registered."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    borrower_resident_id: ResidentIdStr
    property_id: int = Field(gt=0)
    amount: Decimal = Field(gt=0, max_digits=16, decimal_places=2)
    term_months: int = Field(ge=1, le=360)
    repayment_method: RepaymentMethod
    purpose: str = Field(default="purchase", min_length=1, max_length=64)
    purchase_price: Decimal | None = Field(default=None, gt=0, max_digits=16, decimal_places=2)
    co_owner_consent: bool = True
    first_home: bool | None = None
    submitted_on: date = Field(default_factory=date.today)


class VisitIn(BaseModel):
    """The on-site visit record."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    visited_on: date = Field(default_factory=date.today)
    occupancy: Literal["owner", "tenant", "vacant", "other"]
    collateral_condition: Literal["intact", "basically_intact", "damaged", "seriously_damaged"]
    income_verified: bool
    findings: str = Field(min_length=1, max_length=4000)
    evidence: list[str] = Field(default_factory=list, max_length=50,
                                description="Photo file names or document references")
    observed: dict[str, float] | None = Field(
        default=None, description="Observed condition scores: structure, finish, services")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: Literal["approve", "decline"]
    reasons: str = Field(default="", max_length=4000)
    amount: Decimal | None = Field(default=None, gt=0, max_digits=16, decimal_places=2)


class ContractIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    signed_on: date = Field(default_factory=date.today)


class RegistrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    certificate_no: str = Field(min_length=6, max_length=64)
    registered_on: date = Field(default_factory=date.today)
    registry_office: str = Field(default="县不动产登记中心", min_length=1, max_length=128)
