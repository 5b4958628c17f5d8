"""One import of one feed: read, validate, deduplicate, match, report. Pure: nothing is stored.

:func:`import_feed` returns an :class:`ImportReport`: the accepted rows as a DataFrame ready to
store, the rejected records (quarantine: line, field, reason, raw record) and the duplicates
skipped (also with line and reason). Every record read lands in exactly one of the three, so
``accepted + rejected + duplicates == total``.

Idempotency: pass the keys already stored as ``known_keys`` (``ImportReport.new_keys`` of
earlier imports, or read back from the table: ``(loan_id, period_no)`` as ints for
repayments, ``(source, source_record_id)`` strings for events, ``(month, city, house_type,
segment)`` strings for the house price index). A re-import of the same file then accepts
nothing: every record is a duplicate. Events without a ``source_record_id`` get
``sha256:<content hash>``, so they re-import as duplicates too.

Accepted columns: the feed's fields (ints as ``Int64``, booleans as ``boolean``, amounts as
``Decimal``, dates as ``datetime.date``, months as ``"YYYY-MM"``), then for events
``event_type``, ``sub_type``, ``borrower_id``, ``match_confidence`` (``resident_id``,
``name_only`` or ``unmatched``), ``match_note``, ``level_cap`` (``blue`` for a name-only
match), ``subject_resident_id_masked``, ``payload`` (JSON of the feed's own fields, for
``external_events.detail``) and ``received_at``; always ``source_line`` and ``record_hash``.
A masked ID number goes to ``subject_resident_id_masked``; ``subject_resident_id`` holds only
full, checked numbers.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from mortgage_risk.monitoring.ingest.connectors import Connector, FileConnector
from mortgage_risk.monitoring.ingest.feeds import Feed, FieldType, get_feed
from mortgage_risk.monitoring.ingest.matching import BorrowerIndex, Match
from mortgage_risk.monitoring.ingest.readers import Malformed, RawRecord, ReadItem
from mortgage_risk.monitoring.ingest.validate import (
    CleanRow,
    Deduplicator,
    Key,
    Rejection,
    Verdict,
    canonical_value,
    fill_key,
    record_key,
    validate_record,
)

#: Columns that every event has in common; the rest of a feed's fields go to ``payload``.
_EVENT_COMMON = ("source", "source_record_id", "event_date", "subject_name",
                 "subject_resident_id", "detail")
_EVENT_EXTRA = ("event_type", "sub_type", "borrower_id", "match_confidence", "match_note",
                "level_cap", "subject_resident_id_masked", "payload", "received_at")
_TRAILER = ("source_line", "record_hash")

#: What :func:`import_feed` reads: a connector, a file path, or records with or without lines.
Source = Connector | Iterable[ReadItem] | Iterable[RawRecord] | str | Path


@dataclass(frozen=True)
class ImportReport:
    """The outcome of one import (see the module docstring)."""

    feed: str
    accepted: pd.DataFrame
    rejected: list[Rejection]
    duplicates: list[Rejection]
    total: int
    new_keys: frozenset[Key] = frozenset()
    match_counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def duplicates_skipped(self) -> int:
        return len(self.duplicates)

    @property
    def counts(self) -> dict[str, int]:
        out = {"total": self.total, "accepted": len(self.accepted),
               "rejected": len(self.rejected), "duplicates": len(self.duplicates)}
        out.update({f"match_{k}": v for k, v in self.match_counts.items()})
        return out

    def quarantine_frame(self) -> pd.DataFrame:
        """Rejected records and skipped duplicates: kind, line, field, reason, raw (JSON)."""
        rows = [
            {"kind": kind, "line": r.line, "field": r.field, "reason": r.reason,
             "raw": _raw_json(r.raw)}
            for kind, items in (("rejected", self.rejected), ("duplicate", self.duplicates))
            for r in items
        ]
        frame = pd.DataFrame(rows, columns=["kind", "line", "field", "reason", "raw"])
        return frame.sort_values(["line", "kind"], kind="stable").reset_index(drop=True)

    def summary(self) -> str:
        c = self.counts
        return (f"{self.feed}: {c['total']} read, {c['accepted']} accepted, "
                f"{c['rejected']} rejected, {c['duplicates']} duplicates skipped")


def _raw_json(raw: object) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, Mapping):
        return json.dumps({str(k): canonical_value(v) for k, v in raw.items()},
                          ensure_ascii=False, default=str)
    return json.dumps(raw, ensure_ascii=False, default=str)


def _items(source: Source) -> Iterator[ReadItem]:
    if isinstance(source, str | Path):
        yield from FileConnector(source).records()
        return
    iterable: Iterable[object] = source.records() if isinstance(source, Connector) else source
    for number, item in enumerate(iterable, start=1):
        if (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], int)
                and isinstance(item[1], Mapping | Malformed)):
            yield item[0], item[1]
        elif isinstance(item, Mapping):
            yield number, item
        else:
            yield number, Malformed(f"not a record: {type(item).__name__}", repr(item)[:500])


def accepted_columns(feed: Feed) -> list[str]:
    """The columns of ``ImportReport.accepted`` for ``feed``."""
    extra = _EVENT_EXTRA if feed.is_event else ()
    return [*feed.field_names, *extra, *_TRAILER]


def _event_columns(feed: Feed, row: CleanRow, match: Match, received_at: datetime) -> None:
    rid = row.get("subject_resident_id")
    masked = isinstance(rid, str) and "*" in rid
    row["subject_resident_id_masked"] = rid if masked else None
    if masked:
        row["subject_resident_id"] = None
    row["event_type"] = feed.event_type_of(row)
    row["sub_type"] = row[feed.type_field] if feed.type_field else None
    row["borrower_id"] = match.borrower_id
    row["match_confidence"] = match.confidence_value
    row["match_note"] = match.note
    row["level_cap"] = match.level_cap
    payload = {name: canonical_value(row[name]) for name in feed.field_names
               if name not in _EVENT_COMMON and row[name] is not None}
    row["payload"] = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    row["received_at"] = received_at


def _frame(feed: Feed, rows: list[CleanRow]) -> pd.DataFrame:
    columns = accepted_columns(feed)
    frame = pd.DataFrame.from_records(rows, columns=columns) if rows else pd.DataFrame(
        {c: pd.Series([], dtype=object) for c in columns})
    for spec in feed.fields:
        if spec.type is FieldType.INTEGER:
            frame[spec.name] = frame[spec.name].astype("Int64")
        elif spec.type is FieldType.BOOLEAN:
            frame[spec.name] = frame[spec.name].astype("boolean")
    frame["source_line"] = frame["source_line"].astype("int64")
    if feed.is_event:
        frame["borrower_id"] = frame["borrower_id"].astype("Int64")
        frame["received_at"] = pd.to_datetime(frame["received_at"], utc=True)
    return frame


def import_feed(
    feed: Feed | str,
    source: Source,
    *,
    as_of: date,
    known_loans: Collection[int] | None = None,
    known_keys: Collection[Key] = (),
    borrowers_by_id: Mapping[str, int] | None = None,
    borrowers_by_name: Mapping[str, int | Collection[int]] | None = None,
    received_at: datetime | None = None,
) -> ImportReport:
    """Import one feed's records; nothing is stored, the caller stores the report.

    ``source`` is a connector (anything with ``records()``), a file path, an iterable of
    ``(line, record)`` pairs, or an iterable of plain records (numbered from 1).
    ``known_loans`` is required for the repayment feed; ``borrowers_by_id`` maps resident ID
    numbers and ``borrowers_by_name`` names to borrower ids (one or several).
    """
    spec = get_feed(feed)
    if spec.loan_field is not None and known_loans is None:
        raise ValueError(f"feed {spec.name} needs known_loans")
    loans = known_loans if isinstance(known_loans, set | frozenset) or known_loans is None \
        else frozenset(known_loans)
    stamp = received_at or datetime.now(UTC)
    index = BorrowerIndex(borrowers_by_id, borrowers_by_name) if spec.is_event else None
    dedup = Deduplicator(spec, known_keys)
    accepted: list[CleanRow] = []
    rejected: list[Rejection] = []
    duplicates: list[Rejection] = []
    keys: set[Key] = set()
    match_counts: dict[str, int] = {}
    total = 0
    for line, raw in _items(source):
        total += 1
        result = validate_record(spec, raw, line=line, as_of=as_of, known_loans=loans)
        if isinstance(result, Rejection):
            rejected.append(result)
            continue
        digest = fill_key(spec, result)
        key = record_key(spec, result)
        verdict, note = dedup.check(line, key, digest, dict(raw) if isinstance(raw, Mapping)
                                    else raw)
        if verdict is Verdict.DUPLICATE and note is not None:
            duplicates.append(note)
            continue
        if verdict is Verdict.CONFLICT and note is not None:
            rejected.append(note)
            continue
        if index is not None:
            subject = result.get("subject_name")
            rid = result.get("subject_resident_id")
            match = index.match(name=subject if isinstance(subject, str) else None,
                                resident_id=rid if isinstance(rid, str) else None,
                                allow_name_only=not spec.id_match_only)
            match_counts[match.confidence_value] = match_counts.get(match.confidence_value,
                                                                    0) + 1
            _event_columns(spec, result, match, stamp)
        result["source_line"] = line
        result["record_hash"] = digest
        keys.add(key)
        accepted.append(result)
    return ImportReport(
        feed=spec.name,
        accepted=_frame(spec, accepted),
        rejected=rejected,
        duplicates=duplicates,
        total=total,
        new_keys=frozenset(keys),
        match_counts=match_counts,
    )
