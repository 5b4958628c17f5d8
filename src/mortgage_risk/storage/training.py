"""Repository of staff training: exercise sets, attempts, certifications, and the starts of
attempts (kept in the audit log, where a trainee cannot move them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from mortgage_risk.storage.tables import (
    AttemptRow,
    AuditRow,
    CertificationRow,
    ExerciseSetRow,
    UserRow,
)

#: The audit action that records the start of an attempt at a set.
START_ACTION = "training_attempt_started"
START_ENTITY = "training_set"


def utc(at: datetime) -> datetime:
    """``at`` as an aware UTC time (SQLite gives naive UTC times back)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


class TrainingRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, row: Any) -> Any:
        self._s.add(row)
        self._s.flush()
        return row

    # ------------------------------------------------------------------ sets

    def get_set(self, set_id: int, *, lock: bool = False) -> ExerciseSetRow | None:
        stmt = select(ExerciseSetRow).where(ExerciseSetRow.id == set_id)
        if lock:
            stmt = stmt.with_for_update()
        return self._s.scalars(stmt).first()

    def sets(self, *, active_only: bool, topic: str | None = None) -> list[ExerciseSetRow]:
        stmt = select(ExerciseSetRow)
        if active_only:
            stmt = stmt.where(ExerciseSetRow.active.is_(True))
        if topic is not None:
            stmt = stmt.where(ExerciseSetRow.topic == topic)
        return list(self._s.scalars(stmt.order_by(ExerciseSetRow.id.desc())))

    def set_counts(self) -> dict[int, tuple[int, int]]:
        """Attempts and passed attempts per set."""
        rows = self._s.execute(
            select(AttemptRow.set_id, func.count(),
                   func.sum(case((AttemptRow.passed.is_(True), 1), else_=0)))
            .group_by(AttemptRow.set_id)).all()
        return {int(s): (int(n), int(p or 0)) for s, n, p in rows}

    # ------------------------------------------------------------------ attempts

    def attempt(self, attempt_id: int) -> tuple[AttemptRow, ExerciseSetRow] | None:
        row = self._s.execute(
            select(AttemptRow, ExerciseSetRow)
            .join(ExerciseSetRow, ExerciseSetRow.id == AttemptRow.set_id)
            .where(AttemptRow.id == attempt_id)).first()
        return None if row is None else (row[0], row[1])

    def attempts(self, *, username: str | None = None, set_id: int | None = None
                 ) -> list[tuple[AttemptRow, ExerciseSetRow]]:
        """Attempts (with their set), oldest first."""
        stmt = (select(AttemptRow, ExerciseSetRow)
                .join(ExerciseSetRow, ExerciseSetRow.id == AttemptRow.set_id))
        if username is not None:
            stmt = stmt.where(AttemptRow.username == username)
        if set_id is not None:
            stmt = stmt.where(AttemptRow.set_id == set_id)
        return [(a, s) for a, s in self._s.execute(
            stmt.order_by(AttemptRow.submitted_at, AttemptRow.id)).all()]

    def count_attempts(self) -> int:
        return int(self._s.scalar(select(func.count()).select_from(AttemptRow)) or 0)

    # ------------------------------------------------------------------ starts

    def starts(self, set_id: int, username: str) -> list[datetime]:
        """When ``username`` started the set, oldest first (from the audit log)."""
        rows = self._s.scalars(select(AuditRow.after).where(
            AuditRow.action == START_ACTION, AuditRow.entity == START_ENTITY,
            AuditRow.entity_id == str(set_id), AuditRow.actor == username)
            .order_by(AuditRow.id))
        out = []
        for after in rows:
            if isinstance(after, dict) and isinstance(after.get("started_at"), str):
                out.append(utc(datetime.fromisoformat(after["started_at"])))
        return out

    def submitted_starts(self, set_id: int, username: str) -> set[datetime]:
        """The start times already used by a submitted attempt."""
        return {utc(t) for t in self._s.scalars(select(AttemptRow.started_at).where(
            AttemptRow.set_id == set_id, AttemptRow.username == username))}

    # ------------------------------------------------------------------ certifications

    def certifications(self, username: str | None = None
                       ) -> list[tuple[CertificationRow, int, float]]:
        """Certifications with the set and score of the attempt that earned each, newest
        first."""
        stmt = (select(CertificationRow, AttemptRow.set_id, AttemptRow.score)
                .join(AttemptRow, AttemptRow.id == CertificationRow.attempt_id))
        if username is not None:
            stmt = stmt.where(CertificationRow.username == username)
        return [(c, int(s), float(score)) for c, s, score in self._s.execute(
            stmt.order_by(CertificationRow.granted_on.desc(), CertificationRow.id.desc())).all()]

    def certification_of_attempt(self, attempt_id: int) -> CertificationRow | None:
        return self._s.scalars(select(CertificationRow).where(
            CertificationRow.attempt_id == attempt_id)).first()

    def count_certifications(self) -> int:
        return int(self._s.scalar(select(func.count()).select_from(CertificationRow)) or 0)

    # ------------------------------------------------------------------ staff

    def staff(self, usernames: Sequence[str] | None = None) -> list[UserRow]:
        """Active users (or the named ones), by username."""
        stmt = select(UserRow)
        if usernames is not None:
            stmt = stmt.where(UserRow.username.in_(list(usernames)))
        else:
            stmt = stmt.where(UserRow.active.is_(True))
        return list(self._s.scalars(stmt.order_by(UserRow.username)))
