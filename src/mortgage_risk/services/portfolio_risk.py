"""Portfolio risk: provisions, regulatory indicators, concentration, migration, vintages,
roll rates and stress tests over the stored book, computed by the pure monitoring engines.

What goes in (documented so the figures can be checked by hand):

- **The book**: active loans originated on or before the as-of date, with their balance and
  days past due from the loans table (the book's snapshot, ``book_as_of``).
- **The class** of each loan: its newest stored classification on or before the as-of date
  (``loan_classifications``, one row per loan per monitoring run); a loan with none keeps the
  class in the loans table. ``versions.classification`` counts both and names the run date(s)
  and policy version(s).
- **PD (12 months)**: the book's own observed default rate by days-past-due bucket (the
  policy's roll-rate buckets). For each of the ``PD_COHORTS`` month ends from 12 months before
  the as-of date back, every loan alive and not in default is put in its bucket; the share of
  them that went more than ``default_dpd_above`` days past due within the next 12 months is
  the bucket's rate, pooled over the cohorts, made non-decreasing with the bucket and floored
  at ``PD_FLOOR`` (the Basel II floor, 0.03%). Loans already past ``default_dpd_above`` days
  have PD 1. The PD is estimated on the whole union's book, whatever the user's scope.
- **Collateral value**: the newest valuation (stored valuation, else the appraisal) indexed to
  the as-of date with the proxy city's house price index and each type's amplitude, never above
  the value it was indexed from (indexation may only lower a value automatically); split
  between active loans on the same property by balance.
- **LGD** = max(``stress.lgd_floor``, 1 - value x ``stress.recovery_rate`` / EAD), EAD = the
  outstanding principal: the collateral shortfall the stress engine moves under a price shock,
  so the stress test with no shock equals the baseline.

Money leaves the service as Decimal rounded to the fen, ratios as Decimal to six places
(None when undefined); every result names the monitoring policy version and the
classification it used.
"""

from __future__ import annotations

import copy
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Annotated, Any, Final

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy import func, select

from mortgage_risk.config import get_settings
from mortgage_risk.control.union import UnionFigures
from mortgage_risk.domain import DomainError, FiveCategory, PropertyType, Role
from mortgage_risk.monitoring import portfolio as pf
from mortgage_risk.monitoring.classification import EPS, classify
from mortgage_risk.monitoring.policy import (
    DpdBucket,
    MonitoringPolicy,
    ScenarioSpec,
    scenario_from_dict,
)
from mortgage_risk.monitoring.portfolio import NPL_CATEGORIES, dpd_at
from mortgage_risk.monitoring.provisions import provision_totals, provisions
from mortgage_risk.monitoring.stress import run_scenarios
from mortgage_risk.services.errors import Conflict, InvalidInput, PermissionDenied
from mortgage_risk.services.users import CurrentUser
from mortgage_risk.services.valuation import price_index
from mortgage_risk.storage.risk_queries import RiskQueries
from mortgage_risk.storage.tables import AuditRow
from mortgage_risk.storage.uow import UnitOfWork
from mortgage_risk.valuation.batch import batch_revalue, encode_property_types

#: Roles that see the whole union's risk; loan officers and reviewers see their branch.
UNION_WIDE_ROLES: Final = frozenset({Role.RISK_MANAGER, Role.SUPERVISOR, Role.ADMIN,
                                     Role.APPROVER})
BRANCH_ROLES: Final = frozenset({Role.LOAN_OFFICER, Role.REVIEWER})

#: group_by name -> the loan view's column.
GROUPS: Final = {"branch": "branch_id", "township": "township",
                 "property_type": "property_type", "officer": "officer_id"}
PD_COHORTS: Final = 12
PD_FLOOR: Final = 0.0003  # reference-regulation.md 5.x: PD >= 0.03% (Basel II)
PD_METHOD: Final = "observed-12m-default-rate-by-dpd-bucket"
COLLATERAL_METHOD: Final = "latest-valuation-indexed-never-above"
VINTAGE_METRICS: Final = ("default", "dpd30", "dpd90")
MIGRATION_SOURCES: Final = ("stored", "computed")
CLOSED: Final = "closed"
UNASSIGNED: Final = "unassigned"
FEN: Final = Decimal("0.01")
RATIO_PLACES: Final = Decimal("0.000001")
BASELINE: Final = ScenarioSpec("baseline")


# --------------------------------------------------------------------------- plain helpers

def money(value: Any) -> Decimal:
    """A float amount as Decimal CNY rounded half up to the fen (NaN is 0)."""
    x = float(value)
    if not math.isfinite(x):
        return Decimal("0.00")
    return Decimal(repr(x)).quantize(FEN, rounding=ROUND_HALF_UP)


def ratio(value: Any) -> Decimal | None:
    """A ratio as Decimal to six places; None when undefined (a zero denominator)."""
    if value is None or pd.isna(value) or not math.isfinite(float(value)):
        return None
    return Decimal(repr(float(value))).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def _n(value: Any) -> int:
    return int(value)


def risk_scope(user: CurrentUser) -> int | None:
    """The branch this user's risk figures are limited to (None: the whole union)."""
    if user.role in UNION_WIDE_ROLES:
        return None
    if user.role in BRANCH_ROLES:
        if user.branch_id is None:
            raise PermissionDenied("a loan officer or reviewer needs a branch to see its "
                                   "portfolio risk", field="branch")
        return user.branch_id
    raise PermissionDenied(f"the role {user.role.value} may not see the portfolio risk",
                           field="role")


