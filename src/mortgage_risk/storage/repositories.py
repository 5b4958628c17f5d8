"""Repositories: the only place that knows how rows map to and from domain objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from mortgage_risk.domain import Borrower, Property
from mortgage_risk.storage.tables import (
    ApplicationRow,
    ApplicationScoreRow,
    AssessmentRow,
    Base,
    BorrowerRow,
    BranchRow,
    ContractRow,
    CreditDecisionRow,
    ExternalEventRow,
    LoanRow,
    MortgageRegistrationRow,
    ParameterSetRow,
    PropertyRow,
    RepaymentRow,
    ScorecardModelRow,
    SiteVisitRow,
    UserRow,
    ValuationRow,
    WorkflowEventRow,
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


class ModelRepository:
    """The scorecard model registry."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def by_version(self, version: str) -> ScorecardModelRow | None:
        return self._s.scalar(select(ScorecardModelRow).where(ScorecardModelRow.version == version))

    def active(self, product: str) -> ScorecardModelRow | None:
        return self._s.scalar(
            select(ScorecardModelRow).where(
                ScorecardModelRow.product == product, ScorecardModelRow.status == "active"
            )
        )

    def all(self, product: str | None = None) -> list[ScorecardModelRow]:
        stmt = select(ScorecardModelRow).order_by(ScorecardModelRow.trained_at.desc())
        if product is not None:
            stmt = stmt.where(ScorecardModelRow.product == product)
        return list(self._s.scalars(stmt))

    def add(self, row: ScorecardModelRow) -> ScorecardModelRow:
        self._s.add(row)
        self._s.flush()
        return row

    def add_score(self, row: ApplicationScoreRow) -> ApplicationScoreRow:
        self._s.add(row)
        self._s.flush()
        return row

    def scores_of(self, application_id: int) -> list[ApplicationScoreRow]:
        return list(
            self._s.scalars(
                select(ApplicationScoreRow)
                .where(ApplicationScoreRow.application_id == application_id)
                .order_by(ApplicationScoreRow.id)
            )
        )


class ApplicationQueries:
    """Applications joined with borrower, collateral, branch and loan, as a data frame."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def scoring_frame(self, application_ids: list[int]) -> pd.DataFrame:
        return self._frame(
            self._scoring_select()
            .where(ApplicationRow.id.in_(application_ids))
            .order_by(ApplicationRow.id)
        )

    def outcome_sample(self, horizon_months: int) -> tuple[pd.DataFrame, pd.Series]:
        """Loans originated at least ``horizon_months`` before the book's as-of date, with
        bad = 1 when an installment due in the first ``horizon_months`` went over 90 days
        past due."""
        as_of = self._s.scalar(select(func.max(LoanRow.as_of)))
        if as_of is None:
            return pd.DataFrame(), pd.Series(dtype=int)
        cutoff = _months_before(as_of, horizon_months)
        defaulted = (
            select(RepaymentRow.loan_id)
            .where(RepaymentRow.period_no <= horizon_months, RepaymentRow.days_past_due > 90)
            .distinct()
            .scalar_subquery()
        )
        stmt = (
            self._scoring_select()
            .add_columns(case((LoanRow.id.in_(defaulted), 1), else_=0).label("bad"))
            .where(LoanRow.origination_date <= cutoff)
            .order_by(ApplicationRow.id)
        )
        frame = self._frame(stmt)
        bad = frame.pop("bad").astype(int) if not frame.empty else pd.Series(dtype=int)
        return frame, bad

    def _frame(self, stmt: Any) -> pd.DataFrame:
        result = self._s.execute(stmt)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

    def _scoring_select(self) -> Any:
        a, b, p, br, ln = ApplicationRow, BorrowerRow, PropertyRow, BranchRow, LoanRow
        return (
            select(
                a.id.label("application_id"),
                a.amount,
                a.term_months,
                a.repayment_method,
                a.submitted_on,
                a.branch_id,
                b.segment,
                b.birth_date,
                b.household_income,
                b.dependants,
                b.bureau_overdue_accounts,
                b.bureau_max_dpd_24m,
                b.bureau_hard_inquiries_3m,
                b.bureau_npl_elsewhere,
                b.other_monthly_debt,
                p.property_type,
                p.build_year,
                p.floor_area,
                p.appraised_value,
                br.kind.label("branch_kind"),
                ln.annual_rate,
            )
            .join(b, b.id == a.borrower_id)
            .join(p, p.id == a.property_id)
            .join(br, br.id == a.branch_id)
            .outerjoin(ln, ln.application_id == a.id)
        )


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, min(day.day, 28))


class ParameterRepository:
    """Versioned parameter sets and the valuations that used them."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def active(self, kind: str) -> ParameterSetRow | None:
        return self._s.scalar(
            select(ParameterSetRow).where(
                ParameterSetRow.kind == kind, ParameterSetRow.status == "active"
            )
        )

    def get(self, kind: str, version: str) -> ParameterSetRow | None:
        return self._s.scalar(
            select(ParameterSetRow).where(
                ParameterSetRow.kind == kind, ParameterSetRow.version == version
            )
        )

    def all(self, kind: str | None = None) -> list[ParameterSetRow]:
        stmt = select(ParameterSetRow).order_by(
            ParameterSetRow.kind, ParameterSetRow.created_at.desc()
        )
        if kind is not None:
            stmt = stmt.where(ParameterSetRow.kind == kind)
        return list(self._s.scalars(stmt))

    def add(self, row: ParameterSetRow) -> ParameterSetRow:
        self._s.add(row)
        self._s.flush()
        return row


