"""Compile a syntax tree into closures over whole columns (numpy), element-wise.

Columns are normalised once to one of four array kinds: float64 (numbers and booleans, NaN
missing), bool (results of comparisons, never missing), datetime64[D] (NaT missing) and object
(strings, lists as tuples, mixtures; ``None`` missing). Every operation gives, element by
element, what :mod:`~mortgage_risk.identification.values` gives for one value; rare cases
(ordering strings, membership in a list-valued column) loop over that scalar code.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mortgage_risk.identification import values as v
from mortgage_risk.identification.syntax import (
    Binary,
    BoolOp,
    Call,
    Compare,
    ListExpr,
    Literal,
    Name,
    Node,
    Unary,
)

Array = NDArray[Any]
_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}
_NUMERIC_INFERRED = frozenset({"floating", "integer", "mixed-integer-float", "boolean", "decimal"})


class Columns:
    """The facts of ``n`` applications: a DataFrame, or a mapping whose numpy arrays and Series
    are columns and whose other values (nested mappings included) hold for every row.
    ``extra`` supplies names the source lacks (e.g. policy parameters)."""

    def __init__(self, source: pd.DataFrame | Mapping[str, Any],
                 extra: Mapping[str, Any] | None = None, n: int | None = None) -> None:
        self.source = source
        self.extra = extra or {}
        self.n = len(source) if isinstance(source, pd.DataFrame) else (
            n if n is not None else _infer_length(source))
        self._cache: dict[str, Array] = {}

    def get(self, path: tuple[str, ...], dotted: str) -> Array:
        cached = self._cache.get(dotted)
        if cached is None:
            cached = self._cache[dotted] = self._load(path, dotted)
        return cached

    def _load(self, path: tuple[str, ...], dotted: str) -> Array:
        for source in (self.source, self.extra):
            if isinstance(source, pd.DataFrame):
                if dotted in source.columns:
                    return column(source[dotted])
                continue
            found, value = _find(source, path, dotted)
            if found:
                if isinstance(value, np.ndarray | pd.Series | pd.Index):
                    if len(value) != self.n:
                        raise ValueError(f"column {dotted!r} has {len(value)} rows, "
                                         f"expected {self.n}")
                    return column(pd.Series(value) if isinstance(value, np.ndarray) else value)
                return broadcast(v.norm(value), self.n)
        return broadcast(None, self.n)


def _infer_length(source: Mapping[str, Any]) -> int:
    for value in source.values():
        if isinstance(value, np.ndarray | pd.Series | pd.Index):
            return len(value)
    return 1


def _find(source: Mapping[str, Any], path: tuple[str, ...], dotted: str) -> tuple[bool, Any]:
    if dotted in source:
        return True, source[dotted]
    current: Any = source
    for part in path:
        if not isinstance(current, Mapping) or part not in current:
            return False, None
        current = current[part]
    return True, current


def broadcast(value: v.Value, n: int) -> Array:
    """An array of ``n`` copies of one language value."""
    if value is None:
        return np.full(n, np.nan)
    if isinstance(value, bool | float):
        return np.full(n, float(value))
    if isinstance(value, date):
        return np.full(n, np.datetime64(value, "D"))
    if isinstance(value, str):
        return np.full(n, value, dtype=object)
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = value
    return out


def column(series: pd.Series | pd.Index) -> Array:
    """A column normalised to float64, datetime64[D] or object (see the module docstring)."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or (
            pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype)):
        return np.asarray(series.to_numpy(dtype=float, na_value=np.nan), dtype=float)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        s = pd.Series(series)
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            s = s.dt.tz_localize(None)
        return np.asarray(s.to_numpy(dtype="datetime64[ns]")).astype("datetime64[D]")
    if isinstance(dtype, pd.StringDtype):
        strings = np.asarray(series.to_numpy(dtype=object), dtype=object)
        strings[pd.isna(strings)] = None
        return strings
    objects = np.asarray(series.to_numpy(dtype=object), dtype=object)
    inferred = pd.api.types.infer_dtype(objects, skipna=True)
    missing = pd.isna(objects)
    if inferred == "string":
        out = objects.copy()
        out[missing] = None
        return out
    if inferred in _NUMERIC_INFERRED:
        floats = np.full(len(objects), np.nan)
        floats[~missing] = objects[~missing].astype(float)
        return floats
    return pack([None if x is None else _plain_list(x) if type(x) is list else v.norm(x)
                 for x in objects])


