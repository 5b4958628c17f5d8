"""`mortgage-risk`: set up the database, load the demo book, serve the web app."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from mortgage_risk.cli.common import (
    console,
    fail,
    one_line_errors,
    open_database,
    progress_bar,
    stage_progress,
)
from mortgage_risk.cli.imports import import_app
from mortgage_risk.cli.monitoring import classify, monitor_app
from mortgage_risk.cli.origination import assess
from mortgage_risk.cli.records import borrower_app, property_app
from mortgage_risk.cli.scorecard import model_app, scorecard_app
from mortgage_risk.cli.supervision import supervise_app
from mortgage_risk.cli.valuation import params_app, valuate, valuation_app
from mortgage_risk.config import get_settings

app = typer.Typer(help="县联社房地产抵押贷款风险管理 · mortgage-risk", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
user_app = typer.Typer(help="Users and roles.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(user_app, name="user")
app.add_typer(borrower_app, name="borrower")
app.add_typer(property_app, name="property")
app.add_typer(scorecard_app, name="scorecard")
app.add_typer(model_app, name="model")
app.add_typer(valuation_app, name="valuation")
app.add_typer(params_app, name="params")
app.add_typer(monitor_app, name="monitor")
app.add_typer(import_app, name="import")
app.add_typer(supervise_app, name="supervise")
app.command("valuate")(valuate)
app.command("assess")(assess)
app.command("classify")(classify)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the newest schema."""
    db = open_database()
    db.upgrade()
    console.print(f"database at head: {db.engine.url.render_as_string(hide_password=True)}")


@audit_app.command("verify")
def audit_verify(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Walk the audit chain; exit 1 and name the first broken record if any."""
    from mortgage_risk.services.audit import verify

    with open_database().uow() as uow:
        report = verify(uow)
    if as_json:
        brk = report.first_break
        console.print_json(
            json.dumps(
                {
                    "records": report.records,
                    "intact": report.intact,
                    "first_broken_record": brk.record_id if brk else None,
                    "reason": brk.reason if brk else None,
                }
            )
        )
    elif report.intact:
        console.print(f"audit chain intact: {report.records} records")
    if not report.intact:
        brk = report.first_break
        assert brk is not None
        fail(f"audit chain broken at record {brk.record_id}: {brk.reason}")


@app.command()
def generate(
    loans: Annotated[int, typer.Option(min=1, help="Number of loans in the book.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same book.")] = 42,
    as_of: Annotated[
        str | None, typer.Option(help="As-of date YYYY-MM-DD (default today).")
    ] = None,
    parquet_only: Annotated[
        Path | None,
        typer.Option(help="Write Parquet files to this folder only; leave the database alone."),
    ] = None,
    reuse: Annotated[
        bool, typer.Option(help="Keep a book already in the database, whatever its seed or date.")
    ] = False,
) -> None:
    """Generate the synthetic county book into the database (once) and Parquet."""
    from mortgage_risk.services.demo import (
        install_demo_model,
        install_demo_parameters,
        seed_portfolio,
    )
    from mortgage_risk.synth import generate_to_parquet

    with one_line_errors():
        day = _parse_date(as_of, "as_of") if as_of else get_settings().resolved_as_of()
        with progress_bar() as progress:
            report = stage_progress(progress)
            if parquet_only is not None:
                rows = generate_to_parquet(
                    loans, seed, day, parquet_only, progress=lambda d, t: report("generate", d, t)
                )
                console.print(f"wrote Parquet to {parquet_only}: {rows}")
                return
            db = open_database()
            db.upgrade()
            with db.uow() as uow:
                result = seed_portfolio(
                    uow,
                    actor="cli",
                    loans=loans,
                    seed=seed,
                    as_of=day,
                    parquet_dir=get_settings().parquet_dir(),
                    progress=report,
                    reuse=reuse,
                )
        with db.uow() as uow:
            model_version = install_demo_model(uow)
        with db.uow() as uow:
            install_demo_parameters(uow)
    if model_version:
        console.print(f"activated the shipped scorecard {model_version}")
    if result.created:
        console.print(f"loaded {loans} loans (seed {seed}, as of {day}): {result.rows}")
    else:
        console.print(
            f"reusing the book already loaded: seed {result.seed}, "
            f"{result.loans} loans, as of {result.as_of}"
        )


@user_app.command("add")
def user_add(
    username: str,
    full_name: str,
    role: Annotated[
        str,
        typer.Option(
            help="loan_officer, reviewer, approver, risk_manager, supervisor, trainer or admin"
        ),
    ],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    branch: Annotated[str | None, typer.Option(help="Branch code (none: county union)")] = None,
) -> None:
    """Create a user."""
    from mortgage_risk.services.users import create_user

    with one_line_errors(), open_database().uow() as uow:
        user = create_user(
            uow,
            actor="cli",
            username=username,
            full_name=full_name,
            password=password,
            role=role,
            branch_code=branch,
        )
        uow.commit()
    console.print(f"created user {user.username} ({user.role.value})")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
) -> None:
    """Start the web application."""
    import uvicorn

    from mortgage_risk.services.demo import DEMO_PASSWORD, DEMO_USERS
    from mortgage_risk.web.app import create_app

    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    console.print(f"mortgage-risk web app: http://{host}:{port}/")
    console.print(
        f"demo logins (password {DEMO_PASSWORD}): "
        + ", ".join(f"{u} ({r.label_zh})" for u, _, r, _ in DEMO_USERS)
    )
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def _parse_date(raw: str, field: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        fail(f"{field}: {raw!r} is not a date (YYYY-MM-DD)")


if __name__ == "__main__":
    app()
