"""Import repayment records and external feeds into the book, each in one audited transaction.

:func:`import_feed_into_db` reads a file (CSV, Parquet, JSON lines, JSON array), pulls an HTTP
API or takes records sent to the API, runs the pure pipeline (``monitoring.ingest``) against
the keys, loans and borrowers already stored, and in the caller's unit of work writes

- the accepted rows: repayments to ``repayments``, external events to ``external_events``
  (with ``import_batch_id``; unmatched subjects are kept with ``borrower_id`` NULL and
  ``match_confidence`` ``unmatched``, name-only matches with ``level_cap`` ``blue``), the house
  price index to the Parquet files the monitoring run reads (``storage.imports.IndexFileStore``:
  ``var/market/house_price_index.parquet`` holds every imported month,
  ``var/book/house_price_index.parquet`` the proxy series the run uses);
- one ``import_batches`` row with the counts and the SHA-256 of the source;
- one ``import_rejections`` row per quarantined record (``rejected``: its line, the first wrong
  field, the reason; ``duplicate``: already imported or repeated in the file) with the record
  as read;
- one audit record for the batch,

and commits. Re-importing adds nothing: every record is then a duplicate. A file that cannot be
read at all (missing, unknown format, not Parquet, an HTTP source that fails) is refused with
InvalidInput and nothing is written; a line that cannot be read is quarantined with its number.

The import itself leaves the loans alone; the next monitoring run brings every active loan's
``days_past_due`` and ``overdue_amount`` up to its as-of date from the repayment records
(services/classification.classify_book), so imported repayments count from that run on.

Only risk managers and administrators import; supervisors may also read the batches and their
quarantine. Resident ID numbers are masked in every view this module returns.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mortgage_risk.config import get_settings
from mortgage_risk.domain import Role
from mortgage_risk.domain.resident_id import mask
from mortgage_risk.monitoring.ingest import (
    FEEDS,
    Connector,
    ConnectorError,
    Feed,
    FeedKind,
    FileConnector,
    HttpConnector,
    ImportReport,
    Malformed,
    Rejection,
    get_feed,
    import_feed,
)
from mortgage_risk.monitoring.ingest.readers import FORMATS, ReadItem, detect_format
from mortgage_risk.monitoring.ingest.validate import FieldProblem, canonical_value, clean_value
from mortgage_risk.services.errors import Conflict, InvalidInput, NotFound
from mortgage_risk.services.users import CurrentUser, require_role
from mortgage_risk.storage.imports import (
    ImportRepository,
    IndexFileStore,
    KeyClash,
    PendingFiles,
    StoreBusy,
)
from mortgage_risk.storage.tables import ImportBatchRow, ImportRejectionRow
from mortgage_risk.storage.uow import UnitOfWork

IMPORTERS = (Role.RISK_MANAGER, Role.ADMIN)
VIEWERS = (Role.RISK_MANAGER, Role.ADMIN, Role.SUPERVISOR)
#: Rejections listed in an import's summary; the rest are read back by batch.
SUMMARY_REJECTIONS = 1000
PROGRESS_EVERY = 1000
EVENT_FEEDS = tuple(name for name, feed in FEEDS.items() if feed.is_event)

#: ``progress(stage, done, total)``: stages ``read``, ``check`` and ``write``.
Progress = Callable[[str, int, int], None]
#: What can be imported: a file path, an http(s) URL, a connector, or records.
SourceInput = str | Path | Connector | Sequence[object]

_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")


def mask_ids(text: str) -> str:
    """``text`` with every 18-character resident ID number in it masked."""
    return _RESIDENT_ID.sub(lambda m: mask(m.group(1)), text)


@dataclass(frozen=True)
class RejectionView:
    kind: str
    line: int | None
    field: str
    reason: str
    raw: str

    @classmethod
    def of(cls, row: ImportRejectionRow) -> RejectionView:
        return cls(kind=row.kind, line=row.line, field=row.field, reason=mask_ids(row.reason),
                   raw=mask_ids(row.raw))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "line": self.line, "field": self.field,
                "reason": self.reason, "raw": self.raw}


@dataclass(frozen=True)
class BatchView:
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
    def of(cls, row: ImportBatchRow) -> BatchView:
        return cls(id=row.id, feed=row.feed, source=row.source, sha256=row.sha256,
                   total=row.total, accepted=row.accepted, rejected=row.rejected,
                   duplicates=row.duplicates, imported_by=row.imported_by,
                   imported_at=row.imported_at)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "feed": self.feed, "source": self.source, "sha256": self.sha256,
                "total": self.total, "accepted": self.accepted, "rejected": self.rejected,
                "duplicates": self.duplicates, "imported_by": self.imported_by,
                "imported_at": self.imported_at.isoformat()}


@dataclass(frozen=True)
class BatchDetail:
    batch: BatchView
    rejections: list[RejectionView]
    rejections_total: int

    def to_dict(self) -> dict[str, Any]:
        return {**self.batch.to_dict(), "rejections_total": self.rejections_total,
                "rejections": [r.to_dict() for r in self.rejections]}


@dataclass(frozen=True)
class ImportSummary:
    """The outcome of one import: the batch, its counts, and the first quarantined records
    (``SUMMARY_REJECTIONS`` of them: rejected records, then duplicates, each in line order)."""

    batch: BatchView
    as_of: date
    match_counts: dict[str, int]
    rejections: list[RejectionView]
    rejections_total: int
    files: list[str] = field(default_factory=list)

    @property
    def batch_id(self) -> int:
        return self.batch.id

    @property
    def accepted(self) -> int:
        return self.batch.accepted

    @property
    def rejected(self) -> int:
        return self.batch.rejected

    @property
    def duplicates(self) -> int:
        return self.batch.duplicates

    def to_dict(self) -> dict[str, Any]:
        return {**self.batch.to_dict(), "batch_id": self.batch.id,
                "as_of": self.as_of.isoformat(), "match_counts": dict(self.match_counts),
                "files": list(self.files), "rejections_total": self.rejections_total,
                "rejections": [r.to_dict() for r in self.rejections]}


def format_of(filename: str, format: str | None = None) -> str:
    """The file format named by ``format``, else by the file name's suffix."""
    if format is not None:
        if format not in FORMATS:
            raise InvalidInput(f"unknown format {format!r}; allowed: {', '.join(FORMATS)}",
                               field="format")
        return format
    try:
        return detect_format(filename)
    except ValueError:
        raise InvalidInput(f"cannot tell the format of {filename!r}; name it .csv, .parquet, "
                           f".jsonl or .json, or give the format ({', '.join(FORMATS)})",
                           field="format") from None