@lru_cache(maxsize=1)
def _default_policy() -> MonitoringPolicy:
    return MonitoringPolicy.load_default()


def active_policy(uow: UnitOfWork) -> MonitoringPolicy:
    """The active ``monitoring_policy`` parameter set if one is stored, else the shipped one."""
    row = uow.parameters.active("monitoring_policy")
    if row is None:
        return _default_policy()
    try:
        return MonitoringPolicy.from_dict(row.content)
    except DomainError as exc:
        raise Conflict(f"the active monitoring policy is invalid: {exc.reason}",
                       field=f"policy.{exc.field}") from None


def _union_figures(uow: UnitOfWork) -> UnionFigures:
    row = uow.parameters.active("union_figures")
    return UnionFigures.from_dict(row.content) if row is not None else \
        UnionFigures.load_default()


def bucket_labels(name: str) -> tuple[str, str]:
    """Chinese and English labels of a roll-rate bucket or ``closed``."""
    if name == "current":
        return "未逾期", "current"
    if name == CLOSED:
        return "结清或退出", "closed"
    return f"逾期{name}天", f"{name} days past due"


def bucket_index(dpd: np.ndarray, buckets: Sequence[DpdBucket]) -> np.ndarray:
    """The position of each DPD in the policy's buckets (the last one is open)."""
    bounds = np.array([b.max_days for b in buckets[:-1]], dtype=np.int64)
    out: np.ndarray = np.searchsorted(bounds, dpd, side="left")
    return out


def _category_labels(key: str) -> tuple[str, str]:
    if key == CLOSED:
        return "结清或退出", "closed"
    c = FiveCategory(key)
    return c.label_zh, c.label_en


def _parse_group(group_by: str) -> str:
    if group_by not in GROUPS:
        raise InvalidInput(f"unknown group {group_by!r}; allowed: {', '.join(GROUPS)}",
                           field="group_by")
    return group_by


# --------------------------------------------------------------------------- PD and LGD

def observed_pd(repayments: pd.DataFrame, *, as_of: date, policy: MonitoringPolicy,
                cohorts: int = PD_COHORTS) -> pd.DataFrame:
    """The observed 12-month default rate by DPD bucket (see the module notes).

    ``repayments``: ``loan_id, due_date, amount_due, amount_paid, paid_date``. Columns:
    ``bucket, observed, defaults, rate, pd`` (``rate`` NaN where nothing was observed).
    Raises Conflict when no loan can be observed a year before ``as_of``.
    """
    buckets = policy.portfolio.roll_rate_buckets
    d = policy.portfolio.default_dpd_above
    ts = pd.Timestamp(as_of)
    due = pd.to_datetime(repayments["due_date"]).astype("datetime64[ns]")
    paid = pd.to_datetime(repayments["paid_date"]).astype("datetime64[ns]")
    short = (repayments["amount_paid"].astype(float)
             < repayments["amount_due"].astype(float) - EPS)
    settled = paid.where(~short & (paid <= ts))
    in_range = due <= ts
    cross = due + pd.Timedelta(days=d + 1)
    hit = in_range & (cross <= ts) & (settled.isna() | (settled > cross))
    crossings = pd.DataFrame({"loan_id": repayments["loan_id"].to_numpy()[hit.to_numpy()],
                              "cross": cross[hit].to_numpy()})
    ids = repayments.loc[in_range, "loan_id"]
    first_due = due[in_range].groupby(ids).min()
    last_due = due[in_range].groupby(ids).max()
    observed = np.zeros(len(buckets), dtype=np.int64)
    defaults = np.zeros(len(buckets), dtype=np.int64)
    for k in range(cohorts):
        t0 = ts - pd.DateOffset(months=12 + k)
        t1 = t0 + pd.DateOffset(months=12)
        live = first_due.index[(first_due <= t0).to_numpy()]
        if not len(live):
            continue
        dpd = dpd_at(repayments, t0.date()).reindex(live, fill_value=0)
        ended = ((last_due.reindex(live) < t0 - pd.offsets.MonthBegin(1)).to_numpy()
                 & (dpd.to_numpy() == 0))
        dpd = dpd[~ended & (dpd.to_numpy() <= d)]
        window = crossings[(crossings["cross"] > t0) & (crossings["cross"] <= t1)]
        bad = dpd.index.isin(window["loan_id"].unique())
        where = bucket_index(dpd.to_numpy(), buckets)
        observed += np.bincount(where, minlength=len(buckets))
        defaults += np.bincount(where, weights=bad.astype(float),
                                minlength=len(buckets)).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(observed > 0, defaults / np.maximum(observed, 1), np.nan)
    lower = np.array([0] + [b.max_days + 1 for b in buckets[:-1] if b.max_days is not None])
    in_default = lower > d
    pds = pd.Series(np.where(in_default, 1.0, rate)).ffill()
    if np.isnan(pds.iloc[0]):
        raise Conflict(f"no loan has a repayment history a year before {as_of}; the 12-month "
                       "default rates cannot be observed", field="as_of")
    pds = pds.cummax().clip(lower=PD_FLOOR, upper=1.0)
    return pd.DataFrame({"bucket": [b.name for b in buckets], "observed": observed,
                         "defaults": defaults, "rate": rate, "pd": pds.to_numpy()})


