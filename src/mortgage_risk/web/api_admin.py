"""/api/v1 for what the administration, audit and token pages offer: users and branches (the
administrator), the audit log and its chain verification (supervisor, administrator, risk
manager) and API tokens (each user their own; the administrator anyone's).

Every request may authenticate with the session cookie or an API token (``Authorization:
Bearer <token>``). A write with the session cookie must be sent as JSON (``Content-Type:
application/json``), which a page on another site cannot do; a write with a token carries no
cookie to abuse. Listings are paged with ``limit`` and ``offset`` and say the ``total``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from mortgage_risk.services import audit, branches, tokens, users
from mortgage_risk.web.deps import ApiUserDep, UowDep, authenticated_by_token

router = APIRouter(prefix="/api/v1", tags=["administration and audit"])

Limit = Annotated[int, Query(ge=1, le=500, description="Rows in this page (1-500)")]
Offset = Annotated[int, Query(ge=0, description="Rows skipped before this page")]
Order = Literal["asc", "desc"]

Errors: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in, or the API token is not valid"},
    403: {"description": 'The role may not do this: {"errors": [{"field": "role", ...}]}'},
    404: {"description": "Not found"},
    409: {"description": "Conflicts with the data (a taken name, the last administrator)"},
    422: {"description": 'Invalid input, every field named: {"errors": [{"field": ..., '
                         '"reason": ...}, ...]}'},
}


# --- bodies ---------------------------------------------------------------------------------


class UserOut(BaseModel):
    id: int
    username: str
    full_name: str
    role: str
    role_zh: str
    role_en: str
    branch_code: str | None
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, v: users.UserView) -> UserOut:
        return cls(id=v.id, username=v.username, full_name=v.full_name, role=v.role.value,
                   role_zh=v.role.label_zh, role_en=v.role.label_en,
                   branch_code=v.branch_code, active=v.active, created_at=v.created_at)


class UserPage(BaseModel):
    items: list[UserOut]
    total: int
    limit: int
    offset: int


class NewUserIn(BaseModel):
    username: str
    full_name: str
    password: str = Field(description="At least 10 characters, three of upper case, lower "
                                      "case, digits and symbols, not containing the username")
    role: str
    branch_code: str | None = Field(default=None, description="None: the union level")


class RoleIn(BaseModel):
    role: str
    branch_code: str | None = None


class PasswordIn(BaseModel):
    password: str


class BranchOut(BaseModel):
    id: int
    code: str
    name_zh: str
    name_en: str
    kind: str
    township: str
    users: int

    @classmethod
    def of(cls, v: branches.BranchView) -> BranchOut:
        return cls(id=v.id, code=v.code, name_zh=v.name_zh, name_en=v.name_en,
                   kind=v.kind.value, township=v.township, users=v.users)


class BranchIn(BaseModel):
    code: str
    name_zh: str
    name_en: str
    kind: str
    township: str


class BranchUpdateIn(BaseModel):
    name_zh: str
    name_en: str
    kind: str
    township: str


class ChangeOut(BaseModel):
    key: str
    before: Any
    after: Any


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: Any
    after: Any
    changes: list[ChangeOut]

    @classmethod
    def of(cls, e: audit.AuditEntry) -> AuditOut:
        return cls(id=e.id, at=e.at, actor=e.actor, action=e.action, entity=e.entity,
                   entity_id=e.entity_id, before=e.before, after=e.after,
                   changes=[ChangeOut(key=c.key, before=c.before, after=c.after)
                            for c in e.changes])


class AuditPage(BaseModel):
    items: list[AuditOut]
    total: int
    limit: int
    offset: int


class ChainBreakOut(BaseModel):
    record_id: int
    reason: str


class ChainOut(BaseModel):
    records: int
    intact: bool
    first_break: ChainBreakOut | None


class TokenOut(BaseModel):
    id: int
    user_id: int
    username: str
    name: str
    prefix: str
    status: Literal["active", "expired", "revoked"]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, t: tokens.TokenView) -> TokenOut:
        return cls(id=t.id, user_id=t.user_id, username=t.username, name=t.name,
                   prefix=t.prefix, status=t.status,
                   created_at=t.created_at, last_used_at=t.last_used_at,
                   expires_at=t.expires_at, revoked_at=t.revoked_at)


class TokenPage(BaseModel):
    items: list[TokenOut]
    total: int
    limit: int
    offset: int


class TokenIn(BaseModel):
    name: str
    expires_in_days: int | None = Field(default=tokens.DEFAULT_DAYS,
                                        description="1-365; null: the token does not expire")


class NewTokenOut(BaseModel):
    token: TokenOut
    secret: str = Field(description="Shown only in this answer; send it as "
                                    "Authorization: Bearer <secret>")


# --- users ----------------------------------------------------------------------------------


@router.get("/admin/users", response_model=UserPage, responses=Errors)
def list_users(uow: UowDep, user: ApiUserDep, role: str | None = None,
               branch_code: Annotated[str | None, Query(
                   description='A branch code, or "-" for the union level')] = None,
               active: bool | None = None, q: str | None = None,
               sort: Annotated[str, Query(description="username, full_name, role, branch, "
                                                      "created_at or active")] = "username",
               order: Order = "asc", limit: Limit = 50, offset: Offset = 0) -> UserPage:
    """The accounts, filtered, sorted and paged (administrator)."""
    page = users.list_users(uow, user, role=role, branch_code=branch_code, active=active,
                            text=q, sort=sort, descending=order == "desc", limit=limit,
                            offset=offset)
    return UserPage(items=[UserOut.of(v) for v in page.items], total=page.total,
                    limit=page.limit, offset=page.offset)


@router.post("/admin/users", response_model=UserOut, status_code=201, responses=Errors)
def create_user(body: NewUserIn, uow: UowDep, user: ApiUserDep) -> UserOut:
    """Create an account (administrator); the password policy applies."""
    return UserOut.of(users.register_user(
        uow, user, username=body.username, full_name=body.full_name, password=body.password,
        role=body.role, branch_code=body.branch_code))


@router.get("/admin/users/{user_id}", response_model=UserOut, responses=Errors)
def get_user(user_id: int, uow: UowDep, user: ApiUserDep) -> UserOut:
    return UserOut.of(users.get_user(uow, user, user_id))


@router.put("/admin/users/{user_id}/role", response_model=UserOut, responses=Errors)
def change_role(user_id: int, body: RoleIn, uow: UowDep, user: ApiUserDep) -> UserOut:
    """Change a user's role and branch; not your own role, and not away from the last
    active administrator."""
    return UserOut.of(users.change_role(uow, user, user_id, role=body.role,
                                        branch_code=body.branch_code))


@router.post("/admin/users/{user_id}/deactivate", response_model=UserOut, responses=Errors)
def deactivate_user(user_id: int, uow: UowDep, user: ApiUserDep) -> UserOut:
    """Deactivate an account and revoke its API tokens; not yourself, not the last active
    administrator."""
    return UserOut.of(users.set_active(uow, user, user_id, False))


@router.post("/admin/users/{user_id}/reactivate", response_model=UserOut, responses=Errors)
def reactivate_user(user_id: int, uow: UowDep, user: ApiUserDep) -> UserOut:
    return UserOut.of(users.set_active(uow, user, user_id, True))


@router.put("/admin/users/{user_id}/password", response_model=UserOut, responses=Errors)
def reset_password(user_id: int, body: PasswordIn, uow: UowDep, user: ApiUserDep) -> UserOut:
    """Set a user's password (administrator); the password policy applies."""
    return UserOut.of(users.reset_password(uow, user, user_id, body.password))


