"""A monthly house-price index for revaluation (reference-valuation.md §4.1).

The union's county has no index of its own, so a nearby city of the NBS 70-city series is the
proxy (桂林, second-hand homes, 整体 in the synthetic book). :class:`PriceIndex` holds one such
series on a gap-free monthly grid:

- published months keep their value (status ``PUBLISHED``);
- gaps inside the published range are interpolated linearly (``INTERPOLATED``);
- months after the last grid month carry the last value forward and are flagged
  ``EXTRAPOLATED`` (so are months added with ``extend_to`` / ``extend_back_to``).

Months are handled as integer month ordinals (months since 1970-01, the same number as
``pandas.Period(..., "M").ordinal``) so lookups vectorise with numpy.

The rural amplitude ``a`` damps the city movement for rural or thin-market property: a raw
index ratio ``r`` becomes ``1 + a·(r − 1)`` (the synthetic generator's convention). With
``a ≠ 1`` the damped ratio is not path-consistent (A→B→C differs from A→C at second order), so
always revalue from the last appraisal month, never by chaining damped ratios.

This module is pure: the series is passed in as data (the services load it with
``mortgage_risk.datasets.load_house_price_index``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from mortgage_risk.domain import DomainError

PUBLISHED: Final = 0
INTERPOLATED: Final = 1
EXTRAPOLATED: Final = 2

_STATUS_NAMES: Final = {PUBLISHED: "published", INTERPOLATED: "interpolated",
                        EXTRAPOLATED: "extrapolated"}

MonthLike: TypeAlias = "pd.Period | date | datetime | str | int | np.integer[Any]"
FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]


def month_ordinal(month: MonthLike, field_name: str = "month") -> int:
    """The month ordinal (months since 1970-01) of a Period, date, ``"YYYY-MM"`` or ordinal."""
    if isinstance(month, bool):
        raise DomainError(field_name, f"not a month: {month!r}")
    if isinstance(month, int | np.integer):
        return int(month)
    if isinstance(month, pd.Period):
        return int(month.asfreq("M").ordinal)
    if isinstance(month, datetime | date):
        return (month.year - 1970) * 12 + month.month - 1
    if isinstance(month, str):
        try:
            return int(pd.Period(month, freq="M").ordinal)
        except (ValueError, TypeError):
            raise DomainError(field_name, f"not a month: {month!r}") from None
    raise DomainError(field_name, f"not a month: {month!r}")


def month_ordinals(months: Any, field_name: str = "month") -> IntArray:
    """Vectorised :func:`month_ordinal`: datetime64 (any unit), integer ordinals, a
    ``PeriodIndex`` or a sequence of month-likes → ``int64`` ordinals."""
    if isinstance(months, pd.PeriodIndex):
        return np.asarray(months.asfreq("M").asi8, dtype=np.int64)
    arr = np.asarray(months)
    if np.issubdtype(arr.dtype, np.datetime64):
        unit = np.datetime_data(arr.dtype)[0]
        if unit in ("Y", "M"):
            out = arr.astype("datetime64[M]").astype(np.int64)
            if arr.size and np.isnat(arr).any():
                raise DomainError(field_name, "contains missing dates (NaT)")
            return out
        days = arr if unit == "D" else arr.astype("datetime64[D]")
        return _days_to_months(days.view(np.int64), field_name)
    if np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.int64, copy=False)
    return np.fromiter((month_ordinal(m, field_name) for m in arr.ravel()), dtype=np.int64,
                       count=arr.size).reshape(arr.shape)


_NAT = np.iinfo(np.int64).min


def _days_to_months(days: IntArray, field_name: str) -> IntArray:
    """Day numbers (days since 1970-01-01) → month ordinals through a lookup table over the
    span of the data: a calendar conversion per distinct day instead of per element."""
    if days.size == 0:
        return np.empty(days.shape, dtype=np.int64)
    lo, hi = int(days.min()), int(days.max())
    if lo == _NAT:
        raise DomainError(field_name, "contains missing dates (NaT)")
    if hi - lo > 200_000:  # a span of over five centuries: convert directly
        return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    table = np.arange(lo, hi + 1, dtype=np.int64).astype("datetime64[D]")
    return table.astype("datetime64[M]").astype(np.int64)[days - lo]


def month_period(ordinal: int) -> pd.Period:
    """The ``Period[M]`` of a month ordinal."""
    return pd.Period(ordinal=ordinal, freq="M")


def chain_factor(month_on_month: Iterable[float]) -> float:
    """Π(环比_k / 100): the factor of chained month-on-month indices (previous month = 100)."""
    factor = 1.0
    for k, value in enumerate(month_on_month):
        if not value > 0:
            raise DomainError(f"month_on_month[{k}]", f"must be positive; got {value}")
        factor *= value / 100.0
    return factor


def fixed_base_factor(level_from: float, level_to: float) -> float:
    """I_t / I_0 of a fixed-base (定基) series."""
    if not level_from > 0:
        raise DomainError("level_from", f"must be positive; got {level_from}")
    if not level_to > 0:
        raise DomainError("level_to", f"must be positive; got {level_to}")
    return level_to / level_from


def damp(raw_ratio: float, amplitude: float) -> float:
    """``1 + a·(r − 1)``: a raw index ratio damped by the amplitude ``a``."""
    return 1.0 + amplitude * (raw_ratio - 1.0)


@dataclass(frozen=True, slots=True)
class IndexPoint:
    """One month of the index: its level and whether it was published, interpolated or
    extrapolated (carried forward or back)."""

    month: pd.Period
    level: float
    status: int

    @property
    def extrapolated(self) -> bool:
        return self.status == EXTRAPOLATED

    @property
    def interpolated(self) -> bool:
        return self.status == INTERPOLATED

    @property
    def status_name(self) -> str:
        return _STATUS_NAMES[self.status]


@dataclass(frozen=True, eq=False)
class PriceIndex:
    """A monthly price index on a gap-free grid starting at month ordinal ``start``.

    Build it with :meth:`from_frame` (the 70-city long table), :meth:`from_levels` (a fixed-base
    series) or :meth:`from_month_on_month` (chained 环比 indices). ``amplitude`` (default 1)
    damps every ratio: ``1 + a·(I_t/I_0 − 1)``.
    """

    start: int
    levels: FloatArray
    status: npt.NDArray[np.int8]
    amplitude: float = 1.0
    name: str = ""
    base: str = ""
    _last_observed: int = field(default=-1, init=False, repr=False)

    def __post_init__(self) -> None:
        levels = np.array(self.levels, dtype=np.float64)
        status = np.array(self.status, dtype=np.int8)
        if levels.ndim != 1 or levels.size == 0:
            raise DomainError("levels", "must be a non-empty one-dimensional series")
        if status.shape != levels.shape:
            raise DomainError("status", "must have one entry per level")
        if not np.all(np.isfinite(levels)) or np.any(levels <= 0):
            raise DomainError("levels", "every level must be finite and positive")
        if not np.isin(status, (PUBLISHED, INTERPOLATED, EXTRAPOLATED)).all():
            raise DomainError("status", "unknown status code")
        if not (np.isfinite(self.amplitude) and 0.0 <= self.amplitude <= 1.0):
            raise DomainError("amplitude", f"must be within [0, 1]; got {self.amplitude}")
        levels.setflags(write=False)
        status.setflags(write=False)
        object.__setattr__(self, "levels", levels)
        object.__setattr__(self, "status", status)
        observed = np.flatnonzero(status != EXTRAPOLATED)
        if observed.size == 0:
            raise DomainError("status", "the series has no published month")
        object.__setattr__(self, "_last_observed", int(self.start + observed[-1]))

    # ---------------------------------------------------------------- construction

    @classmethod
    def from_levels(cls, levels: pd.Series | Mapping[Any, float], *, amplitude: float = 1.0,
                    extend_to: MonthLike | None = None,
                    extend_back_to: MonthLike | None = None, name: str = "",
                    base: str = "") -> PriceIndex:
        """A fixed-base series (month → level): gaps interpolated, optional flat extension."""
        series = levels if isinstance(levels, pd.Series) else pd.Series(dict(levels))
        if series.empty:
            raise DomainError("levels", f"no index values{' for ' + name if name else ''}")
        months = month_ordinals(np.asarray(series.index)
                                if not isinstance(series.index, pd.PeriodIndex)
                                else series.index, "month")
        values = pd.to_numeric(pd.Series(np.asarray(series, dtype=object)), errors="coerce")
        values_arr = values.to_numpy(dtype=np.float64)
        keep = np.isfinite(values_arr)
        months, values_arr = months[keep], values_arr[keep]
        if months.size == 0:
            raise DomainError("levels", f"no numeric index values{' for ' + name if name else ''}")
        order = np.argsort(months, kind="stable")
        months, values_arr = months[order], values_arr[order]
        dup = months[1:] == months[:-1]
        if dup.any():
            clash = dup & (values_arr[1:] != values_arr[:-1])
            if clash.any():
                bad = month_period(int(months[1:][clash][0]))
                raise DomainError("month", f"conflicting index values for {bad}")
            first = np.concatenate(([True], ~dup))
            months, values_arr = months[first], values_arr[first]
        if np.any(values_arr <= 0):
            raise DomainError("value", "index values must be positive")
        start, end = int(months[0]), int(months[-1])
        grid = np.full(end - start + 1, np.nan)
        grid[months - start] = values_arr
        status = np.full(grid.size, INTERPOLATED, dtype=np.int8)
        status[months - start] = PUBLISHED
        missing = np.isnan(grid)
        if missing.any():
            xs = np.arange(grid.size)
            grid[missing] = np.interp(xs[missing], xs[~missing], grid[~missing])
        if extend_back_to is not None:
            back = month_ordinal(extend_back_to, "extend_back_to")
            if back < start:
                n = start - back
                grid = np.concatenate((np.full(n, grid[0]), grid))
                status = np.concatenate((np.full(n, EXTRAPOLATED, dtype=np.int8), status))
                start = back
        if extend_to is not None:
            fwd = month_ordinal(extend_to, "extend_to")
            last = start + grid.size - 1
            if fwd > last:
                n = fwd - last
                grid = np.concatenate((grid, np.full(n, grid[-1])))
                status = np.concatenate((status, np.full(n, EXTRAPOLATED, dtype=np.int8)))
        return cls(start, grid, status, amplitude=amplitude, name=name, base=base)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, city: str | None = None,
                   house_type: str | None = None, segment: str | None = None, *,
                   amplitude: float = 1.0, extend_to: MonthLike | None = None,
                   extend_back_to: MonthLike | None = None, base: str = "") -> PriceIndex:
        """From the 70-city long table (``month``, ``value`` and optionally ``city``,
        ``house_type``, ``segment``), filtered to one series.

        The table from ``load_house_price_index`` is a chained index the upstream author built
        from NBS month-on-month figures; its base is whatever it was chained from, so pass
        ``base`` if known and compare only ratios.
        """
        for col in ("month", "value"):
            if col not in frame.columns:
                raise DomainError(col, "missing column in the index table")
        mask = pd.Series(True, index=frame.index)
        for col, wanted in (("city", city), ("house_type", house_type), ("segment", segment)):
            if wanted is None:
                continue
            if col not in frame.columns:
                raise DomainError(col, "missing column in the index table")
            column = frame[col].astype(str)
            if col == "city":
                column = column.str.replace(" ", "", regex=False)
                wanted = wanted.replace(" ", "")
            mask &= column == wanted
        rows = frame.loc[mask]
        label = "/".join(x for x in (city, house_type, segment) if x)
        if rows.empty:
            raise DomainError("city" if city else "month",
                              f"no index rows for {label or 'the table'}")
        months = rows["month"]
        if isinstance(months.dtype, pd.PeriodDtype):
            idx: Any = pd.PeriodIndex(months, freq="M")
        else:
            idx = pd.PeriodIndex([pd.Period(str(m), freq="M") for m in months], freq="M")
        series = pd.Series(rows["value"].to_numpy(dtype=np.float64), index=idx)
        return cls.from_levels(series, amplitude=amplitude, extend_to=extend_to,
                               extend_back_to=extend_back_to, name=label, base=base)

    @classmethod
    def from_month_on_month(cls, start: MonthLike, month_on_month: Sequence[float], *,
                            base_level: float = 100.0, amplitude: float = 1.0,
                            name: str = "") -> PriceIndex:
        """Chain month-on-month indices (上月 = 100): ``I_{k} = I_{k−1} · 环比_k / 100`` with
        ``I = base_level`` at ``start``; the chain covers the months after ``start``."""
        if not base_level > 0:
            raise DomainError("base_level", f"must be positive; got {base_level}")
        levels = [float(base_level)]
        for k, value in enumerate(month_on_month):
            if not value > 0:
                raise DomainError(f"month_on_month[{k}]", f"must be positive; got {value}")
            levels.append(levels[-1] * value / 100.0)
        arr = np.asarray(levels, dtype=np.float64)
        s = month_ordinal(start, "start")
        return cls(s, arr, np.zeros(arr.size, dtype=np.int8), amplitude=amplitude, name=name,
                   base=f"{month_period(s)} = {base_level:g}")

    # ---------------------------------------------------------------- views

    @property
    def end(self) -> int:
        """Ordinal of the last month on the grid (later months carry it forward)."""
        return self.start + int(self.levels.size) - 1

    @property
    def first_month(self) -> pd.Period:
        return month_period(self.start)

    @property
    def last_month(self) -> pd.Period:
        return month_period(self.end)

    @property
    def last_observed_month(self) -> pd.Period:
        """The last published or interpolated month; later months are extrapolated."""
        return month_period(self._last_observed)

    def with_amplitude(self, amplitude: float) -> PriceIndex:
        """The same series with another amplitude (e.g. 0.5 for rural houses)."""
        return PriceIndex(self.start, self.levels, self.status, amplitude=amplitude,
                          name=self.name, base=self.base)

    def rebased(self, month: MonthLike, level: float = 100.0) -> PriceIndex:
        """The series scaled so that ``month`` equals ``level`` (ratios unchanged)."""
        point = self.point(month)
        levels = self.levels * (level / point.level)
        return PriceIndex(self.start, levels, self.status, amplitude=self.amplitude,
                          name=self.name, base=f"{point.month} = {level:g}")

    def spliced(self, newer: PriceIndex, link_month: MonthLike) -> PriceIndex:
        """Join ``newer`` (e.g. a rebased series) onto this one at ``link_month``: months up to
        the link keep this series, later months follow ``newer`` scaled to agree at the link.
        """
        link = month_ordinal(link_month, "link_month")
        own = self.point(link)
        theirs = newer.point(link)
        if link > self.end or link < newer.start:
            raise DomainError("link_month", "must lie on both series")
        scale = own.level / theirs.level
        head = self.levels[: link - self.start + 1]
        head_status = self.status[: link - self.start + 1]
        tail = newer.levels[link - newer.start + 1:] * scale
        tail_status = newer.status[link - newer.start + 1:]
        return PriceIndex(self.start, np.concatenate((head, tail)),
                          np.concatenate((head_status, tail_status)), amplitude=self.amplitude,
                          name=self.name, base=self.base)

    def to_series(self) -> pd.Series:
        """Levels as a ``pandas.Series`` on a ``PeriodIndex``."""
        idx = pd.period_range(self.first_month, periods=self.levels.size, freq="M")
        return pd.Series(np.array(self.levels), index=idx, name=self.name or "index")

    def to_frame(self) -> pd.DataFrame:
        """``month``, ``month_ordinal``, ``level``, ``status`` (for SQL joins and reports)."""
        ords = np.arange(self.start, self.end + 1, dtype=np.int64)
        return pd.DataFrame({
            "month": pd.period_range(self.first_month, periods=ords.size, freq="M"),
            "month_ordinal": ords,
            "level": np.array(self.levels),
            "status": np.array(self.status),
        })

    def month_on_month(self) -> FloatArray:
        """环比 indices (previous month = 100) for the grid months after the first."""
        return np.asarray(self.levels[1:] / self.levels[:-1] * 100.0, dtype=np.float64)

    # ---------------------------------------------------------------- lookups

    def _position(self, ordinal: int, field_name: str) -> tuple[int, bool]:
        if ordinal < self.start:
            where = f" for {self.name}" if self.name else ""
            raise DomainError(field_name, f"{month_period(ordinal)} is before the index starts "
                                          f"({self.first_month}{where})")
        if ordinal > self.end:
            return self.levels.size - 1, True
        pos = ordinal - self.start
        return pos, bool(self.status[pos] == EXTRAPOLATED)

    def point(self, month: MonthLike, field_name: str = "month") -> IndexPoint:
        """The level of ``month``; after the grid the last level is carried forward and the
        point is flagged extrapolated."""
        ordinal = month_ordinal(month, field_name)
        pos, carried = self._position(ordinal, field_name)
        status = EXTRAPOLATED if carried else int(self.status[pos])
        return IndexPoint(month_period(ordinal), float(self.levels[pos]), status)

    def level(self, month: MonthLike) -> float:
        return self.point(month).level

    def is_extrapolated(self, month: MonthLike) -> bool:
        return self.point(month).extrapolated

    def raw_ratio(self, from_month: MonthLike, to_month: MonthLike) -> float:
        """I_to / I_from, undamped."""
        a = self.point(from_month, "from_month")
        b = self.point(to_month, "to_month")
        return b.level / a.level

    def ratio(self, from_month: MonthLike, to_month: MonthLike) -> float:
        """The revaluation factor ``1 + a·(I_to/I_from − 1)`` (``I_to/I_from`` when a = 1)."""
        raw = self.raw_ratio(from_month, to_month)
        return raw if self.amplitude == 1.0 else damp(raw, self.amplitude)

    def year_on_year(self, month: MonthLike) -> float:
        """Undamped change over the twelve months to ``month`` (−0.1 = down 10%)."""
        m = month_ordinal(month)
        return self.raw_ratio(m - 12, m) - 1.0

    def lookup(self, months: Any, field_name: str = "month") -> tuple[FloatArray, BoolArray]:
        """Vectorised :meth:`point`: levels and extrapolated flags for many months."""
        ords = month_ordinals(months, field_name)
        if ords.size and int(ords.min()) < self.start:
            n = int((ords < self.start).sum())
            raise DomainError(field_name, f"{n} month(s) before the index starts "
                                          f"({self.first_month})")
        pos = ords - self.start
        beyond = pos > self.levels.size - 1
        np.minimum(pos, self.levels.size - 1, out=pos)
        extrapolated = beyond | (self.status[pos] == EXTRAPOLATED)
        return self.levels[pos], extrapolated