def require_importer(user: CurrentUser) -> None:
    """Refuse anyone but a risk manager or an administrator."""
    require_role(user, *IMPORTERS)


# ------------------------------------------------------------------------------- reading


def _canonical_json(value: object) -> str:
    if isinstance(value, Mapping):
        value = {str(k): canonical_value(v) for k, v in value.items()}
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _raw_text(raw: object) -> str:
    if raw is None:
        return ""
    return raw if isinstance(raw, str) else _canonical_json(raw)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _record_items(records: Sequence[object]) -> Iterator[ReadItem]:
    for number, record in enumerate(records, start=1):
        if isinstance(record, Mapping):
            yield number, {str(k): v for k, v in record.items()}
        else:
            yield number, Malformed(f"a record must be a JSON object, not "
                                    f"{type(record).__name__}", repr(record)[:500])


def _url_label(url: str) -> str:
    """The URL without its query and fragment (which may carry credentials)."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@dataclass
class _Source:
    items: Iterable[ReadItem]
    label: str
    field: str
    path: Path | None = None


def _source(source: SourceInput, *, format: str | None, auth_header: str | None,
            page_param: str | None, records_key: str | None,
            source_name: str | None) -> _Source:
    if isinstance(source, str) and source.lower().startswith(("http://", "https://")):
        try:
            connector = HttpConnector(source, auth_header=auth_header, page_param=page_param,
                                      records_key=records_key)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="url") from None
        return _Source(connector.records(), source_name or _url_label(source), "url")
    if isinstance(source, str | Path):
        path = Path(source)
        fmt = format_of(path.name, format)
        if not path.is_file():
            raise InvalidInput(f"no file {path}", field="file")
        return _Source(FileConnector(path, format=fmt).records(), source_name or str(path),
                       "file", path)
    if isinstance(source, Connector):
        return _Source(source.records(), source_name or repr(source), "source")
    if isinstance(source, Sequence) and not isinstance(source, str | bytes):
        return _Source(_record_items(source), source_name or "api:records", "records")
    raise InvalidInput(f"cannot import from {type(source).__name__}", field="source")


def _read_all(src: _Source, tick: Progress) -> tuple[list[ReadItem], str]:
    """Every item of the source, and the SHA-256 of the file (or of the records as read)."""
    digest = hashlib.sha256()
    items: list[ReadItem] = []
    try:
        for item in src.items:
            items.append(item)
            if src.path is None:
                number, record = item
                shown = (record.reason + "\x00" + record.text if isinstance(record, Malformed)
                         else _canonical_json(record))
                digest.update(f"{number}\t{shown}\n".encode())
            if len(items) % PROGRESS_EVERY == 0:
                tick("read", len(items), len(items))
        sha = _file_sha256(src.path) if src.path is not None else digest.hexdigest()
    except ConnectorError as exc:
        raise InvalidInput(str(exc), field=src.field) from None
    except (OSError, ValueError) as exc:
        what = src.path.name if src.path is not None else src.label
        raise InvalidInput(f"cannot read {what}: {exc}", field=src.field) from None
    tick("read", len(items), len(items))
    return items, sha


def _candidates(feed: Feed, name: str, items: Sequence[ReadItem], as_of: date) -> set[Any]:
    """The clean values of field ``name`` in the records (to narrow the stored-key query)."""
    spec = feed.field(name)
    found: set[Any] = set()
    for _, record in items:
        if isinstance(record, Malformed):
            continue
        value = record.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            found.add(clean_value(spec, value, as_of=as_of))
        except FieldProblem:
            continue
    return found


def _ticking(items: Sequence[ReadItem], tick: Progress) -> Iterator[ReadItem]:
    total = len(items)
    for number, item in enumerate(items, start=1):
        yield item
        if number % PROGRESS_EVERY == 0 or number == total:
            tick("check", number, total)


def _quarantine(report: ImportReport) -> list[dict[str, object]]:
    """One row per rejected or duplicate record, in line order; every further problem of a
    record is named after the first."""
    def row(kind: str, r: Rejection) -> dict[str, object]:
        reason = r.reason
        others = [f"{f}: {why}" for f, why in r.problems[1:]]
        if others:
            reason += "; also " + "; ".join(others)
        return {"kind": kind, "line": r.line, "field": r.field, "reason": reason,
                "raw": _raw_text(r.raw)}

    rows = [row("rejected", r) for r in report.rejected]
    rows += [row("duplicate", r) for r in report.duplicates]
    rows.sort(key=lambda r: (int(str(r["line"])), str(r["kind"])))
    return rows


def _hpi_proxy() -> dict[str, str]:
    from mortgage_risk.monitoring.indicators import load_indicator_set

    proxy = load_indicator_set().parameters.get("hpi_proxy")
    settings = get_settings()
    chosen = dict(proxy) if isinstance(proxy, Mapping) else {}
    return {"city": str(chosen.get("city", settings.price_index_city)),
            "house_type": str(chosen.get("house_type", settings.price_index_house_type)),
            "segment": str(chosen.get("segment", settings.price_index_segment))}


def _packaged_series(proxy: Mapping[str, str]) -> Any:
    import pandas as pd

    from mortgage_risk.datasets import load_house_price_index

    try:
        return load_house_price_index(proxy["city"], proxy["house_type"], proxy["segment"])
    except FileNotFoundError:
        return pd.DataFrame({"month": [], "value": []})


# ------------------------------------------------------------------------------- the import


def import_feed_into_db(
    uow: UnitOfWork,
    *,
    actor: CurrentUser,
    feed: str,
    source: SourceInput,
    as_of: date | None = None,
    format: str | None = None,
    source_name: str | None = None,
    auth_header: str | None = None,
    page_param: str | None = None,
    records_key: str | None = None,
    var_dir: Path | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import one feed's file, URL or records; see the module docstring.

    ``as_of`` (default: the configured as-of date, else today) is the date after which a record
    date is "in the future". ``format`` overrides the file suffix; ``source_name`` is what the
    batch records as its source (default: the path, or the URL without its query);
    ``auth_header``, ``page_param`` and ``records_key`` configure an HTTP pull; ``var_dir``
    (default: the settings') is where the house price index files live.
    """
    require_importer(actor)
    try:
        spec = get_feed(feed)
    except KeyError:
        raise InvalidInput(f"unknown feed {feed!r}; known: {', '.join(FEEDS)}",
                           field="feed") from None
    day = as_of or get_settings().resolved_as_of()
    tick: Progress = progress or (lambda stage, done, total: None)
    src = _source(source, format=format, auth_header=auth_header, page_param=page_param,
                  records_key=records_key, source_name=source_name)
    items, sha = _read_all(src, tick)
    if spec.kind is FeedKind.MARKET:
        store = IndexFileStore(var_dir or get_settings().var_dir)
        try:
            with store.locked():
                return _import(uow, actor, spec, src, items, sha, day, tick, store)
        except StoreBusy as exc:
            raise Conflict(str(exc), field="feed") from None
    return _import(uow, actor, spec, src, items, sha, day, tick, None)


