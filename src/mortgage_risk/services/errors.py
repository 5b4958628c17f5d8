"""Errors services raise; web and CLI turn them into 4xx answers and one-line messages."""

from __future__ import annotations


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
