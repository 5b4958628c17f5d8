"""fit_logistic: agreement with scikit-learn, Wald statistics, weights, ridge, errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.linear_model import LogisticRegression

from mortgage_risk.scoring.logistic import fit_logistic


def _data(n: int = 20_000, p: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    beta = np.linspace(-1.0, 0.8, p)
    y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-(X @ beta - 2.0)))).astype(int)
    return X, y


def test_matches_sklearn_unpenalised() -> None:
    X, y = _data()
    r = fit_logistic(X, y)
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y)
    assert r.converged and r.n_iter < 15
    np.testing.assert_allclose(r.coef, ref.coef_[0], atol=1e-6)
    assert r.intercept == pytest.approx(ref.intercept_[0], abs=1e-6)


def test_standard_errors_and_wald_pvalues() -> None:
    X, y = _data(n=5000)
    r = fit_logistic(X, y)
    Xa = np.column_stack([np.ones(len(X)), X])
    p = 1.0 / (1.0 + np.exp(-(Xa @ np.r_[r.intercept, r.coef])))
    cov = np.linalg.inv(Xa.T @ (Xa * (p * (1 - p))[:, None]))
    se = np.sqrt(np.diag(cov))
    np.testing.assert_allclose(r.se, se[1:], rtol=1e-8)
    assert r.intercept_se == pytest.approx(se[0], rel=1e-8)
    np.testing.assert_allclose(r.z, r.coef / r.se)
    np.testing.assert_allclose(r.pvalues, 2 * norm.sf(np.abs(r.z)))
    loglik = float(np.sum(y * np.log(p) + (1 - y) * np.log1p(-p)))
    assert r.loglik == pytest.approx(loglik, rel=1e-10)


def test_l2_matches_sklearn_with_c_inverse() -> None:
    X, y = _data(n=3000)
    r = fit_logistic(X, y, l2=50.0)
    ref = LogisticRegression(C=1 / 50.0, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(r.coef, ref.coef_[0], atol=1e-6)
    assert np.abs(r.coef).sum() < np.abs(fit_logistic(X, y).coef).sum()


def test_weights_equal_duplicated_rows() -> None:
    X, y = _data(n=2000)
    w = np.where(np.arange(len(y)) % 3 == 0, 2.0, 1.0)
    rep = np.repeat(np.arange(len(y)), w.astype(int))
    a = fit_logistic(X, y, sample_weight=w)
    b = fit_logistic(X[rep], y[rep])
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-9)
    np.testing.assert_allclose(a.se, b.se, rtol=1e-9)


def test_float32_design_gives_the_same_fit() -> None:
    X, y = _data(n=5000)
    a = fit_logistic(X.astype(np.float32), y)
    b = fit_logistic(X.astype(np.float32).astype(np.float64), y)
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-10)


def test_blocks_cover_every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    import mortgage_risk.scoring.logistic as mod

    X, y = _data(n=1001)
    whole = fit_logistic(X, y)
    monkeypatch.setattr(mod, "_BLOCK", 100)
    blocked = fit_logistic(X, y)
    np.testing.assert_allclose(blocked.coef, whole.coef, rtol=1e-10)


def test_separation_does_not_crash() -> None:
    x = np.r_[np.linspace(-2, -0.1, 50), np.linspace(0.1, 2, 50)][:, None]
    y = (x[:, 0] > 0).astype(int)
    r = fit_logistic(x, y, max_iter=20)
    assert r.coef[0] > 5 and np.isfinite(r.loglik)


@pytest.mark.parametrize(("X", "y", "kwargs", "match"), [
    (np.zeros((3, 1)), [0, 1, 2], {}, "only 0 and 1"),
    (np.zeros((3, 1)), [1, 1, 1], {}, "both classes"),
    (np.array([[np.nan], [1.0]]), [0, 1], {}, "NaN"),
    (np.zeros((2, 1)), [0, 1], {"l2": -1.0}, "l2"),
    (np.zeros((2, 1)), [0, 1, 1], {}, "rows"),
])
def test_bad_input(X: np.ndarray, y: list[int], kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fit_logistic(X, y, **kwargs)
