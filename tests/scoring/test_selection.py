"""Tests for FeatureSelector: every dropped feature carries its reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from mortgage_risk.scoring.binning import BinningProcess
from mortgage_risk.scoring.selection import FeatureSelector, woe_iv


@pytest.fixture(scope="module")
def woe_data() -> tuple[pd.DataFrame, np.ndarray, BinningProcess]:
    rng = np.random.default_rng(7)
    n = 30_000
    a = rng.normal(size=n)
    b = rng.normal(size=n)
    c = rng.normal(size=n)
    weak = rng.normal(size=n)
    logit = -2.0 + 1.0 * a + 0.7 * b + 0.4 * c + 0.06 * weak
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    df = pd.DataFrame({
        "a": a,
        "a_copy": a + rng.normal(scale=0.3, size=n),       # correlated with a, lower IV
        "b": b,
        "c": c,
        "mix": a + b + c + rng.normal(scale=0.3, size=n),   # near-collinear combination
        "noise": rng.normal(size=n),                        # IV ~ 0
        "weak": weak,
    })
    bp = BinningProcess().fit(df, y)
    return bp.transform(df, as_frame=True), y, bp


def test_reasons_for_iv_correlation_and_vif(woe_data) -> None:
    W, y, bp = woe_data
    sel = FeatureSelector(max_corr=0.8, max_vif=2.0).fit(W, y, iv=bp.iv_)
    dropped = sel.selection_.dropped
    assert dropped["noise"].startswith("IV ") and "below 0.02" in dropped["noise"]
    assert "correlation" in dropped["a_copy"] and "with a (higher IV)" in dropped["a_copy"]
    assert dropped["mix"].startswith("VIF ") and "above 2" in dropped["mix"]
    assert set(sel.selected_) >= {"a", "b", "c"}
    assert set(sel.selected_) | set(dropped) == set(W.columns)
    assert not set(sel.selected_) & set(dropped)
    out = sel.transform(W)
    assert list(out.columns) == sel.selected_


def test_iv_computed_from_woe_equals_binning_iv(woe_data) -> None:
    W, y, bp = woe_data
    for name in W.columns:
        assert woe_iv(W[name].to_numpy(), y) == pytest.approx(bp.iv_[name], rel=1e-9)
    sel = FeatureSelector().fit(W, y)
    assert sel.iv_ == pytest.approx(bp.iv_)


def test_max_iv_flags_suspicious(woe_data) -> None:
    W, y, bp = woe_data
    top = max(bp.iv_, key=bp.iv_.get)
    sel = FeatureSelector(max_iv=bp.iv_[top] - 1e-6, max_corr=None, max_vif=None).fit(
        W, y, iv=bp.iv_)
    assert "suspicious" in sel.selection_.dropped[top]
    assert top not in sel.selected_


def test_backward_stepwise_drops_weak_feature(woe_data) -> None:
    W, y, bp = woe_data
    cols = ["a", "b", "c", "weak"]
    sel = FeatureSelector(min_iv=0.0, max_corr=None, max_vif=None, stepwise="backward",
                          p_remove=1e-6).fit(W[cols], y)
    reason = sel.selection_.dropped["weak"]
    assert "backward stepwise" in reason and reason.startswith("p-value ")
    assert sel.selected_ == ["a", "b", "c"]
    assert all(p <= 1e-6 for p in sel.selection_.pvalues.values())


def test_forward_stepwise_enters_strong_features(woe_data) -> None:
    W, y, bp = woe_data
    cols = ["a", "b", "c", "noise"]
    sel = FeatureSelector(min_iv=0.0, max_corr=None, max_vif=None, stepwise="forward",
                          p_enter=1e-4).fit(W[cols], y)
    assert sel.selected_ == ["a", "b", "c"]
    assert "forward stepwise" in sel.selection_.dropped["noise"]


def test_duplicate_feature_dropped_by_correlation() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=5000)
    y = (rng.uniform(size=5000) < 1 / (1 + np.exp(2 - x))).astype(int)
    W = BinningProcess().fit_transform(pd.DataFrame({"x": x, "x_dup": x}), y)
    sel = FeatureSelector().fit(W, y)  # numpy input: names x0, x1
    assert sel.selected_ == ["x0"]
    assert sel.selection_.dropped["x1"] == "correlation 1.00 with x0 (higher IV)"
    assert sel.transform(W).shape == (5000, 1)
    assert sel.support_.tolist() == [True, False]


def test_parameter_errors_and_pipeline(woe_data) -> None:
    W, y, bp = woe_data
    with pytest.raises(ValueError, match="max_corr must be a number in \\(0, 1\\]"):
        FeatureSelector(max_corr=1.5).fit(W, y)
    with pytest.raises(ValueError, match="stepwise must be one of"):
        FeatureSelector(stepwise="both").fit(W, y)
    with pytest.raises(ValueError, match="missing or infinite"):
        FeatureSelector().fit(W.assign(a=np.nan), y)
    pipe = Pipeline([
        ("bin", BinningProcess().set_output(transform="pandas")),
        ("select", FeatureSelector(max_vif=3)),
        ("lr", LogisticRegression(max_iter=500)),
    ])
    rng = np.random.default_rng(0)
    raw = pd.DataFrame({"a": rng.normal(size=20_000), "b": rng.normal(size=20_000)})
    target = (rng.uniform(size=20_000) < 1 / (1 + np.exp(2 - raw["a"]))).astype(int)
    pipe.fit(raw, target)
    assert pipe.named_steps["select"].selected_ == ["a"]
    assert "IV" in pipe.named_steps["select"].selection_.dropped["b"]
    assert pipe.named_steps["lr"].coef_.shape[1] == len(pipe.named_steps["select"].selected_)
    assert clone(pipe.named_steps["select"]).get_params()["max_vif"] == 3
