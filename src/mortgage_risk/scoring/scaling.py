"""PDO score scaling: score <-> good:bad odds <-> PD.

``score = offset + factor * ln(good:bad odds) = offset - factor * lp`` where ``lp`` is the
log-odds of the *event* (default), ``factor = pdo / ln 2`` and
``offset = base_score - factor * ln(base_odds)``. So ``base_score`` points mean good:bad odds of
``base_odds``:1 and every ``pdo`` points more double the good:bad odds (higher score = better).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True)
class Scaling:
    """Points-to-double-the-odds scaling (default 600 points at 50:1 good:bad, PDO 20)."""

    base_score: float = 600.0
    base_odds: float = 50.0
    pdo: float = 20.0

    def __post_init__(self) -> None:
        if not (self.base_odds > 0 and math.isfinite(self.base_odds)):
            raise ValueError(f"base_odds must be a positive finite number; got {self.base_odds}.")
        if not (self.pdo > 0 and math.isfinite(self.pdo)):
            raise ValueError(f"pdo must be a positive finite number; got {self.pdo}.")
        if not math.isfinite(self.base_score):
            raise ValueError(f"base_score must be finite; got {self.base_score}.")

    @property
    def factor(self) -> float:
        """Points per unit of log-odds: ``pdo / ln 2``."""
        return self.pdo / math.log(2.0)

    @property
    def offset(self) -> float:
        """Score at even odds (1:1): ``base_score - factor * ln(base_odds)``."""
        return self.base_score - self.factor * math.log(self.base_odds)

    # --- conversions (vectorised; scalars in, numpy scalars/arrays out) -----------------------
    def score_from_log_odds(self, lp: ArrayLike) -> NDArray[np.float64]:
        """Score from the event (bad) log-odds ``lp = ln(PD / (1 - PD))``."""
        out: NDArray[np.float64] = self.offset - self.factor * np.asarray(lp, dtype=float)
        return out

    def log_odds_from_score(self, score: ArrayLike) -> NDArray[np.float64]:
        """Event (bad) log-odds from a score."""
        return (self.offset - np.asarray(score, dtype=float)) / self.factor

    def odds_from_score(self, score: ArrayLike) -> NDArray[np.float64]:
        """Good:bad odds at a score."""
        return np.exp(-self.log_odds_from_score(score))

    def score_from_odds(self, odds: ArrayLike) -> NDArray[np.float64]:
        """Score at good:bad odds."""
        out: NDArray[np.float64] = self.offset + self.factor * np.log(
            np.asarray(odds, dtype=float))
        return out

    def pd_from_score(self, score: ArrayLike) -> NDArray[np.float64]:
        """PD at a score: ``1 / (1 + good:bad odds)``."""
        out: NDArray[np.float64] = expit(self.log_odds_from_score(score))
        return out

    def score_from_pd(self, pd: ArrayLike) -> NDArray[np.float64]:
        """Score at a PD (0 < PD < 1)."""
        return self.score_from_log_odds(logit(pd))

    def to_dict(self) -> dict[str, Any]:
        return {"base_score": float(self.base_score), "base_odds": float(self.base_odds),
                "pdo": float(self.pdo)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scaling:
        return cls(base_score=float(data["base_score"]), base_odds=float(data["base_odds"]),
                   pdo=float(data["pdo"]))


def expit(x: ArrayLike) -> NDArray[np.float64]:
    """The logistic function ``1 / (1 + exp(-x))``, the same formula the SQL export uses."""
    arr = np.asarray(x, dtype=float)
    with np.errstate(over="ignore"):
        out: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-arr))
    return out


def logit(p: ArrayLike) -> NDArray[np.float64]:
    """``ln(p / (1 - p))``."""
    arr = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore"):
        out: NDArray[np.float64] = np.log(arr) - np.log1p(-arr)
    return out
