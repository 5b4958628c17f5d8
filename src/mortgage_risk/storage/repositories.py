"""Repositories: the only place that knows how rows map to and from domain objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from mortgage_risk.domain import Borrower, Property
from mortgage_risk.storage.tables import (
    BorrowerRow,
    BranchRow,
    LoanRow,
    PropertyRow,
    UserRow,
)


class BranchRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def all(self) -> list[BranchRow]:
        return list(self._s.scalars(select(BranchRow).order_by(BranchRow.code)))

    def by_code(self, code: str) -> BranchRow | None:
        return self._s.scalar(select(BranchRow).where(BranchRow.code == code))

    def get(self, branch_id: int) -> BranchRow | None:
        return self._s.get(BranchRow, branch_id)


class UserRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def by_username(self, username: str) -> UserRow | None:
        return self._s.scalar(select(UserRow).where(UserRow.username == username))

    def get(self, user_id: int) -> UserRow | None:
        return self._s.get(UserRow, user_id)

    def add(
        self, *, username: str, full_name: str, password_hash: str, role: str, branch_id: int | None
    ) -> UserRow:
        row = UserRow(
            username=username,
            full_name=full_name,
            password_hash=password_hash,
            role=role,
            branch_id=branch_id,
            active=True,
            created_at=datetime.now(UTC),
        )
        self._s.add(row)
        self._s.flush()
        return row

    def all(self) -> list[UserRow]:
        return list(self._s.scalars(select(UserRow).order_by(UserRow.username)))


class BorrowerRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def by_resident_id(self, resident_id: str) -> BorrowerRow | None:
        return self._s.scalar(select(BorrowerRow).where(BorrowerRow.resident_id == resident_id))

    def get(self, borrower_id: int) -> BorrowerRow | None:
        return self._s.get(BorrowerRow, borrower_id)

    def add(self, borrower: Borrower, branch_id: int) -> BorrowerRow:
        b = borrower.bureau
        row = BorrowerRow(
            resident_id=borrower.resident_id.value,
            name=borrower.name,
            segment=borrower.segment.value,
            township=borrower.township,
            branch_id=branch_id,
            birth_date=borrower.resident_id.birth_date,
            household_income=borrower.household_income.amount,
            dependants=borrower.dependants,
            bureau_overdue_accounts=b.overdue_accounts,
            bureau_max_dpd_24m=b.max_days_past_due_24m,
            bureau_hard_inquiries_3m=b.hard_inquiries_3m,
            bureau_npl_elsewhere=b.npl_elsewhere,
            other_monthly_debt=b.other_monthly_debt.amount,
        )
        self._s.add(row)
        self._s.flush()
        return row


class PropertyRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, property_id: int) -> PropertyRow | None:
        return self._s.get(PropertyRow, property_id)

    def add(
        self, prop: Property, *, owner_id: int, appraised_value: Decimal, appraisal_date: date
    ) -> PropertyRow:
        row = PropertyRow(
            owner_id=owner_id,
            property_type=prop.property_type.value,
            land_nature=prop.land_nature.value,
            structure=prop.structure.value if prop.structure else None,
            storeys=prop.storeys,
            build_year=prop.build_year,
            floor_area=prop.floor_area,
            land_area=prop.land_area,
            land_term_remaining_years=prop.land_term_remaining_years,
            township=prop.township,
            address=prop.address,
            ownership_certificate_no=prop.ownership_certificate_no,
            land_certificate_no=prop.land_certificate_no,
            registration_status=prop.registration_status.value,
            seized=prop.seized,
            existing_mortgage=prop.existing_mortgage,
            small_property_rights=prop.small_property_rights,
            illegal_building=prop.illegal_building,
            appraised_value=appraised_value,
            appraisal_date=appraisal_date,
        )
        self._s.add(row)
        self._s.flush()
        return row


class LoanRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, loan_id: int) -> LoanRow | None:
        return self._s.get(LoanRow, loan_id)

    def count(self) -> int:
        return int(self._s.scalar(select(func.count()).select_from(LoanRow)) or 0)


@dataclass(frozen=True)
class Breakdown:
    """Portfolio figures for one group (a branch, a property type, or the whole book)."""

    key: str
    loans: int
    balance: Decimal
    overdue_balance: Decimal
    npl_balance: Decimal


class PortfolioQueries:
    """Read-only aggregate queries over the active book."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def _aggregate(self, group_col: Any | None, branch_id: int | None) -> list[Breakdown]:
        npl = LoanRow.five_category.in_(("substandard", "doubtful", "loss"))
        cols = [
            func.count(LoanRow.id),
            func.coalesce(func.sum(LoanRow.outstanding_principal), 0),
            func.coalesce(
                func.sum(case((LoanRow.days_past_due > 0, LoanRow.outstanding_principal), else_=0)),
                0,
            ),
            func.coalesce(func.sum(case((npl, LoanRow.outstanding_principal), else_=0)), 0),
        ]
        stmt = select(*(([group_col] if group_col is not None else []) + cols)).where(
            LoanRow.status == "active"
        )
        if group_col is not None and group_col.class_ is PropertyRow:
            stmt = stmt.join(PropertyRow, PropertyRow.id == LoanRow.property_id)
        if branch_id is not None:
            stmt = stmt.where(LoanRow.branch_id == branch_id)
        if group_col is not None:
            stmt = stmt.group_by(group_col).order_by(group_col)
        result = []
        for row in self._s.execute(stmt):
            values = tuple(row)
            key = str(values[0]) if group_col is not None else "total"
            n, bal, od, npl_bal = values[-4:]
            result.append(Breakdown(key, int(n), _dec(bal), _dec(od), _dec(npl_bal)))
        return result

    def totals(self, branch_id: int | None = None) -> Breakdown:
        return self._aggregate(None, branch_id)[0]

    def by_branch(self, branch_id: int | None = None) -> list[Breakdown]:
        return self._aggregate(LoanRow.branch_id, branch_id)

    def by_property_type(self, branch_id: int | None = None) -> list[Breakdown]:
        return self._aggregate(PropertyRow.property_type, branch_id)

    def by_category(self, branch_id: int | None = None) -> list[Breakdown]:
        return self._aggregate(LoanRow.five_category, branch_id)

    def as_of(self) -> date | None:
        return self._s.scalar(select(func.max(LoanRow.as_of)))


def _dec(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))
