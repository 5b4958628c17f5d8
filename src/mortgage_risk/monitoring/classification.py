"""Five-category classification (五级分类) under the 2023 Measures: the pure engine.

``classify`` works on whole frames (vectorised over every loan); ``classify_one`` classifies one
loan in plain Python and explains every step. Both follow the same rules, in this order
(reference-regulation.md 1.2-1.5; the numbers are in the monitoring policy):

1. **DPD floor.** Days past due strictly above a floor's ``above_days`` put the loan at least in
   its class (over 0: special mention, over 90: substandard, over 270: doubtful, over 360:
   loss). 1-7 days is a technical delay and stays normal (when the policy asks for a flag, only
   loans whose ``technical_delay`` column is true). A written-off loan is loss.
2. **Event overrides.** Each classification event (bankruptcy, debt evasion, NPL elsewhere, ...)
   has a minimum class. A borrower-scope event reaches every loan of the borrower; a
   loan-scope event with a ``loan_id`` only that loan. The worse class wins. Feed events that
   only raise warnings (every domain ``EventType`` and the policy's ``signal_only_events``:
   court enforcement, lawsuit, ...) are accepted and ignored here; an unknown event type is an
   error.
3. **Restructuring.** During the observation period (from the first repayment date after the
   change; at least 2 consecutive periods and 12 months; a missed payment restarts it from the
   missed due date) the loan is at least substandard, or at least special mention when it was
   normal or special mention before the restructuring; a missed payment or a restructuring
   again within the previous observation period makes it at least substandard. The period
   passes when the counts are met, the latest payments are all on time, nothing is overdue
   and the difficulty is resolved.
4. **Upgrade gate.** A loan whose previous class was NPL improves (any improvement with gate
   ``any``; only out of NPL with ``to_performing``) only when the arrears are fully repaid and,
   after that, repayment was normal for at least 2 periods and 6 months. Otherwise it keeps its
   previous class, and ``upgrade_blocked_reason`` says why. Without a repayment history the
   conditions cannot be checked and the upgrade is blocked.
5. **Manual decisions.** A manual class worse than the rules' class applies at any time (manual
   downgrade). A better one applies only when ``approved``; it releases the upgrade gate and an
   earlier manual downgrade but never goes below the hard floors (DPD, write-off, events,
   restructuring).

A repayment period is *normal* when it is paid in full by the as-of date no more than the
technical delay after its due date. Frames use the storage column names: loans as LoanRow
(``id`` or ``loan_id``, ``borrower_id``, ``days_past_due``, ``status``, optional
``overdue_amount`` and ``technical_delay``), repayments as RepaymentRow.

Optional frames:

- ``events``: ``event_type``, ``event_date``, ``loan_id`` and/or ``borrower_id``, optional
  ``resolved_date`` (on or before the as-of date: no longer applies).
- ``previous``: ``loan_id``, ``category`` (the last run's class).
- ``restructurings``: ``loan_id``, ``restructure_date``; optional ``observation_start``,
  ``pre_category`` (class before the change), ``difficulty_resolved``.
- ``manual``: ``loan_id``, ``category``; optional ``approved`` (default false),
  ``effective_date`` (the latest effective row per loan counts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import numpy as np
import pandas as pd

from mortgage_risk.domain import DomainError, EventType, FiveCategory
from mortgage_risk.monitoring.policy import CATEGORIES, MonitoringPolicy, category_of, rank

EPS: Final = 0.005
NPL_RANK: Final = rank(FiveCategory.SUBSTANDARD)
NONE_RANK: Final = -1

# in the order the driver is looked for: an approved manual upgrade that sets the class first
DRIVERS: Final = ("manual_upgrade", "written_off", "dpd", "event", "restructuring",
                  "upgrade_gate", "manual_downgrade")

OUTPUT_COLUMNS: Final = ("loan_id", "category", "dpd_floor_category", "reasons", "driver",
                         "previous_category", "changed", "upgrade_blocked_reason")

# Reason codes. DPD and event texts come from the policy (see ``reason_text``).
REASON_TEXT: Final[Mapping[str, tuple[str, str]]] = {
    "DPD_CURRENT": ("无逾期", "no overdue amount"),
    "DPD_TECHNICAL_DELAY": ("逾期在技术性延误期内", "overdue within the technical delay"),
    "WRITTEN_OFF": ("已核销", "written off"),
    "RESTRUCTURED_IN_OBSERVATION": ("重组资产处于观察期", "restructured, in observation period"),
    "RESTRUCTURED_MISSED_PAYMENT": ("重组观察期内未按时足额还款",
                                    "restructured, missed a payment in observation"),
    "RESTRUCTURED_AGAIN": ("观察期内再次重组", "restructured again within the observation "
                                          "period"),
    "RESTRUCTURED_OBSERVATION_PASSED": ("重组观察期已满", "restructuring observation passed"),
    "UPGRADE_CONDITIONS_MET": ("不良上调条件已满足", "NPL upgrade conditions met"),
    "UPGRADE_BLOCKED_ARREARS": ("欠款未全部结清，维持原分类",
                                "arrears not fully repaid; previous class kept"),
    "UPGRADE_BLOCKED_PERIOD": ("结清欠款后正常还款期限不足，维持原分类",
                               "too short a normal repayment since the arrears were repaid; "
                               "previous class kept"),
    "UPGRADE_BLOCKED_NO_HISTORY": ("无还款记录，无法核实上调条件，维持原分类",
                                   "no repayment history to check the upgrade; previous class "
                                   "kept"),
    "MANUAL_DOWNGRADE": ("人工下调", "manual downgrade"),
    "MANUAL_UPGRADE_APPROVED": ("经批准的人工上调", "approved manual upgrade"),
    "MANUAL_UPGRADE_NOT_APPROVED": ("人工上调未经批准，不生效",
                                    "manual upgrade not approved; not applied"),
    "MANUAL_UPGRADE_LIMITED": ("人工上调受硬性下限约束", "manual upgrade limited by a hard floor"),
}


def reason_text(code: str, policy: MonitoringPolicy, locale: str = "zh") -> str:
    """The Chinese (``zh``) or English text of a reason code."""
    zh_first = locale.startswith("zh")
    if code.startswith("EVENT_"):
        ov = policy.event_overrides.get(code[len("EVENT_"):].lower())
        if ov is not None:
            return ov.zh if zh_first else ov.en
    if code.startswith("DPD_") and code not in REASON_TEXT:
        cat = code[len("DPD_"):].lower()
        for f in policy.classification.dpd_floors:
            if f.category.value == cat:
                days = max(f.above_days, policy.classification.technical_delay_days) \
                    if f.above_days == 0 else f.above_days
                return (f"逾期超过{days}天" if zh_first
                        else f"more than {days} days past due")
    if code in REASON_TEXT:
        zh, en = REASON_TEXT[code]
        return zh if zh_first else en
    raise DomainError("reason", f"unknown reason code {code!r}")


def dpd_code(category: FiveCategory | str) -> str:
    return f"DPD_{str(category).upper()}"


def event_code(event_type: str) -> str:
    return f"EVENT_{event_type.upper()}"


# --------------------------------------------------------------------------- small helpers

def full_months(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def _full_months_vec(start: pd.Series, end: pd.Timestamp) -> np.ndarray:
    s = pd.to_datetime(start)
    y = s.dt.year.to_numpy(dtype="float64")
    m = s.dt.month.to_numpy(dtype="float64")
    d = s.dt.day.to_numpy(dtype="float64")
    out: np.ndarray = ((end.year - y) * 12 + end.month - m - (end.day < d))
    return out  # NaN where start is NaT


def loan_ids(loans: pd.DataFrame) -> pd.Series:
    """The loan id column: ``loan_id`` when present, else LoanRow's ``id``."""
    col = "loan_id" if "loan_id" in loans.columns else "id"
    if col not in loans.columns:
        raise DomainError("loans", "needs an id or loan_id column")
    return loans[col]


