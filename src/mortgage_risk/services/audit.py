"""The audit log for the supervisor: search it and verify the chain.

The supervisor, the administrator and the risk manager read the log. Resident ID numbers in
the records' before/after are masked: reading the log does not need them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from mortgage_risk.domain import Role
from mortgage_risk.domain.resident_id import mask
from mortgage_risk.services.errors import PermissionDenied
from mortgage_risk.services.forms import Page, Problem, check_window, refuse
from mortgage_risk.services.users import CurrentUser
from mortgage_risk.storage.admin import AUDIT_SORTS, AuditQueries
from mortgage_risk.storage.audit import ChainReport, verify_chain
from mortgage_risk.storage.tables import AuditRow
from mortgage_risk.storage.uow import UnitOfWork

#: Who may read the audit log and verify the chain.
AUDIT_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.RISK_MANAGER})
#: The union keeps China Standard Time (no daylight saving): dates in filters are local dates.
CHINA_TIME = timezone(timedelta(hours=8), "CST")
_RESIDENT_ID = re.compile(r"\d{17}[\dXx]")
AUDIT_ONLY = "only the supervisor, the administrator or the risk manager may read the audit log"


@dataclass(frozen=True)
class Change:
    """One key of a record's before/after that differs (``before`` None: added)."""

    key: str
    before: Any
    after: Any


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime  # aware, UTC
    actor: str
    action: str
    entity: str
    entity_id: str
    before: Any
    after: Any
    changes: list[Change]

    @property
    def local_at(self) -> datetime:
        return self.at.astimezone(CHINA_TIME)


def as_china_time(at: datetime) -> datetime:
    """A stored moment (naive means UTC, as SQLite gives it back) in China time."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(CHINA_TIME)


def verify(uow: UnitOfWork) -> ChainReport:
    return verify_chain(uow.session)


def require_reader(user: CurrentUser) -> None:
    if user.role not in AUDIT_ROLES:
        raise PermissionDenied(AUDIT_ONLY, field="role")


def verify_for(uow: UnitOfWork, user: CurrentUser) -> ChainReport:
    """Walk the whole chain for a reader of the log (reads only; writes nothing)."""
    require_reader(user)
    return verify_chain(uow.session)


def masked(value: Any, key: str = "") -> Any:
    """``value`` with every resident ID number masked (by pattern, or by a key naming one)."""
    if isinstance(value, dict):
        return {k: masked(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, key) for v in value]
    if isinstance(value, str) and (_RESIDENT_ID.fullmatch(value)
                                   or (key.endswith("resident_id") and value)):
        return mask(value)
    return value


def changes(before: Any, after: Any) -> list[Change]:
    """The keys that differ between two records' contents (non-dict contents: one change)."""
    if not isinstance(before, dict) and not isinstance(after, dict):
        return [] if before == after else [Change("", before, after)]
    b = before if isinstance(before, dict) else {}
    a = after if isinstance(after, dict) else {}
    keys = list(b) + [k for k in a if k not in b]
    return [Change(k, b.get(k), a.get(k)) for k in keys if b.get(k) != a.get(k)]


def _entry(row: AuditRow) -> AuditEntry:
    at = row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=UTC)
    before, after = masked(row.before), masked(row.after)
    return AuditEntry(id=row.id, at=at.astimezone(UTC), actor=row.actor, action=row.action,
                      entity=row.entity, entity_id=row.entity_id, before=before, after=after,
                      changes=changes(before, after))


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=CHINA_TIME)


def search(uow: UnitOfWork, user: CurrentUser, *, actor: str | None = None,
           action: str | None = None, entity: str | None = None,
           entity_id: str | None = None, since: date | None = None, until: date | None = None,
           sort: str = "id", descending: bool = True, limit: int = 50,
           offset: int = 0) -> Page[AuditEntry]:
    """Records matching every filter given; ``since`` and ``until`` are China dates, both
    included. Newest first unless ``descending`` is False."""
    require_reader(user)
    check_window(limit, offset)
    problems: list[Problem] = []
    if sort not in AUDIT_SORTS:
        problems.append(Problem("sort", "must be one of: %(allowed)s",
                                {"allowed": ", ".join(AUDIT_SORTS)}))
    if since is not None and until is not None and until < since:
        problems.append(Problem("until", "must not be before the start date"))
    refuse(problems)
    total, rows = AuditQueries(uow.session).search(
        actor=(actor or "").strip() or None, action=(action or "").strip() or None,
        entity=(entity or "").strip() or None, entity_id=(entity_id or "").strip() or None,
        since=local_midnight(since) if since else None,
        before=local_midnight(until + timedelta(days=1)) if until else None,
        sort=sort, descending=descending, limit=limit, offset=offset)
    return Page([_entry(r) for r in rows], total, limit, offset)


def filter_values(uow: UnitOfWork, user: CurrentUser) -> dict[str, list[str]]:
    """The actions and entities in the log, to offer as filter choices."""
    require_reader(user)
    queries = AuditQueries(uow.session)
    return {"action": queries.distinct("action"), "entity": queries.distinct("entity")}
