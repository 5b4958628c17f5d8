"""Readers for plain JSON data: each refuses a bad value with DomainError(field path, reason)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar

from mortgage_risk.domain.errors import DomainError

E = TypeVar("E", bound=Enum)

#: The union's local time: naive timestamps are read as Beijing time.
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")


def at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def obj(value: Any, path: str, *, allowed: Iterable[str] | None = None) -> Mapping[str, Any]:
    """An object; with ``allowed``, an unknown key is refused (a typo would go unnoticed)."""
    if not isinstance(value, Mapping):
        raise DomainError(path or "file", f"must be an object; got {type(value).__name__}")
    if allowed is not None:
        known = set(allowed)
        for key in value:
            if key not in known:
                raise DomainError(at(path, str(key)), "unknown field")
    return value


def required(data: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in data or data[key] is None:
        raise DomainError(at(path, key), "required")
    return data[key]


def items(data: Mapping[str, Any], key: str, path: str) -> list[Any]:
    """A list (absent or null: empty)."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise DomainError(at(path, key), f"must be a list; got {type(value).__name__}")
    return value


def text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DomainError(path, f"must be non-empty text; got {value!r}")
    return value.strip()


def optional_text(value: Any, path: str) -> str | None:
    return None if value is None or value == "" else text(value, path)


def whole(value: Any, path: str, *, low: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError(path, f"must be a whole number; got {value!r}")
    if low is not None and value < low:
        raise DomainError(path, f"must be at least {low}; got {value}")
    return value


def flag(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise DomainError(path, f"must be true or false; got {value!r}")
    return value


def amount(value: Any, path: str) -> Decimal:
    """A non-negative amount in CNY: a number or a decimal string."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise DomainError(path, f"must be an amount; got {value!r}")
    try:
        out = Decimal(str(value))
    except InvalidOperation:
        raise DomainError(path, f"must be an amount; got {value!r}") from None
    if not out.is_finite() or out < 0:
        raise DomainError(path, f"must be a non-negative amount; got {value!r}")
    return out


def day(value: Any, path: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(text(value, path))
    except ValueError:
        raise DomainError(path, f"must be an ISO date (YYYY-MM-DD); got {value!r}") from None


def optional_day(value: Any, path: str) -> date | None:
    return None if value is None else day(value, path)


def moment(value: Any, path: str) -> datetime:
    """A timestamp; a naive one (or a bare date) is Beijing time."""
    if isinstance(value, datetime):
        out = value
    elif isinstance(value, date):
        out = datetime(value.year, value.month, value.day)
    else:
        try:
            out = datetime.fromisoformat(text(value, path))
        except ValueError:
            raise DomainError(path, f"must be an ISO timestamp; got {value!r}") from None
    return out if out.tzinfo is not None else out.replace(tzinfo=CHINA)


def choice(value: Any, path: str, enum: type[E]) -> E:
    try:
        return enum(getattr(value, "value", value))
    except ValueError:
        allowed = ", ".join(str(m.value) for m in enum)
        raise DomainError(path, f"unknown value {value!r}; allowed: {allowed}") from None


def one_of(value: Any, path: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise DomainError(path, f"unknown value {value!r}; allowed: {', '.join(allowed)}")
    return str(value)


def instant(moment_: datetime) -> datetime:
    """A comparable timestamp: a naive one is Beijing time."""
    return moment_ if moment_.tzinfo is not None else moment_.replace(tzinfo=CHINA)


def local_day(moment_: datetime) -> date:
    """The calendar day of a timestamp at the union (Beijing time)."""
    return instant(moment_).astimezone(CHINA).date()
