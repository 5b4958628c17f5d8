"""Storage of feed imports: the keys already imported, borrowers and loans for matching, the
accepted rows, the import batch and its quarantine; and the house price index store in var/.

Repayments go to ``repayments`` (key ``(loan_id, period_no)``, the primary key), external
events to ``external_events`` (key ``(source, source_record_id)``, a unique constraint over
every event feed). Inserts run through SQLAlchemy Core in the unit of work's transaction, in
chunks, so they work alike on SQLite and PostgreSQL and commit or roll back with the batch row
and its audit record. A key written by a concurrent import surfaces as :class:`KeyClash`.

The house price index has no table: the monitoring run reads it from Parquet.
:class:`IndexFileStore` keeps every imported index month in
``var/market/house_price_index.parquet`` (the idempotency store) and writes the proxy series the
run reads to ``var/book/house_price_index.parquet`` (``monitoring.run`` takes
``<inputs>/house_price_index.parquet`` when present and reads it unfiltered, so that file holds
one series only). Files are written to a temporary name first and renamed into place only after
the database transaction commits.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mortgage_risk.storage.tables import (
    BorrowerRow,
    ExternalEventRow,
    ImportBatchRow,
    ImportRejectionRow,
    LoanRow,
    RepaymentRow,
)

#: Rows per INSERT executemany and ids per ``IN (...)`` list.
CHUNK: Final = 1000
FIELD_LENGTH: Final = 64
SOURCE_LENGTH: Final = 512

REPAYMENT_COLUMNS: Final = ("loan_id", "period_no", "due_date", "amount_due", "amount_paid",
                            "paid_date", "days_past_due")
#: Accepted-event columns that have no column of their own and are kept in ``payload``.
EVENT_EXTRAS: Final = ("match_note", "subject_resident_id_masked")


class KeyClash(RuntimeError):
    """A row's key was stored by another transaction between reading the keys and writing."""


