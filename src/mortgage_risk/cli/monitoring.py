"""`classify` (five-category classification of a loans file) and `monitor run`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from mortgage_risk.cli.common import console, fail, one_line_errors

monitor_app = typer.Typer(help="Post-loan monitoring: the nightly run over the whole book.",
                          no_args_is_help=True)


def classify(
    loans: Annotated[Path, typer.Option("--loans", help="Loans (CSV or Parquet): id or "
                                                         "loan_id, borrower_id, days_past_due, "
                                                         "status.")],
    as_of: Annotated[str, typer.Option("--as-of", help="Classification date YYYY-MM-DD.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Five-category classification of every loan in a file (2023 rules), with reasons."""
    from mortgage_risk.services.monitoring import classify_file

    try:
        day = date.fromisoformat(as_of)
    except ValueError:
        fail(f"as_of: {as_of!r} is not a date (YYYY-MM-DD)")
    with one_line_errors():
        result = classify_file(loans, day)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, default=str))
        return
    counts = ", ".join(f"{k} {v}" for k, v in result["counts"].items())
    console.print(f"{result['loans']} loans as of {day}: {counts}")


@monitor_app.command("run")
def run(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Run date (default: the book's "
                                                               "as-of date).")] = None,
    engine: Annotated[str, typer.Option("--engine", help="duckdb or spark")] = "duckdb",
    master: Annotated[str | None, typer.Option(
        "--master", help="Spark master URL (default local[*])")] = None,
) -> None:
    """Export the book, run every indicator and classify every loan (idempotent per date)."""
    from mortgage_risk.cli.common import open_database, progress_bar, stage_progress
    from mortgage_risk.config import get_settings
    from mortgage_risk.services.monitoring import nightly_run

    if engine not in ("duckdb", "spark"):
        fail(f"engine: must be duckdb or spark; got {engine!r}")
    db = open_database()
    with one_line_errors():
        if as_of is None:
            with db.uow() as uow:
                book_day = uow.portfolio.as_of()
            day = book_day or date.today()
        else:
            day = date.fromisoformat(as_of)
        with progress_bar() as progress:
            result = nightly_run(db, var_dir=get_settings().var_dir, as_of=day, engine=engine,
                                 master=master, progress=stage_progress(progress))
    c = result.counts
    classes = ", ".join(f"{k} {v}" for k, v in result.classification.items())
    levels = ", ".join(f"{k} {v}" for k, v in c["warnings_by_level"].items())
    cases = c["cases"]
    console.print(
        f"monitoring run {result.as_of} on {result.engine} ({result.seconds:.1f} s) → "
        f"{result.out_dir}\n"
        f"  active loans {c['active_loans']:,}; signals {c['signals']:,}; warnings "
        f"{c['warnings']:,} ({levels})\n"
        f"  warning cases: opened {cases['opened']:,}, level raised {cases['raised']:,}, "
        f"still open {cases['seen']:,}; escalated {c['escalated_cases']:,}\n"
        f"  classes: {classes}")