class ComparableQueries:
    """Recent appraisals of properties like the subject, the raw material of comparison."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def recent(
        self,
        *,
        property_type: str,
        township: str | None,
        since: date,
        until: date,
        exclude_property_id: int | None = None,
        limit: int = 50,
    ) -> pd.DataFrame:
        p = PropertyRow
        stmt = (
            select(
                p.id.label("property_id"),
                p.property_type,
                p.township,
                p.address,
                p.floor_area,
                p.land_area,
                p.build_year,
                p.structure,
                p.storeys,
                p.appraised_value,
                p.appraisal_date,
            )
            .where(
                p.property_type == property_type,
                p.appraisal_date >= since,
                p.appraisal_date <= until,
                p.floor_area > 0,
                p.seized.is_(False),
                p.small_property_rights.is_(False),
                p.illegal_building.is_(False),
            )
            .order_by(p.appraisal_date.desc(), p.id)
            .limit(limit)
        )
        if township is not None:
            stmt = stmt.where(p.township == township)
        if exclude_property_id is not None:
            stmt = stmt.where(p.id != exclude_property_id)
        result = self._s.execute(stmt)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


class ValuationRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, row: ValuationRow) -> ValuationRow:
        self._s.add(row)
        self._s.flush()
        return row

    def get(self, valuation_id: int) -> ValuationRow | None:
        return self._s.get(ValuationRow, valuation_id)

    def of_property(self, property_id: int) -> list[ValuationRow]:
        return list(
            self._s.scalars(
                select(ValuationRow)
                .where(ValuationRow.property_id == property_id)
                .order_by(ValuationRow.id.desc())
            )
        )

    def property_context(
        self, property_id: int
    ) -> tuple[PropertyRow, BorrowerRow, BranchRow] | None:
        row = self._s.execute(
            select(PropertyRow, BorrowerRow, BranchRow)
            .join(BorrowerRow, BorrowerRow.id == PropertyRow.owner_id)
            .join(BranchRow, BranchRow.id == BorrowerRow.branch_id)
            .where(PropertyRow.id == property_id)
        ).first()
        return None if row is None else (row[0], row[1], row[2])


class OriginationRepository:
    """Applications in the workflow and the records each step leaves."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def application(self, application_id: int, *, lock: bool = False) -> ApplicationRow | None:
        stmt = select(ApplicationRow).where(ApplicationRow.id == application_id)
        if lock and self._s.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        return self._s.scalar(stmt)

    def add(self, row: Base) -> Any:
        self._s.add(row)
        self._s.flush()
        return row

    def latest_assessment(self, application_id: int) -> AssessmentRow | None:
        return self._s.scalar(
            select(AssessmentRow)
            .where(AssessmentRow.application_id == application_id)
            .order_by(AssessmentRow.id.desc())
            .limit(1)
        )

    def latest_visit(self, application_id: int) -> SiteVisitRow | None:
        return self._s.scalar(
            select(SiteVisitRow)
            .where(SiteVisitRow.application_id == application_id)
            .order_by(SiteVisitRow.id.desc())
            .limit(1)
        )

    def decisions(self, application_id: int) -> list[CreditDecisionRow]:
        return list(
            self._s.scalars(
                select(CreditDecisionRow)
                .where(CreditDecisionRow.application_id == application_id)
                .order_by(CreditDecisionRow.id)
            )
        )

    def events(self, application_id: int) -> list[WorkflowEventRow]:
        return list(
            self._s.scalars(
                select(WorkflowEventRow)
                .where(WorkflowEventRow.application_id == application_id)
                .order_by(WorkflowEventRow.id)
            )
        )

    def contract(self, application_id: int) -> ContractRow | None:
        return self._s.scalar(
            select(ContractRow).where(ContractRow.application_id == application_id)
        )

    def registration(self, application_id: int) -> MortgageRegistrationRow | None:
        return self._s.scalar(
            select(MortgageRegistrationRow).where(
                MortgageRegistrationRow.application_id == application_id
            )
        )

    def other_open_applications_on(self, property_id: int, application_id: int) -> int:
        return int(
            self._s.scalar(
                select(func.count())
                .select_from(ApplicationRow)
                .where(
                    ApplicationRow.property_id == property_id,
                    ApplicationRow.id != application_id,
                    ApplicationRow.status.notin_(("declined", "withdrawn")),
                )
            )
            or 0
        )

    def loan_of(self, application_id: int) -> LoanRow | None:
        """The loan an application was disbursed as, if it was."""
        return self._s.scalar(select(LoanRow).where(LoanRow.application_id == application_id))

    def of_officer(self, officer_id: int, statuses: tuple[str, ...], limit: int = 200
                   ) -> list[ApplicationRow]:
        """The officer's own applications in ``statuses``, oldest first (work order)."""
        return list(self._s.scalars(select(ApplicationRow).where(
            ApplicationRow.officer_id == officer_id, ApplicationRow.status.in_(statuses))
            .order_by(ApplicationRow.id).limit(limit)))

    SORTS: dict[str, Any] = {"no": ApplicationRow.application_no, "amount": ApplicationRow.amount,
             "submitted_on": ApplicationRow.submitted_on, "status": ApplicationRow.status,
             "id": ApplicationRow.id}

    def page(self, statuses: tuple[str, ...], branch_id: int | None, *, search: str = "",
             sort: str = "id", descending: bool = True, limit: int = 50, offset: int = 0
             ) -> tuple[int, list[ApplicationRow]]:
        """One page of applications with the total: filtered by status, branch and a search
        on the application number or the borrower's name, sorted on the server."""
        stmt = select(ApplicationRow).where(ApplicationRow.status.in_(statuses))
        if branch_id is not None:
            stmt = stmt.where(ApplicationRow.branch_id == branch_id)
        if search:
            like = f"%{search}%"
            stmt = stmt.join(BorrowerRow, BorrowerRow.id == ApplicationRow.borrower_id).where(
                ApplicationRow.application_no.like(like) | BorrowerRow.name.like(like))
        total = self._s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        column = self.SORTS.get(sort, ApplicationRow.id)
        first = column.desc() if descending else column.asc()
        rows = list(self._s.scalars(stmt.order_by(first, ApplicationRow.id.desc())
                                    .limit(limit).offset(offset)))
        return int(total), rows

    def queue(
        self, statuses: tuple[str, ...], branch_id: int | None, limit: int = 200
    ) -> list[ApplicationRow]:
        stmt = select(ApplicationRow).where(ApplicationRow.status.in_(statuses))
        if branch_id is not None:
            stmt = stmt.where(ApplicationRow.branch_id == branch_id)
        return list(self._s.scalars(stmt.order_by(ApplicationRow.id.desc()).limit(limit)))


