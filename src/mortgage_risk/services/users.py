"""Users, roles and login."""

from __future__ import annotations

from dataclasses import dataclass

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
from mortgage_risk.storage.tables import UserRow
from mortgage_risk.storage.uow import UnitOfWork

_hasher = PasswordHasher()

#: Roles that see every branch; the others see only their own branch.
UNION_WIDE_ROLES = frozenset({Role.RISK_MANAGER, Role.SUPERVISOR, Role.ADMIN, Role.TRAINER})
MIN_PASSWORD_LENGTH = 10


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


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_policy(password: str) -> None:
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if len(password) < MIN_PASSWORD_LENGTH or classes < 3:
        raise InvalidInput(
            f"must have at least {MIN_PASSWORD_LENGTH} characters and three of: lower case, "
            "upper case, digits, symbols",
            field="password",
        )


def create_user(
    uow: UnitOfWork,
    *,
    actor: str,
    username: str,
    full_name: str,
    password: str,
    role: str,
    branch_code: str | None,
) -> CurrentUser:
    role_enum = choice(Role, role, "role")
    check_password_policy(password)
    if uow.users.by_username(username):
        raise Conflict(f"user {username!r} already exists", field="username")
    branch_id = None
    if branch_code:
        branch = uow.branches.by_code(branch_code)
        if branch is None:
            raise NotFound(f"no branch {branch_code!r}", field="branch_code")
        branch_id = branch.id
    row = add_user(
        uow,
        actor=actor,
        username=username,
        full_name=full_name,
        password_hash=hash_password(password),
        role=role_enum,
        branch_id=branch_id,
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