def loan_pd(dpd: np.ndarray, table: pd.DataFrame, policy: MonitoringPolicy) -> np.ndarray:
    """Each loan's 12-month PD: its bucket's PD; 1 past the default threshold."""
    pds = table["pd"].to_numpy(dtype=float)[bucket_index(dpd, policy.portfolio
                                                          .roll_rate_buckets)]
    out: np.ndarray = np.where(dpd > policy.portfolio.default_dpd_above, 1.0, pds)
    return out


def collateral_values(loans: pd.DataFrame, valuations: pd.DataFrame, *, as_of: date
                      ) -> np.ndarray:
    """Each loan's share of its collateral's current value (see the module notes)."""
    if loans.empty:
        return np.zeros(0)
    value = loans["appraised_value"].astype(float).to_numpy()
    on = loans["appraisal_date"].to_numpy(dtype="datetime64[ns]")
    if not valuations.empty:
        v = valuations.set_index("property_id").reindex(loans["property_id"].to_numpy())
        newer = (v["valuation_date"].notna()
                 & (v["valuation_date"].to_numpy(dtype="datetime64[ns]") >= on)).to_numpy()
        value = np.where(newer, v["market_value"].to_numpy(dtype=float), value)
        on = np.where(newer, v["valuation_date"].to_numpy(dtype="datetime64[ns]"), on)
    index = _price_index(as_of)
    first = np.datetime64(index.first_month.start_time.date(), "D")
    day = np.clip(on.astype("datetime64[D]"), first, np.datetime64(as_of, "D"))
    revalued = batch_revalue(index, as_of, last_value=np.maximum(value, 0.0), appraised_on=day,
                             balance=loans["outstanding_principal"].astype(float).to_numpy(),
                             property_type=encode_property_types(
                                 loans["property_type"].to_numpy()))
    current = np.minimum(value, revalued.value)
    bal = loans["outstanding_principal"].astype(float)
    on_property = bal.groupby(loans["property_id"].to_numpy()).transform("sum").to_numpy()
    share = np.where(on_property > 0, bal.to_numpy() / np.where(on_property > 0, on_property,
                                                                 1.0), 1.0)
    out: np.ndarray = current * share
    return out


def _price_index(as_of: date) -> Any:
    s = get_settings()
    return price_index(s.price_index_city, s.price_index_house_type, s.price_index_segment,
                       date(as_of.year, as_of.month, 1))


def lgd_from_collateral(balance: np.ndarray, value: np.ndarray,
                        policy: MonitoringPolicy) -> np.ndarray:
    """max(lgd_floor, 1 - value x recovery_rate / EAD), at most 1."""
    st = policy.stress
    with np.errstate(divide="ignore", invalid="ignore"):
        shortfall = np.where(balance > 0, 1.0 - value * st.recovery_rate
                             / np.where(balance > 0, balance, 1.0), 0.0)
    out: np.ndarray = np.clip(shortfall, st.lgd_floor, 1.0)
    return out


# --------------------------------------------------------------------------- the book

@dataclass(frozen=True)
class Book:
    """The loans in scope with everything the engines need, and where it came from."""

    as_of: date
    book_as_of: date | None
    scope: int | None
    policy: MonitoringPolicy
    loans: pd.DataFrame          # one row per loan with the engines' columns (load_book)
    repayments: pd.DataFrame     # reduced repayment rows of the loans in scope
    pd_table: pd.DataFrame
    versions: dict[str, Any]


def _scope_info(q: RiskQueries, scope: int | None) -> dict[str, Any] | None:
    if scope is None:
        return None
    b = q.branches()
    row = b[b["branch_id"] == scope]
    if row.empty:
        return {"branch_id": scope, "code": "", "name_zh": str(scope), "name_en": str(scope)}
    r = row.iloc[0]
    return {"branch_id": int(scope), "code": str(r["code"]), "name_zh": str(r["name_zh"]),
            "name_en": str(r["name_en"])}


def _classes(q: RiskQueries, loans: pd.DataFrame, as_of: date) -> tuple[pd.Series,
                                                                         dict[str, Any]]:
    stored = q.latest_classes(as_of).set_index("loan_id")
    ids = loans["loan_id"].to_numpy()
    found = stored.reindex(ids)
    have = found["category"].notna().to_numpy()
    category = np.where(have, found["category"].to_numpy(dtype=object),
                        loans["five_category"].to_numpy(dtype=object))
    n_stored = int(have.sum())
    n_book = int(len(ids) - n_stored)
    source = "none" if not len(ids) else "stored" if n_book == 0 else \
        "book" if n_stored == 0 else "mixed"
    dates = sorted(set(found.loc[have, "as_of"])) if n_stored else []
    info = {
        "source": source,
        "as_of": dates[-1] if dates else None,
        "oldest_as_of": dates[0] if dates else None,
        "stored_loans": n_stored,
        "book_loans": n_book,
        "policy_versions": sorted({str(v) for v in found.loc[have, "policy_version"]}),
    }
    return pd.Series(category, index=loans.index, dtype=object), info


