"""Request dependencies as reusable ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, cast

from babel.support import Translations
from fastapi import Depends, Request

from mortgage_risk.domain import Role
from mortgage_risk.services.errors import PermissionDenied
from mortgage_risk.services.users import CurrentUser, load_user
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.uow import UnitOfWork
from mortgage_risk.web.i18n import request_locale
from mortgage_risk.web.security import LoginThrottle

SESSION_USER_KEY = "user_id"

#: Roles that may register borrowers and collateral; the others (supervisor ...) read only.
WRITE_ROLES = frozenset({Role.LOAN_OFFICER, Role.RISK_MANAGER, Role.ADMIN})


class LoginRequired(Exception):
    """No valid login in the session: pages redirect to /login, the API answers 401."""


def get_database(request: Request) -> Database:
    return cast(Database, request.app.state.database)


def get_uow(database: Annotated[Database, Depends(get_database)]) -> Iterator[UnitOfWork]:
    with database.uow() as uow:
        yield uow


UowDep = Annotated[UnitOfWork, Depends(get_uow)]


def get_current_user(request: Request, uow: UowDep) -> CurrentUser:
    user_id = request.session.get(SESSION_USER_KEY)
    if not isinstance(user_id, int):
        raise LoginRequired
    user = load_user(uow, user_id)
    if user is None:  # deactivated or deleted since login
        request.session.pop(SESSION_USER_KEY, None)
        raise LoginRequired
    return user


CurrentUserDep = Annotated[CurrentUser, Depends(get_current_user)]


def get_writer(user: CurrentUserDep) -> CurrentUser:
    """The current user, if their role may register borrowers and collateral."""
    if user.role not in WRITE_ROLES:
        raise PermissionDenied(f"the role {user.role.value} may not register records",
                               field="role")
    return user


WriterDep = Annotated[CurrentUser, Depends(get_writer)]


def get_locale(request: Request) -> str:
    return request_locale(request)


Locale = Annotated[str, Depends(get_locale)]


def get_translations(request: Request, locale: Locale) -> Translations:
    return cast(Translations, request.app.state.translations[locale])


TranslationsDep = Annotated[Translations, Depends(get_translations)]


def get_throttle(request: Request) -> LoginThrottle:
    return cast(LoginThrottle, request.app.state.login_throttle)


ThrottleDep = Annotated[LoginThrottle, Depends(get_throttle)]
