"""The hash-chained audit log: append in the caller's transaction, verify the chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from mortgage_risk.storage.tables import AuditRow

GENESIS = "0" * 64


def canonical(value: Any) -> Any:
    """JSON-native copy of ``value`` (Decimals, dates and enums as strings)."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, ensure_ascii=False, sort_keys=True))


def _utc_naive(at: datetime) -> datetime:
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at


def record_hash(
    row_id: int,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: Any,
    after: Any,
    prev_hash: str,
) -> str:
    payload = json.dumps(
        {
            "id": row_id,
            "at": _utc_naive(at).isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "before": before,
            "after": after,
            "prev": prev_hash,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class AuditLog:
    """Writes audit records inside the unit of work's transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def record(
        self,
        *,
        actor: str,
        action: str,
        entity: str,
        entity_id: object,
        before: Any = None,
        after: Any = None,
    ) -> AuditRow:
        session = self._session
        if session.get_bind().dialect.name == "postgresql":
            # One writer at a time extends the chain; released at commit or rollback.
            session.execute(text("SELECT pg_advisory_xact_lock(7301)"))
        last = session.execute(
            select(AuditRow.id, AuditRow.hash).order_by(AuditRow.id.desc()).limit(1)
        ).first()
        row_id = (last.id + 1) if last else 1
        prev = last.hash if last else GENESIS
        at = _utc_naive(datetime.now(UTC))
        before_c, after_c = canonical(before), canonical(after)
        row = AuditRow(
            id=row_id,
            at=at,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            before=before_c,
            after=after_c,
            prev_hash=prev,
            hash=record_hash(
                row_id, at, actor, action, entity, str(entity_id), before_c, after_c, prev
            ),
        )
        session.add(row)
        session.flush()
        return row


@dataclass(frozen=True)
class ChainBreak:
    record_id: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    records: int
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def _rows(session: Session, batch: int = 5000) -> Iterator[AuditRow]:
    last_id = 0
    while True:
        rows = session.scalars(
            select(AuditRow).where(AuditRow.id > last_id).order_by(AuditRow.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


def verify_chain(session: Session) -> ChainReport:
    """Walk the chain from the first record; name the first one that does not hold."""
    prev_hash, expected_id, count = GENESIS, 1, 0
    for row in _rows(session):
        count += 1
        if row.id != expected_id:
            return ChainReport(
                count,
                ChainBreak(row.id, f"records {expected_id}..{row.id - 1} are missing (deleted)"),
            )
        if row.prev_hash != prev_hash:
            return ChainReport(
                count, ChainBreak(row.id, "previous-hash link does not match the record before it")
            )
        expected = record_hash(
            row.id,
            row.at,
            row.actor,
            row.action,
            row.entity,
            row.entity_id,
            row.before,
            row.after,
            row.prev_hash,
        )
        if row.hash != expected:
            return ChainReport(count, ChainBreak(row.id, "content changed after it was written"))
        prev_hash, expected_id = row.hash, row.id + 1
    return ChainReport(count, None)


def audit_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditRow)) or 0)
