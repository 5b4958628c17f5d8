"""Tests for OptimalBinning, BinningProcess and BinningTable."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from mortgage_risk.scoring._validation import binary_target
from mortgage_risk.scoring.binning import BinningProcess, OptimalBinning
from mortgage_risk.scoring.binning_table import BinningTable
from mortgage_risk.scoring.bins import FeatureBins


def _rates(fb: FeatureBins) -> np.ndarray:
    ev = np.asarray(fb.event[: fb.n_regular], float)
    ne = np.asarray(fb.nonevent[: fb.n_regular], float)
    return ev / (ev + ne)


def _synthetic(n: int = 20_000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    up = rng.normal(size=n)
    down = rng.uniform(0, 100, size=n)
    u = rng.normal(size=n)
    noise = rng.lognormal(size=n)
    cat = np.array(["A", "B", "C", "D", "E"], dtype=object)[rng.integers(0, 5, n)]
    effect = {"A": -0.8, "B": -0.2, "C": 0.0, "D": 0.4, "E": 1.0}
    logit = (-2.5 + 0.8 * up - 0.02 * (down - 50) + 0.6 * (u**2 - 1)
             + np.array([effect[c] for c in cat]))
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    up[rng.uniform(size=n) < 0.03] = np.nan
    df = pd.DataFrame({"up": up, "down": down, "u": u, "noise": noise, "cat": cat})
    return df, y


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    return _synthetic()


# --------------------------------------------------------------------------- trends


@pytest.mark.parametrize("trend", ["ascending", "descending", "peak", "valley"])
def test_requested_trend_is_respected(data: tuple[pd.DataFrame, np.ndarray], trend: str) -> None:
    df, y = data
    for col in ("up", "down", "u", "noise"):
        fb = OptimalBinning(monotonic_trend=trend).fit(df[col], y).bins_
        d = np.sign(np.diff(_rates(fb)))
        if trend == "ascending":
            assert (d > 0).all(), (col, _rates(fb))
        elif trend == "descending":
            assert (d < 0).all(), (col, _rates(fb))
        else:
            want = 1 if trend == "peak" else -1
            # one turning point at most: signs go +...+ -...- (peak) or -...- +...+ (valley)
            changes = np.flatnonzero(d[1:] != d[:-1])
            assert len(changes) <= 1, (col, _rates(fb))
            if len(changes) == 1:
                assert d[0] == want


def test_auto_trend_finds_direction_and_valley(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    df, y = data
    assert OptimalBinning().fit(df["up"], y).trend_ == "ascending"
    assert OptimalBinning().fit(df["down"], y).trend_ == "descending"
    ob = OptimalBinning().fit(df["u"], y)
    assert ob.trend_ == "valley"
    rates = _rates(ob.bins_)
    assert rates[0] > rates.min() < rates[-1]


def test_auto_is_at_least_as_good_as_fixed_direction(
        data: tuple[pd.DataFrame, np.ndarray]) -> None:
    df, y = data
    auto = OptimalBinning().fit(df["down"], y).iv_
    asc = OptimalBinning(monotonic_trend="ascending").fit(df["down"], y).iv_
    assert auto > asc


def test_min_bin_share_and_max_bins(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    df, y = data
    for share, max_bins in [(0.05, 8), (0.1, 3), (0.2, None), (0.02, 4)]:
        fb = OptimalBinning(min_bin_share=share, max_n_bins=max_bins).fit(df["up"], y).bins_
        counts = np.add(fb.event, fb.nonevent)[: fb.n_regular]
        assert counts.min() >= share * len(y)
        if max_bins is not None:
            assert fb.n_regular <= max_bins
        assert fb.n_regular >= 2


def test_more_prebins_never_lose_iv_on_nested_grid(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    df, y = data
    # the DP is exact: relaxing max_n_bins can only keep or raise the IV
    ivs = [OptimalBinning(max_n_bins=k).fit(df["up"], y).iv_ for k in (2, 3, 5, 8)]
    assert all(b >= a - 1e-12 for a, b in zip(ivs, ivs[1:], strict=False))
    assert ivs[-1] > ivs[0]


# --------------------------------------------------------------------------- WoE / IV


def test_woe_iv_against_hand_computation() -> None:
    x = np.r_[np.zeros(50), np.ones(50), np.full(20, np.nan)]
    y = np.r_[np.ones(10), np.zeros(40), np.ones(30), np.zeros(20), np.ones(15), np.zeros(5)]
    ob = OptimalBinning(min_bin_share=0.1).fit(x, y.astype(int))
    fb = ob.bins_
    assert fb.splits == (0.5,)
    assert fb.event == (10, 30, 0, 15)
    assert fb.nonevent == (40, 20, 0, 5)
    total_ev, total_ne = 55, 65
    woe0 = math.log((40.5 / total_ne) / (10.5 / total_ev))
    woe1 = math.log((20.5 / total_ne) / (30.5 / total_ev))
    woe_m = math.log((5.5 / total_ne) / (15.5 / total_ev))
    assert fb.woe == pytest.approx((woe0, woe1, 0.0, woe_m))
    assert woe0 == pytest.approx(1.1829, abs=1e-4)  # ln(3.2637)
    iv = (40 / 65 - 10 / 55) * woe0 + (20 / 65 - 30 / 55) * woe1 + (5 / 65 - 15 / 55) * woe_m
    assert ob.iv_ == pytest.approx(iv)
    assert ob.binning_table.iv == pytest.approx(iv)
    out = ob.transform(np.array([-1.0, 0.0, 0.4, 0.5, 7.0, np.nan]))
    assert out == pytest.approx([woe0, woe0, woe0, woe1, woe1, woe_m])


def test_missing_and_special_have_own_bins_and_woe() -> None:
    rng = np.random.default_rng(1)
    n = 5000
    x = rng.normal(size=n)
    y = (rng.uniform(size=n) < 0.1).astype(int)
    x[:300] = -999.0
    y[:300] = (rng.uniform(size=300) < 0.6).astype(int)  # risky special code
    x[300:600] = np.nan
    y[300:600] = 0  # safe missing
    ob = OptimalBinning(special_codes=[-999]).fit(x, y)
    fb = ob.bins_
    assert fb.event[fb.special_bin] + fb.nonevent[fb.special_bin] == 300
    assert fb.event[fb.missing_bin] + fb.nonevent[fb.missing_bin] == 300
    assert fb.event[fb.missing_bin] == 0
    assert fb.woe[fb.special_bin] < -1.0 < 1.0 < fb.woe[fb.missing_bin]
    idx = ob.transform(np.array([-999.0, np.nan, 0.0]), metric="indices")
    assert list(idx) == [fb.special_bin, fb.missing_bin, int(fb.assign([0.0])[0])]
    # the regular bins never see the special code
    assert all(s > -900 for s in fb.splits)


def test_transform_matches_contract_assign(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    df, y = data
    bp = BinningProcess(special_codes=None).fit(df, y)
    W = bp.transform(df)
    for j, name in enumerate(bp.feature_names_in_):
        fb = bp.bins_[name]
        assert np.array_equal(W[:, j], fb.transform(df[name]))
    probe = pd.Series([-np.inf, np.inf, np.nan, 0.0])
    fb = bp.bins_["up"]
    ob_idx = OptimalBinning().fit(df["up"], y).transform(probe, metric="indices")
    assert list(ob_idx) == list(fb.assign(probe))
    assert ob_idx[0] == 0 and ob_idx[1] == fb.n_regular - 1 and ob_idx[2] == fb.missing_bin


# --------------------------------------------------------------------------- categorical


def test_categorical_grouping_and_unseen_category(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    df, y = data
    ob = OptimalBinning(dtype="categorical").fit(df["cat"], y)
    fb = ob.bins_
    assert fb.kind == "categorical"
    labels = sorted(lab for group in fb.categories for lab in group)
    assert labels == ["A", "B", "C", "D", "E"]
    assert (np.diff(_rates(fb)) > 0).all()
    assert fb.categories[0] == ("A",) and "E" in fb.categories[-1]
    out = ob.transform(pd.Series(["A", "Z", None]), metric="indices")
    assert list(out) == [0, fb.missing_bin, fb.missing_bin]
    assert ob.transform(pd.Series(["Z"]))[0] == fb.woe[fb.missing_bin] == 0.0


def test_rare_categories_pooled() -> None:
    rng = np.random.default_rng(3)
    cats = np.array(["big1", "big2", "big3"], dtype=object)[rng.integers(0, 3, 3000)]
    cats[:20] = "rare1"
    cats[20:40] = "rare2"
    y = (rng.uniform(size=3000) < 0.2).astype(int)
    fb = OptimalBinning(cat_cutoff=0.02, min_bin_share=0.0).fit(pd.Series(cats), y).bins_
    group = next(g for g in fb.categories if "rare1" in g)
    assert "rare2" in group


def test_numeric_codes_as_categorical_in_process() -> None:
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"grade": rng.integers(1, 5, 2000), "x": rng.normal(size=2000)})
    y = (rng.uniform(size=2000) < 0.1 + 0.05 * df["grade"]).astype(int)
    bp = BinningProcess(categorical_variables=["grade"]).fit(df, y)
    assert bp.bins_["grade"].kind == "categorical"
    assert bp.transform(df).shape == (2000, 2)


# --------------------------------------------------------------------------- errors


def test_errors_name_the_column() -> None:
    y = np.array([0, 1] * 50)
    with pytest.raises(ValueError, match="'flat'.*constant"):
        BinningProcess().fit(pd.DataFrame({"flat": np.ones(100)}), y)
    with pytest.raises(ValueError, match="'empty'.*only missing"):
        BinningProcess().fit(pd.DataFrame({"empty": np.full(100, np.nan)}), y)
    with pytest.raises(ValueError, match="'label'.*constant"):
        BinningProcess().fit(pd.DataFrame({"label": ["a"] * 100}), y)
    with pytest.raises(ValueError, match="target must be binary: found 3 distinct"):
        BinningProcess().fit(pd.DataFrame({"x": np.arange(99.0)}), np.arange(99) % 3)
    with pytest.raises(ValueError, match="only one class"):
        OptimalBinning().fit(np.arange(10.0), np.zeros(10, int))


def test_transform_missing_or_retyped_column(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    df, y = data
    bp = BinningProcess().fit(df, y)
    with pytest.raises(ValueError, match="'down' is missing"):
        bp.transform(df.drop(columns="down"))
    bad = df.assign(up=df["up"].astype(str) + "x")
    with pytest.raises(ValueError, match="'up' was numeric"):
        bp.transform(bad)
    with pytest.raises(ValueError, match="'cat' held labels"):
        bp.transform(df.assign(cat=np.arange(len(df), dtype=float)))
    # extra columns and a different column order are fine
    shuffled = df[["cat", "noise", "u", "down", "up"]].assign(extra=1)
    assert np.array_equal(bp.transform(shuffled), bp.transform(df))


def test_parameter_errors_give_range_and_value() -> None:
    x, y = np.arange(100.0), np.array([0, 1] * 50)
    with pytest.raises(ValueError, match=r"max_n_bins must be an int >= 2 or None; got 1"):
        OptimalBinning(max_n_bins=1).fit(x, y)
    with pytest.raises(ValueError, match=r"min_bin_share must be a number in \[0, 0.5\); got 0.7"):
        OptimalBinning(min_bin_share=0.7).fit(x, y)
    with pytest.raises(ValueError, match="monotonic_trend must be one of .*; got 'up'"):
        OptimalBinning(monotonic_trend="up").fit(x, y)
    with pytest.raises(ValueError, match="dtype must be one of"):
        OptimalBinning(dtype="nominal").fit(x, y)
    with pytest.raises(ValueError, match="binning_fit_params\\['x0'\\]: max_n_prebins"):
        BinningProcess(binning_fit_params={"x0": {"max_n_prebins": 1}}).fit(x[:, None], y)
    with pytest.raises(ValueError, match="unknown parameter"):
        BinningProcess(binning_fit_params={"x0": {"bogus": 1}}).fit(x[:, None], y)


def test_binary_target_labels() -> None:
    assert binary_target(["good", "bad", "bad"], bad_value="bad").tolist() == [0, 1, 1]
    assert binary_target(np.array([True, False])).tolist() == [1, 0]
    assert binary_target(pd.Series([1.0, 0.0])).dtype == np.int8
    with pytest.raises(ValueError, match="need bad_value"):
        binary_target(["good", "bad"])
    with pytest.raises(ValueError, match="not a label"):
        binary_target(["good", "bad"], bad_value="ugly")
    with pytest.raises(ValueError, match="missing"):
        binary_target(pd.Series([1, None, 0], dtype=object))


# --------------------------------------------------------------------------- sklearn


def test_clone_get_params_and_pipeline(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    df, y = data
    bp = BinningProcess(max_n_bins=5, categorical_variables=["cat"],
                        binning_fit_params={"up": {"monotonic_trend": "ascending"}})
    cloned = clone(bp)
    assert cloned.get_params() == bp.get_params()
    assert cloned is not bp
    bp.set_params(max_n_bins=4)
    assert bp.max_n_bins == 4 and cloned.max_n_bins == 5
    pipe = Pipeline([("bin", BinningProcess()), ("lr", LogisticRegression(max_iter=500))])
    pipe.set_params(bin__max_n_bins=6)
    pipe.fit(df, y)
    assert pipe.named_steps["bin"].max_n_bins == 6
    assert max(fb.n_regular for fb in pipe.named_steps["bin"].bins_.values()) <= 6
    proba = pipe.predict_proba(df)[:, 1]
    from sklearn.metrics import roc_auc_score
    assert roc_auc_score(y, proba) > 0.7
    # WoE coefficients are negative by the WoE sign convention
    assert (pipe.named_steps["lr"].coef_[0][:3] < 0).all()
    fitted_clone = clone(pipe)
    assert not hasattr(fitted_clone.named_steps["bin"], "bins_")


def test_polars_matches_pandas(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    df, y = data
    bp_pd = BinningProcess().fit(df, y)
    bp_pl = BinningProcess().fit(pl.from_pandas(df), pl.Series("y", y))
    assert bp_pd.bins_ == bp_pl.bins_
    assert np.array_equal(bp_pd.transform(df), bp_pl.transform(pl.from_pandas(df)))
    assert np.array_equal(bp_pd.transform(df), bp_pd.transform(pl.from_pandas(df)))


def test_numpy_input_float32_and_frame_output(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    df, y = data
    num = df[["up", "down"]].to_numpy()
    bp = BinningProcess(output_dtype="float32").fit(num, y)
    out = bp.transform(num)
    assert out.dtype == np.float32 and out.shape == (len(df), 2)
    assert list(bp.feature_names_in_) == ["x0", "x1"]
    frame = bp.transform(num, as_frame=True, dtype="float64")
    assert list(frame.columns) == ["x0", "x1"] and frame.dtypes.iloc[0] == np.float64
    assert np.allclose(frame.to_numpy(), out)
    idx = bp.transform(num, metric="indices")
    assert idx.dtype.kind == "i" and idx.max() <= bp.bins_["x0"].missing_bin


def test_fit_transform_equals_fit_then_transform(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    df, y = data
    a = BinningProcess(variable_names=["cat", "up"]).fit_transform(df, y)
    bp = BinningProcess(variable_names=["cat", "up"]).fit(df, y)
    assert np.array_equal(a, bp.transform(df))
    assert list(bp.feature_names_in_) == ["cat", "up"] and bp.n_features_in_ == 2


def test_summary(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    df, y = data
    s = BinningProcess().fit(df, y).summary().set_index("name")
    assert list(s.columns[:4]) == ["dtype", "n_bins", "trend", "iv"]
    assert s.loc["noise", "iv"] < 0.02 < s.loc["up", "iv"]
    assert s.loc["cat", "dtype"] == "categorical"
    assert (s["gini"].between(0, 1)).all() and (s["ks"] <= s["gini"] + 1e-9).all()


# --------------------------------------------------------------------------- binning table


def test_binning_table_totals_and_html(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    df, y = data
    ob = OptimalBinning().fit(df["up"], y)
    table = ob.binning_table.build()
    body, totals = table.iloc[:-1], table.iloc[-1]
    assert totals["Bin"] == "Totals"
    assert totals["Count"] == body["Count"].sum() == len(y)
    assert totals["Event"] == body["Event"].sum() == y.sum()
    assert totals["Non-event"] == body["Non-event"].sum()
    assert totals["IV"] == pytest.approx(body["IV"].sum())
    assert body["Count (%)"].sum() == pytest.approx(1.0)
    assert list(body["Bin"][-2:]) == ["Special", "Missing"]
    html = ob.binning_table.to_html()
    assert "<svg" in html and "</svg>" in html and "<table" in html and "<script" not in html
    assert html.count("<rect") == ob.bins_.n_regular + 2
    d = ob.binning_table.to_dict()
    assert d["iv"] == pytest.approx(ob.iv_) and len(d["table"]) == len(table)
    bt = BinningTable(ob.bins_)
    assert 0 < bt.ks <= bt.gini < 1 and bt.js > 0 and 0 < bt.quality_score < 1


def test_gini_of_perfect_separation() -> None:
    fb = FeatureBins.from_counts("p", "numerical", np.array([0, 10, 0, 0]),
                                 np.array([10, 0, 0, 0]), splits=(1.0,))
    assert BinningTable(fb).gini == pytest.approx(1.0)
    assert BinningTable(fb).ks == pytest.approx(1.0)


# --------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(60, 800),
       trend=st.sampled_from(["ascending", "descending", "peak", "valley", "auto", None]),
       share=st.sampled_from([0.0, 0.05, 0.1]), discrete=st.booleans())
def test_property_bins_cover_rows(seed: int, n: int, trend: str | None, share: float,
                                  discrete: bool) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, n).astype(float) if discrete else rng.normal(size=n)
    x[rng.uniform(size=n) < 0.1] = np.nan
    x[:2] = [0.0, 1.0]
    y = (rng.uniform(size=n) < 0.3).astype(int)
    y[:2] = [0, 1]
    ob = OptimalBinning(monotonic_trend=trend, min_bin_share=share).fit(x, y)
    fb = ob.bins_
    assert sum(fb.event) + sum(fb.nonevent) == n
    assert sum(fb.event) == y.sum()
    idx = ob.transform(x, metric="indices")
    assert np.array_equal(np.bincount(idx, minlength=fb.n_regular + 2),
                          np.add(fb.event, fb.nonevent))
    counts = np.add(fb.event, fb.nonevent)[: fb.n_regular]
    if fb.n_regular > 1:
        assert counts.min() >= share * n
    d = np.diff(_rates(fb))
    if trend == "ascending":
        assert (d > 0).all()
    elif trend == "descending":
        assert (d < 0).all()
    elif trend in ("peak", "valley"):
        assert (np.sign(d[1:]) != np.sign(d[:-1])).sum() <= 1
