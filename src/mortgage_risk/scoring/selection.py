"""Feature selection on the WoE matrix: IV, correlation, VIF and stepwise p-value filters.

Filters run in this order, each on the survivors of the previous one:

1. IV below ``min_iv`` (or above ``max_iv``, a sign of leakage) is dropped.
2. Correlation: features in descending IV order are kept unless ``|Pearson|`` of their WoE with
   an already kept feature exceeds ``max_corr`` (the lower-IV one goes).
3. VIF: the feature with the largest variance inflation factor above ``max_vif`` is dropped,
   and the VIFs recomputed, until none exceeds it.
4. Optional stepwise logistic regression: "forward" adds the candidate with the smallest score
   test p-value below ``p_enter`` (one matrix computation for all candidates, no refit per
   candidate) and removes any selected feature whose Wald p-value rises above ``p_remove``;
   "backward" starts from all and removes the largest Wald p-value above ``p_remove``.

Every dropped feature gets a reason in ``selection_.dropped``. The IV of each column comes
from the caller (``fit(X, y, iv=binning_process.iv_)``) or, if not given, from the WoE column
itself: its distinct values are the bins' WoE, so ``IV = sum((non-event share - event share)
* WoE)`` over its distinct values, the same number the binning reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from mortgage_risk.scoring._validation import (
    Columns,
    binary_target,
    check_float,
    check_option,
    numeric_values,
)
from mortgage_risk.scoring.logistic import fit_logistic

__all__ = ["FeatureSelector", "SelectionResult", "woe_iv"]

STEPWISE = ("none", "forward", "backward")


@dataclass
class SelectionResult:
    """Which features survived and why the others were dropped (in the order dropped)."""

    selected: list[str]
    dropped: dict[str, str] = field(default_factory=dict)
    iv: dict[str, float] = field(default_factory=dict)
    vif: dict[str, float] = field(default_factory=dict)
    pvalues: dict[str, float] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        names = list(self.iv)
        return pd.DataFrame({
            "name": names,
            "iv": [self.iv[n] for n in names],
            "selected": [n in self.selected for n in names],
            "reason": [self.dropped.get(n, "") for n in names],
        })


def woe_iv(woe: np.ndarray, y: np.ndarray) -> float:
    """IV of a WoE-coded column: its distinct values are the bins' WoE."""
    values, inverse = np.unique(woe, return_inverse=True)
    both = np.bincount(inverse * 2 + y, minlength=2 * len(values))
    ne, ev = both[0::2].astype(float), both[1::2].astype(float)
    return float(np.sum((ne / max(ne.sum(), 1) - ev / max(ev.sum(), 1)) * values))


