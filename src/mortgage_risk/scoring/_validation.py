"""Parameter checks and input conversion shared by the scoring estimators.

Errors say what is allowed and what was received ("max_n_bins must be an int >= 2; got 1").
Input conversion works column by column so a wide frame is never copied as a whole: a float64
pandas or polars column becomes a numpy view where the library allows it, other numeric columns
are converted one at a time, and non-numeric columns are handed to ``pandas.factorize`` as they
are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

_NUMERIC_INFERRED = {"floating", "integer", "mixed-integer-float", "decimal", "boolean", "empty"}


# --------------------------------------------------------------------------- parameters


def check_int(name: str, value: Any, minimum: int, *, allow_none: bool = False) -> None:
    """Raise ``ValueError`` unless ``value`` is an int >= ``minimum`` (or None if allowed)."""
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        allowed = f"an int >= {minimum}" + (" or None" if allow_none else "")
        raise ValueError(f"{name} must be {allowed}; got {value!r}")


def check_float(name: str, value: Any, low: float, high: float, *,
                closed: str = "both", allow_none: bool = False) -> None:
    """Raise ``ValueError`` unless ``low <= value <= high`` (``closed`` picks open ends)."""
    if value is None and allow_none:
        return
    ok = isinstance(value, Real) and not isinstance(value, bool) and np.isfinite(float(value))
    if ok:
        v = float(value)
        ok = (v >= low if closed in ("both", "left") else v > low) and (
            v <= high if closed in ("both", "right") else v < high)
    if not ok:
        left = "[" if closed in ("both", "left") else "("
        right = "]" if closed in ("both", "right") else ")"
        allowed = f"a number in {left}{low:g}, {high:g}{right}" + (" or None" if allow_none else "")
        raise ValueError(f"{name} must be {allowed}; got {value!r}")


def check_option(name: str, value: Any, options: Sequence[Any]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``options``."""
    if not any(value is o or (type(value) is type(o) and value == o) for o in options):
        allowed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}")


def check_list(name: str, value: Any, *, allow_none: bool = True) -> list[Any]:
    """A list/tuple/array parameter as a list (None gives an empty list if allowed)."""
    if value is None and allow_none:
        return []
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray | pd.Index):
        raise ValueError(f"{name} must be a list{' or None' if allow_none else ''}; got {value!r}")
    return list(value)


# --------------------------------------------------------------------------- target


def binary_target(y: Any, bad_value: Any = None, *, name: str | None = None) -> np.ndarray:
    """The target as an int8 array of 0/1 (1 = event, "bad").

    ``bad_value`` names the label of the event; when None the labels must already be 0/1 (or
    False/True). Missing labels, more than two distinct values and a single class are errors.
    """
    arr = _to_1d(y)
    label = name if name is not None else (getattr(y, "name", None) or "target")
    if arr.size == 0:
        raise ValueError(f"target {label!r} is empty")
    if arr.dtype.kind in "biu":
        values = arr
    else:
        missing = pd.isna(arr)
        if missing.any():
            raise ValueError(f"target {label!r} has {int(missing.sum())} missing value(s)")
        values = arr
    uniques = pd.unique(values) if values.dtype.kind == "O" else np.unique(values)
    if len(uniques) > 2:
        shown = ", ".join(repr(u.item() if hasattr(u, "item") else u) for u in list(uniques)[:5])
        raise ValueError(f"target must be binary: found {len(uniques)} distinct values in "
                         f"{label!r} ({shown}{', ...' if len(uniques) > 5 else ''})")
    if bad_value is not None:
        if not any(u == bad_value for u in uniques):
            raise ValueError(f"bad_value {bad_value!r} is not a label of target {label!r}; "
                             f"labels are {sorted(map(repr, uniques))}")
        out = (values == bad_value).astype(np.int8)
    else:
        if not all(u in (0, 1) for u in uniques):
            raise ValueError(f"target must be binary: found values {sorted(map(repr, uniques))} "
                             f"in {label!r}; labels other than 0/1 need bad_value")
        out = values.astype(np.int8, copy=False)
    if len(uniques) < 2:
        raise ValueError(f"target {label!r} has only one class ({uniques[0]!r}); "
                         f"binning needs both events and non-events")
    return np.ascontiguousarray(out)


# --------------------------------------------------------------------------- features


