"""Exception handlers: one error body for the API, redirects and plain pages for the browser.

API error bodies always read ``{"errors": [{"field": ..., "reason": ...}]}``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from mortgage_risk.services.errors import ServiceError
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


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        if _is_api(request):
            return JSONResponse(error_body(None, "login required"), status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> Response:
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
        return await http_exception_handler(request, exc)
