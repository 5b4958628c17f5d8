"""Errors raised by domain validation: each names the field and the reason."""

from __future__ import annotations


class DomainError(ValueError):
    """Invalid input for a domain object.

    ``field`` is the attribute name the caller sent; ``reason`` says what is wrong with it.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
