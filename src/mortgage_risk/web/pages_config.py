"""Rule sets, parameter tables and scorecard models with their versions and approval: the risk
department's configuration pages. Reading is open to the union-wide roles; every change goes
through the services (roles, maker-checker, validation, audit)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mortgage_risk.domain import Role
from mortgage_risk.services import models, parameters, rules
from mortgage_risk.services.errors import PermissionDenied, ServiceError
from mortgage_risk.services.users import CurrentUser
from mortgage_risk.storage.uow import UnitOfWork
from mortgage_risk.web.deps import CurrentUserDep, Locale, TranslationsDep, UowDep
from mortgage_risk.web.pages import render
from mortgage_risk.web.pages_origination import _pop_flash
from mortgage_risk.web.security import check_csrf

router = APIRouter(include_in_schema=False)
READERS = frozenset({Role.RISK_MANAGER, Role.SUPERVISOR, Role.ADMIN})
EDITORS = frozenset({Role.RISK_MANAGER, Role.ADMIN})
MAX_UPLOAD = 2_000_000


def _require_reader(user: CurrentUser) -> None:
    if user.role not in READERS:
        raise PermissionDenied("rule sets, parameters and models are kept by the risk "
                               "department")


def kind_labels(_: Callable[[str], str]) -> dict[str, str]:
    return {"valuation": _("Valuation parameters"),
            "identification_rules": _("Risk identification rules"),
            "credit_policy": _("Credit policy"), "union_figures": _("Union ledger figures"),
            "training": _("Training configuration"),
            "supervision_checks": _("Supervision compliance checks")}


def _config_page(request: Request, uow: UnitOfWork, user: CurrentUser, locale: str,
                 translations: Any, error: tuple[str | None, str] | None = None,
                 values: dict[str, str] | None = None) -> Response:
    _ = translations.gettext
    _require_reader(user)
    sets = parameters.list_sets(uow)
    by_kind: dict[str, list[Any]] = {k: [] for k in parameters.KINDS}
    for s in sets:
        by_kind.setdefault(s.kind, []).append(s)
    return render(request, "config.html", {
        "user": user, "by_kind": by_kind, "kinds": kind_labels(_),
        "models": models.list_models(uow), "can_edit": user.role in EDITORS,
        "error": error, "values": values or {}, "flash": _pop_flash(request),
    }, locale, status_code=422 if error else 200)


@router.get("/config", response_class=HTMLResponse)
def config_page(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
                translations: TranslationsDep) -> Response:
    return _config_page(request, uow, user, locale, translations)


@router.post("/config/parameters", response_class=HTMLResponse)
async def new_draft(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
                    translations: TranslationsDep) -> Response:
    """A new draft from pasted JSON or an uploaded file."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    kind = str(form.get("kind", ""))
    notes = str(form.get("notes", "")).strip()
    text = str(form.get("content", "")).strip()
    upload = form.get("file")
    if upload is not None and not isinstance(upload, str) and upload.filename:
        raw = await upload.read(MAX_UPLOAD + 1)
        if len(raw) > MAX_UPLOAD:
            return _config_page(request, uow, user, locale, translations,
                                ("file", "larger than 2 MB"), {"kind": kind, "notes": notes})
        text = raw.decode("utf-8", errors="replace")
    values = {"kind": kind, "notes": notes, "content": text}
    try:
        content = json.loads(text)
    except json.JSONDecodeError as exc:
        return _config_page(request, uow, user, locale, translations,
                            ("content", f"not valid JSON: {exc.msg} (line {exc.lineno}, "
                                        f"column {exc.colno})"), values)
    if not isinstance(content, dict):
        return _config_page(request, uow, user, locale, translations,
                            ("content", "must be a JSON object"), values)
    try:
        view = parameters.create_draft(uow, user, kind=kind, content=content, notes=notes)
    except ServiceError as exc:
        uow.rollback()
        return _config_page(request, uow, user, locale, translations,
                            (exc.field, exc.reason), values)
    request.session["flash"] = translations.gettext("Draft saved.")
    return RedirectResponse(f"/config/parameters/{view.kind}/{view.version}", status_code=303)


def _set_page(request: Request, uow: UnitOfWork, user: CurrentUser, locale: str,
              translations: Any, kind: str, version: str,
              error: tuple[str | None, str] | None = None,
              dry_run: dict[str, Any] | None = None) -> Response:
    _ = translations.gettext
    _require_reader(user)
    content = parameters.get_set(uow, kind, version)
    view = next(v for v in parameters.list_sets(uow, kind) if v.version == version)
    return render(request, "parameter_set.html", {
        "user": user, "kind": kind, "kind_label": kind_labels(_).get(kind, kind), "view": view,
        "content": json.dumps(content, ensure_ascii=False, indent=2),
        "compare": parameters.compare_with_active(uow, kind, version),
        "can_activate": user.role in EDITORS and view.status == "draft"
        and view.created_by != user.username,
        "can_dry_run": kind == "identification_rules" and view.status == "draft",
        "dry_run": dry_run, "error": error, "flash": _pop_flash(request),
    }, locale, status_code=422 if error else 200)


@router.get("/config/parameters/{kind}/{version}", response_class=HTMLResponse)
def set_page(kind: str, version: str, request: Request, uow: UowDep, user: CurrentUserDep,
             locale: Locale, translations: TranslationsDep) -> Response:
    return _set_page(request, uow, user, locale, translations, kind, version)


@router.post("/config/parameters/{kind}/{version}/{action}", response_class=HTMLResponse)
async def set_action(kind: str, version: str, action: str, request: Request, uow: UowDep,
                     user: CurrentUserDep, locale: Locale,
                     translations: TranslationsDep) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    try:
        if action == "activate":
            parameters.activate(uow, user, kind=kind, version=version)
            request.session["flash"] = translations.gettext("Activated.")
        elif action == "dry-run" and kind == "identification_rules":
            result = rules.dry_run_draft(uow, user, version=version)
            return _set_page(request, uow, user, locale, translations, kind, version,
                             dry_run=result)
        else:
            return _set_page(request, uow, user, locale, translations, kind, version,
                             ("action", f"unknown action {action!r}"))
    except ServiceError as exc:
        uow.rollback()
        return _set_page(request, uow, user, locale, translations, kind, version,
                         (exc.field, exc.reason))
    return RedirectResponse(f"/config/parameters/{kind}/{version}", status_code=303)


MODEL_ACTIONS: dict[str, Callable[..., Any]] = {
    "validate": models.validate_model, "approve": models.approve_model,
    "activate": models.activate_model,
}


@router.post("/config/models/{version}/{action}", response_class=HTMLResponse)
async def model_action(version: str, action: str, request: Request, uow: UowDep,
                       user: CurrentUserDep, locale: Locale,
                       translations: TranslationsDep) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    command = MODEL_ACTIONS.get(action)
    try:
        if command is None:
            raise PermissionDenied(f"unknown model action {action!r}")
        command(uow, user, version=version)
    except ServiceError as exc:
        uow.rollback()
        return _config_page(request, uow, user, locale, translations, (exc.field, exc.reason))
    request.session["flash"] = translations.gettext("Model updated.")
    return RedirectResponse("/config#models", status_code=303)
