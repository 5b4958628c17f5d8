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

import numpy as np
import pandas as pd

from mortgage_risk.synth.applicants import draw_applicants
from mortgage_risk.synth.collateral import apply_land_rights, draw_ineligible
from mortgage_risk.synth.county import RID_COUNTER_SIZE, branches_frame
from mortgage_risk.synth.events import external_events
from mortgage_risk.synth.frames import (
    ChunkIds,
    application_dates,
    applications_frame,
    borrowers_frame,
    loans_frame,
    properties_frame,
    truth_frame,
)
from mortgage_risk.synth.market import Market
from mortgage_risk.synth.months import as_of_month
from mortgage_risk.synth.params import SynthParams
from mortgage_risk.synth.performance import simulate
from mortgage_risk.synth.repayments import loan_state, repayment_rows

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


@dataclass
class _Counters:
    """Running id offsets and resident-ID sequence counters across chunks."""

    borrower: int = 0
    property: int = 0
    application: int = 0
    loan: int = 0
    event: int = 0
    rid: np.ndarray = field(default_factory=lambda: np.zeros(RID_COUNTER_SIZE, dtype=np.int64))

    def ids(self, m_all: int, n: int, branch_idx: np.ndarray) -> ChunkIds:
        """Ids of a chunk of ``m_all`` applicants of which the first ``n`` got a loan."""
        return ChunkIds(
            borrower_id=self.borrower + 1 + np.arange(m_all),
            property_id=self.property + 1 + np.arange(m_all),
            application_id=self.application + 1 + np.arange(m_all),
            loan_id=self.loan + 1 + np.arange(n),
            branch_id=branch_idx + 1,
        )

    def advance(self, m_all: int, n: int, n_events: int) -> None:
        self.borrower += m_all
        self.property += m_all
        self.application += m_all
        self.loan += n
        self.event += n_events


def _chunk(
    params: SynthParams,
    seed: int,
    chunk_no: int,
    n: int,
    as_of: date,
    counters: _Counters,
    market: Market,
    progress: Callable[[float], None] | None,
) -> SyntheticBook:
    """``n`` loans plus the declined applications around them (the draw order is fixed)."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, chunk_no])))
    t_asof = as_of_month(as_of)
    as_of64 = np.datetime64(as_of, "D")
    n_dec = int(rng.binomial(n, params.applications["declined_extra_share"]))
    loans_a = draw_applicants(rng, params, n, t_asof, as_of, market, riskier=False)
    dec_a = draw_applicants(rng, params, n_dec, t_asof, as_of, market, riskier=True)
    a = {k: np.concatenate([loans_a[k], dec_a[k]]) for k in loans_a}
    m_all = n + n_dec
    is_loan = np.arange(m_all) < n
    ineligible = draw_ineligible(rng, params, a["ptype"], n, n_dec)
    apply_land_rights(a, ineligible)
    ids = counters.ids(m_all, n, a["branch_idx"])

    borrowers = borrowers_frame(rng, params, a, ids, counters.rid)
    dates = application_dates(rng, a["orig_date"])
    applications = applications_frame(rng, params, a, ids, is_loan, dates)

    la = {k: v[:n] for k, v in a.items()}
    perf = simulate(rng, params, la, t_asof, as_of, market, progress)
    rows = repayment_rows(rng, params, la, perf, ids.loan_id, as_of64)
    state = loan_state(params, la, perf, rows, as_of64)
    loans = loans_frame(la, ids, state, as_of64)
    properties = properties_frame(
        rng, params, a, ids, is_loan, state.status, ineligible, dates.appraisal
    )
    truth = truth_frame(params, la, ids, perf, state, ineligible, market, t_asof)
    events = external_events(
        rng,
        params,
        la,
        ids.borrower_id[:n],
        borrowers["name"].to_numpy()[:n],
        borrowers["resident_id"].to_numpy()[:n],
        perf,
        t_asof,
        as_of64,
        counters.event,
    )
    counters.advance(m_all, n, len(events))
    return SyntheticBook(
        branches=branches_frame(params),
        borrowers=borrowers,
        properties=properties,
        applications=applications,
        loans=loans,
        repayments=rows.frame,
        external_events=events,
        truth=truth,
        portfolio_path=perf.path,
        params_version=params.version,
    )


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
    market = Market.build(params, as_of_month(as_of) + 1, hpi)
    counters = _Counters()
    done = 0
    chunk_no = 0
    while done < n_loans or (n_loans == 0 and chunk_no == 0):
        size = min(chunk_size, n_loans - done)

        def sub(frac: float, _done: int = done, _size: int = size) -> None:
            if progress is not None:
                progress(_done + int(frac * _size * 0.8), n_loans)

        yield _chunk(params, seed, chunk_no, size, as_of, counters, market, sub)
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
