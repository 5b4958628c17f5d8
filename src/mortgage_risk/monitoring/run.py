"""The nightly monitoring run: input Parquet folder + as-of date → indicator values, signals and
warnings in ``out_dir/as_of=YYYY-MM-DD``.

The run is atomic and idempotent per as-of date:

- everything is written into a hidden temporary folder ``.tmp-as_of=DATE-<id>`` first; only
  when every file and the manifest are complete is it renamed to ``as_of=DATE``;
- a re-run of the same date replaces the folder (the previous one stays in place until the
  new one is complete, so a killed re-run keeps the last good result);
- a killed run leaves at most a temporary folder, removed by the next run of that date; a run
  that fails with an exception removes its own;
- a lock file per as-of date keeps two runs of the same date from overlapping.

Outputs: ``indicator_values.parquet`` (non-zero values; a missing row means zero or not
applicable), ``signals.parquet`` (values at a level, deduplicated), ``warnings.parquet`` (one
per borrower) and ``manifest.json`` (versions, inputs, counts, timings).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mortgage_risk.monitoring.engines import DuckDBEngine, Engine, create_engine
from mortgage_risk.monitoring.indicators import (
    INDICATOR_VALUES_TABLE,
    LEVELS,
    IndicatorSet,
    SqlContext,
    indicator_counts_sql,
    indicator_rows_sql,
    load_indicator_set,
    stored_values_sql,
    summary_sql,
    view_sql,
)
from mortgage_risk.monitoring.warnings import (
    SIGNALS_TABLE,
    WARNINGS_TABLE,
    duplicate_signal_keys_sql,
    level_counts_sql,
    signals_output_sql,
    signals_sql,
    warnings_output_sql,
    warnings_sql,
)

ProgressFn = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stages ``register``, ``views``, ``indicators``,
``signals``, ``write`` and ``publish``."""

INPUT_TABLES: Final = (
    "loans",
    "repayments",
    "borrowers",
    "properties",
    "applications",
    "external_events",
    "branches",
)
HPI_TABLE: Final = "hpi"
HPI_FILE: Final = "house_price_index.parquet"
_MONTH_ORD_OFFSET: Final = 1970 * 12 + 1  # pandas month ordinal → year * 12 + month

INDICATOR_VALUES_SCHEMA: Final = pa.schema(
    [
        ("as_of", pa.date32()),
        ("indicator_id", pa.string()),
        ("borrower_id", pa.int64()),
        ("loan_id", pa.int64()),
        ("value", pa.float64()),
        ("confidence", pa.string()),
        ("raw_level_rank", pa.int32()),
        ("level_rank", pa.int32()),
    ]
)
SIGNALS_SCHEMA: Final = pa.schema(
    [
        ("as_of", pa.date32()),
        ("signal_id", pa.string()),
        ("indicator_id", pa.string()),
        ("family", pa.string()),
        ("scope", pa.string()),
        ("borrower_id", pa.int64()),
        ("loan_id", pa.int64()),
        ("branch_id", pa.int64()),
        ("value", pa.float64()),
        ("threshold", pa.float64()),
        ("raw_level", pa.string()),
        ("level", pa.string()),
        ("level_rank", pa.int32()),
        ("confidence", pa.string()),
        ("capped", pa.bool_()),
    ]
)
WARNINGS_SCHEMA: Final = pa.schema(
    [
        ("as_of", pa.date32()),
        ("warning_id", pa.string()),
        ("borrower_id", pa.int64()),
        ("branch_id", pa.int64()),
        ("level", pa.string()),
        ("level_rank", pa.int32()),
        ("signal_count", pa.int32()),
        *((f"{name}_count", pa.int32()) for name in LEVELS),
        ("top_indicator_id", pa.string()),
        ("indicator_ids", pa.list_(pa.string())),
        ("families", pa.list_(pa.string())),
        ("loan_ids", pa.list_(pa.int64())),
        ("low_confidence_only", pa.bool_()),
    ]
)
OUTPUT_FILES: Final = ("indicator_values.parquet", "signals.parquet", "warnings.parquet")
COUNTED: Final = ("evaluated", "non_null", "low_confidence")
"""What the manifest counts of each indicator's rows, zero values included."""


class RunError(RuntimeError):
    """The run could not start (missing inputs, another run of the same date in progress)."""


