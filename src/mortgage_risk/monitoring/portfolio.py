"""Portfolio indicators: ratios by dimension, concentration, migration, vintages, roll rates.

Definitions (reference-regulation.md 2 and 3.7; the numbers are in the monitoring policy):

- NPL ratio = balance of substandard + doubtful + loss / total balance.
- Provision coverage = provisions / NPL balance; loan provision ratio = provisions / total
  balance.
- 90+ DPD to NPL ratio (偏离度) = balance more than ``dpd90_above`` (90) days past due / NPL
  balance; it should be at most 100%.
- PARn = balance more than n days past due / total balance (n from ``par_days``: 30, 90).
- Concentration: real-estate and personal-housing balances / the union's total loans, against
  the tier-4 limits (17.5%, 12.5%); the property types counting towards each are in the policy.
- Migration matrix: from the class in one snapshot to the class in the next; a loan missing
  from the later snapshot (or with no balance there) goes to ``closed``; shares by count or by
  the earlier balance; every non-empty row sums to 1.
- Vintage curves: for each origination year, the share of its loans that were ever more than a
  threshold of days past due within k months on book (``default`` = more than
  ``default_dpd_above`` days, ``dpd30``, ``dpd90``). The denominator is every loan of the
  vintage; the curve stops at the months on book every loan of the vintage has reached, so it
  never falls.
- Roll rates: each loan's DPD bucket at consecutive month ends, from the repayment history
  (DPD at a date = days since the oldest installment due and not yet paid in full); a loan
  whose history has ended and that owes nothing moves to ``closed``.

Every ratio with a zero denominator is NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Final

import numpy as np
import pandas as pd

from mortgage_risk.domain import DomainError, FiveCategory
from mortgage_risk.monitoring.classification import EPS, full_months, loan_ids
from mortgage_risk.monitoring.policy import MonitoringPolicy

NPL_CATEGORIES: Final = tuple(c.value for c in FiveCategory if c.is_npl)
CATEGORY_ORDER: Final = tuple(c.value for c in FiveCategory)
DIMENSIONS: Final = ("branch_id", "township", "property_type", "officer_id")
VINTAGE_METRICS: Final = ("default", "dpd30", "dpd90")
INDICATOR_COLUMNS: Final = ("dimension", "group", "indicator", "value", "numerator",
                            "denominator", "limit_min", "limit_max", "breach")


def loan_view(loans: pd.DataFrame, classification: pd.DataFrame, *,
              provisions: pd.DataFrame | None = None, properties: pd.DataFrame | None = None,
              borrowers: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per loan: ``loan_id, balance, days_past_due, category, provision, branch_id,
    officer_id, property_type, township`` (township of the property, else of the borrower)."""
    ids = loan_ids(loans).to_numpy()
    view = pd.DataFrame({
        "loan_id": ids,
        "balance": loans["outstanding_principal"].astype(float).to_numpy(),
        "days_past_due": loans["days_past_due"].fillna(0).to_numpy(dtype=np.int64),
        "category": classification.set_index("loan_id")["category"].reindex(ids).to_numpy(),
        "provision": 0.0 if provisions is None else
        provisions.set_index("loan_id")["provision"].reindex(ids).fillna(0.0).to_numpy(),
    })
    for c in ("branch_id", "officer_id", "property_type", "township"):
        if c in loans.columns:
            view[c] = loans[c].to_numpy()
    if properties is not None and "property_id" in loans.columns:
        p = properties.set_index("id").reindex(loans["property_id"].to_numpy())
        view["property_type"] = p["property_type"].to_numpy()
        view["township"] = p["township"].to_numpy()
    if borrowers is not None and "borrower_id" in loans.columns and "township" not in view:
        b = borrowers.set_index("id").reindex(loans["borrower_id"].to_numpy())
        view["township"] = b["township"].to_numpy()
    return view


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else float("nan")


