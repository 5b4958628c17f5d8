"""`borrower add` and `property add`: register records from the command line."""

from __future__ import annotations

from typing import Annotated

import typer

from mortgage_risk.cli.common import acting_user, console, fail, one_line_errors, open_database
from mortgage_risk.services.schemas import BorrowerIn, PropertyIn

borrower_app = typer.Typer(help="Borrowers.", no_args_is_help=True)
property_app = typer.Typer(help="Collateral properties.", no_args_is_help=True)

ActorOption = Annotated[str, typer.Option("--as", help="Username of the staff member acting.")]
FieldOption = Annotated[list[str], typer.Option("--set", help="FIELD=VALUE, repeatable.")]


def _fields(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            fail(f"--set: {pair!r} is not FIELD=VALUE")
        out[name.strip()] = value.strip()
    return out


@borrower_app.command("add")
def borrower_add(actor: ActorOption, fields: FieldOption) -> None:
    """Register a borrower, e.g. --set resident_id=... --set name=... --set segment=farmer."""
    from mortgage_risk.services.registry import register_borrower

    with one_line_errors():
        data = BorrowerIn.model_validate(_fields(fields))
        with open_database().uow() as uow:
            new_id = register_borrower(uow, acting_user(uow, actor), data)
    console.print(f"borrower {new_id} registered")


@property_app.command("add")
def property_add(actor: ActorOption, fields: FieldOption) -> None:
    """Register a collateral property of an existing borrower."""
    from mortgage_risk.services.registry import register_property

    with one_line_errors():
        data = PropertyIn.model_validate(_fields(fields))
        with open_database().uow() as uow:
            new_id = register_property(uow, acting_user(uow, actor), data)
    console.print(f"property {new_id} registered")
