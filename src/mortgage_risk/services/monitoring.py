"""Monitoring commands: classify a loans file; the nightly run over the whole book."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from mortgage_risk.domain import DomainError, FiveCategory
from mortgage_risk.monitoring.classification import classify
from mortgage_risk.monitoring.policy import MonitoringPolicy
from mortgage_risk.services.classification import classify_book
from mortgage_risk.services.errors import Conflict, InvalidInput
from mortgage_risk.services.scorecard_files import read_table
from mortgage_risk.services.warnings import escalate_overdue, handling_policy, sync_warnings
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.tables import MonitoringRunRow
from mortgage_risk.storage.uow import UnitOfWork


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
                master: str | None = None, actor: str = "system",
                progress: Callable[[str, int, int], None] | None = None) -> NightlyResult:
    """The nightly run: export the book to Parquet, run every indicator on ``engine`` (results
    land atomically in ``var/monitoring/as_of=DATE``), then in one transaction classify every
    loan and store the classes, turn the warnings into cases, escalate late ones, and record
    the run."""
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
    repayments = pd.read_parquet(book_dir / "repayments.parquet")
    manifest = json.loads((result.out_dir / "manifest.json").read_text(encoding="utf-8"))
    with db.uow() as uow:
        classes = classify_book(uow, as_of=as_of, loans=loans, repayments=repayments,
                                actor=actor)
        versions = {"indicator_set": result.indicator_set_version,
                    "monitoring_policy": classes["policy_version"]}
        cases = sync_warnings(uow, as_of=as_of, warnings=result.read("warnings"),
                              versions=versions, actor=actor)
        escalated = escalate_overdue(uow, today=as_of, actor=actor)
        seconds = time.perf_counter() - started
        uow.runs.replace(MonitoringRunRow(
            as_of=as_of, run_id=str(manifest["run_id"]), engine=engine,
            versions={**versions, "warning_handling": handling_policy().version},
            counts={**dict(result.counts), "cases": cases, **escalated},
            classification=classes["counts"], seconds=round(seconds, 3), run_by=actor,
            finished_at=datetime.now(UTC)))
        uow.audit.record(actor=actor, action="monitoring_run", entity="monitoring_run",
                         entity_id=as_of.isoformat(),
                         after={"run_id": manifest["run_id"], "cases": cases, **escalated})
        uow.commit()
    return NightlyResult(as_of, engine, rows, result.out_dir,
                         {**dict(result.counts), "cases": cases, **escalated},
                         classes["counts"], seconds)


def recent_runs(uow: UnitOfWork, limit: int = 30) -> list[dict[str, Any]]:
    """The stored monitoring runs, newest first, with the versions each used."""
    return [{"as_of": r.as_of.isoformat(), "run_id": r.run_id, "engine": r.engine,
             "versions": r.versions, "counts": r.counts, "classification": r.classification,
             "seconds": r.seconds, "run_by": r.run_by,
             "finished_at": r.finished_at.isoformat()} for r in uow.runs.recent(limit)]


def book_as_of(uow: UnitOfWork) -> date:
    """The date the book stands at (the default as-of date of a run), else today."""
    return uow.portfolio.as_of() or date.today()
