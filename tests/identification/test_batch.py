"""Screening 100,000 applications at once equals screening them one by one; timings reported."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mortgage_risk.identification import (
    FactType,
    default_ruleset,
    default_schema,
    screen,
    screen_frame,
    worst_severity_frame,
)
from tests.identification.factsets import clean_facts

N = 100_000
_GOOD = {"income_verified", "resident_id_valid", "has_other_housing", "co_owner_consent",
         "collective_consent", "eligible_collateral", "visit_done", "documents_complete",
         "id_document_verified", "bureau_authorised", "face_to_face_signed", "first_home"}
_RANGES = {
    "age": (18, 70), "age_at_maturity": (25, 80), "household_income": (0, 400000),
    "monthly_income": (0, 30000), "dti": (0.05, 0.7), "total_dti": (0.05, 0.8),
    "down_payment_ratio": (0.05, 0.6), "ltv": (0.2, 0.95), "cltv": (0.2, 1.0),
    "ltv_cap": (0.5, 0.7), "lgd": (0.05, 0.6), "pd": (0.001, 0.3), "annual_rate": (0.03, 0.06),
    "property_age": (0, 50), "remaining_economic_life": (0, 60), "land_term_remaining": (5, 70),
    "months_since_purchase": (0, 120), "appraised_value": (1e5, 2e6),
    "comparable_value": (1e5, 2e6), "market_value": (1e5, 2e6), "mortgage_value": (5e4, 2e6),
    "purchase_price": (1e5, 2e6), "amount": (5e4, 1.5e6), "monthly_installment": (500, 20000),
    "other_monthly_debt": (0, 5000), "floor_area": (30, 300), "score": (300, 900),
    "term_months": (12, 400), "bureau_max_dpd_24m": (0, 120), "bureau_hard_inquiries_3m": (0, 9),
    "bureau_overdue_accounts": (0, 5), "dependants": (0, 6), "lawsuits_pending": (0, 2),
    "appraisal_age_days": (0, 500), "build_year": (1970, 2025),
    "same_property_other_applications": (0, 1), "shared_contact_applications": (0, 1),
}


def synthetic_book(n: int, seed: int = 7) -> pd.DataFrame:
    """``n`` applications over every schema fact, with about 2% of each fact missing."""
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    for fact in default_schema().facts:
        name = fact.name
        if name.startswith("policy."):
            continue
        missing = rng.random(n) < 0.02
        if fact.type in (FactType.NUMBER, FactType.INTEGER):
            lo, hi = _RANGES.get(name, (0, 100))
            values = rng.uniform(lo, hi, n)
            if fact.type is FactType.INTEGER:
                values = np.floor(values)
            columns[name] = np.where(missing, np.nan, values)
        elif fact.type is FactType.BOOLEAN:
            p = 0.97 if name in _GOOD else 0.03
            flags = rng.random(n) < p
            if name in ("seized", "visit_done"):  # some boolean columns have no gaps
                columns[name] = flags
            else:
                col = flags.astype(object)
                col[missing] = None
                columns[name] = col
        elif fact.type in (FactType.ENUM, FactType.STRING):
            choices = fact.allowed or ("购房", "建房", "经营周转")
            col = rng.choice(np.asarray(choices, dtype=object), n)
            col[missing] = None
            columns[name] = col
        elif fact.type is FactType.DATE:
            days = rng.integers(0, 3 * 365, n)
            col = np.datetime64("2024-01-01") + days.astype("timedelta64[D]")
            col[missing] = np.datetime64("NaT")
            columns[name] = col
        else:
            col = np.empty(n, dtype=object)
            col[:] = [[] for _ in range(n)]
            related = np.flatnonzero(rng.random(n) < 0.01)
            for i in related:
                col[i] = [f"S{i % 50:04d}"]
            col[missing] = None
            columns[name] = col
    frame = pd.DataFrame(columns)
    frame.index = pd.Index([f"SQ{i:09d}" for i in range(n)], name="application_no")
    return frame


@pytest.fixture(scope="module")
def book() -> pd.DataFrame:
    return synthetic_book(N)


def test_screen_frame_equals_per_row_screen(book: pd.DataFrame) -> None:
    rules = default_ruleset()
    rules.compiled  # noqa: B018 - compile once before timing
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        fired = screen_frame(book, rules)
        timings.append(time.perf_counter() - start)
    best = min(timings)
    print(f"\nscreen_frame: {len(book):,} rows x {len(rules.compiled)} rules in {best:.3f} s "
          f"({len(book) / best:,.0f} applications/s)")
    assert fired.shape == (N, len(rules.compiled))
    assert list(fired.index) == list(book.index)
    assert fired.to_numpy().any(axis=0).sum() >= 0.9 * fired.shape[1]  # most rules fire somewhere
    assert best < 2.0

    sample = np.random.default_rng(3).choice(N, 2000, replace=False)
    cols = list(book.columns)
    arrays = {c: book[c].to_numpy() for c in cols}
    for i in sample:
        facts = {c: arrays[c][i] for c in cols}
        expected = screen(facts, rules).fired
        got = tuple(fired.columns[fired.iloc[i].to_numpy(dtype=bool)])
        assert got == expected, (book.index[i], set(got) ^ set(expected))

    worst = worst_severity_frame(fired, rules)
    for i in sample[:200]:
        facts = {c: arrays[c][i] for c in cols}
        severity = screen(facts, rules).worst_severity
        assert worst.iloc[i] == (None if severity is None else severity.value)


def test_scalar_screen_timing() -> None:
    rules = default_ruleset()
    facts = clean_facts() | {"dti": 0.6, "seized": True}
    screen(facts, rules)
    n = 2000
    start = time.perf_counter()
    for _ in range(n):
        screen(facts, rules)
    per = (time.perf_counter() - start) / n
    print(f"\nscreen (scalar): {per * 1e6:.0f} µs per application with {len(rules.compiled)} rules")
    assert per < 0.005