def load_book(uow: UnitOfWork, user: CurrentUser, *, as_of: date | None = None) -> Book:
    """Read the book in the user's scope and attach class, PD, collateral value and LGD."""
    scope = risk_scope(user)
    q = RiskQueries(uow.session)
    policy = active_policy(uow)
    book_as_of = q.book_as_of()
    on = as_of or book_as_of or date.today()
    loans = q.active_loans(on)
    repayments = q.repayment_events(on)
    if len(loans):
        pd_table = observed_pd(repayments, as_of=on, policy=policy)
        first_cohort = (pd.Timestamp(on) - pd.DateOffset(months=12 + PD_COHORTS - 1)).date()
    else:
        pd_table = pd.DataFrame({"bucket": [b.name for b in
                                            policy.portfolio.roll_rate_buckets]})
        pd_table[["observed", "defaults"]] = 0
        pd_table[["rate", "pd"]] = np.nan
        first_cohort = None
    dpd = loans["days_past_due"].to_numpy(dtype=np.int64)
    loans["pd_12m"] = loan_pd(dpd, pd_table, policy) if len(loans) else np.zeros(0)
    try:
        loans["collateral_value"] = collateral_values(loans, q.latest_valuations(on), as_of=on)
    except DomainError as exc:
        raise Conflict(f"collateral cannot be revalued: {exc.reason}",
                       field=f"collateral.{exc.field}") from None
    loans["lgd"] = lgd_from_collateral(loans["outstanding_principal"].to_numpy(dtype=float),
                                       loans["collateral_value"].to_numpy(dtype=float), policy)
    if scope is not None:
        loans = loans[loans["branch_id"] == scope].reset_index(drop=True)
        repayments = repayments[repayments["loan_id"].isin(
            q.originations(on, scope)["loan_id"])].reset_index(drop=True)
    category, classification = _classes(q, loans, on)
    loans["category"] = category
    s = get_settings()
    index_info: dict[str, Any] = {
        "method": COLLATERAL_METHOD,
        "price_index": f"{s.price_index_city} {s.price_index_house_type} "
                       f"{s.price_index_segment}",
    }
    versions = {
        "monitoring_policy": policy.version,
        "classification": classification,
        "union_figures": _union_figures(uow).version,
        "pd": {"method": PD_METHOD, "cohorts": PD_COHORTS, "first_cohort": first_cohort,
               "last_cohort": (pd.Timestamp(on) - pd.DateOffset(months=12)).date(),
               "horizon_months": 12, "default_dpd_above": policy.portfolio.default_dpd_above,
               "floor": PD_FLOOR},
        "collateral": index_info,
        "lgd": {"floor": policy.stress.lgd_floor,
                "recovery_rate": policy.stress.recovery_rate},
        "ecl": {"stage2_dpd_above": policy.ecl.stage2_dpd_above,
                "stage2_pd_threshold": policy.ecl.stage2_pd_threshold},
        "stress": {"rural_amplitude": policy.stress.rural_amplitude,
                   "rural_property_types": list(policy.stress.rural_property_types)},
    }
    return Book(on, book_as_of, scope, policy, loans, repayments, pd_table, versions)


# --------------------------------------------------------------------------- portfolio risk

def _group_keys(view: pd.DataFrame, group_by: str) -> np.ndarray:
    """The group of each loan as a string key (ids as digits; no officer: ``unassigned``)."""
    col = view[GROUPS[group_by]]
    if group_by in ("branch", "officer"):
        keys = [UNASSIGNED if pd.isna(x) else str(int(x)) for x in col.astype(object)]
    else:
        keys = [UNASSIGNED if pd.isna(x) else str(x) for x in col.astype(object)]
    return np.asarray(keys, dtype=object)


def _group_labels(q: RiskQueries, group_by: str, keys: Sequence[str]
                  ) -> list[tuple[str, str, str]]:
    """(key, label_zh, label_en) of each group key, in display order."""
    labels: dict[str, tuple[str, str, str]] = {}  # key -> (sort key, zh, en)
    if group_by == "branch":
        for r in q.branches().itertuples():
            labels[str(_n(r.branch_id))] = (str(r.code), str(r.name_zh), str(r.name_en))
    elif group_by == "property_type":
        for i, p in enumerate(PropertyType):
            labels[p.value] = (f"{i:02d}", p.label_zh, p.label_en)
    elif group_by == "officer":
        for uid, name in q.officers().items():
            labels[str(uid)] = (name, name, name)
    labels[UNASSIGNED] = ("\uffff", "未分配", "unassigned")
    known = [(labels.get(k, (k, k, k)), k) for k in keys]
    return [(k, zh, en) for (_, zh, en), k in sorted(known, key=lambda x: (x[0][0], x[1]))]


def _indicator_rows(ind: pd.DataFrame, policy: MonitoringPolicy) -> list[dict[str, Any]]:
    t = policy.thresholds
    band_max = {"provision_coverage": t.provision_coverage_max,
                "loan_provision_ratio": t.loan_provision_ratio_max}
    out = []
    for r in ind.to_dict("records"):
        key = str(r["indicator"])
        if key in ("total_balance", "npl_balance", "provisions"):
            continue
        out.append({
            "key": key, "value": ratio(r["value"]), "numerator": money(r["numerator"]),
            "denominator": money(r["denominator"]), "limit_min": ratio(r["limit_min"]),
            "limit_max": ratio(r["limit_max"]),
            "band_max": ratio(band_max[key]) if key in band_max else None,
            "breach": bool(r["breach"]),
        })
    return out


