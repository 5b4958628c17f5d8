"""Read-side queries of the administration and supervision pages: the user and branch
directories (filtered, sorted and paged in SQL) and the audit log search."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from mortgage_risk.storage.tables import AuditRow, BranchRow, UserRow

#: The columns a user list may be sorted by.
USER_SORTS: dict[str, Any] = {
    "username": UserRow.username,
    "full_name": UserRow.full_name,
    "role": UserRow.role,
    "branch": BranchRow.code,
    "created_at": UserRow.created_at,
    "active": UserRow.active,
}

#: The columns a branch list may be sorted by.
BRANCH_SORTS: dict[str, Any] = {
    "code": BranchRow.code,
    "name_zh": BranchRow.name_zh,
    "name_en": BranchRow.name_en,
    "kind": BranchRow.kind,
    "township": BranchRow.township,
}

#: The columns the audit log may be sorted by (both follow the order of writing).
AUDIT_SORTS: dict[str, Any] = {"id": AuditRow.id, "at": AuditRow.at}


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


class UserDirectory:
    def __init__(self, session: Session) -> None:
        self._s = session

    def listing(self, *, role: str | None, branch_id: int | None, no_branch: bool,
                active: bool | None, text: str | None, sort: str, descending: bool,
                limit: int, offset: int) -> tuple[int, list[Any]]:
        """Users with their branch (or None), filtered and sorted; ``sort`` is a key of
        USER_SORTS. Ties fall back to the username, so pages do not overlap. ``no_branch``
        keeps only the users of no branch (the union level)."""
        conds: list[Any] = []
        if role is not None:
            conds.append(UserRow.role == role)
        if branch_id is not None:
            conds.append(UserRow.branch_id == branch_id)
        if no_branch:
            conds.append(UserRow.branch_id.is_(None))
        if active is not None:
            conds.append(UserRow.active.is_(active))
        if text:
            pattern = _like(text)
            conds.append(or_(func.lower(UserRow.username).like(pattern, escape="\\"),
                             func.lower(UserRow.full_name).like(pattern, escape="\\")))
        where = and_(True, *conds)
        total = self._s.scalar(select(func.count()).select_from(UserRow).where(where))
        column = USER_SORTS[sort]
        order = column.desc() if descending else column.asc()
        if sort == "branch":  # users without a branch (union level) come first ascending
            order = (column.desc().nulls_last() if descending
                     else column.asc().nulls_first())
        rows = self._s.execute(
            select(UserRow, BranchRow).outerjoin(BranchRow, BranchRow.id == UserRow.branch_id)
            .where(where).order_by(order, UserRow.username).limit(limit).offset(offset)).all()
        return int(total or 0), list(rows)

    def get_for_update(self, user_id: int) -> UserRow | None:
        return self._s.scalar(select(UserRow).where(UserRow.id == user_id).with_for_update())

    def active_admin_ids(self, admin_role: str) -> list[int]:
        """The active administrators, locked until the transaction ends (PostgreSQL), so two
        administrators cannot both remove the other and leave none."""
        return list(self._s.scalars(
            select(UserRow.id).where(UserRow.role == admin_role, UserRow.active.is_(True))
            .order_by(UserRow.id).with_for_update()))


class BranchDirectory:
    def __init__(self, session: Session) -> None:
        self._s = session

    def listing(self, *, kind: str | None, text: str | None, sort: str,
                descending: bool) -> list[Any]:
        """Branches with their number of users (active or not), filtered and sorted."""
        conds: list[Any] = []
        if kind is not None:
            conds.append(BranchRow.kind == kind)
        if text:
            pattern = _like(text)
            conds.append(or_(func.lower(BranchRow.code).like(pattern, escape="\\"),
                             func.lower(BranchRow.name_zh).like(pattern, escape="\\"),
                             func.lower(BranchRow.name_en).like(pattern, escape="\\"),
                             func.lower(BranchRow.township).like(pattern, escape="\\")))
        users = (select(UserRow.branch_id, func.count().label("n")).group_by(UserRow.branch_id)
                 .subquery())
        column = BRANCH_SORTS[sort]
        return list(self._s.execute(
            select(BranchRow, func.coalesce(users.c.n, 0))
            .outerjoin(users, users.c.branch_id == BranchRow.id)
            .where(and_(True, *conds))
            .order_by(column.desc() if descending else column.asc(), BranchRow.code)).all())

    def get_for_update(self, branch_id: int) -> BranchRow | None:
        return self._s.scalar(select(BranchRow).where(BranchRow.id == branch_id)
                              .with_for_update())


class AuditQueries:
    def __init__(self, session: Session) -> None:
        self._s = session

    def _moment(self, at: datetime) -> datetime:
        """A bound for ``audit_log.at``: UTC, naive on SQLite (as the records are written)."""
        at = at.astimezone(UTC)
        if self._s.get_bind().dialect.name == "sqlite":
            return at.replace(tzinfo=None)
        return at

    def search(self, *, actor: str | None, action: str | None, entity: str | None,
               entity_id: str | None, since: datetime | None, before: datetime | None,
               sort: str, descending: bool, limit: int, offset: int
               ) -> tuple[int, list[AuditRow]]:
        """Records matching every given filter; ``since`` is inclusive, ``before`` not."""
        conds: list[Any] = []
        if actor:
            conds.append(AuditRow.actor == actor)
        if action:
            conds.append(AuditRow.action == action)
        if entity:
            conds.append(AuditRow.entity == entity)
        if entity_id:
            conds.append(AuditRow.entity_id == entity_id)
        if since is not None:
            conds.append(AuditRow.at >= self._moment(since))
        if before is not None:
            conds.append(AuditRow.at < self._moment(before))
        where = and_(True, *conds)
        total = self._s.scalar(select(func.count()).select_from(AuditRow).where(where))
        column = AUDIT_SORTS[sort]
        tie = AuditRow.id.desc() if descending else AuditRow.id.asc()
        rows = self._s.scalars(
            select(AuditRow).where(where)
            .order_by(column.desc() if descending else column.asc(), tie)
            .limit(limit).offset(offset)).all()
        return int(total or 0), list(rows)

    def distinct(self, name: str) -> list[str]:
        """The values in use in one column (``action`` or ``entity``), for the filter lists."""
        column = {"action": AuditRow.action, "entity": AuditRow.entity}[name]
        return [str(v) for v in self._s.scalars(select(column).distinct().order_by(column))]
