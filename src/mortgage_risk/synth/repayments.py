"""Repayment records of the simulated loans, one row per installment due up to the loan's last
simulated month, and the state of each loan they show at the as-of date (overdue amount, days
past due, status, outstanding principal, five-category class)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mortgage_risk.synth.months import month_date
from mortgage_risk.synth.params import SynthParams
from mortgage_risk.synth.performance import Performance
from mortgage_risk.synth.schedule import amount_due, balance_after


@dataclass(frozen=True)
class _Terms:
    """The loans' repayment terms (one entry per loan)."""

    orig: np.ndarray
    day: np.ndarray  # due day of the month
    term: np.ndarray
    principal: np.ndarray
    r: np.ndarray
    method: np.ndarray

    @classmethod
    def of(cls, la: dict[str, np.ndarray]) -> _Terms:
        return cls(
            orig=la["orig_m"],
            day=la["orig_d"],
            term=la["term"],
            principal=la["amount"],
            r=la["annual_rate"] / 12.0,
            method=la["method"],
        )

    def balance(self, li: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Scheduled balance of loan ``li`` after ``j`` installments."""
        return balance_after(
            self.principal[li], self.r[li], self.term[li].astype(float), self.method[li], j
        )


@dataclass(frozen=True)
class RepaymentRows:
    """Installment rows in loan then period order: loan position ``li``, period ``j``."""

    li: np.ndarray
    j: np.ndarray
    due_date: np.ndarray
    amount_due: np.ndarray
    paid_ok: np.ndarray  # paid by the as-of date
    frame: pd.DataFrame


@dataclass(frozen=True)
class LoanState:
    """Each loan as the union sees it at the as-of date."""

    status: np.ndarray
    paid_installments: np.ndarray
    outstanding: np.ndarray
    overdue: np.ndarray
    dpd: np.ndarray
    five_category: np.ndarray


def _payment_months(
    hist: np.ndarray, li: np.ndarray, j: np.ndarray, t_due: np.ndarray, end_li: np.ndarray
) -> np.ndarray:
    """Month each installment was paid (-1 if not by the loan's last month): the due month if
    paid on time, else the first month the paid-through count reached it (binary search)."""
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
    return pay_m


def _payment_dates(
    rng: np.random.Generator,
    params: SynthParams,
    pay_m: np.ndarray,
    t_due: np.ndarray,
    day: np.ndarray,
) -> np.ndarray:
    """Date of each payment: the due day of its month, plus a short technical delay for some
    and a few days for late payments."""
    total_rows = len(pay_m)
    ch = params.delinquency_chain
    tech = rng.random(total_rows) < ch["technical_delay_share"]
    lo_d, hi_d = ch["technical_delay_days"]
    delay = np.where(tech, rng.integers(lo_d, hi_d + 1, size=total_rows), 0)
    late_paid = (pay_m > t_due) & (pay_m >= 0)
    delay = np.where(late_paid, rng.integers(0, 6, size=total_rows), delay)
    return month_date(np.maximum(pay_m, 0), day) + delay.astype("timedelta64[D]")


def repayment_rows(
    rng: np.random.Generator,
    params: SynthParams,
    la: dict[str, np.ndarray],
    perf: Performance,
    loan_id: np.ndarray,
    as_of64: np.datetime64,
) -> RepaymentRows:
    """One row per due period up to each loan's last simulated month."""
    terms = _Terms.of(la)
    o, term = terms.orig, terms.term
    last_period = np.clip(np.minimum(term, perf.end_month - o), 0, None)
    total_rows = int(last_period.sum())
    li = np.repeat(np.arange(len(term)), last_period)
    starts = np.r_[0, np.cumsum(last_period)[:-1]]
    j = np.arange(total_rows) - np.repeat(starts, last_period) + 1
    t_due = o[li] + j
    due_date = month_date(t_due, terms.day[li])
    amt_due = np.round(
        amount_due(terms.principal[li], terms.r[li], term[li].astype(float), terms.method[li], j),
        2,
    )
    pay_m = _payment_months(perf.paid_hist, li, j, t_due, perf.end_month[li])
    paid_date = _payment_dates(rng, params, pay_m, t_due, terms.day[li])
    # a payment still on its way at the as-of date is not yet paid
    paid_ok = (pay_m >= 0) & (paid_date <= as_of64)
    # written-off loans: unpaid rows stay unpaid; prepaid loans: the last row pays the balance
    amt_paid = np.where(paid_ok, amt_due, 0.0)
    pre_row = (perf.prepaid_month[li] >= 0) & (j == last_period[li])
    bal_after = terms.balance(li, j)
    amt_paid = np.where(pre_row & paid_ok, np.round(amt_due + bal_after, 2), amt_paid)
    ref = np.where(paid_ok, paid_date, as_of64)
    row_dpd = np.maximum((ref - due_date).astype(np.int64), 0)
    paid_date_col = np.where(paid_ok, paid_date, np.datetime64("NaT"))
    frame = pd.DataFrame(
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
    return RepaymentRows(
        li=li, j=j, due_date=due_date, amount_due=amt_due, paid_ok=paid_ok, frame=frame
    )


def five_category(params: SynthParams, dpd: np.ndarray, written_off: np.ndarray) -> np.ndarray:
    """The regulator's five-category class by days-past-due floors; written off is loss."""
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
    return np.where(written_off, "loss", five)


def loan_state(
    params: SynthParams,
    la: dict[str, np.ndarray],
    perf: Performance,
    rows: RepaymentRows,
    as_of64: np.datetime64,
) -> LoanState:
    """Overdue amount, days past due (from the oldest unpaid installment), status and
    outstanding principal of each loan at the as-of date."""
    n = len(la["term"])
    li = rows.li
    unpaid = ~rows.paid_ok
    overdue = np.bincount(li, weights=np.where(unpaid, rows.amount_due, 0.0), minlength=n)
    oldest_unpaid = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    un_rows = np.flatnonzero(unpaid)
    # rows are ordered by period within a loan, so the first unpaid row is the oldest
    first_un, first_pos = np.unique(li[un_rows], return_index=True)
    oldest_unpaid[first_un] = rows.due_date[un_rows[first_pos]]
    dpd = np.where(np.isnat(oldest_unpaid), 0, (as_of64 - oldest_unpaid).astype(np.int64))
    dpd = np.maximum(dpd, 0)
    paid_now = np.bincount(li, weights=rows.paid_ok.astype(float), minlength=n).astype(np.int64)
    written_off = perf.written_off_month >= 0
    settled = (
        ((perf.prepaid_month >= 0) | (perf.settled_month >= 0)) & ~written_off & (overdue < 0.005)
    )
    status = np.where(written_off, "written_off", np.where(settled, "settled", "active"))
    balance = balance_after(
        la["amount"], la["annual_rate"] / 12.0, la["term"].astype(float), la["method"], paid_now
    )
    outstanding = np.where(status == "active", np.round(balance, 2), 0.0)
    return LoanState(
        status=status,
        paid_installments=paid_now,
        outstanding=outstanding,
        overdue=np.where(status == "written_off", 0.0, np.round(overdue, 2)),
        dpd=dpd.astype(np.int64),
        five_category=five_category(params, dpd, written_off),
    )