# --- branches -------------------------------------------------------------------------------


@router.get("/admin/branches", response_model=list[BranchOut], responses=Errors)
def list_branches(uow: UowDep, user: ApiUserDep, kind: str | None = None,
                  q: str | None = None,
                  sort: Annotated[str, Query(description="code, name_zh, name_en, kind or "
                                                         "township")] = "code",
                  order: Order = "asc") -> list[BranchOut]:
    """Every branch with its number of users (administrator)."""
    return [BranchOut.of(b) for b in branches.list_branches(
        uow, user, kind=kind, text=q, sort=sort, descending=order == "desc")]


@router.post("/admin/branches", response_model=BranchOut, status_code=201, responses=Errors)
def create_branch(body: BranchIn, uow: UowDep, user: ApiUserDep) -> BranchOut:
    return BranchOut.of(branches.add_branch(uow, user, code=body.code, name_zh=body.name_zh,
                                            name_en=body.name_en, kind=body.kind,
                                            township=body.township))


@router.get("/admin/branches/{branch_id}", response_model=BranchOut, responses=Errors)
def get_branch(branch_id: int, uow: UowDep, user: ApiUserDep) -> BranchOut:
    return BranchOut.of(branches.get_branch(uow, user, branch_id))


@router.put("/admin/branches/{branch_id}", response_model=BranchOut, responses=Errors)
def update_branch(branch_id: int, body: BranchUpdateIn, uow: UowDep,
                  user: ApiUserDep) -> BranchOut:
    """Edit a branch's names, kind and township (its code never changes)."""
    return BranchOut.of(branches.update_branch(uow, user, branch_id, name_zh=body.name_zh,
                                               name_en=body.name_en, kind=body.kind,
                                               township=body.township))


