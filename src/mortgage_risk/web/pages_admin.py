"""The administration and supervision pages: users and branches (the administrator), the audit
log with the chain verification (supervisor, administrator, risk manager), each user's API
tokens, and the form kept when a session ended while it was being sent.

Every change goes through one service command (one transaction with its audit record). A
refused form is shown again with each reason beside its field and what was typed kept
(passwords excepted: they are never written back into a page); a done one redirects (303)
with a one-time message. Forms that create something carry a one-time id, so a form sent
twice creates one record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mortgage_risk.domain import BranchKind, Role
from mortgage_risk.services import audit, branches, tokens, users
from mortgage_risk.services.errors import ServiceError
from mortgage_risk.services.forms import InvalidFields, Page, Problem
from mortgage_risk.services.users import CurrentUser
from mortgage_risk.storage.admin import AUDIT_SORTS, BRANCH_SORTS, USER_SORTS
from mortgage_risk.storage.uow import UnitOfWork
from mortgage_risk.web import session
from mortgage_risk.web.deps import (
    AdminDep,
    AuditReaderDep,
    CurrentUserDep,
    Locale,
    TranslationsDep,
    UowDep,
)
from mortgage_risk.web.i18n import is_chinese
from mortgage_risk.web.pages import render
from mortgage_risk.web.security import check_csrf

router = APIRouter(include_in_schema=False)

FLASH_KEY = "flash"
PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 50
Gettext = Callable[[str], str]
FormField = Annotated[str, Form()]
#: Token lifetimes offered on the page, in days ("" = no expiry).
TOKEN_DAYS = ("30", "90", "180", "365", "")


# --- labels and messages --------------------------------------------------------------------


def field_labels(_: Gettext) -> dict[str, str]:
    return {
        "username": _("Username"),
        "full_name": _("Full name"),
        "password": _("Password"),
        "password_confirm": _("Repeat the password"),
        "role": _("Role"),
        "branch_code": _("Branch"),
        "code": _("Branch code"),
        "name_zh": _("Chinese name"),
        "name_en": _("English name"),
        "kind": _("Branch kind"),
        "township": _("Township"),
        "name": _("Token name"),
        "expires_in_days": _("Valid for"),
        "user_id": _("User"),
        "token_id": _("Token"),
        "branch_id": _("Branch"),
        "actor": _("Actor"),
        "action": _("Action"),
        "entity": _("Entity"),
        "entity_id": _("Entity ID"),
        "since": _("From date"),
        "until": _("To date"),
        "sort": _("Sort by"),
        "limit": _("Rows per page"),
        "offset": _("Start"),
    }


def token_status_labels(_: Gettext) -> dict[str, str]:
    return {"active": _("Valid"), "expired": _("Expired"), "revoked": _("Revoked")}


def reason_text(_: Gettext, message: str, params: Mapping[str, object] | None = None) -> str:
    """A service reason in the page's language (the English text is the msgid)."""
    text = _(message)
    return text % dict(params) if params else text


def problems_of(exc: ServiceError) -> list[Problem]:
    if isinstance(exc, InvalidFields):
        return list(exc.problems)
    return [Problem(exc.field or "", exc.reason)]


@dataclass
class FormState:
    """A refused form: which one, its status, its reasons by field and the values typed."""

    name: str
    status: int
    errors: dict[str, str]
    values: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, name: str, exc: ServiceError, _: Gettext, values: dict[str, str],
           chinese: bool) -> FormState:
        errors: dict[str, list[str]] = {}
        for p in problems_of(exc):
            errors.setdefault(p.field, []).append(reason_text(_, p.message, p.params))
        joined = {k: ("；" if chinese else "; ").join(v) for k, v in errors.items()}
        return cls(name, exc.status, joined, values)

    def summary(self, labels: Mapping[str, str]) -> list[tuple[str, str]]:
        return [(labels.get(k, k) if k else "", reason) for k, reason in self.errors.items()]