class FeatureSelector(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Select WoE features by IV, correlation, VIF and (optionally) stepwise p-values.

    Parameters
    ----------
    min_iv : float >= 0, default 0.02
    max_iv : float > 0 or None, default None
        Features with a larger IV are dropped as suspicious (possible leakage).
    max_corr : float in (0, 1] or None, default 0.7
    max_vif : float >= 1 or None, default 5.0
    stepwise : {"none", "forward", "backward"}, default "none"
    p_enter, p_remove : float in (0, 1), default 0.05

    Attributes
    ----------
    selection_ : SelectionResult
    selected_ : list of str
    iv_ : dict[str, float]
    support_ : ndarray of bool, one per input column
    feature_names_in_ : ndarray of str
    n_features_in_ : int
    """

    def __init__(self, *, min_iv: float = 0.02, max_iv: float | None = None,
                 max_corr: float | None = 0.7, max_vif: float | None = 5.0,
                 stepwise: str = "none", p_enter: float = 0.05,
                 p_remove: float = 0.05) -> None:
        self.min_iv = min_iv
        self.max_iv = max_iv
        self.max_corr = max_corr
        self.max_vif = max_vif
        self.stepwise = stepwise
        self.p_enter = p_enter
        self.p_remove = p_remove

    def _check(self) -> None:
        check_float("min_iv", self.min_iv, 0.0, np.inf, closed="left")
        check_float("max_iv", self.max_iv, 0.0, np.inf, closed="neither", allow_none=True)
        check_float("max_corr", self.max_corr, 0.0, 1.0, closed="right", allow_none=True)
        check_float("max_vif", self.max_vif, 1.0, np.inf, closed="left", allow_none=True)
        check_option("stepwise", self.stepwise, STEPWISE)
        check_float("p_enter", self.p_enter, 0.0, 1.0, closed="neither")
        check_float("p_remove", self.p_remove, 0.0, 1.0, closed="neither")

    def fit(self, X: Any, y: Any, iv: dict[str, float] | None = None) -> FeatureSelector:
        self._check()
        cols = Columns(X)
        names = list(cols.names)
        yv = binary_target(y)
        if len(yv) != cols.n_rows:
            raise ValueError(f"X and y have different lengths: {cols.n_rows} and {len(yv)}")
        data = {n: numeric_values(cols.get(n), n) for n in names}
        for n, col in data.items():
            if not np.isfinite(col).all():
                raise ValueError(f"column {n!r} has missing or infinite values; "
                                 f"FeatureSelector expects a WoE matrix")
        yi = yv.astype(np.intp)
        if iv is None:
            ivs = {n: woe_iv(data[n], yi) for n in names}
        else:
            unknown = [n for n in names if n not in iv]
            if unknown:
                raise ValueError(f"iv has no value for column(s) {unknown}")
            ivs = {n: float(iv[n]) for n in names}
        result = SelectionResult(selected=[], iv=ivs)
        dropped = result.dropped

        keep = []
        for n in names:
            if ivs[n] < self.min_iv:
                dropped[n] = f"IV {ivs[n]:.3g} below {self.min_iv:g}"
            elif self.max_iv is not None and ivs[n] > self.max_iv:
                dropped[n] = f"IV {ivs[n]:.3g} above {self.max_iv:g} (suspicious)"
            else:
                keep.append(n)

        if (self.max_corr is not None or self.max_vif is not None) and len(keep) > 1:
            corr_all = _correlation([data[n] for n in keep])
            position = {n: i for i, n in enumerate(keep)}

            def corr_of(names: list[str]) -> np.ndarray:
                at = [position[n] for n in names]
                return corr_all[np.ix_(at, at)]

            if self.max_corr is not None:
                keep = self._correlation_filter(keep, corr_of(keep), ivs, dropped)
            if self.max_vif is not None and len(keep) > 1:
                keep = self._vif_filter(keep, corr_of(keep), dropped, result.vif)
        if self.stepwise != "none" and keep:
            matrix = np.column_stack([data[n] for n in keep])
            if self.stepwise == "backward":
                keep = self._backward(keep, matrix, yv, dropped, result.pvalues)
            else:
                keep = self._forward(keep, matrix, yv, dropped, result.pvalues)
        result.selected = keep
        self.selection_ = result
        self.selected_ = list(keep)
        self.iv_ = ivs
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = len(names)
        self.support_ = np.array([n in set(keep) for n in names], dtype=bool)
        return self

    # ------------------------------------------------------------------ filters

    def _correlation_filter(self, keep: list[str], corr: np.ndarray,
                            ivs: dict[str, float], dropped: dict[str, str]) -> list[str]:
        order = sorted(range(len(keep)), key=lambda i: -ivs[keep[i]])
        kept: list[int] = []
        assert self.max_corr is not None
        for i in order:
            if kept:
                c = np.abs(corr[i, kept])
                worst = int(np.argmax(c))
                if c[worst] > self.max_corr:
                    other = keep[kept[worst]]
                    dropped[keep[i]] = (f"correlation {corr[i, kept[worst]]:.2f} with {other} "
                                        f"(higher IV)")
                    continue
            kept.append(i)
        return [keep[i] for i in sorted(kept)]

    def _vif_filter(self, keep: list[str], corr: np.ndarray,
                    dropped: dict[str, str], vif_out: dict[str, float]) -> list[str]:
        assert self.max_vif is not None
        idx = list(range(len(keep)))
        while len(idx) > 1:
            vif = _vif(corr[np.ix_(idx, idx)])
            worst = int(np.argmax(vif))
            if vif[worst] <= self.max_vif:
                vif_out.update({keep[i]: float(v) for i, v in zip(idx, vif, strict=True)})
                break
            dropped[keep[idx[worst]]] = f"VIF {vif[worst]:.1f} above {self.max_vif:g}"
            idx.pop(worst)
        else:
            vif_out.update({keep[i]: 1.0 for i in idx})
        return [keep[i] for i in idx]

    def _backward(self, keep: list[str], X: np.ndarray, y: np.ndarray,
                  dropped: dict[str, str], pvalues: dict[str, float]) -> list[str]:
        idx = list(range(len(keep)))
        while idx:
            res = fit_logistic(X[:, idx], y)
            worst = int(np.argmax(res.pvalues))
            if res.pvalues[worst] <= self.p_remove:
                pvalues.update({keep[i]: float(p) for i, p in zip(idx, res.pvalues, strict=True)})
                break
            dropped[keep[idx[worst]]] = (f"p-value {res.pvalues[worst]:.3g} above "
                                         f"{self.p_remove:g} in backward stepwise")
            idx.pop(worst)
        return [keep[i] for i in idx]

    def _forward(self, keep: list[str], X: np.ndarray, y: np.ndarray,
                 dropped: dict[str, str], pvalues: dict[str, float]) -> list[str]:
        selected: list[int] = []
        removed: set[int] = set()
        candidates = list(range(len(keep)))
        last_p: dict[int, float] = {}
        yf = y.astype(float)
        prob = np.full(len(y), yf.mean())
        for _ in range(2 * len(keep) + 1):
            pool = [c for c in candidates if c not in selected and c not in removed]
            if not pool:
                break
            pv = _score_test_pvalues(X, yf, prob, selected, pool)
            last_p.update(zip(pool, pv, strict=True))
            best = int(np.argmin(pv))
            if pv[best] >= self.p_enter:
                break
            selected.append(pool[best])
            res = fit_logistic(X[:, selected], y)
            worst = int(np.argmax(res.pvalues))
            if res.pvalues[worst] > self.p_remove:
                gone = selected.pop(worst)
                removed.add(gone)
                dropped[keep[gone]] = (f"p-value {res.pvalues[worst]:.3g} above "
                                       f"{self.p_remove:g} in forward stepwise (removed)")
                res = fit_logistic(X[:, selected], y) if selected else res
            if selected:
                prob = 1.0 / (1.0 + np.exp(-(X[:, selected] @ res.coef + res.intercept)))
                pvalues.update({keep[i]: float(p)
                                for i, p in zip(selected, res.pvalues, strict=True)})
        for c in candidates:
            if c not in selected and keep[c] not in dropped:
                dropped[keep[c]] = (f"p-value {last_p.get(c, 1.0):.3g} above {self.p_enter:g} "
                                    f"in forward stepwise (not entered)")
        return [keep[i] for i in sorted(selected)]

    # ------------------------------------------------------------------ transform

    def transform(self, X: Any) -> Any:
        check_is_fitted(self, "selected_")
        if isinstance(X, pd.DataFrame):
            missing = [n for n in self.selected_ if n not in X.columns]
            if missing:
                raise ValueError(f"column(s) {missing} missing from X")
            return X[self.selected_]
        if hasattr(X, "select") and type(X).__module__.startswith("polars"):
            return X.select(self.selected_)
        arr = np.asarray(X)
        if arr.ndim != 2 or arr.shape[1] != self.n_features_in_:
            raise ValueError(f"X must have {self.n_features_in_} columns; got shape {arr.shape}")
        return arr[:, self.support_]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "selected_")
        return np.asarray(self.selected_, dtype=object)


def _correlation(columns: list[np.ndarray], block_rows: int = 131_072) -> np.ndarray:
    """Pearson correlation of the columns, accumulated over row blocks (no n x k copy)."""
    k, n = len(columns), len(columns[0])
    sums = np.zeros(k)
    gram = np.zeros((k, k))
    buf = np.empty((min(block_rows, n), k))
    for start in range(0, n, block_rows):
        stop = min(n, start + block_rows)
        block = buf[: stop - start]
        for j, col in enumerate(columns):
            block[:, j] = col[start:stop]
        sums += block.sum(axis=0)
        gram += block.T @ block
    mean = sums / n
    cov = gram - n * np.outer(mean, mean)
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / np.outer(sd, sd)
    corr[~np.isfinite(corr)] = 0.0
    np.fill_diagonal(corr, 1.0)
    return np.asarray(corr)


def _vif(corr: np.ndarray) -> np.ndarray:
    try:
        inv = np.linalg.inv(corr)
        if not np.isfinite(inv).all():
            raise np.linalg.LinAlgError
        vif = np.diag(inv)
    except np.linalg.LinAlgError:
        vif = np.diag(np.linalg.pinv(corr))
    # a (near) singular matrix makes the inverse meaningless: treat as perfectly collinear
    vif = np.where((vif < 1.0 - 1e-9) | ~np.isfinite(vif), np.inf, vif)
    return np.asarray(vif)


def _score_test_pvalues(X: np.ndarray, y: np.ndarray, prob: np.ndarray, selected: list[int],
                        pool: list[int]) -> np.ndarray:
    """Rao score test p-values for adding each pool column to the current model."""
    w = prob * (1.0 - prob)
    resid = y - prob
    Xc = X[:, pool]
    base = np.column_stack([np.ones(len(y)), X[:, selected]]) if selected else np.ones(
        (len(y), 1))
    wb = base * w[:, None]
    info_ss = base.T @ wb
    cross = Xc.T @ wb  # (m, s+1)
    diag = np.einsum("ij,ij->j", Xc, Xc * w[:, None])
    try:
        solved = np.linalg.solve(info_ss, cross.T)
    except np.linalg.LinAlgError:
        solved = np.linalg.pinv(info_ss) @ cross.T
    var = diag - np.einsum("ij,ji->i", cross, solved)
    u = Xc.T @ resid
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = np.where(var > 1e-12, u * u / var, 0.0)
    return np.asarray(stats.chi2.sf(chi2, 1))