def _provision_tables(per_loan: pd.DataFrame, policy: MonitoringPolicy
                      ) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    tot = provision_totals(per_loan, policy)
    totals = {"loans": len(per_loan), "balance": money(tot.balance),
              "specific_provision": money(tot.specific_provision), "ecl": money(tot.ecl),
              "provision": money(tot.provision), "general_reserve": money(tot.general_reserve),
              "general_reserve_rate": ratio(policy.provisions.general_reserve_rate)}
    by_cat = []
    for r in tot.by_category.itertuples():
        zh, en = _category_labels(str(r.category))
        by_cat.append({"category": str(r.category), "label_zh": zh, "label_en": en,
                       "rate": ratio(policy.provisions.rate(str(r.category))),
                       "loans": _n(r.loans), "balance": money(r.balance),
                       "specific_provision": money(r.specific_provision), "ecl": money(r.ecl),
                       "provision": money(r.provision)})
    by_stage = []
    for r in tot.by_stage.itertuples():
        by_stage.append({"stage": _n(r.stage), "loans": _n(r.loans),
                         "balance": money(r.balance),
                         "specific_provision": money(r.specific_provision),
                         "ecl": money(r.ecl), "provision": money(r.provision)})
    return totals, by_cat, by_stage


def _breakdown(q: RiskQueries, view: pd.DataFrame, per_loan: pd.DataFrame, group_by: str,
               policy: MonitoringPolicy) -> list[dict[str, Any]]:
    """Loans, money and the indicators of each group, with the indicators out of bounds."""
    if not len(view):
        return []
    v = view.assign(group=_group_keys(view, group_by))
    ind = pf.indicators(v, policy=policy, by=["group"])
    ind = ind[ind["dimension"] == "group"]
    wide = ind.pivot(index="group", columns="indicator", values="value")
    breach = ind[ind["breach"]].groupby("group")["indicator"].agg(list)
    sums = per_loan[["balance", "specific_provision", "ecl", "provision"]].groupby(
        v["group"].to_numpy()).sum()
    counts = v.groupby("group").size()
    npl = v[v["category"].isin(NPL_CATEGORIES)].groupby("group")["balance"].sum()
    ratios = ["npl_ratio", "provision_coverage", "loan_provision_ratio", "dpd90_to_npl",
              *(f"par{d}" for d in policy.portfolio.par_days)]
    rows = []
    for key, zh, en in _group_labels(q, group_by, [str(k) for k in counts.index]):
        rows.append({
            "key": key, "label_zh": zh, "label_en": en, "loans": int(counts[key]),
            "balance": money(sums.loc[key, "balance"]),
            "npl_balance": money(float(npl.get(key, 0.0))),
            "specific_provision": money(sums.loc[key, "specific_provision"]),
            "ecl": money(sums.loc[key, "ecl"]), "provision": money(sums.loc[key, "provision"]),
            **{k: ratio(wide.loc[key, k]) for k in ratios},
            "breaches": sorted(breach.get(key, [])),
        })
    return rows


def _view(book: Book, per_loan: pd.DataFrame) -> pd.DataFrame:
    loans = book.loans
    view = pf.loan_view(loans, pd.DataFrame({"loan_id": loans["loan_id"],
                                          "category": loans["category"]}),
                     provisions=per_loan)
    view["officer_id"] = loans["officer_id"].astype(object).to_numpy()
    return view


def portfolio_risk(uow: UnitOfWork, user: CurrentUser, *, as_of: date | None = None,
                   group_by: str = "branch", book: Book | None = None) -> dict[str, Any]:
    """Provisions, indicators against the thresholds, concentration and the breakdown by
    ``group_by`` (branch, township, property_type or officer) of the book in the user's
    scope."""
    group_by = _parse_group(group_by)
    book = book or load_book(uow, user, as_of=as_of)
    q = RiskQueries(uow.session)
    policy = book.policy
    loans = book.loans
    cls = pd.DataFrame({"loan_id": loans["loan_id"], "category": loans["category"]})
    try:
        per_loan = provisions(loans, cls, as_of=book.as_of, policy=policy)
    except DomainError as exc:
        raise Conflict(exc.reason, field=exc.field) from None
    view = _view(book, per_loan)
    totals, by_cat, by_stage = _provision_tables(per_loan, policy)
    totals["npl_balance"] = money(float(view.loc[view["category"].isin(NPL_CATEGORIES),
                                                 "balance"].sum()))
    ind = pf.indicators(view, policy=policy)
    union = _union_figures(uow)
    conc = pf.concentration(view, policy=policy, total_loans=float(union.all_loans))
    pd_rows = []
    for r in book.pd_table.itertuples():
        zh, en = bucket_labels(str(r.bucket))
        pd_rows.append({"bucket": str(r.bucket), "label_zh": zh, "label_en": en,
                        "observed": _n(r.observed), "defaults": _n(r.defaults),
                        "rate": ratio(r.rate), "pd": ratio(r.pd)})
    return {
        "as_of": book.as_of, "book_as_of": book.book_as_of,
        "scope": _scope_info(q, book.scope), "group_by": group_by,
        "versions": book.versions,
        "totals": totals,
        "indicators": _indicator_rows(ind, policy),
        "provisions": {"by_category": by_cat, "by_stage": by_stage},
        "pd_table": pd_rows,
        "concentration": [
            {"limit": str(r.limit), "balance": money(r.balance),
             "total_loans": Decimal(union.all_loans).quantize(FEN),
             "share": ratio(r.share), "max_share": ratio(r.max_share),
             "headroom": money(r.headroom), "breach": bool(r.breach)}
            for r in conc.itertuples()],
        "breakdown": _breakdown(q, view, per_loan, group_by, policy),
    }


