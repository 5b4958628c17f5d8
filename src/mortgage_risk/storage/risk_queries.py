"""Read-only queries behind the portfolio risk dashboard: the book as frames for the monitoring
engines (provisions, indicators, migration, vintages, roll rates, stress).

Money columns are read as floats (the engines work in floats; the service turns results back
into Decimal at the fen). Repayments are read in reduced form (``repayment_events``): only the
rows that were ever overdue, plus two on-time anchor rows per loan, which gives the engines
exactly the same days past due, vintages and roll rates as the full history at a tenth of
the rows.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Executable, Float, String, and_, cast, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from mortgage_risk.storage.tables import (
    BranchRow,
    LoanClassificationRow,
    LoanRow,
    PropertyRow,
    RepaymentRow,
    UserRow,
    ValuationRow,
)

#: Half a fen: an installment paid short by more than this is not paid in full.
SHORT_BY = 0.005

BOOK_COLUMNS = ("loan_id", "branch_id", "officer_id", "borrower_id", "property_id",
                "outstanding_principal", "days_past_due", "five_category", "status",
                "origination_date", "maturity_date", "property_type", "township",
                "appraised_value", "appraisal_date")
REPAYMENT_COLUMNS = ("loan_id", "due_date", "amount_due", "amount_paid", "paid_date")


def _raw(column: Any) -> Any:
    """A date column read as the driver gives it (ISO text on SQLite), parsed in bulk later."""
    return type_coerce(column, String)


def _as_datetime(values: Any) -> pd.Series:
    """Dates (ISO text from SQLite, ``date`` objects from PostgreSQL) as datetime64[ns]."""
    series = pd.Series(values, dtype=object)
    first = series.dropna()
    fmt = "%Y-%m-%d" if len(first) and isinstance(first.iloc[0], str) else None
    out: pd.Series = pd.to_datetime(series, format=fmt).astype("datetime64[ns]")
    return out


def _dates(frame: pd.DataFrame, *columns: str) -> None:
    for c in columns:
        frame[c] = _as_datetime(frame[c].to_numpy(dtype=object))


class RiskQueries:
    """Frames of the book for the risk engines; every method reads, none writes."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def _frame(self, stmt: Executable, columns: tuple[str, ...]) -> pd.DataFrame:
        """The rows as a frame built column by column (much faster than from records)."""
        rows = self._s.connection().execute(stmt).all()
        values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
        return pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in
                             zip(columns, values, strict=True)})

    def book_as_of(self) -> date | None:
        """The date of the book's snapshot (the loans' ``as_of``)."""
        return self._s.scalar(select(func.max(LoanRow.as_of)))

    def active_loans(self, as_of: date, branch_id: int | None = None) -> pd.DataFrame:
        """Active loans originated by ``as_of`` with their collateral (``BOOK_COLUMNS``)."""
        stmt = (
            select(LoanRow.id, LoanRow.branch_id, LoanRow.officer_id, LoanRow.borrower_id,
                   LoanRow.property_id, cast(LoanRow.outstanding_principal, Float),
                   LoanRow.days_past_due, LoanRow.five_category, LoanRow.status,
                   _raw(LoanRow.origination_date), _raw(LoanRow.maturity_date),
                   PropertyRow.property_type, PropertyRow.township,
                   cast(PropertyRow.appraised_value, Float), _raw(PropertyRow.appraisal_date))
            .join(PropertyRow, PropertyRow.id == LoanRow.property_id)
            .where(LoanRow.status == "active", LoanRow.origination_date <= as_of)
            .order_by(LoanRow.id)
        )
        if branch_id is not None:
            stmt = stmt.where(LoanRow.branch_id == branch_id)
        frame = self._frame(stmt, BOOK_COLUMNS)
        for c in ("loan_id", "branch_id", "borrower_id", "property_id"):
            frame[c] = frame[c].astype(np.int64)
        frame["outstanding_principal"] = frame["outstanding_principal"].astype(float)
        frame["appraised_value"] = frame["appraised_value"].astype(float)
        frame["days_past_due"] = frame["days_past_due"].fillna(0).astype(np.int64)
        frame["officer_id"] = frame["officer_id"].astype("Int64")
        _dates(frame, "origination_date", "maturity_date", "appraisal_date")
        return frame

    def originations(self, as_of: date, branch_id: int | None = None) -> pd.DataFrame:
        """Every loan originated by ``as_of``, whatever its status: ``loan_id,
        origination_date, branch_id`` (the denominators of the vintage curves)."""
        stmt = (select(LoanRow.id, _raw(LoanRow.origination_date), LoanRow.branch_id)
                .where(LoanRow.origination_date <= as_of).order_by(LoanRow.id))
        if branch_id is not None:
            stmt = stmt.where(LoanRow.branch_id == branch_id)
        frame = self._frame(stmt, ("loan_id", "origination_date", "branch_id"))
        frame = frame.astype({"loan_id": np.int64, "branch_id": np.int64})
        _dates(frame, "origination_date")
        return frame

    def latest_valuations(self, as_of: date) -> pd.DataFrame:
        """The newest stored valuation of each property on or before ``as_of``:
        ``property_id, market_value, valuation_date``."""
        stmt = (select(ValuationRow.property_id, cast(ValuationRow.market_value, Float),
                       _raw(ValuationRow.valuation_date))
                .where(ValuationRow.valuation_date <= as_of)
                .order_by(ValuationRow.property_id, ValuationRow.valuation_date,
                          ValuationRow.id))
        frame = self._frame(stmt, ("property_id", "market_value", "valuation_date"))
        frame = frame.drop_duplicates("property_id", keep="last").reset_index(drop=True)
        frame = frame.astype({"property_id": np.int64, "market_value": float})
        _dates(frame, "valuation_date")
        return frame

    def classification_dates(self) -> list[date]:
        """Every date with a stored classification, oldest first."""
        return list(self._s.scalars(select(LoanClassificationRow.as_of).distinct()
                                    .order_by(LoanClassificationRow.as_of)))

    def latest_classes(self, as_of: date) -> pd.DataFrame:
        """Each loan's newest stored class on or before ``as_of``: ``loan_id, category,
        as_of, policy_version``."""
        latest = (select(LoanClassificationRow.loan_id,
                         func.max(LoanClassificationRow.as_of).label("on"))
                  .where(LoanClassificationRow.as_of <= as_of)
                  .group_by(LoanClassificationRow.loan_id).subquery())
        stmt = (select(LoanClassificationRow.loan_id, LoanClassificationRow.category,
                       LoanClassificationRow.as_of, LoanClassificationRow.policy_version)
                .join(latest, and_(LoanClassificationRow.loan_id == latest.c.loan_id,
                                   LoanClassificationRow.as_of == latest.c.on)))
        return self._frame(stmt, ("loan_id", "category", "as_of", "policy_version"))

    def classes_on(self, on: date, branch_id: int | None = None) -> pd.DataFrame:
        """The classes stored for the run of ``on``: ``loan_id, category, policy_version``."""
        stmt = select(LoanClassificationRow.loan_id, LoanClassificationRow.category,
                      LoanClassificationRow.policy_version).where(
            LoanClassificationRow.as_of == on)
        if branch_id is not None:
            stmt = stmt.join(LoanRow, LoanRow.id == LoanClassificationRow.loan_id).where(
                LoanRow.branch_id == branch_id)
        return self._frame(stmt, ("loan_id", "category", "policy_version"))

    def repayment_events(self, as_of: date, branch_id: int | None = None) -> pd.DataFrame:
        """Repayment rows due by ``as_of`` that matter for days past due (``REPAYMENT_COLUMNS``).

        A row paid in full on or before its due date is never overdue at any date, so it is
        left out; the rows kept are those unpaid, paid late or paid short. Each loan also gets
        two anchor rows, paid on their due date, at its first and its last due date by
        ``as_of``: they keep when the history starts and ends (loans come alive and close
        in the roll rates) and never count as overdue.
        """
        loan_filter: list[Any] = [RepaymentRow.due_date <= as_of]
        if branch_id is not None:
            loan_filter.append(RepaymentRow.loan_id.in_(
                select(LoanRow.id).where(LoanRow.branch_id == branch_id)))
        irregular = self._frame(
            select(RepaymentRow.loan_id, _raw(RepaymentRow.due_date),
                   cast(RepaymentRow.amount_due, Float), cast(RepaymentRow.amount_paid, Float),
                   _raw(RepaymentRow.paid_date))
            .where(*loan_filter, or_(RepaymentRow.paid_date.is_(None),
                                     RepaymentRow.paid_date > RepaymentRow.due_date,
                                     RepaymentRow.amount_paid
                                     < RepaymentRow.amount_due - SHORT_BY)),
            REPAYMENT_COLUMNS)
        ends = self._frame(
            select(RepaymentRow.loan_id, _raw(func.min(RepaymentRow.due_date)),
                   _raw(func.max(RepaymentRow.due_date)))
            .where(*loan_filter).group_by(RepaymentRow.loan_id),
            ("loan_id", "first_due", "last_due"))
        anchors = pd.DataFrame({
            "loan_id": np.concatenate([ends["loan_id"].to_numpy(), ends["loan_id"].to_numpy()]),
            "due_date": np.concatenate([ends["first_due"].to_numpy(),
                                        ends["last_due"].to_numpy()]),
            "amount_due": 0.0, "amount_paid": 0.0,
        })
        anchors["paid_date"] = anchors["due_date"]
        frame = pd.concat([irregular.astype({"amount_due": float, "amount_paid": float}),
                           anchors], ignore_index=True)
        frame["loan_id"] = frame["loan_id"].astype(np.int64)
        _dates(frame, "due_date", "paid_date")
        return frame

    def branches(self) -> pd.DataFrame:
        """``branch_id, code, name_zh, name_en`` in code order."""
        return self._frame(select(BranchRow.id, BranchRow.code, BranchRow.name_zh,
                                  BranchRow.name_en).order_by(BranchRow.code),
                           ("branch_id", "code", "name_zh", "name_en"))

    def officers(self) -> dict[int, str]:
        """Full name of every user, by id (loan officers are users)."""
        return {int(i): str(n) for i, n in self._s.execute(select(UserRow.id,
                                                                   UserRow.full_name))}
