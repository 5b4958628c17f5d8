"""Index revaluation, component revaluation, LTV after revaluation and the hedonic AVM
(reference-valuation.md §4.1-4.3, cases T24, T25, T26, T30)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mortgage_risk.domain import DomainError
from mortgage_risk.valuation.index import (
    EXTRAPOLATED,
    INTERPOLATED,
    PUBLISHED,
    PriceIndex,
    chain_factor,
    fixed_base_factor,
    month_ordinal,
    month_ordinals,
)
from mortgage_risk.valuation.revaluation import (
    HedonicModel,
    age_after,
    avm_accuracy,
    avm_estimate,
    cltv,
    component_revalue,
    duan_smearing,
    index_revalue,
    ltv,
    ltv_after_revaluation,
)

REL = 1e-6
MOM_18 = [99.6, 99.5, 99.7, 99.4, 99.6, 99.5, 99.8, 99.5, 99.4, 99.6, 99.5, 99.7, 99.6, 99.5,
          99.4, 99.6, 99.7, 99.5]
V0 = 298_600.0


@pytest.fixture(scope="module")
def chained() -> PriceIndex:
    return PriceIndex.from_month_on_month("2025-06", MOM_18)


@pytest.fixture(scope="module")
def nbs() -> pd.DataFrame:
    from mortgage_risk.datasets import load_house_price_index

    return load_house_price_index("桂林", "二手房", "整体")


@pytest.fixture(scope="module")
def guilin(nbs: pd.DataFrame) -> PriceIndex:
    return PriceIndex.from_frame(nbs, "桂林", "二手房", "整体")


# ---------------------------------------------------------------------------- T24


def test_t24_chained_month_on_month(chained: PriceIndex) -> None:
    assert chain_factor(MOM_18) == pytest.approx(0.923869, abs=5e-7)
    r = index_revalue(V0, chained, "2025-06", "2026-12")
    assert r.value == pytest.approx(275_867.25, rel=REL)
    assert r.ratio == pytest.approx(chain_factor(MOM_18), rel=1e-12)
    assert r.change == pytest.approx(-0.0761, abs=5e-5)
    assert not r.extrapolated
    assert r.lendable_value == r.value
    np.testing.assert_allclose(chained.month_on_month(), MOM_18, rtol=1e-12)


def test_t24_fixed_base() -> None:
    assert fixed_base_factor(92.4, 84.1) == pytest.approx(0.910173, abs=5e-7)
    fixed = PriceIndex.from_levels({"2025-06": 92.4, "2026-12": 84.1})
    r = index_revalue(V0, fixed, "2025-06", "2026-12")
    assert r.value == pytest.approx(271_777.71, rel=REL)
    assert r.change == pytest.approx(-0.0898, abs=5e-5)
    # the months between were interpolated, the two ends published
    assert fixed.point("2025-06").status == PUBLISHED
    assert fixed.point("2025-12").status == INTERPOLATED


def test_chain_and_fixed_base_agree_after_rebasing(chained: PriceIndex) -> None:
    rebased = chained.rebased("2025-06", 92.4)
    assert rebased.level("2025-06") == pytest.approx(92.4)
    assert rebased.ratio("2025-06", "2026-12") == pytest.approx(
        chained.ratio("2025-06", "2026-12"), rel=1e-12)


# ---------------------------------------------------------------------------- T25


def test_t25_component_revaluation() -> None:
    age = age_after(20.0, "2025-06", "2026-12")
    assert age == pytest.approx(21.5)
    c = component_revalue(land_value=140_336.0, replacement_cost=240_000.0, age=age,
                          economic_life=50, residual_rate=0.02, observed_newness=0.74,
                          land_ratio=0.93, cost_ratio=1.02, functional_obsolescence=5_000.0,
                          previous_value=V0)
    assert c.q_age == pytest.approx(0.5786, rel=REL)
    assert c.newness == pytest.approx(0.67544, rel=REL)
    assert c.building_value == pytest.approx(160_348, abs=1.0)
    assert c.land_value == pytest.approx(130_512, abs=1.0)
    assert c.value == pytest.approx(290_860.19, rel=REL)
    assert c.change == pytest.approx(-0.0259, abs=5e-5)
    assert c.breakdown()["value"] == c.value


def test_component_without_observed_score_uses_age_life() -> None:
    c = component_revalue(land_value=0.0, replacement_cost=100.0, age=20, economic_life=50,
                          residual_rate=0.02)
    assert c.newness == pytest.approx(0.608)
    assert c.value == pytest.approx(60.8)


def test_component_building_value_floored_at_zero() -> None:
    c = component_revalue(land_value=1000.0, replacement_cost=1000.0, age=60, economic_life=50,
                          residual_rate=0.0, functional_obsolescence=500.0)
    assert c.building_value == 0.0
    assert c.value == 1000.0


@given(st.floats(0, 80), st.floats(0, 80))
def test_component_value_never_rises_with_age(a1: float, a2: float) -> None:
    kw: dict[str, Any] = {"land_value": 50_000.0, "replacement_cost": 200_000.0,
                          "economic_life": 50, "residual_rate": 0.02, "observed_newness": 0.7}
    young, old = sorted((a1, a2))
    assert component_revalue(age=old, **kw).value <= component_revalue(age=young, **kw).value


# ---------------------------------------------------------------------------- T26


def test_t26_ltv_after_chained_index(chained: PriceIndex) -> None:
    v = index_revalue(V0, chained, "2025-06", "2026-12").value
    res = ltv_after_revaluation(140_000, v, 50_000, cap=0.60)
    assert res.ltv == pytest.approx(0.619833, rel=REL)
    assert res.cltv == pytest.approx(0.689, abs=5e-4)
    assert res.breach and not res.watch
    assert res.headroom is not None and res.headroom < 0
    # the price fall alone (−7.6%) would not reach the 10% trigger: the prior lien amplifies it
    assert v > 0.9 * V0


def test_t26_table_rows() -> None:
    orig = ltv_after_revaluation(140_000, V0, 50_000, cap=0.60)
    assert orig.ltv == pytest.approx(0.563, abs=5e-4)
    assert orig.cltv == pytest.approx(0.636, abs=5e-4)
    assert not orig.breach and orig.watch
    comp = ltv_after_revaluation(140_000, 290_860.19, 50_000, cap=0.60)
    assert comp.ltv == pytest.approx(0.581, abs=5e-4)
    assert comp.cltv == pytest.approx(0.653, abs=5e-4)


def test_ltv_edge_cases() -> None:
    assert ltv(100.0, 50.0, 50.0) == math.inf
    assert ltv(0.0, 50.0, 60.0) == 0.0
    assert cltv(0.0, 0.0) == 0.0
    assert cltv(1.0, 0.0) == math.inf
    with pytest.raises(DomainError) as err:
        ltv(-1.0, 100.0)
    assert err.value.field == "balance"


@given(st.floats(50_000, 1e6), st.floats(0.0, 0.5), st.floats(0.0, 0.5),
       st.floats(0.5, 0.99))
def test_ltv_rises_when_index_falls(v0: float, prior_share: float, bal_share: float,
                                    fall: float) -> None:
    idx = PriceIndex.from_levels({"2024-01": 100.0, "2025-01": 100.0 * fall})
    prior = prior_share * v0
    bal = bal_share * v0
    before = ltv(bal, v0, prior)
    after_value = index_revalue(v0, idx, "2024-01", "2025-01").value
    assert after_value < v0
    assert ltv(bal, after_value, prior) >= before
    assert cltv(bal, after_value, prior) >= cltv(bal, v0, prior)


# ---------------------------------------------------------------------------- T30


def test_t30_hedonic_example() -> None:
    model = HedonicModel(
        intercept=8.1, slopes={"area": 0.95, "age": -0.012}, log_features=frozenset({"area"}),
        dummies={"structure": {"brick_concrete": -0.05}, "town": {"chengguan": 0.10}},
        time_effects={"2020-01": 0.0, "2025-06": -0.03}, sigma=0.18)
    est = avm_estimate(model, {"area": 120.0, "age": 20.0},
                       {"structure": "brick_concrete", "town": "chengguan"}, "2025-06")
    assert est.ln_price == pytest.approx(12.428117, rel=REL)
    assert est.price == pytest.approx(249_725.39, rel=REL)
    assert est.smeared_price == pytest.approx(253_803.89, rel=REL)
    assert est.low == pytest.approx(208_588, abs=1.0)
    assert est.high == pytest.approx(298_976, abs=1.0)
    # base levels of a one-hot variable add nothing; index_t = exp(δ_t)
    base = avm_estimate(model, {"area": 120.0, "age": 20.0},
                        {"structure": "reinforced_concrete", "town": "chengguan"},
                        time_effect=-0.03)
    assert base.ln_price == pytest.approx(est.ln_price + 0.05)
    assert model.index().loc["2025-06"] == pytest.approx(100 * math.exp(-0.03))


def test_hedonic_missing_feature_names_it() -> None:
    model = HedonicModel(8.0, {"area": 1.0}, frozenset({"area"}))
    with pytest.raises(DomainError) as err:
        avm_estimate(model, {})
    assert err.value.field == "area"


def test_smearing_and_accuracy() -> None:
    rng = np.random.default_rng(1)
    res = rng.normal(0, 0.18, 200_000)
    assert duan_smearing(res) == pytest.approx(math.exp(0.18**2 / 2), rel=2e-3)
    acc = avm_accuracy([95.0, 110.0, 100.0, 130.0], [100.0, 100.0, 100.0, 100.0])
    assert acc.mdape == pytest.approx(0.075)
    assert acc.ppe10 == pytest.approx(0.75)
    assert not acc.auto_update_allowed()


# ---------------------------------------------------------------------------- the 70-city index


def test_nbs_proxy_series_gaps_interpolated(guilin: PriceIndex, nbs: pd.DataFrame) -> None:
    assert guilin.first_month == pd.Period("2018-01", "M")
    assert guilin.last_month == pd.Period("2025-12", "M")
    by_month = dict(zip(nbs["month"], nbs["value"], strict=True))
    for gap in ("2024-01", "2025-01"):
        p = guilin.point(gap)
        assert p.interpolated and not p.extrapolated
        prev = by_month[pd.Period(gap, "M") - 1]
        nxt = by_month[pd.Period(gap, "M") + 1]
        assert p.level == pytest.approx((prev + nxt) / 2)
    published = guilin.point("2023-06")
    assert published.status == PUBLISHED
    assert published.level == by_month[pd.Period("2023-06", "M")]


def test_nbs_carry_forward_is_flagged(guilin: PriceIndex) -> None:
    last = guilin.level("2025-12")
    later = guilin.point("2026-06")
    assert later.extrapolated and later.level == last
    r = index_revalue(100_000, guilin, "2024-06", "2026-06")
    assert r.extrapolated
    assert r.ratio == pytest.approx(last / guilin.level("2024-06"))
    assert not index_revalue(100_000, guilin, "2024-06", "2025-12").extrapolated
    ext = PriceIndex.from_frame(guilin.to_frame().assign(value=lambda f: f["level"]),
                                extend_to="2026-06", extend_back_to="2017-01")
    assert ext.point("2017-05").extrapolated and ext.point("2026-03").status == EXTRAPOLATED
    assert ext.last_observed_month == pd.Period("2025-12", "M")
    with pytest.raises(DomainError) as err:
        guilin.point("2017-12", "from_date")
    assert err.value.field == "from_date"


def test_nbs_matches_synth_generator(nbs: pd.DataFrame, guilin: PriceIndex) -> None:
    from mortgage_risk.synth import hpi_series
    from mortgage_risk.synth.params import SynthParams

    series = pd.Series(nbs["value"].to_numpy(), index=nbs["month"])
    arr = hpi_series(SynthParams.load(), 12 * 12, series)  # 2015-01 .. 2026-12
    start = month_ordinal("2015-01")
    months = np.arange(month_ordinal("2018-01"), month_ordinal("2026-12") + 1)
    levels, _ = guilin.lookup(months)
    np.testing.assert_allclose(levels, arr[months - start], rtol=1e-12)


def test_rural_amplitude(guilin: PriceIndex) -> None:
    raw = guilin.ratio("2021-06", "2025-12")
    rural = guilin.with_amplitude(0.5)
    assert rural.ratio("2021-06", "2025-12") == pytest.approx(1 + 0.5 * (raw - 1))
    assert PriceIndex.from_frame(guilin.to_frame().rename(columns={"level": "value"}),
                                 amplitude=0.0).ratio("2021-06", "2025-12") == 1.0
    with pytest.raises(DomainError):
        guilin.with_amplitude(1.5)


def test_spliced_series_follow_newer_movements() -> None:
    old = PriceIndex.from_levels({"2020-01": 100.0, "2020-06": 105.0})
    new = PriceIndex.from_levels({"2020-06": 100.0, "2020-12": 90.0}, base="2020-06 = 100")
    joined = old.spliced(new, "2020-06")
    assert joined.level("2020-06") == pytest.approx(105.0)
    assert joined.ratio("2020-06", "2020-12") == pytest.approx(0.9)
    assert joined.ratio("2020-01", "2020-12") == pytest.approx(1.05 * 0.9)


def test_bad_index_inputs() -> None:
    with pytest.raises(DomainError) as err:
        PriceIndex.from_levels({"2020-01": 100.0, "2020-02": -1.0})
    assert err.value.field == "value"
    frame = pd.DataFrame({"month": ["2020-01", "2020-01"], "value": [100.0, 101.0]})
    with pytest.raises(DomainError, match="conflicting"):
        PriceIndex.from_frame(frame)
    with pytest.raises(DomainError) as err:
        PriceIndex.from_frame(pd.DataFrame({"month": ["2020-01"], "value": [1.0],
                                            "city": ["桂林"]}), city="北京")
    assert err.value.field == "city"
    with pytest.raises(DomainError) as err:
        index_revalue(-1.0, PriceIndex.from_levels({"2020-01": 1.0}), "2020-01", "2020-01")
    assert err.value.field == "value"
    with pytest.raises(DomainError):
        month_ordinal("not a month")


def test_month_ordinals_agree() -> None:
    from datetime import date

    assert month_ordinal(date(2025, 6, 30)) == pd.Period("2025-06", "M").ordinal
    arr = np.array(["2025-06-30", "2018-01-01"], dtype="datetime64[D]")
    assert month_ordinals(arr).tolist() == [month_ordinal("2025-06"), month_ordinal("2018-01")]
    assert month_ordinals(pd.PeriodIndex(["2025-06"], freq="M")).tolist() == [
        month_ordinal("2025-06")]


# ---------------------------------------------------------------------------- properties

levels_st = st.lists(st.floats(50.0, 200.0), min_size=3, max_size=60)


@settings(max_examples=200)
@given(levels_st, st.data(), st.floats(1.0, 1e7))
def test_revaluation_is_path_consistent(levels: list[float], data: st.DataObject,
                                        v0: float) -> None:
    idx = PriceIndex(month_ordinal("2019-01"), np.asarray(levels), np.zeros(len(levels),
                                                                            dtype=np.int8))
    n = len(levels) + 6  # past the end: carried forward
    a, b, c = (idx.start + data.draw(st.integers(0, n)) for _ in range(3))
    ab = index_revalue(v0, idx, a, b)
    bc = index_revalue(ab.value, idx, b, c)
    ac = index_revalue(v0, idx, a, c)
    assert bc.value == pytest.approx(ac.value, rel=1e-12)
    assert (ab.extrapolated or bc.extrapolated) >= ac.extrapolated


@given(levels_st, st.data(), st.floats(0.0, 1.0))
def test_damped_ratio_between_one_and_city_ratio(levels: list[float], data: st.DataObject,
                                                  amp: float) -> None:
    idx = PriceIndex(0, np.asarray(levels), np.zeros(len(levels), dtype=np.int8))
    a = data.draw(st.integers(0, len(levels) - 1))
    b = data.draw(st.integers(0, len(levels) - 1))
    raw = idx.ratio(a, b)
    damped = idx.with_amplitude(amp).ratio(a, b)
    lo, hi = sorted((1.0, raw))
    assert lo - 1e-12 <= damped <= hi + 1e-12
    r = index_revalue(1000.0, idx.with_amplitude(amp), a, b)
    assert r.lendable_value <= 1000.0
