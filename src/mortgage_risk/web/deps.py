"""Request dependencies as reusable ``Annotated`` aliases.

Who is asking: pages know the user from the login session only; the API also accepts an API
token (``Authorization: Bearer <secret>``), which replaces the cookie for that request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, cast

from babel.support import Translations
from fastapi import Depends, Request

from mortgage_risk.config import Settings
from mortgage_risk.domain import Role
from mortgage_risk.services import tokens
from mortgage_risk.services.audit import AUDIT_ONLY, AUDIT_ROLES
from mortgage_risk.services.errors import PermissionDenied
from mortgage_risk.services.users import CurrentUser, load_user
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.uow import UnitOfWork
from mortgage_risk.web import session
from mortgage_risk.web.i18n import request_locale
from mortgage_risk.web.security import LoginThrottle
from mortgage_risk.web.session import SESSION_USER_KEY

__all__ = ["SESSION_USER_KEY"]

#: Roles that may register borrowers and collateral; the others (supervisor ...) read only.
WRITE_ROLES = frozenset({Role.LOAN_OFFICER, Role.RISK_MANAGER, Role.ADMIN})
API_PREFIX = "/api/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: How the request proved who it is, kept on ``request.state.auth``.
AUTH_SESSION, AUTH_TOKEN = "session", "token"


class LoginRequired(Exception):
    """No valid login: pages redirect to /login, the API answers 401.

    ``expired_user`` names the user whose session just timed out (None: there was none).
    """

    def __init__(self, reason: str = "login required", expired_user: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.expired_user = expired_user


def get_database(request: Request) -> Database:
    return cast(Database, request.app.state.database)


def get_uow(database: Annotated[Database, Depends(get_database)]) -> Iterator[UnitOfWork]:
    with database.uow() as uow:
        yield uow


UowDep = Annotated[UnitOfWork, Depends(get_uow)]


def _bearer(request: Request) -> str | None:
    """The secret of an ``Authorization: Bearer`` header on an API request, else None;
    a malformed header is refused rather than ignored."""
    if not request.url.path.startswith(API_PREFIX):
        return None  # pages use the login session only
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise LoginRequired("the Authorization header must read: Bearer <token>")
    return secret.strip()


def get_current_user(request: Request, uow: UowDep) -> CurrentUser:
    secret = _bearer(request)
    if secret is not None:
        user = tokens.authenticate(uow, secret)
        if user is None:
            raise LoginRequired("the API token is not valid, has expired or was revoked")
        request.state.auth = AUTH_TOKEN
        request.state.user = user
        return user
    user_id = request.session.get(SESSION_USER_KEY)
    if not isinstance(user_id, int):
        raise LoginRequired
    settings = cast(Settings, request.app.state.settings)
    if session.has_expired(request, settings.session_idle_timeout_seconds,
                           settings.session_max_age_seconds):
        session.expire(request)
        raise LoginRequired("the session has expired; log in again", expired_user=user_id)
    user = load_user(uow, user_id)
    if user is None:  # deactivated or deleted since login
        request.session.pop(SESSION_USER_KEY, None)
        raise LoginRequired
    session.touch(request)
    request.state.auth = AUTH_SESSION
    request.state.user = user
    return user


CurrentUserDep = Annotated[CurrentUser, Depends(get_current_user)]


def get_writer(user: CurrentUserDep) -> CurrentUser:
    """The current user, if their role may register borrowers and collateral."""
    if user.role not in WRITE_ROLES:
        raise PermissionDenied(f"the role {user.role.value} may not register records",
                               field="role")
    return user


WriterDep = Annotated[CurrentUser, Depends(get_writer)]


def requires_roles(roles: frozenset[Role], reason: str) -> Callable[[CurrentUser], CurrentUser]:
    """A dependency: the current user if their role is one of ``roles``, else 403."""

    def dependency(user: CurrentUserDep) -> CurrentUser:
        if user.role not in roles:
            raise PermissionDenied(reason, field="role")
        return user

    return dependency


AdminDep = Annotated[CurrentUser, Depends(requires_roles(
    frozenset({Role.ADMIN}), "only an administrator may open this"))]
AuditReaderDep = Annotated[CurrentUser, Depends(requires_roles(AUDIT_ROLES, AUDIT_ONLY))]


def authenticated_by_token(request: Request) -> bool:
    return getattr(request.state, "auth", None) == AUTH_TOKEN


def api_write_guard(request: Request, user: CurrentUserDep) -> CurrentUser:
    """The current user of an API request. A write that relies on the session cookie must be
    a JSON request: a page on another site can send the cookie with a form post, but not with
    ``Content-Type: application/json``. A write with an API token sends no cookie to abuse."""
    if request.method in SAFE_METHODS or authenticated_by_token(request):
        return user
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise PermissionDenied("a request logged in by the session cookie must send "
                               "Content-Type: application/json", field="content-type")
    return user


ApiUserDep = Annotated[CurrentUser, Depends(api_write_guard)]


def get_locale(request: Request) -> str:
    return request_locale(request)


Locale = Annotated[str, Depends(get_locale)]


def get_translations(request: Request, locale: Locale) -> Translations:
    return cast(Translations, request.app.state.translations[locale])


TranslationsDep = Annotated[Translations, Depends(get_translations)]


def get_throttle(request: Request) -> LoginThrottle:
    return cast(LoginThrottle, request.app.state.login_throttle)


ThrottleDep = Annotated[LoginThrottle, Depends(get_throttle)]
