"""My tasks: what waits for the logged-in user now (page and API)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from mortgage_risk.services.tasks import my_tasks
from mortgage_risk.web.deps import CurrentUserDep, Locale, TranslationsDep, UowDep
from mortgage_risk.web.pages import render
from mortgage_risk.web.pages_warnings import labels

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["tasks"])


@router.get("/tasks", response_class=HTMLResponse)
def tasks_page(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
               translations: TranslationsDep) -> Response:
    _ = translations.gettext
    titles = {"applications": _("Applications waiting for you"),
              "verify": _("Warnings to verify"), "measures": _("Measures to carry out"),
              "close": _("Warnings waiting to close"),
              "reviews": _("Classification reviews"),
              "upgrades": _("Upgrades waiting for approval"),
              "escalated": _("Warnings escalated to the risk department"),
              "findings": _("Supervision findings to rectify"),
              "findings_to_close": _("Rectified findings to close")}
    kinds = {"submit": _("Submit application"), "record_visit": _("Record on-site visit"),
             "assess": _("Assess"), "review": _("Review"), "decide": _("Approve or decline"),
             "sign_contract": _("Sign contract"), "register_mortgage": _("Register mortgage"),
             "disburse": _("Disburse"), "verify": _("Verify"), "measure": _("Measure"),
             "close": _("Decide on closing"), "upgrade": _("Approve or reject"),
             "escalated": _("Escalated (verification late)"),
             "rectify": _("Rectify"), "close_finding": _("Close")}
    return render(request, "tasks.html", {
        "user": user, "t": my_tasks(uow, user), "titles": titles, "kinds": kinds,
        "labels": labels(_)}, locale)


@api.get("/me/tasks")
def api_tasks(uow: UowDep, user: CurrentUserDep) -> dict[str, Any]:
    """The caller's work list, by section, most urgent first."""
    return my_tasks(uow, user)