def _to_1d(values: Any) -> np.ndarray:
    if isinstance(values, pd.Series | pd.Index):
        if isinstance(values.dtype, pd.CategoricalDtype) or values.dtype.kind not in "biuf":
            return np.asarray(values.to_numpy(dtype=object))
        return values.to_numpy()
    if _is_polars(values):
        return np.asarray(values.to_numpy())
    arr = np.asarray(values)
    if arr.ndim != 1:
        arr = arr.reshape(-1) if arr.ndim == 2 and 1 in arr.shape else arr
    if arr.ndim != 1:
        raise ValueError(f"expected a 1-d array; got shape {arr.shape}")
    return arr


def _is_polars(obj: Any) -> bool:
    return type(obj).__module__.startswith("polars")


def is_numeric_column(values: Any) -> bool:
    """Whether a column holds numbers (missing allowed); strings and categories do not."""
    if isinstance(values, pd.Series):
        dtype = values.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            return False
        if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
            return True
        if dtype.kind == "O":
            return _object_is_numeric(values.to_numpy())
        return False
    if _is_polars(values):
        return bool(values.dtype.is_numeric() or str(values.dtype) == "Boolean")
    arr = np.asarray(values)
    if arr.dtype.kind in "biuf":
        return True
    if arr.dtype.kind == "O":
        return _object_is_numeric(arr)
    return False


def _object_is_numeric(arr: np.ndarray) -> bool:
    # a look at the head settles the usual string column without scanning a million objects
    if pd.api.types.infer_dtype(arr[:1000], skipna=True) not in _NUMERIC_INFERRED:
        return False
    return pd.api.types.infer_dtype(arr, skipna=True) in _NUMERIC_INFERRED


def numeric_values(values: Any, column: str) -> np.ndarray:
    """A numeric column as float64 (a view when it already is float64; missing -> NaN)."""
    try:
        if isinstance(values, pd.Series):
            if values.dtype == np.float64:
                return values.to_numpy()
            return values.to_numpy(dtype=np.float64, na_value=np.nan)
        if _is_polars(values):
            return np.asarray(values.to_numpy(), dtype=np.float64)
        arr = np.asarray(values)
        if arr.dtype.kind == "O":
            return pd.to_numeric(pd.Series(arr), errors="raise").to_numpy(
                dtype=np.float64, na_value=np.nan)
        return arr.astype(np.float64, copy=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"column {column!r} must be numeric: {exc}") from None


def factorizable(values: Any) -> Any:
    """A non-numeric column in a form ``pandas.factorize`` accepts without a full copy."""
    if isinstance(values, pd.Series):
        return values
    if _is_polars(values):
        return values.to_numpy()
    return np.asarray(values)


class Columns:
    """Column access over a pandas or polars DataFrame, a 2-d numpy array, or a mapping of
    column name to 1-d array (used internally to avoid copying columns into one block)."""

    def __init__(self, X: Any) -> None:
        self._get: Callable[[str], Any]
        if isinstance(X, dict):
            self.names = [str(c) for c in X]
            self._get = X.__getitem__
            lengths = {len(v) for v in X.values()}
            if len(lengths) > 1:
                raise ValueError("X columns have different lengths")
            self.n_rows = lengths.pop() if lengths else 0
        elif isinstance(X, pd.DataFrame):
            self.names = [str(c) for c in X.columns]
            orig = {str(c): c for c in X.columns}
            self._get = lambda name: X[orig[name]]
            self.n_rows = len(X)
        elif _is_polars(X) and hasattr(X, "get_column"):
            self.names = list(X.columns)
            self._get = X.get_column
            self.n_rows = X.height
        elif isinstance(X, pd.Series) or _is_polars(X):
            raise ValueError("X must be 2-d (a DataFrame or a 2-d array); got a Series")
        else:
            arr = np.asarray(X)
            if arr.ndim != 2:
                raise ValueError(f"X must be 2-d (a DataFrame or a 2-d array); got shape "
                                 f"{arr.shape}")
            self.names = [f"x{j}" for j in range(arr.shape[1])]
            index = {name: j for j, name in enumerate(self.names)}
            self._get = lambda name: arr[:, index[name]]
            self.n_rows = arr.shape[0]
        if len(set(self.names)) != len(self.names):
            raise ValueError("X has duplicate column names")
        self._present = set(self.names)

    def __contains__(self, name: str) -> bool:
        return name in self._present

    def get(self, name: str) -> Any:
        if name not in self._present:
            raise ValueError(f"column {name!r} is missing from X")
        return self._get(name)
