"""Users, roles and login; the administrator's commands on user accounts.

Every command runs in the caller's unit of work with its audit record and commits once; a
refused command raises before anything is written. Only the administrator manages accounts;
an administrator may not deactivate themself or change their own role, and the last active
administrator cannot be removed (deactivated or given another role).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from mortgage_risk.domain import Role
from mortgage_risk.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    choice,
)
from mortgage_risk.services.forms import Page, Problem, check_window, refuse
from mortgage_risk.storage.admin import USER_SORTS, UserDirectory
from mortgage_risk.storage.tables import BranchRow, UserRow
from mortgage_risk.storage.tokens import ApiTokenRepository
from mortgage_risk.storage.uow import UnitOfWork

_hasher = PasswordHasher()

#: Roles that see every branch; the others see only their own branch.
UNION_WIDE_ROLES = frozenset({Role.RISK_MANAGER, Role.SUPERVISOR, Role.ADMIN, Role.TRAINER})
#: Roles whose work belongs to one branch: an account with such a role must name its branch
#: (without one, the branch scope would be the whole union).
BRANCH_ROLES = frozenset({Role.LOAN_OFFICER})
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
USERNAME_PATTERN = re.compile(r"[a-z][a-z0-9._-]{2,31}")
MAX_FULL_NAME = 64
#: The branch filter that keeps the union-level accounts (no branch).
NO_BRANCH = "-"

# The reasons, in English; each is also the msgid of its translation on the pages.
PASSWORD_TOO_SHORT = "must have at least %(n)s characters"
PASSWORD_TOO_LONG = "must have at most %(n)s characters"
PASSWORD_TOO_SIMPLE = "must mix at least three of: upper case, lower case, digits, symbols"
PASSWORD_HAS_USERNAME = "must not contain the username"
PASSWORD_MISMATCH = "does not repeat the password"
USERNAME_FORMAT = ("must be 3 to 32 characters: lower-case letters, digits, '.', '_' or '-', "
                   "starting with a letter")
USERNAME_TAKEN = "this username is already taken"
FULL_NAME_REQUIRED = "must not be empty"
FULL_NAME_TOO_LONG = "must have at most %(n)s characters"
BRANCH_UNKNOWN = "no branch with this code"
BRANCH_REQUIRED = "a loan officer must belong to a branch"
ADMIN_ONLY = "only an administrator may manage users and branches"
NOT_YOURSELF_DEACTIVATE = "you may not deactivate your own account"
NOT_YOURSELF_ROLE = "you may not change your own role; ask another administrator"
LAST_ADMIN = "this is the last active administrator; give another user the role first"
USER_UNKNOWN = "no such user"


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    full_name: str
    role: Role
    branch_id: int | None

    @property
    def sees_all_branches(self) -> bool:
        return self.role in UNION_WIDE_ROLES

    def branch_scope(self) -> int | None:
        """The branch this user's queries are limited to; None means all branches."""
        return None if self.sees_all_branches else self.branch_id


@dataclass(frozen=True)
class UserView:
    """A user account as the administration pages and the API show it (never the hash)."""

    id: int
    username: str
    full_name: str
    role: Role
    branch_id: int | None
    branch_code: str | None
    branch_name_zh: str | None
    branch_name_en: str | None
    active: bool
    created_at: datetime


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_problems(password: str, username: str = "") -> list[Problem]:
    """What the password policy finds wrong with ``password`` (nothing: an empty list)."""
    problems: list[Problem] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(Problem("password", PASSWORD_TOO_SHORT, {"n": MIN_PASSWORD_LENGTH}))
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(Problem("password", PASSWORD_TOO_LONG, {"n": MAX_PASSWORD_LENGTH}))
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 3:
        problems.append(Problem("password", PASSWORD_TOO_SIMPLE))
    name = username.strip().lower()
    if name and name in password.lower():
        problems.append(Problem("password", PASSWORD_HAS_USERNAME))
    return problems


def check_password_policy(password: str, username: str = "") -> None:
    """Refuse a password shorter than MIN_PASSWORD_LENGTH, with fewer than three of upper
    case, lower case, digits and symbols, or containing the username."""
    refuse(password_problems(password, username))


def _username_problems(username: str) -> list[Problem]:
    if not USERNAME_PATTERN.fullmatch(username):
        return [Problem("username", USERNAME_FORMAT)]
    return []


def _full_name_problems(full_name: str) -> list[Problem]:
    if not full_name.strip():
        return [Problem("full_name", FULL_NAME_REQUIRED)]
    if len(full_name.strip()) > MAX_FULL_NAME:
        return [Problem("full_name", FULL_NAME_TOO_LONG, {"n": MAX_FULL_NAME})]
    return []


def _branch(uow: UnitOfWork, role: Role | None, branch_code: str | None,
            problems: list[Problem]) -> BranchRow | None:
    """The branch named by ``branch_code`` (blank: none), adding any problem found."""
    code = (branch_code or "").strip()
    if not code:
        if role in BRANCH_ROLES:
            problems.append(Problem("branch_code", BRANCH_REQUIRED))
        return None
    branch = uow.branches.by_code(code)
    if branch is None:
        problems.append(Problem("branch_code", BRANCH_UNKNOWN))
    return branch


