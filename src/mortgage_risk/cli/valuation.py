"""`valuate` (a JSON request, no database), `valuation` (stored properties) and `params`."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from mortgage_risk.cli.common import acting_user, console, fail, one_line_errors, open_database

valuation_app = typer.Typer(help="Value stored collateral and keep the valuation.",
                            no_args_is_help=True)
params_app = typer.Typer(help="Versioned parameter sets (valuation tables, caps, ...).",
                         no_args_is_help=True)
ActorOption = Annotated[str, typer.Option("--as", help="Username of the staff member acting.")]


def _read_json(path: Path, field: str) -> Any:
    if not path.exists():
        fail(f"{field}: no file {path}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        fail(f"{field}: {path} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")


def _summary(result: dict[str, Any]) -> str:
    parts = [f"market value ¥{Decimal(result['market_value']):,.0f}",
             f"mortgage value ¥{Decimal(result['mortgage_value']):,.2f}",
             f"net mortgage value ¥{Decimal(result['net_mortgage_value']):,.2f}",
             f"approaches {', '.join(result['approaches'])}",
             f"eligible {'yes' if result['eligible'] else 'no'}"]
    if result.get("ltv") is not None:
        parts.append(f"LTV {float(result['ltv']):.2%}")
    return "; ".join(parts)


def valuate(
    input_file: Annotated[Path, typer.Option("--input", help="Valuation request (JSON).")],
    params_file: Annotated[Path | None, typer.Option(
        "--params", help="Parameter set JSON (default: the shipped set).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole breakdown.")] = False,
) -> None:
    """Value a property described in JSON: cost, market and income approaches, mortgage value,
    net mortgage value, LTV and LGD. Nothing is stored."""
    from mortgage_risk.services.valuation import valuate_document

    document = _read_json(input_file, "input")
    params = None if params_file is None else _read_json(params_file, "params")
    with one_line_errors():
        result = valuate_document(document, params)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        console.print(_summary(result))


@valuation_app.command("run")
def run(
    property_id: Annotated[int, typer.Option("--property", help="Property id.")],
    actor: ActorOption,
    on: Annotated[str | None, typer.Option("--date", help="Valuation date (default today).")
                  ] = None,
    loan_amount: Annotated[str | None, typer.Option("--loan-amount")] = None,
    request_file: Annotated[Path | None, typer.Option(
        "--request", help="Extra inputs in the request format (observed scores, claims, "
                          "explanation, subject overrides).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Value a stored property and keep the valuation (audited)."""
    from mortgage_risk.services.valuation import valuate_property

    extra = None if request_file is None else _read_json(request_file, "request")
    with one_line_errors():
        day = date.fromisoformat(on) if on else None
        amount = None if loan_amount is None else Decimal(loan_amount)
        with open_database().uow() as uow:
            view = valuate_property(uow, acting_user(uow, actor), property_id,
                                    valuation_date=day, loan_amount=amount, request=extra)
    if as_json:
        typer.echo(json.dumps({"valuation_id": view.id, **view.result}, ensure_ascii=False))
    else:
        console.print(f"valuation {view.id}: {_summary(view.result)}")


@valuation_app.command("report")
def report(
    valuation_id: Annotated[int, typer.Option("--valuation", help="Valuation id.")],
    actor: ActorOption,
    out: Annotated[Path, typer.Option("--out", help="report.html or report.pdf")],
) -> None:
    """Write the valuation report (HTML or PDF, in Chinese)."""
    from mortgage_risk.services.reports import valuation_report

    with one_line_errors(), open_database().uow() as uow:
        path = valuation_report(uow, acting_user(uow, actor), valuation_id, out)
    console.print(f"wrote {path}")


@params_app.command("list")
def list_sets(kind: Annotated[str | None, typer.Option("--kind")] = None) -> None:
    """Every parameter set and its status."""
    from mortgage_risk.services.parameters import list_sets as list_

    with open_database().uow() as uow:
        for view in list_(uow, kind):
            console.print(f"{view.kind:<12} {view.version:<28} {view.status:<8} "
                          f"by {view.created_by} {view.notes}")


@params_app.command("export")
def export(
    kind: Annotated[str, typer.Option("--kind")],
    out: Annotated[Path, typer.Option("--out")],
    version: Annotated[str | None, typer.Option("--version")] = None,
) -> None:
    """Write a parameter set (the active one by default) to a JSON file, to edit it."""
    from mortgage_risk.services import parameters

    with one_line_errors(), open_database().uow() as uow:
        content = (parameters.active_content(uow, kind) if version is None
                   else parameters.get_set(uow, kind, version))
    out.write_text(json.dumps(content, ensure_ascii=False, indent=1), encoding="utf-8")
    console.print(f"wrote {kind} {content.get('version')} to {out}")


@params_app.command("import")
def import_(
    kind: Annotated[str, typer.Option("--kind")],
    file: Annotated[Path, typer.Option("--file", help="The edited set, with a new version.")],
    actor: ActorOption,
    notes: Annotated[str, typer.Option("--notes")] = "",
) -> None:
    """Store an edited parameter set as a draft (validated first)."""
    from mortgage_risk.services import parameters

    content = _read_json(file, "file")
    with one_line_errors(), open_database().uow() as uow:
        view = parameters.create_draft(uow, acting_user(uow, actor), kind=kind,
                                       content=content, notes=notes)
    console.print(f"{view.kind} {view.version} stored as a draft")


@params_app.command("activate")
def activate(
    kind: Annotated[str, typer.Option("--kind")],
    version: Annotated[str, typer.Option("--version")],
    actor: ActorOption,
) -> None:
    """Make a draft the active set; the previous one retires."""
    from mortgage_risk.services import parameters

    with one_line_errors(), open_database().uow() as uow:
        view = parameters.activate(uow, acting_user(uow, actor), kind=kind, version=version)
    console.print(f"{view.kind} {view.version} is active")


@params_app.command("dry-run")
def dry_run(
    version: Annotated[str, typer.Option("--version", help="Draft identification rule set.")],
    actor: ActorOption,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Replay past assessments under a draft rule set and show what changes."""
    from mortgage_risk.services.rules import dry_run_draft

    with one_line_errors(), open_database().uow() as uow:
        report = dry_run_draft(uow, acting_user(uow, actor), version=version)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    console.print(f"{report['draft_version']} vs {report['current_version']}: "
                  f"{report['n_changed']} of {report['n_applications']} decisions change")
    for t in report["transitions"]:
        if t["from"] != t["to"]:
            console.print(f"  {t['from']} → {t['to']}: {t['count']}")
