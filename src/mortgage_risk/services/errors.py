"""Errors services raise; web and CLI turn them into 4xx answers and one-line messages."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


class ServiceError(Exception):
    """A command that cannot be carried out, naming the field (if any) and the reason."""

    status = 400

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class PermissionDenied(ServiceError):
    status = 403


class InvalidInput(ServiceError):
    status = 422


def choice(enum_type: type[E], raw: str, field: str) -> E:
    """``raw`` as a member of ``enum_type``, or InvalidInput listing the allowed values."""
    try:
        return enum_type(raw)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_type)
        raise InvalidInput(f"unknown value {raw!r}; allowed: {allowed}", field=field) from None
