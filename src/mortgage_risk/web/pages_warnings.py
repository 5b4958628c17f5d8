"""The warnings board, a warning's file with the handling forms, the classification page and a
loan's classification history. Every action goes through the services (role, branch,
maker-checker, state); a refused action re-renders the page with the field and the reason and
nothing written; a done one redirects back with a message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from mortgage_risk.domain import FiveCategory
from mortgage_risk.monitoring.handling import LEVELS, CaseStatus
from mortgage_risk.services import classification, warnings
from mortgage_risk.services.errors import ServiceError
from mortgage_risk.services.monitoring_schemas import (
    CloseDecisionIn,
    ManualClassIn,
    MeasureDoneIn,
    MeasureIn,
    NoteIn,
    ReassignIn,
    RestructuringIn,
    ReviewDecisionIn,
    UpgradeDecisionIn,
    VerifyIn,
)
from mortgage_risk.services.users import CurrentUser
from mortgage_risk.storage.uow import UnitOfWork
from mortgage_risk.web.deps import CurrentUserDep, Locale, TranslationsDep, UowDep
from mortgage_risk.web.pages import render
from mortgage_risk.web.pages_origination import _flash, _pop_flash, _validation_errors
from mortgage_risk.web.security import check_csrf

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def labels(_: Callable[[str], str]) -> dict[str, dict[str, str]]:
    return {
        "level": {"blue": _("Blue"), "yellow": _("Yellow"), "orange": _("Orange"),
                  "red": _("Red")},
        "status": {"open": _("To verify"), "confirmed": _("Confirmed, measures"),
                   "close_requested": _("Waiting to close"), "closed": _("Closed")},
        "category": {"normal": _("Normal"), "special_mention": _("Special mention"),
                     "substandard": _("Substandard"), "doubtful": _("Doubtful"),
                     "loss": _("Loss")},
        "method": {"phone": _("Phone"), "on_site": _("On-site visit"),
                   "documents": _("Documents"), "registry_check": _("Registry check"),
                   "court_record": _("Court record")},
        "escalated_to": {"branch_reviewer": _("Branch reviewer"),
                         "risk_department": _("Union risk department")},
        "action": {"opened": _("Opened by the monitoring run"),
                   "level_raised": _("Level raised by the monitoring run"),
                   "escalated": _("Escalated (verification late)"),
                   "verified": _("Verified"), "measure_added": _("Measure added"),
                   "measure_done": _("Measure done"),
                   "measure_overdue": _("Measure overdue"),
                   "close_requested": _("Closing requested"), "closed": _("Closed"),
                   "close_rejected": _("Closing rejected"), "reassigned": _("Reassigned")},
        "direction": {"downgrade": _("Downgrade"), "upgrade": _("Upgrade")},
        "manual_status": {"effective": _("In force"), "pending": _("Waiting for approval"),
                          "rejected": _("Rejected")},
    }


# --------------------------------------------------------------------------- the board


@router.get("/warnings", response_class=HTMLResponse)
def warnings_page(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
                  translations: TranslationsDep, level: str = "", status: str = "live",
                  mine: bool = False, overdue: bool = False, page: int = 1) -> Response:
    _ = translations.gettext
    statuses = ([s.value for s in CaseStatus if s is not CaseStatus.CLOSED]
                if status == "live" else [] if status == "all" else [status])
    levels = [level] if level else []
    page = max(page, 1)
    try:
        board = warnings.list_warnings(uow, user, statuses=statuses, levels=levels, mine=mine,
                                       overdue=overdue, limit=PAGE_SIZE,
                                       offset=(page - 1) * PAGE_SIZE)
    except ServiceError as exc:
        board = warnings.list_warnings(uow, user, limit=PAGE_SIZE)
        _flash(request, f"{exc.field}: {exc.reason}")
    pages = max(1, -(-board["total"] // PAGE_SIZE))
    return render(request, "warnings.html", {
        "chart": _branch_chart(uow, user, locale, labels(_)["level"],
                               _("Open warnings by branch and level")),
        "user": user, "board": board, "labels": labels(_), "levels": LEVELS,
        "statuses": [s.value for s in CaseStatus], "f": {
            "level": level, "status": status, "mine": mine, "overdue": overdue},
        "page": page, "pages": pages, "flash": _pop_flash(request),
    }, locale)


def _branch_chart(uow: UnitOfWork, user: CurrentUser, locale: str, level_labels: dict[str, str],
                  title: str) -> dict[str, Any]:
    """Stacked bars: live cases per branch, one trace per level (red on top)."""
    rows = warnings.open_by_branch_and_level(uow, user)
    branches: list[str] = []
    for zh, en, _lv, _n in rows:
        name = zh if locale.startswith("zh") else en
        if name not in branches:
            branches.append(name)
    colours = {"blue": "#1565c0", "yellow": "#f9a825", "orange": "#ef6c00", "red": "#c62828"}
    traces = []
    for level in LEVELS:
        counts = {(zh if locale.startswith("zh") else en): n
                  for zh, en, lv, n in rows if lv == level}
        traces.append({"type": "bar", "name": level_labels[level], "x": branches,
                       "y": [counts.get(b, 0) for b in branches],
                       "marker": {"color": colours[level]}})
    return {"title": title, "traces": traces}


# --------------------------------------------------------------------------- a warning


def _warning_file(request: Request, uow: UnitOfWork, user: CurrentUser, locale: str,
                  translations: Any, warning_id: int,
                  errors: list[tuple[str | None, str]] | None = None,
                  form: str | None = None) -> Response:
    _ = translations.gettext
    detail = warnings.warning_detail(uow, user, warning_id)
    return render(request, "warning_file.html", {
        "user": user, "w": detail, "labels": labels(_), "levels": LEVELS,
        "errors": errors or [], "failed_form": form, "today": date.today().isoformat(),
        "flash": _pop_flash(request),
    }, locale, status_code=422 if errors else 200)


@router.get("/warnings/{warning_id}", response_class=HTMLResponse)
def warning_page(warning_id: int, request: Request, uow: UowDep, user: CurrentUserDep,
                 locale: Locale, translations: TranslationsDep) -> Response:
    return _warning_file(request, uow, user, locale, translations, warning_id)


def _form_data(form: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key in form:
        if key == "csrf_token":
            continue
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        data[key] = values if key == "evidence" else (values[-1].strip() if values else "")
    if "evidence" in data:  # one piece of evidence per line
        data["evidence"] = [line for v in data["evidence"] for line in v.splitlines()]
    for key in ("approve", "difficulty_resolved"):
        if key in data:
            data[key] = data[key] == "yes"
    return {k: v for k, v in data.items() if v != ""}


WARNING_ACTIONS: dict[str, tuple[type[BaseModel], Callable[..., dict[str, Any]], str]] = {
    "verify": (VerifyIn, warnings.verify, "Verification recorded."),
    "measure": (MeasureIn, warnings.add_measure, "Measure added."),
    "close-request": (NoteIn, warnings.request_close, "Closing requested."),
    "close-decision": (CloseDecisionIn, warnings.decide_close, "Decision recorded."),
    "assignment": (ReassignIn, warnings.reassign, "Warning reassigned."),
}


@router.post("/warnings/{warning_id}/{action}", response_class=HTMLResponse)
async def warning_action(warning_id: int, action: str, request: Request, uow: UowDep,
                         user: CurrentUserDep, locale: Locale,
                         translations: TranslationsDep) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    if action not in WARNING_ACTIONS:
        return _warning_file(request, uow, user, locale, translations, warning_id,
                             [("action", f"unknown action {action!r}")])
    schema, command, done = WARNING_ACTIONS[action]
    try:
        command(uow, user, warning_id, schema.model_validate(_form_data(form)))
    except ValidationError as exc:
        return _warning_file(request, uow, user, locale, translations, warning_id,
                             _validation_errors(exc), action)
    except ServiceError as exc:
        uow.rollback()
        return _warning_file(request, uow, user, locale, translations, warning_id,
                             [(exc.field, exc.reason)], action)
    _flash(request, translations.gettext(done))
    return RedirectResponse(f"/warnings/{warning_id}", status_code=303)


@router.post("/warning-measures/{measure_id}/done", response_class=HTMLResponse)
async def measure_done(measure_id: int, request: Request, uow: UowDep, user: CurrentUserDep,
                       locale: Locale, translations: TranslationsDep) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    warning_id = int(str(form.get("warning_id", "0")) or 0)
    try:
        fields = {k: v for k, v in _form_data(form).items() if k != "warning_id"}
        warnings.complete_measure(uow, user, measure_id, MeasureDoneIn.model_validate(fields))
    except ValidationError as exc:
        return _warning_file(request, uow, user, locale, translations, warning_id,
                             _validation_errors(exc), "done")
    except ServiceError as exc:
        uow.rollback()
        return _warning_file(request, uow, user, locale, translations, warning_id,
                             [(exc.field, exc.reason)], "done")
    _flash(request, translations.gettext("Measure done."))
    return RedirectResponse(f"/warnings/{warning_id}", status_code=303)


# --------------------------------------------------------------------------- classification


def _classification_page(request: Request, uow: UnitOfWork, user: CurrentUser, locale: str,
                         translations: Any,
                         errors: list[tuple[str | None, str]] | None = None) -> Response:
    _ = translations.gettext
    return render(request, "classification.html", {
        "user": user, "c": classification.classification_overview(uow, user),
        "labels": labels(_), "categories": [c.value for c in FiveCategory],
        "errors": errors or [], "flash": _pop_flash(request),
    }, locale, status_code=422 if errors else 200)


@router.get("/classification", response_class=HTMLResponse)
def classification_page(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
                        translations: TranslationsDep) -> Response:
    return _classification_page(request, uow, user, locale, translations)


def _loan_page(request: Request, uow: UnitOfWork, user: CurrentUser, locale: str,
               translations: Any, loan_id: int,
               errors: list[tuple[str | None, str]] | None = None) -> Response:
    _ = translations.gettext
    detail = classification.loan_classification(
        uow, user, loan_id, locale="zh" if locale.startswith("zh") else "en")
    return render(request, "loan_classification.html", {
        "user": user, "d": detail, "labels": labels(_),
        "categories": [c.value for c in FiveCategory], "errors": errors or [],
        "flash": _pop_flash(request),
    }, locale, status_code=422 if errors else 200)


@router.get("/loans/{loan_id}/classification", response_class=HTMLResponse)
def loan_page(loan_id: int, request: Request, uow: UowDep, user: CurrentUserDep,
              locale: Locale, translations: TranslationsDep) -> Response:
    return _loan_page(request, uow, user, locale, translations, loan_id)


CLASS_ACTIONS: dict[str, tuple[type[BaseModel], Callable[..., dict[str, Any]], str, str]] = {
    # name: (schema, command, message, where the form lives: loan | overview)
    "downgrade": (ManualClassIn, classification.manual_downgrade, "Loan downgraded.", "loan"),
    "upgrade-request": (ManualClassIn, classification.request_upgrade,
                        "Upgrade proposed; it applies once approved.", "loan"),
    "restructuring": (RestructuringIn, classification.record_restructuring,
                      "Restructuring recorded.", "loan"),
    "upgrade-decision": (UpgradeDecisionIn, classification.decide_upgrade,
                         "Decision recorded.", "overview"),
    "review-decision": (ReviewDecisionIn, classification.decide_review,
                        "Review decided.", "overview"),
}


@router.post("/classification/{action}/{target_id}", response_class=HTMLResponse)
async def classification_action(action: str, target_id: int, request: Request, uow: UowDep,
                                user: CurrentUserDep, locale: Locale,
                                translations: TranslationsDep) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    if action not in CLASS_ACTIONS:
        return _classification_page(request, uow, user, locale, translations,
                                    [("action", f"unknown action {action!r}")])
    schema, command, done, where = CLASS_ACTIONS[action]

    def again(errors: list[tuple[str | None, str]]) -> Response:
        if where == "loan":
            return _loan_page(request, uow, user, locale, translations, target_id, errors)
        return _classification_page(request, uow, user, locale, translations, errors)

    try:
        command(uow, user, target_id, schema.model_validate(_form_data(form)))
    except ValidationError as exc:
        return again(_validation_errors(exc))
    except ServiceError as exc:
        uow.rollback()
        return again([(exc.field, exc.reason)])
    _flash(request, translations.gettext(done))
    back = f"/loans/{target_id}/classification" if where == "loan" else "/classification"
    return RedirectResponse(back, status_code=303)
