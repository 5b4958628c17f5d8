"""/api/v1/imports: import a feed (an uploaded file or JSON records), list the batches, read a
batch's quarantine. Risk managers and administrators import; supervisors may read."""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from mortgage_risk.services import imports
from mortgage_risk.services.errors import InvalidInput
from mortgage_risk.web.deps import CurrentUserDep, UowDep

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])

MAX_UPLOAD_BYTES = 64 * 1024 * 1024
MAX_RECORDS = 100_000
_CHUNK = 1024 * 1024
_FORMATS = ["csv", "parquet", "jsonl", "json"]

ErrorResponses: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in"},
    403: {"description": "The role may not do this"},
    422: {"description": 'Invalid input: {"errors": [{"field": ..., "reason": ...}]}'},
}

_IMPORT_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {
            "file": {"type": "string", "format": "binary",
                     "description": "The feed file (CSV, Parquet, JSON lines or JSON array)"},
            "format": {"type": "string", "enum": _FORMATS,
                       "description": "Overrides the file name's suffix"}}}},
    "application/json": {"schema": {"oneOf": [
        {"type": "array", "items": {"type": "object"}, "description": "The records"},
        {"type": "object", "required": ["records"], "properties": {
            "records": {"type": "array", "items": {"type": "object"}},
            "source": {"type": "string", "description": "A name for the batch's source"}}},
    ]}},
}}}


class RejectionOut(BaseModel):
    """A quarantined record: ``kind`` is ``rejected`` or ``duplicate``; resident ID numbers in
    ``reason`` and ``raw`` are masked."""

    kind: str
    line: int | None
    field: str
    reason: str
    raw: str


class BatchOut(BaseModel):
    id: int
    feed: str
    source: str
    sha256: str | None
    total: int
    accepted: int
    rejected: int
    duplicates: int
    imported_by: str
    imported_at: datetime

    @classmethod
    def of(cls, view: imports.BatchView) -> BatchOut:
        return cls(id=view.id, feed=view.feed, source=view.source, sha256=view.sha256,
                   total=view.total, accepted=view.accepted, rejected=view.rejected,
                   duplicates=view.duplicates, imported_by=view.imported_by,
                   imported_at=view.imported_at)


class BatchDetailOut(BatchOut):
    rejections_total: int
    rejections: list[RejectionOut]


class ImportOut(BatchDetailOut):
    """The batch, its counts, the matching counts (events), the files written (house price
    index, relative to the var folder) and the first quarantined records."""

    as_of: date
    match_counts: dict[str, int]
    files: list[str]


def _rejections(views: list[imports.RejectionView]) -> list[RejectionOut]:
    return [RejectionOut(kind=r.kind, line=r.line, field=r.field, reason=r.reason, raw=r.raw)
            for r in views]


def _relative(path: str, var_dir: Path) -> str:
    try:
        return str(Path(path).relative_to(var_dir))
    except ValueError:
        return Path(path).name


def _import_out(summary: imports.ImportSummary, var_dir: Path) -> ImportOut:
    return ImportOut(**BatchOut.of(summary.batch).model_dump(),
                     rejections_total=summary.rejections_total,
                     rejections=_rejections(summary.rejections), as_of=summary.as_of,
                     match_counts=dict(summary.match_counts),
                     files=[_relative(f, var_dir) for f in summary.files])


async def _save_upload(upload: UploadFile, target: Path) -> None:
    size = 0
    with target.open("wb") as out:
        while chunk := await upload.read(_CHUNK):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise InvalidInput(f"larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB; "
                                   "import it with the command line", field="file")
            out.write(chunk)


def _records_of(body: object) -> tuple[list[object], str]:
    source = "api:records"
    if isinstance(body, dict):
        name = body.get("source")
        if isinstance(name, str) and name.strip():
            source = f"api:{name.strip()}"[:512]
        body = body.get("records")
    if not isinstance(body, list):
        raise InvalidInput('send a JSON array of records, or {"records": [...]}',
                           field="records")
    if len(body) > MAX_RECORDS:
        raise InvalidInput(f"more than {MAX_RECORDS} records; upload a file instead",
                           field="records")
    return body, source


@router.post("/{feed}", response_model=ImportOut, status_code=201,
             responses={**ErrorResponses, 409: {"description": "Another import wrote the same "
                                                               "records meanwhile"},
                        415: {"description": "Neither multipart/form-data nor JSON"}},
             openapi_extra=_IMPORT_BODY)
async def import_feed(feed: str, request: Request, uow: UowDep, user: CurrentUserDep,
                      as_of: date | None = None,
                      format: Annotated[str | None, Query(description="csv, parquet, jsonl or "
                                                                      "json")] = None,
                      ) -> ImportOut:
    """Import one feed (``repayments``, an external feed, or ``house_price_index``) from an
    uploaded file (multipart field ``file``) or JSON records. Bad records are quarantined with
    their line (the record's position for JSON records); a re-import adds nothing."""
    imports.require_importer(user)  # before anything is read or spooled
    var_dir = Path(request.app.state.settings.var_dir)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + _CHUNK:
            raise InvalidInput(f"larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB; import "
                               "it with the command line", field="file")
        async with request.form(max_files=1, max_fields=4) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise InvalidInput("send the feed file in the form field 'file'", field="file")
            field_format = form.get("format")
            name = upload.filename or "upload"
            fmt = imports.format_of(name, format or (field_format if isinstance(
                field_format, str) and field_format else None))
            with tempfile.TemporaryDirectory(prefix="mortgage-risk-import-") as work:
                path = Path(work) / f"upload.{fmt}"
                await _save_upload(upload, path)
                summary = await run_in_threadpool(
                    imports.import_feed_into_db, uow, actor=user, feed=feed, source=path,
                    as_of=as_of, format=fmt, source_name=f"upload:{name}"[:512],
                    var_dir=var_dir)
    elif kind == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise InvalidInput("the body is not valid JSON", field="records") from None
        records, source = _records_of(body)
        summary = await run_in_threadpool(
            imports.import_feed_into_db, uow, actor=user, feed=feed, source=records,
            as_of=as_of, source_name=source, var_dir=var_dir)
    else:
        raise HTTPException(415, "send multipart/form-data with a file, or application/json "
                                 "records")
    return _import_out(summary, var_dir)


@router.get("", response_model=list[BatchOut], responses=ErrorResponses)
def list_batches(uow: UowDep, user: CurrentUserDep, feed: str | None = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> list[BatchOut]:
    """The most recent import batches, newest first."""
    return [BatchOut.of(b) for b in imports.list_batches(uow, actor=user, feed=feed,
                                                         limit=limit)]


@router.get("/{batch_id}", response_model=BatchDetailOut,
            responses={**ErrorResponses, 404: {"description": "No such batch"}})
def get_batch(batch_id: int, uow: UowDep, user: CurrentUserDep,
              limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
              offset: Annotated[int, Query(ge=0)] = 0) -> BatchDetailOut:
    """One batch with its quarantined records in line order (``limit`` from ``offset``)."""
    detail = imports.get_batch(uow, actor=user, batch_id=batch_id, limit=limit, offset=offset)
    return BatchDetailOut(**BatchOut.of(detail.batch).model_dump(),
                          rejections_total=detail.rejections_total,
                          rejections=_rejections(detail.rejections))
