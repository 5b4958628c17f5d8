"""Post-loan supervision pages: the findings board, a finding's file with the actions the user
may take, a finding from a manual review, the runs (started as a background job), samples,
statistics, accountability, the check set and the quarterly report.

Every action goes through the services (role, branch, maker-checker, state); a refused action
re-renders the page with the field and the reason beside the form and nothing written; a done
one redirects with a message. Supervisors, the risk department and administrators see
everything; a branch's staff see their branch's findings (and any they answer for) and their
own accountability record; the union-level pages (runs, samples, statistics, check set,
report) answer 403 to them.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from mortgage_risk.domain import Role
from mortgage_risk.services import parameters
from mortgage_risk.services import supervision as sv
from mortgage_risk.services.errors import InvalidInput, PermissionDenied, ServiceError
from mortgage_risk.services.forms import InvalidFields
from mortgage_risk.services.supervision_report import quarterly_html
from mortgage_risk.services.users import CurrentUser
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.uow import UnitOfWork
from mortgage_risk.supervision import FindingSeverity, FindingStatus, ResponsibleRole
from mortgage_risk.web.deps import CurrentUserDep, Locale, TranslationsDep, UowDep
from mortgage_risk.web.jobs import Job, JobRunner, ProgressFn
from mortgage_risk.web.pages import render
from mortgage_risk.web.pages_origination import _pop_flash, _validation_errors
from mortgage_risk.web.security import check_csrf

router = APIRouter(include_in_schema=False)
FLASH_KEY = "flash"
PAGE_SIZE = 50
EDITORS = frozenset({Role.RISK_MANAGER, Role.ADMIN})
Errors = list[tuple[str | None, str]]


def labels(_: Callable[[str], str]) -> dict[str, dict[str, str]]:
    return {
        "severity": {"critical": _("Critical (severity)"), "high": _("High (severity)"),
                     "medium": _("Medium (severity)"), "low": _("Low (severity)")},
        "status": {"open": _("To rectify"), "rectifying": _("Rectifying"),
                   "rectified": _("Rectified, to accept"), "closed": _("Closed (accepted)")},
        "role": {"loan_officer": _("Loan officer"), "reviewer": _("Reviewer"),
                 "approver": _("Approver"), "checker": _("Maker who also checked"),
                 "disburser": _("Disbursing officer"),
                 "warning_assignee": _("Warning assignee"),
                 "audit_custodian": _("Audit log custodian")},
        "action": {"open": _("Finding opened"), "start": _("Rectification started"),
                   "rectify": _("Rectification reported"), "close": _("Closed by supervisor"),
                   "reopen": _("Reopened by supervisor")},
        "method": {"random": _("Random"), "risk": _("Risk-based")},
        "reason": {"random": _("Random draw"), "override": _("Override"),
                   "exception": _("Failed checks"), "early_default": _("Early default"),
                   "high_warning_officer": _("Officer with many warnings")},
        "origin": {"system": _("Through the system"), "book": _("Loaded with the book")},
        "source": {"check": _("Compliance check"), "manual": _("Manual review")},
    }


def _flash(request: Request, message: str) -> None:
    request.session[FLASH_KEY] = message


def _runner(request: Request) -> JobRunner:
    return cast(JobRunner, request.app.state.jobs)


def _errors(exc: ServiceError, gettext: Callable[[str], str]) -> Errors:
    """The refused fields, translated where the reason is a known message."""
    if isinstance(exc, InvalidFields):
        return [(p.field, gettext(p.message) % dict(p.params) if p.params else
                 gettext(p.message)) for p in exc.problems]
    return [(exc.field, gettext(exc.reason))]


def _quarters(today: date, n: int = 8) -> list[str]:
    out, day = [], today
    for _ in range(n):
        out.append(sv.current_quarter(day))
        day = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1) - timedelta(days=1)
    return out


# --------------------------------------------------------------------------- the run


def start_supervision(request: Request, user: CurrentUser, as_of: date) -> Job:
    """Queue a supervision run as of ``as_of`` as a background job started by ``user``."""
    if user.role not in sv.READERS:
        raise PermissionDenied(sv.READERS_ONLY, field="role")
    if as_of > date.today():
        raise InvalidInput("must not be in the future", field="as_of")
    db = cast(Database, request.app.state.database)

    def run(progress: ProgressFn) -> dict[str, Any]:
        with db.uow() as uow:
            summary = sv.run_supervision(uow, user, as_of, progress=progress)
        return {"run_id": summary["run_id"], "as_of": summary["as_of"],
                "files_checked": summary["files_checked"], "opened": summary["opened"],
                "already_open": summary["already_open"],
                "unassigned": summary["unassigned"]["count"],
                "audit_chain_intact": summary["audit_chain"]["intact"],
                "seconds": summary["seconds"],
                "link": f"/supervision/runs/{summary['run_id']}"}

    return _runner(request).submit("supervision", f"supervision run {as_of.isoformat()}", run,
                                   started_by=user.username, branch_id=user.branch_id,
                                   link="/supervision")


# --------------------------------------------------------------------------- the board


def _board(request: Request, uow: UnitOfWork, user: CurrentUser, locale: str,
           translations: Any, params: dict[str, Any], *, errors: Errors | None = None,
           status_code: int = 200) -> Response:
    _ = translations.gettext
    status = params.get("status") or "live"
    statuses = (["open", "rectifying", "rectified"] if status == "live"
                else [] if status == "all" else [status])
    page = max(int(params.get("page") or 1), 1)
    flash = _pop_flash(request)
    filters: dict[str, Any] = {"statuses": statuses,
               "severities": [params["severity"]] if params.get("severity") else [],
               "check_ids": [params["check"]] if params.get("check") else [],
               "branch_id": params.get("branch"), "overdue": bool(params.get("overdue")),
               "mine": bool(params.get("mine")),
               "responsible": params.get("responsible") or None}
    try:
        board = sv.list_findings(uow, user, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
                                 **filters)
    except InvalidFields as exc:
        errors = (errors or []) + _errors(exc, _)
        board = sv.list_findings(uow, user, limit=PAGE_SIZE)
    reader = user.role in sv.READERS
    checkset = sv.active_checkset(uow)
    branches = uow.branches.all() if reader else []
    return render(request, "supervision.html", {
        "user": user, "board": board, "labels": labels(_), "reader": reader,
        "checks": [(c.id, c.title_zh if locale.startswith("zh") else c.title_en)
                   for c in checkset.checks],
        "branches": [(b.id, b.name_zh if locale.startswith("zh") else b.name_en)
                     for b in branches],
        "f": {"status": status, "severity": params.get("severity") or "",
              "check": params.get("check") or "", "branch": params.get("branch") or "",
              "overdue": filters["overdue"], "mine": filters["mine"],
              "responsible": params.get("responsible") or ""},
        "severities": [s.value for s in reversed(FindingSeverity)],
        "statuses": [s.value for s in FindingStatus],
        "page": page, "pages": max(1, -(-board["total"] // PAGE_SIZE)),
        "can_manual": user.role.value in checkset.rectification.closing_roles,
        "jobs": [j.to_dict() for j in _runner(request).recent("supervision")[:5]] if reader
        else [], "today": date.today().isoformat(), "quarters": _quarters(date.today()),
        "checkset_version": checkset.version, "flash": flash, "errors": errors or [],
    }, locale, status_code=422 if errors and status_code == 200 else status_code)


@router.get("/supervision", response_class=HTMLResponse)
def board_page(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
               translations: TranslationsDep, status: str = "live", severity: str = "",
               check: str = "", branch: str = "", overdue: bool = False, mine: bool = False,
               responsible: str = "", page: int = 1) -> Response:
    branch_id = int(branch) if branch.strip().isdigit() else None
    return _board(request, uow, user, locale, translations, {
        "status": status, "severity": severity, "check": check, "branch": branch_id,
        "overdue": overdue, "mine": mine, "responsible": responsible.strip(), "page": page})


@router.post("/supervision/run", response_class=HTMLResponse)
async def run_now(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
                  translations: TranslationsDep) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    raw = str(form.get("as_of", "")).strip()
    try:
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise InvalidInput("must be a date (YYYY-MM-DD)", field="as_of") from None
        job = start_supervision(request, user, day)
    except PermissionDenied:
        raise
    except ServiceError as exc:
        return _board(request, uow, user, locale, translations, {},
                      errors=_errors(exc, translations.gettext), status_code=422)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/supervision/runs/{run_id}", response_class=HTMLResponse)
def run_page(run_id: int, request: Request, uow: UowDep, user: CurrentUserDep,
             locale: Locale, translations: TranslationsDep) -> Response:
    run = sv.get_run(uow, user, run_id)
    branches = {b.id: (b.name_zh if locale.startswith("zh") else b.name_en)
                for b in uow.branches.all()}
    return render(request, "supervision_run.html", {
        "user": user, "run": run, "s": run["summary"], "labels": labels(translations.gettext),
        "branches": branches, "runs": sv.list_runs(uow, user, limit=20),
        "can_manual": user.role.value in sv.active_checkset(uow).rectification.closing_roles,
    }, locale)


# --------------------------------------------------------------------------- a finding


def _finding(request: Request, uow: UnitOfWork, user: CurrentUser, locale: str,
             translations: Any, finding_id: int, errors: Errors | None = None,
             form: str | None = None, values: dict[str, str] | None = None) -> Response:
    _ = translations.gettext
    detail = sv.finding_detail(uow, user, finding_id)
    return render(request, "supervision_finding.html", {
        "user": user, "x": detail, "labels": labels(_), "errors": errors or [],
        "failed_form": form, "values": values or {}, "today": date.today().isoformat(),
        "facts_json": json.dumps(detail["facts"], ensure_ascii=False, indent=1),
        "flash": _pop_flash(request),
    }, locale, status_code=422 if errors else 200)


@router.get("/supervision/findings/new", response_class=HTMLResponse)
def new_finding_page(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
                     translations: TranslationsDep, check_id: str = "",
                     application_id: str = "", loan_id: str = "") -> Response:
    return _new_form(request, uow, user, locale, translations, {
        "check_id": check_id, "application_id": application_id, "loan_id": loan_id})


def _new_form(request: Request, uow: UnitOfWork, user: CurrentUser, locale: str,
              translations: Any, values: dict[str, str], errors: Errors | None = None
              ) -> Response:
    checkset = sv.active_checkset(uow)
    if user.role.value not in checkset.rectification.closing_roles:
        raise PermissionDenied(sv.MANUAL_ONLY, field="role")
    _ = translations.gettext
    return render(request, "supervision_new.html", {
        "user": user, "labels": labels(_), "values": values, "errors": errors or [],
        "by_field": {f: r for f, r in (errors or []) if f},
        "checks": [(c.id, c.title_zh if locale.startswith("zh") else c.title_en)
                   for c in checkset.checks],
        "severities": [s.value for s in reversed(FindingSeverity)],
        "roles": [r.value for r in ResponsibleRole], "today": date.today().isoformat(),
    }, locale, status_code=422 if errors else 200)


MANUAL_FIELDS = ("check_id", "severity", "title_zh", "title_en", "application_id", "loan_id",
                 "responsible", "responsible_role", "deadline", "task", "note")


@router.post("/supervision/findings/new", response_class=HTMLResponse)
async def new_finding(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
                      translations: TranslationsDep) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    values = {k: str(form.get(k, "")).strip() for k in MANUAL_FIELDS}
    data = {k: v for k, v in values.items() if v}
    try:
        body = sv.ManualFindingIn.model_validate(data)
        done = sv.open_manual_finding(uow, user, body)
    except ValidationError as exc:
        return _new_form(request, uow, user, locale, translations, values,
                         _validation_errors(exc))
    except PermissionDenied:
        raise
    except ServiceError as exc:
        uow.rollback()
        return _new_form(request, uow, user, locale, translations, values,
                         _errors(exc, translations.gettext))
    _flash(request, translations.gettext("Finding recorded."))
    return RedirectResponse(f"/supervision/findings/{done['id']}", status_code=303)


@router.get("/supervision/findings/{finding_id}", response_class=HTMLResponse)
def finding_page(finding_id: int, request: Request, uow: UowDep, user: CurrentUserDep,
                 locale: Locale, translations: TranslationsDep) -> Response:
    return _finding(request, uow, user, locale, translations, finding_id)


def _action_body(form: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key in ("note", "reason", "deadline"):
        value = str(form.get(key, "")).strip()
        if value:
            data[key] = value
    if "evidence" in form:
        data["evidence"] = [line.strip() for v in form.getlist("evidence")
                            if isinstance(v, str) for line in v.splitlines() if line.strip()]
    return data


FINDING_ACTIONS: dict[str, tuple[type[BaseModel], Callable[..., dict[str, Any]], str]] = {
    "start": (sv.NoteIn, sv.start_rectification, "Rectification started."),
    "rectify": (sv.RectifyIn, sv.record_rectification, "Rectification reported."),
    "close": (sv.NoteIn, sv.close_finding, "Finding closed."),
    "reopen": (sv.ReopenIn, sv.reopen_finding, "Finding reopened."),
}


@router.post("/supervision/findings/{finding_id}/{action}", response_class=HTMLResponse)
async def finding_action(finding_id: int, action: str, request: Request, uow: UowDep,
                         user: CurrentUserDep, locale: Locale,
                         translations: TranslationsDep) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    if action not in FINDING_ACTIONS:
        return _finding(request, uow, user, locale, translations, finding_id,
                        [("action", f"unknown action {action!r}")])
    schema, command, done = FINDING_ACTIONS[action]
    body = _action_body(form)
    if action in ("start", "close"):
        body = {k: v for k, v in body.items() if k == "note"}
    values = {k: "\n".join(v) if isinstance(v, list) else str(v) for k, v in body.items()}
    try:
        command(uow, user, finding_id, schema.model_validate(body))
    except ValidationError as exc:
        return _finding(request, uow, user, locale, translations, finding_id,
                        _validation_errors(exc), action, values)
    except ServiceError as exc:
        uow.rollback()
        return _finding(request, uow, user, locale, translations, finding_id,
                        _errors(exc, translations.gettext), action, values)
    _flash(request, translations.gettext(done))
    return RedirectResponse(f"/supervision/findings/{finding_id}", status_code=303)


# --------------------------------------------------------------------------- samples


def _samples(request: Request, uow: UnitOfWork, user: CurrentUser, locale: str,
             translations: Any, errors: Errors | None = None,
             values: dict[str, str] | None = None) -> Response:
    return render(request, "supervision_samples.html", {
        "user": user, "samples": sv.list_samples(uow, user),
        "labels": labels(translations.gettext), "errors": errors or [],
        "values": values or {"method": "risk", "n": "20", "seed": str(date.today().toordinal()),
                             "as_of": date.today().isoformat()},
        "flash": _pop_flash(request), "max_sample": sv.MAX_SAMPLE,
    }, locale, status_code=422 if errors else 200)


@router.get("/supervision/samples", response_class=HTMLResponse)
def samples_page(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
                 translations: TranslationsDep) -> Response:
    return _samples(request, uow, user, locale, translations)


@router.post("/supervision/samples", response_class=HTMLResponse)
async def draw(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
               translations: TranslationsDep) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    values = {k: str(form.get(k, "")).strip() for k in ("method", "n", "seed", "as_of")}
    try:
        body = sv.SampleIn.model_validate({k: v for k, v in values.items() if v})
        out = sv.draw_sample(uow, user, body.method, body.n, body.seed, as_of=body.as_of)
    except ValidationError as exc:
        return _samples(request, uow, user, locale, translations, _validation_errors(exc),
                        values)
    except PermissionDenied:
        raise
    except ServiceError as exc:
        uow.rollback()
        return _samples(request, uow, user, locale, translations,
                        _errors(exc, translations.gettext), values)
    _flash(request, translations.gettext("Sample drawn."))
    return RedirectResponse(f"/supervision/samples/{out['id']}", status_code=303)


@router.get("/supervision/samples/{sample_id}", response_class=HTMLResponse)
def sample_page(sample_id: int, request: Request, uow: UowDep, user: CurrentUserDep,
                locale: Locale, translations: TranslationsDep) -> Response:
    sample = sv.get_sample(uow, user, sample_id)
    branches = {b.id: (b.name_zh if locale.startswith("zh") else b.name_en)
                for b in uow.branches.all()}
    return render(request, "supervision_sample.html", {
        "user": user, "sample": sample, "labels": labels(translations.gettext),
        "branches": branches, "flash": _pop_flash(request),
        "can_manual": user.role.value in sv.active_checkset(uow).rectification.closing_roles,
    }, locale)


# --------------------------------------------------------------------------- numbers


@router.get("/supervision/statistics", response_class=HTMLResponse)
def statistics_page(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
                    translations: TranslationsDep, by: str = "branch_id") -> Response:
    stats = sv.statistics(uow, user, by if by in sv.GROUPS else "branch_id")
    return render(request, "supervision_statistics.html", {
        "user": user, "stats": stats, "labels": labels(translations.gettext),
        "severities": [s.value for s in reversed(FindingSeverity)],
    }, locale)


@router.get("/supervision/accountability", response_class=HTMLResponse)
def accountability_page(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
                        translations: TranslationsDep) -> Response:
    return render(request, "supervision_accountability.html", {
        "user": user, "records": sv.accountability(uow, user),
        "labels": labels(translations.gettext), "reader": user.role in sv.READERS,
        "today": date.today().isoformat(),
    }, locale)


# --------------------------------------------------------------------------- check set


def _checks(request: Request, uow: UnitOfWork, user: CurrentUser, locale: str,
            translations: Any, errors: Errors | None = None,
            values: dict[str, str] | None = None) -> Response:
    overview = sv.checkset_overview(uow, user)
    content = values.get("content") if values else None
    if content is None:
        current = json.loads(json.dumps(parameters.active_content(uow, sv.KIND)))
        current["version"] = ""
        content = json.dumps(current, ensure_ascii=False, indent=2)
    return render(request, "supervision_checks.html", {
        "user": user, "cs": overview, "labels": labels(translations.gettext),
        "can_edit": user.role in EDITORS, "errors": errors or [],
        "content": content, "notes": (values or {}).get("notes", ""),
        "flash": _pop_flash(request),
    }, locale, status_code=422 if errors else 200)


@router.get("/supervision/checks", response_class=HTMLResponse)
def checks_page(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
                translations: TranslationsDep) -> Response:
    return _checks(request, uow, user, locale, translations)


@router.post("/supervision/checks", response_class=HTMLResponse)
async def new_checkset(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
                       translations: TranslationsDep) -> Response:
    """A new draft of the check set; a second person activates it on its version's page."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    values = {"content": str(form.get("content", "")), "notes": str(form.get("notes", ""))}
    try:
        content = json.loads(values["content"])
    except json.JSONDecodeError as exc:
        return _checks(request, uow, user, locale, translations,
                       [("content", f"not valid JSON: {exc.msg} (line {exc.lineno}, column "
                                    f"{exc.colno})")], values)
    if not isinstance(content, dict):
        return _checks(request, uow, user, locale, translations,
                       [("content", "must be a JSON object")], values)
    try:
        view = parameters.create_draft(uow, user, kind=sv.KIND, content=content,
                                       notes=values["notes"].strip())
    except PermissionDenied:
        raise
    except ServiceError as exc:
        uow.rollback()
        return _checks(request, uow, user, locale, translations,
                       _errors(exc, translations.gettext), values)
    _flash(request, translations.gettext("Draft saved."))
    return RedirectResponse(f"/config/parameters/{sv.KIND}/{view.version}", status_code=303)


# --------------------------------------------------------------------------- the report


@router.get("/supervision/report", response_class=HTMLResponse)
def report_page(uow: UowDep, user: CurrentUserDep, quarter: str = "",
                format: str = "html") -> Response:
    quarter = quarter or sv.current_quarter()
    html = quarterly_html(uow, user, quarter)
    if format != "pdf":
        return HTMLResponse(html)
    from mortgage_risk.services.reports import write_report

    with tempfile.TemporaryDirectory() as work:
        data = write_report(html, Path(work) / "report.pdf").read_bytes()
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="supervision-{quarter.upper()}.pdf"'})
