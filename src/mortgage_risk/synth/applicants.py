"""Applicants: the borrower (age, income, bureau record), the collateral they pledge and the
loan terms they are offered (term, repayment method, rate, amount), all drawn vectorised.

An applicant is a ``dict`` of equal-length arrays (see :func:`draw_applicants` for the keys).
"""

from __future__ import annotations

from datetime import date

import numpy as np

from mortgage_risk.synth.collateral import draw_collateral
from mortgage_risk.synth.county import choose_branches
from mortgage_risk.synth.latent import logistic
from mortgage_risk.synth.market import Market
from mortgage_risk.synth.months import calendar_year, month_date, month_index
from mortgage_risk.synth.params import SynthParams
from mortgage_risk.synth.schedule import first_payment

Applicants = dict[str, np.ndarray]

METHOD_NAMES = ("equal_installment", "equal_principal", "interest_only_bullet")
_BUSINESS_PROPERTY_TYPES = ["shop", "office", "factory_warehouse", "state_land_use_right"]
_TERM_GROUPS = {
    "residential": ("terms_years_residential", "terms_weights_residential"),
    "rural": ("terms_years_rural", "terms_weights_rural"),
    "commercial": ("terms_years_commercial", "terms_weights_commercial"),
    "land": ("terms_years_land", "terms_weights_land"),
}
_TERM_GROUP_OF = {
    "urban_housing": "residential",
    "rural_house": "rural",
    "shop": "commercial",
    "office": "commercial",
    "factory_warehouse": "commercial",
    "state_land_use_right": "land",
    "land_management_right": "land",
}