def _role(raw: str, problems: list[Problem]) -> Role | None:
    try:
        return choice(Role, raw, "role")
    except InvalidInput as exc:
        problems.append(Problem("role", exc.reason))
        return None


def _confirmation(password: str, password_confirm: str | None) -> list[Problem]:
    if password_confirm is not None and password_confirm != password:
        return [Problem("password_confirm", PASSWORD_MISMATCH)]
    return []


def create_user(
    uow: UnitOfWork,
    *,
    actor: str,
    username: str,
    full_name: str,
    password: str,
    role: str,
    branch_code: str | None,
    password_confirm: str | None = None,
) -> CurrentUser:
    """Add an account and its audit record in the caller's transaction (not committed).

    Every field problem is reported at once (InvalidFields, the first named by ``field``);
    a taken username is a Conflict. ``password_confirm``, when given (a form), must repeat
    the password.
    """
    username = username.strip()
    problems: list[Problem] = []
    role_enum = _role(role, problems)
    problems += password_problems(password, username)
    problems += _confirmation(password, password_confirm)
    problems += _username_problems(username)
    problems += _full_name_problems(full_name)
    branch = _branch(uow, role_enum, branch_code, problems)
    refuse(problems)
    assert role_enum is not None
    if uow.users.by_username(username):
        raise Conflict(USERNAME_TAKEN, field="username")
    row = add_user(
        uow,
        actor=actor,
        username=username,
        full_name=full_name.strip(),
        password_hash=hash_password(password),
        role=role_enum,
        branch_id=branch.id if branch is not None else None,
    )
    return _current(row)


def add_user(
    uow: UnitOfWork,
    *,
    actor: str,
    username: str,
    full_name: str,
    password_hash: str,
    role: Role,
    branch_id: int | None,
) -> UserRow:
    """Store a user row and its audit record (the caller has validated the input)."""
    row = uow.users.add(
        username=username,
        full_name=full_name,
        password_hash=password_hash,
        role=role.value,
        branch_id=branch_id,
    )
    uow.audit.record(
        actor=actor,
        action="create",
        entity="user",
        entity_id=row.id,
        after={
            "username": username,
            "full_name": full_name,
            "role": role.value,
            "branch_id": branch_id,
        },
    )
    return row


def authenticate(uow: UnitOfWork, username: str, password: str) -> CurrentUser | None:
    """The user if the password matches an active account, else None."""
    row = uow.users.by_username(username)
    if row is None or not row.active:
        _hasher.hash(password)  # spend the same time as a real check
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return _current(row)


def load_user(uow: UnitOfWork, user_id: int) -> CurrentUser | None:
    row = uow.users.get(user_id)
    return _current(row) if row is not None and row.active else None


def _current(row: UserRow) -> CurrentUser:
    return CurrentUser(
        id=row.id,
        username=row.username,
        full_name=row.full_name,
        role=Role(row.role),
        branch_id=row.branch_id,
    )


def require_role(user: CurrentUser, *roles: Role) -> None:
    """Refuse the command unless ``user`` holds one of ``roles``."""
    if user.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise PermissionDenied(f"needs the role {allowed}; you are {user.role.value}")


# --- the administrator's commands -----------------------------------------------------------


def require_admin(user: CurrentUser) -> None:
    if user.role is not Role.ADMIN:
        raise PermissionDenied(ADMIN_ONLY, field="role")


def _view(row: UserRow, branch: BranchRow | None) -> UserView:
    return UserView(
        id=row.id, username=row.username, full_name=row.full_name, role=Role(row.role),
        branch_id=row.branch_id,
        branch_code=branch.code if branch is not None else None,
        branch_name_zh=branch.name_zh if branch is not None else None,
        branch_name_en=branch.name_en if branch is not None else None,
        active=row.active,
        created_at=row.created_at if row.created_at.tzinfo is not None
        else row.created_at.replace(tzinfo=UTC),  # SQLite gives back naive UTC
    )


def _view_of(uow: UnitOfWork, row: UserRow) -> UserView:
    branch = uow.branches.get(row.branch_id) if row.branch_id is not None else None
    return _view(row, branch)


def _target(uow: UnitOfWork, user_id: int, *, lock: bool = False) -> UserRow:
    row = UserDirectory(uow.session).get_for_update(user_id) if lock else uow.users.get(user_id)
    if row is None:
        raise NotFound(USER_UNKNOWN, field="user_id")
    return row


def _keeps_an_admin(uow: UnitOfWork, row: UserRow) -> None:
    """Refuse removing ``row`` from the active administrators if it is the last one."""
    if row.role != Role.ADMIN.value or not row.active:
        return
    admins = UserDirectory(uow.session).active_admin_ids(Role.ADMIN.value)
    if admins == [row.id]:
        raise Conflict(LAST_ADMIN, field="user_id")


