"""Input schemas shared by the API and the CLI: validation names the field and the reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from mortgage_risk.domain import (
    BorrowerSegment,
    LandNature,
    PropertyType,
    RegistrationStatus,
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