def _plain_list(items: list[Any]) -> v.Value:
    """A list of plain strings as a tuple, quickly; anything else through ``norm``."""
    return tuple(items) if all(type(e) is str for e in items) else v.norm(items)


def pack(items: list[v.Value]) -> Array:
    """Language values packed into the narrowest array kind that holds them all."""
    kinds = {v.kind(x) for x in items} - {"missing"}
    if kinds <= {"number"}:
        return np.array([np.nan if (f := v.num(x)) is None else f for x in items], dtype=float)
    if kinds == {"date"}:
        nat = np.datetime64("NaT", "D")
        return np.array([np.datetime64(x, "D") if isinstance(x, date) else nat for x in items],
                        dtype="datetime64[D]")
    out = np.empty(len(items), dtype=object)
    for i, x in enumerate(items):
        out[i] = x
    return out


def vkind(a: Array) -> str:
    if a.dtype.kind in "fb":
        return "number"
    return "date" if a.dtype.kind == "M" else "object"


def present(a: Array) -> NDArray[np.bool_]:
    k = a.dtype.kind
    if k == "f":
        return ~np.isnan(a)
    if k == "b":
        return np.ones(len(a), dtype=bool)
    if k == "M":
        return ~np.isnat(a)
    return ~pd.isna(a)


def as_float(a: Array) -> NDArray[np.float64]:
    k = a.dtype.kind
    if k == "f":
        return a
    if k == "b":
        return a.astype(float)
    if k == "M":
        return np.full(len(a), np.nan)
    return np.fromiter((np.nan if (x := v.num(e)) is None else x for e in a), float, len(a))


def as_object(a: Array) -> Array:
    k = a.dtype.kind
    if k == "O":
        return a
    out = a.astype(object)
    if k == "f":
        out[np.isnan(a)] = None
    return out


def as_date(a: Array) -> Array:
    k = a.dtype.kind
    if k == "M":
        return a
    if k == "O":
        nat = np.datetime64("NaT", "D")
        return np.array([nat if (d := v.to_date(x)) is None else np.datetime64(d, "D")
                         for x in a], dtype="datetime64[D]")
    return np.full(len(a), np.datetime64("NaT"), dtype="datetime64[D]")


def truth(a: Array) -> NDArray[np.bool_]:
    k = a.dtype.kind
    if k == "b":
        return a
    if k == "f":
        return np.asarray((a != 0.0) & ~np.isnan(a), dtype=bool)
    if k == "M":
        return ~np.isnat(a)
    return np.fromiter((v.truth(x) for x in a), bool, len(a))


def compare(op: str, a: Array, b: Array) -> NDArray[np.bool_]:
    mask = present(a) & present(b)
    ka, kb = vkind(a), vkind(b)
    if ka == kb == "number":
        with np.errstate(invalid="ignore"):
            return np.asarray(_OPS[op](as_float(a), as_float(b)), dtype=bool) & mask
    if ka == kb == "date":
        return np.asarray(_OPS[op](a, b), dtype=bool) & mask
    if "object" not in (ka, kb):
        return np.full(len(a), op == "!=") & mask
    if op in ("==", "!="):
        return np.asarray(_OPS[op](as_object(a), as_object(b)), dtype=bool) & mask
    return _loop(lambda x, y: v.compare(op, x, y), a, b)


def _loop(fn: Callable[[Any, Any], bool], a: Array, b: Array) -> NDArray[np.bool_]:
    return np.fromiter(map(fn, as_object(a), as_object(b)), bool, len(a))


Vector = Callable[[Columns], Array]


