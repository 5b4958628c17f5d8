"""The book's market: house prices, macro stress and the 5-year base lending rate, one value
per month from 2015-01 to the as-of month."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mortgage_risk.synth.months import month_index, step_series
from mortgage_risk.synth.params import SynthParams


def hpi_series(params: SynthParams, n_months: int, hpi: pd.Series | None = None) -> np.ndarray:
    """The proxy city's index by month from 2015-01: gaps interpolated, flat before the first
    and after the last published month."""
    if hpi is None:
        from mortgage_risk.datasets import load_house_price_index

        c = params.county
        frame = load_house_price_index(c["hpi_proxy_city"], c["hpi_house_type"], c["hpi_segment"])
        if frame.empty:
            raise ValueError(f"no index rows for proxy city {c['hpi_proxy_city']}")
        hpi = pd.Series(frame["value"].to_numpy(), index=frame["month"])
    idx = pd.period_range("2015-01", periods=n_months, freq="M")
    series = pd.Series(hpi.to_numpy(dtype=float), index=pd.PeriodIndex(hpi.index, freq="M"))
    series = series[~series.index.duplicated()].sort_index()
    full = series.reindex(idx.union(pd.PeriodIndex(series.index)))
    full = full.interpolate(method="linear", limit_area="inside").ffill().bfill()
    return full.reindex(idx).to_numpy(dtype=np.float64)


def base_rate_series(params: SynthParams, n_months: int) -> np.ndarray:
    """The 5-year benchmark rate before the LPR reform, then the 5-year LPR."""
    rates = params.rates
    base = np.full(n_months, rates["benchmark_5y"])
    lpr = step_series(rates["lpr_5y"], n_months, default=rates["benchmark_5y"])
    start = month_index(rates["lpr_start"])
    base[start:] = lpr[start:]
    return base


@dataclass(frozen=True)
class Market:
    """Monthly series of the book: ``hpi`` (proxy city index), ``macro`` (stress path of the
    latent model) and ``base_rate`` (annual 5-year base lending rate)."""

    hpi: np.ndarray
    macro: np.ndarray
    base_rate: np.ndarray

    @classmethod
    def build(cls, params: SynthParams, n_months: int, hpi: pd.Series | None = None) -> Market:
        return cls(
            hpi=hpi_series(params, n_months, hpi),
            macro=step_series(params.latent_model["macro_path"], n_months),
            base_rate=base_rate_series(params, n_months),
        )