def register_user(uow: UnitOfWork, admin: CurrentUser, *, username: str, full_name: str,
                  password: str, role: str, branch_code: str | None,
                  password_confirm: str | None = None) -> UserView:
    """The administrator creates an account (password policy enforced)."""
    require_admin(admin)
    user = create_user(uow, actor=admin.username, username=username, full_name=full_name,
                       password=password, role=role, branch_code=branch_code,
                       password_confirm=password_confirm)
    view = _view_of(uow, _target(uow, user.id))
    uow.commit()
    return view


def get_user(uow: UnitOfWork, admin: CurrentUser, user_id: int) -> UserView:
    require_admin(admin)
    return _view_of(uow, _target(uow, user_id))


def list_users(uow: UnitOfWork, admin: CurrentUser, *, role: str | None = None,
               branch_code: str | None = None, active: bool | None = None,
               text: str | None = None, sort: str = "username", descending: bool = False,
               limit: int = 50, offset: int = 0) -> Page[UserView]:
    """One page of the accounts, filtered by role, branch, active and a text in the username
    or name, sorted by one of USER_SORTS; the branch code NO_BRANCH keeps the union-level
    accounts (no branch)."""
    require_admin(admin)
    check_window(limit, offset)
    problems: list[Problem] = []
    role_enum = _role(role, problems) if role else None
    branch_id: int | None = None
    no_branch = branch_code == NO_BRANCH
    if branch_code and not no_branch:
        branch = uow.branches.by_code(branch_code)
        if branch is None:
            problems.append(Problem("branch_code", BRANCH_UNKNOWN))
        else:
            branch_id = branch.id
    if sort not in USER_SORTS:
        problems.append(Problem("sort", "must be one of: %(allowed)s",
                                {"allowed": ", ".join(USER_SORTS)}))
    refuse(problems)
    total, rows = UserDirectory(uow.session).listing(
        role=role_enum.value if role_enum else None, branch_id=branch_id, no_branch=no_branch,
        active=active, text=(text or "").strip() or None, sort=sort, descending=descending,
        limit=limit, offset=offset)
    return Page([_view(user, branch) for user, branch in rows], total, limit, offset)


def change_role(uow: UnitOfWork, admin: CurrentUser, user_id: int, *, role: str,
                branch_code: str | None) -> UserView:
    """Give a user another role and/or branch."""
    require_admin(admin)
    row = _target(uow, user_id, lock=True)
    problems: list[Problem] = []
    role_enum = _role(role, problems)
    branch = _branch(uow, role_enum, branch_code, problems)
    refuse(problems)
    assert role_enum is not None
    branch_id = branch.id if branch is not None else None
    if row.role == role_enum.value and row.branch_id == branch_id:
        return _view_of(uow, row)  # nothing to change: nothing written
    if row.id == admin.id and row.role != role_enum.value:
        raise PermissionDenied(NOT_YOURSELF_ROLE, field="role")
    if role_enum is not Role.ADMIN:
        _keeps_an_admin(uow, row)
    before = {"role": row.role, "branch_id": row.branch_id}
    row.role, row.branch_id = role_enum.value, branch_id
    uow.session.flush()
    uow.audit.record(actor=admin.username, action="change_role", entity="user",
                     entity_id=row.id, before=before,
                     after={"role": row.role, "branch_id": row.branch_id})
    view = _view_of(uow, row)
    uow.commit()
    return view


def set_active(uow: UnitOfWork, admin: CurrentUser, user_id: int, active: bool) -> UserView:
    """Deactivate (the user can no longer log in; their API tokens are revoked) or
    reactivate an account."""
    require_admin(admin)
    row = _target(uow, user_id, lock=True)
    if row.active == active:
        return _view_of(uow, row)  # already so: nothing written
    after: dict[str, object] = {"active": active}
    if not active:
        if row.id == admin.id:
            raise PermissionDenied(NOT_YOURSELF_DEACTIVATE, field="user_id")
        _keeps_an_admin(uow, row)
        now = datetime.now(UTC)
        revoked = ApiTokenRepository(uow.session).live_for_user(row.id, now)
        for token in revoked:
            token.revoked_at = now
        after["tokens_revoked"] = [t.id for t in revoked]
    row.active = active
    uow.session.flush()
    uow.audit.record(actor=admin.username, action="activate" if active else "deactivate",
                     entity="user", entity_id=row.id, before={"active": not active},
                     after=after)
    view = _view_of(uow, row)
    uow.commit()
    return view


def reset_password(uow: UnitOfWork, admin: CurrentUser, user_id: int, password: str,
                   password_confirm: str | None = None) -> UserView:
    """Set a new password for a user (the policy applies; the audit record holds no hash)."""
    require_admin(admin)
    row = _target(uow, user_id, lock=True)
    refuse(password_problems(password, row.username) + _confirmation(password, password_confirm))
    row.password_hash = hash_password(password)
    uow.session.flush()
    uow.audit.record(actor=admin.username, action="reset_password", entity="user",
                     entity_id=row.id, after={"password": "changed"})
    view = _view_of(uow, row)
    uow.commit()
    return view