def _flash(request: Request, message: str) -> None:
    request.session[FLASH_KEY] = message


def _pop_flash(request: Request) -> str | None:
    message = request.session.pop(FLASH_KEY, None)
    return str(message) if message else None


def when(at: datetime | None) -> str:
    """A moment shown in China time to the minute (the union's clock)."""
    if at is None:
        return "—"
    return audit.as_china_time(at).strftime("%Y-%m-%d %H:%M")


def _branch_name(locale: str, zh: str | None, en: str | None) -> str:
    if zh is None:
        return ""
    return zh if is_chinese(locale) else (en or zh)


def _sort_link(base: str, params: Mapping[str, str], column: str, current: str,
               descending: bool) -> str:
    """The header link that sorts by ``column`` (again on the current one: the other way)."""
    flip = column == current and not descending
    query = {**{k: v for k, v in params.items() if v}, "sort": column,
             "dir": "desc" if flip else "asc"}
    return base + "?" + urlencode(query)


def _page_link(base: str, params: Mapping[str, str], page: int) -> str:
    return base + "?" + urlencode({**{k: v for k, v in params.items() if v}, "page": page})


def _common(request: Request, user: CurrentUser, _: Gettext) -> dict[str, Any]:
    return {"user": user, "fields": field_labels(_), "flash": _pop_flash(request)}


# --- users ----------------------------------------------------------------------------------


def _roles(locale: str) -> list[tuple[str, str]]:
    return [(r.value, r.label(locale)) for r in Role]


