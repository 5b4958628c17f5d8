"""The scorecard: binning -> selection -> logistic regression on WoE -> points, grades, PD.

How a row is scored
-------------------
Every model feature maps its value to a bin index (``FeatureBins`` conventions); the bin index
picks two numbers from per-feature arrays built at fit time:

* ``points_[f][bin] = round(-(coef_f * woe_f[bin] + b0 / k) * factor + offset / k)``
* ``contributions_[f][bin] = coef_f * woe_f[bin]``

where ``b0 = intercept_ + calibration shift``, ``k`` the number of features and ``factor`` /
``offset`` the PDO scaling (:mod:`mortgage_risk.scoring.scaling`). The **score** is the sum of
the (rounded) points; the **linear predictor** is ``b0 + sum of contributions`` (event
log-odds) and the **PD** is ``1 / (1 + exp(-lp))``. So the PD comes from the unrounded linear
predictor, and the score is for display, reason codes and cut-offs: without rounding,
``score == offset - factor * lp`` exactly (up to float addition), and with rounding each
feature is off by at most half a point. ``Scaling.pd_from_score(score)`` gives the PD implied by
a displayed score. The SQL export (:mod:`mortgage_risk.scoring.sql`) reproduces both numbers.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pandas import DataFrame
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from mortgage_risk.scoring._validation import (
    Columns,
    binary_target,
    check_float,
    check_int,
    is_numeric_column,
)
from mortgage_risk.scoring.binning import BinningProcess, _bin_indices
from mortgage_risk.scoring.bins import FeatureBins
from mortgage_risk.scoring.calibration import Calibration, calibrate_intercept
from mortgage_risk.scoring.logistic import LogitResult, fit_logistic
from mortgage_risk.scoring.master_scale import MasterScale
from mortgage_risk.scoring.scaling import Scaling, expit
from mortgage_risk.scoring.selection import FeatureSelector

__all__ = ["Scorecard"]


@dataclass(frozen=True)
class ScoredRows:
    """The per-row results of one pass over X (internal; also used by the metrics)."""

    points: NDArray[Any]  # int64 with rounding, else float64
    lp: NDArray[np.float64]
    indices: NDArray[np.intp] | None  # (n, k) bin indices when asked for


class Scorecard(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A logistic-regression PD scorecard with PDO points, reason codes and a master scale.

    Parameters
    ----------
    binning_process : BinningProcess or None, default None
        Cloned and fitted on ``(X, y)``; None uses ``BinningProcess()``.
    selector : FeatureSelector, "auto" or None, default "auto"
        Cloned and fitted on the binned features; "auto" uses ``FeatureSelector()`` (IV,
        correlation and VIF filters); None keeps every binned feature (features whose WoE is
        constant are always dropped).
    l2 : float >= 0, default 0
        Ridge penalty of the logistic regression (intercept not penalised).
    base_score, base_odds, pdo : default 600, 50, 20
        ``base_score`` points at good:bad odds ``base_odds``:1; ``pdo`` points double the odds.
    rounding : bool, default True
        Integer points per bin (and integer scores); False keeps exact points.
    n_reason_codes : int >= 1, default 3
    target_pd : float in (0, 1) or None
        Long-run default rate: the intercept is shifted so the mean PD on the development
        sample equals it (the points move with it). None: no calibration.
    sign_check : bool, default True
        Drop features with a positive WoE coefficient (wrong sign), one at a time, refitting.
    master_scale : MasterScale or None
        None uses the default 10-grade scale.
    bad_value : label or None
        The target label of the event when the target is not 0/1.
    max_iter, tol : Newton iterations and tolerance of the logistic fit.

    Attributes
    ----------
    classes_ : ndarray, ``[good label, bad label]``; ``predict_proba[:, 1]`` is the PD.
    feature_names_in_, n_features_in_ : the columns of X seen in ``fit``.
    binning_process_, selector_ : the fitted components (None on a model loaded from JSON).
    bins_ : dict[str, FeatureBins] of every binned feature; ``iv_`` their IVs.
    features_ : list of the model's features, in scoring order.
    coef_ : ndarray (k,), ``intercept_`` : float (before calibration), ``logit_`` : LogitResult.
    calibration_ : Calibration or None.
    scaling_ : Scaling, ``master_scale_`` : MasterScale.
    points_ / contributions_ : dict feature -> per-bin points / per-bin ``coef * woe``.
    dropped_ : dict feature -> the reason it is not in the model.
    training_ : dict summary of the development sample (rows, bad rate, AUC, Gini, KS).
    """

    def __init__(self, binning_process: Any = None, selector: Any = "auto", *, l2: float = 0.0,
                 base_score: float = 600.0, base_odds: float = 50.0, pdo: float = 20.0,
                 rounding: bool = True, n_reason_codes: int = 3,
                 target_pd: float | None = None, sign_check: bool = True,
                 master_scale: MasterScale | None = None, bad_value: Any = None,
                 max_iter: int = 50, tol: float = 1e-8) -> None:
        self.binning_process = binning_process
        self.selector = selector
        self.l2 = l2
        self.base_score = base_score
        self.base_odds = base_odds
        self.pdo = pdo
        self.rounding = rounding
        self.n_reason_codes = n_reason_codes
        self.target_pd = target_pd
        self.sign_check = sign_check
        self.master_scale = master_scale
        self.bad_value = bad_value
        self.max_iter = max_iter
        self.tol = tol

    # ------------------------------------------------------------------ sklearn plumbing
    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

    def _check_params(self) -> None:
        check_float("l2", self.l2, 0.0, math.inf, closed="left")
        check_float("base_score", self.base_score, -math.inf, math.inf, closed="neither")
        check_float("base_odds", self.base_odds, 0.0, math.inf, closed="neither")
        check_float("pdo", self.pdo, 0.0, math.inf, closed="neither")
        check_int("n_reason_codes", self.n_reason_codes, 1)
        check_float("target_pd", self.target_pd, 0.0, 1.0, closed="neither", allow_none=True)
        check_int("max_iter", self.max_iter, 1)
        check_float("tol", self.tol, 0.0, math.inf, closed="neither")
        for name in ("rounding", "sign_check"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise ValueError(f"{name} must be True or False; got {getattr(self, name)!r}")
        if self.master_scale is not None and not isinstance(self.master_scale, MasterScale):
            raise ValueError("master_scale must be a MasterScale or None; got "
                             f"{type(self.master_scale).__name__}")
        for name in ("binning_process", "selector"):
            value = getattr(self, name)
            if name == "selector" and value == "auto":
                continue
            if value is not None and not hasattr(value, "fit"):
                raise TypeError(f"{name} must be an estimator with a fit method or None; got "
                                f"{type(value).__name__}")

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any) -> Scorecard:
        """Bin, select, fit the logistic regression on WoE (with the sign check), calibrate."""
        self._check_params()
        cols = Columns(X)
        if cols.n_rows == 0:
            raise ValueError("X has no rows")
        yv = binary_target(y, self.bad_value)
        if len(yv) != cols.n_rows:
            raise ValueError(f"X and y have different lengths: {cols.n_rows} and {len(yv)}")
        self.classes_ = self._classes(y, yv)
        self.feature_names_in_ = np.asarray(cols.names, dtype=object)
        self.n_features_in_ = len(cols.names)

        bp = clone(self.binning_process) if self.binning_process is not None \
            else BinningProcess()
        bp.fit(X, yv)
        self.binning_process_ = bp
        self.bins_: dict[str, FeatureBins] = dict(bp.bins_)
        self.iv_ = {name: float(fb.iv) for name, fb in self.bins_.items()}
        dropped: dict[str, str] = {}
        numeric = {name: is_numeric_column(cols.get(name)) for name in self.bins_}

        candidates = []
        for name, fb in self.bins_.items():
            populated = (np.asarray(fb.event) + np.asarray(fb.nonevent)) > 0
            if np.unique(np.asarray(fb.woe)[populated]).size < 2:
                dropped[name] = "constant WoE: a single populated bin"
            else:
                candidates.append(name)

        index = {name: _bin_indices(self.bins_[name], cols.get(name), numeric[name])
                 for name in candidates}
        self.selector_: Any = None
        if self.selector is not None and candidates:
            woe_frame = {name: np.asarray(self.bins_[name].woe)[index[name]]
                         for name in candidates}
            selected, reasons = self._select(woe_frame, yv)
            del woe_frame
            dropped.update(reasons)
            candidates = [name for name in candidates if name in selected]
        if not candidates:
            raise ValueError("no feature left to model; dropped: "
                             + "; ".join(f"{k}: {v}" for k, v in dropped.items()))

        design = np.empty((cols.n_rows, len(candidates)), dtype=np.float64, order="F")
        for j, name in enumerate(candidates):
            np.take(np.asarray(self.bins_[name].woe, dtype=float), index[name],
                    out=design[:, j])
        del index
        active = list(range(len(candidates)))
        while True:
            X_fit = design if len(active) == design.shape[1] else design[:, active]
            result = fit_logistic(X_fit, yv, l2=float(self.l2), max_iter=self.max_iter,
                                  tol=self.tol)
            wrong = [(float(c), pos) for pos, c in enumerate(result.coef) if c > 0]
            if not (self.sign_check and wrong):
                break
            coef, pos = max(wrong)
            name = candidates[active[pos]]
            dropped[name] = (f"sign check: WoE coefficient {coef:+.4g} is positive "
                             "(must be negative: higher WoE means lower risk)")
            del active[pos]
            if not active:
                raise ValueError("no feature left after the sign check; dropped: "
                                 + "; ".join(f"{k}: {v}" for k, v in dropped.items()))
        if not result.converged:
            warnings.warn(f"logistic regression did not converge in {result.n_iter} "
                          "iterations (separation?)", ConvergenceWarning, stacklevel=2)

        self.features_ = [candidates[j] for j in active]
        self.input_numeric_ = {name: bool(numeric[name]) for name in self.features_}
        self.logit_: LogitResult = result
        self.coef_ = np.asarray(result.coef, dtype=float)
        self.intercept_ = float(result.intercept)
        self.dropped_ = dropped
        self.scaling_ = Scaling(float(self.base_score), float(self.base_odds), float(self.pdo))
        self.master_scale_ = self.master_scale if self.master_scale is not None \
            else MasterScale()

        lp = X_fit @ self.coef_ + self.intercept_
        del design, X_fit
        self.calibration_: Calibration | None = (
            None if self.target_pd is None else calibrate_intercept(lp, float(self.target_pd)))
        self._build_tables()
        from mortgage_risk.scoring.metrics import auc, ks

        a = auc(yv, lp)
        self.training_ = {
            "n_rows": int(cols.n_rows), "n_events": int(yv.sum()),
            "event_rate": float(yv.mean()), "auc": a, "gini": 2.0 * a - 1.0,
            "ks": ks(yv, lp).statistic, "n_features": len(self.features_),
            "converged": bool(result.converged), "n_iter": int(result.n_iter),
            "loglik": float(result.loglik),
        }
        return self

    def _classes(self, y: Any, yv: NDArray[np.int8]) -> NDArray[Any]:
        if self.bad_value is None:
            return np.array([0, 1])
        raw = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
        raw = np.asarray(raw).ravel()
        good = raw[np.argmin(yv)]  # yv has both classes (checked by binary_target)
        return np.array([good, self.bad_value], dtype=object)

    def _auto_selector(self) -> bool:
        return isinstance(self.selector, str) and self.selector == "auto"

    def _select(self, woe_frame: dict[str, NDArray[np.float64]], y: NDArray[np.int8]
                ) -> tuple[set[str], dict[str, str]]:
        """Fit a clone of ``selector`` (``fit(X_woe, y, iv=...)``); kept names, drop reasons."""
        sel = FeatureSelector() if self._auto_selector() else clone(self.selector)
        names = list(woe_frame)
        sel.fit(woe_frame, y, iv={name: self.iv_[name] for name in names})
        self.selector_ = sel
        selected = {str(s) for s in sel.selected_}
        result = getattr(sel, "selection_", None)
        reasons = dict(getattr(result, "dropped", None) or {})
        out = {str(k): str(v) for k, v in reasons.items() if str(k) not in selected}
        for name in names:
            if name not in selected and name not in out:
                out[name] = "dropped by the feature selector"
        return selected, out

    @property
    def _b0(self) -> float:
        """The intercept used for points and PD: fitted intercept + calibration shift."""
        shift = 0.0 if self.calibration_ is None else self.calibration_.shift
        return self.intercept_ + shift

    def _build_tables(self) -> None:
        s, k, b0 = self.scaling_, len(self.features_), self._b0
        self.points_: dict[str, NDArray[Any]] = {}
        self.contributions_: dict[str, NDArray[np.float64]] = {}
        for coef, name in zip(self.coef_, self.features_, strict=True):
            woe = np.asarray(self.bins_[name].woe, dtype=float)
            contrib = coef * woe
            raw = -(contrib + b0 / k) * s.factor + s.offset / k
            self.points_[name] = np.round(raw).astype(np.int64) if self.rounding else raw
            self.contributions_[name] = contrib

    # ------------------------------------------------------------------ scoring
    def _encode_target(self, y: Any, bad_value: Any = None) -> NDArray[np.int8]:
        check_is_fitted(self, "features_")
        return binary_target(y, bad_value if bad_value is not None else self.bad_value)

    def _score_frame(self, X: Any, *, indices: bool = False) -> ScoredRows:
        """Points, linear predictor (and bin indices) of every row; the hot path."""
        check_is_fitted(self, "features_")
        cols = Columns(X)
        for name in self.features_:
            cols.get(name)  # raises naming the first missing column before any work
        n = cols.n_rows
        points = np.zeros(n, dtype=np.int64 if self.rounding else np.float64)
        lp = np.full(n, self._b0)
        idx_all = np.empty((n, len(self.features_)), dtype=np.intp) if indices else None
        for j, name in enumerate(self.features_):
            idx = _bin_indices(self.bins_[name], cols.get(name), self.input_numeric_[name])
            points += self.points_[name][idx]
            lp += self.contributions_[name][idx]
            if idx_all is not None:
                idx_all[:, j] = idx
        return ScoredRows(points=points, lp=lp, indices=idx_all)

    def _pd_from_lp(self, lp: NDArray[np.float64]) -> NDArray[np.float64]:
        return expit(lp)

    def decision_function(self, X: Any) -> NDArray[np.float64]:
        """The calibrated event log-odds ``ln(PD / (1 - PD))`` (positive means classes_[1])."""
        return self._score_frame(X).lp

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """``[[1 - PD, PD], ...]`` with PD the calibrated probability of the event."""
        p = expit(self.decision_function(X))
        return np.column_stack((1.0 - p, p))

    def predict(self, X: Any) -> NDArray[Any]:
        """classes_[1] (bad) where PD > 0.5."""
        return np.asarray(self.classes_)[(self.decision_function(X) > 0).astype(np.intp)]

    def pd(self, X: Any) -> NDArray[np.float64]:
        """The calibrated PD of every row."""
        return expit(self.decision_function(X))

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> Any:
        """The points score of every row (higher = better; int with ``rounding``).

        Called with ``y`` (scikit-learn's scoring hook, e.g. in ``GridSearchCV``) it returns
        the AUC instead, so model selection ranks by discrimination.
        """
        if y is None:
            return self._score_frame(X).points
        from mortgage_risk.scoring.metrics import auc

        if sample_weight is not None:
            raise ValueError("Scorecard.score(X, y) does not support sample_weight")
        return auc(self._encode_target(y), self.decision_function(X))

    def grade(self, X: Any) -> NDArray[np.object_]:
        """The master-scale grade of every row (from its calibrated PD)."""
        return self.master_scale_.grade(self.pd(X))

    def transform(self, X: Any, metric: str = "woe") -> NDArray[Any]:
        """Per-feature matrix (n, k) of the model features: ``woe``, ``indices`` or ``points``."""
        if metric not in ("woe", "indices", "points"):
            raise ValueError(f"metric must be one of 'woe', 'indices', 'points'; got {metric!r}")
        idx = self._score_frame(X, indices=True).indices
        assert idx is not None
        if metric == "indices":
            return idx
        out = np.empty(idx.shape, dtype=float if metric == "woe" or not self.rounding
                       else np.int64)
        for j, name in enumerate(self.features_):
            table = (np.asarray(self.bins_[name].woe, dtype=float) if metric == "woe"
                     else self.points_[name])
            out[:, j] = table[idx[:, j]]
        return out

    def get_feature_names_out(self, input_features: Any = None) -> NDArray[np.object_]:
        check_is_fitted(self, "features_")
        return np.asarray(self.features_, dtype=object)

    # ------------------------------------------------------------------ explanation
    def max_points(self) -> dict[str, float]:
        """Maximum attainable points per feature (over bins populated in development)."""
        check_is_fitted(self, "features_")
        out = {}
        for name in self.features_:
            fb = self.bins_[name]
            populated = (np.asarray(fb.event) + np.asarray(fb.nonevent)) > 0
            pts = self.points_[name]
            out[name] = float(pts[populated].max() if populated.any() else pts.max())
        return out

    def reason_codes(self, X: Any, n: int | None = None) -> DataFrame:
        """The ``n`` top adverse contributions of every row.

        A feature's shortfall is its maximum attainable points minus the row's points; the
        reasons are the features with the largest shortfalls, largest first (ties by model
        feature order). A zero shortfall is no adverse contribution: its reason is None.
        Columns ``reason_i``, ``reason_i_bin`` (bin label), ``reason_i_shortfall``.
        """
        n = self.n_reason_codes if n is None else n
        check_int("n", n, 1)
        scored = self._score_frame(X, indices=True)
        idx = scored.indices
        assert idx is not None
        k = len(self.features_)
        n = min(n, k)
        best = self.max_points()
        short = np.empty(idx.shape, dtype=float)
        labels: list[str] = []
        offsets = np.zeros(k, dtype=np.intp)
        for j, name in enumerate(self.features_):
            short[:, j] = best[name] - self.points_[name][idx[:, j]]
            offsets[j] = len(labels)
            labels.extend(self.bins_[name].labels())
        np.clip(short, 0.0, None, out=short)
        order = np.argsort(-short, axis=1, kind="stable")[:, :n]
        rows = np.arange(idx.shape[0])
        names = np.asarray(self.features_, dtype=object)
        flat = np.asarray(labels, dtype=object)
        out: dict[str, Any] = {}
        for r in range(n):
            col = order[:, r]
            amount = short[rows, col]
            adverse = amount > 0
            reason = names[col].copy()
            reason[~adverse] = None
            label = flat[offsets[col] + idx[rows, col]]
            label[~adverse] = None
            out[f"reason_{r + 1}"] = reason
            out[f"reason_{r + 1}_bin"] = label
            out[f"reason_{r + 1}_shortfall"] = amount
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(out, index=index)

    def points_table(self) -> DataFrame:
        """One row per (feature, bin): label, counts, event rate, WoE, coefficient, points."""
        check_is_fitted(self, "features_")
        frames = []
        for coef, name in zip(self.coef_, self.features_, strict=True):
            fb = self.bins_[name]
            ev = np.asarray(fb.event, dtype=np.int64)
            ne = np.asarray(fb.nonevent, dtype=np.int64)
            count = ev + ne
            with np.errstate(divide="ignore", invalid="ignore"):
                rate = np.where(count > 0, ev / np.maximum(count, 1), np.nan)
            frames.append(pd.DataFrame({
                "feature": name, "bin": np.arange(len(fb.woe)), "label": fb.labels(),
                "count": count, "event": ev, "event_rate": rate,
                "woe": np.asarray(fb.woe, dtype=float), "coefficient": float(coef),
                "points": self.points_[name],
            }))
        return pd.concat(frames, ignore_index=True)

    def coefficients(self) -> DataFrame:
        """Coefficient table: intercept first, then features (estimate, SE, z, p, IV)."""
        check_is_fitted(self, "features_")
        r = self.logit_
        return pd.DataFrame({
            "feature": ["(intercept)", *self.features_],
            "coefficient": [self.intercept_, *self.coef_],
            "se": [r.intercept_se, *r.se], "z": [r.intercept_z, *r.z],
            "pvalue": [r.intercept_pvalue, *r.pvalues],
            "iv": [np.nan, *(self.iv_[name] for name in self.features_)],
        })

    # ------------------------------------------------------------------ restore (artifact)
    @classmethod
    def _restore(cls, params: Mapping[str, Any], state: Mapping[str, Any]) -> Scorecard:
        """Rebuild a fitted scorecard from plain data (see :mod:`.artifact`)."""
        model = cls(**params)
        model.classes_ = np.asarray(state["classes"], dtype=object if params.get(
            "bad_value") is not None else np.int64)
        model.feature_names_in_ = np.asarray(state["feature_names_in"], dtype=object)
        model.n_features_in_ = len(model.feature_names_in_)
        model.binning_process_ = None
        model.selector_ = None
        model.bins_ = {name: FeatureBins.from_dict(d) for name, d in state["bins"].items()}
        model.iv_ = {name: float(v) for name, v in state["iv"].items()}
        model.features_ = list(state["features"])
        model.input_numeric_ = {k: bool(v) for k, v in state["input_numeric"].items()}
        model.coef_ = np.asarray(state["coef"], dtype=float)
        model.intercept_ = float(state["intercept"])
        model.logit_ = LogitResult(
            coef=model.coef_, intercept=model.intercept_,
            se=_floats(state["se"]), z=_floats(state["z"]), pvalues=_floats(state["pvalues"]),
            converged=bool(state["converged"]), n_iter=int(state["n_iter"]),
            loglik=float(state["loglik"]), intercept_se=_float(state["intercept_se"]),
            intercept_z=_float(state["intercept_z"]),
            intercept_pvalue=_float(state["intercept_pvalue"]))
        model.calibration_ = (None if state["calibration"] is None
                              else Calibration.from_dict(state["calibration"]))
        model.scaling_ = Scaling.from_dict(state["scaling"])
        model.master_scale_ = MasterScale.from_dict(state["master_scale"])
        model.dropped_ = dict(state["dropped"])
        model.training_ = dict(state["training"])
        model._build_tables()
        return model


def _float(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _floats(values: Any) -> NDArray[np.float64]:
    return np.asarray([_float(v) for v in values], dtype=float)
