"""The JSON API under /api/v1: parse, call one service, format."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from mortgage_risk.services import portfolio, registry, users
from mortgage_risk.services.portfolio import Line
from mortgage_risk.services.schemas import BorrowerIn, PropertyIn
from mortgage_risk.web.deps import CurrentUserDep, ThrottleDep, UowDep, WriterDep
from mortgage_risk.web.session import end_session, start_session

router = APIRouter(prefix="/api/v1", tags=["v1"])

ErrorResponses: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in"},
    403: {"description": "The role may not do this"},
    422: {"description": 'Invalid input: {"errors": [{"field": ..., "reason": ...}]}'},
}


class Health(BaseModel):
    status: str


class LoginIn(BaseModel):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class SessionOut(BaseModel):
    username: str
    full_name: str
    role: str
    role_zh: str
    role_en: str
    branch_id: int | None


class LineOut(BaseModel):
    """Money as exact decimal strings (CNY), ratios as decimal strings (0.0123 = 1.23%)."""

    key: str
    label_zh: str
    label_en: str
    loans: int
    balance: str
    overdue_balance: str
    npl_balance: str
    overdue_ratio: str
    npl_ratio: str

    @classmethod
    def of(cls, line: Line) -> LineOut:
        return cls(key=line.key, label_zh=line.label_zh, label_en=line.label_en,
                   loans=line.loans, balance=str(line.balance),
                   overdue_balance=str(line.overdue_balance), npl_balance=str(line.npl_balance),
                   overdue_ratio=str(line.overdue_ratio), npl_ratio=str(line.npl_ratio))


class OverviewOut(BaseModel):
    as_of: date | None
    scope_branch: str | None
    total: LineOut
    by_branch: list[LineOut]
    by_property_type: list[LineOut]
    by_category: list[LineOut]


class Created(BaseModel):
    id: int


def _session_out(user: users.CurrentUser) -> SessionOut:
    return SessionOut(username=user.username, full_name=user.full_name, role=user.role.value,
                      role_zh=user.role.label_zh, role_en=user.role.label_en,
                      branch_id=user.branch_id)


@router.get("/health", response_model=Health)
def health() -> Health:
    """Liveness probe; open without login and says nothing about the data."""
    return Health(status="ok")


@router.post("/session", response_model=SessionOut,
             responses={401: {"description": "Wrong username or password"},
                        429: {"description": "Too many failed attempts"}})
def log_in(body: LoginIn, request: Request, uow: UowDep,
           throttle: ThrottleDep) -> SessionOut | JSONResponse:
    """Log in with a username and password; the answer sets the session cookie."""
    if throttle.is_locked(body.username):
        return JSONResponse({"errors": [{"field": "username", "reason":
                             "too many failed attempts; try again in 15 minutes"}]},
                            status_code=429)
    user = users.authenticate(uow, body.username, body.password)
    if user is None:
        throttle.failed(body.username)
        return JSONResponse({"errors": [{"field": "password",
                                         "reason": "wrong username or password"}]},
                            status_code=401)
    throttle.succeeded(body.username)
    start_session(request, user)
    return _session_out(user)


@router.get("/session", response_model=SessionOut, responses=ErrorResponses)
def who_am_i(user: CurrentUserDep) -> SessionOut:
    return _session_out(user)


@router.delete("/session", status_code=204, responses=ErrorResponses)
def log_out(request: Request, user: CurrentUserDep) -> None:
    end_session(request)


@router.get("/portfolio/overview", response_model=OverviewOut, responses=ErrorResponses)
def portfolio_overview(uow: UowDep, user: CurrentUserDep) -> OverviewOut:
    """The active book as this user may see it (a loan officer: only their branch)."""
    ov = portfolio.overview(uow, user)
    return OverviewOut(as_of=ov.as_of, scope_branch=ov.scope_branch, total=LineOut.of(ov.total),
                       by_branch=[LineOut.of(x) for x in ov.by_branch],
                       by_property_type=[LineOut.of(x) for x in ov.by_property_type],
                       by_category=[LineOut.of(x) for x in ov.by_category])


@router.post("/borrowers", response_model=Created, status_code=201, responses=ErrorResponses)
def register_borrower(body: BorrowerIn, uow: UowDep, user: WriterDep) -> Created:
    return Created(id=registry.register_borrower(uow, user, body))


@router.post("/properties", response_model=Created, status_code=201, responses=ErrorResponses)
def register_property(body: PropertyIn, uow: UowDep, user: WriterDep) -> Created:
    return Created(id=registry.register_property(uow, user, body))
