"""Strict readers for trainees' answers: a wrong form is refused with the field and the
reason (``DomainError``) and never scored.

Fields are named from ``answer``: ``answer.rule_ids[2]``, ``answer.categories.L3``,
``answer.verification_deadline``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from mortgage_risk.domain import DomainError

ROOT = "answer"


def obj(raw: Any, required: Collection[str], optional: Collection[str] = ()
        ) -> Mapping[str, Any]:
    """An object with exactly the ``required`` keys (plus any ``optional`` ones)."""
    if not isinstance(raw, Mapping):
        raise DomainError(ROOT, f"must be an object with {', '.join(sorted(required))}; "
                                f"got {type(raw).__name__}")
    for key in raw:
        if not isinstance(key, str) or (key not in required and key not in optional):
            raise DomainError(f"{ROOT}.{key}", "unknown field; expected "
                                               f"{', '.join(sorted(required))}")
    for key in sorted(required):
        if key not in raw:
            raise DomainError(f"{ROOT}.{key}", "is required")
    return raw


def codes(raw: Any, path: str, allowed: Collection[str], what: str) -> tuple[str, ...]:
    """A list of distinct codes, each one of ``allowed``."""
    if not isinstance(raw, list):
        raise DomainError(path, f"must be a list of {what}; got {type(raw).__name__}")
    seen: list[str] = []
    for i, item in enumerate(raw):
        where = f"{path}[{i}]"
        if not isinstance(item, str):
            raise DomainError(where, f"must be text; got {item!r}")
        if item not in allowed:
            raise DomainError(where, f"unknown {what} {item!r}")
        if item in seen:
            raise DomainError(where, f"{item!r} is listed twice")
        seen.append(item)
    return tuple(seen)


def _number(raw: Any, path: str) -> Decimal:
    if isinstance(raw, bool) or raw is None:
        raise DomainError(path, f"must be a number; got {raw!r}")
    if isinstance(raw, float) and not math.isfinite(raw):
        raise DomainError(path, f"must be a finite number; got {raw!r}")
    if isinstance(raw, int | float):
        return Decimal(str(raw))
    if isinstance(raw, str):
        try:
            value = Decimal(raw.strip().replace(",", ""))
        except InvalidOperation:
            raise DomainError(path, f"must be a number; got {raw!r}") from None
        if not value.is_finite():
            raise DomainError(path, f"must be a finite number; got {raw!r}")
        return value
    raise DomainError(path, f"must be a number; got {type(raw).__name__}")


def amount(raw: Any, path: str) -> Decimal:
    """A CNY amount: a number or numeric text, not negative."""
    value = _number(raw, path)
    if value < 0:
        raise DomainError(path, f"must not be negative; got {value}")
    return value


def fraction(raw: Any, path: str) -> float:
    """A rate as a fraction in [0, 1] (68.72% is 0.6872)."""
    value = _number(raw, path)
    if value < 0:
        raise DomainError(path, f"must not be negative; got {value}")
    if value > 1:
        raise DomainError(path, f"must be a fraction within [0, 1] (e.g. 0.6872 for 68.72%); "
                                f"got {value}")
    return float(value)


def choice(raw: Any, path: str, allowed: Collection[str], what: str) -> str:
    if not isinstance(raw, str):
        raise DomainError(path, f"must be text; got {raw!r}")
    if raw not in allowed:
        raise DomainError(path, f"unknown {what} {raw!r}; one of {', '.join(allowed)}")
    return raw


def iso_date(raw: Any, path: str, *, nullable: bool = False) -> date | None:
    if raw is None:
        if nullable:
            return None
        raise DomainError(path, "is required")
    if not isinstance(raw, str):
        raise DomainError(path, f"must be a date as YYYY-MM-DD{' or null' if nullable else ''}; "
                                f"got {raw!r}")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DomainError(path, f"{raw!r} is not a date (YYYY-MM-DD)") from None
