"""Register borrowers and their collateral, each in one audited transaction."""

from __future__ import annotations

from pydantic import ValidationError

from mortgage_risk.domain import (
    Borrower,
    CreditBureauSummary,
    DomainError,
    Money,
    Property,
    ResidentId,
)
from mortgage_risk.services.errors import Conflict, InvalidInput, NotFound
from mortgage_risk.services.schemas import BorrowerIn, PropertyIn
from mortgage_risk.services.users import CurrentUser
from mortgage_risk.storage.uow import UnitOfWork


def register_borrower(uow: UnitOfWork, user: CurrentUser, data: BorrowerIn) -> int:
    branch = uow.branches.by_code(data.branch_code)
    if branch is None:
        raise NotFound(f"no branch {data.branch_code!r}", field="branch_code")
    if user.branch_scope() is not None and user.branch_scope() != branch.id:
        raise InvalidInput(
            "you may only register borrowers of your own branch", field="branch_code"
        )
    if uow.borrowers.by_resident_id(data.resident_id):
        raise Conflict("a borrower with this resident ID exists", field="resident_id")
    try:
        borrower = Borrower(
            resident_id=ResidentId(data.resident_id),
            name=data.name,
            segment=data.segment,
            township=data.township,
            household_income=Money(data.household_income),
            dependants=data.dependants,
            bureau=CreditBureauSummary(
                overdue_accounts=data.bureau_overdue_accounts,
                max_days_past_due_24m=data.bureau_max_dpd_24m,
                hard_inquiries_3m=data.bureau_hard_inquiries_3m,
                npl_elsewhere=data.bureau_npl_elsewhere,
                other_monthly_debt=Money(data.other_monthly_debt),
            ),
        )
    except DomainError as exc:
        raise InvalidInput(exc.reason, field=exc.field) from None
    row = uow.borrowers.add(borrower, branch.id)
    uow.audit.record(
        actor=user.username,
        action="create",
        entity="borrower",
        entity_id=row.id,
        after=data.model_dump(mode="json"),
    )
    uow.commit()
    return row.id


def register_property(uow: UnitOfWork, user: CurrentUser, data: PropertyIn) -> int:
    owner = uow.borrowers.by_resident_id(data.owner_resident_id)
    if owner is None:
        raise NotFound("no borrower with this resident ID", field="owner_resident_id")
    if user.branch_scope() is not None and user.branch_scope() != owner.branch_id:
        raise InvalidInput("the owner belongs to another branch", field="owner_resident_id")
    try:
        prop = Property(
            property_type=data.property_type,
            land_nature=data.land_nature,
            township=data.township,
            address=data.address,
            floor_area=data.floor_area,
            land_area=data.land_area,
            structure=data.structure,
            storeys=data.storeys,
            build_year=data.build_year,
            land_term_remaining_years=data.land_term_remaining_years,
            ownership_certificate_no=data.ownership_certificate_no,
            land_certificate_no=data.land_certificate_no,
            registration_status=data.registration_status,
            seized=data.seized,
            existing_mortgage=data.existing_mortgage,
            small_property_rights=data.small_property_rights,
            illegal_building=data.illegal_building,
        )
        prop.check_as_of(data.as_of)
    except DomainError as exc:
        raise InvalidInput(exc.reason, field=exc.field) from None
    row = uow.properties.add(
        prop, owner_id=owner.id, appraised_value=data.appraised_value, appraisal_date=data.as_of
    )
    uow.audit.record(
        actor=user.username,
        action="create",
        entity="property",
        entity_id=row.id,
        after=data.model_dump(mode="json"),
    )
    uow.commit()
    return row.id


def first_error(exc: ValidationError) -> tuple[str, str]:
    """(field, reason) of a pydantic error, for one-line CLI messages and API bodies."""
    err = exc.errors()[0]
    loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
    msg = str(err.get("msg", "invalid"))
    msg = msg.removeprefix("Value error, ")
    if not loc and ": " in msg:
        field, _, reason = msg.partition(": ")
        return field, reason
    field = ".".join(loc) or "input"
    last = loc[-1] if loc else field
    return field, msg.removeprefix(f"{field}: ").removeprefix(f"{last}: ")
