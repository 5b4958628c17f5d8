"""The book's month calendar: months are counted from 2015-01 (month 0), the first
origination month of the county union's mortgage book."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

EPOCH = np.datetime64("2015-01", "M")
EPOCH_YEAR = 2015


def months_between(a: np.datetime64, b: np.datetime64) -> int:
    return int((np.datetime64(b, "M") - np.datetime64(a, "M")).astype(int))


def month_index(text: str) -> int:
    """Month number of a "YYYY-MM..." text."""
    return months_between(EPOCH, np.datetime64(text[:7], "M"))


def as_of_month(as_of: date) -> int:
    """Month number of the as-of date."""
    return months_between(EPOCH, np.datetime64(as_of, "M"))


def calendar_year(month_idx: np.ndarray) -> np.ndarray:
    return month_idx // 12 + EPOCH_YEAR


def month_date(month_idx: np.ndarray, day: np.ndarray | int) -> np.ndarray:
    """datetime64[D] of day ``day`` (1-28) in month ``month_idx``."""
    first = (EPOCH + month_idx.astype("timedelta64[M]")).astype("datetime64[D]")
    return first + (np.asarray(day) - 1).astype("timedelta64[D]")


def month_start(month_idx: np.ndarray) -> pd.Series:
    """Month number -> month-start Timestamp, NaT where negative (no such month)."""
    out = (EPOCH + np.maximum(month_idx, 0).astype("timedelta64[M]")).astype("datetime64[ns]")
    out = np.where(month_idx >= 0, out, np.datetime64("NaT"))
    return pd.Series(out.astype("datetime64[ns]"))


def month_end(t: int) -> pd.Timestamp:
    """Last day of month ``t``."""
    first = (EPOCH + np.timedelta64(t, "M")).astype("datetime64[D]")
    return pd.Timestamp(first) + pd.offsets.MonthEnd(0)


def step_series(points: list[list[Any]], n_months: int, default: float = 0.0) -> np.ndarray:
    """A monthly step function from [["YYYY-MM", value], ...] (each value holds until the next)."""
    out = np.full(n_months, default, dtype=np.float64)
    for text, value in sorted(points, key=lambda p: p[0]):
        idx = max(0, month_index(text))
        if idx < n_months:
            out[idx:] = value
    return out
