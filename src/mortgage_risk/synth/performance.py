"""Loan performance: each loan is simulated month by month from origination to the as-of date.

A current loan misses an installment with the latent model's monthly hazard; a loan that is
behind follows the delinquency chain (cure: pay everything due, stay: pay one installment,
roll: pay none). Loans settle at maturity, current ones may prepay, and long-defaulted ones are
written off. Year-end snapshots of the live book make the portfolio path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from mortgage_risk.synth.latent import (
    hpi_amplitudes,
    macro_weights,
    monthly_hazard,
    static_predictor,
)
from mortgage_risk.synth.market import Market
from mortgage_risk.synth.months import month_end
from mortgage_risk.synth.params import SynthParams
from mortgage_risk.synth.schedule import balance_after

NOT_YET = -1  # month of an event that has not happened


@dataclass
class Performance:
    """What happened to each loan, by month number (``NOT_YET`` if it did not happen)."""

    paid_hist: np.ndarray  # (n, T+1) paid-through installment count after each month
    end_month: np.ndarray  # last simulated month per loan
    prepaid_month: np.ndarray
    written_off_month: np.ndarray
    default_month: np.ndarray  # first month 4 installments behind
    first_30_month: np.ndarray  # first month 1 installment behind
    settled_month: np.ndarray  # paid off at maturity
    path: pd.DataFrame  # year-end (and as-of) balances of the live book


@dataclass(frozen=True)
class _Chain:
    """Monthly transition probabilities of the delinquency chain, by installments behind."""

    cure: np.ndarray
    stay: np.ndarray
    write_off_after: int
    write_off_p: float
    prepay_p: float

    @classmethod
    def of(cls, params: SynthParams) -> _Chain:
        ch = params.delinquency_chain
        return cls(
            cure=np.asarray(ch["cure"], dtype=float),
            stay=np.asarray(ch["stay"], dtype=float),
            write_off_after=ch["write_off_after_months_behind"],
            write_off_p=ch["write_off_monthly"],
            prepay_p=params.loans["prepayment_monthly"],
        )


@dataclass(frozen=True)
class _Loans:
    """The fixed terms and risk drivers of the simulated loans."""

    orig: np.ndarray  # origination month
    last: np.ndarray  # last month to simulate (the as-of month if its due day has passed)
    term: np.ndarray
    nterm: np.ndarray  # term as float
    principal: np.ndarray
    r: np.ndarray  # monthly rate
    method: np.ndarray
    value: np.ndarray  # appraised value at origination
    static: np.ndarray  # static part of the latent predictor
    amp: np.ndarray  # HPI amplitude of the property type
    hpi_o: np.ndarray  # HPI at origination
    macro_w: np.ndarray  # macro stress weight of the segment

    @classmethod
    def of(
        cls,
        params: SynthParams,
        a: dict[str, np.ndarray],
        t_asof: int,
        as_of: date,
        hpi: np.ndarray,
    ) -> _Loans:
        o = a["orig_m"].astype(np.int64)
        term = a["term"].astype(np.int64)
        return cls(
            orig=o,
            last=np.where(a["orig_d"] <= as_of.day, t_asof, t_asof - 1),
            term=term,
            nterm=term.astype(float),
            principal=a["amount"],
            r=a["annual_rate"] / 12.0,
            method=a["method"],
            value=a["value"],
            static=static_predictor(params, a),
            amp=hpi_amplitudes(params, a["ptype"]),
            hpi_o=hpi[o],
            macro_w=macro_weights(params, a["segment"]),
        )

    def balance(self, idx: np.ndarray, paid: np.ndarray) -> np.ndarray:
        """Scheduled balance of loans ``idx`` after ``paid`` installments."""
        return balance_after(
            self.principal[idx], self.r[idx], self.nterm[idx], self.method[idx], paid
        )


@dataclass
class _State:
    """Running state of the simulation (updated in place month by month)."""

    paid: np.ndarray  # installments paid so far
    hist: np.ndarray  # paid after each month
    alive: np.ndarray
    prepaid: np.ndarray
    written_off: np.ndarray
    default: np.ndarray
    first_30: np.ndarray
    settled: np.ndarray

    @classmethod
    def start(cls, n: int, n_months: int) -> _State:
        return cls(
            paid=np.zeros(n, dtype=np.int64),
            hist=np.zeros((n, n_months), dtype=np.int16),
            alive=np.ones(n, dtype=bool),
            prepaid=np.full(n, NOT_YET, dtype=np.int64),
            written_off=np.full(n, NOT_YET, dtype=np.int64),
            default=np.full(n, NOT_YET, dtype=np.int64),
            first_30=np.full(n, NOT_YET, dtype=np.int64),
            settled=np.full(n, NOT_YET, dtype=np.int64),
        )


def _hazard(
    params: SynthParams,
    loans: _Loans,
    act: np.ndarray,
    age: np.ndarray,
    paid: np.ndarray,
    t: int,
    market: Market,
) -> np.ndarray:
    """This month's hazard of loans ``act``, with LTV revalued on the scheduled balance."""
    bal = loans.balance(act, paid)
    hp = 1.0 + loans.amp[act] * (market.hpi[t] / loans.hpi_o[act] - 1.0)
    ltv_now = bal / (loans.value[act] * np.maximum(hp, 0.2))
    return monthly_hazard(
        params, loans.static[act], ltv_now, age, market.macro[t], loans.macro_w[act]
    )


