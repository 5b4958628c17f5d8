"""The fitted bins of one feature: the contract between binning, scorecard, SQL and JSON.

Bin indices: regular bins ``0 .. n-1``, then the special-values bin ``n`` and the missing bin
``n + 1``. Counts and WoE arrays always have ``n + 2`` entries (a bin with no rows has WoE 0).

Numerical: ``splits`` are ascending cut points; bin ``i`` holds ``splits[i-1] <= x < splits[i]``
(the first bin is open below, the last open above), so ``n = len(splits) + 1``.
Categorical: ``categories[i]`` lists the category labels grouped in bin ``i``; a label never
seen in fitting falls in the missing bin.

WoE convention (as optbinning, Siddiqi): ``woe = ln(share of non-events / share of events)``,
so a higher WoE means lower risk and a logistic regression for the event on WoE has negative
coefficients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

Kind = Literal["numerical", "categorical"]
SMOOTHING = 0.5  # added to event and non-event counts so an empty side gives a finite WoE


@dataclass(frozen=True)
class FeatureBins:
    name: str
    kind: Kind
    splits: tuple[float, ...] = ()
    categories: tuple[tuple[str, ...], ...] = ()
    special_values: tuple[Any, ...] = ()
    event: tuple[int, ...] = ()
    nonevent: tuple[int, ...] = ()
    woe: tuple[float, ...] = field(default=())

    @property
    def n_regular(self) -> int:
        return len(self.splits) + 1 if self.kind == "numerical" else len(self.categories)

    @property
    def special_bin(self) -> int:
        return self.n_regular

    @property
    def missing_bin(self) -> int:
        return self.n_regular + 1

    @property
    def iv(self) -> float:
        ev, ne = np.asarray(self.event, float), np.asarray(self.nonevent, float)
        share_gap = ne / max(ne.sum(), 1) - ev / max(ev.sum(), 1)
        return float(np.sum(share_gap * np.asarray(self.woe)))

    def labels(self) -> list[str]:
        """Human-readable label of every bin, in index order."""
        if self.kind == "numerical":
            edges = [-np.inf, *self.splits, np.inf]
            pairs = zip(edges, edges[1:], strict=False)
            regular = [f"[{_fmt(lo)}, {_fmt(hi)})" for lo, hi in pairs]
        else:
            regular = [", ".join(group) for group in self.categories]
        return [*regular, "Special", "Missing"]

    def assign(self, values: Any) -> np.ndarray:
        """The bin index of every value (numpy, pandas or list input)."""
        if self.kind == "numerical":
            return assign_numerical(values, np.asarray(self.splits, float), self.special_values)
        return assign_categorical(values, self.categories, self.special_values)

    def transform(self, values: Any) -> np.ndarray:
        woe: np.ndarray = np.asarray(self.woe, float)[self.assign(values)]
        return woe

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "kind": self.kind, "splits": list(self.splits),
            "categories": [list(g) for g in self.categories],
            "special_values": list(self.special_values),
            "event": list(self.event), "nonevent": list(self.nonevent), "woe": list(self.woe),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureBins:
        return cls(
            name=data["name"], kind=data["kind"],
            splits=tuple(float(s) for s in data["splits"]),
            categories=tuple(tuple(str(c) for c in g) for g in data["categories"]),
            special_values=tuple(data["special_values"]),
            event=tuple(int(v) for v in data["event"]),
            nonevent=tuple(int(v) for v in data["nonevent"]),
            woe=tuple(float(v) for v in data["woe"]),
        )

    @classmethod
    def from_counts(cls, name: str, kind: Kind, event: np.ndarray, nonevent: np.ndarray, *,
                    splits: tuple[float, ...] = (),
                    categories: tuple[tuple[str, ...], ...] = (),
                    special_values: tuple[Any, ...] = ()) -> FeatureBins:
        """Bins with WoE computed from per-bin counts (length n_regular + 2)."""
        return cls(name=name, kind=kind, splits=splits, categories=categories,
                   special_values=special_values, event=tuple(int(v) for v in event),
                   nonevent=tuple(int(v) for v in nonevent),
                   woe=tuple(float(v) for v in woe_from_counts(event, nonevent)))


def woe_from_counts(event: np.ndarray, nonevent: np.ndarray) -> np.ndarray:
    """WoE per bin; bins without rows get 0, one-sided bins are smoothed."""
    ev = np.asarray(event, float)
    ne = np.asarray(nonevent, float)
    total_ev, total_ne = max(ev.sum(), 1.0), max(ne.sum(), 1.0)
    woe: np.ndarray = np.log(((ne + SMOOTHING) / total_ne) / ((ev + SMOOTHING) / total_ev))
    woe[(ev + ne) == 0] = 0.0
    return woe


def assign_numerical(values: Any, splits: np.ndarray, special_values: tuple[Any, ...] = ()
                     ) -> np.ndarray:
    x = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    n_regular = len(splits) + 1
    idx = np.searchsorted(splits, x, side="right")
    if special_values:
        idx[np.isin(x, np.asarray(special_values, float))] = n_regular
    idx[np.isnan(x)] = n_regular + 1
    return idx


def assign_categorical(values: Any, categories: tuple[tuple[str, ...], ...],
                       special_values: tuple[Any, ...] = ()) -> np.ndarray:
    series = pd.Series(values)
    missing = series.isna().to_numpy()
    codes, uniques = pd.factorize(series.astype(str).where(~missing, None))
    lookup = {label: i for i, group in enumerate(categories) for label in group}
    n_regular = len(categories)
    specials = {str(s) for s in special_values}
    table = np.array([
        n_regular if u in specials else lookup.get(u, n_regular + 1) for u in uniques
    ] + [n_regular + 1], dtype=np.intp)
    indices: np.ndarray = table[codes]  # code -1 (missing) takes the last entry
    return indices


def _fmt(value: float) -> str:
    if np.isinf(value):
        return "-inf" if value < 0 else "inf"
    return f"{value:.6g}"