# --------------------------------------------------------------------------- migration

def _dpd_classes(repayments: pd.DataFrame, on: date, policy: MonitoringPolicy, *,
                 until: date) -> pd.DataFrame:
    """The class by the DPD floors of every loan alive at ``on`` (``loan_id, category``).

    A loan whose repayment history (up to ``until``) ended more than a month before ``on``
    and that owes nothing is closed and left out, as in the roll rates."""
    ts = pd.Timestamp(on)
    due = repayments["due_date"]
    if not (due <= ts).any():
        return pd.DataFrame({"loan_id": pd.Series(dtype=np.int64),
                             "category": pd.Series(dtype=object)})
    upto = due <= pd.Timestamp(until)
    last_due = due[upto].groupby(repayments.loc[upto, "loan_id"]).max()
    dpd = dpd_at(repayments, on)
    ended = ((last_due.reindex(dpd.index) < ts - pd.offsets.MonthBegin(1)).to_numpy()
             & (dpd.to_numpy() == 0))
    dpd = dpd[~ended]
    frame = pd.DataFrame({"loan_id": dpd.index.to_numpy(), "days_past_due": dpd.to_numpy()})
    out = classify(frame, as_of=on, policy=policy)
    return out[["loan_id", "category"]]


def _matrix_rows(counts: pd.DataFrame, shares: pd.DataFrame, labels: Any
                 ) -> list[dict[str, Any]]:
    rows = []
    for key in counts.index:
        zh, en = labels(str(key))
        rows.append({"from": str(key), "label_zh": zh, "label_en": en,
                     "loans": int(counts.loc[key].sum()),
                     "counts": {str(c): int(counts.loc[key, c]) for c in counts.columns},
                     "shares": {str(c): ratio(shares.loc[key, c]) for c in shares.columns}})
    return rows


def migration(uow: UnitOfWork, user: CurrentUser, from_date: date | None = None,
              to_date: date | None = None, *, book: Book | None = None) -> dict[str, Any]:
    """Five-category migration from ``from_date`` to ``to_date`` (counts and shares).

    When classifications are stored for both dates the matrix is between those runs
    (``source`` "stored"); otherwise both snapshots are computed from the repayment history
    by the policy's DPD floors (``source`` "computed": events, restructurings and manual
    decisions are not in the history). A loan without a class at the later date (settled or
    written off) moves to ``closed``. Default dates: the newest stored run and the newest
    stored run at least a year before it; without such a pair, the book's as-of date and the
    month end twelve months before it.
    """
    scope = risk_scope(user)
    q = RiskQueries(uow.session)
    policy = book.policy if book is not None else active_policy(uow)
    book_as_of = q.book_as_of()
    stored_dates = q.classification_dates()
    to_d = to_date or (book.as_of if book is not None else None) or book_as_of or date.today()
    from_d = from_date or pf.month_ends(to_d, 12)[0].date()
    if from_date is None and to_date is None:
        runs = [d for d in stored_dates if d <= to_d]
        earlier = [d for d in runs if runs and d <= pf.month_ends(runs[-1], 12)[0].date()]
        if earlier:  # the newest stored run and the newest one a year or more before it
            from_d, to_d = earlier[-1], runs[-1]
    if from_d >= to_d:
        raise InvalidInput(f"must be before the end date {to_d}", field="from")
    if from_d in stored_dates and to_d in stored_dates:
        source = "stored"
        before = q.classes_on(from_d, scope)
        after = q.classes_on(to_d, scope)
        policy_versions = sorted(set(before["policy_version"]) | set(after["policy_version"]))
    else:
        source = "computed"
        if book is not None and book.as_of == to_d:
            reps = book.repayments
        else:
            reps = q.repayment_events(to_d, scope)
        before = _dpd_classes(reps, from_d, policy, until=to_d)
        after = _dpd_classes(reps, to_d, policy, until=to_d)
        policy_versions = [policy.version]
    counts = pf.migration_matrix(before, after, shares=False)
    shares = pf.migration_matrix(before, after, shares=True)
    both = int(counts.drop(columns=[CLOSED]).to_numpy().sum())
    return {
        "from": from_d, "to": to_d, "source": source,
        "scope": _scope_info(q, scope),
        "stored_dates": stored_dates,
        "versions": {"monitoring_policy": policy.version,
                     "classification_policies": policy_versions,
                     "classification": {"source": source, "from": from_d, "to": to_d}},
        "columns": [{"key": str(c), "label_zh": _category_labels(str(c))[0],
                     "label_en": _category_labels(str(c))[1]} for c in counts.columns],
        "rows": _matrix_rows(counts, shares, _category_labels),
        "loans_from": int(len(before)), "loans_both": both,
    }


# --------------------------------------------------------------------------- vintages, rolls