def _plain(value: object) -> Any:
    """A frame cell as a plain Python value (``None`` for every kind of missing value)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str | bytes | Decimal):
        return value.item()
    return value


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass(frozen=True)
class BorrowerLookup:
    """Borrowers for matching: resident ID → id, and name → ids (names repeat)."""

    by_id: dict[str, int] = field(default_factory=dict)
    by_name: dict[str, list[int]] = field(default_factory=dict)


class ImportRepository:
    """What an import reads and writes in the database."""

    def __init__(self, session: Session) -> None:
        self._s = session

    # ------------------------------------------------------------------ reads for the pipeline

    def repayment_keys(self, loan_ids: Iterable[int] | None = None) -> set[tuple[int, int]]:
        """``(loan_id, period_no)`` already stored, for ``loan_ids`` (default: every loan)."""
        stmt = select(RepaymentRow.loan_id, RepaymentRow.period_no)
        if loan_ids is None:
            return {(int(a), int(b)) for a, b in self._s.execute(stmt)}
        keys: set[tuple[int, int]] = set()
        for part in _chunks(sorted(set(loan_ids))):
            rows = self._s.execute(stmt.where(RepaymentRow.loan_id.in_(part)))
            keys.update((int(a), int(b)) for a, b in rows)
        return keys

    def event_keys(self, sources: Iterable[str] | None = None) -> set[tuple[str, str]]:
        """``(source, source_record_id)`` already stored, for ``sources`` (default: all)."""
        stmt = select(ExternalEventRow.source, ExternalEventRow.source_record_id).where(
            ExternalEventRow.source_record_id.is_not(None))
        if sources is None:
            return {(str(a), str(b)) for a, b in self._s.execute(stmt)}
        keys: set[tuple[str, str]] = set()
        for part in _chunks(sorted(set(sources))):
            rows = self._s.execute(stmt.where(ExternalEventRow.source.in_(part)))
            keys.update((str(a), str(b)) for a, b in rows)
        return keys

    def existing_loan_ids(self, candidates: Iterable[int] | None = None) -> set[int]:
        """The loan ids in the book, or those of ``candidates`` that are."""
        if candidates is None:
            return {int(i) for i in self._s.scalars(select(LoanRow.id))}
        found: set[int] = set()
        for part in _chunks(sorted(set(candidates))):
            found.update(int(i) for i in self._s.scalars(
                select(LoanRow.id).where(LoanRow.id.in_(part))))
        return found

    def borrower_lookup(self) -> BorrowerLookup:
        """Every borrower's resident ID number and name, for matching external records."""
        lookup = BorrowerLookup()
        rows = self._s.execute(select(BorrowerRow.id, BorrowerRow.resident_id, BorrowerRow.name))
        for borrower_id, resident_id, name in rows:
            lookup.by_id[str(resident_id)] = int(borrower_id)
            lookup.by_name.setdefault(str(name), []).append(int(borrower_id))
        return lookup

    # ------------------------------------------------------------------ writes

    def add_batch(self, *, feed: str, source: str, sha256: str | None, total: int,
                  accepted: int, rejected: int, duplicates: int, imported_by: str,
                  imported_at: datetime | None = None) -> ImportBatchRow:
        row = ImportBatchRow(
            feed=feed, source=source[:SOURCE_LENGTH], sha256=sha256, total=total,
            accepted=accepted, rejected=rejected, duplicates=duplicates,
            imported_by=imported_by, imported_at=imported_at or datetime.now(UTC))
        self._s.add(row)
        self._s.flush()
        return row

    def add_rejections(self, batch_id: int, rows: Iterable[Mapping[str, object]]) -> int:
        """Quarantine rows: ``kind`` (rejected or duplicate), ``line``, ``field``, ``reason``,
        ``raw`` (text)."""
        values = [
            {"batch_id": batch_id, "kind": str(r["kind"]),
             "line": None if _plain(r.get("line")) is None else int(str(r["line"])),
             "field": str(r.get("field") or "")[:FIELD_LENGTH],
             "reason": str(r.get("reason") or ""), "raw": str(_plain(r.get("raw")) or "")}
            for r in rows
        ]
        return self._insert(ImportRejectionRow, values)

    def insert_repayments(self, frame: pd.DataFrame) -> int:
        """The accepted repayment records (pipeline columns) as ``repayments`` rows."""
        values = [
            {name: _plain(record[name]) for name in REPAYMENT_COLUMNS}
            for record in frame.to_dict("records")
        ]
        for value in values:
            if value["days_past_due"] is None:
                value["days_past_due"] = 0
        return self._insert(RepaymentRow, values)

    def insert_events(self, frame: pd.DataFrame, *, batch_id: int, feed: str) -> int:
        """The accepted external events (pipeline columns) as ``external_events`` rows; the
        feed's own fields, the feed name and the match note go to ``payload``."""
        values = []
        for record in frame.to_dict("records"):
            payload = json.loads(str(record["payload"])) if _plain(record["payload"]) else {}
            payload["feed"] = feed
            for extra in EVENT_EXTRAS:
                value = _plain(record.get(extra))
                if value:
                    payload[extra] = value
            received = _plain(record["received_at"])
            values.append({
                "borrower_id": _plain(record["borrower_id"]),
                "event_type": str(record["event_type"]),
                "event_date": _plain(record["event_date"]),
                "source": str(record["source"]),
                "subject_name": str(record["subject_name"]),
                "subject_resident_id": _plain(record["subject_resident_id"]),
                "match_confidence": str(record["match_confidence"]),
                "detail": _plain(record.get("detail")) or "",
                "received_at": received if received is not None else datetime.now(UTC),
                "source_record_id": str(record["source_record_id"]),
                "sub_type": _plain(record.get("sub_type")),
                "loan_id": None,
                "level_cap": _plain(record.get("level_cap")),
                "payload": payload,
                "import_batch_id": batch_id,
            })
        return self._insert(ExternalEventRow, values)

    def _insert(self, table: type[Any], values: list[dict[str, Any]]) -> int:
        try:
            for part in _chunks(values):
                self._s.execute(insert(table), list(part))
        except IntegrityError as exc:
            raise KeyClash(str(exc.orig).splitlines()[0] if exc.orig else str(exc)) from None
        return len(values)

    # ------------------------------------------------------------------ reads for people

    def batches(self, *, feed: str | None = None, limit: int = 50) -> list[ImportBatchRow]:
        stmt = select(ImportBatchRow).order_by(ImportBatchRow.id.desc()).limit(limit)
        if feed is not None:
            stmt = stmt.where(ImportBatchRow.feed == feed)
        return list(self._s.scalars(stmt))

    def batch(self, batch_id: int) -> ImportBatchRow | None:
        return self._s.get(ImportBatchRow, batch_id)

    def rejections(self, batch_id: int, *, limit: int = 1000, offset: int = 0
                   ) -> list[ImportRejectionRow]:
        """A batch's quarantined records in line order."""
        stmt = (select(ImportRejectionRow).where(ImportRejectionRow.batch_id == batch_id)
                .order_by(ImportRejectionRow.line, ImportRejectionRow.id)
                .limit(limit).offset(offset))
        return list(self._s.scalars(stmt))

    def rejection_count(self, batch_id: int) -> int:
        return int(self._s.scalar(select(func.count()).select_from(ImportRejectionRow).where(
            ImportRejectionRow.batch_id == batch_id)) or 0)


# ---------------------------------------------------------------------- house price index

