"""The HTML pages: login, logout, language switch and the portfolio overview."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mortgage_risk.services import portfolio, users
from mortgage_risk.services.portfolio import Line, Overview
from mortgage_risk.web.deps import (
    CurrentUserDep,
    Locale,
    ThrottleDep,
    TranslationsDep,
    UowDep,
)
from mortgage_risk.web.i18n import SHORT_CODES, is_chinese
from mortgage_risk.web.security import check_csrf
from mortgage_risk.web.session import (
    after_login,
    end_session,
    has_kept_form,
    pop_expired,
    safe_next,
    start_session,
)

router = APIRouter(include_in_schema=False)


def render(request: Request, name: str, context: dict[str, Any], locale: str,
           status_code: int = 200) -> HTMLResponse:
    templates = request.app.state.templates[locale]
    response: HTMLResponse = templates.TemplateResponse(request, name, context,
                                                        status_code=status_code)
    return response


def _safe_back(request: Request) -> str:
    """Where to return after switching language: a path on this site, else the home page."""
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.url.netloc:
        return "/"
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//") or path.startswith("/lang/"):
        return "/"
    return path + (f"?{parts.query}" if parts.query else "")


@router.get("/lang/{code}")
def switch_language(code: str, request: Request) -> Response:
    locale = SHORT_CODES.get(code)
    if locale is not None:
        request.session["locale"] = locale
    return RedirectResponse(_safe_back(request), status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, locale: Locale, next: str = "") -> Response:
    return render(request, "login.html", {"error": None, "username": "",
                                          "next": safe_next(next) or "",
                                          "expired": pop_expired(request),
                                          "kept_form": has_kept_form(request)}, locale)


@router.post("/login", response_class=HTMLResponse)
def log_in(request: Request, uow: UowDep, throttle: ThrottleDep, locale: Locale,
           translations: TranslationsDep, username: Annotated[str, Form()] = "",
           password: Annotated[str, Form()] = "",
           csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    _ = translations.gettext
    username = username.strip()
    back = {"username": username, "next": safe_next(next) or "", "expired": False,
            "kept_form": False}
    if throttle.is_locked(username):
        error = _("Too many failed attempts. Try again in 15 minutes.")
        return render(request, "login.html", {"error": error, **back}, locale, status_code=429)
    user = users.authenticate(uow, username, password) if username and password else None
    if user is None:
        if username:
            throttle.failed(username)
        error = _("Wrong username or password.")
        return render(request, "login.html", {"error": error, **back}, locale, status_code=401)
    throttle.succeeded(username)
    start_session(request, user)
    return RedirectResponse(after_login(request, next), status_code=303)


@router.post("/logout")
def log_out(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    end_session(request)
    return RedirectResponse("/login", status_code=303)


def _label(line: Line, locale: str) -> str:
    return line.label_zh if is_chinese(locale) else line.label_en


def chart_data(ov: Overview, locale: str, gettext: Any) -> dict[str, Any]:
    """The figures for the two bar charts; floats are for plotting only."""

    def chart(lines: list[Line], title: str) -> dict[str, Any]:
        labels = [_label(x, locale) for x in lines]
        return {
            "title": title,
            "traces": [
                {"type": "bar", "name": gettext("Balance"), "x": labels,
                 "y": [float(x.balance) for x in lines]},
                {"type": "bar", "name": gettext("Overdue balance"), "x": labels,
                 "y": [float(x.overdue_balance) for x in lines]},
            ],
            "yaxis_title": gettext("Yuan"),
        }

    return {
        "by_branch": chart(ov.by_branch, gettext("Balance and overdue balance by branch")),
        "by_property_type": chart(ov.by_property_type,
                                  gettext("Balance and overdue balance by property type")),
    }


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
                  translations: TranslationsDep) -> Response:
    ov = portfolio.overview(uow, user)
    scope = None
    if ov.scope_branch is not None:
        branch = next((b for b in ov.by_branch), None)
        scope = _label(branch, locale) if branch is not None else ov.scope_branch
    return render(request, "overview.html", {
        "user": user, "ov": ov, "scope": scope,
        "label": lambda line: _label(line, locale),
        "charts": chart_data(ov, locale, translations.gettext),
    }, locale)


docs_router = APIRouter(include_in_schema=False)


@docs_router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request, locale: Locale) -> Response:
    """A plain, self-hosted list of the API's operations, drawn from the OpenAPI schema."""
    schema = request.app.openapi()
    operations = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            body = (op.get("requestBody", {}).get("content", {}).get("application/json", {})
                    .get("schema", {}).get("$ref", ""))
            operations.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "description": op.get("description", ""), "body": body.rsplit("/", 1)[-1],
                "responses": sorted(op.get("responses", {})),
            })
    schemas = schema.get("components", {}).get("schemas", {})
    return render(request, "api_docs.html", {"operations": operations, "schemas": schemas,
                                             "openapi_url": request.app.openapi_url}, locale)