def _cat_ranks(values: pd.Series, field: str) -> np.ndarray:
    """Category names to ranks; missing -> -1; unknown -> DomainError."""
    mapping = {c.value: i for i, c in enumerate(CATEGORIES)}
    s = values.astype("object")
    r = s.map(mapping)
    bad = s.notna() & r.isna()
    if bad.any():
        allowed = ", ".join(c.value for c in CATEGORIES)
        raise DomainError(field, f"unknown category {s[bad].iloc[0]!r}; allowed: {allowed}")
    out: np.ndarray = r.fillna(NONE_RANK).to_numpy(dtype=np.int64)
    return out


def _dates(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    return pd.to_datetime(frame[col]).astype("datetime64[ns]")


def _bools(frame: pd.DataFrame, col: str, default: bool) -> np.ndarray:
    if col not in frame.columns:
        return np.full(len(frame), default)
    out: np.ndarray = frame[col].astype("boolean").fillna(default).to_numpy(dtype=bool)
    return out


def _check_event_types(types: Iterable[str], policy: MonitoringPolicy) -> None:
    known = (set(policy.event_overrides) | set(policy.signal_only_events)
             | {e.value for e in EventType})
    for t in types:
        if t not in known:
            raise DomainError("events.event_type",
                              f"unknown event type {t!r}; allowed: {', '.join(sorted(known))}")


def _repayment_rows(repayments: pd.DataFrame, as_of: pd.Timestamp, tech_days: int,
                    ids: np.ndarray | None = None) -> pd.DataFrame:
    """Rows due by the as-of date with ``loan_id, due, paid, bad`` (bad = not normal)."""
    r = repayments
    if ids is not None:
        r = r[r["loan_id"].isin(ids)]
    due = pd.to_datetime(r["due_date"]).astype("datetime64[ns]")
    keep = (due <= as_of).to_numpy()
    r = r[keep]
    due = due[keep]
    paid = pd.to_datetime(r["paid_date"]).astype("datetime64[ns]")
    paid = paid.where(paid <= as_of)
    short = (r["amount_paid"].astype(float) < r["amount_due"].astype(float) - EPS)
    late = (paid - due).dt.days > tech_days
    bad = paid.isna() | short | late.fillna(True).astype(bool)
    return pd.DataFrame({"loan_id": r["loan_id"].to_numpy(), "due": due.to_numpy(),
                         "paid": paid.where(~short).to_numpy(), "bad": bad.to_numpy()})


# --------------------------------------------------------------------------- vectorised

def classify(
    loans: pd.DataFrame,
    *,
    as_of: date,
    policy: MonitoringPolicy,
    events: pd.DataFrame | None = None,
    previous: pd.DataFrame | None = None,
    restructurings: pd.DataFrame | None = None,
    manual: pd.DataFrame | None = None,
    repayments: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Classify every loan; one row per loan in the loans' order (columns ``OUTPUT_COLUMNS``).

    ``category``, ``dpd_floor_category`` and ``previous_category`` are category names;
    ``reasons`` a list of reason codes (text via ``reason_text``); ``driver`` one of
    ``DRIVERS``: the rule that set the class; ``changed`` is true when a previous class is
    known and differs; ``upgrade_blocked_reason`` a reason code or None.
    """
    ts = pd.Timestamp(as_of)
    rules = policy.classification
    n = len(loans)
    ids = loan_ids(loans).to_numpy()
    id_index = pd.Index(ids)
    if not id_index.is_unique:
        raise DomainError("loans", "loan ids must be unique")
    dpd = loans["days_past_due"].fillna(0).to_numpy(dtype=np.int64)
    if (dpd < 0).any():
        raise DomainError("loans.days_past_due", "must not be negative")

    # 1. DPD floor and write-off
    dpd_r = np.zeros(n, dtype=np.int64)
    dpd_codes = np.full(n, "DPD_CURRENT", dtype=object)
    for f in rules.dpd_floors:
        hit = dpd > f.above_days
        dpd_r[hit] = rank(f.category)
        dpd_codes[hit] = dpd_code(f.category)
    exempt = (dpd > 0) & (dpd <= rules.technical_delay_days)
    if rules.technical_delay_requires_flag:
        exempt &= _bools(loans, "technical_delay", False)
    dpd_r[exempt] = 0
    dpd_codes[exempt] = "DPD_TECHNICAL_DELAY"
    if "status" in loans.columns:
        written_off = (loans["status"].astype("object") == "written_off").to_numpy(dtype=bool)
    else:
        written_off = np.zeros(n, dtype=bool)
    wo_r = np.where(written_off, rank(rules.written_off_category), NONE_RANK)

    # 2. events
    ev_r = np.full(n, NONE_RANK, dtype=np.int64)
    ev_codes = np.full(n, "", dtype=object)
    if events is not None and len(events):
        ev_r, ev_codes = _event_floors(loans, ids, id_index, events, ts, policy)

    # 3. restructuring
    rs_r = np.full(n, NONE_RANK, dtype=np.int64)
    rs_codes = np.full(n, "", dtype=object)
    if restructurings is not None and len(restructurings):
        rs_r, rs_codes = _restructuring_floors(id_index, dpd, restructurings, repayments, ts,
                                               policy)

    hard = np.maximum.reduce([dpd_r, wo_r, ev_r, rs_r])

    # 4. upgrade gate
    prev_r = np.full(n, NONE_RANK, dtype=np.int64)
    if previous is not None and len(previous):
        p = previous.drop_duplicates("loan_id", keep="last").set_index("loan_id")["category"]
        prev_r = _cat_ranks(p.reindex(id_index), "previous.category")
    gate_r = np.full(n, NONE_RANK, dtype=np.int64)
    blocked = np.full(n, None, dtype=object)
    up_codes = np.full(n, "", dtype=object)
    need = (prev_r >= NPL_RANK) & (hard < prev_r)
    if policy.upgrade.gate == "to_performing":
        need &= hard < NPL_RANK
    if need.any():
        code = _upgrade_check(loans, id_index, dpd, need, repayments, ts, policy)
        ok = code == "UPGRADE_CONDITIONS_MET"
        fail = need & ~ok
        gate_r[fail] = prev_r[fail]
        blocked[fail] = code[fail]
        up_codes[need] = code[need]
    rule_r = np.maximum(hard, gate_r)

    # 5. manual decisions
    final = rule_r.copy()
    man_down = np.full(n, NONE_RANK, dtype=np.int64)
    man_up = np.full(n, NONE_RANK, dtype=np.int64)
    man_codes = np.full(n, "", dtype=object)
    if manual is not None and len(manual):
        m = manual.copy()
        m["_eff"] = _dates(m, "effective_date").fillna(pd.Timestamp.min)
        m["_approved"] = _bools(m, "approved", False)
        m = m[m["_eff"] <= ts].sort_values("_eff", kind="stable")
        m = m.drop_duplicates("loan_id", keep="last").set_index("loan_id")
        target = _cat_ranks(m["category"].reindex(id_index), "manual.category")
        approved = m["_approved"].reindex(id_index).fillna(False).to_numpy(dtype=bool)
        down = (target >= 0) & (target > rule_r)
        up = (target >= 0) & (target < rule_r)
        man_down[down] = target[down]
        man_codes[down] = "MANUAL_DOWNGRADE"
        final[down] = target[down]
        up_ok = up & approved
        final[up_ok] = np.maximum(target[up_ok], hard[up_ok])
        man_up[up_ok] = target[up_ok]
        gate_r[up_ok] = NONE_RANK  # the approval releases the gate
        blocked[up_ok] = None
        limited = up_ok & (final > target)
        man_codes[up_ok] = "MANUAL_UPGRADE_APPROVED"
        man_codes[limited] = "MANUAL_UPGRADE_APPROVED|MANUAL_UPGRADE_LIMITED"
        blocked[limited] = "MANUAL_UPGRADE_LIMITED"
        not_ok = up & ~approved
        man_codes[not_ok] = "MANUAL_UPGRADE_NOT_APPROVED"
        blocked[not_ok] = "MANUAL_UPGRADE_NOT_APPROVED"

    # driver: the first rule, in DRIVERS order, that sets the final class
    driver = np.full(n, "dpd", dtype=object)
    settled = np.zeros(n, dtype=bool)
    for name, comp in zip(DRIVERS, (man_up, wo_r, dpd_r, ev_r, rs_r, gate_r, man_down),
                          strict=True):
        hit = ~settled & (comp == final)
        driver[hit] = name
        settled |= hit

    wo_codes = np.where(written_off, "WRITTEN_OFF", "")
    reasons: list[list[str]] = [[c] for c in dpd_codes]
    more = (written_off | (ev_codes != "") | (rs_codes != "") | (up_codes != "")
            | (man_codes != ""))
    for i in np.flatnonzero(more):
        reasons[i] = [c for part in (dpd_codes[i], wo_codes[i], ev_codes[i], rs_codes[i],
                                     up_codes[i], man_codes[i]) if part
                      for c in str(part).split("|")]
    cats = np.array([c.value for c in CATEGORIES], dtype=object)
    prev_cat = cats[np.maximum(prev_r, 0)].copy()
    prev_cat[prev_r < 0] = None
    return pd.DataFrame({
        "loan_id": ids,
        "category": cats[final],
        "dpd_floor_category": cats[dpd_r],
        "reasons": reasons,
        "driver": driver,
        "previous_category": pd.Series(prev_cat, dtype="object"),
        "changed": (prev_r >= 0) & (prev_r != final),
        "upgrade_blocked_reason": pd.Series(blocked, dtype="object"),
    })


def _event_floors(loans: pd.DataFrame, ids: np.ndarray, id_index: pd.Index,
                  events: pd.DataFrame, ts: pd.Timestamp,
                  policy: MonitoringPolicy) -> tuple[np.ndarray, np.ndarray]:
    n = len(ids)
    ev = events
    types = ev["event_type"].astype("object")
    _check_event_types(types.dropna().unique(), policy)
    when = _dates(ev, "event_date")
    resolved = _dates(ev, "resolved_date")
    live = (when.isna() | (when <= ts)) & (resolved.isna() | (resolved > ts))
    live &= types.isin(list(policy.event_overrides))
    ev = ev[live.to_numpy()]
    if ev.empty:
        return np.full(n, NONE_RANK, dtype=np.int64), np.full(n, "", dtype=object)
    t = ev["event_type"].astype("object").to_numpy()
    scope = np.array([policy.event_overrides[x].scope for x in t], dtype=object)
    ev_rank = np.array([rank(policy.event_overrides[x].min_category) for x in t])
    n_ev = len(ev)
    ev_loan = (ev["loan_id"].to_numpy(dtype=object) if "loan_id" in ev.columns
               else np.full(n_ev, None, dtype=object))
    ev_borrower = (ev["borrower_id"].to_numpy(dtype=object) if "borrower_id" in ev.columns
                   else np.full(n_ev, None, dtype=object))
    has_loan = pd.notna(ev_loan)
    has_borrower = pd.notna(ev_borrower)
    by_borrower = has_borrower & ~(has_loan & (scope == "loan"))
    by_loan = has_loan & ~by_borrower
    pairs = [pd.DataFrame({"loan_id": ev_loan[by_loan], "rank": ev_rank[by_loan],
                           "type": t[by_loan]})]
    if by_borrower.any() and "borrower_id" in loans.columns:
        b = pd.DataFrame({"borrower_id": ev_borrower[by_borrower],
                          "rank": ev_rank[by_borrower], "type": t[by_borrower]})
        lb = pd.DataFrame({"loan_id": ids, "borrower_id": loans["borrower_id"].to_numpy()})
        b["borrower_id"] = b["borrower_id"].astype(lb["borrower_id"].dtype)
        pairs.append(lb.merge(b, on="borrower_id")[["loan_id", "rank", "type"]])
    allp = pd.concat(pairs, ignore_index=True)
    allp = allp[allp["loan_id"].isin(ids)]
    out_r = np.full(n, NONE_RANK, dtype=np.int64)
    out_c = np.full(n, "", dtype=object)
    if allp.empty:
        return out_r, out_c
    allp = allp.drop_duplicates(["loan_id", "type"]).sort_values(
        ["loan_id", "rank", "type"], ascending=[True, False, True])
    agg = allp.groupby("loan_id", sort=False).agg(
        rank=("rank", "max"), codes=("type", lambda s: "|".join(event_code(x) for x in s)))
    pos = id_index.get_indexer(agg.index)
    out_r[pos] = agg["rank"].to_numpy()
    out_c[pos] = agg["codes"].to_numpy()
    return out_r, out_c


def _restructuring_floors(id_index: pd.Index, dpd: np.ndarray, restructurings: pd.DataFrame,
                          repayments: pd.DataFrame | None, ts: pd.Timestamp,
                          policy: MonitoringPolicy) -> tuple[np.ndarray, np.ndarray]:
    n = len(id_index)
    rr = policy.restructuring
    tech = policy.classification.technical_delay_days
    r = restructurings.copy()
    r["_date"] = _dates(r, "restructure_date")
    r = r[(r["_date"] <= ts) & r["loan_id"].isin(id_index)].sort_values(
        ["loan_id", "_date"], kind="stable")
    out_r = np.full(n, NONE_RANK, dtype=np.int64)
    out_c = np.full(n, "", dtype=object)
    if r.empty:
        return out_r, out_c
    r["_prev_date"] = r.groupby("loan_id")["_date"].shift(1)
    r["_count"] = r.groupby("loan_id").cumcount() + 1
    last = r.drop_duplicates("loan_id", keep="last").set_index("loan_id")
    lid = last.index.to_numpy()
    pos = id_index.get_indexer(pd.Index(lid))
    rdate = last["_date"]
    start = _dates(last, "observation_start")
    last_missed = pd.Series(pd.NaT, index=last.index, dtype="datetime64[ns]")
    clean_n: np.ndarray | None = None
    if repayments is not None:
        rows = _repayment_rows(repayments, ts, tech, lid)
        rows = rows.merge(pd.DataFrame({"loan_id": lid, "_rdate": rdate.to_numpy()}),
                          on="loan_id")
        first_after = rows[rows["due"] > rows["_rdate"]].groupby("loan_id")["due"].min()
        start = start.fillna(first_after.reindex(last.index))
    start = start.fillna(rdate)
    # the latest missed payment in the period (from history, and the oldest unpaid due date)
    loan_dpd = dpd[pos]
    overdue = loan_dpd > tech
    unpaid_since = pd.Series(
        (ts - pd.to_timedelta(loan_dpd, unit="D")).to_numpy(dtype="datetime64[ns]"),
        index=last.index).where(overdue)
    if repayments is not None:
        rows = rows.merge(pd.DataFrame({"loan_id": lid, "_start": start.to_numpy()}),
                          on="loan_id")
        in_period = rows[rows["due"] >= rows["_start"]]
        bad_due = in_period[in_period["bad"]].groupby("loan_id")["due"].max()
        last_missed = bad_due.reindex(last.index).astype("datetime64[ns]")
    unpaid_since = unpaid_since.where(unpaid_since >= start)
    last_missed = pd.concat([last_missed, unpaid_since], axis=1).max(axis=1)
    missed = last_missed.notna().to_numpy()
    eff_start = last_missed.fillna(start)
    months = _full_months_vec(eff_start, ts)
    if repayments is not None:
        rows = rows.merge(pd.DataFrame({"loan_id": lid, "_eff": eff_start.to_numpy()}),
                          on="loan_id")
        ok = rows[(rows["due"] >= rows["_eff"]) & ~rows["bad"]]
        clean_n = ok.groupby("loan_id").size().reindex(last.index).fillna(0).to_numpy()
    else:
        clean_n = np.maximum(months + np.where(missed, 0, 1), 0)
    resolved = _bools(last, "difficulty_resolved", rr.assume_difficulty_resolved)
    passed = ((clean_n >= rr.observation_min_periods) & (months >= rr.observation_min_months)
              & resolved & (loan_dpd <= tech))
    prev = last["_prev_date"]
    again = np.zeros(len(last), dtype=bool)
    has_prev = prev.notna().to_numpy()
    if has_prev.any():
        months_since_prev = np.array([
            full_months(p.date(), d.date()) if pd.notna(p) else 10**6
            for p, d in zip(prev, rdate, strict=True)])
        again = has_prev & (months_since_prev < rr.observation_min_months)
    pre = _cat_ranks(last["pre_category"] if "pre_category" in last.columns
                     else pd.Series(None, index=last.index, dtype="object"),
                     "restructurings.pre_category")
    performing_before = (pre >= 0) & (pre < NPL_RANK)
    floor = np.where(performing_before, rank(rr.floor_in_observation_if_performing_before),
                     rank(rr.floor_in_observation))
    floor = np.where(missed, np.maximum(floor, rank(rr.floor_on_missed_payment)), floor)
    floor = np.where(again, np.maximum(floor, rank(rr.floor_on_re_restructuring)), floor)
    floor = np.where(passed, NONE_RANK, floor)
    codes = np.where(passed, "RESTRUCTURED_OBSERVATION_PASSED", "RESTRUCTURED_IN_OBSERVATION")
    codes = np.where(~passed & missed, np.char.add(codes.astype(str),
                                                   "|RESTRUCTURED_MISSED_PAYMENT"), codes)
    codes = np.where(~passed & again, np.char.add(codes.astype(str), "|RESTRUCTURED_AGAIN"),
                     codes)
    out_r[pos] = floor
    out_c[pos] = codes.astype(object)
    return out_r, out_c


def _upgrade_check(loans: pd.DataFrame, id_index: pd.Index, dpd: np.ndarray, need: np.ndarray,
                   repayments: pd.DataFrame | None, ts: pd.Timestamp,
                   policy: MonitoringPolicy) -> np.ndarray:
    """For loans in ``need``: UPGRADE_CONDITIONS_MET or the UPGRADE_BLOCKED_* reason."""
    n = len(id_index)
    code = np.full(n, "", dtype=object)
    overdue_amt = (loans["overdue_amount"].fillna(0).to_numpy(dtype=float)
                   if "overdue_amount" in loans.columns else np.zeros(n))
    arrears = (dpd > 0) | (overdue_amt > EPS)
    code[need & arrears] = "UPGRADE_BLOCKED_ARREARS"
    todo = need & ~arrears
    if not todo.any():
        return code
    if repayments is None:
        code[todo] = "UPGRADE_BLOCKED_NO_HISTORY"
        return code
    lid = id_index.to_numpy()[todo]
    rows = _repayment_rows(repayments, ts, policy.classification.technical_delay_days, lid)
    g = rows.groupby("loan_id")
    n_rows = g.size().reindex(lid).fillna(0).to_numpy()
    bad = rows[rows["bad"]]
    open_arrears = (bad["paid"].isna().groupby(bad["loan_id"]).any().reindex(lid)
                    .astype("boolean").fillna(False).to_numpy(dtype=bool))
    cleared = bad.groupby("loan_id")["paid"].max().reindex(lid).astype("datetime64[ns]")
    first_due = g["due"].min().reindex(lid).astype("datetime64[ns]")
    start = cleared.fillna(first_due)
    after = rows.merge(pd.DataFrame({"loan_id": lid, "_c": cleared.to_numpy()}), on="loan_id")
    after = after[after["_c"].isna() | (after["due"] > after["_c"])]
    clean_n = after.groupby("loan_id").size().reindex(lid).fillna(0).to_numpy()
    months = np.nan_to_num(_full_months_vec(start, ts), nan=-1)
    up = policy.upgrade
    sub = np.where(n_rows == 0, "UPGRADE_BLOCKED_NO_HISTORY",
                   np.where(open_arrears, "UPGRADE_BLOCKED_ARREARS",
                            np.where((clean_n >= up.min_periods) & (months >= up.min_months),
                                     "UPGRADE_CONDITIONS_MET", "UPGRADE_BLOCKED_PERIOD")))
    code[todo] = sub.astype(object)
    return code


# --------------------------------------------------------------------------- scalar

@dataclass(frozen=True)
class ClassificationResult:
    """One loan's class with every step that led to it."""

    loan_id: Any
    category: FiveCategory
    dpd_floor_category: FiveCategory
    reasons: tuple[str, ...]
    driver: str
    previous_category: FiveCategory | None
    changed: bool
    upgrade_blocked_reason: str | None
    steps: tuple[str, ...]

    def explain(self, policy: MonitoringPolicy, locale: str = "zh") -> list[str]:
        """The reasons as text, then the steps (English working notes)."""
        return [reason_text(c, policy, locale) for c in self.reasons] + list(self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {"loan_id": self.loan_id, "category": self.category.value,
                "dpd_floor_category": self.dpd_floor_category.value,
                "reasons": list(self.reasons), "driver": self.driver,
                "previous_category": (None if self.previous_category is None
                                      else self.previous_category.value),
                "changed": self.changed, "upgrade_blocked_reason": self.upgrade_blocked_reason,
                "steps": list(self.steps)}


def _d(value: Any) -> date | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    ts = pd.Timestamp(value)
    return None if pd.isna(ts) else ts.date()


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None or frame.empty:
        return []
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def _rank_checked(value: Any, field: str) -> int:
    try:
        return rank(str(value))
    except KeyError:
        allowed = ", ".join(c.value for c in CATEGORIES)
        raise DomainError(field, f"unknown category {value!r}; allowed: {allowed}") from None


def _is_set(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) \
        and value is not pd.NA and value is not pd.NaT


def classify_one(
    loan: Mapping[str, Any],
    *,
    as_of: date,
    policy: MonitoringPolicy,
    events: pd.DataFrame | None = None,
    previous_category: str | FiveCategory | None = None,
    restructurings: pd.DataFrame | None = None,
    manual: pd.DataFrame | None = None,
    repayments: pd.DataFrame | None = None,
) -> ClassificationResult:
    """Classify one loan (a LoanRow-like mapping) in plain Python, with its steps.

    The frames may hold other loans' rows; only this loan's (and its borrower's) are used.
    """
    rules = policy.classification
    tech = rules.technical_delay_days
    lid = loan.get("loan_id", loan.get("id"))
    borrower = loan.get("borrower_id")
    dpd = int(loan.get("days_past_due") or 0)
    if dpd < 0:
        raise DomainError("loan.days_past_due", "must not be negative")
    steps: list[str] = []
    reasons: list[str] = []

    tech_flag = bool(loan.get("technical_delay", False)) \
        if rules.technical_delay_requires_flag else True
    floor = rules.floor_for(dpd, tech_flag)
    dpd_r = rank(floor)
    if dpd == 0:
        reasons.append("DPD_CURRENT")
    elif 0 < dpd <= tech and floor is FiveCategory.NORMAL:
        reasons.append("DPD_TECHNICAL_DELAY")
    else:
        reasons.append(dpd_code(floor))
    steps.append(f"{dpd} days past due: floor {floor.value}")
    wo_r = NONE_RANK
    if loan.get("status") == "written_off":
        wo_r = rank(rules.written_off_category)
        reasons.append("WRITTEN_OFF")
        steps.append(f"written off: {rules.written_off_category.value}")

    # events
    ev_r = NONE_RANK
    hits: dict[str, int] = {}
    ev_rows = _records(events)
    _check_event_types({str(e["event_type"]) for e in ev_rows if _is_set(e.get("event_type"))},
                       policy)
    for e in ev_rows:
        t = str(e.get("event_type"))
        ov = policy.event_overrides.get(t)
        if ov is None:
            continue
        when, res = _d(e.get("event_date")), _d(e.get("resolved_date"))
        if (when is not None and when > as_of) or (res is not None and res <= as_of):
            continue
        e_loan, e_borrower = e.get("loan_id"), e.get("borrower_id")
        if _is_set(e_loan) and ov.scope == "loan":
            applies = e_loan == lid
        elif _is_set(e_borrower):
            applies = borrower is not None and e_borrower == borrower
        elif _is_set(e_loan):  # a borrower-scope event named by its loan
            applies = e_loan == lid
        else:
            applies = False
        if applies:
            hits[t] = rank(ov.min_category)
    if hits:
        ev_r = max(hits.values())
        for t in sorted(hits, key=lambda k: (-hits[k], k)):
            reasons.append(event_code(t))
            steps.append(f"event {t}: at least {policy.event_overrides[t].min_category.value}")

    # restructuring
    rs_r = NONE_RANK
    history = [r for r in _records(repayments) if r.get("loan_id") == lid]
    rows = _scalar_rows(history, as_of, tech)
    restr = [r for r in _records(restructurings) if r.get("loan_id") == lid
             and (_d(r.get("restructure_date")) or date.max) <= as_of]
    restr.sort(key=lambda r: _d(r.get("restructure_date")) or date.max)
    if restr:
        rs_r, codes, note = _scalar_restructuring(restr, rows, repayments is not None, dpd,
                                                  as_of, policy)
        reasons.extend(codes)
        steps.append(note)
    hard = max(dpd_r, wo_r, ev_r, rs_r)

    # upgrade gate
    prev_r = (NONE_RANK if not _is_set(previous_category)
              else _rank_checked(previous_category, "previous_category"))
    gate_r = NONE_RANK
    blocked: str | None = None
    need = prev_r >= NPL_RANK and hard < prev_r
    if need and policy.upgrade.gate == "to_performing":
        need = hard < NPL_RANK
    if need:
        code = _scalar_upgrade(loan, dpd, rows, repayments is not None, as_of, policy)
        reasons.append(code)
        if code != "UPGRADE_CONDITIONS_MET":
            gate_r = prev_r
            blocked = code
        steps.append(f"previous class {category_of(prev_r).value}: {code}")
    rule_r = max(hard, gate_r)

    # manual
    final = rule_r
    man_down = man_up = NONE_RANK
    mrows = [m for m in _records(manual) if m.get("loan_id") == lid
             and (_d(m.get("effective_date")) or date.min) <= as_of]
    if mrows:
        m = sorted(enumerate(mrows),
                   key=lambda im: (_d(im[1].get("effective_date")) or date.min, im[0]))[-1][1]
        target = _rank_checked(m.get("category"), "manual.category")
        approved = bool(m.get("approved")) if _is_set(m.get("approved")) else False
        if target > rule_r:
            final = man_down = target
            reasons.append("MANUAL_DOWNGRADE")
            steps.append(f"manual downgrade to {category_of(target).value}")
        elif target < rule_r and approved:
            final = max(target, hard)
            man_up = target
            gate_r = NONE_RANK
            blocked = None
            reasons.append("MANUAL_UPGRADE_APPROVED")
            steps.append(f"approved manual upgrade to {category_of(target).value}")
            if final > target:
                reasons.append("MANUAL_UPGRADE_LIMITED")
                blocked = "MANUAL_UPGRADE_LIMITED"
                steps.append(f"limited by the hard floor {category_of(hard).value}")
        elif target < rule_r:
            reasons.append("MANUAL_UPGRADE_NOT_APPROVED")
            blocked = "MANUAL_UPGRADE_NOT_APPROVED"
            steps.append("manual upgrade not approved: ignored")

    driver = "dpd"
    for name, comp in zip(DRIVERS, (man_up, wo_r, dpd_r, ev_r, rs_r, gate_r, man_down),
                          strict=True):
        if comp == final:
            driver = name
            break
    steps.append(f"class {category_of(final).value} (driver: {driver})")
    return ClassificationResult(
        loan_id=lid, category=category_of(final), dpd_floor_category=floor,
        reasons=tuple(reasons), driver=driver,
        previous_category=None if prev_r < 0 else category_of(prev_r),
        changed=prev_r >= 0 and prev_r != final, upgrade_blocked_reason=blocked,
        steps=tuple(steps))


@dataclass(frozen=True)
class _Row:
    due: date
    paid: date | None  # None when unpaid or paid short
    bad: bool


def _scalar_rows(history: Sequence[Mapping[str, Any]], as_of: date, tech: int) -> list[_Row]:
    out: list[_Row] = []
    for r in history:
        due = _d(r.get("due_date"))
        if due is None or due > as_of:
            continue
        paid = _d(r.get("paid_date"))
        if paid is not None and paid > as_of:
            paid = None
        short = float(r.get("amount_paid") or 0.0) < float(r.get("amount_due") or 0.0) - EPS
        bad = paid is None or short or (paid - due).days > tech
        out.append(_Row(due, None if short else paid, bad))
    return sorted(out, key=lambda x: x.due)


def _scalar_restructuring(restr: list[dict[str, Any]], rows: list[_Row], have_history: bool,
                          dpd: int, as_of: date,
                          policy: MonitoringPolicy) -> tuple[int, list[str], str]:
    rr = policy.restructuring
    tech = policy.classification.technical_delay_days
    last = restr[-1]
    rdate = _d(last.get("restructure_date")) or as_of
    start = _d(last.get("observation_start"))
    if start is None and have_history:
        start = min((r.due for r in rows if r.due > rdate), default=None)
    if start is None:
        start = rdate
    missed_dates = [r.due for r in rows if r.bad and r.due >= start]
    if dpd > tech:
        unpaid_since = (pd.Timestamp(as_of) - pd.Timedelta(days=dpd)).date()
        if unpaid_since >= start:
            missed_dates.append(unpaid_since)
    last_missed = max(missed_dates, default=None)
    eff = last_missed or start
    months = full_months(eff, as_of)
    if have_history:
        clean_n = sum(1 for r in rows if r.due >= eff and not r.bad)
    else:
        clean_n = max(months + (0 if last_missed else 1), 0)
    res_raw = last.get("difficulty_resolved")
    resolved = bool(res_raw) if _is_set(res_raw) else rr.assume_difficulty_resolved
    passed = (clean_n >= rr.observation_min_periods and months >= rr.observation_min_months
              and resolved and dpd <= tech)
    if passed:
        return NONE_RANK, ["RESTRUCTURED_OBSERVATION_PASSED"], \
            f"restructuring observation passed ({clean_n} periods, {months} months)"
    again = False
    if len(restr) >= 2:
        prev = _d(restr[-2].get("restructure_date"))
        again = prev is not None and full_months(prev, rdate) < rr.observation_min_months
    pre_raw = last.get("pre_category")
    performing_before = (_is_set(pre_raw)
                         and _rank_checked(pre_raw, "restructurings.pre_category") < NPL_RANK)
    floor = rank(rr.floor_in_observation_if_performing_before if performing_before
                 else rr.floor_in_observation)
    codes = ["RESTRUCTURED_IN_OBSERVATION"]
    if last_missed is not None:
        floor = max(floor, rank(rr.floor_on_missed_payment))
        codes.append("RESTRUCTURED_MISSED_PAYMENT")
    if again:
        floor = max(floor, rank(rr.floor_on_re_restructuring))
        codes.append("RESTRUCTURED_AGAIN")
    return floor, codes, (f"restructured {rdate}: in observation since {eff} "
                          f"({clean_n} periods, {months} months): at least "
                          f"{category_of(floor).value}")


def _scalar_upgrade(loan: Mapping[str, Any], dpd: int, rows: list[_Row], have_history: bool,
                    as_of: date, policy: MonitoringPolicy) -> str:
    overdue = loan.get("overdue_amount")
    if dpd > 0 or (overdue is not None and _is_set(overdue) and float(overdue) > EPS):
        return "UPGRADE_BLOCKED_ARREARS"
    if not have_history or not rows:
        return "UPGRADE_BLOCKED_NO_HISTORY"
    bad = [r for r in rows if r.bad]
    if any(r.paid is None for r in bad):
        return "UPGRADE_BLOCKED_ARREARS"
    cleared = max((r.paid for r in bad if r.paid is not None), default=None)
    start = cleared if cleared is not None else rows[0].due
    clean_n = sum(1 for r in rows if cleared is None or r.due > cleared)
    up = policy.upgrade
    if clean_n >= up.min_periods and full_months(start, as_of) >= up.min_months:
        return "UPGRADE_CONDITIONS_MET"
    return "UPGRADE_BLOCKED_PERIOD"
