"""A PD master scale: grades defined by the upper bounds of their PD bands.

Grade ``i`` holds ``upper[i-1] < PD <= upper[i]`` (the first grade starts at 0), and the last
upper bound is 1, so every PD in ``[0, 1]`` has exactly one grade and grades are monotone in PD:
the first grade is the safest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

DEFAULT_LABELS = ("A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "D", "E")


def geometric_bounds(first: float = 0.001, n: int = 10) -> tuple[float, ...]:
    """``n`` upper bounds in geometric progression from ``first`` to 1 (the default scale)."""
    if not 0.0 < first < 1.0:
        raise ValueError(f"first upper bound must be in (0, 1); got {first}.")
    if n < 2:
        raise ValueError(f"a master scale needs at least 2 grades; got {n}.")
    bounds = [float(b) for b in np.geomspace(first, 1.0, n)]
    bounds[-1] = 1.0
    return tuple(bounds)


@dataclass(frozen=True)
class MasterScale:
    """Grades with PD bands; the default has 10 grades A1..E from 0.1% to 100% (geometric)."""

    upper_bounds: tuple[float, ...] = field(default_factory=geometric_bounds)
    labels: tuple[str, ...] = DEFAULT_LABELS

    def __post_init__(self) -> None:
        ub = self.upper_bounds
        if len(ub) != len(self.labels):
            raise ValueError(f"master scale needs one label per band; got {len(self.labels)} "
                             f"labels for {len(ub)} bands.")
        if len(set(self.labels)) != len(self.labels):
            raise ValueError(f"master scale labels must be unique; got {list(self.labels)}.")
        increasing = all(a < b for a, b in zip(ub, ub[1:], strict=False))
        if any(not (0.0 < b <= 1.0) for b in ub) or not increasing:
            raise ValueError("master scale upper bounds must increase strictly within (0, 1]; "
                             f"got {list(ub)}.")
        if ub[-1] != 1.0:
            raise ValueError(f"the last upper bound must be 1 (cover all PDs); got {ub[-1]}.")

    @property
    def n_grades(self) -> int:
        return len(self.upper_bounds)

    @property
    def lower_bounds(self) -> tuple[float, ...]:
        return (0.0, *self.upper_bounds[:-1])

    def central_pd(self) -> tuple[float, ...]:
        """Central PD of each band: the geometric mean of its bounds.

        The first band (0, u0] has no positive lower bound: it uses ``u0**2 / u1`` (one more step
        of the progression below), so for the default scale its centre is ``u0 / sqrt(ratio)``.
        """
        ub = self.upper_bounds
        lower = [ub[0] * ub[0] / ub[1], *ub[:-1]]
        return tuple(math.sqrt(lo * hi) for lo, hi in zip(lower, ub, strict=True))

    def grade_index(self, pd: ArrayLike) -> NDArray[np.intp]:
        """Grade index (0 = best) of every PD; PDs are clipped to [0, 1], NaN is an error."""
        arr = np.asarray(pd, dtype=float)
        if np.isnan(arr).any():
            raise ValueError("cannot grade a missing (NaN) PD.")
        arr = np.clip(arr, 0.0, 1.0)
        out: NDArray[np.intp] = np.searchsorted(np.asarray(self.upper_bounds), arr,
                                                side="left").astype(np.intp)
        return out

    def grade(self, pd: ArrayLike) -> NDArray[np.object_]:
        """Grade label of every PD."""
        return np.asarray(self.labels, dtype=object)[self.grade_index(pd)]

    def frame(self) -> pd.DataFrame:
        """One row per grade: label, PD band (lower exclusive, upper inclusive), central PD."""
        return pd.DataFrame({
            "grade": list(self.labels),
            "pd_lower": list(self.lower_bounds),
            "pd_upper": list(self.upper_bounds),
            "pd_central": list(self.central_pd()),
        })

    def to_dict(self) -> dict[str, Any]:
        return {"upper_bounds": [float(b) for b in self.upper_bounds],
                "labels": list(self.labels)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MasterScale:
        return cls(upper_bounds=tuple(float(b) for b in data["upper_bounds"]),
                   labels=tuple(str(label) for label in data["labels"]))
