"""Scorecard: PDO scaling, points, reason codes, master scale, calibration, sklearn contract."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

from mortgage_risk.scoring import (
    BinningProcess,
    FeatureSelector,
    MasterScale,
    Scaling,
    Scorecard,
    calibrate_intercept,
)


def make_applications(n: int = 8000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Mortgage-like rows with missing values, a special code (-1), a quoted category and a
    column name that needs quoting; logistic ground truth."""
    rng = np.random.default_rng(seed)
    ltv = rng.uniform(0.2, 1.0, n)
    income = rng.lognormal(10.0, 0.5, n)
    age = rng.integers(21, 70, n).astype(float)
    region = rng.choice(np.array(["north", "south", "east", "o'west"], dtype=object), n,
                        p=[0.4, 0.3, 0.2, 0.1])
    noise = rng.normal(size=n)
    effect = {"north": 0.0, "south": 0.4, "east": -0.3, "o'west": 0.8}
    lp = (-2.8 + 3.0 * (ltv - 0.6) - 0.9 * (np.log(income) - 10.0) - 0.02 * (age - 45.0)
          + np.array([effect[r] for r in region]))
    y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-lp))).astype(int)
    ltv[rng.uniform(size=n) < 0.03] = np.nan
    income[rng.uniform(size=n) < 0.02] = -1.0
    region[rng.uniform(size=n) < 0.02] = None
    X = pd.DataFrame({"ltv ratio": ltv, "income": income, "age": age, "region": region,
                      "noise": noise})
    return X, y


def binning() -> BinningProcess:
    return BinningProcess(special_codes=[-1.0])


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    return make_applications()


@pytest.fixture(scope="module")
def model(data: tuple[pd.DataFrame, np.ndarray]) -> Scorecard:
    X, y = data
    return Scorecard(binning()).fit(X, y)


# --------------------------------------------------------------------------- scaling
def test_pdo_worked_example_is_exact() -> None:
    s = Scaling()
    assert s.factor == 20 / math.log(2)
    assert s.offset == 600 - s.factor * math.log(50)
    assert s.score_from_odds(50.0) == pytest.approx(600.0, abs=1e-12)
    assert s.score_from_odds(100.0) == pytest.approx(620.0, abs=1e-12)
    assert s.score_from_odds(25.0) == pytest.approx(580.0, abs=1e-12)
    assert s.odds_from_score(620.0) == pytest.approx(100.0, rel=1e-12)
    assert s.pd_from_score(600.0) == pytest.approx(1 / 51, rel=1e-12)
    assert s.score_from_pd(1 / 51) == pytest.approx(600.0, abs=1e-9)
    assert s.score_from_log_odds(math.log(1 / 50)) == pytest.approx(600.0, abs=1e-12)
    assert Scaling.from_dict(s.to_dict()) == s
    with pytest.raises(ValueError, match="pdo"):
        Scaling(pdo=0)


def test_points_follow_the_formula(model: Scorecard) -> None:
    s, k = model.scaling_, len(model.features_)
    b0 = model.intercept_
    for coef, name in zip(model.coef_, model.features_, strict=True):
        woe = np.asarray(model.bins_[name].woe)
        expected = np.round(-(coef * woe + b0 / k) * s.factor + s.offset / k)
        np.testing.assert_array_equal(model.points_[name], expected)
    assert (model.coef_ < 0).all()


def test_points_table_sums_reproduce_scores(model: Scorecard,
                                            data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, _ = data
    table = model.points_table()
    assert list(table.columns[:4]) == ["feature", "bin", "label", "count"]
    lookup = {(f, b): p for f, b, p in zip(table.feature, table.bin, table.points, strict=True)}
    idx = model.transform(X, metric="indices")
    by_hand = np.array([sum(lookup[(f, int(i))] for f, i in zip(model.features_, row,
                                                                 strict=True))
                        for row in idx[:500]])
    score = model.score(X)
    assert score.dtype == np.int64
    np.testing.assert_array_equal(score[:500], by_hand)
    np.testing.assert_array_equal(score, model.transform(X, metric="points").sum(axis=1))


def test_unrounded_score_is_the_scaled_linear_predictor(data: tuple[pd.DataFrame, np.ndarray]
                                                        ) -> None:
    X, y = data
    exact = Scorecard(binning(), rounding=False).fit(X, y)
    lp = exact.decision_function(X)
    np.testing.assert_allclose(exact.score(X), exact.scaling_.score_from_log_odds(lp),
                               atol=1e-9)
    rounded = Scorecard(binning()).fit(X, y)
    gap = np.abs(rounded.score(X) - rounded.scaling_.score_from_log_odds(lp))
    assert gap.max() <= 0.5 * len(rounded.features_)


def test_pd_is_from_the_linear_predictor(model: Scorecard,
                                         data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, _ = data
    lp = model.decision_function(X)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-lp)), rtol=1e-14)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.pd(X), proba[:, 1])
    # PD implied by the displayed score is close to the model PD (rounding only)
    implied = model.scaling_.pd_from_score(model.score(X))
    assert np.abs(np.log(implied) - np.log(proba[:, 1])).max() < 3 * math.log(2) / 20 * 2


