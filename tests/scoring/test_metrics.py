"""Metrics against scikit-learn / scipy and hand computations; the JSON and HTML reports."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest, ks_2samp
from sklearn.metrics import brier_score_loss, roc_auc_score

from mortgage_risk.scoring import (
    Scorecard,
    auc,
    binomial_test,
    brier,
    csi,
    gini,
    hosmer_lemeshow,
    ks,
    model_card,
    model_card_html,
    psi,
    validation_html,
    validation_report,
)
from tests.scoring.test_scorecard import binning, make_applications

RNG = np.random.default_rng(7)
P = RNG.uniform(0.01, 0.4, 20_000)
Y = (RNG.uniform(size=P.size) < P).astype(int)


def test_auc_matches_sklearn_with_and_without_ties() -> None:
    assert auc(Y, P) == pytest.approx(roc_auc_score(Y, P), abs=1e-12)
    tied = np.round(P, 2)
    assert auc(Y, tied) == pytest.approx(roc_auc_score(Y, tied), abs=1e-12)
    assert gini(Y, P) == pytest.approx(2 * roc_auc_score(Y, P) - 1, abs=1e-12)
    with pytest.raises(ValueError, match="both"):
        auc(np.ones(3), [0.1, 0.2, 0.3])


def test_ks_matches_scipy_and_a_hand_computation() -> None:
    scores = np.round(P, 3)
    res = ks(Y, scores)
    assert res.statistic == pytest.approx(ks_2samp(scores[Y == 1], scores[Y == 0]).statistic,
                                          abs=1e-12)
    small_y = np.array([1, 1, 0, 1, 0, 0])
    small_s = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    # riskiest first: bads 1/3, 2/3, 2/3, 1, 1, 1; goods 0, 0, 1/3, 1/3, 2/3, 1
    hand = ks(small_y, small_s)
    assert hand.statistic == pytest.approx(2 / 3)
    assert hand.threshold == 0.6 or hand.threshold == 0.8
    curve = hand.curve
    assert curve.cum_event[0] == 0 and curve.cum_event[-1] == 1 and curve.cum_nonevent[-1] == 1


def test_brier_and_binomial() -> None:
    assert brier(Y, P) == pytest.approx(brier_score_loss(Y, P), abs=1e-15)
    grades = np.where(P < 0.2, "A", "B")
    table = binomial_test(Y, P, grades, ["A", "B"])
    for row in table.itertuples():
        mask = grades == row.grade
        ref = binomtest(int(Y[mask].sum()), int(mask.sum()), float(P[mask].mean()),
                        alternative="greater").pvalue
        assert row.pvalue == pytest.approx(ref, rel=1e-9)
    too_many = binomial_test(np.ones(200, int), np.full(200, 0.05), np.array(["A"] * 200))
    assert bool(too_many.rejected.iloc[0]) and too_many.pvalue.iloc[0] < 1e-100


def test_hosmer_lemeshow() -> None:
    good = hosmer_lemeshow(Y, P)
    assert good.dof == 8 and good.pvalue > 0.05 and len(good.table) == 10
    bad = hosmer_lemeshow(Y, np.clip(P * 1.6, 0, 0.99))
    assert bad.pvalue < 1e-6


def test_psi_and_csi() -> None:
    base = RNG.normal(600, 40, 50_000)
    same = psi(base, base)
    assert same.value == 0.0 and same.verdict == "stable"
    assert same.base_share.sum() == pytest.approx(1.0)
    shifted = psi(base, base + 40)
    assert shifted.value > 0.25 and shifted.verdict == "shift"
    assert psi(base, RNG.normal(600, 40, 50_000)).value < 0.01
    idx = RNG.integers(0, 5, 10_000)
    assert csi(idx, idx, 7) == 0.0
    assert csi(idx, np.minimum(idx + 1, 4), 7) > 0.25


@pytest.fixture(scope="module")
def fitted() -> tuple[Scorecard, pd.DataFrame, np.ndarray]:
    X, y = make_applications(6000, seed=1)
    return Scorecard(binning(), target_pd=0.05).fit(X, y), X, y


def test_validation_report_is_plain_json(fitted: tuple[Scorecard, pd.DataFrame, np.ndarray]
                                         ) -> None:
    model, X, y = fitted
    X2, y2 = make_applications(3000, seed=2)
    X2["ltv ratio"] = X2["ltv ratio"] * 1.3  # drift
    rep = validation_report(model, X2, y2, base_X=X)
    text = json.dumps(rep, allow_nan=False)
    assert json.loads(text)["auc"] == rep["auc"]
    assert rep["auc"] == pytest.approx(roc_auc_score(y2, model.pd(X2)), abs=1e-12)
    assert rep["gini"] == pytest.approx(2 * rep["auc"] - 1)
    assert 0 < rep["ks"] < 1 and 0 < rep["brier"] < 1
    assert {"hosmer_lemeshow", "binomial_by_grade", "ks_curve", "roc_curve", "psi",
            "psi_verdict", "csi"} <= set(rep)
    assert rep["csi"]["ltv ratio"]["csi"] > rep["csi"]["age"]["csi"]
    assert len(rep["binomial_by_grade"]) == 10
    assert "psi" not in validation_report(model, X2, y2)


def test_html_report_and_model_card(fitted: tuple[Scorecard, pd.DataFrame, np.ndarray]
                                    ) -> None:
    model, X, y = fitted
    page = validation_html(model, X, y, base_X=X)
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 4
    assert "<script" not in page and "Model card" in page and "o&#x27;west" not in page[:0]
    card = model_card(model)
    json.dumps(card, allow_nan=False)
    assert [f["feature"] for f in card["features"]] == model.features_
    assert card["coefficients"][0]["feature"] == "(intercept)"
    assert {"purpose", "data", "dropped", "performance", "limitations", "versions"} <= set(card)
    assert "<h2>Model card</h2>" in model_card_html(model)