def _installments_paid(
    chain: _Chain,
    term: np.ndarray,
    age: np.ndarray,
    p_prev: np.ndarray,
    h: np.ndarray,
    u: np.ndarray,
) -> np.ndarray:
    """Installments paid after this month, one uniform ``u`` per loan."""
    k_prev = (age - 1) - p_prev
    due = age <= term
    kk = np.clip(k_prev, 1, len(chain.cure)) - 1
    new_paid = p_prev.copy()
    current = k_prev <= 0
    # current loans: pay this month's installment unless they enter delinquency
    pay_now = current & due & (u >= h)
    new_paid[pay_now] += 1
    # behind: cure (pay all due), stay (pay one), or roll (pay none)
    behind = ~current
    c = chain.cure[kk]
    s = chain.stay[kk]
    cured = behind & (u < c)
    stayed = behind & (u >= c) & (u < c + s)
    new_paid[cured] = np.minimum(age[cured], term[cured])
    new_paid[stayed] = np.minimum(p_prev[stayed] + 1, term[stayed])
    return new_paid


def _record_delinquency(st: _State, act: np.ndarray, t: int, behind: np.ndarray) -> None:
    """First month 1 installment behind (30+ dpd) and 4 behind (default)."""
    idx_30 = act[(behind >= 1) & (st.first_30[act] < 0)]
    st.first_30[idx_30] = t
    idx_def = act[(behind >= 4) & (st.default[act] < 0)]
    st.default[idx_def] = t


def _record_exits(
    rng: np.random.Generator,
    chain: _Chain,
    st: _State,
    act: np.ndarray,
    t: int,
    age: np.ndarray,
    behind: np.ndarray,
    term: np.ndarray,
) -> None:
    """Settlement at maturity, prepayment by current loans, write-off of defaulted ones."""
    # settled at maturity: everything paid and nothing more to come
    done = st.paid[act] >= term
    st.settled[act[done]] = t
    st.alive[act[done]] = False
    pre = (~done) & (behind <= 0) & (age >= 6) & (rng.random(len(act)) < chain.prepay_p)
    st.prepaid[act[pre]] = t
    st.paid[act[pre]] = term[pre]
    st.alive[act[pre]] = False
    wo = (behind >= chain.write_off_after) & (rng.random(len(act)) < chain.write_off_p) & ~done
    st.written_off[act[wo]] = t
    st.alive[act[wo]] = False


def _advance_month(
    rng: np.random.Generator,
    params: SynthParams,
    chain: _Chain,
    loans: _Loans,
    st: _State,
    t: int,
    market: Market,
) -> None:
    """Month ``t`` for the loans alive, originated before it and not past their last month."""
    act = np.flatnonzero(st.alive & (loans.orig < t) & (t <= loans.last))
    if not len(act):
        return
    age = t - loans.orig[act]
    p_prev = st.paid[act]
    h = _hazard(params, loans, act, age, p_prev, t, market)
    u = rng.random(len(act))
    term = loans.term[act]
    new_paid = _installments_paid(chain, term, age, p_prev, h, u)
    st.paid[act] = new_paid
    behind = age - new_paid
    _record_delinquency(st, act, t, behind)
    _record_exits(rng, chain, st, act, t, age, behind, term)


def _snapshot(loans: _Loans, st: _State, t: int) -> dict[str, Any]:
    """Balances of the live book at the end of month ``t`` by installments behind."""
    live = np.flatnonzero(st.alive & (loans.orig < t))
    ages = t - loans.orig[live]
    k = ages - st.paid[live]
    bal = loans.balance(live, st.paid[live])
    return {
        "month_end": month_end(t),
        "loans": len(live),
        "total_balance": float(bal.sum()),
        "npl_balance": float(bal[k >= 4].sum()),
        "sm_balance": float(bal[(k >= 1) & (k < 4)].sum()),
        "npl_loans": int((k >= 4).sum()),
        "new_defaults_12m": int(((st.default > t - 12) & (st.default <= t)).sum()),
        "written_off_12m": int(((st.written_off > t - 12) & (st.written_off <= t)).sum()),
    }


def simulate(
    rng: np.random.Generator,
    params: SynthParams,
    a: dict[str, np.ndarray],
    t_asof: int,
    as_of: date,
    market: Market,
    progress: Callable[[float], None] | None,
) -> Performance:
    """Simulate the loans ``a`` from origination to the as-of month ``t_asof``."""
    chain = _Chain.of(params)
    loans = _Loans.of(params, a, t_asof, as_of, market.hpi)
    n_months = t_asof + 1
    st = _State.start(len(loans.orig), n_months)
    path_rows = []
    for t in range(1, n_months):
        _advance_month(rng, params, chain, loans, st, t, market)
        st.hist[:, t] = st.paid
        if (t % 12 == 11) or t == t_asof:
            # year-end (December) or as-of snapshot of the live book
            path_rows.append(_snapshot(loans, st, t))
        if progress is not None and t % 12 == 0:
            progress(t / n_months)
    end = np.where(
        st.written_off >= 0,
        st.written_off,
        np.where(st.prepaid >= 0, st.prepaid, loans.last),
    )
    end = np.where(st.settled >= 0, np.minimum(st.settled, end), end)
    return Performance(
        paid_hist=st.hist,
        end_month=end,
        prepaid_month=st.prepaid,
        written_off_month=st.written_off,
        default_month=st.default,
        first_30_month=st.first_30,
        settled_month=st.settled,
        path=pd.DataFrame(path_rows),
    )
