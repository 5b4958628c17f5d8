"""The synthetic county book: borrowers, collateral, applications, loans, repayment histories
and external events of a fictional county union ("G县"), from a latent model with a known
formula (docs/synthetic-portfolio-model.md).

Pure: numpy and pandas only. Loans are simulated month by month as arrays over a chunk of
loans; one ``numpy.random.Generator(PCG64)`` per chunk, seeded from (seed, chunk index), so the
same (n_loans, seed, as_of, chunk_size) always gives the same book.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from mortgage_risk.synth.params import SynthParams

ProgressFn = Callable[[int, int], None]

TABLE_ORDER = (
    "branches",
    "borrowers",
    "properties",
    "applications",
    "loans",
    "repayments",
    "external_events",
)

DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "borrowers": ("birth_date",),
    "properties": ("appraisal_date",),
    "applications": ("submitted_on", "decided_on"),
    "loans": ("origination_date", "maturity_date", "as_of"),
    "repayments": ("due_date", "paid_date"),
    "external_events": ("event_date",),
    "truth": ("default_month", "first_30dpd_month", "prepaid_month", "written_off_month"),
    "portfolio_path": ("month_end",),
}

_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CHECK = np.array(list("10X98765432"))
_EPOCH = np.datetime64("2015-01", "M")


@dataclass
class SyntheticBook:
    """A generated book: the seven tables as frames, plus truth and diagnostics.

    The table frames carry exactly the columns of storage/tables.py (``officer_id`` null).
    ``truth`` holds one row per loan with what the bank cannot see (latent PD, default dates);
    ``portfolio_path`` holds the simulated year-end balances by delinquency state.
    """

    branches: pd.DataFrame
    borrowers: pd.DataFrame
    properties: pd.DataFrame
    applications: pd.DataFrame
    loans: pd.DataFrame
    repayments: pd.DataFrame
    external_events: pd.DataFrame
    truth: pd.DataFrame = field(default_factory=pd.DataFrame)
    portfolio_path: pd.DataFrame = field(default_factory=pd.DataFrame)
    params_version: str = ""

    def table_frames(self) -> dict[str, pd.DataFrame]:
        """Table name -> frame for the seven tables, in foreign-key-safe insert order."""
        return {name: getattr(self, name) for name in TABLE_ORDER}

    def npl_path(self) -> pd.DataFrame:
        """Simulated NPL ratio at each year end (and the as-of month) of the book."""
        return npl_path(self.portfolio_path)

    @classmethod
    def concat(cls, parts: list[SyntheticBook]) -> SyntheticBook:
        if not parts:
            raise ValueError("no parts to concatenate")
        frames = {}
        for f in fields(cls):
            if f.name == "params_version":
                continue
            if f.name == "branches":
                frames[f.name] = parts[0].branches
            elif f.name == "portfolio_path":
                path = pd.concat([p.portfolio_path for p in parts], ignore_index=True)
                frames[f.name] = path.groupby("month_end", as_index=False).sum()
            else:
                items = [getattr(p, f.name) for p in parts]
                frames[f.name] = pd.concat(items, ignore_index=True)
        return cls(**frames, params_version=parts[0].params_version)


def npl_path(portfolio_path: pd.DataFrame) -> pd.DataFrame:
    out = portfolio_path.copy()
    out["npl_ratio"] = out["npl_balance"] / out["total_balance"].where(out["total_balance"] > 0)
    out["special_mention_ratio"] = out["sm_balance"] / out["total_balance"].where(
        out["total_balance"] > 0
    )
    return out


# --------------------------------------------------------------------------- helpers


def _months_between(a: np.datetime64, b: np.datetime64) -> int:
    return int((np.datetime64(b, "M") - np.datetime64(a, "M")).astype(int))


def _month_index(text: str) -> int:
    return _months_between(_EPOCH, np.datetime64(text[:7], "M"))


def _month_date(month_idx: np.ndarray, day: np.ndarray | int) -> np.ndarray:
    """datetime64[D] of day ``day`` (1-28) in month ``month_idx`` counted from 2015-01."""
    first = (_EPOCH + month_idx.astype("timedelta64[M]")).astype("datetime64[D]")
    return first + (np.asarray(day) - 1).astype("timedelta64[D]")


def _step_series(points: list[list[Any]], n_months: int, default: float = 0.0) -> np.ndarray:
    """A monthly step function from [["YYYY-MM", value], ...] (each value holds until the next)."""
    out = np.full(n_months, default, dtype=np.float64)
    for text, value in sorted(points, key=lambda p: p[0]):
        idx = max(0, _month_index(text))
        if idx < n_months:
            out[idx:] = value
    return out


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


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _payment(principal: np.ndarray, r: np.ndarray, n: np.ndarray, method: np.ndarray) -> np.ndarray:
    """First monthly installment by method code (0 equal installment, 1 equal principal,
    2 interest-only bullet)."""
    growth = (1.0 + r) ** n
    annuity = principal * r * growth / (growth - 1.0)
    eq_principal = principal / n + principal * r
    bullet = principal * r
    return np.where(method == 0, annuity, np.where(method == 1, eq_principal, bullet))


def _amount_due(
    principal: np.ndarray, r: np.ndarray, n: np.ndarray, method: np.ndarray, j: np.ndarray
) -> np.ndarray:
    growth = (1.0 + r) ** n
    annuity = principal * r * growth / (growth - 1.0)
    eq_principal = principal / n + r * (principal - (j - 1) * principal / n)
    bullet = principal * r + np.where(j == n, principal, 0.0)
    return np.where(method == 0, annuity, np.where(method == 1, eq_principal, bullet))


def _balance_after(
    principal: np.ndarray, r: np.ndarray, n: np.ndarray, method: np.ndarray, j: np.ndarray
) -> np.ndarray:
    """Scheduled principal outstanding after ``j`` installments are paid."""
    j = np.minimum(j, n)
    growth_n = (1.0 + r) ** n
    annuity = principal * r * growth_n / (growth_n - 1.0)
    growth_j = (1.0 + r) ** j
    ei = principal * growth_j - annuity * (growth_j - 1.0) / r
    ep = principal * (1.0 - j / n)
    bullet = np.where(j >= n, 0.0, principal)
    out = np.where(method == 0, ei, np.where(method == 1, ep, bullet))
    return np.maximum(out, 0.0)


def _resident_ids(
    region: str, birth: np.ndarray, male: np.ndarray, counter: np.ndarray
) -> np.ndarray:
    """Unique 18-digit IDs: the sequence is the running count of (birth day, sex), kept in
    ``counter`` across chunks, so odd for men and even for women."""
    day = (birth - np.datetime64("1900-01-01")).astype(np.int64)
    key = day * 2 + male.astype(np.int64)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_key)) + 1]
    rank_sorted = np.arange(len(key)) - np.repeat(starts, np.diff(np.r_[starts, len(key)]))
    rank = np.empty_like(rank_sorted)
    rank[order] = rank_sorted
    rank = rank + counter[key]
    np.add.at(counter, key, 1)
    if rank.max(initial=0) >= 500:
        raise ValueError("too many borrowers share a birth date for one region code")
    seq = rank * 2 + male.astype(np.int64)  # odd for men
    ymd = pd.DatetimeIndex(birth).strftime("%Y%m%d").to_numpy(dtype=str)
    first17 = np.char.add(np.char.add(region, ymd), np.char.zfill(seq.astype(str), 3))
    digits = np.frombuffer(first17.astype("S17").tobytes(), dtype=np.uint8).reshape(-1, 17)
    total = ((digits.astype(np.int64) - 48) * _WEIGHTS).sum(axis=1)
    return np.char.add(first17, _CHECK[total % 11]).astype(object)


def _choice(
    rng: np.random.Generator, values: list[Any], weights: list[float] | np.ndarray, n: int
) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(np.asarray(values, dtype=object), size=n, p=w / w.sum())


# --------------------------------------------------------------------------- branches


def branches_frame(params: SynthParams) -> pd.DataFrame:
    rows = [
        {
            "id": i + 1,
            "code": b["code"],
            "name_zh": b["name_zh"],
            "name_en": b["name_en"],
            "kind": b["kind"],
            "township": b["township"],
        }
        for i, b in enumerate(params.branches)
    ]
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- applicants


@dataclass
class _Counters:
    """Running id offsets and resident-ID sequence counters across chunks."""

    borrower: int = 0
    property: int = 0
    application: int = 0
    loan: int = 0
    event: int = 0
    rid: np.ndarray = field(default_factory=lambda: np.zeros(2 * 60000, dtype=np.int64))


def _applicants(
    rng: np.random.Generator,
    params: SynthParams,
    n: int,
    t_asof: int,
    as_of: date,
    hpi: np.ndarray,
    riskier: bool,
) -> dict[str, np.ndarray]:
    """Borrower, collateral and loan terms for ``n`` applicants (vectorised)."""
    p = params
    ptypes = list(p.property_types)
    ptype_idx = rng.choice(
        len(ptypes), size=n, p=np.array([p.property_types[t]["share"] for t in ptypes])
    )
    ptype = np.asarray(ptypes, dtype=object)[ptype_idx]
    segs = p.segment_order
    seg_idx = np.empty(n, dtype=np.int64)
    for k, t in enumerate(ptypes):
        m = ptype_idx == k
        w = np.asarray(p.segment_given_property_type[t], dtype=float)
        seg_idx[m] = rng.choice(len(segs), size=int(m.sum()), p=w / w.sum())
    segment = np.asarray(segs, dtype=object)[seg_idx]

    # branch by kind weights of the property type
    br = p.branches
    kinds = np.array([b["kind"] for b in br])
    kind_names = ["county_town", "town", "village"]
    branch_idx = np.empty(n, dtype=np.int64)
    for k, t in enumerate(ptypes):
        m = np.flatnonzero(ptype_idx == k)
        kw = np.asarray(p.branch_kind_weight_by_property_type[t], dtype=float)
        w = np.array([kw[kind_names.index(kd)] / (kinds == kd).sum() for kd in kinds])
        branch_idx[m] = rng.choice(len(br), size=len(m), p=w / w.sum())
    branch_kind = kinds[branch_idx].astype(object)
    township = np.array([b["township"] for b in br], dtype=object)[branch_idx]

    # origination month and day
    g = p.loans["volume_growth_per_year"]
    t0 = max(0, _month_index(p.loans["first_origination"]))
    months = np.arange(t0, t_asof + 1)
    w = np.exp(g * months / 12.0)
    orig_m = rng.choice(months, size=n, p=w / w.sum())
    orig_d = rng.integers(1, 29, size=n)
    last = orig_m == t_asof
    orig_d[last] = np.minimum(orig_d[last], as_of.day)
    orig_date = _month_date(orig_m, orig_d)
    orig_year = (orig_m // 12 + 2015).astype(np.int64)

    # borrower: age, sex, birth
    age = 22.0 + 38.0 * rng.beta(1.6, 2.2, size=n)
    male = rng.random(n) < 0.72
    birth = orig_date - np.round(age * 365.25).astype("timedelta64[D]")
    frailty = rng.normal(0.0, p.latent_model["frailty_sd"], size=n)
    if riskier:
        frailty = frailty + 0.9
    zs = frailty / p.latent_model["frailty_sd"]

    # income
    lo = np.array([p.segments[s]["income"][0] for s in segs], dtype=float)[seg_idx]
    hi = np.array([p.segments[s]["income"][1] for s in segs], dtype=float)[seg_idx]
    income = np.exp(rng.uniform(np.log(lo), np.log(hi)))
    income = np.round(income / 100.0) * 100.0
    dependants = rng.binomial(4, 0.35, size=n)

    b = p.bureau
    overdue_accounts = rng.poisson(np.exp(b["overdue_accounts"][0] + b["overdue_accounts"][1] * zs))
    inquiries = rng.poisson(np.exp(b["hard_inquiries_3m"][0] + b["hard_inquiries_3m"][1] * zs))
    npl_elsewhere = rng.random(n) < _logistic(
        b["npl_elsewhere_logit"][0] + b["npl_elsewhere_logit"][1] * zs
    )
    dpd_lo, dpd_hi = b["max_dpd_24m_if_overdue"]
    max_dpd = np.where(
        overdue_accounts > 0,
        np.clip(np.round(rng.exponential(12.0 * np.exp(0.5 * zs))), dpd_lo, dpd_hi),
        0,
    ).astype(np.int64)
    max_dpd = np.where(npl_elsewhere, np.maximum(max_dpd, 91), max_dpd)
    od_lo, od_hi = b["other_debt_share_of_income"]
    other_debt = np.round(
        income / 12.0 * rng.uniform(od_lo, od_hi, size=n) * np.clip(1 + 0.3 * zs, 0.2, 2.0), 2
    )

    # collateral
    floor = np.zeros(n)
    land = np.zeros(n)
    value = np.zeros(n)
    storeys = np.full(n, -1, dtype=np.int64)
    bage = np.zeros(n, dtype=np.int64)
    structure = np.full(n, None, dtype=object)
    land_nature = np.full(n, "state_granted", dtype=object)
    land_term = np.full(n, np.nan)
    hpi_ref = hpi[_month_index(p.county["hpi_reference_month"])]
    for t in ptypes:
        m = np.flatnonzero(ptype == t)
        k = len(m)
        if k == 0:
            continue
        cfg = p.property_types[t]
        amp = cfg["hpi_amplitude"]
        factor = 1.0 + amp * (hpi[orig_m[m]] / hpi_ref - 1.0)
        if t == "land_management_right":
            mu = rng.uniform(*cfg["land_mu"], size=k)
            years = rng.uniform(*cfg["years"], size=k)
            land[m] = mu * 666.67
            value[m] = mu * rng.uniform(*cfg["rent_per_mu_year"], size=k) * years * 0.8
            land_nature[m] = "collective_construction"
            land_term[m] = np.round(years, 1)
            continue
        if t == "state_land_use_right":
            land[m] = rng.uniform(*cfg["land_area"], size=k)
            value[m] = land[m] * rng.uniform(*cfg["price_per_m2"], size=k) * factor
            land_term[m] = np.round(rng.uniform(15, 48, size=k), 1)
            continue
        floor[m] = rng.uniform(*cfg["floor_area"], size=k)
        price = rng.uniform(*cfg["price_per_m2"], size=k)
        value[m] = floor[m] * price * factor
        if t == "urban_housing":
            bage[m] = rng.integers(0, 21, size=k)
            storeys[m] = rng.choice([6, 7, 11, 18, 26, 33], size=k)
            structure[m] = np.where(bage[m] > 15, "brick_concrete", "reinforced_concrete")
            land[m] = floor[m] * rng.uniform(0.15, 0.4, size=k)
            land_term[m] = 70.0 - bage[m] - rng.integers(1, 4, size=k)
        elif t == "rural_house":
            bage[m] = rng.integers(0, 36, size=k)
            storeys[m] = rng.choice([1, 2, 3, 4], size=k, p=[0.15, 0.35, 0.35, 0.15])
            structure[m] = _choice(
                rng,
                [
                    "brick_concrete",
                    "reinforced_concrete",
                    "brick_wood_1",
                    "brick_wood_2",
                    "brick_wood_3",
                    "earth_timber",
                    "simple",
                ],
                [0.55, 0.12, 0.10, 0.10, 0.05, 0.05, 0.03],
                k,
            )
            land[m] = rng.uniform(100, 250, size=k)
            state = rng.random(k) < 0.4
            land_nature[m] = np.where(state, "state_granted", "collective_construction")
            land_term[m] = np.where(state, 70.0 - np.minimum(bage[m], 60) - 1, np.nan)
            # older houses are worth less: a simple newness factor
            value[m] *= np.clip(1.0 - bage[m] / 60.0, 0.45, 1.0)
        elif t in ("shop", "office"):
            bage[m] = rng.integers(0, 26, size=k)
            storeys[m] = rng.integers(1, 7, size=k) if t == "shop" else rng.integers(5, 21, size=k)
            structure[m] = np.where(rng.random(k) < 0.7, "reinforced_concrete", "brick_concrete")
            land[m] = floor[m] * rng.uniform(0.3, 1.0, size=k)
            land_term[m] = np.maximum(40.0 - bage[m], 5.0)
        elif t == "factory_warehouse":
            bage[m] = rng.integers(0, 31, size=k)
            storeys[m] = rng.choice([1, 2, 3], size=k, p=[0.6, 0.3, 0.1])
            structure[m] = _choice(
                rng,
                ["steel", "reinforced_concrete", "simple", "brick_concrete"],
                [0.5, 0.2, 0.15, 0.15],
                k,
            )
            land[m] = floor[m] * rng.uniform(1.2, 2.5, size=k)
            value[m] += land[m] * rng.uniform(*cfg["land_price_per_m2"], size=k) * factor
            land_term[m] = np.maximum(50.0 - bage[m], 5.0)
    build_year = np.where(storeys > 0, np.maximum(orig_year - bage, 1985), -1)
    value = np.round(value, -2)

    # terms
    L = p.loans
    term_years = np.zeros(n, dtype=np.int64)
    groups = {
        "residential": ("terms_years_residential", "terms_weights_residential"),
        "rural": ("terms_years_rural", "terms_weights_rural"),
        "commercial": ("terms_years_commercial", "terms_weights_commercial"),
        "land": ("terms_years_land", "terms_weights_land"),
    }
    group_of = {
        "urban_housing": "residential",
        "rural_house": "rural",
        "shop": "commercial",
        "office": "commercial",
        "factory_warehouse": "commercial",
        "state_land_use_right": "land",
        "land_management_right": "land",
    }
    gname = np.array([group_of[t] for t in ptypes], dtype=object)[ptype_idx]
    for gkey, (yk, wk) in groups.items():
        m = np.flatnonzero(gname == gkey)
        yrs = np.asarray(L[yk])
        w = np.asarray(L[wk], dtype=float)
        drawn = rng.choice(yrs, size=len(m), p=w / w.sum())
        # age at maturity mostly under the limit: cap at the largest allowed term that fits
        room = np.floor(L["max_age_at_maturity"] - age[m]).astype(np.int64)
        allowed = yrs[None, :] <= room[:, None]
        largest_fit = np.where(allowed.any(axis=1), (yrs[None, :] * allowed).max(axis=1), yrs.min())
        term_years[m] = np.minimum(drawn, largest_fit)
    term = term_years * 12

    business = np.isin(ptype, ["shop", "office", "factory_warehouse", "state_land_use_right"])
    method = np.zeros(n, dtype=np.int64)
    names = ["equal_installment", "equal_principal", "interest_only_bullet"]
    for flag, key in ((False, "method_shares_residential"), (True, "method_shares_business")):
        m = np.flatnonzero(business == flag)
        w = np.array([L[key][nm] for nm in names], dtype=float)
        method[m] = rng.choice(3, size=len(m), p=w / w.sum())
    method = np.where((method == 2) & (term > 120), 0, method)

    # rate: benchmark before the LPR reform, then LPR of the origination month, plus spread
    R = p.rates
    n_months = t_asof + 1
    base = np.full(n_months, R["benchmark_5y"])
    lpr = _step_series(R["lpr_5y"], n_months, default=R["benchmark_5y"])
    start = _month_index(R["lpr_start"])
    base[start:] = lpr[start:]
    spread = np.zeros(n)
    for t in ptypes:
        m = np.flatnonzero(ptype == t)
        spread[m] = rng.uniform(*R["spread_by_property_type"][t], size=len(m))
    spread += np.clip(0.001 * zs, -0.001, 0.002)
    spread = np.clip(spread, 0.003, 0.015)
    annual_rate = np.round(base[orig_m] + spread, 4)
    r = annual_rate / 12.0

    # amount: LTV of the appraised value, cut to the DTI cap
    ltv_lo, ltv_hi = L["ltv_bounds"]
    ltv = np.clip(rng.normal(L["ltv_mean"], L["ltv_sd"], size=n), ltv_lo, ltv_hi)
    step = L["amount_rounding"]
    amount = np.maximum(np.round(ltv * value / step) * step, L["min_amount"])
    per_unit = _payment(np.ones(n), r, term.astype(float), method)
    cap = rng.uniform(*L["dti_cap"], size=n)
    # borrowers mostly take collateral they can afford: lift a short income part of the way
    # towards what the loan needs (at most 30% above the segment's range)
    needed = 12.0 * (amount * per_unit + other_debt) / cap
    income = np.where(
        needed > income, np.minimum(needed * rng.uniform(0.8, 1.0, size=n), hi * 1.3), income
    )
    income = np.maximum(np.round(income / 100.0) * 100.0, lo)
    max_amount = np.maximum(cap * income / 12.0 - other_debt, 0.0) / per_unit
    cut = amount * per_unit + other_debt > cap * income / 12.0
    amount = np.where(cut, np.maximum(np.floor(max_amount / step) * step, L["min_amount"]), amount)
    if riskier:
        amount = np.round(amount * rng.uniform(1.0, 1.3, size=n) / step) * step
    ltv_orig = amount / value
    dti_orig = (amount * per_unit + other_debt) / (income / 12.0)

    return {
        "ptype": ptype,
        "segment": segment,
        "branch_idx": branch_idx,
        "branch_kind": branch_kind,
        "township": township,
        "orig_m": orig_m,
        "orig_d": orig_d,
        "orig_date": orig_date,
        "birth": birth.astype("datetime64[D]"),
        "male": male,
        "frailty": frailty,
        "income": income,
        "dependants": dependants,
        "overdue_accounts": overdue_accounts,
        "inquiries": inquiries,
        "npl_elsewhere": npl_elsewhere,
        "max_dpd": max_dpd,
        "other_debt": other_debt,
        "floor": np.round(floor, 2),
        "land": np.round(land, 2),
        "value": value,
        "storeys": storeys,
        "build_year": build_year,
        "structure": structure,
        "land_nature": land_nature,
        "land_term": np.clip(land_term, 0, 70),
        "term": term,
        "method": method,
        "annual_rate": annual_rate,
        "amount": amount,
        "ltv": ltv_orig,
        "dti": dti_orig,
    }


# --------------------------------------------------------------------------- simulation


def _static_predictor(params: SynthParams, a: dict[str, np.ndarray]) -> np.ndarray:
    lm = params.latent_model
    seg = np.vectorize(lm["segment_effect"].get, otypes=[float])(a["segment"])
    pt = np.vectorize(lm["property_type_effect"].get, otypes=[float])(a["ptype"])
    loc = np.vectorize(lm["location_effect"].get, otypes=[float])(a["branch_kind"])
    dti = lm["dti_coef"] * (np.minimum(a["dti"], 1.0) - lm["dti_center"])
    return lm["intercept"] + seg + pt + loc + dti + a["frailty"]


def _seasoning(params: SynthParams, age: np.ndarray) -> np.ndarray:
    s = params.latent_model["seasoning"]
    x = np.maximum(age, 0) / s["peak_month"]
    return s["peak_effect"] * x * np.exp(1.0 - x)


def _default_reach_probability(params: SynthParams) -> float:
    """P(a delinquency spell starting at 1 installment behind reaches 4 behind)."""
    ch = params.delinquency_chain
    q = 1.0
    for k in range(3):
        c, s = ch["cure"][k], ch["stay"][k]
        roll = 1.0 - c - s
        q *= roll / (roll + c)
    return q


@dataclass
class _SimResult:
    paid_hist: np.ndarray  # (n, T+1) paid-through installment count after each month
    end_month: np.ndarray  # last simulated month per loan
    prepaid_month: np.ndarray  # -1 if none
    written_off_month: np.ndarray
    default_month: np.ndarray
    first_30_month: np.ndarray
    path: pd.DataFrame


def _simulate(
    rng: np.random.Generator,
    params: SynthParams,
    a: dict[str, np.ndarray],
    t_asof: int,
    as_of: date,
    hpi: np.ndarray,
    macro: np.ndarray,
    progress: Callable[[float], None] | None,
) -> tuple[_SimResult, np.ndarray]:
    n = len(a["orig_m"])
    lm = params.latent_model
    ch = params.delinquency_chain
    cure = np.asarray(ch["cure"], dtype=float)
    stay = np.asarray(ch["stay"], dtype=float)
    kmax = len(cure)
    wo_after = ch["write_off_after_months_behind"]
    wo_p = ch["write_off_monthly"]
    prepay_p = params.loans["prepayment_monthly"]

    o = a["orig_m"].astype(np.int64)
    term = a["term"].astype(np.int64)
    last = np.where(a["orig_d"] <= as_of.day, t_asof, t_asof - 1)
    principal = a["amount"]
    r = a["annual_rate"] / 12.0
    nterm = term.astype(float)
    method = a["method"]
    static = _static_predictor(params, a)
    amp = np.vectorize(lambda t: params.property_types[t]["hpi_amplitude"], otypes=[float])(
        a["ptype"]
    )
    hpi_o = hpi[o]
    macro_w = np.vectorize(lm["macro_stress_weight"].get, otypes=[float])(a["segment"])

    T = t_asof + 1
    paid = np.zeros(n, dtype=np.int64)
    hist = np.zeros((n, T), dtype=np.int16)
    alive = np.ones(n, dtype=bool)
    prepaid_m = np.full(n, -1, dtype=np.int64)
    wo_m = np.full(n, -1, dtype=np.int64)
    def_m = np.full(n, -1, dtype=np.int64)
    d30_m = np.full(n, -1, dtype=np.int64)
    settled_m = np.full(n, -1, dtype=np.int64)
    path_rows = []
    for t in range(1, T):
        act = np.flatnonzero(alive & (o < t) & (t <= last))
        if len(act):
            age = t - o[act]
            p_prev = paid[act]
            k_prev = (age - 1) - p_prev
            due = age <= term[act]
            # revalued LTV on the scheduled balance
            bal = _balance_after(principal[act], r[act], nterm[act], method[act], p_prev)
            hp = 1.0 + amp[act] * (hpi[t] / hpi_o[act] - 1.0)
            ltv_now = bal / (a["value"][act] * np.maximum(hp, 0.2))
            lp = (
                static[act]
                + lm["ltv_coef"] * (ltv_now - lm["ltv_center"])
                + _seasoning(params, age)
                + macro[t] * macro_w[act]
            )
            h = _logistic(lp)
            u = rng.random(len(act))
            kk = np.clip(k_prev, 1, kmax) - 1
            new_paid = p_prev.copy()
            current = k_prev <= 0
            # current loans: pay this month's installment unless they enter delinquency
            pay_now = current & due & (u >= h)
            new_paid[pay_now] += 1
            # behind: cure (pay all due), stay (pay one), or roll (pay none)
            behind = ~current
            c = cure[kk]
            s = stay[kk]
            cured = behind & (u < c)
            stayed = behind & (u >= c) & (u < c + s)
            new_paid[cured] = np.minimum(age[cured], term[act][cured])
            new_paid[stayed] = np.minimum(p_prev[stayed] + 1, term[act][stayed])
            paid[act] = new_paid
            k_new = age - new_paid
            # events of the month
            idx_30 = act[(k_new >= 1) & (d30_m[act] < 0)]
            d30_m[idx_30] = t
            idx_def = act[(k_new >= 4) & (def_m[act] < 0)]
            def_m[idx_def] = t
            # settled at maturity: everything paid and nothing more to come
            done = new_paid >= term[act]
            settled_m[act[done]] = t
            alive[act[done]] = False
            # prepayment by current loans
            pre = (~done) & (k_new <= 0) & (age >= 6) & (rng.random(len(act)) < prepay_p)
            prepaid_m[act[pre]] = t
            paid[act[pre]] = term[act][pre]
            alive[act[pre]] = False
            # write-off of long-defaulted loans
            wo = (k_new >= wo_after) & (rng.random(len(act)) < wo_p) & ~done
            wo_m[act[wo]] = t
            alive[act[wo]] = False
        hist[:, t] = paid
        if (t % 12 == 11) or t == t_asof:
            # year-end (December) or as-of snapshot of the live book
            live = np.flatnonzero(alive & (o < t))
            ages = t - o[live]
            k = ages - paid[live]
            bal = _balance_after(principal[live], r[live], nterm[live], method[live], paid[live])
            mdate = (_EPOCH + np.timedelta64(t, "M")).astype("datetime64[D]")
            path_rows.append(
                {
                    "month_end": pd.Timestamp(mdate) + pd.offsets.MonthEnd(0),
                    "loans": len(live),
                    "total_balance": float(bal.sum()),
                    "npl_balance": float(bal[k >= 4].sum()),
                    "sm_balance": float(bal[(k >= 1) & (k < 4)].sum()),
                    "npl_loans": int((k >= 4).sum()),
                    "new_defaults_12m": int(((def_m > t - 12) & (def_m <= t)).sum()),
                    "written_off_12m": int(((wo_m > t - 12) & (wo_m <= t)).sum()),
                }
            )
        if progress is not None and t % 12 == 0:
            progress(t / T)
    end = np.where(wo_m >= 0, wo_m, np.where(prepaid_m >= 0, prepaid_m, last))
    end = np.where(settled_m >= 0, np.minimum(settled_m, end), end)
    res = _SimResult(
        paid_hist=hist,
        end_month=end,
        prepaid_month=prepaid_m,
        written_off_month=wo_m,
        default_month=def_m,
        first_30_month=d30_m,
        path=pd.DataFrame(path_rows),
    )
    return res, settled_m


# --------------------------------------------------------------------------- chunk


def _nullable_int(values: np.ndarray, valid: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.where(valid, values, 0).astype(np.int64), ~valid)


def _mdate(m: np.ndarray) -> pd.Series:
    """Month index -> month-start Timestamp, NaT where negative."""
    out = (_EPOCH + np.maximum(m, 0).astype("timedelta64[M]")).astype("datetime64[ns]")
    out = np.where(m >= 0, out, np.datetime64("NaT"))
    return pd.Series(out.astype("datetime64[ns]"))


def _chunk(
    params: SynthParams,
    seed: int,
    chunk_no: int,
    n: int,
    as_of: date,
    counters: _Counters,
    hpi: np.ndarray,
    macro: np.ndarray,
    progress: Callable[[float], None] | None,
) -> SyntheticBook:
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, chunk_no])))
    t_asof = _months_between(_EPOCH, np.datetime64(as_of, "M"))
    as_of64 = np.datetime64(as_of, "D")
    apc = params.applications
    n_dec = int(rng.binomial(n, apc["declined_extra_share"]))
    loans_a = _applicants(rng, params, n, t_asof, as_of, hpi, riskier=False)
    dec_a = _applicants(rng, params, n_dec, t_asof, as_of, hpi, riskier=True)
    a = {k: np.concatenate([loans_a[k], dec_a[k]]) for k in loans_a}
    m_all = n + n_dec
    is_loan = np.arange(m_all) < n

    # ineligible collateral: some approved (to be caught later), the rest declined
    n_inel = int(rng.binomial(m_all, apc["ineligible_share"]))
    n_inel_loan = min(int(rng.binomial(n_inel, apc["ineligible_approved_share"])), n)
    n_inel_dec = min(n_inel - n_inel_loan, n_dec)
    inel = np.zeros(m_all, dtype=bool)
    if n_inel_loan:
        inel[rng.choice(n, size=n_inel_loan, replace=False)] = True
    if n_inel_dec:
        inel[n + rng.choice(n_dec, size=n_inel_dec, replace=False)] = True
    inel_idx = np.flatnonzero(inel)
    kinds = _choice(rng, apc["ineligible_kinds"], apc["ineligible_kind_weights"], len(inel_idx))
    ptype = a["ptype"]
    # a homestead or illegal building needs a building; land rights become seizures instead
    no_building = np.isin(ptype[inel_idx], ["state_land_use_right", "land_management_right"])
    kinds = np.where(no_building, "seized", kinds)
    inel_kind = np.full(m_all, "", dtype=object)
    inel_kind[inel_idx] = kinds
    homestead = inel_kind == "homestead"
    small_pr = inel_kind == "small_property_rights"
    seized = inel_kind == "seized"
    illegal = inel_kind == "illegal_building"
    a["land_nature"] = np.where(homestead, "homestead", a["land_nature"])
    a["land_nature"] = np.where(small_pr, "collective_construction", a["land_nature"])
    a["land_term"] = np.where(homestead | small_pr, np.nan, a["land_term"])

    # ids
    b_id = counters.borrower + 1 + np.arange(m_all)
    p_id = counters.property + 1 + np.arange(m_all)
    app_id = counters.application + 1 + np.arange(m_all)
    loan_id = counters.loan + 1 + np.arange(n)
    branch_id = a["branch_idx"] + 1

    # borrowers
    rid = _resident_ids(params.county["region_code"], a["birth"], a["male"], counters.rid)
    nm = params.names
    surname = rng.choice(np.asarray(nm["surnames"], dtype=object), size=m_all)
    given = np.where(
        a["male"],
        rng.choice(np.asarray(nm["given_male"], dtype=object), size=m_all),
        rng.choice(np.asarray(nm["given_female"], dtype=object), size=m_all),
    )
    name = surname + given
    borrowers = pd.DataFrame(
        {
            "id": b_id,
            "resident_id": rid,
            "name": name,
            "segment": a["segment"],
            "township": a["township"],
            "branch_id": branch_id,
            "birth_date": a["birth"].astype("datetime64[ns]"),
            "household_income": np.round(a["income"], 2),
            "dependants": a["dependants"],
            "bureau_overdue_accounts": a["overdue_accounts"],
            "bureau_max_dpd_24m": a["max_dpd"],
            "bureau_hard_inquiries_3m": a["inquiries"],
            "bureau_npl_elsewhere": a["npl_elsewhere"],
            "other_monthly_debt": np.round(a["other_debt"], 2),
        }
    )

    # applications
    submitted = a["orig_date"] - rng.integers(10, 46, size=m_all).astype("timedelta64[D]")
    decided = a["orig_date"] - rng.integers(1, 8, size=m_all).astype("timedelta64[D]")
    appraisal = submitted + rng.integers(1, 6, size=m_all).astype("timedelta64[D]")
    method_names = np.array(["equal_installment", "equal_principal", "interest_only_bullet"])
    purposes = params.loans["purpose_by_property_type"]
    purpose = np.empty(m_all, dtype=object)
    for t, opts in purposes.items():
        m = np.flatnonzero(ptype == t)
        purpose[m] = rng.choice(np.asarray(opts, dtype=object), size=len(m))
    buying = np.isin(purpose, ["购房", "购置商铺"])
    purchase_price = np.where(
        buying, np.round(a["value"] * rng.uniform(0.95, 1.05, m_all), -2), np.nan
    )
    year = (a["orig_m"] // 12 + 2015).astype(str)
    app_no = np.char.add(np.char.add("SQ", year), np.char.zfill(app_id.astype(str), 9))
    status = np.where(is_loan, "disbursed", "declined").astype(object)
    applications = pd.DataFrame(
        {
            "id": app_id,
            "application_no": app_no.astype(object),
            "borrower_id": b_id,
            "property_id": p_id,
            "branch_id": branch_id,
            "officer_id": pd.array([pd.NA] * m_all, dtype="Int64"),
            "amount": np.round(a["amount"], 2),
            "term_months": a["term"],
            "repayment_method": method_names[a["method"]].astype(object),
            "purpose": purpose,
            "purchase_price": purchase_price,
            "co_owner_consent": rng.random(m_all) > np.where(is_loan, 0.0, 0.05),
            "status": status,
            "submitted_on": submitted.astype("datetime64[ns]"),
            "decided_on": decided.astype("datetime64[ns]"),
        }
    )

    # simulate the loans
    la = {k: v[:n] for k, v in a.items()}
    sim, settled_m = _simulate(rng, params, la, t_asof, as_of, hpi, macro, progress)
    o = la["orig_m"]
    d = la["orig_d"]
    term = la["term"]
    principal = la["amount"]
    r = la["annual_rate"] / 12.0
    method = la["method"]

    # repayment rows: one per due period up to the loan's last simulated month
    last_period = np.clip(np.minimum(term, sim.end_month - o), 0, None)
    total_rows = int(last_period.sum())
    li = np.repeat(np.arange(n), last_period)
    starts = np.r_[0, np.cumsum(last_period)[:-1]]
    j = np.arange(total_rows) - np.repeat(starts, last_period) + 1
    t_due = o[li] + j
    due_date = _month_date(t_due, d[li])
    amt_due = np.round(_amount_due(principal[li], r[li], term[li].astype(float), method[li], j), 2)
    hist = sim.paid_hist
    end_li = sim.end_month[li]
    paid_at_due = hist[li, t_due] >= j
    pay_m = np.where(paid_at_due, t_due, -1)
    late = np.flatnonzero(~paid_at_due)
    if len(late):
        lo = t_due[late] + 1
        hi = end_li[late] + 1
        rows_l = li[late]
        jj = j[late]
        while True:
            open_ = lo < hi
            if not open_.any():
                break
            mid = (lo + hi) // 2
            ok = np.zeros(len(late), dtype=bool)
            sel = np.flatnonzero(open_)
            ok[sel] = hist[rows_l[sel], np.minimum(mid[sel], hist.shape[1] - 1)] >= jj[sel]
            hi = np.where(open_ & ok, mid, hi)
            lo = np.where(open_ & ~ok, mid + 1, lo)
        pay_m[late] = np.where(lo <= end_li[late], lo, -1)
    ch = params.delinquency_chain
    tech = rng.random(total_rows) < ch["technical_delay_share"]
    lo_d, hi_d = ch["technical_delay_days"]
    delay = np.where(tech, rng.integers(lo_d, hi_d + 1, size=total_rows), 0)
    late_paid = (pay_m > t_due) & (pay_m >= 0)
    delay = np.where(late_paid, rng.integers(0, 6, size=total_rows), delay)
    paid_date = _month_date(np.maximum(pay_m, 0), d[li]) + delay.astype("timedelta64[D]")
    # a payment still on its way at the as-of date is not yet paid
    paid_ok = (pay_m >= 0) & (paid_date <= as_of64)
    # written-off loans: unpaid rows stay unpaid; prepaid loans: the last row pays the balance
    amt_paid = np.where(paid_ok, amt_due, 0.0)
    pre_row = (sim.prepaid_month[li] >= 0) & (j == last_period[li])
    bal_after = _balance_after(principal[li], r[li], term[li].astype(float), method[li], j)
    amt_paid = np.where(pre_row & paid_ok, np.round(amt_due + bal_after, 2), amt_paid)
    ref = np.where(paid_ok, paid_date, as_of64)
    row_dpd = np.maximum((ref - due_date).astype(np.int64), 0)
    paid_date_col = np.where(paid_ok, paid_date, np.datetime64("NaT"))
    repayments = pd.DataFrame(
        {
            "loan_id": loan_id[li],
            "period_no": j.astype(np.int32),
            "due_date": due_date.astype("datetime64[ns]"),
            "amount_due": amt_due,
            "amount_paid": amt_paid,
            "paid_date": paid_date_col.astype("datetime64[ns]"),
            "days_past_due": row_dpd.astype(np.int32),
        }
    )

    # loan state at the as-of date
    unpaid = ~paid_ok
    overdue = np.bincount(li, weights=np.where(unpaid, amt_due, 0.0), minlength=n)
    oldest_unpaid = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    un_rows = np.flatnonzero(unpaid)
    # rows are ordered by period within a loan, so the first unpaid row is the oldest
    first_un, first_pos = np.unique(li[un_rows], return_index=True)
    oldest_unpaid[first_un] = due_date[un_rows[first_pos]]
    dpd = np.where(np.isnat(oldest_unpaid), 0, (as_of64 - oldest_unpaid).astype(np.int64))
    dpd = np.maximum(dpd, 0)
    paid_now = np.bincount(li, weights=paid_ok.astype(float), minlength=n).astype(np.int64)
    written_off = sim.written_off_month >= 0
    settled = ((sim.prepaid_month >= 0) | (settled_m >= 0)) & ~written_off & (overdue < 0.005)
    status_l = np.where(written_off, "written_off", np.where(settled, "settled", "active"))
    outstanding = np.where(
        status_l == "active",
        np.round(_balance_after(principal, r, term.astype(float), method, paid_now), 2),
        0.0,
    )
    overdue = np.where(status_l == "written_off", 0.0, np.round(overdue, 2))
    f = params.five_category_dpd_floors
    five = np.select(
        [
            dpd >= f["loss"],
            dpd >= f["doubtful"],
            dpd >= f["substandard"],
            dpd >= f["special_mention"],
        ],
        ["loss", "doubtful", "substandard", "special_mention"],
        default="normal",
    ).astype(object)
    five = np.where(written_off, "loss", five)
    maturity = _month_date(o + term, d)
    year_l = (o // 12 + 2015).astype(str)
    contract = np.char.add(np.char.add("GXDK", year_l), np.char.zfill(loan_id.astype(str), 9))
    loans = pd.DataFrame(
        {
            "id": loan_id,
            "contract_no": contract.astype(object),
            "application_id": app_id[:n],
            "borrower_id": b_id[:n],
            "property_id": p_id[:n],
            "branch_id": branch_id[:n],
            "officer_id": pd.array([pd.NA] * n, dtype="Int64"),
            "principal": np.round(principal, 2),
            "term_months": term,
            "annual_rate": la["annual_rate"],
            "repayment_method": method_names[method].astype(object),
            "origination_date": la["orig_date"].astype("datetime64[ns]"),
            "maturity_date": maturity.astype("datetime64[ns]"),
            "status": status_l.astype(object),
            "outstanding_principal": outstanding,
            "overdue_amount": overdue,
            "days_past_due": dpd.astype(np.int64),
            "five_category": five,
            "as_of": pd.Series(np.full(n, as_of64).astype("datetime64[ns]")),
        }
    )

    # properties
    reg = np.where(is_loan, "registered", "not_registered").astype(object)
    reg[:n] = np.where(status_l == "settled", "released", reg[:n])
    cert_year = np.maximum((a["orig_m"] // 12 + 2015) - rng.integers(0, 6, m_all), 2016)
    cert_seq = np.char.zfill(rng.integers(1, 9_999_999, m_all).astype(str), 7)
    cert = np.char.add(
        np.char.add(np.char.add("桂(", cert_year.astype(str)), ")G县不动产权第"),
        np.char.add(cert_seq, "号"),
    ).astype(object)
    cert = np.where(small_pr | homestead | illegal, "", cert)
    road = np.asarray(
        ["人民路", "解放路", "新华街", "建设路", "中山路", "滨江路", "朝阳路"], dtype=object
    )
    village = np.asarray(
        ["上村", "下村", "新村", "坪头村", "水尾村", "岭脚村", "塘边村"], dtype=object
    )
    place = np.where(
        a["branch_kind"] == "county_town", rng.choice(road, m_all), rng.choice(village, m_all)
    )
    house_no = rng.integers(1, 300, m_all).astype(str)
    address = np.char.add(
        np.char.add((params.county["name_zh"] + a["township"] + place).astype(str), house_no), "号"
    )
    has_b = a["storeys"] > 0
    properties = pd.DataFrame(
        {
            "id": p_id,
            "owner_id": b_id,
            "property_type": a["ptype"],
            "land_nature": a["land_nature"],
            "structure": a["structure"],
            "storeys": _nullable_int(a["storeys"], has_b),
            "build_year": _nullable_int(a["build_year"], has_b),
            "floor_area": a["floor"],
            "land_area": a["land"],
            "land_term_remaining_years": np.round(a["land_term"], 2),
            "township": a["township"],
            "address": address.astype(object),
            "ownership_certificate_no": cert,
            "land_certificate_no": cert,
            "registration_status": reg,
            "seized": seized,
            "existing_mortgage": rng.random(m_all) < np.where(is_loan, 0.0, 0.03),
            "small_property_rights": small_pr,
            "illegal_building": illegal,
            "appraised_value": np.round(a["value"], 2),
            "appraisal_date": appraisal.astype("datetime64[ns]"),
        }
    )

    # truth: latent PD and performance, one row per loan
    q = _default_reach_probability(params)
    lm = params.latent_model
    static = _static_predictor(params, la)
    macro_w = np.vectorize(lm["macro_stress_weight"].get, otypes=[float])(la["segment"])
    amp = np.vectorize(lambda t: params.property_types[t]["hpi_amplitude"], otypes=[float])(
        la["ptype"]
    )
    hp_now = 1.0 + amp * (hpi[t_asof] / hpi[o] - 1.0)
    value_now = np.round(la["value"] * hp_now, 2)
    bal_now = _balance_after(principal, r, term.astype(float), method, paid_now)
    ltv_now = bal_now / np.maximum(value_now, 1.0)
    age_now = t_asof - o

    def pd12(age0: np.ndarray, ltv_x: np.ndarray, macro_x: float | np.ndarray) -> np.ndarray:
        surv = np.ones(n)
        for step in range(1, 13):
            lp = (
                static
                + lm["ltv_coef"] * (ltv_x - lm["ltv_center"])
                + _seasoning(params, age0 + step)
                + macro_x * macro_w
            )
            surv *= 1.0 - _logistic(lp) * q
        return 1.0 - surv

    pd_orig = pd12(np.zeros(n), la["ltv"], macro[o])
    pd_now = pd12(age_now, ltv_now, macro[t_asof])
    pd_now = np.where(dpd > 90, 1.0, pd_now)
    pd_now = np.where(status_l == "active", pd_now, np.nan)
    truth = pd.DataFrame(
        {
            "loan_id": loan_id,
            "borrower_id": b_id[:n],
            "segment": la["segment"],
            "property_type": la["ptype"],
            "branch_kind": la["branch_kind"],
            "frailty": np.round(la["frailty"], 4),
            "static_predictor": np.round(static, 4),
            "true_pd_12m_origination": pd_orig,
            "true_pd_12m": pd_now,
            "defaulted": sim.default_month >= 0,
            "default_month": _mdate(sim.default_month),
            "ever_30dpd": sim.first_30_month >= 0,
            "first_30dpd_month": _mdate(sim.first_30_month),
            "prepaid_month": _mdate(sim.prepaid_month),
            "written_off_month": _mdate(sim.written_off_month),
            "ltv_origination": np.round(la["ltv"], 4),
            "dti_origination": np.round(la["dti"], 4),
            "property_value_now": value_now,
            "hpi_ratio": np.round(hp_now, 4),
            "ltv_now": np.round(ltv_now, 4),
            "ineligible_collateral": inel[:n],
            "ineligible_kind": inel_kind[:n],
        }
    )

    # external events
    events = _events(rng, params, la, b_id[:n], name[:n], rid[:n], sim, as_of64, counters.event)

    counters.borrower += m_all
    counters.property += m_all
    counters.application += m_all
    counters.loan += n
    counters.event += len(events)
    return SyntheticBook(
        branches=branches_frame(params),
        borrowers=borrowers,
        properties=properties,
        applications=applications,
        loans=loans,
        repayments=repayments,
        external_events=events,
        truth=truth,
        portfolio_path=sim.path,
        params_version=params.version,
    )


_DETAIL = {
    "court_enforcement": "被列为被执行人，执行标的{amt}元",
    "dishonest_debtor": "被列入失信被执行人名单，执行标的{amt}元",
    "lawsuit": "民间借贷纠纷被诉，诉讼标的{amt}元",
    "business_deregistration": "个体工商户注销登记",
    "abnormal_operation": "被列入经营异常名录：未按期公示年度报告",
    "collateral_seizure": "抵押物被法院查封，查封期限三年",
    "death_or_illness": "重大疾病住院或户籍注销",
}


def _events(
    rng: np.random.Generator,
    params: SynthParams,
    a: dict[str, np.ndarray],
    borrower_id: np.ndarray,
    name: np.ndarray,
    rid: np.ndarray,
    sim: _SimResult,
    as_of64: np.datetime64,
    offset: int,
) -> pd.DataFrame:
    ev = params.events
    n = len(borrower_id)
    defaulted = sim.default_month >= 0
    business = a["segment"] == "business_owner"
    o = a["orig_m"]
    t_asof = _months_between(_EPOCH, np.datetime64(as_of64, "M"))
    parts = []
    lead_lo, lead_hi = ev["lead_months"]
    for etype, src in ev["sources"].items():
        eligible = business if etype in ev["business_only"] else np.ones(n, dtype=bool)
        hit_def = defaulted & eligible & (rng.random(n) < ev["defaulter_probability"][etype])
        hit_fa = ~defaulted & eligible & (rng.random(n) < ev["false_alarm_probability"][etype])
        idx_d = np.flatnonzero(hit_def)
        idx_f = np.flatnonzero(hit_fa)
        m_d = sim.default_month[idx_d] + rng.integers(lead_lo, lead_hi + 1, len(idx_d))
        span = np.maximum(t_asof - o[idx_f], 1)
        m_f = o[idx_f] + 1 + np.floor(rng.random(len(idx_f)) * span).astype(np.int64)
        idx = np.r_[idx_d, idx_f]
        mon = np.clip(np.r_[m_d, m_f], o[idx] + 1, t_asof)
        day = _month_date(mon, rng.integers(1, 29, len(idx)))
        day = np.minimum(day, as_of64)
        parts.append(
            pd.DataFrame({"i": idx, "event_type": etype, "source": src, "event_date": day})
        )
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.sort_values(["event_date", "i", "event_type"], kind="stable").reset_index(
        drop=True
    )
    k = len(frame)
    i = frame["i"].to_numpy()
    name_only = rng.random(k) < ev["name_only_share"]
    amt = (np.round(rng.lognormal(11.0, 0.8, k), -2)).astype(np.int64)
    detail = [
        _DETAIL[t].format(amt=f"{x:,}") for t, x in zip(frame["event_type"], amt, strict=True)
    ]
    received = (
        pd.to_datetime(frame["event_date"])
        + pd.to_timedelta(rng.integers(1, 11, k), unit="D")
        + pd.to_timedelta(rng.integers(8 * 3600, 20 * 3600, k), unit="s")
    ).dt.tz_localize("Asia/Shanghai")
    return pd.DataFrame(
        {
            "id": offset + 1 + np.arange(k),
            "borrower_id": _nullable_int(borrower_id[i], ~name_only),
            "event_type": frame["event_type"].to_numpy(dtype=object),
            "event_date": pd.to_datetime(frame["event_date"]).astype("datetime64[ns]"),
            "source": frame["source"].to_numpy(dtype=object),
            "subject_name": name[i],
            "subject_resident_id": np.where(name_only, None, rid[i]),
            "match_confidence": np.where(name_only, "name_only", "resident_id").astype(object),
            "detail": np.asarray(detail, dtype=object),
            "received_at": received.to_numpy(),
        }
    )


# --------------------------------------------------------------------------- public API


def generate_chunks(
    n_loans: int,
    seed: int,
    as_of: date,
    chunk_size: int = 100_000,
    *,
    params: SynthParams | None = None,
    progress: ProgressFn | None = None,
    hpi: pd.Series | None = None,
) -> Iterator[SyntheticBook]:
    """Yield the book in parts of at most ``chunk_size`` loans with globally unique ids.

    The same (n_loans, seed, as_of, chunk_size, params) always yields the same parts.
    ``progress(done, total)`` counts loans.
    """
    if n_loans < 0:
        raise ValueError("n_loans must not be negative")
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    if as_of < date(2015, 2, 1):
        raise ValueError("as_of must be after the first origination month (2015-01)")
    params = params or SynthParams.load()
    t_asof = _months_between(_EPOCH, np.datetime64(as_of, "M"))
    n_months = t_asof + 1
    hpi_arr = hpi_series(params, n_months, hpi)
    macro = _step_series(params.latent_model["macro_path"], n_months)
    counters = _Counters()
    done = 0
    chunk_no = 0
    while done < n_loans or (n_loans == 0 and chunk_no == 0):
        size = min(chunk_size, n_loans - done)

        def sub(frac: float, _done: int = done, _size: int = size) -> None:
            if progress is not None:
                progress(_done + int(frac * _size * 0.8), n_loans)

        yield _chunk(params, seed, chunk_no, size, as_of, counters, hpi_arr, macro, sub)
        done += size
        chunk_no += 1
        if progress is not None:
            progress(done, n_loans)
        if n_loans == 0:
            break


def generate(
    n_loans: int,
    seed: int,
    as_of: date,
    *,
    params: SynthParams | None = None,
    progress: ProgressFn | None = None,
    chunk_size: int = 100_000,
) -> SyntheticBook:
    """The whole book in memory (the concatenation of :func:`generate_chunks`)."""
    parts = list(
        generate_chunks(n_loans, seed, as_of, chunk_size, params=params, progress=progress)
    )
    return SyntheticBook.concat(parts)
