"""Calibration to a long-run default rate by an intercept shift in log-odds.

The development model ranks well but its mean PD equals the development sample's default rate.
For capital and pricing the PD must instead average the long-run (through-the-cycle) rate, so a
constant ``shift`` is added to every linear predictor such that the mean calibrated PD on the
development sample equals ``target_pd``. Ranking (AUC, KS) is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq

from mortgage_risk.scoring.scaling import expit


@dataclass(frozen=True)
class Calibration:
    """The fitted intercept shift and the rates it reconciles."""

    target_pd: float
    shift: float
    mean_pd_before: float
    mean_pd_after: float

    def to_dict(self) -> dict[str, Any]:
        return {"target_pd": self.target_pd, "shift": self.shift,
                "mean_pd_before": self.mean_pd_before, "mean_pd_after": self.mean_pd_after}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        return cls(**{k: float(data[k]) for k in
                      ("target_pd", "shift", "mean_pd_before", "mean_pd_after")})


def calibrate_intercept(linear_predictor: ArrayLike, target_pd: float, *,
                        sample_weight: ArrayLike | None = None,
                        xtol: float = 1e-12) -> Calibration:
    """The log-odds shift ``s`` with ``mean(expit(lp + s)) == target_pd`` (Brent's method).

    ``linear_predictor`` is the event log-odds of the development rows; ``sample_weight``
    makes it a weighted mean.
    """
    if not 0.0 < float(target_pd) < 1.0:
        raise ValueError(f"target_pd must be in (0, 1); got {target_pd}.")
    lp = np.asarray(linear_predictor, dtype=float).ravel()
    if lp.size == 0 or not np.isfinite(lp).all():
        raise ValueError("calibration needs a non-empty, finite linear predictor.")
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=float).ravel()

    def mean_pd(shift: float) -> float:
        p = expit(lp + shift)
        return float(np.average(p, weights=w))

    target = float(target_pd)
    lo, hi = -1.0, 1.0
    while mean_pd(lo) > target:
        lo *= 2.0
        if lo < -1e4:
            raise ValueError(f"cannot reach target_pd={target} by an intercept shift.")
    while mean_pd(hi) < target:
        hi *= 2.0
        if hi > 1e4:
            raise ValueError(f"cannot reach target_pd={target} by an intercept shift.")
    shift = float(brentq(lambda s: mean_pd(s) - target, lo, hi, xtol=xtol, rtol=1e-15))
    return Calibration(target_pd=target, shift=shift, mean_pd_before=mean_pd(0.0),
                       mean_pd_after=mean_pd(shift))