def compile_vector(node: Node) -> Vector:
    """A function of the columns returning ``node``'s value for every row."""
    if isinstance(node, Literal):
        const = v.norm(node.value)
        return lambda cols: broadcast(const, cols.n)
    if isinstance(node, Name):
        path, dotted = node.path, node.dotted
        return lambda cols: cols.get(path, dotted)
    if isinstance(node, Unary):
        operand = compile_vector(node.operand)
        if node.op == "not":
            return lambda cols: ~truth(operand(cols))
        if node.op == "-":
            return lambda cols: -as_float(operand(cols))
        return lambda cols: as_float(operand(cols)).copy()
    if isinstance(node, Binary):
        return _binary(node.op, compile_vector(node.left), compile_vector(node.right))
    if isinstance(node, BoolOp):
        parts = tuple(compile_vector(o) for o in node.operands)
        reduce = np.logical_and.reduce if node.op == "and" else np.logical_or.reduce
        return lambda cols: np.asarray(reduce([truth(p(cols)) for p in parts]), dtype=bool)
    if isinstance(node, Compare):
        return _compare(node)
    if isinstance(node, ListExpr):
        raise ValueError("a list is only evaluated as the right operand of 'in'")
    return _call(node)


def _binary(op: str, left: Vector, right: Vector) -> Vector:
    def run(cols: Columns) -> Array:
        a, b = as_float(left(cols)), as_float(right(cols))
        with np.errstate(all="ignore"):
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            r = a / b if op == "/" else np.mod(a, b)
            return np.where(b == 0.0, np.nan, r)
    return run


def _link(op: str, right: Node) -> Callable[[Columns, Array, Vector], NDArray[np.bool_]]:
    if op in ("is", "is not"):
        return lambda cols, a, _: ~present(a) if op == "is" else present(a)
    if op in ("in", "not in") and isinstance(right, ListExpr) and right.items and all(
            isinstance(i, Literal) and i.value is not None for i in right.items):
        constants = tuple(v.norm(i.value) for i in right.items)  # type: ignore[union-attr]

        def member_of_constants(cols: Columns, a: Array, _: Vector) -> NDArray[np.bool_]:
            found = np.zeros(cols.n, dtype=bool)
            for c in constants:
                found |= compare_constant("==", a, c)
            return found if op == "in" else ~found & present(a)
        return member_of_constants
    if op in ("in", "not in") and isinstance(right, ListExpr):
        items = tuple(compile_vector(i) for i in right.items)

        def member(cols: Columns, a: Array, _: Vector) -> NDArray[np.bool_]:
            found = np.zeros(cols.n, dtype=bool)
            for item in items:
                found |= compare("==", a, item(cols))
            return found if op == "in" else ~found & present(a)
        return member
    if op in ("in", "not in"):
        def within(cols: Columns, a: Array, rhs: Vector) -> NDArray[np.bool_]:
            b = rhs(cols)
            found = _loop(v.contains, a, b)
            return found if op == "in" else ~found & present(a) & present(b)
        return within
    if isinstance(right, Literal) and right.value is not None:
        constant = v.norm(right.value)
        return lambda cols, a, rhs: compare_constant(op, a, constant)
    return lambda cols, a, rhs: compare(op, a, rhs(cols))


def compare_constant(op: str, a: Array, c: v.Value) -> NDArray[np.bool_]:
    """``compare(op, a, broadcast(c))`` without building the constant column."""
    k = vkind(a)
    if isinstance(c, bool | float) and k == "number":
        with np.errstate(invalid="ignore"):
            return np.asarray(_OPS[op](as_float(a), float(c)), dtype=bool) & ~np.isnan(
                as_float(a))
    if isinstance(c, str) and k == "object" and op in ("==", "!="):
        equal = np.asarray(a == c, dtype=bool)
        return equal if op == "==" else ~equal & present(a)
    if isinstance(c, str) and k != "object":
        return present(a) if op == "!=" else np.zeros(len(a), dtype=bool)
    return compare(op, a, broadcast(c, len(a)))


def _compare(node: Compare) -> Vector:
    first = compile_vector(node.operands[0])
    rest = tuple(None if isinstance(o, ListExpr) else compile_vector(o)
                 for o in node.operands[1:])
    links = tuple(_link(op, o) for op, o in zip(node.ops, node.operands[1:], strict=True))

    def run(cols: Columns) -> Array:
        left = first(cols)
        result: NDArray[np.bool_] | None = None
        for link, operand in zip(links, rest, strict=True):
            rhs = operand if operand is not None else _no_value
            step = link(cols, left, rhs)
            result = step if result is None else result & step
            if operand is not None and len(links) > 1:
                left = operand(cols)
        assert result is not None
        return result
    return run