# --- the audit log --------------------------------------------------------------------------


@router.get("/audit", response_model=AuditPage, responses=Errors)
def search_audit(uow: UowDep, user: ApiUserDep, actor: str | None = None,
                 action: str | None = None, entity: str | None = None,
                 entity_id: str | None = None,
                 since: Annotated[date | None, Query(description="China date, included")] = None,
                 until: Annotated[date | None, Query(description="China date, included")] = None,
                 sort: Literal["id", "at"] = "id", order: Order = "desc", limit: Limit = 50,
                 offset: Offset = 0) -> AuditPage:
    """Audit records matching every filter given, newest first by default; resident ID
    numbers masked (supervisor, administrator, risk manager)."""
    page = audit.search(uow, user, actor=actor, action=action, entity=entity,
                        entity_id=entity_id, since=since, until=until, sort=sort,
                        descending=order == "desc", limit=limit, offset=offset)
    return AuditPage(items=[AuditOut.of(e) for e in page.items], total=page.total,
                     limit=page.limit, offset=page.offset)


@router.post("/audit/verify", response_model=ChainOut, responses=Errors)
def verify_audit_chain(uow: UowDep, user: ApiUserDep) -> ChainOut:
    """Walk the chain from the first record; name the first whose content, link or number
    does not hold. Writes nothing."""
    report = audit.verify_for(uow, user)
    brk = report.first_break
    return ChainOut(records=report.records, intact=report.intact,
                    first_break=ChainBreakOut(record_id=brk.record_id, reason=brk.reason)
                    if brk is not None else None)


# --- API tokens -----------------------------------------------------------------------------


@router.get("/account/tokens", response_model=TokenPage, responses=Errors)
def my_tokens(uow: UowDep, user: ApiUserDep, live: bool = False, limit: Limit = 100,
              offset: Offset = 0) -> TokenPage:
    """Your tokens, newest first (never their secrets)."""
    page = tokens.list_tokens(uow, user, live_only=live, limit=limit, offset=offset)
    return TokenPage(items=[TokenOut.of(t) for t in page.items], total=page.total,
                     limit=page.limit, offset=page.offset)


@router.post("/account/tokens", response_model=NewTokenOut, status_code=201, responses=Errors)
def create_token(body: TokenIn, request: Request, uow: UowDep, user: ApiUserDep) -> NewTokenOut:
    """Create a token for yourself; the secret is in this answer only. Not with a token."""
    created = tokens.create_token(uow, user, name=body.name,
                                  expires_in_days=body.expires_in_days,
                                  with_token=authenticated_by_token(request))
    return NewTokenOut(token=TokenOut.of(created.token), secret=created.secret)


@router.delete("/account/tokens/{token_id}", response_model=TokenOut, responses=Errors)
def revoke_token(token_id: int, uow: UowDep, user: ApiUserDep) -> TokenOut:
    """Revoke one of your tokens (the administrator: anyone's); it stops working at once."""
    return TokenOut.of(tokens.revoke_token(uow, user, token_id))


@router.get("/admin/tokens", response_model=TokenPage, responses=Errors)
def all_tokens(uow: UowDep, user: ApiUserDep, user_id: int | None = None, live: bool = False,
               limit: Limit = 100, offset: Offset = 0) -> TokenPage:
    """Everyone's tokens, or one user's (administrator)."""
    page = tokens.list_tokens(uow, user, everyone=user_id is None, user_id=user_id,
                              live_only=live, limit=limit, offset=offset)
    return TokenPage(items=[TokenOut.of(t) for t in page.items], total=page.total,
                     limit=page.limit, offset=page.offset)