class BookQueries:
    """What the assessment reads about the rest of the book."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def event_kinds(self, borrower_id: int) -> list[tuple[str, str]]:
        """(event type, match confidence) of every external event on the borrower."""
        rows = self._s.execute(
            select(ExternalEventRow.event_type, ExternalEventRow.match_confidence)
            .where(ExternalEventRow.borrower_id == borrower_id)).all()
        return [(r.event_type, r.match_confidence) for r in rows]

    def active_balances(self, borrower_id: int, housing_types: tuple[str, ...]
                        ) -> tuple[Decimal, Decimal, Decimal]:
        """Active balance of all loans, of loans on ``housing_types``, of the borrower's."""
        active = LoanRow.status == "active"
        balance = func.coalesce(func.sum(LoanRow.outstanding_principal), 0)
        total = self._s.scalar(select(balance).where(active))
        housing = self._s.scalar(select(balance).join(
            PropertyRow, PropertyRow.id == LoanRow.property_id).where(
            active, PropertyRow.property_type.in_(housing_types)))
        own = self._s.scalar(select(balance).where(active, LoanRow.borrower_id == borrower_id))
        return _dec(total or 0), _dec(housing or 0), _dec(own or 0)

    def recent_assessments(self, limit: int) -> list[tuple[int, dict[str, Any]]]:
        """(application id, content) of the newest assessments, newest first."""
        rows = self._s.execute(select(AssessmentRow.application_id, AssessmentRow.content)
                               .order_by(AssessmentRow.id.desc()).limit(limit)).all()
        return [(int(r[0]), r[1]) for r in rows]