INDEX_STORE: Final = Path("market") / "house_price_index.parquet"
INDEX_RUN_INPUT: Final = Path("book") / "house_price_index.parquet"
INDEX_KEY: Final = ("month", "city", "house_type", "segment")
_INDEX_SCHEMA: Final = pa.schema([
    ("month", pa.string()), ("city", pa.string()), ("house_type", pa.string()),
    ("segment", pa.string()), ("value", pa.float64()), ("source", pa.string()),
    ("import_batch_id", pa.int64()), ("imported_at", pa.timestamp("us", tz="UTC")),
])
_RUN_SCHEMA: Final = pa.schema([
    ("month", pa.string()), ("city", pa.string()), ("house_type", pa.string()),
    ("segment", pa.string()), ("value", pa.float64()),
])


class StoreBusy(RuntimeError):
    """Another import of the index holds the store's lock."""


@dataclass
class PendingFiles:
    """Files written under temporary names, to be renamed into place after the commit."""

    moves: list[tuple[Path, Path]] = field(default_factory=list)

    @property
    def targets(self) -> list[Path]:
        return [target for _, target in self.moves]

    def publish(self) -> None:
        for tmp, target in self.moves:
            os.replace(tmp, target)
        self.moves = []

    def discard(self) -> None:
        for tmp, _ in self.moves:
            tmp.unlink(missing_ok=True)
        self.moves = []


def _write_parquet(frame: pd.DataFrame, schema: pa.Schema, target: Path, token: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{token}.tmp"
    table = pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)
    pq.write_table(table, tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    return tmp


class IndexFileStore:
    """Imported house price index months in ``var/market``, and the run's proxy series in
    ``var/book`` (see the module docstring)."""

    def __init__(self, var_dir: str | Path) -> None:
        self.var_dir = Path(var_dir)
        self.store_path = self.var_dir / INDEX_STORE
        self.run_input_path = self.var_dir / INDEX_RUN_INPUT

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One import of the index at a time (a second one is refused, not queued)."""
        self.store_path.parent.mkdir(parents=True, exist_ok=True)
        with (self.store_path.parent / ".house_price_index.lock").open("a+") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreBusy("another house price index import is running") from None
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def stored(self) -> pd.DataFrame:
        """Every imported index month (empty with the store's columns when none)."""
        table = (pq.read_table(self.store_path) if self.store_path.exists()
                 else _INDEX_SCHEMA.empty_table())
        frame: pd.DataFrame = table.to_pandas()
        return frame

    def known_keys(self) -> set[tuple[str, str, str, str]]:
        frame = self.stored()
        return {(str(m), str(c), str(t), str(s)) for m, c, t, s in
                frame[list(INDEX_KEY)].itertuples(index=False, name=None)}

    def prepare(self, accepted: pd.DataFrame, *, batch_id: int, token: str,
                proxy: Mapping[str, str], base_series: pd.DataFrame) -> PendingFiles:
        """Write the store with ``accepted`` added, and the run's proxy series (the packaged
        ``base_series`` with every imported month of the proxy over it), to temporary files.

        The run input is written only when the store holds months of the proxy series.
        """
        pending = PendingFiles()
        if accepted.empty:
            return pending
        now = datetime.now(UTC)
        new = pd.DataFrame({
            "month": accepted["month"].astype(str),
            "city": accepted["city"].astype(str),
            "house_type": accepted["house_type"].astype(str),
            "segment": accepted["segment"].astype(str),
            "value": [float(v) for v in accepted["value"]],
            "source": [_plain(v) for v in accepted["source"]],
            "import_batch_id": batch_id,
            "imported_at": pd.Timestamp(now),
        })
        old = self.stored()
        store = new if old.empty else pd.concat([old, new], ignore_index=True)
        store = store.sort_values(list(INDEX_KEY), kind="stable").reset_index(drop=True)
        pending.moves.append((_write_parquet(store, _INDEX_SCHEMA, self.store_path, token),
                              self.store_path))
        mask = pd.Series(True, index=store.index)
        for column in ("city", "house_type", "segment"):
            mask &= store[column] == proxy[column]
        imported = store.loc[mask, ["month", "value"]]
        if not imported.empty:
            series = self.proxy_series(base_series, imported, proxy)
            pending.moves.append((_write_parquet(series, _RUN_SCHEMA, self.run_input_path,
                                                 token), self.run_input_path))
        return pending

    @staticmethod
    def proxy_series(base_series: pd.DataFrame, imported: pd.DataFrame,
                     proxy: Mapping[str, str]) -> pd.DataFrame:
        """One series by month: the imported months, and the base's months not imported."""
        base = pd.DataFrame({"month": [str(m) for m in base_series["month"]],
                             "value": base_series["value"].astype("float64")})
        months = set(imported["month"])
        merged = pd.concat([base.loc[~base["month"].isin(months)],
                            imported[["month", "value"]]], ignore_index=True)
        merged = merged.sort_values("month", kind="stable").reset_index(drop=True)
        for column in ("city", "house_type", "segment"):
            merged[column] = proxy[column]
        return merged