# --------------------------------------------------------------------------- reason codes
def test_reason_codes_are_the_largest_shortfalls(model: Scorecard,
                                                 data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, _ = data
    rc = model.reason_codes(X.head(300))
    assert len(rc) == 300 and "reason_3" in rc.columns
    best = model.max_points()
    pts = model.transform(X.head(300), metric="points")
    idx = model.transform(X.head(300), metric="indices")
    for i in range(300):
        short = np.array([best[f] - pts[i, j] for j, f in enumerate(model.features_)])
        short = np.clip(short, 0, None)
        order = np.argsort(-short, kind="stable")[:3]
        for r, j in enumerate(order, start=1):
            assert rc.loc[i, f"reason_{r}_shortfall"] == short[j]
            if short[j] > 0:
                name = model.features_[j]
                assert rc.loc[i, f"reason_{r}"] == name
                assert rc.loc[i, f"reason_{r}_bin"] == model.bins_[name].labels()[idx[i, j]]
            else:
                assert pd.isna(rc.loc[i, f"reason_{r}"])
        shortfalls = [rc.loc[i, f"reason_{r}_shortfall"] for r in (1, 2, 3)]
        assert shortfalls == sorted(shortfalls, reverse=True)
    assert list(model.reason_codes(X.head(2), n=1).columns) == [
        "reason_1", "reason_1_bin", "reason_1_shortfall"]


# --------------------------------------------------------------------------- master scale
def test_master_scale_is_monotone_and_covers_unit_interval() -> None:
    ms = MasterScale()
    assert ms.n_grades == 10 and ms.labels[0] == "A1" and ms.labels[-1] == "E"
    assert ms.upper_bounds[0] == pytest.approx(0.001) and ms.upper_bounds[-1] == 1.0
    grid = np.r_[0.0, np.geomspace(1e-9, 1.0, 5000)]
    g = ms.grade_index(grid)
    assert (np.diff(g) >= 0).all() and g[0] == 0 and g[-1] == 9
    assert set(g) == set(range(10))
    for i, (lo, hi) in enumerate(zip(ms.lower_bounds, ms.upper_bounds, strict=True)):
        assert ms.grade_index(hi) == i  # upper bound inclusive
        assert ms.grade_index(np.nextafter(lo, 1.0)) == i  # lower bound exclusive
    central = ms.central_pd()
    assert all(lo < c <= hi for lo, c, hi in zip(ms.lower_bounds, central, ms.upper_bounds,
                                                  strict=True))
    frame = ms.frame()
    assert list(frame.columns) == ["grade", "pd_lower", "pd_upper", "pd_central"]
    assert MasterScale.from_dict(ms.to_dict()) == ms
    with pytest.raises(ValueError, match="increase"):
        MasterScale((0.1, 0.05, 1.0), ("a", "b", "c"))
    with pytest.raises(ValueError, match="last upper bound"):
        MasterScale((0.1, 0.5), ("a", "b"))
    with pytest.raises(ValueError, match="NaN"):
        ms.grade([np.nan])


def test_grades_of_the_model(model: Scorecard, data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, _ = data
    grades = model.grade(X)
    assert set(grades) <= set(model.master_scale_.labels)
    np.testing.assert_array_equal(grades, model.master_scale_.grade(model.pd(X)))


# --------------------------------------------------------------------------- calibration
def test_calibration_hits_the_long_run_rate(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = data
    plain = Scorecard(binning()).fit(X, y)
    cal = Scorecard(binning(), target_pd=0.02).fit(X, y)
    assert cal.pd(X).mean() == pytest.approx(0.02, rel=1e-9)
    assert cal.calibration_ is not None and cal.calibration_.shift < 0
    assert cal.calibration_.mean_pd_before == pytest.approx(plain.pd(X).mean(), rel=1e-12)
    assert roc_auc_score(y, cal.pd(X)) == pytest.approx(roc_auc_score(y, plain.pd(X)), abs=1e-12)
    assert cal.score(X).mean() > plain.score(X).mean()  # lower PD, higher score


def test_calibrate_intercept_directly() -> None:
    lp = np.random.default_rng(0).normal(-3, 1, 10_000)
    c = calibrate_intercept(lp, 0.10)
    assert np.mean(1 / (1 + np.exp(-(lp + c.shift)))) == pytest.approx(0.10, rel=1e-10)
    with pytest.raises(ValueError, match="target_pd"):
        calibrate_intercept(lp, 1.5)


# --------------------------------------------------------------------------- sign check
class FlippedBinning(BaseEstimator):  # type: ignore[misc]
    """A BinningProcess whose WoE of one feature is negated (so its coefficient is positive)."""

    def __init__(self, flip: str = "age") -> None:
        self.flip = flip

    def fit(self, X: Any, y: Any) -> FlippedBinning:
        bp = binning().fit(X, y)
        self.bins_ = dict(bp.bins_)
        fb = self.bins_[self.flip]
        self.bins_[self.flip] = dataclasses.replace(fb, woe=tuple(-w for w in fb.woe))
        self.iv_ = {k: v.iv for k, v in self.bins_.items()}
        return self


def test_sign_check_drops_wrong_sign_features(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = data
    sc = Scorecard(FlippedBinning("age"), selector=None).fit(X, y)
    assert "age" not in sc.features_
    assert sc.dropped_["age"].startswith("sign check")
    assert (sc.coef_ < 0).all()
    kept = Scorecard(FlippedBinning("age"), selector=None, sign_check=False).fit(X, y)
    assert "age" in kept.features_
    assert kept.coef_[kept.features_.index("age")] > 0


def test_selector_reasons_are_recorded(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = data
    sc = Scorecard(binning(), FeatureSelector(min_iv=0.02)).fit(X, y)
    assert "noise" not in sc.features_
    assert "IV" in sc.dropped_["noise"]
    assert sc.selector_ is not None and sc.selector is not sc.selector_


def test_coefficients_table(model: Scorecard) -> None:
    table = model.coefficients()
    assert table.feature.iloc[0] == "(intercept)"
    assert list(table.feature.iloc[1:]) == model.features_
    assert (table.se.iloc[1:] > 0).all() and (table.pvalue.between(0, 1)).all()


# --------------------------------------------------------------------------- sklearn contract
def test_sklearn_clone_params_and_not_fitted(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, _ = data
    sc = Scorecard(binning(), l2=0.5, pdo=40, target_pd=0.03)
    twin = clone(sc)
    assert twin.get_params()["pdo"] == 40 and twin.get_params()["binning_process__special_codes"]
    assert twin.binning_process is not sc.binning_process
    with pytest.raises(NotFittedError):
        sc.predict_proba(X)
    sc.set_params(binning_process__max_n_bins=4)
    assert sc.binning_process.max_n_bins == 4
    assert not hasattr(Scorecard(), "features_")


def test_pipeline_and_default_binning(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = data
    pipe = Pipeline([("sc", Scorecard())]).fit(X, y)
    proba = pipe.predict_proba(X)
    assert proba.shape == (len(X), 2)
    assert roc_auc_score(y, proba[:, 1]) > 0.7
    np.testing.assert_array_equal(pipe.predict(X), (proba[:, 1] > 0.5).astype(int))
    assert pipe.score(X, y) == pytest.approx(roc_auc_score(y, proba[:, 1]))


def test_polars_input_scores_like_pandas(model: Scorecard,
                                         data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = data
    frame = pl.from_pandas(X)
    np.testing.assert_array_equal(model.score(frame), model.score(X))
    np.testing.assert_allclose(model.predict_proba(frame), model.predict_proba(X), rtol=0,
                               atol=0)
    fitted = Scorecard(binning()).fit(frame, pl.Series("y", y))
    np.testing.assert_array_equal(fitted.score(X), model.score(X))


def test_labels_with_bad_value(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = data
    labels = np.where(y == 1, "default", "performing")
    sc = Scorecard(binning(), bad_value="default").fit(X, labels)
    assert list(sc.classes_) == ["performing", "default"]
    assert set(sc.predict(X)) <= {"performing", "default"}
    with pytest.raises(ValueError, match="bad_value"):
        Scorecard(binning()).fit(X, labels)


def test_scoring_input_errors_name_the_column(model: Scorecard,
                                              data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, _ = data
    with pytest.raises(ValueError, match="'income'"):
        model.score(X.drop(columns=["income"]))
    bad = X.head(5).copy()
    bad["age"] = ["x", "y", "z", "w", "v"]
    with pytest.raises(ValueError, match="'age'"):
        model.score(bad)
    assert model.score(X.drop(columns=["noise"]) if "noise" not in model.features_
                       else X).shape == (len(X),)


@pytest.mark.parametrize(("params", "match"), [
    ({"pdo": 0}, "pdo"), ({"base_odds": -1}, "base_odds"), ({"l2": -0.1}, "l2"),
    ({"target_pd": 1.0}, "target_pd"), ({"n_reason_codes": 0}, "n_reason_codes"),
    ({"rounding": "yes"}, "rounding"), ({"master_scale": "A"}, "master_scale"),
])
def test_invalid_parameters(params: dict[str, Any], match: str,
                            data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = data
    with pytest.raises(ValueError, match=match):
        Scorecard(binning(), **params).fit(X.head(500), y[:500])


def test_fit_errors(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = data
    with pytest.raises(ValueError, match="binary"):
        Scorecard().fit(X.head(10), np.arange(10))
    with pytest.raises(ValueError, match="no rows"):
        Scorecard().fit(X.head(0), y[:0])
