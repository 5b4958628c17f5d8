"""`assess`: one application from a JSON file through every engine (nothing stored)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from mortgage_risk.cli.common import console, fail, one_line_errors


def _summary(r: dict[str, Any]) -> str:
    flags = ", ".join(f"{f['rule_id']}({f['severity']})" for f in r["flags"]) or "none"
    reasons = "; ".join(x["zh"] for x in r["reasons"])
    return (f"{r['recommendation_zh']} ({r['recommendation']}): PD {r['pd']:.2%}, grade "
            f"{r['grade']}, LTV {r['ltv']:.2%}, LGD {r['lgd']:.2%}, EL "
            f"¥{Decimal(r['expected_loss']):,.2f}, limit ¥{Decimal(r['limit']['amount']):,.0f} "
            f"({r['limit']['binding']}), rate {float(r['price']['rate']):.2%}; flags {flags}; "
            f"{reasons}")


def assess(
    application: Annotated[Path, typer.Option("--application", help="Application JSON.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Assess an application described in JSON: flags, PD, grade, valuation, LTV, LGD, EL,
    decision, limit, price and reasons, with the shipped model, rules, parameters and policy."""
    from mortgage_risk.services.assessment_document import assess_document

    if not application.exists():
        fail(f"application: no file {application}")
    try:
        document = json.loads(application.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        fail(f"application: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    with one_line_errors():
        result = assess_document(document)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, default=str))
    else:
        console.print(_summary(result), highlight=False)
