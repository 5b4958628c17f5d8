"""Discrimination, calibration and stability metrics for a PD scorecard.

Conventions: ``y`` is 1 for the event (default); ``score`` is a *risk* score where higher means
riskier (a PD or a log-odds). For a points score (higher = better) pass ``-points``.
Every function returns plain Python numbers or numpy arrays; ``validation_report`` returns a
JSON-serialisable dict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.stats import binom, chi2, rankdata

if TYPE_CHECKING:
    from mortgage_risk.scoring.scorecard import Scorecard

PSI_STABLE = 0.10
PSI_SHIFT = 0.25
_EPS = 1e-6  # share floor in PSI / CSI, so an empty bin gives a large but finite term


def _binary(y: ArrayLike) -> NDArray[np.int8]:
    arr = np.asarray(y).ravel()
    if arr.size == 0:
        raise ValueError("metrics need at least one row.")
    if not np.isin(arr, (0, 1)).all():
        raise ValueError("y must contain only 0 (non-event) and 1 (event).")
    return arr.astype(np.int8)


def _scores(score: ArrayLike, n: int) -> NDArray[np.float64]:
    arr = np.asarray(score, dtype=float).ravel()
    if arr.shape[0] != n:
        raise ValueError(f"y has {n} rows but the score has {arr.shape[0]}.")
    if np.isnan(arr).any():
        raise ValueError("score contains NaN.")
    return arr


# --- discrimination ---------------------------------------------------------------------------
def auc(y: ArrayLike, score: ArrayLike) -> float:
    """Area under the ROC curve (Mann-Whitney U with mid-ranks for ties), O(n log n)."""
    yy = _binary(y)
    s = _scores(score, yy.size)
    n1 = int(yy.sum())
    n0 = yy.size - n1
    if n1 == 0 or n0 == 0:
        raise ValueError("AUC needs both events and non-events.")
    ranks = rankdata(s)
    u = float(ranks[yy == 1].sum()) - n1 * (n1 + 1) / 2.0
    return u / (n1 * n0)


def gini(y: ArrayLike, score: ArrayLike) -> float:
    """Gini (accuracy ratio) = 2 AUC - 1."""
    return 2.0 * auc(y, score) - 1.0


@dataclass(frozen=True)
class Curve:
    """Cumulative curve over the distinct score values, from the riskiest down.

    ``thresholds[i]`` is a score value; ``cum_event[i]`` / ``cum_nonevent[i]`` are the shares of
    events / non-events with a score >= thresholds[i] (``tpr`` / ``fpr`` of the ROC curve).
    Index 0 is the origin (threshold +inf).
    """

    thresholds: NDArray[np.float64]
    cum_event: NDArray[np.float64]
    cum_nonevent: NDArray[np.float64]


def cumulative_curve(y: ArrayLike, score: ArrayLike) -> Curve:
    yy = _binary(y)
    s = _scores(score, yy.size)
    order = np.argsort(-s, kind="mergesort")
    s_sorted = s[order]
    y_sorted = yy[order]
    # last index of each run of equal scores: thresholds between distinct values only
    last = np.r_[np.flatnonzero(np.diff(s_sorted)), s_sorted.size - 1]
    ev = np.cumsum(y_sorted, dtype=np.int64)[last]
    ne = (last + 1) - ev
    n1, n0 = max(int(ev[-1]), 1), max(int(ne[-1]), 1)
    return Curve(thresholds=np.r_[np.inf, s_sorted[last]],
                 cum_event=np.r_[0.0, ev / n1], cum_nonevent=np.r_[0.0, ne / n0])


@dataclass(frozen=True)
class KSResult:
    statistic: float
    threshold: float  # score at which the event and non-event distributions differ most
    curve: Curve


def ks(y: ArrayLike, score: ArrayLike) -> KSResult:
    """Kolmogorov-Smirnov: max distance between the event and non-event score CDFs."""
    curve = cumulative_curve(y, score)
    gap = curve.cum_event - curve.cum_nonevent
    i = int(np.argmax(np.abs(gap)))
    return KSResult(statistic=float(abs(gap[i])), threshold=float(curve.thresholds[i]),
                    curve=curve)


def downsample(curve: Curve, max_points: int = 200) -> dict[str, list[float]]:
    """A plottable, JSON-friendly view of a curve (at most ``max_points`` points)."""
    m = curve.thresholds.size
    idx = np.unique(np.linspace(0, m - 1, min(m, max_points)).round().astype(int))
    thr = curve.thresholds[idx]
    return {"threshold": [None if not math.isfinite(t) else float(t) for t in thr],  # type: ignore[misc]
            "cum_event": [float(v) for v in curve.cum_event[idx]],
            "cum_nonevent": [float(v) for v in curve.cum_nonevent[idx]]}


# --- calibration -----------------------------------------------------------------------------
def brier(y: ArrayLike, pd_: ArrayLike) -> float:
    """Mean squared error of the PD against the 0/1 outcome."""
    yy = _binary(y)
    p = _scores(pd_, yy.size)
    return float(np.mean((p - yy) ** 2))


@dataclass(frozen=True)
class HosmerLemeshow:
    statistic: float
    dof: int
    pvalue: float
    table: pd.DataFrame  # group, n, events, expected, mean_pd, observed_rate


def hosmer_lemeshow(y: ArrayLike, pd_: ArrayLike, groups: int = 10) -> HosmerLemeshow:
    """Hosmer-Lemeshow test over ``groups`` equal-count groups of predicted PD (deciles).

    ``H = sum_g (O_g - E_g)^2 / (E_g (1 - E_g / n_g))``, chi-square with ``groups - 2`` dof.
    """
    yy = _binary(y)
    p = _scores(pd_, yy.size)
    if groups < 3:
        raise ValueError(f"groups must be >= 3; got {groups}.")
    order = np.argsort(p, kind="mergesort")
    parts = [part for part in np.array_split(order, min(groups, yy.size)) if part.size]
    n = np.array([part.size for part in parts], dtype=float)
    obs = np.array([yy[part].sum() for part in parts], dtype=float)
    exp = np.array([p[part].sum() for part in parts], dtype=float)
    denom = exp * (1.0 - exp / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(denom > 0, (obs - exp) ** 2 / denom, 0.0)
    stat = float(terms.sum())
    dof = len(parts) - 2
    table = pd.DataFrame({"group": np.arange(1, len(parts) + 1), "n": n.astype(int),
                          "events": obs.astype(int), "expected": exp, "mean_pd": exp / n,
                          "observed_rate": obs / n})
    return HosmerLemeshow(statistic=stat, dof=dof, pvalue=float(chi2.sf(stat, dof)),
                          table=table)


def binomial_test(y: ArrayLike, pd_: ArrayLike, grades: ArrayLike,
                  labels: Sequence[str] | None = None, *, alpha: float = 0.05) -> pd.DataFrame:
    """One-sided binomial test per grade: are there more defaults than the grade's mean PD says?

    ``pvalue = P(X >= observed)`` for ``X ~ Binomial(n, mean PD of the grade)`` (exact,
    ``scipy.stats.binom.sf``; fine for any n). ``rejected`` is ``pvalue < alpha`` (PD too low).
    """
    yy = _binary(y)
    p = _scores(pd_, yy.size)
    g = np.asarray(grades, dtype=object).ravel()
    if g.shape[0] != yy.size:
        raise ValueError(f"y has {yy.size} rows but grades has {g.shape[0]}.")
    order = list(labels) if labels is not None else sorted(set(g.tolist()))
    rows = []
    for label in order:
        mask = g == label
        n = int(mask.sum())
        d = int(yy[mask].sum())
        mean_pd = float(p[mask].mean()) if n else float("nan")
        pvalue = float(binom.sf(d - 1, n, mean_pd)) if n else float("nan")
        rows.append({"grade": label, "n": n, "defaults": d, "mean_pd": mean_pd,
                     "observed_rate": d / n if n else float("nan"), "pvalue": pvalue,
                     "rejected": bool(n and pvalue < alpha)})
    return pd.DataFrame(rows, columns=["grade", "n", "defaults", "mean_pd", "observed_rate",
                                       "pvalue", "rejected"])


# --- stability -------------------------------------------------------------------------------
def psi_verdict(value: float) -> str:
    """``stable`` (< 0.10), ``monitor`` (0.10-0.25) or ``shift`` (> 0.25: rebuild)."""
    if value < PSI_STABLE:
        return "stable"
    if value <= PSI_SHIFT:
        return "monitor"
    return "shift"


def _psi_from_counts(base: NDArray[np.float64], actual: NDArray[np.float64]) -> float:
    e = np.maximum(base / max(base.sum(), 1.0), _EPS)
    a = np.maximum(actual / max(actual.sum(), 1.0), _EPS)
    return float(np.sum((a - e) * np.log(a / e)))


@dataclass(frozen=True)
class PSIResult:
    value: float
    verdict: str
    edges: NDArray[np.float64]
    base_share: NDArray[np.float64]
    actual_share: NDArray[np.float64]


def psi(base: ArrayLike, actual: ArrayLike, bins: int = 10) -> PSIResult:
    """Population stability index of a score between a base and an actual sample.

    Bins are the base sample's deciles (``bins`` quantiles, duplicate edges merged; open ends).
    ``PSI = sum (a - e) ln(a / e)`` with shares floored at 1e-6.
    """
    b = np.asarray(base, dtype=float).ravel()
    a = np.asarray(actual, dtype=float).ravel()
    if b.size == 0 or a.size == 0:
        raise ValueError("PSI needs two non-empty samples.")
    if np.isnan(b).any() or np.isnan(a).any():
        raise ValueError("PSI scores contain NaN.")
    inner = np.unique(np.quantile(b, np.linspace(0, 1, bins + 1)[1:-1]))
    edges = np.r_[-np.inf, inner, np.inf]
    cb = np.bincount(np.searchsorted(inner, b, side="right"), minlength=inner.size + 1)
    ca = np.bincount(np.searchsorted(inner, a, side="right"), minlength=inner.size + 1)
    value = _psi_from_counts(cb.astype(float), ca.astype(float))
    return PSIResult(value=value, verdict=psi_verdict(value), edges=edges,
                     base_share=cb / b.size, actual_share=ca / a.size)


def csi(base_index: ArrayLike, actual_index: ArrayLike, n_bins: int) -> float:
    """Characteristic stability index of one feature from its bin indices (FeatureBins)."""
    cb = np.bincount(np.asarray(base_index, dtype=np.intp).ravel(), minlength=n_bins)
    ca = np.bincount(np.asarray(actual_index, dtype=np.intp).ravel(), minlength=n_bins)
    return _psi_from_counts(cb.astype(float), ca.astype(float))


# --- the report --------------------------------------------------------------------------------
def validation_report(model: Scorecard, X: Any, y: ArrayLike, base_X: Any = None, *,
                      bad_value: Any = None) -> dict[str, Any]:
    """Every validation metric of ``model`` on ``(X, y)`` as plain JSON-serialisable values.

    ``base_X`` (e.g. the development sample) adds PSI of the score and CSI per feature.
    ``y`` is coded as in ``model.fit`` (0/1, or labels with the model's ``bad_value``).
    """
    yy = model._encode_target(y) if bad_value is None else model._encode_target(y, bad_value)
    scored = model._score_frame(X, indices=base_X is not None)
    lp, points, idx = scored.lp, scored.points, scored.indices
    pd_ = model._pd_from_lp(lp)
    k = ks(yy, lp)
    roc = cumulative_curve(yy, lp)
    hl = hosmer_lemeshow(yy, pd_)
    grades = model.master_scale_.grade(pd_)
    bt = binomial_test(yy, pd_, grades, model.master_scale_.labels)
    a = auc(yy, lp)
    report: dict[str, Any] = {
        "n": int(yy.size), "events": int(yy.sum()), "event_rate": float(yy.mean()),
        "auc": a, "gini": 2.0 * a - 1.0, "ks": k.statistic,
        "ks_threshold_score": float(model.scaling_.score_from_log_odds(k.threshold))
        if math.isfinite(k.threshold) else None,
        "brier": brier(yy, pd_), "mean_pd": float(pd_.mean()),
        "hosmer_lemeshow": {"statistic": hl.statistic, "dof": hl.dof, "pvalue": hl.pvalue,
                            "table": _records(hl.table)},
        "binomial_by_grade": _records(bt),
        "ks_curve": downsample(k.curve), "roc_curve": downsample(roc),
        "score_distribution": _score_histogram(points, yy),
    }
    if base_X is not None:
        base = model._score_frame(base_X, indices=True)
        assert base.indices is not None and idx is not None
        p = psi(base.points, points)
        report["psi"] = p.value
        report["psi_verdict"] = p.verdict
        report["psi_table"] = {"edges": [_num(e) for e in p.edges],
                               "base_share": [float(v) for v in p.base_share],
                               "actual_share": [float(v) for v in p.actual_share]}
        csi_values = {}
        for j, name in enumerate(model.features_):
            value = csi(base.indices[:, j], idx[:, j], model.bins_[name].missing_bin + 1)
            csi_values[name] = {"csi": value, "verdict": psi_verdict(value)}
        report["csi"] = csi_values
    return report


def _score_histogram(points: NDArray[np.float64], y: NDArray[np.int8], bins: int = 30
                     ) -> dict[str, list[float]]:
    lo, hi = float(points.min()), float(points.max())
    if hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, bins + 1)
    ev, _ = np.histogram(points[y == 1], bins=edges)
    ne, _ = np.histogram(points[y == 0], bins=edges)
    return {"edges": [float(e) for e in edges], "events": [int(v) for v in ev],
            "nonevents": [int(v) for v in ne]}


def _num(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _num(v) for k, v in row.items()} for row in frame.to_dict("records")]


def to_jsonable(value: Any) -> Any:
    """Recursively turn numpy scalars/arrays and non-finite floats into JSON-safe values."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    return _num(value)