def _import(uow: UnitOfWork, actor: CurrentUser, spec: Feed, src: _Source,
            items: list[ReadItem], sha: str, day: date, tick: Progress,
            store: IndexFileStore | None) -> ImportSummary:
    repo = ImportRepository(uow.session)
    received = datetime.now(UTC)
    known_loans: set[int] | None = None
    known_keys: set[Any]
    by_id: dict[str, int] | None = None
    by_name: dict[str, list[int]] | None = None
    if spec.kind is FeedKind.REPAYMENT:
        assert spec.loan_field is not None
        known_loans = repo.existing_loan_ids(
            _candidates(spec, spec.loan_field, items, day))
        known_keys = set(repo.repayment_keys(known_loans))
    elif spec.is_event:
        known_keys = set(repo.event_keys(_candidates(spec, "source", items, day)))
        lookup = repo.borrower_lookup()
        by_id, by_name = lookup.by_id, lookup.by_name
    else:
        assert store is not None
        known_keys = set(store.known_keys())
    report = import_feed(spec, _ticking(items, tick), as_of=day, known_loans=known_loans,
                         known_keys=known_keys, borrowers_by_id=by_id,
                         borrowers_by_name=dict(by_name) if by_name is not None else None,
                         received_at=received)
    counts = report.counts
    batch = repo.add_batch(feed=spec.name, source=src.label, sha256=sha, total=counts["total"],
                           accepted=counts["accepted"], rejected=counts["rejected"],
                           duplicates=counts["duplicates"], imported_by=actor.username,
                           imported_at=received)
    tick("write", 0, counts["accepted"])
    try:
        if spec.kind is FeedKind.REPAYMENT:
            repo.insert_repayments(report.accepted)
        elif spec.is_event:
            repo.insert_events(report.accepted, batch_id=batch.id, feed=spec.name)
    except KeyClash:
        raise Conflict("another import stored some of these records meanwhile; import the "
                       "file again to add the rest", field=src.field) from None
    tick("write", counts["accepted"], counts["accepted"])
    quarantine = _quarantine(report)
    repo.add_rejections(batch.id, quarantine)
    match_counts = dict(report.match_counts)
    pending = PendingFiles()
    try:
        if store is not None:
            proxy = _hpi_proxy()
            pending = store.prepare(report.accepted, batch_id=batch.id,
                                    token=uuid.uuid4().hex[:12], proxy=proxy,
                                    base_series=_packaged_series(proxy))
        files = [str(p) for p in pending.targets]
        uow.audit.record(
            actor=actor.username, action="import", entity="import_batch", entity_id=batch.id,
            after={"feed": spec.name, "source": src.label, "sha256": sha,
                   "as_of": day.isoformat(), "total": counts["total"],
                   "accepted": counts["accepted"], "rejected": counts["rejected"],
                   "duplicates": counts["duplicates"], "match": match_counts, "files": files})
        uow.commit()
    except BaseException:
        pending.discard()
        raise
    pending.publish()
    # the records that need fixing first, then the duplicates, each in line order
    first = sorted(quarantine, key=lambda r: r["kind"] != "rejected")[:SUMMARY_REJECTIONS]
    shown = [RejectionView(kind=str(r["kind"]), line=int(str(r["line"])),
                           field=str(r["field"]), reason=mask_ids(str(r["reason"])),
                           raw=mask_ids(str(r["raw"])))
             for r in first]
    return ImportSummary(batch=BatchView.of(batch), as_of=day, match_counts=match_counts,
                         rejections=shown, rejections_total=len(quarantine), files=files)