def _group_indicators(v: pd.DataFrame, policy: MonitoringPolicy) -> list[tuple[
        str, float, float, float, float | None, float | None]]:
    t = policy.thresholds
    total = float(v["balance"].sum())
    npl = float(v.loc[v["category"].isin(NPL_CATEGORIES), "balance"].sum())
    prov = float(v["provision"].sum())
    dpd90 = float(v.loc[v["days_past_due"] > policy.portfolio.dpd90_above, "balance"].sum())
    rows: list[tuple[str, float, float, float, float | None, float | None]] = [
        ("total_balance", total, total, 1.0, None, None),
        ("npl_balance", npl, npl, 1.0, None, None),
        ("provisions", prov, prov, 1.0, None, None),
        ("npl_ratio", _ratio(npl, total), npl, total, None, t.npl_ratio_max),
        ("provision_coverage", _ratio(prov, npl), prov, npl, t.provision_coverage_min, None),
        ("loan_provision_ratio", _ratio(prov, total), prov, total, t.loan_provision_ratio_min,
         None),
        ("dpd90_to_npl", _ratio(dpd90, npl), dpd90, npl, None, t.dpd90_to_npl_max),
    ]
    for d in policy.portfolio.par_days:
        par = float(v.loc[v["days_past_due"] > d, "balance"].sum())
        rows.append((f"par{d}", _ratio(par, total), par, total, None, None))
    return rows


def indicators(view: pd.DataFrame, *, policy: MonitoringPolicy,
               by: Sequence[str] = ()) -> pd.DataFrame:
    """Tidy indicators (columns ``INDICATOR_COLUMNS``): the union (``dimension`` "union",
    ``group`` "all") and then each group of each dimension in ``by``.

    ``limit_min``/``limit_max`` are the regulatory bounds (the coverage and loan-provision
    bands' lower ends are the binding minimums); ``breach`` is true when a value is outside.
    """
    out: list[tuple[object, ...]] = []
    parts: list[tuple[str, object, pd.DataFrame]] = [("union", "all", view)]
    for dim in by:
        if dim not in view.columns:
            raise DomainError("by", f"unknown dimension {dim!r}")
        for key, sub in view.groupby(dim, sort=True, dropna=False):
            parts.append((dim, key, sub))
    for dim, g, sub in parts:
        for name, value, num, den, lo, hi in _group_indicators(sub, policy):
            breach = bool(not np.isnan(value) and ((lo is not None and value < lo)
                                                   or (hi is not None and value > hi)))
            out.append((dim, g, name, value, num, den, lo, hi, breach))
    return pd.DataFrame(out, columns=list(INDICATOR_COLUMNS))


def concentration(view: pd.DataFrame, *, policy: MonitoringPolicy, total_loans: float,
                  by: Sequence[str] = ()) -> pd.DataFrame:
    """Real-estate and personal-housing balances over the union's ``total_loans`` (all loans,
    not only mortgages), against the limits; with ``by``, each group's contribution.

    Columns: ``dimension, group, limit, balance, total_loans, share, max_share, headroom,
    breach``. Headroom = max_share x total_loans - balance (union row only; NaN for groups).
    """
    if total_loans <= 0:
        raise DomainError("total_loans", "must be positive")
    if "property_type" not in view.columns:
        raise DomainError("view", "needs a property_type column")
    c = policy.concentration
    limits = (("real_estate", c.real_estate_property_types, c.real_estate_max_share),
              ("personal_housing", c.personal_housing_property_types,
               c.personal_housing_max_share))
    rows: list[tuple[object, ...]] = []
    for name, types, cap in limits:
        sel = view[view["property_type"].isin(list(types))]
        bal = float(sel["balance"].sum())
        rows.append(("union", "all", name, bal, total_loans, bal / total_loans, cap,
                     cap * total_loans - bal, bal / total_loans > cap))
        for dim in by:
            for g, sub in sel.groupby(dim, sort=True, dropna=False):
                b = float(sub["balance"].sum())
                rows.append((dim, g, name, b, total_loans, b / total_loans, cap, float("nan"),
                             False))
    return pd.DataFrame(rows, columns=["dimension", "group", "limit", "balance", "total_loans",
                                       "share", "max_share", "headroom", "breach"])


def migration_matrix(before: pd.DataFrame, after: pd.DataFrame, *,
                     measure: str = "count", shares: bool = True) -> pd.DataFrame:
    """Class-to-class migration between two snapshots (``loan_id, category``; ``balance`` in
    ``before`` for ``measure="balance"``). Index: the earlier class; columns: the later class
    and ``closed``. With ``shares`` each non-empty row sums to 1 (empty rows are 0)."""
    if measure not in ("count", "balance"):
        raise DomainError("measure", "must be count or balance")
    b = before[["loan_id", "category"]].copy()
    b["w"] = 1.0 if measure == "count" else before["balance"].astype(float).to_numpy()
    a = after.set_index("loan_id")
    to = a["category"].reindex(b["loan_id"].to_numpy()).astype("object")
    if "balance" in a.columns:
        gone = a["balance"].reindex(b["loan_id"].to_numpy()).fillna(0.0).to_numpy() <= EPS
        to = to.where(~gone, None)
    b["to"] = to.fillna("closed").to_numpy()
    cols = [*CATEGORY_ORDER, "closed"]
    m = (b.pivot_table(index="category", columns="to", values="w", aggfunc="sum")
         .reindex(index=list(CATEGORY_ORDER), columns=cols).fillna(0.0))
    m.index.name, m.columns.name = "from", "to"
    if shares:
        sums = m.sum(axis=1)
        m = m.div(sums.where(sums > 0, 1.0), axis=0)
    return m


