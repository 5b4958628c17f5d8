"""Vectorised decisions: the rules of :func:`~mortgage_risk.control.decision.decide` on arrays.

One call decides a whole frame with numpy operations (no Python loop per application). It gives
the scalar engine's recommendation, binding constraint, limit, price, expected loss, authority
level and reason codes (as the bitmask :data:`~mortgage_risk.control.decision.REASON_BITS`),
in float64 instead of exact Decimal: amounts agree to the fen and rates to ~1e-12 except on
exact rounding ties.

Columns (arrays of equal length, or a DataFrame):

required
    ``pd``, ``lgd``, ``mortgage_value``, ``eligible`` (bool), ``requested_amount``,
    ``monthly_income``, ``other_monthly_debt``, ``annual_rate`` (assessment rate),
    ``term_months``, ``method`` (``equal_installment`` | ``equal_principal`` |
    ``interest_only_bullet``), and either ``max_loan`` (the valuation's cap × mortgage value)
    or ``cap`` (the mortgage rate cap, multiplied by ``mortgage_value``).
optional
    ``worst_severity`` (info | warn | refer | reject | None/"" for no flag), ``grade`` (default:
    the PD's grade on the default master scale), ``property_type`` (default urban_housing),
    ``monthly_property_fee`` (0), ``borrower_exposure`` (0), ``ltv`` (passed through).

Only the worst flag severity is known per row, so flag reasons and flag routing follow the
worst flag only; routing by flag category or rule id needs the scalar engine. Every row is
decided against the same book (``book``): the batch does not consume concentration headroom
from row to row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import ndtr, ndtri

from mortgage_risk.control.capital import CONFIDENCE, CORRELATION
from mortgage_risk.control.concentration import BookState
from mortgage_risk.control.decision import REASON_BITS
from mortgage_risk.control.enums import AuthorityLevel, Recommendation, Severity
from mortgage_risk.control.policy import CreditPolicy
from mortgage_risk.domain import DomainError, PropertyType, RepaymentMethod
from mortgage_risk.scoring.master_scale import MasterScale

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

METHODS: Final[tuple[RepaymentMethod, ...]] = tuple(RepaymentMethod)
SEVERITIES: Final[tuple[Severity, ...]] = tuple(Severity)
RECOMMENDATIONS: Final[tuple[Recommendation, ...]] = tuple(Recommendation)
LEVELS: Final[tuple[AuthorityLevel, ...]] = tuple(AuthorityLevel)
BINDINGS: Final = ("collateral", "affordability", "product", "concentration")
REQUIRED: Final = ("pd", "lgd", "mortgage_value", "eligible", "requested_amount",
                   "monthly_income", "other_monthly_debt", "annual_rate", "term_months", "method")


def _f(x: Any) -> float:
    return float(x)


def _codes(values: Any, names: tuple[str, ...], field: str, *, missing: int | None = None
           ) -> I64:
    """Integer codes of string values (``missing`` for None/"" when allowed)."""
    arr = np.asarray(values, dtype=object)
    uniques, inverse = np.unique(arr.astype(str), return_inverse=True)
    table = np.empty(len(uniques), dtype=np.int64)
    for i, u in enumerate(uniques):
        if u in names:
            table[i] = names.index(u)
        elif missing is not None and u in ("", "None", "nan"):
            table[i] = missing
        else:
            raise DomainError(field, f"unknown value {u!r}; allowed: {', '.join(names)}")
    out: I64 = table[inverse.reshape(-1)]
    return out


def _col(data: Mapping[str, Any] | pd.DataFrame, name: str, n: int | None = None) -> F64:
    if name not in data:
        raise DomainError(name, "column missing")
    arr: F64 = np.asarray(data[name], dtype=np.float64)
    if n is not None and arr.shape != (n,):
        raise DomainError(name, f"must have {n} rows; got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise DomainError(name, "must be finite (no NaN)")
    return arr


def _first_at_least(x: F64, bounds: F64) -> I64:
    """Index of the first bound ≥ x (bounds increasing; inf for no bound)."""
    out: I64 = np.searchsorted(bounds, x, side="left").astype(np.int64)
    return out


def decide_frame(data: Mapping[str, Any] | pd.DataFrame, policy: CreditPolicy,
                 book: BookState, *, scale: MasterScale | None = None) -> pd.DataFrame:
    """Decide every row (see the module docstring for the columns); one row out per row in."""
    missing = [c for c in REQUIRED if c not in data]
    if missing:
        raise DomainError("columns", f"missing {missing}")
    pd_ = _col(data, "pd")
    n = pd_.shape[0]
    lgd = _col(data, "lgd", n)
    mv = _col(data, "mortgage_value", n)
    eligible: B = np.asarray(data["eligible"], dtype=bool)
    req = _col(data, "requested_amount", n)
    income = _col(data, "monthly_income", n)
    other = _col(data, "other_monthly_debt", n)
    annual_rate = _col(data, "annual_rate", n)
    term_in = _col(data, "term_months", n).astype(np.int64)
    method = _codes(data["method"], tuple(m.value for m in METHODS), "method")
    if ((pd_ < 0) | (pd_ > 1)).any() or ((lgd < 0) | (lgd > 1)).any():
        raise DomainError("pd", "pd and lgd must be within [0, 1]")
    if "max_loan" in data:
        coll_max = _col(data, "max_loan", n)
    elif "cap" in data:
        coll_max = _col(data, "cap", n) * mv
    else:
        raise DomainError("max_loan", "give max_loan or cap (× mortgage_value)")
    fee = _col(data, "monthly_property_fee", n) if "monthly_property_fee" in data \
        else np.zeros(n)
    exposure = _col(data, "borrower_exposure", n) if "borrower_exposure" in data \
        else np.full(n, _f(book.borrower_exposure))
    sev = _codes(data["worst_severity"], tuple(s.value for s in SEVERITIES), "worst_severity",
                 missing=-1) if "worst_severity" in data else np.full(n, -1, dtype=np.int64)
    gr = policy.grade_rules
    if "grade" in data:
        grade = _codes(data["grade"], gr.order, "grade")
    else:
        labels = (scale or MasterScale()).grade(pd_)
        grade = _codes(labels, gr.order, "grade")
    types = tuple(t.value for t in PropertyType)
    ptype = _codes(data["property_type"], types, "property_type") if "property_type" in data \
        else np.full(n, types.index(PropertyType.URBAN_HOUSING.value), dtype=np.int64)

    # ---- per-type tables (NaN for a type without a product: refused below)
    nan = float("nan")
    prod_min = np.array([_f(policy.products[t].min_amount) if t in policy.products else nan
                         for t in types])[ptype]
    prod_max = np.array([_f(policy.products[t].max_amount) if t in policy.products else nan
                         for t in types])[ptype]
    max_term = np.array([policy.products[t].max_term_months if t in policy.products else 0
                         for t in types], dtype=np.int64)[ptype]
    if np.isnan(prod_max).any():
        raise DomainError("property_type", f"no product for some rows; known: "
                                           f"{sorted(policy.products)}")
    co = policy.concentration
    cls = [co.classification.get(t) for t in types]
    if any(cls[i] is None for i in np.unique(ptype)):
        raise DomainError("property_type", "no concentration class for some rows")
    is_re = np.array([bool(c and c.real_estate) for c in cls])[ptype]
    is_ph = np.array([bool(c and c.personal_housing) for c in cls])[ptype]

    # ---- affordability
    term = np.minimum(term_in, max_term)
    r = annual_rate / 12.0
    af = policy.affordability
    budget = np.maximum(np.minimum(_f(af.housing_dti_cap) * income - fee,
                                   _f(af.total_dti_cap) * income - fee - other), 0.0)
    nf = term.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        annuity = np.where(r > 0, -np.expm1(-nf * np.log1p(r)) / np.where(r > 0, r, 1.0), nf)
        afford = np.select(
            [method == 0, method == 1],
            [budget * annuity, budget / (1.0 / nf + r)],
            np.where(r > 0, budget / np.where(r > 0, r, 1.0), np.inf))
        afford = np.where(budget > 0, afford, 0.0)  # no budget: nothing is affordable

    # ---- concentration headroom (fen-floored like the scalar engine)
    def share(limit: float, part: float, total: float) -> float:
        return max(float(np.floor((limit * total - part) / (1.0 - limit) * 100.0)) / 100.0, 0.0)

    h_re = share(_f(co.real_estate_max_share), _f(book.real_estate_loans), _f(book.all_loans))
    h_ph = share(_f(co.personal_housing_max_share), _f(book.personal_housing_loans),
                 _f(book.all_loans))
    h_single = np.maximum(np.floor((_f(co.single_borrower_max_of_net_capital)
                                    * _f(book.net_capital) - exposure) * 100.0) / 100.0, 0.0)
    conc = np.minimum(h_single, np.where(is_re, h_re, np.inf))
    conc = np.minimum(conc, np.where(is_ph, h_ph, np.inf))

    # ---- limit and binding constraint (first of the least on a tie)
    # Float error must not break exact ties the scalar engine sees in Decimal: floor to the fen
    # with a nano-yuan allowance, and call a constraint binding when within that of the least.
    stacked = np.vstack([coll_max, np.floor(afford * 100.0 + 1e-6) / 100.0, prod_max, conc])
    least = stacked.min(axis=0)
    binding: I64 = np.argmax(stacked <= least + 1e-6, axis=0).astype(np.int64)
    unit = _f(policy.amount.limit_rounding)
    limit = np.maximum(np.floor(least / unit + 1e-9) * unit, 0.0)
    proposed = np.minimum(req, limit)

    # ---- rules
    bits = REASON_BITS
    cut = policy.pd_cutoffs
    g_dec = np.isin(grade, [gr.order.index(g) for g in gr.decline])
    g_ref = np.isin(grade, [gr.order.index(g) for g in gr.refer]) & ~g_dec
    g_con = np.isin(grade, [gr.order.index(g) for g in gr.conditions]) & ~g_dec & ~g_ref
    pd_dec = pd_ > cut.decline_above
    pd_ref = (pd_ > cut.refer_above) & ~pd_dec
    below_min = limit < prod_min
    short = ~below_min & (limit < req)
    shortfall = np.where(req > 0, (req - limit) / req, 0.0)
    tol = _f(policy.amount.reduce_with_conditions_up_to)
    too_short = short & (shortfall > tol)
    reduced = short & ~too_short
    term_cut = term_in > max_term
    conditions = [
        (sev == SEVERITIES.index(Severity.REJECT), "flag_reject"),
        (~eligible, "collateral_ineligible"), (pd_dec, "pd_decline"), (g_dec, "grade_decline"),
        (below_min, "limit_below_minimum"),
        (sev == SEVERITIES.index(Severity.REFER), "flag_refer"), (pd_ref, "pd_refer"),
        (g_ref, "grade_refer"), (too_short, "amount_shortfall"),
        (sev == SEVERITIES.index(Severity.WARN), "flag_warn"), (g_con, "grade_conditions"),
        (reduced, "amount_reduced"), (term_cut, "term_reduced"),
    ]
    mask = np.zeros(n, dtype=np.int64)
    for cond, code in conditions:
        mask |= np.where(cond, bits[code], 0)
    decline_bits = sum(bits[c] for c in ("flag_reject", "collateral_ineligible", "pd_decline",
                                         "grade_decline", "limit_below_minimum"))
    refer_bits = sum(bits[c] for c in ("flag_refer", "pd_refer", "grade_refer",
                                       "amount_shortfall"))
    awc_bits = sum(bits[c] for c in ("flag_warn", "grade_conditions", "amount_reduced",
                                     "term_reduced"))
    rec = np.select([(mask & decline_bits) != 0, (mask & refer_bits) != 0,
                     (mask & awc_bits) != 0], [3, 2, 1], 0).astype(np.int64)
    mask = np.where(mask == 0, bits["approve"], mask)

    # ---- price (float mirror of pricing.price)
    pr = policy.pricing
    h = _f(pr.pd_horizon_years)
    apd = pd_ if h == 1.0 else 1.0 - (1.0 - pd_) ** (1.0 / h)
    el_rate = apd * lgd
    if pr.risk_weight_method == "flat_50":
        rw = np.full(n, _f(pr.flat_risk_weight))
    elif pr.risk_weight_method == "ltv_bands":
        tops = np.array([np.inf if b.max_ltv is None else _f(b.max_ltv) for b in pr.ltv_bands])
        weights = np.array([_f(b.risk_weight) for b in pr.ltv_bands])
        with np.errstate(divide="ignore", invalid="ignore"):
            ltv = np.where(mv > 0, proposed / np.where(mv > 0, mv, 1.0), np.inf)
        rw = weights[np.minimum(_first_at_least(ltv, tops), len(tops) - 1)]
    else:
        p = np.maximum(pd_, pr.irb.pd_floor)
        lg = np.maximum(lgd, pr.irb.lgd_floor)
        inner = np.clip(p, 1e-300, 1.0 - 1e-16)
        x = (1.0 - CORRELATION) ** -0.5 * ndtri(inner) \
            + (CORRELATION / (1.0 - CORRELATION)) ** 0.5 * ndtri(CONFIDENCE)
        k = np.maximum(lg * ndtr(x) - p * lg, 0.0)
        k = np.where((p >= 1.0) | (p <= 0.0), 0.0, k)
        rw = 12.5 * k
    cap_rate = rw * _f(pr.capital_ratio) * _f(pr.hurdle_rate)
    raw = el_rate + _f(pr.funding_spread) + _f(pr.operating_cost) + cap_rate
    premium = np.clip(raw, _f(pr.min_spread), _f(pr.max_spread))
    rate = _f(policy.lpr.rate) + premium
    rate_display = np.floor(rate * 1e4 + 0.5 + 1e-9) / 1e4
    spread_bp = np.floor(premium * 1e4 + 0.5 + 1e-9).astype(np.int64)

    # ---- authority: the highest level any row of the matrix asks for
    au = policy.authority
    amount_total = req + exposure
    amount_bounds = np.array([np.inf if t.max_amount is None else _f(t.max_amount)
                              for t in au.tiers])
    grade_bounds = np.array([np.inf if t.max_grade is None else gr.order.index(t.max_grade)
                             for t in au.tiers], dtype=np.float64)
    lv_amount = _first_at_least(amount_total, amount_bounds)
    lv_grade = _first_at_least(grade.astype(np.float64), grade_bounds)
    lv_rec = np.array([au.by_recommendation[x].rank for x in RECOMMENDATIONS])[rec]
    sev_level = np.array([au.by_flag_severity[s].rank if s in au.by_flag_severity else 0
                          for s in SEVERITIES] + [0])  # index -1: no flag
    lv_sev = sev_level[sev]
    level: I64 = np.maximum.reduce([lv_amount, lv_grade, lv_rec, lv_sev]).astype(np.int64)

    out = pd.DataFrame({
        "recommendation": pd.Categorical.from_codes(
            rec, pd.Index([x.value for x in RECOMMENDATIONS])),
        "limit": limit,
        "binding": pd.Categorical.from_codes(binding, pd.Index(list(BINDINGS))),
        "proposed_amount": proposed,
        "approved_amount": np.where(rec == 3, 0.0, proposed),
        "term_months": term,
        "rate": rate,
        "rate_display": rate_display,
        "spread_bp": spread_bp,
        "risk_weight": rw,
        "expected_loss": pd_ * lgd * proposed,
        "authority_level": pd.Categorical.from_codes(level, pd.Index([x.value for x in LEVELS])),
        "reasons": mask,
    })
    if isinstance(data, pd.DataFrame):
        out.index = data.index
    return out


def reason_codes(mask: int) -> list[str]:
    """The reason codes of a batch bitmask."""
    return [code for code, bit in REASON_BITS.items() if mask & bit]


def synthetic_applications(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` random applications with every column :func:`decide_frame` reads (for benchmarks).

    Amounts are whole yuan; PDs lognormal around 2%; a flag on one row in four; requests
    between half and 1.3 times the collateral cap.
    """
    rng = np.random.default_rng(seed)
    mv = np.round(rng.uniform(50_000, 3_000_000, n), 2)
    max_loan = np.round(mv * rng.choice([0.4, 0.5, 0.6, 0.65, 0.7], n), 2)
    severities = np.array(["", "info", "warn", "refer", "reject"], dtype=object)
    return pd.DataFrame({
        "pd": np.clip(rng.lognormal(np.log(0.02), 1.0, n), 0.0003, 0.9),
        "lgd": rng.uniform(0.05, 0.6, n),
        "mortgage_value": mv,
        "max_loan": max_loan,
        "eligible": rng.random(n) > 0.03,
        "worst_severity": severities[rng.choice(5, n, p=[0.75, 0.05, 0.12, 0.05, 0.03])],
        "requested_amount": np.maximum(np.round(max_loan * rng.uniform(0.5, 1.3, n)), 20_000),
        "monthly_income": np.round(rng.uniform(2_000, 60_000, n)),
        "other_monthly_debt": np.round(rng.uniform(0, 5_000, n)),
        "monthly_property_fee": np.round(rng.uniform(0, 500, n)),
        "annual_rate": rng.choice([0.035, 0.04, 0.045, 0.05], n),
        "term_months": rng.choice([60, 120, 180, 240, 300, 360], n),
        "method": np.array([m.value for m in METHODS], dtype=object)[
            rng.choice(3, n, p=[0.7, 0.25, 0.05])],
        "property_type": np.array(["urban_housing", "rural_house", "shop"], dtype=object)[
            rng.choice(3, n, p=[0.8, 0.15, 0.05])],
        "borrower_exposure": np.round(rng.choice([0.0, 200_000.0, 1_000_000.0], n)),
    })