def _property_types_and_segments(
    rng: np.random.Generator, params: SynthParams, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """(property type index, segment index): the type by its share, the borrower's segment
    given the type."""
    p = params
    ptypes = list(p.property_types)
    ptype_idx = rng.choice(
        len(ptypes), size=n, p=np.array([p.property_types[t]["share"] for t in ptypes])
    )
    segs = p.segment_order
    seg_idx = np.empty(n, dtype=np.int64)
    for k, t in enumerate(ptypes):
        m = ptype_idx == k
        w = np.asarray(p.segment_given_property_type[t], dtype=float)
        seg_idx[m] = rng.choice(len(segs), size=int(m.sum()), p=w / w.sum())
    return ptype_idx, seg_idx


def _origination(
    rng: np.random.Generator, params: SynthParams, n: int, t_asof: int, as_of: date
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(month, day, date) of origination: volume grows by a yearly rate up to the as-of date."""
    g = params.loans["volume_growth_per_year"]
    t0 = max(0, month_index(params.loans["first_origination"]))
    months = np.arange(t0, t_asof + 1)
    w = np.exp(g * months / 12.0)
    orig_m = rng.choice(months, size=n, p=w / w.sum())
    orig_d = rng.integers(1, 29, size=n)
    last = orig_m == t_asof
    orig_d[last] = np.minimum(orig_d[last], as_of.day)
    return orig_m, orig_d, month_date(orig_m, orig_d)


def _person(
    rng: np.random.Generator, params: SynthParams, orig_date: np.ndarray, riskier: bool
) -> dict[str, np.ndarray]:
    """Age at origination, sex, birth date and the latent frailty (higher for the riskier
    applicants the union declines)."""
    n = len(orig_date)
    age = 22.0 + 38.0 * rng.beta(1.6, 2.2, size=n)
    male = rng.random(n) < 0.72
    birth = orig_date - np.round(age * 365.25).astype("timedelta64[D]")
    frailty = rng.normal(0.0, params.latent_model["frailty_sd"], size=n)
    if riskier:
        frailty = frailty + 0.9
    return {"age": age, "male": male, "birth": birth, "frailty": frailty}


def _income(
    rng: np.random.Generator, params: SynthParams, seg_idx: np.ndarray
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """(household income, its segment's (low, high) range): log-uniform in the range."""
    segs = params.segment_order
    lo = np.array([params.segments[s]["income"][0] for s in segs], dtype=float)[seg_idx]
    hi = np.array([params.segments[s]["income"][1] for s in segs], dtype=float)[seg_idx]
    income = np.exp(rng.uniform(np.log(lo), np.log(hi)))
    return np.round(income / 100.0) * 100.0, (lo, hi)


def _bureau(
    rng: np.random.Generator, params: SynthParams, zs: np.ndarray, income: np.ndarray
) -> dict[str, np.ndarray]:
    """The credit bureau record, worse for frailer borrowers (``zs`` is standardised
    frailty)."""
    n = len(zs)
    b = params.bureau
    overdue_accounts = rng.poisson(np.exp(b["overdue_accounts"][0] + b["overdue_accounts"][1] * zs))
    inquiries = rng.poisson(np.exp(b["hard_inquiries_3m"][0] + b["hard_inquiries_3m"][1] * zs))
    npl_elsewhere = rng.random(n) < logistic(
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
    return {
        "overdue_accounts": overdue_accounts,
        "inquiries": inquiries,
        "npl_elsewhere": npl_elsewhere,
        "max_dpd": max_dpd,
        "other_debt": other_debt,
    }


def _term_months(
    rng: np.random.Generator, params: SynthParams, ptype_idx: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """Term by the property type's group, capped so the loan matures before the age limit
    where an allowed term fits."""
    loans = params.loans
    term_years = np.zeros(len(ptype_idx), dtype=np.int64)
    group_of = np.array([_TERM_GROUP_OF[t] for t in params.property_types], dtype=object)
    gname = group_of[ptype_idx]
    for gkey, (yk, wk) in _TERM_GROUPS.items():
        m = np.flatnonzero(gname == gkey)
        yrs = np.asarray(loans[yk])
        w = np.asarray(loans[wk], dtype=float)
        drawn = rng.choice(yrs, size=len(m), p=w / w.sum())
        # age at maturity mostly under the limit: cap at the largest allowed term that fits
        room = np.floor(loans["max_age_at_maturity"] - age[m]).astype(np.int64)
        allowed = yrs[None, :] <= room[:, None]
        largest_fit = np.where(allowed.any(axis=1), (yrs[None, :] * allowed).max(axis=1), yrs.min())
        term_years[m] = np.minimum(drawn, largest_fit)
    return term_years * 12


def _repayment_method(
    rng: np.random.Generator, params: SynthParams, ptype: np.ndarray, term: np.ndarray
) -> np.ndarray:
    """Method code by residential or business shares; no bullet over ten years."""
    business = np.isin(ptype, _BUSINESS_PROPERTY_TYPES)
    method = np.zeros(len(ptype), dtype=np.int64)
    for flag, key in ((False, "method_shares_residential"), (True, "method_shares_business")):
        m = np.flatnonzero(business == flag)
        w = np.array([params.loans[key][nm] for nm in METHOD_NAMES], dtype=float)
        method[m] = rng.choice(3, size=len(m), p=w / w.sum())
    return np.where((method == 2) & (term > 120), 0, method)


def _annual_rate(
    rng: np.random.Generator,
    params: SynthParams,
    ptype: np.ndarray,
    zs: np.ndarray,
    orig_m: np.ndarray,
    base_rate: np.ndarray,
) -> np.ndarray:
    """The base rate of the origination month plus a spread by property type and risk."""
    rates = params.rates
    spread = np.zeros(len(ptype))
    for t in params.property_types:
        m = np.flatnonzero(ptype == t)
        spread[m] = rng.uniform(*rates["spread_by_property_type"][t], size=len(m))
    spread += np.clip(0.001 * zs, -0.001, 0.002)
    spread = np.clip(spread, 0.003, 0.015)
    return np.round(base_rate[orig_m] + spread, 4)


def _loan_amount(
    rng: np.random.Generator,
    params: SynthParams,
    *,
    value: np.ndarray,
    income: np.ndarray,
    income_range: tuple[np.ndarray, np.ndarray],
    other_debt: np.ndarray,
    annual_rate: np.ndarray,
    term: np.ndarray,
    method: np.ndarray,
    riskier: bool,
) -> dict[str, np.ndarray]:
    """Amount as an LTV of the appraised value, cut to the DTI cap; the income of a borrower
    short of it is lifted part of the way. Returns amount, income, ltv and dti."""
    loans = params.loans
    n = len(value)
    lo, hi = income_range
    ltv_lo, ltv_hi = loans["ltv_bounds"]
    ltv = np.clip(rng.normal(loans["ltv_mean"], loans["ltv_sd"], size=n), ltv_lo, ltv_hi)
    step = loans["amount_rounding"]
    amount = np.maximum(np.round(ltv * value / step) * step, loans["min_amount"])
    per_unit = first_payment(np.ones(n), annual_rate / 12.0, term.astype(float), method)
    cap = rng.uniform(*loans["dti_cap"], size=n)
    # borrowers mostly take collateral they can afford: lift a short income part of the way
    # towards what the loan needs (at most 30% above the segment's range)
    needed = 12.0 * (amount * per_unit + other_debt) / cap
    income = np.where(
        needed > income,
        np.minimum(needed * rng.uniform(0.8, 1.0, size=n), hi * 1.3),
        income,
    )
    income = np.maximum(np.round(income / 100.0) * 100.0, lo)
    max_amount = np.maximum(cap * income / 12.0 - other_debt, 0.0) / per_unit
    cut = amount * per_unit + other_debt > cap * income / 12.0
    amount = np.where(
        cut, np.maximum(np.floor(max_amount / step) * step, loans["min_amount"]), amount
    )
    if riskier:
        amount = np.round(amount * rng.uniform(1.0, 1.3, size=n) / step) * step
    return {
        "amount": amount,
        "income": income,
        "ltv": amount / value,
        "dti": (amount * per_unit + other_debt) / (income / 12.0),
    }


def draw_applicants(
    rng: np.random.Generator,
    params: SynthParams,
    n: int,
    t_asof: int,
    as_of: date,
    market: Market,
    riskier: bool,
) -> Applicants:
    """Borrower, collateral and loan terms for ``n`` applicants (vectorised)."""
    ptype_idx, seg_idx = _property_types_and_segments(rng, params, n)
    ptype = np.asarray(list(params.property_types), dtype=object)[ptype_idx]
    segment = np.asarray(params.segment_order, dtype=object)[seg_idx]
    branch_idx, branch_kind, township = choose_branches(rng, params, ptype_idx)
    orig_m, orig_d, orig_date = _origination(rng, params, n, t_asof, as_of)
    person = _person(rng, params, orig_date, riskier)
    zs = person["frailty"] / params.latent_model["frailty_sd"]
    income, income_range = _income(rng, params, seg_idx)
    dependants = rng.binomial(4, 0.35, size=n)
    bureau = _bureau(rng, params, zs, income)
    orig_year = calendar_year(orig_m).astype(np.int64)
    collateral = draw_collateral(rng, params, ptype, orig_m, orig_year, market.hpi)
    term = _term_months(rng, params, ptype_idx, person["age"])
    method = _repayment_method(rng, params, ptype, term)
    annual_rate = _annual_rate(rng, params, ptype, zs, orig_m, market.base_rate)
    sizing = _loan_amount(
        rng,
        params,
        value=collateral["value"],
        income=income,
        income_range=income_range,
        other_debt=bureau["other_debt"],
        annual_rate=annual_rate,
        term=term,
        method=method,
        riskier=riskier,
    )
    return {
        "ptype": ptype,
        "segment": segment,
        "branch_idx": branch_idx,
        "branch_kind": branch_kind,
        "township": township,
        "orig_m": orig_m,
        "orig_d": orig_d,
        "orig_date": orig_date,
        "birth": person["birth"].astype("datetime64[D]"),
        "male": person["male"],
        "frailty": person["frailty"],
        "income": sizing["income"],
        "dependants": dependants,
        **bureau,
        **collateral,
        "term": term,
        "method": method,
        "annual_rate": annual_rate,
        "amount": sizing["amount"],
        "ltv": sizing["ltv"],
        "dti": sizing["dti"],
    }