def vintages(uow: UnitOfWork, user: CurrentUser, *, as_of: date | None = None,
             metric: str = "default", book: Book | None = None) -> dict[str, Any]:
    """Cumulative bad rate by origination year and months on book (``metric``: default =
    more than the policy's default days past due, dpd30, dpd90)."""
    if metric not in VINTAGE_METRICS:
        raise InvalidInput(f"unknown metric {metric!r}; allowed: {', '.join(VINTAGE_METRICS)}",
                           field="metric")
    scope = risk_scope(user)
    q = RiskQueries(uow.session)
    policy = book.policy if book is not None else active_policy(uow)
    on = as_of or (book.as_of if book is not None else None) or q.book_as_of() or date.today()
    loans = q.originations(on, scope)
    reps = book.repayments if book is not None and book.as_of == on else \
        q.repayment_events(on, scope)
    curves = pf.vintage_curves(loans, reps, as_of=on, policy=policy, metric=metric) \
        if len(loans) else pd.DataFrame(columns=["vintage", "months_on_book", "loans",
                                                 "bad_loans", "rate"])
    out = []
    for vintage, g in curves.groupby("vintage", sort=True):
        out.append({"vintage": _n(vintage), "loans": int(g["loans"].iloc[0]),
                    "months_on_book": [int(x) for x in g["months_on_book"]],
                    "bad_loans": [int(x) for x in g["bad_loans"]],
                    "rate": [ratio(x) for x in g["rate"]]})
    return {"as_of": on, "metric": metric, "scope": _scope_info(q, scope),
            "versions": {"monitoring_policy": policy.version,
                         "threshold_days": {"default": policy.portfolio.default_dpd_above,
                                            "dpd30": 30, "dpd90": 90}[metric]},
            "vintages": out}


def roll_rates(uow: UnitOfWork, user: CurrentUser, *, as_of: date | None = None,
                      months: int = 12, book: Book | None = None) -> dict[str, Any]:
    """Month-to-month moves between DPD buckets over the last ``months`` months, pooled."""
    if not 1 <= months <= 120:
        raise InvalidInput("must be between 1 and 120", field="months")
    scope = risk_scope(user)
    q = RiskQueries(uow.session)
    policy = book.policy if book is not None else active_policy(uow)
    on = as_of or (book.as_of if book is not None else None) or q.book_as_of() or date.today()
    reps = book.repayments if book is not None and book.as_of == on else \
        q.repayment_events(on, scope)
    rates = pf.roll_rates(reps, as_of=on, policy=policy, months=months)
    names = [b.name for b in policy.portfolio.roll_rate_buckets]
    shares = pf.roll_rate_matrix(rates, policy) if len(rates) else \
        pd.DataFrame(0.0, index=names, columns=[*names, CLOSED])
    counts = (rates.pivot_table(index="from_bucket", columns="to_bucket", values="loans",
                                aggfunc="sum").reindex(index=names, columns=[*names, CLOSED])
              .fillna(0).astype(int)) if len(rates) else \
        pd.DataFrame(0, index=names, columns=[*names, CLOSED])
    return {"as_of": on, "months": months, "scope": _scope_info(q, scope),
            "versions": {"monitoring_policy": policy.version},
            "columns": [{"key": c, "label_zh": bucket_labels(c)[0],
                         "label_en": bucket_labels(c)[1]} for c in [*names, CLOSED]],
            "rows": _matrix_rows(counts, shares, bucket_labels)}


# --------------------------------------------------------------------------- stress

Shock = Annotated[float, Field(ge=-1.0, le=1.0)]


class ScenarioIn(BaseModel):
    """One stress scenario: a one-off house price change or a monthly path, and PD shocks."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=64)
    house_price_shock: Shock = 0.0
    house_price_path: list[Shock] = Field(default_factory=list, max_length=120)
    pd_multiplier: float = Field(default=1.0, ge=0.0, le=100.0)
    pd_log_odds_shift: float = Field(default=0.0, ge=-20.0, le=20.0)

    @field_validator("house_price_path")
    @classmethod
    def _one_kind(cls, path: list[float], info: ValidationInfo) -> list[float]:
        if path and info.data.get("house_price_shock"):
            raise ValueError("give house_price_shock or house_price_path, not both")
        return path


class StressIn(BaseModel):
    """Scenarios in full, or house price shocks (each one scenario), or one monthly price
    path, each with the one PD multiplier; nothing: the policy's scenarios."""

    model_config = ConfigDict(extra="forbid")

    scenarios: list[ScenarioIn] | None = Field(default=None, min_length=1, max_length=20)
    house_price_shocks: list[Shock] | None = Field(default=None, min_length=1, max_length=20)
    house_price_path: list[Shock] | None = Field(default=None, min_length=1, max_length=120)
    pd_multiplier: float = Field(default=1.0, ge=0.0, le=100.0)
    as_of: date | None = None

    @model_validator(mode="after")
    def _one_form(self) -> StressIn:
        given = [n for n in ("scenarios", "house_price_shocks", "house_price_path")
                 if getattr(self, n) is not None]
        if len(given) > 1:
            raise ValueError(f"{given[1]}: give only one of scenarios, house_price_shocks or "
                             "house_price_path")
        if self.scenarios is not None and self.pd_multiplier != 1.0:
            raise ValueError("pd_multiplier: with scenarios, give each scenario its own "
                             "pd_multiplier")
        return self


def _pct(x: float) -> str:
    return f"{x * 100:+g}%"


