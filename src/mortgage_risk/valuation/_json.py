"""JSON-ready conversion of breakdowns (Decimals and dates as strings) and float→Decimal."""

from __future__ import annotations

import dataclasses
import math
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from mortgage_risk.domain import DomainError


def jsonable(obj: Any) -> Any:
    """Dataclasses, mappings and sequences to plain JSON data; Decimals and dates as strings."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, dict) or hasattr(obj, "items"):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = sorted(obj) if isinstance(obj, (set, frozenset)) else obj
        return [jsonable(v) for v in items]
    return obj


def dec(x: float | Decimal | int, field: str = "amount") -> Decimal:
    """A float as the Decimal of its shortest repr (exact for the float's printed digits)."""
    if isinstance(x, Decimal):
        return x
    if isinstance(x, float) and not math.isfinite(x):
        raise DomainError(field, f"must be finite; got {x}")
    return Decimal(repr(x)) if isinstance(x, float) else Decimal(x)