@dataclass(frozen=True)
class RunResult:
    as_of: date
    engine: str
    out_dir: Path
    """The published ``as_of=DATE`` folder."""
    indicator_set_version: str
    counts: Mapping[str, Any] = field(default_factory=dict)
    timings: Mapping[str, float] = field(default_factory=dict)

    @property
    def files(self) -> dict[str, Path]:
        return {name.removesuffix(".parquet"): self.out_dir / name for name in OUTPUT_FILES}

    def read(self, name: str) -> pd.DataFrame:
        """One output table (``indicator_values``, ``signals`` or ``warnings``)."""
        frame: pd.DataFrame = pq.read_table(self.files[name]).to_pandas()
        return frame


def as_of_folder(out_dir: str | Path, as_of: date) -> Path:
    return Path(out_dir) / f"as_of={as_of.isoformat()}"


def _input_path(inputs: Path, name: str) -> Path | None:
    for candidate in (inputs / f"{name}.parquet", inputs / name):
        if candidate.exists():
            return candidate
    return None


def hpi_frame(
    as_of: date,
    *,
    index: pd.DataFrame | None = None,
    proxy: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The monthly index as the SQL reads it: ``month_ord`` (year * 12 + month) and ``level``,
    gap-free from 1990-01 to the as-of month (carried flat beyond the published months).

    ``index`` is a 70-city long table (``month``, ``value``, optionally ``city`` ...); by
    default the packaged one filtered to ``proxy`` (city, house_type, segment).
    """
    from mortgage_risk.valuation.index import PriceIndex

    proxy = dict(proxy or {})
    if index is None:
        from mortgage_risk.datasets import load_house_price_index

        index = load_house_price_index(
            proxy.get("city"), proxy.get("house_type"), proxy.get("segment")
        )
        proxy = {}
    keys = {k: v for k, v in proxy.items() if k in index.columns}
    pi = PriceIndex.from_frame(
        index,
        keys.get("city"),
        keys.get("house_type"),
        keys.get("segment"),
        extend_back_to="1990-01",
        extend_to=pd.Period(as_of, freq="M"),
    )
    frame = pi.to_frame()
    return pd.DataFrame(
        {
            "month_ord": frame["month_ordinal"].astype("int64") + _MONTH_ORD_OFFSET,
            "level": frame["level"].astype("float64"),
        }
    )


@contextlib.contextmanager
def _as_of_lock(out: Path, as_of: date) -> Iterator[None]:
    path = out / f".lock-as_of={as_of.isoformat()}"
    with path.open("a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunError(f"another run for {as_of} is in progress") from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def clean_stale(out_dir: str | Path, as_of: date) -> list[Path]:
    """Remove temporary and superseded folders left by killed runs of this as-of date."""
    out = Path(out_dir)
    removed = []
    for pattern in (f".tmp-as_of={as_of.isoformat()}-*", f".old-as_of={as_of.isoformat()}-*"):
        for path in sorted(out.glob(pattern)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish(tmp: Path, final: Path, token: str) -> None:
    """Swap ``tmp`` into place as ``final``; the old folder is moved aside first and deleted
    after, so ``final`` is never a partial folder."""
    old = final.parent / f".old-{final.name}-{token}"
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    _fsync_dir(final.parent)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def _package_version() -> str:
    try:
        from importlib.metadata import version

        return version("mortgage-risk")
    except Exception:  # noqa: BLE001 - metadata is optional (source checkouts)
        return "unknown"


def _input_stats(path: Path) -> dict[str, Any]:
    files = [path] if path.is_file() else sorted(path.glob("*.parquet"))
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    size = sum(f.stat().st_size for f in files)
    return {"path": str(path), "rows": int(rows), "bytes": int(size)}


def run_monitoring(
    inputs_dir: str | Path,
    out_dir: str | Path,
    as_of: date,
    engine: str | Engine = "duckdb",
    master: str | None = None,
    progress: ProgressFn | None = None,
    *,
    indicator_set: IndicatorSet | None = None,
    hpi: pd.DataFrame | None = None,
) -> RunResult:
    """Run every enabled indicator over the book in ``inputs_dir`` as of ``as_of`` and publish
    the results atomically into ``out_dir/as_of=DATE``.

    ``engine`` is ``"duckdb"`` (default), ``"spark"`` (``master`` URL, default ``local[*]``) or
    an :class:`Engine` instance (left open). ``hpi`` is a 70-city long table; by default
    ``inputs_dir/house_price_index.parquet`` if present, else the packaged index for the
    indicator set's ``hpi_proxy``.
    """
    inputs = Path(inputs_dir)
    out = Path(out_dir)
    iset = indicator_set or load_indicator_set()
    tick: ProgressFn = progress or (lambda stage, done, total: None)
    paths: dict[str, Path] = {}
    missing = []
    for name in INPUT_TABLES:
        found = _input_path(inputs, name)
        if found is None:
            missing.append(name)
        else:
            paths[name] = found
    if missing:
        raise RunError(f"missing input tables in {inputs}: {', '.join(missing)}")
    out.mkdir(parents=True, exist_ok=True)
    with _as_of_lock(out, as_of):
        clean_stale(out, as_of)
        token = uuid.uuid4().hex[:12]
        tmp = out / f".tmp-as_of={as_of.isoformat()}-{token}"
        tmp.mkdir()
        try:
            result = _run_into(tmp, paths, inputs, as_of, iset, engine, master, tick, hpi, token)
            final = as_of_folder(out, as_of)
            tick("publish", 0, 1)
            _publish(tmp, final, token)
            tick("publish", 1, 1)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return RunResult(
        as_of=as_of,
        engine=result["engine"],
        out_dir=final,
        indicator_set_version=iset.version,
        counts=result["counts"],
        timings=result["timings"],
    )


def _run_into(
    tmp: Path,
    paths: Mapping[str, Path],
    inputs: Path,
    as_of: date,
    iset: IndicatorSet,
    engine: str | Engine,
    master: str | None,
    tick: ProgressFn,
    hpi: pd.DataFrame | None,
    token: str,
) -> dict[str, Any]:
    started = datetime.now(UTC)
    timings: dict[str, float] = {}
    t_all = time.perf_counter()
    work = tmp / "_work"
    work.mkdir()
    # the index as a small Parquet input, so every engine reads it the same way
    hpi_path = _input_path(inputs, HPI_TABLE) or _input_path(inputs, HPI_FILE[:-8])
    if hpi is None and hpi_path is not None:
        stored = pq.read_table(hpi_path).to_pandas()
        hpi_table = (
            stored[["month_ord", "level"]]
            if {"month_ord", "level"} <= set(stored.columns)
            else hpi_frame(as_of, index=stored)
        )
    else:
        hpi_table = hpi_frame(as_of, index=hpi, proxy=iset.parameters.get("hpi_proxy"))
    pq.write_table(pa.Table.from_pandas(hpi_table, preserve_index=False), work / "hpi.parquet")

    own = isinstance(engine, str)
    eng: Engine = create_engine(engine, master=master) if isinstance(engine, str) else engine
    ctx = SqlContext(eng.dialect, as_of, iset.parameters)
    created: list[str] = []
    try:
        t0 = time.perf_counter()
        all_inputs = {**paths, HPI_TABLE: work / "hpi.parquet"}
        for k, (name, path) in enumerate(all_inputs.items()):
            eng.register(name, path)
            created.append(name)
            tick("register", k + 1, len(all_inputs))
        timings["register"] = time.perf_counter() - t0

        view_timings: dict[str, float] = {}
        for k, view in enumerate(iset.views):
            t0 = time.perf_counter()
            eng.materialize(view.name, view_sql(view, ctx))
            created.append(view.name)
            view_timings[view.name] = round(time.perf_counter() - t0, 4)
            tick("views", k + 1, len(iset.views))
        timings["views"] = sum(view_timings.values())

        enabled = iset.enabled
        if not enabled:
            raise RunError("no indicator is enabled")
        # what every indicator evaluated (zero values included), in one statement; the table
        # then keeps only the rows that are written out (non-zero or at a level)
        t0 = time.perf_counter()
        counted = eng.query(indicator_counts_sql(enabled, ctx))
        evaluated = {
            int(row["indicator_seq"]): {c: int(row[c]) for c in COUNTED}
            for row in counted.to_dict("records")
        }
        timings["indicator_counts"] = time.perf_counter() - t0
        ind_timings: dict[str, float] = {}
        eng.drop(INDICATOR_VALUES_TABLE)
        for k, ind in enumerate(enabled):
            t0 = time.perf_counter()
            eng.append(INDICATOR_VALUES_TABLE, indicator_rows_sql(ind, ctx, k))
            ind_timings[ind.id] = round(time.perf_counter() - t0, 4)
            tick("indicators", k + 1, len(enabled))
        created.append(INDICATOR_VALUES_TABLE)
        timings["indicators"] = sum(ind_timings.values())

        t0 = time.perf_counter()
        # indicators give one row per key; the deduplication window runs only when one did not
        dupes = int(eng.query(duplicate_signal_keys_sql()).iloc[0]["n"])
        eng.materialize(SIGNALS_TABLE, signals_sql(enabled, as_of, dedupe=dupes > 0))
        created.append(SIGNALS_TABLE)
        eng.materialize(WARNINGS_TABLE, warnings_sql(as_of, eng.dialect, indicators=enabled))
        created.append(WARNINGS_TABLE)
        timings["signals_and_warnings"] = time.perf_counter() - t0
        tick("signals", 1, 1)

        t0 = time.perf_counter()
        summary = eng.query(summary_sql())
        sizes = eng.query(
            "SELECT (SELECT COUNT(*) FROM mr_active) AS active, "
            "(SELECT COUNT(*) FROM mr_borrowers) AS borrowers, "
            f"(SELECT COUNT(*) FROM {SIGNALS_TABLE} WHERE capped) AS capped"
        ).iloc[0]
        signal_levels = eng.query(level_counts_sql(SIGNALS_TABLE))
        warning_levels = eng.query(level_counts_sql(WARNINGS_TABLE))
        timings["summary"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        n_values = eng.write_parquet(
            stored_values_sql(as_of, enabled),
            tmp / "indicator_values.parquet",
            INDICATOR_VALUES_SCHEMA,
        )
        tick("write", 1, 3)
        n_signals = eng.write_parquet(
            signals_output_sql(), tmp / "signals.parquet", SIGNALS_SCHEMA
        )
        tick("write", 2, 3)
        n_warnings = eng.write_parquet(
            warnings_output_sql(), tmp / "warnings.parquet", WARNINGS_SCHEMA
        )
        tick("write", 3, 3)
        timings["write"] = time.perf_counter() - t0
    finally:
        # an in-process DuckDB of our own frees every table at once when closed; other engines
        # (and engines passed in) get each table and view dropped
        if not (own and isinstance(eng, DuckDBEngine)):
            for name in reversed(created):
                with contextlib.suppress(Exception):
                    eng.drop(name)
        if own:
            eng.close()
    shutil.rmtree(work)

    by_signal = dict(zip(signal_levels["level"], signal_levels["n"], strict=True))
    by_warning = dict(zip(warning_levels["level"], warning_levels["n"], strict=True))
    counts: dict[str, Any] = {
        "active_loans": int(sizes["active"]),
        "borrowers_with_active_loans": int(sizes["borrowers"]),
        "indicators_enabled": len(enabled),
        "indicator_values": n_values,
        "signals": n_signals,
        "signals_by_level": {n: int(by_signal.get(n, 0)) for n in LEVELS},
        "signals_capped_low_confidence": int(sizes["capped"]),
        "warnings": n_warnings,
        "warnings_by_level": {n: int(by_warning.get(n, 0)) for n in LEVELS},
    }
    timings["total"] = time.perf_counter() - t_all
    at_level = {int(row["indicator_seq"]): row for row in summary.to_dict("records")}
    per_indicator = []
    for k, ind in enumerate(enabled):
        levels = at_level.get(k, {})
        per_indicator.append(
            {
                "id": ind.id,
                "family": ind.family,
                "thresholds": ind.thresholds.to_dict(),
                **evaluated[k],
                **{n: int(levels.get(n, 0)) for n in LEVELS},
                "seconds": ind_timings.get(ind.id, 0.0),
            }
        )
    per_indicator.sort(key=lambda r: str(r["id"]))
    manifest = {
        "as_of": as_of.isoformat(),
        "run_id": token,
        "engine": eng.dialect,
        "master": master,
        "package_version": _package_version(),
        "indicator_set": {
            "version": iset.version,
            "fingerprint": iset.fingerprint(),
            "enabled": [i.id for i in enabled],
        },
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "inputs": {name: _input_stats(path) for name, path in paths.items()},
        "outputs": list(OUTPUT_FILES),
        "counts": counts,
        "timings": {k: round(v, 4) for k, v in timings.items()},
        "view_timings": view_timings,
        "indicators": per_indicator,
    }
    with (tmp / "manifest.json").open("w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=2, sort_keys=False)
        fh.flush()
        os.fsync(fh.fileno())
    return {"engine": eng.dialect, "counts": counts, "timings": timings}