def _no_value(cols: Columns) -> Array:
    raise ValueError("a list has no value of its own")


def _call(node: Call) -> Vector:
    args = tuple(compile_vector(a) for a in node.args)
    func = node.func
    if func == "round":
        digits = int(node.args[1].value) if len(node.args) > 1 and isinstance(  # type: ignore[arg-type]
            node.args[1], Literal) else 0
        x = args[0]
        return lambda cols: np.round(as_float(x(cols)), digits)
    impl = _FUNCTIONS[func]
    return lambda cols: impl([a(cols) for a in args])


def _min_max(fn: Callable[[Any, Any], Any]) -> Callable[[list[Array]], Array]:
    def run(arrays: list[Array]) -> Array:
        floats = [as_float(a) for a in arrays]
        return floats[0].copy() if len(floats) == 1 else functools.reduce(fn, floats)
    return run


def _coalesce(arrays: list[Array]) -> Array:
    kinds = {vkind(a) for a in arrays}
    if kinds == {"number"}:
        out = as_float(arrays[0]).copy()
        for a in arrays[1:]:
            out = np.where(np.isnan(out), as_float(a), out)
        return out
    if kinds == {"date"}:
        out = arrays[0].copy()
        for a in arrays[1:]:
            out = np.where(np.isnat(out), a, out)
        return out
    out = as_object(arrays[0]).copy()
    for a in arrays[1:]:
        missing = pd.isna(out)
        out[missing] = as_object(a)[missing]
    return out


def _objects(fn: Callable[[v.Value], v.Value]) -> Callable[[list[Array]], Array]:
    def run(arrays: list[Array]) -> Array:
        return pack([fn(x) for x in as_object(arrays[0])])
    return run


def _days(arrays: list[Array]) -> Array:
    d1, d2 = as_date(arrays[0]), as_date(arrays[1])
    out = (d2 - d1).astype(np.int64).astype(float)
    out[np.isnat(d1) | np.isnat(d2)] = np.nan
    return out


def _parts(d: Array) -> tuple[Array, Array, Array]:
    months = d.astype("datetime64[M]")
    years = d.astype("datetime64[Y]").astype(np.int64)
    month = months.astype(np.int64) - years * 12
    day = (d - months.astype("datetime64[D]")).astype(np.int64)
    return years, month, day


def _months(arrays: list[Array]) -> Array:
    d1, d2 = as_date(arrays[0]), as_date(arrays[1])
    missing = np.isnat(d1) | np.isnat(d2)
    d1 = np.where(missing, np.datetime64("2000-01-01", "D"), d1)
    d2 = np.where(missing, np.datetime64("2000-01-01", "D"), d2)
    (y1, m1, day1), (y2, m2, day2) = _parts(d1), _parts(d2)
    months = ((y2 - y1) * 12 + (m2 - m1)).astype(float)
    months -= (d2 >= d1) & (day2 < day1)
    months += (d2 < d1) & (day2 > day1)
    months[missing] = np.nan
    return np.asarray(months, dtype=float)


_FUNCTIONS: dict[str, Callable[[list[Array]], Array]] = {
    "min": _min_max(np.fmin),
    "max": _min_max(np.fmax),
    "abs": lambda arrays: np.abs(as_float(arrays[0])),
    "len": lambda arrays: np.array([np.nan if (x := v.length(e)) is None else x
                                    for e in as_object(arrays[0])], dtype=float),
    "count": lambda arrays: (present(arrays[0]).astype(float) if vkind(arrays[0]) != "object"
                             else np.array([v.count(e) for e in arrays[0]], dtype=float)),
    "coalesce": _coalesce,
    "days_between": _days,
    "months_between": _months,
    "lower": _objects(lambda x: x.lower() if isinstance(x, str) else None),
    "date": lambda arrays: as_date(arrays[0]),
}