def _unpaid_rows(repayments: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """``loan_id, due, settled`` per row due by the as-of date; ``settled`` is the date the
    row was paid in full (NaT when not paid in full by the as-of date)."""
    due = pd.to_datetime(repayments["due_date"]).astype("datetime64[ns]")
    paid = pd.to_datetime(repayments["paid_date"]).astype("datetime64[ns]")
    short = repayments["amount_paid"].astype(float) < repayments["amount_due"].astype(float) - EPS
    settled = paid.where(~short & (paid <= as_of))
    keep = (due <= as_of).to_numpy()
    return pd.DataFrame({"loan_id": repayments["loan_id"].to_numpy()[keep],
                         "due": due.to_numpy()[keep], "settled": settled.to_numpy()[keep]})


def dpd_at(repayments: pd.DataFrame, when: date) -> pd.Series:
    """Days past due of every loan in the history at ``when`` (0 when nothing is overdue)."""
    ts = pd.Timestamp(when)
    r = _unpaid_rows(repayments, ts)
    open_ = r[(r["due"] <= ts) & (r["settled"].isna() | (r["settled"] > ts))]
    oldest = open_.groupby("loan_id")["due"].min()
    out: pd.Series = (ts - oldest).dt.days.reindex(r["loan_id"].unique(), fill_value=0)
    out.index.name = "loan_id"
    return out.astype(np.int64)


def arrears_at(repayments: pd.DataFrame, when: date) -> pd.DataFrame:
    """Per loan in the history at ``when``: ``days_past_due`` (as :func:`dpd_at`) and
    ``overdue_amount``, the unpaid part of every instalment due by then (paid by then)."""
    ts = pd.Timestamp(when)
    due = pd.to_datetime(repayments["due_date"]).astype("datetime64[ns]")
    paid_on = pd.to_datetime(repayments["paid_date"]).astype("datetime64[ns]")
    owed = repayments["amount_due"].astype(float).to_numpy()
    paid = np.where((paid_on <= ts).to_numpy(), repayments["amount_paid"].astype(float), 0.0)
    short = np.where((due <= ts).to_numpy(), np.maximum(owed - paid, 0.0), 0.0)
    short[short <= EPS] = 0.0
    overdue = pd.Series(short, index=repayments["loan_id"].to_numpy()).groupby(level=0).sum()
    dpd = dpd_at(repayments, when)
    out = pd.DataFrame({"days_past_due": dpd,
                        "overdue_amount": overdue.reindex(dpd.index, fill_value=0.0).round(2)})
    out.index.name = "loan_id"
    return out


def vintage_curves(loans: pd.DataFrame, repayments: pd.DataFrame, *, as_of: date,
                   policy: MonitoringPolicy, metric: str = "default") -> pd.DataFrame:
    """Cumulative bad rate by origination year and months on book.

    Columns: ``vintage, months_on_book, loans, bad_loans, rate``.
    """
    thresholds = {"default": policy.portfolio.default_dpd_above, "dpd30": 30, "dpd90": 90}
    if metric not in thresholds:
        raise DomainError("metric", f"must be one of {', '.join(VINTAGE_METRICS)}")
    t = thresholds[metric]
    ts = pd.Timestamp(as_of)
    r = _unpaid_rows(repayments, ts)
    cross = r["due"] + pd.Timedelta(days=t + 1)
    hit = (cross <= ts) & (r["settled"].isna() | (r["settled"] > cross))
    first = cross[hit].groupby(r.loc[hit, "loan_id"]).min()
    ids = loan_ids(loans).to_numpy()
    orig = pd.to_datetime(loans["origination_date"]).astype("datetime64[ns]")
    frame = pd.DataFrame({"loan_id": ids, "orig": orig.to_numpy()})
    frame = frame[frame["orig"] <= ts]
    frame["event"] = first.reindex(frame["loan_id"].to_numpy()).to_numpy()
    frame["vintage"] = frame["orig"].dt.year
    ev = frame["event"].notna()
    frame["mob"] = np.nan
    frame.loc[ev, "mob"] = [full_months(o.date(), e.date()) + 1 for o, e in
                            zip(frame.loc[ev, "orig"], frame.loc[ev, "event"], strict=True)]
    rows: list[tuple[int, int, int, int, float]] = []
    for vintage, g in frame.groupby("vintage", sort=True):
        n = len(g)
        horizon = full_months(g["orig"].max().date(), as_of)
        counts = np.bincount(g["mob"].dropna().astype(int).clip(upper=max(horizon, 0) + 1),
                             minlength=horizon + 2)
        cum = np.cumsum(counts)
        for k in range(1, horizon + 1):
            rows.append((int(str(vintage)), k, n, int(cum[k]), cum[k] / n))
    return pd.DataFrame(rows, columns=["vintage", "months_on_book", "loans", "bad_loans",
                                       "rate"])


def _bucket(dpd: pd.Series, policy: MonitoringPolicy) -> pd.Series:
    buckets = policy.portfolio.roll_rate_buckets
    names = np.full(len(dpd), buckets[-1].name, dtype=object)
    values = dpd.to_numpy()
    done = np.zeros(len(dpd), dtype=bool)
    for b in buckets:
        if b.max_days is None:
            break
        hit = ~done & (values <= b.max_days)
        names[hit] = b.name
        done |= hit
    return pd.Series(names, index=dpd.index)


def month_ends(as_of: date, months: int) -> list[pd.Timestamp]:
    """The last ``months`` + 1 month ends up to the as-of date (the last one is the as-of
    date itself when it is not a month end)."""
    end = pd.Timestamp(as_of)
    out = [end]
    m = end - pd.offsets.MonthEnd(1)  # the month end before the as-of date
    while len(out) <= months:
        out.append(pd.Timestamp(m))
        m = m - pd.offsets.MonthEnd(1)
    return sorted(out)


def roll_rates(repayments: pd.DataFrame, *, as_of: date, policy: MonitoringPolicy,
               months: int = 12) -> pd.DataFrame:
    """Month-to-month transitions between DPD buckets over the last ``months`` months,
    pooled. Columns: ``from_bucket, to_bucket, loans, share`` (shares sum to 1 per
    ``from_bucket``; ``to_bucket`` may be ``closed``)."""
    ts = pd.Timestamp(as_of)
    r = _unpaid_rows(repayments, ts)
    first_due = r.groupby("loan_id")["due"].min()
    last_due = r.groupby("loan_id")["due"].max()
    states: list[pd.Series] = []
    for t in month_ends(as_of, months):
        open_ = r[(r["due"] <= t) & (r["settled"].isna() | (r["settled"] > t))]
        oldest = open_.groupby("loan_id")["due"].min()
        live = first_due.index[(first_due <= t).to_numpy()]
        dpd = (t - oldest).dt.days.reindex(live, fill_value=0)
        bucket = _bucket(dpd, policy)
        ended = (last_due.reindex(live) < t - pd.offsets.MonthBegin(1)).to_numpy() & (
            dpd.to_numpy() == 0)
        bucket[ended] = "closed"
        states.append(bucket)
    pairs = []
    for s0, s1 in zip(states[:-1], states[1:], strict=True):
        s0 = s0[s0 != "closed"]
        pairs.append(pd.DataFrame({"from_bucket": s0.to_numpy(),
                                   "to_bucket": s1.reindex(s0.index).fillna("closed")
                                   .to_numpy()}))
    if not pairs:
        return pd.DataFrame(columns=["from_bucket", "to_bucket", "loans", "share"])
    allp = pd.concat(pairs, ignore_index=True)
    out = allp.groupby(["from_bucket", "to_bucket"]).size().rename("loans").reset_index()
    out["share"] = out["loans"] / out.groupby("from_bucket")["loans"].transform("sum")
    order = {b.name: i for i, b in enumerate(policy.portfolio.roll_rate_buckets)}
    order["closed"] = len(order)
    out = out.sort_values(["from_bucket", "to_bucket"],
                          key=lambda s: s.map(order)).reset_index(drop=True)
    return out


def roll_rate_matrix(rates: pd.DataFrame, policy: MonitoringPolicy) -> pd.DataFrame:
    """``roll_rates`` as a from x to matrix of shares."""
    names = [b.name for b in policy.portfolio.roll_rate_buckets]
    return (rates.pivot_table(index="from_bucket", columns="to_bucket", values="share",
                              aggfunc="sum")
            .reindex(index=names, columns=[*names, "closed"]).fillna(0.0))
