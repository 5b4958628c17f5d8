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
