"""Monitoring commands: classify a loans file; the nightly run over the whole book."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from mortgage_risk.domain import DomainError, FiveCategory
from mortgage_risk.monitoring.classification import classify
from mortgage_risk.monitoring.policy import MonitoringPolicy
from mortgage_risk.services.errors import Conflict, InvalidInput
from mortgage_risk.services.scorecard_files import read_table
from mortgage_risk.storage.database import Database


def classify_file(path: Path, as_of: date) -> dict[str, Any]:
    """Classify every loan in ``path`` under the shipped monitoring policy."""
    frame = read_table(path, field="loans")
    try:
        result = classify(frame, as_of=as_of, policy=MonitoringPolicy.load_default())
    except DomainError as exc:
        raise InvalidInput(exc.reason, field=f"loans.{exc.field}") from None
    except KeyError as exc:
        raise InvalidInput(f"column {exc.args[0]!r} is missing", field="loans") from None
    counts = result["category"].value_counts()
    order = [c.value for c in FiveCategory]
    return {
        "as_of": as_of.isoformat(), "loans": len(result),
        "counts": {c: int(counts.get(c, 0)) for c in order},
        "npl": int(result["category"].isin(["substandard", "doubtful", "loss"]).sum()),
        "classification": [
            {"loan_id": int(r["loan_id"]), "category": r["category"],
             "dpd_floor_category": r["dpd_floor_category"], "reasons": list(r["reasons"]),
             "driver": r["driver"]}
            for r in result.to_dict("records")],
    }


@dataclass(frozen=True)
class NightlyResult:
    as_of: date
    engine: str
    exported_rows: dict[str, int]
    out_dir: Path
    counts: dict[str, Any]
    classification: dict[str, int]
    seconds: float


def nightly_run(db: Database, *, var_dir: Path, as_of: date, engine: str = "duckdb",
                master: str | None = None,
                progress: Callable[[str, int, int], None] | None = None) -> NightlyResult:
    """The nightly run: export the book to Parquet, run every indicator on ``engine``, and
    classify every loan; results land atomically in ``var/monitoring/as_of=DATE``."""
    from mortgage_risk.monitoring.run import RunError, run_monitoring
    from mortgage_risk.storage.export import export_tables

    started = time.perf_counter()
    book_dir = var_dir / "book"

    def exported(table: str, rows: int) -> None:
        if progress:
            progress(f"export {table}", rows, rows)

    rows = export_tables(db.engine, book_dir, progress=exported)
    try:
        result = run_monitoring(book_dir, var_dir / "monitoring", as_of, engine, master,
                                progress)
    except RunError as exc:
        raise Conflict(str(exc), field="as_of") from None
    except DomainError as exc:
        raise InvalidInput(exc.reason, field=exc.field) from None
    loans = pd.read_parquet(book_dir / "loans.parquet")
    classes = classify(loans, as_of=as_of, policy=MonitoringPolicy.load_default())
    counts = classes["category"].value_counts()
    return NightlyResult(as_of, engine, rows, result.out_dir, dict(result.counts),
                         {c.value: int(counts.get(c.value, 0)) for c in FiveCategory},
                         time.perf_counter() - started)
