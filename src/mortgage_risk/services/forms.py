"""Shared by the administration, audit and token services: several field problems refused at
once, and one page of a listing."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from mortgage_risk.services.errors import InvalidInput

T = TypeVar("T")

#: The largest page a listing returns.
MAX_LIMIT = 500


@dataclass(frozen=True)
class Problem:
    """One refused field. ``message`` is an English template (and the msgid of its
    translation); ``params`` fill it in."""

    field: str
    message: str
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)

    @property
    def reason(self) -> str:
        return self.message % dict(self.params) if self.params else self.message


class InvalidFields(InvalidInput):
    """Every problem of a submitted form; ``field`` and ``reason`` name the first."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("InvalidFields needs at least one problem")
        super().__init__(problems[0].reason, field=problems[0].field)
        self.problems = tuple(problems)


def refuse(problems: Sequence[Problem]) -> None:
    """Raise InvalidFields when there is any problem."""
    if problems:
        raise InvalidFields(problems)


def check_window(limit: int, offset: int) -> None:
    problems = []
    if not 1 <= limit <= MAX_LIMIT:
        problems.append(Problem("limit", "must be from 1 to %(max)s", {"max": MAX_LIMIT}))
    if offset < 0:
        problems.append(Problem("offset", "must not be negative"))
    refuse(problems)


@dataclass(frozen=True)
class Page(Generic[T]):
    """``items`` from ``offset``, at most ``limit`` of them, out of ``total``."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @property
    def number(self) -> int:
        return self.offset // self.limit + 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))
