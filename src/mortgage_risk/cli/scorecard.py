"""`scorecard` (files) and `model` (the registry) commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from mortgage_risk.cli.common import (
    acting_user,
    console,
    one_line_errors,
    open_database,
    progress_bar,
)

scorecard_app = typer.Typer(
    help="Train, evaluate and run PD scorecards on files.", no_args_is_help=True
)
model_app = typer.Typer(
    help="The scorecard model registry: register, validate, approve, activate.",
    no_args_is_help=True,
)

DataOption = Annotated[Path, typer.Option("--data", help="CSV or Parquet file.")]
TargetOption = Annotated[str, typer.Option("--target", help="The 0/1 (or two-label) target.")]
BadOption = Annotated[
    str | None,
    typer.Option(
        "--bad-value", help="The label of a bad (defaulted) row when the target has two labels."
    ),
]
ActorOption = Annotated[str, typer.Option("--as", help="Username of the staff member acting.")]
VersionOption = Annotated[str, typer.Option("--version", help="Model version.")]
ProductOption = Annotated[str, typer.Option("--product", help="Loan product.")]


def _bad(value: str | None) -> object:
    if value is None:
        return None
    return int(value) if value.lstrip("-").isdigit() else value


@scorecard_app.command("train")
def train(
    data: DataOption,
    target: TargetOption,
    out: Annotated[Path, typer.Option("--out", help="Where to write the JSON artifact.")],
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Column to leave out (repeatable).")
    ] = None,
    bad_value: BadOption = None,
    model_version: Annotated[str | None, typer.Option("--model-version")] = None,
    no_selection: Annotated[
        bool,
        typer.Option(
            "--no-selection", help="Keep every binned feature (no IV/correlation/VIF filter)."
        ),
    ] = False,
) -> None:
    """Fit a WoE logistic scorecard and save it as JSON (with its SHA-256)."""
    from mortgage_risk.services import scorecard_files

    with one_line_errors():
        model = scorecard_files.train(
            data,
            target=target,
            out=out,
            exclude=exclude or [],
            bad_value=_bad(bad_value),
            model_version=model_version,
            select=not no_selection,
        )
    console.print(
        f"trained on {model.training_['n_rows']} rows: {len(model.features_)} features, "
        f"in-sample AUC {model.training_['auc']:.4f}; wrote {out}"
    )


@scorecard_app.command("evaluate")
def evaluate(
    model: Annotated[Path, typer.Option("--model", help="JSON artifact.")],
    data: DataOption,
    target: TargetOption,
    base: Annotated[
        Path | None,
        typer.Option("--base", help="Base sample for PSI and CSI (e.g. the development sample)."),
    ] = None,
    bad_value: BadOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Validation metrics: AUC, Gini, KS, Hosmer-Lemeshow, binomial by grade, Brier, PSI."""
    from mortgage_risk.services import scorecard_files

    with one_line_errors():
        report = scorecard_files.evaluate(
            model, data, target=target, base=base, bad_value=_bad(bad_value)
        )
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    console.print(
        f"n {report['n']}, events {report['events']}: AUC {report['auc']:.4f}, "
        f"Gini {report['gini']:.4f}, KS {report['ks']:.4f}, "
        f"Brier {report['brier']:.4f}, HL p {report['hosmer_lemeshow']['pvalue']:.3f}"
        + (f", PSI {report['psi']:.4f} ({report['psi_verdict']})" if "psi" in report else "")
    )


@scorecard_app.command("score")
def score(
    model: Annotated[Path, typer.Option("--model", help="JSON artifact.")],
    data: DataOption,
    out: Annotated[Path, typer.Option("--out", help="CSV or Parquet output.")],
) -> None:
    """Score a file in chunks of 100,000 rows (bounded memory): score, pd, grade, reasons."""
    from mortgage_risk.services import scorecard_files

    with one_line_errors(), progress_bar() as progress:
        task = progress.add_task("score", total=None)
        rows = scorecard_files.score_file(
            model, data, out, progress=lambda n: progress.advance(task, n)
        )
    console.print(f"scored {rows} rows into {out}")


@model_app.command("register")
def register(
    artifact: Annotated[Path, typer.Option("--artifact", help="JSON artifact file.")],
    actor: ActorOption,
    product: ProductOption = "mortgage",
) -> None:
    """Register a trained scorecard (status: trained)."""
    from mortgage_risk.services.models import register_model

    with one_line_errors(), open_database().uow() as uow:
        view = register_model(
            uow,
            acting_user(uow, actor),
            product=product,
            artifact=artifact.read_text(encoding="utf-8"),
        )
    console.print(f"registered {view.version} ({view.status.value})")


@model_app.command("validate")
def validate(version: VersionOption, actor: ActorOption) -> None:
    """Validate on the book's loans with an observed 24-month outcome."""
    from mortgage_risk.services.models import validate_model

    with one_line_errors(), open_database().uow() as uow:
        view = validate_model(uow, acting_user(uow, actor), version=version)
    v = view.validation or {}
    console.print(
        f"{view.version} validated on {v.get('n')} loans: AUC {v.get('auc'):.4f}, "
        f"KS {v.get('ks'):.4f}"
    )


@model_app.command("approve")
def approve(version: VersionOption, actor: ActorOption) -> None:
    """Approve a validated model (a risk manager who did not train it)."""
    from mortgage_risk.services.models import approve_model

    with one_line_errors(), open_database().uow() as uow:
        view = approve_model(uow, acting_user(uow, actor), version=version)
    console.print(f"{view.version} approved by {view.approved_by}")


@model_app.command("activate")
def activate(version: VersionOption, actor: ActorOption) -> None:
    """Make an approved model the product's active one."""
    from mortgage_risk.services.models import activate_model

    with one_line_errors(), open_database().uow() as uow:
        view = activate_model(uow, acting_user(uow, actor), version=version)
    console.print(f"{view.version} is now the active {view.product} scorecard")


@model_app.command("list")
def list_(product: Annotated[str | None, typer.Option("--product")] = None) -> None:
    """The registry, newest first."""
    from mortgage_risk.services.models import list_models

    with open_database().uow() as uow:
        for view in list_models(uow, product):
            auc = (view.validation or {}).get("auc")
            shown = "-" if auc is None else f"{auc:.4f}"
            console.print(
                f"{view.version:<28} {view.product:<10} {view.status.value:<10} "
                f"trained by {view.trained_by:<10} approved by {view.approved_by or '-':<10} "
                f"AUC {shown}"
            )


@model_app.command("score-application")
def score_application(
    application: Annotated[int, typer.Option("--application", help="Application id.")],
    actor: ActorOption,
    product: ProductOption = "mortgage",
) -> None:
    """Score one application with the active model and store the result."""
    from mortgage_risk.services.models import score_application as score_app

    with one_line_errors(), open_database().uow() as uow:
        view = score_app(uow, acting_user(uow, actor), application_id=application, product=product)
    console.print(
        f"application {view.application_id}: score {view.score}, grade {view.grade}, "
        f"PD {view.pd:.4%} (model {view.model_version})"
    )
