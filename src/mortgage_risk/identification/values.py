"""Values of the rule language and their semantics, one element at a time.

A value is missing (``None``), a number (a float; booleans count as 1 and 0), a string, a date
or a list (a tuple). Input is normalised first: ints and Decimals become floats, NaN, NaT and
``pd.NA`` become missing, datetimes become dates, other unknown objects become missing.

Semantics (the vectorised evaluator follows them element by element):

- arithmetic needs numbers; anything else, a missing operand, or division / ``%`` by zero
  gives missing;
- every comparison (``== != < <= > >= in not in``) with a missing operand is **False**;
  values of different kinds are never equal (``!=`` is True) and never ordered (False);
- ``is None`` is True exactly when the value is missing;
- in a true/false context (``and or not`` and the condition itself) missing is False, a number
  is true unless 0, a string or list unless empty. So ``not income_verified`` fires when the
  fact is missing: an unconfirmed check counts as failed. ``and`` / ``or`` return True/False.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd

Value = float | bool | str | date | tuple[Any, ...] | None

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def norm(v: object) -> Value:
    """The language value of an input object (see the module docstring)."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, str):
        return v.value if isinstance(v, Enum) else (v if type(v) is str else str(v))
    if isinstance(v, float):  # np.float64 too: it subclasses float
        return None if math.isnan(v) else float(v)
    if isinstance(v, int):
        return float(v)
    if v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, np.generic):
        if isinstance(v, np.datetime64):
            return None if np.isnat(v) else norm(pd.Timestamp(v))
        return norm(v.item())
    if isinstance(v, Decimal):
        return None if v.is_nan() else float(v)
    if isinstance(v, Enum):
        return norm(v.value)
    if isinstance(v, list | tuple | set | frozenset | np.ndarray):
        return tuple(norm(x) for x in v)
    return None


def kind(v: Value) -> str:
    """``missing``, ``number``, ``string``, ``date`` or ``list``."""
    if v is None:
        return "missing"
    if isinstance(v, bool | float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, date):
        return "date"
    return "list"


def num(v: Value) -> float | None:
    if isinstance(v, bool):
        return float(v)
    return v if isinstance(v, float) else None


def truth(v: Value) -> bool:
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, float):
        return v != 0.0
    if isinstance(v, str | tuple):
        return len(v) > 0
    return True


def compare(op: str, a: Value, b: Value) -> bool:
    """``a op b`` for one of ``== != < <= > >=`` under the rules above."""
    if a is None or b is None:
        return False
    ka, kb = kind(a), kind(b)
    if op == "==":
        return ka == kb and bool(a == b)
    if op == "!=":
        return ka != kb or bool(a != b)
    if ka != kb or ka == "list":
        return False
    return bool(_ORDER[op](a, b))


def contains(a: Value, container: Value) -> bool:
    """``a in container``: membership in a list, or a substring of a string."""
    if a is None or container is None:
        return False
    if isinstance(container, tuple):
        return any(compare("==", a, item) for item in container)
    if isinstance(container, str) and isinstance(a, str):
        return a in container
    return False


def arith(op: str, a: Value, b: Value) -> float | None:
    x, y = num(a), num(b)
    if x is None or y is None:
        return None
    if op == "+":
        r = x + y
    elif op == "-":
        r = x - y
    elif op == "*":
        r = x * y
    else:
        if y == 0.0:
            return None
        r = x / y if op == "/" else float(np.mod(x, y))
    return None if math.isnan(r) else r


def to_date(v: Value) -> date | None:
    """A date, or an ISO ``YYYY-MM-DD`` string read as one; anything else is missing."""
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        try:
            return date.fromisoformat(v)
        except ValueError:
            return None
    return None


def months_between(d1: date, d2: date) -> float:
    months = (d2.year - d1.year) * 12 + (d2.month - d1.month)
    if d2 >= d1 and d2.day < d1.day:
        months -= 1
    elif d2 < d1 and d2.day > d1.day:
        months += 1
    return float(months)


def length(v: Value) -> float | None:
    return float(len(v)) if isinstance(v, str | tuple) else None


def count(v: Value) -> float:
    if v is None:
        return 0.0
    return float(len(v)) if isinstance(v, str | tuple) else 1.0


def call(func: str, args: list[Value]) -> Value:
    """The scalar result of a whitelisted function."""
    if func in ("min", "max"):
        nums = [x for x in map(num, args) if x is not None]
        if not nums:
            return None
        return min(nums) if func == "min" else max(nums)
    if func == "abs":
        x = num(args[0])
        return None if x is None else abs(x)
    if func == "round":
        x = num(args[0])
        digits = int(num(args[1]) or 0) if len(args) > 1 else 0
        return None if x is None else float(np.round(x, digits))
    if func == "len":
        return length(args[0])
    if func == "count":
        return count(args[0])
    if func == "coalesce":
        return next((a for a in args if a is not None), None)
    if func in ("days_between", "months_between"):
        d1, d2 = to_date(args[0]), to_date(args[1])
        if d1 is None or d2 is None:
            return None
        return float((d2 - d1).days) if func == "days_between" else months_between(d1, d2)
    if func == "lower":
        return args[0].lower() if isinstance(args[0], str) else None
    if func == "date":
        return to_date(args[0])
    raise KeyError(func)