# ------------------------------------------------------------------------------- reading back


def list_batches(uow: UnitOfWork, *, actor: CurrentUser, feed: str | None = None,
                 limit: int = 50) -> list[BatchView]:
    """The most recent import batches, newest first."""
    require_role(actor, *VIEWERS)
    if feed is not None and feed not in FEEDS:
        raise InvalidInput(f"unknown feed {feed!r}; known: {', '.join(FEEDS)}", field="feed")
    if not 1 <= limit <= 1000:
        raise InvalidInput("must be between 1 and 1000", field="limit")
    return [BatchView.of(r) for r in ImportRepository(uow.session).batches(feed=feed,
                                                                            limit=limit)]


def get_batch(uow: UnitOfWork, *, actor: CurrentUser, batch_id: int, limit: int = 1000,
              offset: int = 0) -> BatchDetail:
    """One batch with its quarantined records (``limit`` from ``offset``, in line order)."""
    require_role(actor, *VIEWERS)
    if not 1 <= limit <= 10_000:
        raise InvalidInput("must be between 1 and 10000", field="limit")
    if offset < 0:
        raise InvalidInput("must not be negative", field="offset")
    repo = ImportRepository(uow.session)
    row = repo.batch(batch_id)
    if row is None:
        raise NotFound(f"no import batch {batch_id}", field="batch_id")
    rejections = [RejectionView.of(r) for r in repo.rejections(batch_id, limit=limit,
                                                               offset=offset)]
    return BatchDetail(BatchView.of(row), rejections, repo.rejection_count(batch_id))
