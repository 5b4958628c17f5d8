"""Vectorised batch revaluation equals the scalar functions and trigger rules."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mortgage_risk.domain import DomainError, PropertyType
from mortgage_risk.valuation.batch import (
    FLAG_EXTRAPOLATED,
    FLAG_LTV_BREACH,
    PROPERTY_TYPES,
    batch_revalue,
    encode_property_types,
)
from mortgage_risk.valuation.index import PriceIndex, month_ordinal
from mortgage_risk.valuation.revaluation import cltv, index_revalue, ltv
from mortgage_risk.valuation.triggers import CollateralState, TriggerThresholds, evaluate_triggers

BATCH_CODES = {"T2_VALUE_DROP": "value_drop", "T3_LTV_BREACH": "ltv_breach",
               "T3_LTV_WATCH": "ltv_watch", "T3_CLTV_ESCALATE": "cltv_escalate",
               "T6_STALE_REPORT": "stale_report"}


@pytest.fixture(scope="module")
def guilin() -> PriceIndex:
    from mortgage_risk.datasets import load_house_price_index

    return PriceIndex.from_frame(load_house_price_index("桂林", "二手房", "整体"))


def make_book(n: int, seed: int, index: PriceIndex, as_of: date) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    first = np.datetime64(index.first_month.start_time.date(), "D")
    last = np.datetime64(as_of, "D")
    span = int((last - first).astype(np.int64))
    appraised = first + rng.integers(0, span + 1, n).astype("timedelta64[D]")
    value = rng.uniform(50_000, 900_000, n).round(2)
    prior = np.where(rng.random(n) < 0.2, value * rng.uniform(0.05, 0.4, n), 0.0).round(2)
    balance = (value * rng.uniform(0.0, 0.9, n)).round(2)
    return {
        "last_value": value, "appraised_on": appraised, "balance": balance,
        "prior_claims": prior, "property_type": rng.integers(0, len(PROPERTY_TYPES), n),
        "rural": rng.random(n) < 0.3,
        "ltv_cap": rng.choice([0.4, 0.5, 0.6, 0.7], n),
    }


def scalar_check(book: dict[str, Any], i: int, index: PriceIndex, as_of: date,
                 result_amp: float, thresholds: TriggerThresholds) -> dict[str, object]:
    appraised = book["appraised_on"][i].astype("datetime64[D]").item()
    iv = index_revalue(float(book["last_value"][i]), index.with_amplitude(result_amp),
                       appraised, as_of)
    state = CollateralState(
        property_type=PROPERTY_TYPES[int(book["property_type"][i])],
        last_appraised_value=float(book["last_value"][i]), last_appraisal_date=appraised,
        current_value=iv.value, balance=float(book["balance"][i]),
        prior_claims=float(book["prior_claims"][i]), ltv_cap=float(book["ltv_cap"][i]),
        thin_market=bool(book["rural"][i]))
    fired = {t.code for t in evaluate_triggers(state, thresholds, as_of)}
    return {"value": iv.value, "ratio": iv.ratio, "extrapolated": iv.extrapolated,
            "ltv": ltv(state.balance, iv.value, state.prior_claims),
            "cltv": cltv(state.balance, iv.value, state.prior_claims),
            **{name: code in fired for code, name in BATCH_CODES.items()}}


@pytest.mark.parametrize("as_of", [date(2025, 9, 30), date(2026, 6, 30)])
def test_batch_equals_scalar_on_random_book(guilin: PriceIndex, as_of: date) -> None:
    book = make_book(3_000, seed=7, index=guilin, as_of=as_of)
    t = TriggerThresholds()
    res = batch_revalue(guilin, as_of, thresholds=t, **book)
    for i in range(res.size):
        want = scalar_check(book, i, guilin, as_of, float(res.amplitude[i]), t)
        assert res.value[i] == want["value"], i  # bit-identical
        assert res.ratio[i] == want["ratio"]
        assert res.ltv[i] == want["ltv"] and res.cltv[i] == want["cltv"]
        assert bool(res.extrapolated[i]) == want["extrapolated"]
        for name in BATCH_CODES.values():
            assert bool(getattr(res, name)[i]) == want[name], (i, name)
    if as_of > date(2025, 12, 31):
        assert res.extrapolated.all()
    else:
        assert not res.extrapolated.any()
    assert 0 < res.summary()["value_drop"] < res.size


def test_amplitude_from_type_and_rural_flag(guilin: PriceIndex) -> None:
    codes = encode_property_types(["urban_housing", "rural_house", PropertyType.SHOP,
                                   "land_management_right", "urban_housing"])
    appraised = np.array(["2020-01"] * 5, dtype="datetime64[M]")
    res = batch_revalue(guilin, date(2025, 12, 31), last_value=np.full(5, 100_000.0),
                        appraised_on=appraised, balance=np.zeros(5), property_type=codes,
                        rural=np.array([False, False, False, False, True]))
    np.testing.assert_array_equal(res.amplitude, [1.0, 0.5, 1.0, 0.0, 0.5])
    raw = guilin.ratio("2020-01", "2025-12")
    np.testing.assert_allclose(res.ratio, [raw, 1 + 0.5 * (raw - 1), raw, 1.0,
                                           1 + 0.5 * (raw - 1)], rtol=1e-15)
    np.testing.assert_array_equal(res.cap, [0.7, 0.5, 0.6, 0.5, 0.7])  # type table caps


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(0, 2**32 - 1), st.floats(0.0, 1.0))
def test_batch_equals_scalar_property(n: int, seed: int, amp: float) -> None:
    rng = np.random.default_rng(seed)
    levels = rng.uniform(60, 140, 30)
    idx = PriceIndex(month_ordinal("2023-01"), levels, np.zeros(30, dtype=np.int8))
    months = month_ordinal("2023-01") + rng.integers(0, 36, n)
    as_of = date(2026, 1, 31)
    value = rng.uniform(1e4, 1e6, n)
    bal = value * rng.uniform(0, 1.2, n)
    prior = value * rng.uniform(0, 0.6, n)
    res = batch_revalue(idx, as_of, last_value=value, appraised_on=months, balance=bal,
                        prior_claims=prior, ltv_cap=0.6, amplitude=amp)
    damped = idx.with_amplitude(amp)
    for i in range(n):
        iv = index_revalue(float(value[i]), damped, int(months[i]), as_of)
        assert res.value[i] == iv.value
        assert res.ltv[i] == ltv(float(bal[i]), iv.value, float(prior[i]))
        assert bool(res.extrapolated[i]) == iv.extrapolated


def test_report_age_by_day_and_by_month(guilin: PriceIndex) -> None:
    as_of = date(2025, 12, 31)
    days = np.array([as_of - timedelta(days=365), as_of - timedelta(days=366)],
                    dtype="datetime64[D]")
    res = batch_revalue(guilin, as_of, last_value=[1.0, 1.0], appraised_on=days,
                        balance=[0.0, 0.0], ltv_cap=0.6)
    assert res.stale_report.tolist() == [False, True]
    # months count from the first of the month: 2024-12-01 is 395 days before as_of
    res_m = batch_revalue(guilin, as_of, last_value=[1.0], appraised_on=[month_ordinal("2024-12")],
                          balance=[0.0], ltv_cap=0.6)
    assert res_m.report_age_days.tolist() == [395] and res_m.stale_report.all()


def test_flags_bitmask_and_frame(guilin: PriceIndex) -> None:
    res = batch_revalue(guilin, date(2026, 3, 31), last_value=[100.0, 100.0],
                        appraised_on=np.array(["2025-11", "2025-12"], dtype="datetime64[M]"),
                        balance=[90.0, 10.0], ltv_cap=0.6)
    flags = res.flags
    assert flags[0] & FLAG_LTV_BREACH and not flags[1] & FLAG_LTV_BREACH
    assert (flags & FLAG_EXTRAPOLATED).all()
    frame = res.to_frame()
    assert len(frame) == 2 and set(frame.columns) >= {"value", "ltv", "stale_report"}


def test_bad_inputs_name_the_field(guilin: PriceIndex) -> None:
    ok: dict[str, Any] = {"last_value": [1.0], "appraised_on": [month_ordinal("2020-01")],
                          "balance": [0.0], "ltv_cap": 0.6}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"last_value": [-1.0]}, "last_value"),
        ({"balance": [0.0, 1.0]}, "balance"),
        ({"appraised_on": [month_ordinal("2017-01")]}, "appraised_on"),
        ({"appraised_on": [month_ordinal("2030-01")]}, "appraised_on"),
        ({"ltv_cap": None}, "ltv_cap"),
        ({"property_type": [99]}, "property_type"),
        ({"last_value": [float("nan")]}, "last_value"),
    ]
    for change, field in cases:
        with pytest.raises(DomainError) as err:
            batch_revalue(guilin, date(2025, 12, 31), **{**ok, **change})
        assert err.value.field == field, change
    with pytest.raises(DomainError) as err:
        encode_property_types(["castle"])
    assert err.value.field == "property_type"


def test_million_properties_fast(guilin: PriceIndex) -> None:
    as_of = date(2025, 12, 31)
    book = make_book(1_000_000, seed=3, index=guilin, as_of=as_of)
    start = time.perf_counter()
    res = batch_revalue(guilin, as_of, **book)
    elapsed = time.perf_counter() - start
    assert res.size == 1_000_000
    assert elapsed < 10.0  # a few hundred ms in practice; the bar is 30 s
