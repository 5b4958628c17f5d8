"""`borrower add` and `property add`: register records from the command line."""

from __future__ import annotations

from typing import Annotated

import typer

from mortgage_risk.cli.common import console, fail, one_line_errors, open_database
from mortgage_risk.services.schemas import BorrowerIn, PropertyIn
from mortgage_risk.services.users import CurrentUser, load_user
from mortgage_risk.storage.uow import UnitOfWork

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


def _actor(uow: UnitOfWork, username: str) -> CurrentUser:
    row = uow.users.by_username(username)
    user = load_user(uow, row.id) if row else None
    if user is None:
        fail(f"--as: no active user {username!r}")
    return user


@borrower_app.command("add")
def borrower_add(actor: ActorOption, fields: FieldOption) -> None:
    """Register a borrower, e.g. --set resident_id=... --set name=... --set segment=farmer."""
    from mortgage_risk.services.registry import register_borrower

    with one_line_errors():
        data = BorrowerIn.model_validate(_fields(fields))
        with open_database().uow() as uow:
            new_id = register_borrower(uow, _actor(uow, actor), data)
    console.print(f"borrower {new_id} registered")


@property_app.command("add")
def property_add(actor: ActorOption, fields: FieldOption) -> None:
    """Register a collateral property of an existing borrower."""
    from mortgage_risk.services.registry import register_property

    with one_line_errors():
        data = PropertyIn.model_validate(_fields(fields))
        with open_database().uow() as uow:
            new_id = register_property(uow, _actor(uow, actor), data)
    console.print(f"property {new_id} registered")
