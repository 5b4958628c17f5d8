"""Repositories of post-loan monitoring: warning cases and their handling, the classification
history, manual classifications, reviews and restructurings, and the runs themselves."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import Select, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from mortgage_risk.storage.bulk import insert_frame
from mortgage_risk.storage.tables import (
    BorrowerRow,
    BranchRow,
    ClassificationReviewRow,
    ExternalEventRow,
    LoanClassificationRow,
    LoanRow,
    ManualClassificationRow,
    MonitoringRunRow,
    RestructuringRow,
    UserRow,
    WarningActionRow,
    WarningCaseRow,
    WarningMeasureRow,
)

CLOSED = "closed"


class WarningRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, row: Any) -> Any:
        self._s.add(row)
        self._s.flush()
        return row

    def get(self, case_id: int, *, lock: bool = False) -> WarningCaseRow | None:
        stmt = select(WarningCaseRow).where(WarningCaseRow.id == case_id)
        if lock:
            stmt = stmt.with_for_update()
        return self._s.scalars(stmt).first()

    def live_by_borrower(self) -> dict[int, WarningCaseRow]:
        """Every case not yet closed, by borrower (at most one per borrower)."""
        rows = self._s.scalars(select(WarningCaseRow).where(WarningCaseRow.status != CLOSED))
        return {r.borrower_id: r for r in rows}

    def unverified_with_deadline(self) -> list[WarningCaseRow]:
        return list(self._s.scalars(select(WarningCaseRow).where(
            WarningCaseRow.status == "open", WarningCaseRow.deadline.is_not(None))))

    def overdue_measures(self, today: date) -> list[WarningMeasureRow]:
        return list(self._s.scalars(select(WarningMeasureRow).where(
            WarningMeasureRow.done_on.is_(None), WarningMeasureRow.due_on < today,
            WarningMeasureRow.escalated.is_(False))))

    def actions(self, case_id: int) -> list[WarningActionRow]:
        return list(self._s.scalars(select(WarningActionRow).where(
            WarningActionRow.warning_id == case_id).order_by(WarningActionRow.id)))

    def measures(self, case_id: int) -> list[WarningMeasureRow]:
        return list(self._s.scalars(select(WarningMeasureRow).where(
            WarningMeasureRow.warning_id == case_id).order_by(WarningMeasureRow.id)))

    def open_measures_of(self, user_id: int) -> list[tuple[WarningMeasureRow, WarningCaseRow]]:
        """Measures not yet done on the warnings assigned to ``user_id``, earliest due first."""
        return [(m, c) for m, c in self._s.execute(
            select(WarningMeasureRow, WarningCaseRow)
            .join(WarningCaseRow, WarningCaseRow.id == WarningMeasureRow.warning_id)
            .where(WarningCaseRow.assigned_to == user_id, WarningMeasureRow.done_on.is_(None))
            .order_by(WarningMeasureRow.due_on)).all()]

    def measure(self, measure_id: int) -> WarningMeasureRow | None:
        return self._s.get(WarningMeasureRow, measure_id)

    def officers_by_branch(self) -> dict[int, list[int]]:
        """Active loan officers' user ids by branch, in id order."""
        out: dict[int, list[int]] = {}
        for uid, branch in self._s.execute(select(UserRow.id, UserRow.branch_id).where(
                UserRow.role == "loan_officer", UserRow.active.is_(True),
                UserRow.branch_id.is_not(None)).order_by(UserRow.id)):
            if branch is not None:
                out.setdefault(branch, []).append(uid)
        return out

    def active_loans(self, borrower_ids: Iterable[int]) -> dict[int, list[int]]:
        """Each borrower's active loans (ids in order)."""
        ids = list(borrower_ids)
        out: dict[int, list[int]] = {}
        for start in range(0, len(ids), 1000):
            for borrower, loan in self._s.execute(
                    select(LoanRow.borrower_id, LoanRow.id).where(
                        LoanRow.borrower_id.in_(ids[start:start + 1000]),
                        LoanRow.status == "active").order_by(LoanRow.id)):
                out.setdefault(int(borrower), []).append(int(loan))
        return out

    def loan_officers(self, borrower_ids: Iterable[int]) -> dict[int, int]:
        """The officer of each borrower's largest active loan, where one is recorded."""
        ids = list(borrower_ids)
        out: dict[int, int] = {}
        for start in range(0, len(ids), 1000):
            part = ids[start:start + 1000]
            rows = self._s.execute(
                select(LoanRow.borrower_id, LoanRow.officer_id)
                .where(LoanRow.borrower_id.in_(part), LoanRow.officer_id.is_not(None),
                       LoanRow.status == "active")
                .order_by(LoanRow.outstanding_principal))
            for borrower, officer in rows:
                if officer is not None:
                    out[borrower] = officer  # the largest comes last
        return out

    def _listing(self) -> Select[WarningCaseRow, str, str, str, str]:
        return (select(WarningCaseRow, BorrowerRow.name, BranchRow.name_zh, BranchRow.name_en,
                       UserRow.full_name)
                .join(BorrowerRow, BorrowerRow.id == WarningCaseRow.borrower_id)
                .join(BranchRow, BranchRow.id == WarningCaseRow.branch_id)
                .outerjoin(UserRow, UserRow.id == WarningCaseRow.assigned_to))

    def listing(self, *, branch_id: int | None, statuses: Sequence[str] | None = None,
                levels: Sequence[str] | None = None, assigned_to: int | None = None,
                overdue_on: date | None = None, limit: int = 200, offset: int = 0
                ) -> tuple[int, list[Any]]:
        """Cases with the borrower's name, branch and assignee; most urgent first."""
        conds: list[Any] = []
        if branch_id is not None:
            conds.append(WarningCaseRow.branch_id == branch_id)
        if statuses:
            conds.append(WarningCaseRow.status.in_(list(statuses)))
        if levels:
            conds.append(WarningCaseRow.level.in_(list(levels)))
        if assigned_to is not None:
            conds.append(WarningCaseRow.assigned_to == assigned_to)
        if overdue_on is not None:
            conds.append(and_(WarningCaseRow.status == "open",
                              WarningCaseRow.deadline < overdue_on))
        where = and_(*conds) if conds else and_(True)
        total = self._s.scalar(select(func.count()).select_from(WarningCaseRow).where(where))
        rows = self._s.execute(self._listing().where(where).order_by(
            (WarningCaseRow.status == CLOSED), WarningCaseRow.level_rank.desc(),
            WarningCaseRow.deadline.is_(None), WarningCaseRow.deadline, WarningCaseRow.id,
        ).limit(limit).offset(offset)).all()
        return int(total or 0), list(rows)

    def by_branch_and_level(self, *, branch_id: int | None) -> list[tuple[str, str, str, int]]:
        """Live cases per branch and level: (branch name zh, name en, level, count)."""
        stmt = (select(BranchRow.name_zh, BranchRow.name_en, WarningCaseRow.level, func.count())
                .join(BranchRow, BranchRow.id == WarningCaseRow.branch_id)
                .where(WarningCaseRow.status != CLOSED)
                .group_by(BranchRow.id, BranchRow.name_zh, BranchRow.name_en,
                          WarningCaseRow.level)
                .order_by(BranchRow.id))
        if branch_id is not None:
            stmt = stmt.where(WarningCaseRow.branch_id == branch_id)
        return [(zh, en, level, int(n)) for zh, en, level, n in self._s.execute(stmt)]

    def counts(self, *, branch_id: int | None, today: date) -> dict[str, Any]:
        """Live cases by status and level, and how many are past their deadline."""
        base = WarningCaseRow.status != CLOSED
        if branch_id is not None:
            base = and_(base, WarningCaseRow.branch_id == branch_id)
        by: dict[str, dict[str, int]] = {}
        for status, level, n in self._s.execute(
                select(WarningCaseRow.status, WarningCaseRow.level, func.count())
                .where(base).group_by(WarningCaseRow.status, WarningCaseRow.level)):
            by.setdefault(status, {})[level] = int(n)
        overdue = self._s.scalar(select(func.count()).select_from(WarningCaseRow).where(
            base, WarningCaseRow.status == "open", WarningCaseRow.deadline < today))
        escalated = self._s.scalar(select(func.count()).select_from(WarningCaseRow).where(
            base, WarningCaseRow.escalation > 0))
        return {"by_status": by, "overdue": int(overdue or 0),
                "escalated": int(escalated or 0)}


class ClassificationRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, row: Any) -> Any:
        self._s.add(row)
        self._s.flush()
        return row

    def previous(self, as_of: date) -> pd.DataFrame:
        """Each loan's last stored class before ``as_of``: ``loan_id``, ``category``."""
        last = (select(LoanClassificationRow.loan_id,
                       func.max(LoanClassificationRow.as_of).label("as_of"))
                .where(LoanClassificationRow.as_of < as_of)
                .group_by(LoanClassificationRow.loan_id).subquery())
        rows = self._s.execute(select(LoanClassificationRow.loan_id,
                                      LoanClassificationRow.category).join(
            last, and_(last.c.loan_id == LoanClassificationRow.loan_id,
                       last.c.as_of == LoanClassificationRow.as_of))).all()
        return pd.DataFrame(rows, columns=["loan_id", "category"])

    def replace_day(self, as_of: date, frame: pd.DataFrame) -> int:
        """Store one day's classes (replacing that day's earlier rows)."""
        self._s.execute(delete(LoanClassificationRow).where(
            LoanClassificationRow.as_of == as_of))
        self._s.flush()
        out = frame.assign(as_of=as_of, reasons=frame["reasons"].map(
            lambda r: json.dumps(list(r), ensure_ascii=False)))
        return insert_frame(self._s.connection(), "loan_classifications", out)

    def replace_loans(self, as_of: date, frame: pd.DataFrame) -> None:
        """Store the classes of a few loans for ``as_of`` (after a manual decision)."""
        ids = [int(x) for x in frame["loan_id"]]
        self._s.execute(delete(LoanClassificationRow).where(
            LoanClassificationRow.as_of == as_of, LoanClassificationRow.loan_id.in_(ids)))
        for r in frame.to_dict("records"):
            self._s.add(LoanClassificationRow(
                loan_id=int(r["loan_id"]), as_of=as_of, category=r["category"],
                previous_category=r["previous_category"],
                dpd_floor_category=r["dpd_floor_category"], driver=r["driver"],
                reasons=list(r["reasons"]), policy_version=r["policy_version"]))
        self._s.flush()

    def set_loan_categories(self, categories: pd.DataFrame) -> int:
        """Write ``category`` onto loans whose stored class differs; returns how many."""
        current = dict(self._s.execute(select(LoanRow.id, LoanRow.five_category)).all())
        changes = [{"id": int(i), "five_category": c}
                   for i, c in zip(categories["loan_id"], categories["category"], strict=True)
                   if current.get(int(i)) != c]
        if changes:
            self._s.execute(update(LoanRow), changes)
        return len(changes)

    def set_arrears(self, arrears: pd.DataFrame, as_of: date) -> int:
        """Write ``days_past_due`` and ``overdue_amount`` (``loan_id`` rows) onto active loans
        whose stored state is not newer than ``as_of``; returns how many changed."""
        current = {int(i): (d, o) for i, d, o in self._s.execute(
            select(LoanRow.id, LoanRow.days_past_due, LoanRow.overdue_amount).where(
                LoanRow.status == "active", LoanRow.as_of <= as_of))}
        changes = []
        for loan_id, dpd, amount in zip(arrears["loan_id"], arrears["days_past_due"],
                                        arrears["overdue_amount"], strict=True):
            stored = current.get(int(loan_id))
            value = Decimal(str(amount)).quantize(Decimal("0.01"))
            if stored is not None and (stored[0] != int(dpd) or stored[1] != value):
                changes.append({"id": int(loan_id), "days_past_due": int(dpd),
                                "overdue_amount": value, "as_of": as_of})
        if changes:
            self._s.execute(update(LoanRow), changes)
        return len(changes)

    def manual_frame(self) -> pd.DataFrame:
        """Manual classes in force: ``loan_id``, ``category``, ``approved``,
        ``effective_date`` (downgrades always; upgrades once approved)."""
        rows = self._s.execute(select(
            ManualClassificationRow.loan_id, ManualClassificationRow.category,
            ManualClassificationRow.direction, ManualClassificationRow.effective_date)
            .where(ManualClassificationRow.status == "effective")).all()
        frame = pd.DataFrame(rows, columns=["loan_id", "category", "direction",
                                            "effective_date"])
        frame["approved"] = frame["direction"] == "upgrade"
        return frame.drop(columns="direction")

    def restructurings_frame(self) -> pd.DataFrame:
        rows = self._s.execute(select(
            RestructuringRow.loan_id, RestructuringRow.restructure_date,
            RestructuringRow.observation_start, RestructuringRow.pre_category,
            RestructuringRow.difficulty_resolved)).all()
        return pd.DataFrame(rows, columns=["loan_id", "restructure_date", "observation_start",
                                           "pre_category", "difficulty_resolved"])

    def events_frame(self, types: Iterable[str]) -> pd.DataFrame:
        rows = self._s.execute(select(
            ExternalEventRow.event_type, ExternalEventRow.event_date,
            ExternalEventRow.loan_id, ExternalEventRow.borrower_id).where(
            ExternalEventRow.event_type.in_(list(types)),
            or_(ExternalEventRow.borrower_id.is_not(None),
                ExternalEventRow.loan_id.is_not(None)))).all()
        return pd.DataFrame(rows, columns=["event_type", "event_date", "loan_id",
                                           "borrower_id"])

    def restructurings(self, loan_id: int) -> list[RestructuringRow]:
        return list(self._s.scalars(select(RestructuringRow).where(
            RestructuringRow.loan_id == loan_id).order_by(RestructuringRow.restructure_date)))

    def history(self, loan_id: int) -> list[LoanClassificationRow]:
        return list(self._s.scalars(select(LoanClassificationRow).where(
            LoanClassificationRow.loan_id == loan_id).order_by(
            LoanClassificationRow.as_of.desc())))

    def changes(self, loan_id: int) -> list[LoanClassificationRow]:
        """The runs at which the loan's class changed (and the first one)."""
        rows = list(reversed(self.history(loan_id)))
        return [r for i, r in enumerate(rows) if i == 0 or r.category != rows[i - 1].category]

    def manual(self, loan_id: int | None = None, *, status: str | None = None
               ) -> list[ManualClassificationRow]:
        stmt = select(ManualClassificationRow).order_by(ManualClassificationRow.id.desc())
        if loan_id is not None:
            stmt = stmt.where(ManualClassificationRow.loan_id == loan_id)
        if status is not None:
            stmt = stmt.where(ManualClassificationRow.status == status)
        return list(self._s.scalars(stmt))

    def manual_row(self, manual_id: int, *, lock: bool = False
                   ) -> ManualClassificationRow | None:
        stmt = select(ManualClassificationRow).where(ManualClassificationRow.id == manual_id)
        if lock:
            stmt = stmt.with_for_update()
        return self._s.scalars(stmt).first()

    def review(self, review_id: int, *, lock: bool = False) -> ClassificationReviewRow | None:
        stmt = select(ClassificationReviewRow).where(ClassificationReviewRow.id == review_id)
        if lock:
            stmt = stmt.with_for_update()
        return self._s.scalars(stmt).first()

    def reviews(self, *, branch_id: int | None, status: str | None = "open",
                loan_id: int | None = None, warning_id: int | None = None,
                limit: int = 200) -> list[tuple[ClassificationReviewRow, LoanRow]]:
        stmt = (select(ClassificationReviewRow, LoanRow)
                .join(LoanRow, LoanRow.id == ClassificationReviewRow.loan_id)
                .order_by(ClassificationReviewRow.due_on, ClassificationReviewRow.id)
                .limit(limit))
        if branch_id is not None:
            stmt = stmt.where(LoanRow.branch_id == branch_id)
        if status is not None:
            stmt = stmt.where(ClassificationReviewRow.status == status)
        if loan_id is not None:
            stmt = stmt.where(ClassificationReviewRow.loan_id == loan_id)
        if warning_id is not None:
            stmt = stmt.where(ClassificationReviewRow.warning_id == warning_id)
        return [(r, loan) for r, loan in self._s.execute(stmt).all()]

    def open_review_loans(self) -> set[int]:
        return set(self._s.scalars(select(ClassificationReviewRow.loan_id).where(
            ClassificationReviewRow.status == "open")))

    def distribution(self, *, branch_id: int | None) -> dict[str, dict[str, Any]]:
        """Active and written-off loans by class: count and outstanding principal."""
        stmt = (select(LoanRow.five_category, func.count(),
                       func.coalesce(func.sum(LoanRow.outstanding_principal), 0))
                .where(LoanRow.status.in_(["active", "written_off"]))
                .group_by(LoanRow.five_category))
        if branch_id is not None:
            stmt = stmt.where(LoanRow.branch_id == branch_id)
        return {c: {"loans": int(n), "balance": b} for c, n, b in self._s.execute(stmt)}

    def run_dates(self, limit: int = 24) -> list[date]:
        return list(self._s.scalars(select(LoanClassificationRow.as_of).distinct().order_by(
            LoanClassificationRow.as_of.desc()).limit(limit)))


class RunRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def replace(self, row: MonitoringRunRow) -> MonitoringRunRow:
        self._s.execute(delete(MonitoringRunRow).where(MonitoringRunRow.as_of == row.as_of))
        self._s.add(row)
        self._s.flush()
        return row

    def latest(self) -> MonitoringRunRow | None:
        return self._s.scalars(select(MonitoringRunRow).order_by(
            MonitoringRunRow.as_of.desc()).limit(1)).first()

    def recent(self, limit: int = 30) -> list[MonitoringRunRow]:
        return list(self._s.scalars(select(MonitoringRunRow).order_by(
            MonitoringRunRow.as_of.desc()).limit(limit)))