def stress_scenarios(body: StressIn | None) -> list[ScenarioSpec] | None:
    """The scenarios a request asks for (None: the policy's)."""
    if body is None:
        return None
    out: list[ScenarioSpec] = []
    try:
        if body.scenarios is not None:
            for i, s in enumerate(body.scenarios):
                out.append(scenario_from_dict(s.model_dump(), f"scenarios[{i}]"))
        elif body.house_price_shocks is not None:
            for i, shock in enumerate(body.house_price_shocks):
                out.append(scenario_from_dict(
                    {"name": f"{_pct(shock)} x{body.pd_multiplier:g}",
                     "house_price_shock": shock, "pd_multiplier": body.pd_multiplier},
                    f"house_price_shocks[{i}]"))
        elif body.house_price_path is not None:
            out.append(scenario_from_dict(
                {"name": f"path x{body.pd_multiplier:g}",
                 "house_price_path": list(body.house_price_path),
                 "pd_multiplier": body.pd_multiplier}, "house_price_path"))
        else:
            return None
    except DomainError as exc:
        raise InvalidInput(exc.reason, field=exc.field) from None
    names = [s.name for s in out]
    if len(set(names)) != len(names):
        raise InvalidInput("scenario names must differ", field="scenarios")
    return out


def _scenario_row(r: Any, base: Any, spec: ScenarioSpec | None) -> dict[str, Any]:
    def delta(col: str) -> Decimal:
        return money(float(getattr(r, col)) - float(getattr(base, col)))

    return {
        "name": str(r.scenario),
        "house_price_shock": ratio(r.house_price_shock),
        "house_price_path": list(spec.house_price_path) if spec is not None else [],
        "pd_multiplier": ratio(r.pd_multiplier),
        "pd_log_odds_shift": ratio(r.pd_log_odds_shift),
        "loans": _n(r.loans), "total_balance": money(r.total_balance),
        "share_ltv_over_100": ratio(r.share_ltv_over_100),
        "balance_share_ltv_over_100": ratio(r.balance_share_ltv_over_100),
        "mean_pd": ratio(r.mean_pd),
        "expected_loss": money(r.expected_loss), "provisions": money(r.provisions),
        "npl_balance": money(r.npl_balance), "npl_ratio": ratio(r.npl_ratio),
        "stressed_new_npl_balance": money(r.stressed_new_npl_balance),
        "expected_loss_change": delta("expected_loss"),
        "provisions_change": delta("provisions"),
        "npl_ratio_change": ratio(float(r.npl_ratio) - float(base.npl_ratio))
        if math.isfinite(float(r.npl_ratio)) and math.isfinite(float(base.npl_ratio))
        else None,
    }


def stress_test(uow: UnitOfWork, user: CurrentUser,
                scenarios: Sequence[ScenarioSpec] | None = None, *,
                as_of: date | None = None, book: Book | None = None) -> dict[str, Any]:
    """Each scenario against the unshocked baseline: the share of loans with LTV over 100%,
    expected loss, provisions and the NPL ratio after the shock (``monitoring.stress``)."""
    book = book or load_book(uow, user, as_of=as_of)
    policy = book.policy
    specs = list(policy.stress.scenarios if scenarios is None else scenarios)
    if not specs:
        raise InvalidInput("give at least one scenario", field="scenarios")
    frame = book.loans[["loan_id", "outstanding_principal", "collateral_value",
                        "property_type", "pd_12m", "lgd", "category", "days_past_due"]]
    try:
        table = run_scenarios(frame, policy=policy, scenarios=[BASELINE, *specs])
    except DomainError as exc:
        raise InvalidInput(exc.reason, field=exc.field) from None
    rows = list(table.itertuples())
    base = rows[0]
    q = RiskQueries(uow.session)
    return {
        "as_of": book.as_of, "book_as_of": book.book_as_of,
        "scope": _scope_info(q, book.scope),
        "versions": book.versions,
        "custom": scenarios is not None,
        "baseline": _scenario_row(base, base, None),
        "scenarios": [_scenario_row(r, base, s) for r, s in zip(rows[1:], specs, strict=True)],
    }


# --------------------------------------------------------------------------- the page

_DASHBOARDS: OrderedDict[tuple[Any, ...], dict[str, Mapping[str, Any]]] = OrderedDict()
_DASHBOARD_LOCK = threading.Lock()
DASHBOARD_CACHE_SIZE: Final = 16


def _data_version(uow: UnitOfWork) -> int:
    """The newest audit record's id: every write to the book adds one, so an unchanged id
    means unchanged data."""
    return int(uow.session.scalar(select(func.max(AuditRow.id))) or 0)


def dashboard(uow: UnitOfWork, user: CurrentUser, *, group_by: str = "branch",
              as_of: date | None = None, metric: str = "default") -> dict[str, Mapping[str, Any]]:
    """Everything the risk page shows, reading the book once. The result is kept per scope
    and arguments until the next write (the audit log's head moves) or the next day."""
    group_by = _parse_group(group_by)
    key = (risk_scope(user), group_by, as_of, metric, date.today(), _data_version(uow))
    with _DASHBOARD_LOCK:
        hit = _DASHBOARDS.get(key)
        if hit is not None:
            _DASHBOARDS.move_to_end(key)
            return copy.deepcopy(hit)
    book = load_book(uow, user, as_of=as_of)
    result: dict[str, Mapping[str, Any]] = {
        "risk": portfolio_risk(uow, user, group_by=group_by, book=book),
        "migration": migration(uow, user, book=book),
        "vintages": vintages(uow, user, metric=metric, book=book),
        "roll_rates": roll_rates(uow, user, book=book),
    }
    with _DASHBOARD_LOCK:
        _DASHBOARDS[key] = copy.deepcopy(result)
        while len(_DASHBOARDS) > DASHBOARD_CACHE_SIZE:
            _DASHBOARDS.popitem(last=False)
    return result