def _branch_options(uow: UnitOfWork, locale: str) -> list[tuple[str, str]]:
    return [(b.code, f"{b.code} · {_branch_name(locale, b.name_zh, b.name_en)}")
            for b in uow.branches.all()]


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, uow: UowDep, user: AdminDep, locale: Locale,
               translations: TranslationsDep, role: str = "", branch: str = "",
               active: str = "", q: str = "", sort: str = "username", dir: str = "asc",
               page: int = 1) -> Response:
    _ = translations.gettext
    role = role if role in {r.value for r in Role} else ""
    codes = {b.code for b in uow.branches.all()}
    branch = branch if branch in codes or branch == users.NO_BRANCH else ""
    active = active if active in ("yes", "no") else ""
    sort = sort if sort in USER_SORTS else "username"
    descending = dir == "desc"
    page = max(page, 1)
    listing = users.list_users(
        uow, user, role=role or None, branch_code=branch or None,
        active={"yes": True, "no": False}.get(active), text=q[:64], sort=sort,
        descending=descending, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    params = {"role": role, "branch": branch, "active": active, "q": q[:64],
              "sort": sort, "dir": "desc" if descending else "asc"}
    return render(request, "admin_users.html", {
        **_common(request, user, _), "listing": listing, "f": params,
        "roles": _roles(locale), "branches": _branch_options(uow, locale),
        "no_branch": users.NO_BRANCH,
        "sort_link": lambda column: _sort_link("/admin/users", params, column, sort, descending),
        "page_link": lambda n: _page_link("/admin/users", params, n),
        "sorted_by": sort, "descending": descending,
        "branch_name": lambda v: _branch_name(locale, v.branch_name_zh, v.branch_name_en),
        "when": when,
    }, locale)


NEW_USER_DEFAULTS = {"username": "", "full_name": "", "role": Role.LOAN_OFFICER.value,
                     "branch_code": ""}


def _new_user_form(request: Request, uow: UnitOfWork, user: CurrentUser, locale: str,
                   translations: Any, values: dict[str, str],
                   state: FormState | None) -> Response:
    _ = translations.gettext
    return render(request, "admin_user_new.html", {
        **_common(request, user, _), "values": values, "state": state,
        "errors": state.errors if state else {},
        "roles": _roles(locale), "branches": _branch_options(uow, locale),
        "form_id": values.get("form_id") or session.new_form_id(),
        "min_length": users.MIN_PASSWORD_LENGTH,
    }, locale, status_code=state.status if state else 200)


@router.get("/admin/users/new", response_class=HTMLResponse)
def new_user_page(request: Request, uow: UowDep, user: AdminDep, locale: Locale,
                  translations: TranslationsDep) -> Response:
    return _new_user_form(request, uow, user, locale, translations, dict(NEW_USER_DEFAULTS),
                          None)


@router.post("/admin/users/new", response_class=HTMLResponse)
def create_user(request: Request, uow: UowDep, user: AdminDep, locale: Locale,
                translations: TranslationsDep, csrf_token: FormField = "",
                form_id: FormField = "", username: FormField = "", full_name: FormField = "",
                role: FormField = "", branch_code: FormField = "", password: FormField = "",
                password_confirm: FormField = "") -> Response:
    check_csrf(request, csrf_token)
    _ = translations.gettext
    done = session.form_done(request, form_id)
    if done is not None:  # sent twice: the first one created the user
        _flash(request, _("This form was already sent; nothing was saved again."))
        return RedirectResponse(done, status_code=303)
    values = {"username": username, "full_name": full_name, "role": role,
              "branch_code": branch_code, "form_id": form_id}
    try:
        view = users.register_user(uow, user, username=username, full_name=full_name,
                                   password=password, role=role,
                                   branch_code=branch_code or None,
                                   password_confirm=password_confirm)
    except ServiceError as exc:
        uow.rollback()
        state = FormState.of("new", exc, _, values, is_chinese(locale))
        return _new_user_form(request, uow, user, locale, translations, values, state)
    target = f"/admin/users/{view.id}"
    session.mark_form_done(request, form_id, target)
    _flash(request, _("User %(username)s created.") % {"username": view.username})
    return RedirectResponse(target, status_code=303)


def _user_page(request: Request, uow: UnitOfWork, admin: CurrentUser, locale: str,
               translations: Any, user_id: int, state: FormState | None = None) -> Response:
    _ = translations.gettext
    try:
        view = users.get_user(uow, admin, user_id)
    except ServiceError as exc:
        return render(request, "admin_error.html", {
            **_common(request, admin, _), "title": _("User not found"),
            "reason": reason_text(_, exc.reason), "back": "/admin/users",
        }, locale, status_code=exc.status)
    user_tokens = tokens.list_tokens(uow, admin, user_id=view.id, limit=100)

    def val(form: str, name: str, default: str) -> str:
        if state is not None and state.name == form:
            return state.values.get(name, default)
        return default

    def err(form: str, name: str) -> str | None:
        if state is not None and state.name == form:
            return state.errors.get(name)
        return None

    return render(request, "admin_user.html", {
        **_common(request, admin, _), "u": view, "state": state, "val": val, "err": err,
        "roles": _roles(locale), "branches": _branch_options(uow, locale),
        "branch_name": _branch_name(locale, view.branch_name_zh, view.branch_name_en),
        "tokens": user_tokens.items, "token_status": token_status_labels(_),
        "when": when, "is_self": view.id == admin.id,
        "min_length": users.MIN_PASSWORD_LENGTH,
    }, locale, status_code=state.status if state else 200)


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_page(user_id: int, request: Request, uow: UowDep, user: AdminDep, locale: Locale,
              translations: TranslationsDep) -> Response:
    return _user_page(request, uow, user, locale, translations, user_id)


def _user_action(request: Request, uow: UnitOfWork, admin: CurrentUser, locale: str,
                 translations: Any, user_id: int, form: str, values: dict[str, str],
                 action: Callable[[], users.UserView], done: str) -> Response:
    _ = translations.gettext
    try:
        view = action()
    except ServiceError as exc:
        uow.rollback()
        state = FormState.of(form, exc, _, values, is_chinese(locale))
        return _user_page(request, uow, admin, locale, translations, user_id, state)
    _flash(request, done % {"username": view.username})
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.post("/admin/users/{user_id}/role", response_class=HTMLResponse)
def change_role(user_id: int, request: Request, uow: UowDep, user: AdminDep, locale: Locale,
                translations: TranslationsDep, csrf_token: FormField = "",
                role: FormField = "", branch_code: FormField = "") -> Response:
    check_csrf(request, csrf_token)
    return _user_action(
        request, uow, user, locale, translations, user_id, "role",
        {"role": role, "branch_code": branch_code},
        lambda: users.change_role(uow, user, user_id, role=role,
                                  branch_code=branch_code or None),
        translations.gettext("Role and branch of %(username)s saved."))


@router.post("/admin/users/{user_id}/deactivate", response_class=HTMLResponse)
def deactivate_user(user_id: int, request: Request, uow: UowDep, user: AdminDep,
                    locale: Locale, translations: TranslationsDep,
                    csrf_token: FormField = "") -> Response:
    check_csrf(request, csrf_token)
    return _user_action(
        request, uow, user, locale, translations, user_id, "active", {},
        lambda: users.set_active(uow, user, user_id, False),
        translations.gettext("%(username)s is deactivated; their API tokens are revoked."))


@router.post("/admin/users/{user_id}/reactivate", response_class=HTMLResponse)
def reactivate_user(user_id: int, request: Request, uow: UowDep, user: AdminDep,
                    locale: Locale, translations: TranslationsDep,
                    csrf_token: FormField = "") -> Response:
    check_csrf(request, csrf_token)
    return _user_action(
        request, uow, user, locale, translations, user_id, "active", {},
        lambda: users.set_active(uow, user, user_id, True),
        translations.gettext("%(username)s is active again."))


@router.post("/admin/users/{user_id}/password", response_class=HTMLResponse)
def reset_password(user_id: int, request: Request, uow: UowDep, user: AdminDep,
                   locale: Locale, translations: TranslationsDep, csrf_token: FormField = "",
                   password: FormField = "", password_confirm: FormField = "") -> Response:
    check_csrf(request, csrf_token)
    return _user_action(
        request, uow, user, locale, translations, user_id, "password", {},
        lambda: users.reset_password(uow, user, user_id, password,
                                     password_confirm=password_confirm),
        translations.gettext("The password of %(username)s is changed."))


# --- branches -------------------------------------------------------------------------------


def _kinds(locale: str) -> list[tuple[str, str]]:
    return [(k.value, k.label(locale)) for k in BranchKind]


@router.get("/admin/branches", response_class=HTMLResponse)
def branches_page(request: Request, uow: UowDep, user: AdminDep, locale: Locale,
                  translations: TranslationsDep, kind: str = "", q: str = "",
                  sort: str = "code", dir: str = "asc") -> Response:
    _ = translations.gettext
    kind = kind if kind in {k.value for k in BranchKind} else ""
    sort = sort if sort in BRANCH_SORTS else "code"
    descending = dir == "desc"
    rows = branches.list_branches(uow, user, kind=kind or None, text=q[:64], sort=sort,
                                  descending=descending)
    params = {"kind": kind, "q": q[:64], "sort": sort, "dir": "desc" if descending else "asc"}
    return render(request, "admin_branches.html", {
        **_common(request, user, _), "rows": rows, "f": params, "kinds": _kinds(locale),
        "sort_link": lambda c: _sort_link("/admin/branches", params, c, sort, descending),
        "sorted_by": sort, "descending": descending,
    }, locale)


BRANCH_FIELDS = ("code", "name_zh", "name_en", "kind", "township")


def _branch_form(request: Request, user: CurrentUser, locale: str, translations: Any,
                 values: dict[str, str], state: FormState | None,
                 branch: branches.BranchView | None) -> Response:
    _ = translations.gettext
    return render(request, "admin_branch_form.html", {
        **_common(request, user, _), "values": values, "state": state,
        "errors": state.errors if state else {}, "kinds": _kinds(locale), "branch": branch,
        "form_id": values.get("form_id") or session.new_form_id(),
    }, locale, status_code=state.status if state else 200)


@router.get("/admin/branches/new", response_class=HTMLResponse)
def new_branch_page(request: Request, user: AdminDep, locale: Locale,
                    translations: TranslationsDep) -> Response:
    values = dict.fromkeys(BRANCH_FIELDS, "") | {"kind": BranchKind.TOWN.value}
    return _branch_form(request, user, locale, translations, values, None, None)


@router.post("/admin/branches/new", response_class=HTMLResponse)
def create_branch(request: Request, uow: UowDep, user: AdminDep, locale: Locale,
                  translations: TranslationsDep, csrf_token: FormField = "",
                  form_id: FormField = "", code: FormField = "", name_zh: FormField = "",
                  name_en: FormField = "", kind: FormField = "",
                  township: FormField = "") -> Response:
    check_csrf(request, csrf_token)
    _ = translations.gettext
    done = session.form_done(request, form_id)
    if done is not None:
        _flash(request, _("This form was already sent; nothing was saved again."))
        return RedirectResponse(done, status_code=303)
    values = {"code": code, "name_zh": name_zh, "name_en": name_en, "kind": kind,
              "township": township, "form_id": form_id}
    try:
        view = branches.add_branch(uow, user, code=code, name_zh=name_zh, name_en=name_en,
                                   kind=kind, township=township)
    except ServiceError as exc:
        uow.rollback()
        state = FormState.of("branch", exc, _, values, is_chinese(locale))
        return _branch_form(request, user, locale, translations, values, state, None)
    session.mark_form_done(request, form_id, "/admin/branches")
    _flash(request, _("Branch %(code)s created.") % {"code": view.code})
    return RedirectResponse("/admin/branches", status_code=303)


def _branch_or_error(request: Request, uow: UnitOfWork, user: CurrentUser, locale: str,
                     translations: Any, branch_id: int) -> branches.BranchView | Response:
    _ = translations.gettext
    try:
        return branches.get_branch(uow, user, branch_id)
    except ServiceError as exc:
        return render(request, "admin_error.html", {
            **_common(request, user, _), "title": _("Branch not found"),
            "reason": reason_text(_, exc.reason), "back": "/admin/branches",
        }, locale, status_code=exc.status)


@router.get("/admin/branches/{branch_id}", response_class=HTMLResponse)
def branch_page(branch_id: int, request: Request, uow: UowDep, user: AdminDep, locale: Locale,
                translations: TranslationsDep) -> Response:
    found = _branch_or_error(request, uow, user, locale, translations, branch_id)
    if isinstance(found, Response):
        return found
    values = {"code": found.code, "name_zh": found.name_zh, "name_en": found.name_en,
              "kind": found.kind.value, "township": found.township}
    return _branch_form(request, user, locale, translations, values, None, found)


@router.post("/admin/branches/{branch_id}", response_class=HTMLResponse)
def update_branch(branch_id: int, request: Request, uow: UowDep, user: AdminDep,
                  locale: Locale, translations: TranslationsDep, csrf_token: FormField = "",
                  name_zh: FormField = "", name_en: FormField = "", kind: FormField = "",
                  township: FormField = "") -> Response:
    check_csrf(request, csrf_token)
    _ = translations.gettext
    found = _branch_or_error(request, uow, user, locale, translations, branch_id)
    if isinstance(found, Response):
        return found
    values = {"code": found.code, "name_zh": name_zh, "name_en": name_en, "kind": kind,
              "township": township}
    try:
        view = branches.update_branch(uow, user, branch_id, name_zh=name_zh, name_en=name_en,
                                      kind=kind, township=township)
    except ServiceError as exc:
        uow.rollback()
        state = FormState.of("branch", exc, _, values, is_chinese(locale))
        return _branch_form(request, user, locale, translations, values, state, found)
    _flash(request, _("Branch %(code)s saved.") % {"code": view.code})
    return RedirectResponse("/admin/branches", status_code=303)


# --- the audit log --------------------------------------------------------------------------


def _parse_day(raw: str, name: str, problems: list[Problem]) -> date | None:
    if not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        problems.append(Problem(name, "must be a date (YYYY-MM-DD)"))
        return None


def _audit_page(request: Request, uow: UnitOfWork, user: CurrentUser, locale: str,
                translations: Any, params: dict[str, str], page: int,
                report: Any = None) -> Response:
    _ = translations.gettext
    problems: list[Problem] = []
    since = _parse_day(params["since"], "since", problems)
    until = _parse_day(params["until"], "until", problems)
    sort = params["sort"] if params["sort"] in AUDIT_SORTS else "id"
    descending = params["dir"] != "asc"
    params = {**params, "sort": sort, "dir": "desc" if descending else "asc"}
    page = max(page, 1)
    listing: Page[audit.AuditEntry] = Page([], 0, AUDIT_PAGE_SIZE, 0)
    state: FormState | None = None
    try:
        if problems:
            raise InvalidFields(problems)
        listing = audit.search(
            uow, user, actor=params["actor"], action=params["action"],
            entity=params["entity"], entity_id=params["entity_id"], since=since, until=until,
            sort=sort, descending=descending, limit=AUDIT_PAGE_SIZE,
            offset=(page - 1) * AUDIT_PAGE_SIZE)
    except ServiceError as exc:
        state = FormState.of("filter", exc, _, params, is_chinese(locale))
    return render(request, "audit.html", {
        **_common(request, user, _), "listing": listing, "f": params, "state": state,
        "errors": state.errors if state else {}, "choices": audit.filter_values(uow, user),
        "report": report, "when": when,
        "sort_link": lambda c: _sort_link("/audit", params, c, sort, descending),
        "page_link": lambda n: _page_link("/audit", params, n),
        "sorted_by": sort, "descending": descending, "short": audit_value,
        "chain_reason": lambda reason: chain_reason(_, reason),
    }, locale, status_code=state.status if state else 200)


_MISSING = re.compile(r"records (\d+)\.\.(\d+) are missing \(deleted\)")


def chain_reason(_: Gettext, reason: str) -> str:
    """verify_chain's reason in the page's language."""
    missing = _MISSING.fullmatch(reason)
    if missing:
        return _("records %(first)s to %(last)s are missing (deleted)") % {
            "first": missing.group(1), "last": missing.group(2)}
    known = {
        "content changed after it was written": _("content changed after it was written"),
        "previous-hash link does not match the record before it":
            _("previous-hash link does not match the record before it"),
    }
    return known.get(reason, reason)


def audit_value(value: Any, limit: int = 80) -> str:
    """A before/after value in one short line."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                           default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, uow: UowDep, user: AuditReaderDep, locale: Locale,
               translations: TranslationsDep, actor: str = "", action: str = "",
               entity: str = "", entity_id: str = "", since: str = "", until: str = "",
               sort: str = "id", dir: str = "desc", page: int = 1) -> Response:
    params = {"actor": actor[:64], "action": action[:64], "entity": entity[:64],
              "entity_id": entity_id[:64], "since": since[:10], "until": until[:10],
              "sort": sort, "dir": dir}
    return _audit_page(request, uow, user, locale, translations, params, page)


@router.post("/audit/verify", response_class=HTMLResponse)
def verify_chain(request: Request, uow: UowDep, user: AuditReaderDep, locale: Locale,
                 translations: TranslationsDep, csrf_token: FormField = "") -> Response:
    """Walk the chain and show the result above the (unfiltered) log."""
    check_csrf(request, csrf_token)
    report = audit.verify_for(uow, user)
    params = dict.fromkeys(("actor", "action", "entity", "entity_id", "since", "until"), "")
    params |= {"sort": "id", "dir": "desc"}
    return _audit_page(request, uow, user, locale, translations, params, 1, report)


# --- API tokens -----------------------------------------------------------------------------


def _tokens_page(request: Request, uow: UnitOfWork, user: CurrentUser, locale: str,
                 translations: Any, *, values: dict[str, str] | None = None,
                 state: FormState | None = None, created: tokens.NewToken | None = None
                 ) -> Response:
    _ = translations.gettext
    mine = tokens.list_tokens(uow, user, limit=100)
    values = values or {"name": "", "expires_in_days": str(tokens.DEFAULT_DAYS)}
    return render(request, "account_tokens.html", {
        **_common(request, user, _), "tokens": mine.items, "values": values, "state": state,
        "errors": state.errors if state else {}, "created": created,
        "token_status": token_status_labels(_), "when": when,
        "day_choices": TOKEN_DAYS, "form_id": session.new_form_id(),
        "max_live": tokens.MAX_LIVE_TOKENS,
    }, locale, status_code=state.status if state else 200)


@router.get("/account/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
                translations: TranslationsDep) -> Response:
    return _tokens_page(request, uow, user, locale, translations)


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
                 translations: TranslationsDep, csrf_token: FormField = "",
                 form_id: FormField = "", name: FormField = "",
                 expires_in_days: FormField = "") -> Response:
    """Create a token and show its secret in this answer only (it is not kept anywhere)."""
    check_csrf(request, csrf_token)
    _ = translations.gettext
    if session.form_done(request, form_id) is not None:
        _flash(request, _("This token was already created; its secret is shown only once. "
                          "Revoke it and create another if it was not copied."))
        return RedirectResponse("/account/tokens", status_code=303)
    values = {"name": name, "expires_in_days": expires_in_days}
    try:
        days: int | None = None
        if expires_in_days.strip():
            try:
                days = int(expires_in_days)
            except ValueError:
                days = -1  # refused by the service, with the reason
        created = tokens.create_token(uow, user, name=name, expires_in_days=days)
    except ServiceError as exc:
        uow.rollback()
        state = FormState.of("create", exc, _, values, is_chinese(locale))
        return _tokens_page(request, uow, user, locale, translations, values=values,
                            state=state)
    session.mark_form_done(request, form_id, "/account/tokens")
    return _tokens_page(request, uow, user, locale, translations, created=created)


@router.post("/account/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke_token(token_id: int, request: Request, uow: UowDep, user: CurrentUserDep,
                 locale: Locale, translations: TranslationsDep, csrf_token: FormField = "",
                 back: FormField = "") -> Response:
    check_csrf(request, csrf_token)
    _ = translations.gettext
    target = session.safe_next(back) or "/account/tokens"
    try:
        view = tokens.revoke_token(uow, user, token_id)
    except ServiceError as exc:
        uow.rollback()
        _flash(request, reason_text(_, exc.reason))
        return RedirectResponse(target, status_code=303)
    _flash(request, _("Token %(prefix)s… revoked.") % {"prefix": view.prefix})
    return RedirectResponse(target, status_code=303)


# --- a form kept when the session ended -----------------------------------------------------


@router.get("/account/resume", response_class=HTMLResponse)
def resume_form(request: Request, user: CurrentUserDep, locale: Locale,
                translations: TranslationsDep) -> Response:
    """The form that was being sent when the session ended, to check and send again."""
    kept = session.pop_kept_form(request, user.id)
    if kept is None:
        return RedirectResponse("/", status_code=303)
    _ = translations.gettext
    return render(request, "account_resume.html", {
        **_common(request, user, _), "kept": kept,
        "shown": [(n, v) for n, v in kept["values"] if n != "form_id"],
    }, locale)
