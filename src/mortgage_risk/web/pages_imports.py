"""The imports page: recent batches, a file import run in the background with its progress, and
each batch's quarantined records."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, cast

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mortgage_risk.monitoring.ingest.feeds import FEEDS
from mortgage_risk.services import imports
from mortgage_risk.services.errors import InvalidInput, ServiceError
from mortgage_risk.services.users import CurrentUser
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.uow import UnitOfWork
from mortgage_risk.web.deps import CurrentUserDep, Locale, UowDep
from mortgage_risk.web.jobs import JobRunner, ProgressFn
from mortgage_risk.web.pages import render
from mortgage_risk.web.pages_origination import _pop_flash
from mortgage_risk.web.security import check_csrf

router = APIRouter(include_in_schema=False)
MAX_UPLOAD = 64 * 1024 * 1024
SUFFIXES = (".csv", ".parquet", ".json", ".jsonl", ".ndjson")
PAGE = 200


def _page(request: Request, uow: UnitOfWork, user: CurrentUser, locale: str,
          error: tuple[str | None, str] | None = None) -> Response:
    return render(request, "imports.html", {
        "user": user, "batches": imports.list_batches(uow, actor=user),
        "feeds": list(FEEDS), "can_import": user.role.value in ("risk_manager", "admin"),
        "jobs": [j.to_dict() for j in cast(JobRunner, request.app.state.jobs).recent("import")
                 if j.started_by == user.username or user.sees_all_branches][:10],
        "error": error, "flash": _pop_flash(request),
    }, locale, status_code=422 if error else 200)


@router.get("/imports", response_class=HTMLResponse)
def imports_page(request: Request, uow: UowDep, user: CurrentUserDep,
                 locale: Locale) -> Response:
    return _page(request, uow, user, locale)


@router.post("/imports", response_class=HTMLResponse)
async def start_import(request: Request, uow: UowDep, user: CurrentUserDep,
                       locale: Locale) -> Response:
    """Save the upload, then import it in the background; the job page shows the progress."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    feed = str(form.get("feed", ""))
    upload = form.get("file")
    try:
        imports.require_importer(user)
        if feed not in FEEDS:
            raise InvalidInput(f"unknown feed {feed!r}", field="feed")
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise InvalidInput("choose a file to import", field="file")
        name = Path(upload.filename).name
        suffix = Path(name).suffix.lower()
        if suffix not in SUFFIXES:
            raise InvalidInput(f"must be one of {', '.join(SUFFIXES)}", field="file")
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise InvalidInput("larger than 64 MB", field="file")
    except ServiceError as exc:
        return _page(request, uow, user, locale, (exc.field, exc.reason))
    folder = Path(request.app.state.settings.var_dir) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    path.write_bytes(data)
    db = cast(Database, request.app.state.database)
    var_dir = Path(request.app.state.settings.var_dir)

    def run(progress: ProgressFn) -> dict[str, Any]:
        try:
            with db.uow() as job_uow:
                summary = imports.import_feed_into_db(
                    job_uow, actor=user, feed=feed, source=path, source_name=name,
                    var_dir=var_dir, progress=progress)
        finally:
            path.unlink(missing_ok=True)
        return {"batch_id": summary.batch_id, "accepted": summary.accepted,
                "rejected": summary.rejected, "duplicates": summary.duplicates,
                "link": f"/imports/{summary.batch_id}"}

    job = cast(JobRunner, request.app.state.jobs).submit(
        "import", f"{feed} · {name}", run, started_by=user.username, branch_id=user.branch_id)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/imports/{batch_id}", response_class=HTMLResponse)
def batch_page(batch_id: int, request: Request, uow: UowDep, user: CurrentUserDep,
               locale: Locale, page: int = 1) -> Response:
    page = max(page, 1)
    detail = imports.get_batch(uow, actor=user, batch_id=batch_id, limit=PAGE,
                               offset=(page - 1) * PAGE)
    return render(request, "import_batch.html", {
        "user": user, "d": detail.to_dict(), "page": page,
        "pages": max(1, -(-detail.rejections_total // PAGE)),
    }, locale)
