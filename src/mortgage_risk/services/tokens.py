"""API tokens for integrations (the core banking system).

A token is a random secret shown once, at creation; the database keeps its SHA-256 and its
first 8 characters (to tell tokens apart). A request that sends ``Authorization: Bearer
<secret>`` acts as the token's user, with that user's role and branch, while the token is
not revoked, not expired and the user is active. Users create and revoke their own tokens;
the administrator may revoke anyone's. Creating and revoking are audited; using a token only
updates its ``last_used_at`` (at most once a minute), which is not an audited change.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from mortgage_risk.domain import Role
from mortgage_risk.services.errors import NotFound, PermissionDenied
from mortgage_risk.services.forms import Page, Problem, check_window, refuse
from mortgage_risk.services.users import CurrentUser, load_user
from mortgage_risk.storage.tables import ApiTokenRow
from mortgage_risk.storage.tokens import ApiTokenRepository
from mortgage_risk.storage.uow import UnitOfWork

SECRET_PREFIX = "mrk_"
PREFIX_LENGTH = 8
MAX_SECRET_LENGTH = 200
DEFAULT_DAYS = 90
MAX_DAYS = 365
#: Live (not revoked, not expired) tokens a user may hold at once.
MAX_LIVE_TOKENS = 10
MAX_NAME = 64
TOUCH_EVERY = timedelta(minutes=1)

NAME_REQUIRED = "must not be empty"
NAME_TOO_LONG = "must have at most %(n)s characters"
DAYS_RANGE = "must be a whole number of days from 1 to %(max)s, or empty for no expiry"
TOO_MANY = "you hold %(n)s live tokens, the most allowed; revoke one first"
NOT_WITH_TOKEN = "create API tokens from a logged-in session, not with a token"
TOKEN_UNKNOWN = "no such token"


TokenStatus = Literal["active", "expired", "revoked"]


@dataclass(frozen=True)
class TokenView:
    id: int
    user_id: int
    username: str
    full_name: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    status: TokenStatus


@dataclass(frozen=True)
class NewToken:
    """A token just created; ``secret`` exists only here and is never shown again."""

    token: TokenView
    secret: str


def utc(at: datetime | None) -> datetime | None:
    """A stored moment as an aware UTC datetime (SQLite gives back naive UTC)."""
    if at is None:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _status(row: ApiTokenRow, now: datetime) -> TokenStatus:
    if row.revoked_at is not None:
        return "revoked"
    expires = utc(row.expires_at)
    if expires is not None and expires <= now:
        return "expired"
    return "active"


def _view(row: ApiTokenRow, username: str, full_name: str, now: datetime) -> TokenView:
    created = utc(row.created_at)
    assert created is not None
    return TokenView(id=row.id, user_id=row.user_id, username=username, full_name=full_name,
                     name=row.name, prefix=row.prefix, created_at=created,
                     last_used_at=utc(row.last_used_at), expires_at=utc(row.expires_at),
                     revoked_at=utc(row.revoked_at), status=_status(row, now))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _owner(uow: UnitOfWork, row: ApiTokenRow) -> tuple[str, str]:
    user = uow.users.get(row.user_id)
    return (user.username, user.full_name) if user is not None else ("?", "?")


def create_token(uow: UnitOfWork, user: CurrentUser, *, name: str,
                 expires_in_days: int | None = DEFAULT_DAYS,
                 with_token: bool = False) -> NewToken:
    """A new token of ``user``; ``expires_in_days`` None means it never expires.

    ``with_token``: the request was itself authenticated by a token, which may not mint
    more (a leaked token must not outlive its revocation through a new one).
    """
    if with_token:
        raise PermissionDenied(NOT_WITH_TOKEN, field="authorization")
    name = name.strip()
    problems: list[Problem] = []
    if not name:
        problems.append(Problem("name", NAME_REQUIRED))
    elif len(name) > MAX_NAME:
        problems.append(Problem("name", NAME_TOO_LONG, {"n": MAX_NAME}))
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_DAYS:
        problems.append(Problem("expires_in_days", DAYS_RANGE, {"max": MAX_DAYS}))
    refuse(problems)
    repo = ApiTokenRepository(uow.session)
    now = datetime.now(UTC)
    live = repo.live_for_user(user.id, now)
    if len(live) >= MAX_LIVE_TOKENS:
        refuse([Problem("name", TOO_MANY, {"n": len(live)})])
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    expires = now + timedelta(days=expires_in_days) if expires_in_days is not None else None
    row = repo.add(user_id=user.id, name=name, token_hash=digest(secret),
                   prefix=secret[:PREFIX_LENGTH], created_at=now, expires_at=expires)
    uow.audit.record(actor=user.username, action="create", entity="api_token",
                     entity_id=row.id,
                     after={"user_id": user.id, "name": name, "prefix": row.prefix,
                            "expires_at": expires.isoformat() if expires else None})
    view = _view(row, user.username, user.full_name, now)
    uow.commit()
    return NewToken(view, secret)


def revoke_token(uow: UnitOfWork, user: CurrentUser, token_id: int) -> TokenView:
    """Revoke a token: its owner or the administrator. Revoking twice changes nothing."""
    repo = ApiTokenRepository(uow.session)
    row = repo.get(token_id, lock=True)
    if row is None or (row.user_id != user.id and user.role is not Role.ADMIN):
        # Another user's token is not found, rather than forbidden: its id tells nothing.
        raise NotFound(TOKEN_UNKNOWN, field="token_id")
    now = datetime.now(UTC)
    username, full_name = _owner(uow, row)
    if row.revoked_at is not None:
        return _view(row, username, full_name, now)
    row.revoked_at = now
    uow.session.flush()
    uow.audit.record(actor=user.username, action="revoke", entity="api_token", entity_id=row.id,
                     before={"revoked_at": None},
                     after={"revoked_at": now.isoformat(), "user_id": row.user_id,
                            "prefix": row.prefix})
    view = _view(row, username, full_name, now)
    uow.commit()
    return view


def list_tokens(uow: UnitOfWork, user: CurrentUser, *, everyone: bool = False,
                user_id: int | None = None, live_only: bool = False, limit: int = 100,
                offset: int = 0) -> Page[TokenView]:
    """The user's own tokens; the administrator may ask for everyone's (or one user's)."""
    check_window(limit, offset)
    if (everyone or (user_id is not None and user_id != user.id)) and user.role is not Role.ADMIN:
        raise PermissionDenied("only an administrator may see other users' tokens",
                               field="role")
    owner = user_id if user_id is not None else (None if everyone else user.id)
    now = datetime.now(UTC)
    total, rows = ApiTokenRepository(uow.session).listing(
        user_id=owner, live_at=now if live_only else None, limit=limit, offset=offset)
    return Page([_view(row, username, full_name, now) for row, username, full_name in rows],
                total, limit, offset)


def authenticate(uow: UnitOfWork, secret: str) -> CurrentUser | None:
    """The active user a valid token belongs to, else None. Notes the use (committed)."""
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        return None
    row = ApiTokenRepository(uow.session).by_hash(digest(secret))
    now = datetime.now(UTC)
    if row is None or _status(row, now) != "active":
        return None
    user = load_user(uow, row.user_id)
    if user is None:
        return None
    last = utc(row.last_used_at)
    if last is None or now - last >= TOUCH_EVERY:
        row.last_used_at = now
        uow.commit()
    return user
