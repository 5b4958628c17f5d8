"""API tokens: rows keyed by the SHA-256 of their secret (the secret itself is never stored)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from mortgage_risk.storage.tables import ApiTokenRow, UserRow


class ApiTokenRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, *, user_id: int, name: str, token_hash: str, prefix: str,
            created_at: datetime, expires_at: datetime | None) -> ApiTokenRow:
        row = ApiTokenRow(user_id=user_id, name=name, token_hash=token_hash, prefix=prefix,
                          created_at=created_at, expires_at=expires_at)
        self._s.add(row)
        self._s.flush()
        return row

    def by_hash(self, token_hash: str) -> ApiTokenRow | None:
        return self._s.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash))

    def get(self, token_id: int, *, lock: bool = False) -> ApiTokenRow | None:
        query = select(ApiTokenRow).where(ApiTokenRow.id == token_id)
        if lock:
            query = query.with_for_update()
        return self._s.scalar(query)

    def _live(self, now: datetime) -> Any:
        return and_(ApiTokenRow.revoked_at.is_(None),
                    or_(ApiTokenRow.expires_at.is_(None), ApiTokenRow.expires_at > now))

    def live_for_user(self, user_id: int, now: datetime) -> list[ApiTokenRow]:
        """The user's tokens that still open the API (not revoked, not expired)."""
        return list(self._s.scalars(
            select(ApiTokenRow).where(ApiTokenRow.user_id == user_id, self._live(now))
            .order_by(ApiTokenRow.id)))

    def listing(self, *, user_id: int | None, live_at: datetime | None, limit: int,
                offset: int) -> tuple[int, list[Any]]:
        """Tokens with their owner's username and name, newest first; ``live_at`` keeps only
        the tokens still valid at that moment."""
        conds: list[Any] = []
        if user_id is not None:
            conds.append(ApiTokenRow.user_id == user_id)
        if live_at is not None:
            conds.append(self._live(live_at))
        where = and_(True, *conds)
        total = self._s.scalar(select(func.count()).select_from(ApiTokenRow).where(where))
        rows = self._s.execute(
            select(ApiTokenRow, UserRow.username, UserRow.full_name)
            .join(UserRow, UserRow.id == ApiTokenRow.user_id)
            .where(where).order_by(ApiTokenRow.id.desc()).limit(limit).offset(offset)).all()
        return int(total or 0), list(rows)
