"""What every command shares: the database from settings and one-line errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from mortgage_risk.config import get_settings
from mortgage_risk.domain import DomainError
from mortgage_risk.services.errors import ServiceError
from mortgage_risk.services.registry import first_error
from mortgage_risk.services.users import CurrentUser, load_user
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.uow import UnitOfWork

console = Console()
err_console = Console(stderr=True)


def fail(message: str) -> NoReturn:
    err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn bad input and refused commands into one line on stderr and exit code 1."""
    try:
        yield
    except ValidationError as exc:
        field, reason = first_error(exc)
        fail(f"{field}: {reason}")
    except (ServiceError, DomainError) as exc:
        fail(str(exc))


def open_database() -> Database:
    return Database.connect(get_settings().resolved_database_url())


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
    )


def stage_progress(progress: Progress) -> Callable[[str, int, int], None]:
    """A callback ``(stage, done, total)`` that drives one progress task per stage."""
    tasks: dict[str, TaskID] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total)
        progress.update(tasks[stage], completed=done, total=total)

    return update


def acting_user(uow: UnitOfWork, username: str) -> CurrentUser:
    """The active user named by ``--as``, or a one-line error."""
    row = uow.users.by_username(username)
    user = load_user(uow, row.id) if row else None
    if user is None:
        fail(f"--as: no active user {username!r}")
    return user
