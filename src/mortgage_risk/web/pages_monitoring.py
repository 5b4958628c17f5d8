"""The monitoring page (stored runs, run now) and the progress of background jobs; their API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Literal, cast

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict

from mortgage_risk.domain import Role
from mortgage_risk.services.errors import InvalidInput, NotFound, PermissionDenied
from mortgage_risk.services.monitoring import book_as_of, recent_runs
from mortgage_risk.services.users import CurrentUser
from mortgage_risk.storage.database import Database
from mortgage_risk.web.deps import CurrentUserDep, Locale, TranslationsDep, UowDep
from mortgage_risk.web.jobs import Job, JobRunner, ProgressFn
from mortgage_risk.web.pages import render
from mortgage_risk.web.pages_origination import _pop_flash
from mortgage_risk.web.security import check_csrf

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["monitoring and jobs"])

RUN_ROLES = frozenset({Role.RISK_MANAGER, Role.ADMIN})


def _runner(request: Request) -> JobRunner:
    return cast(JobRunner, request.app.state.jobs)


def start_monitoring(request: Request, user: CurrentUser, as_of: date,
                     engine: str = "duckdb") -> Job:
    """Queue the nightly run for ``as_of`` as a background job started by ``user``."""
    if user.role not in RUN_ROLES:
        raise PermissionDenied("the monitoring run is started by the risk department")
    if as_of > date.today():
        raise InvalidInput("must not be in the future", field="as_of")
    if engine not in ("duckdb", "spark"):
        raise InvalidInput("must be duckdb or spark", field="engine")
    db = cast(Database, request.app.state.database)
    var_dir = request.app.state.settings.var_dir

    def run(progress: ProgressFn) -> dict[str, Any]:
        from mortgage_risk.services.monitoring import nightly_run

        result = nightly_run(db, var_dir=var_dir, as_of=as_of, engine=engine,
                             actor=user.username, progress=progress)
        return {"as_of": result.as_of.isoformat(), "seconds": round(result.seconds, 1),
                "warnings": result.counts["warnings"], "cases": result.counts["cases"],
                "classification": result.classification}

    return _runner(request).submit("monitoring", f"监测运行 monitoring run {as_of.isoformat()}",
                                   run,
                                   started_by=user.username, branch_id=user.branch_id,
                                   link="/warnings")


def _job_for(request: Request, user: CurrentUser, job_id: str) -> Job:
    job = _runner(request).get(job_id)
    if job is None or not (user.sees_all_branches or job.started_by == user.username):
        raise NotFound(f"no job {job_id}", field="job_id")
    return job


@router.get("/monitoring", response_class=HTMLResponse)
def monitoring_page(request: Request, uow: UowDep, user: CurrentUserDep,
                    locale: Locale) -> Response:
    return render(request, "monitoring.html", {
        "user": user, "runs": recent_runs(uow), "can_run": user.role in RUN_ROLES,
        "book_as_of": book_as_of(uow).isoformat(),
        "jobs": [j.to_dict() for j in _runner(request).recent("monitoring")[:10]],
        "flash": _pop_flash(request),
    }, locale)


@router.post("/monitoring/run", response_class=HTMLResponse)
def monitoring_run(request: Request, uow: UowDep, user: CurrentUserDep, locale: Locale,
                   csrf_token: str = Form(""), as_of: str = Form(""),
                   engine: str = Form("duckdb")) -> Response:
    check_csrf(request, csrf_token)
    try:
        day = date.fromisoformat(as_of.strip())
    except ValueError:
        day = None
    try:
        if day is None:
            raise InvalidInput("must be a date (YYYY-MM-DD)", field="as_of")
        job = start_monitoring(request, user, day, engine)
    except (InvalidInput, PermissionDenied) as exc:
        return render(request, "monitoring.html", {
            "user": user, "runs": recent_runs(uow), "can_run": user.role in RUN_ROLES,
            "book_as_of": as_of, "flash": None,
            "jobs": [j.to_dict() for j in _runner(request).recent("monitoring")[:10]],
            "error": (exc.field, exc.reason),
        }, locale, status_code=403 if isinstance(exc, PermissionDenied) else 422)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def stage_labels(_: Callable[[str], str]) -> dict[str, str]:
    """The stages a job reports (monitoring run, import), as the user reads them."""
    return {"register": _("Reading the book"), "views": _("Preparing the data"),
            "indicators": _("Computing the indicators"), "signals": _("Raising warnings"),
            "write": _("Writing the results"), "publish": _("Publishing the run"),
            "read": _("Reading the file"), "check": _("Checking the records"),
            "export": _("Exporting the book")}


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(job_id: str, request: Request, user: CurrentUserDep, locale: Locale,
             translations: TranslationsDep) -> Response:
    job = _job_for(request, user, job_id).to_dict()
    labels = stage_labels(translations.gettext)
    stage = str(job["stage"])
    job["stage_label"] = labels.get(stage.split(" ")[0], stage)
    return render(request, "job.html", {"user": user, "job": job, "stages": labels}, locale)


class MonitoringRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: date
    engine: Literal["duckdb", "spark"] = "duckdb"


@api.post("/monitoring/runs", status_code=202)
def api_start_monitoring(body: MonitoringRunIn, request: Request,
                         user: CurrentUserDep) -> dict[str, Any]:
    """Queue a monitoring run; poll ``/api/v1/jobs/{id}`` for its progress."""
    return start_monitoring(request, user, body.as_of, body.engine).to_dict()


@api.get("/jobs/{job_id}")
def api_job(job_id: str, request: Request, user: CurrentUserDep) -> dict[str, Any]:
    return _job_for(request, user, job_id).to_dict()
