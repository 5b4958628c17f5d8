"""Exception handlers: one error body for the API, redirects and plain pages for the browser.

API error bodies always read ``{"errors": [{"field": ..., "reason": ...}]}``. A page that the
user's role may not open answers 403 with a page saying so (in the user's language).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from mortgage_risk.services.errors import PermissionDenied, ServiceError
from mortgage_risk.services.forms import InvalidFields
from mortgage_risk.web import session
from mortgage_risk.web.deps import LoginRequired
from mortgage_risk.web.i18n import request_locale
from mortgage_risk.web.security import CsrfError

API_PREFIX = "/api"
_FIELD_PREFIX = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*): (.+)$", re.DOTALL)


def error_body(field: str | None, reason: str) -> dict[str, list[dict[str, str | None]]]:
    return {"errors": [{"field": field, "reason": reason}]}


def validation_errors(errors: Sequence[Any]) -> list[dict[str, str | None]]:
    """pydantic errors as (field, reason) pairs.

    The field is the last location item that is not "body" (list indexes skipped); a
    model-level error whose message reads "field: reason" is split into the two.
    """
    out: list[dict[str, str | None]] = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p != "body" and not isinstance(p, int)]
        reason = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        field = loc[-1] if loc else None
        match = _FIELD_PREFIX.match(reason)
        if match:
            if field is None:
                field = match.group(1)
            reason = match.group(2)
        out.append({"field": field or "body", "reason": reason})
    return out


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def forbidden_page(request: Request, reason: str | None) -> Response:
    """The 403 page: what was refused and why, with the way back."""
    locale = request_locale(request)
    templates = request.app.state.templates[locale]
    gettext = request.app.state.translations[locale].gettext
    user = getattr(request.state, "user", None)
    response: Response = templates.TemplateResponse(request, "forbidden.html", {
        "user": user, "reason": gettext(reason) if reason else None,
    }, status_code=403)
    return response


async def _keep_form(request: Request, user_id: int) -> bool:
    """Keep the fields of a form sent after the session ended, for after the login."""
    try:
        form = await request.form()
    except Exception:  # the body was not a form, or could not be read again
        return False
    return session.keep_form(request, user_id, request.url.path, form.multi_items(),
                             _referer_path(request))


def _referer_path(request: Request) -> str | None:
    referer = request.headers.get("referer", "")
    if not referer:
        return None
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.url.netloc:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        if _is_api(request):
            return JSONResponse(error_body(None, exc.reason), status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        if exc.expired_user is None:  # never logged in (or logged out): the login page
            return RedirectResponse("/login", status_code=303)
        if request.method in ("GET", "HEAD"):  # the session timed out: back here after login
            next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(session.login_url(next_path), status_code=303)
        # A form sent as the session timed out: its fields wait for that user, and the login
        # leads back to the page the form came from.
        await _keep_form(request, exc.expired_user)
        return RedirectResponse(session.login_url(_referer_path(request)), status_code=303)

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> Response:
        if isinstance(exc, PermissionDenied) and not _is_api(request):
            return forbidden_page(request, exc.reason)
        if isinstance(exc, InvalidFields):
            return JSONResponse({"errors": [{"field": p.field, "reason": p.reason}
                                            for p in exc.problems]}, status_code=exc.status)
        return JSONResponse(error_body(exc.field, exc.reason), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        return JSONResponse({"errors": validation_errors(exc.errors())}, status_code=422)

    @app.exception_handler(CsrfError)
    async def _csrf_error(request: Request, exc: CsrfError) -> Response:
        gettext = request.app.state.translations[request_locale(request)].gettext
        message = gettext("The form has expired or was not sent from this site. "
                          "Go back, reload the page and try again.")
        if _is_api(request):
            return JSONResponse(error_body("csrf_token", message), status_code=403)
        return PlainTextResponse(message, status_code=403)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            return JSONResponse(error_body(None, str(exc.detail)), status_code=exc.status_code,
                                headers=getattr(exc, "headers", None))
        if exc.status_code == 403:
            return forbidden_page(request, None)
        return await http_exception_handler(request, exc)
