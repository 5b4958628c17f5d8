"""Signals → warnings: deduplicate the signals and aggregate them per borrower.

A *signal* is one indicator value at a level for a borrower (and loan, for loan-scoped
indicators). A *warning* gathers every signal of a borrower on one as-of date:

- ``level`` / ``level_rank``: the highest signal level;
- ``top_indicator_id``: the indicator behind that level (ties: first id alphabetically);
- counts per level, and the distinct sorted ``indicator_ids``, ``families`` and ``loan_ids``
  behind it (its signals are those of ``signals.parquet`` with the same as-of date and
  borrower);
- ``low_confidence_only`` when every signal comes from a match by name only (such signals
  are capped at blue upstream).

The run computes both tables in SQL on the engine (:func:`signals_sql`, :func:`warnings_sql`:
one text for DuckDB and Spark apart from the list-aggregate macro), so a book of a million
loans never passes through pandas. :func:`dedupe_signals` and :func:`aggregate_warnings` are
the pure pandas twins of the same rules, used to check the SQL and for small in-memory books.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Final

import numpy as np
import pandas as pd

from mortgage_risk.monitoring.indicators import (
    INDICATOR_VALUES_TABLE,
    LEVEL_NAMES,
    LEVELS,
    Indicator,
    date_literal,
    str_literal,
    threshold_literal,
)

SIGNALS_TABLE: Final = "mr_signals"
WARNINGS_TABLE: Final = "mr_warnings"
SIGNAL_KEY: Final = ("indicator_id", "borrower_id", "loan_id")

SIGNAL_COLUMNS: Final = (
    "as_of",
    "signal_id",
    "indicator_id",
    "family",
    "scope",
    "borrower_id",
    "loan_id",
    "branch_id",
    "value",
    "threshold",
    "raw_level",
    "level",
    "level_rank",
    "confidence",
    "capped",
)

WARNING_COLUMNS: Final = (
    "as_of",
    "warning_id",
    "borrower_id",
    "branch_id",
    "level",
    "level_rank",
    "signal_count",
    *(f"{name}_count" for name in LEVELS),
    "top_indicator_id",
    "indicator_ids",
    "families",
    "loan_ids",
    "low_confidence_only",
)


# ------------------------------------------------------------------------------------ SQL


def _level_name_sql(column: str) -> str:
    whens = " ".join(f"WHEN {r} THEN {str_literal(n)}" for r, n in LEVEL_NAMES.items() if r)
    return f"CASE {column} {whens} ELSE 'none' END"


def _sorted_set(expr: str, dialect: str) -> str:
    """Distinct non-null values, sorted ascending, as an array."""
    if dialect == "duckdb":
        return f"list_sort(list_distinct(list({expr})))"
    return f"array_sort(collect_set({expr}))"


def signals_sql(
    indicators: Iterable[Indicator],
    as_of: date,
    *,
    values: str = INDICATOR_VALUES_TABLE,
    borrowers: str = "mr_borrowers",
) -> str:
    """The signals: indicator values at a level, deduplicated per (indicator, borrower, loan)
    (highest level, then the most extreme value, then high confidence), labelled with family,
    scope, level names and the threshold crossed, with the borrower's branch for assignment and
    a stable ``signal_id`` (``YYYYMMDD:INDICATOR:borrower:loan``, ``-`` for borrower-level)."""
    inds = list(indicators)
    family = " ".join(f"WHEN {str_literal(i.id)} THEN {str_literal(i.family)}" for i in inds)
    scope = " ".join(f"WHEN {str_literal(i.id)} THEN {str_literal(i.scope)}" for i in inds)
    thr_parts = []
    for ind in inds:
        by_rank = " ".join(
            f"WHEN {r} THEN {threshold_literal(t)}" for r, t in ind.thresholds.by_rank()
        )
        thr_parts.append(f"WHEN {str_literal(ind.id)} THEN CASE v.raw_level_rank {by_rank} END")
    order_value = " ".join(
        f"WHEN {str_literal(i.id)} THEN -v.value" for i in inds if i.direction == "lower"
    )
    extreme = f"CASE v.indicator_id {order_value} ELSE v.value END" if order_value else "v.value"
    stamp = f"{as_of:%Y%m%d}:"
    return f"""SELECT {date_literal(as_of)} AS as_of,
  CONCAT('{stamp}', v.indicator_id, ':', CAST(v.borrower_id AS STRING), ':',
         COALESCE(CAST(v.loan_id AS STRING), '-')) AS signal_id,
  v.indicator_id,
  CASE v.indicator_id {family} END AS family,
  CASE v.indicator_id {scope} END AS scope,
  v.borrower_id, v.loan_id, CAST(b.branch_id AS BIGINT) AS branch_id, v.value,
  CAST(CASE v.indicator_id {' '.join(thr_parts)} END AS DOUBLE) AS threshold,
  {_level_name_sql('v.raw_level_rank')} AS raw_level,
  {_level_name_sql('v.level_rank')} AS level,
  CAST(v.level_rank AS INTEGER) AS level_rank,
  v.confidence,
  v.level_rank < v.raw_level_rank AS capped
FROM (
  SELECT x.*, ROW_NUMBER() OVER (
    PARTITION BY x.indicator_id, x.borrower_id, x.loan_id
    ORDER BY x.level_rank DESC, x.extreme DESC, x.confidence ASC, x.raw_level_rank DESC
  ) AS rn
  FROM (SELECT v.*, {extreme} AS extreme FROM {values} v WHERE v.level_rank > 0) x
) v
LEFT JOIN {borrowers} b ON b.borrower_id = v.borrower_id
WHERE v.rn = 1"""


def warnings_sql(as_of: date, dialect: str, *, signals: str = SIGNALS_TABLE) -> str:
    """One warning per borrower with at least one signal (see the module docstring)."""
    counts = ",\n  ".join(
        f"CAST(SUM(CASE WHEN s.level_rank = {r} THEN 1 ELSE 0 END) AS INTEGER) AS {n}_count"
        for r, n in LEVEL_NAMES.items()
        if r
    )
    return f"""SELECT {date_literal(as_of)} AS as_of,
  CONCAT('W{as_of:%Y%m%d}-', CAST(s.borrower_id AS STRING)) AS warning_id,
  s.borrower_id,
  MIN(s.branch_id) AS branch_id,
  {_level_name_sql('MAX(s.level_rank)')} AS level,
  CAST(MAX(s.level_rank) AS INTEGER) AS level_rank,
  CAST(COUNT(*) AS INTEGER) AS signal_count,
  {counts},
  MIN(CASE WHEN s.level_rank = s.top_rank THEN s.indicator_id END) AS top_indicator_id,
  {_sorted_set('s.indicator_id', dialect)} AS indicator_ids,
  {_sorted_set('s.family', dialect)} AS families,
  {_sorted_set('s.loan_id', dialect)} AS loan_ids,
  MIN(CASE WHEN s.confidence = 'low' THEN 1 ELSE 0 END) = 1 AS low_confidence_only
FROM (
  SELECT g.*, MAX(g.level_rank) OVER (PARTITION BY g.borrower_id) AS top_rank FROM {signals} g
) s
GROUP BY s.borrower_id"""


def ordered_sql(table: str, columns: Iterable[str], order_by: str) -> str:
    return f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order_by}"


def signals_output_sql(table: str = SIGNALS_TABLE) -> str:
    return ordered_sql(table, SIGNAL_COLUMNS, "borrower_id, indicator_id, loan_id NULLS LAST")


def warnings_output_sql(table: str = WARNINGS_TABLE) -> str:
    return ordered_sql(table, WARNING_COLUMNS, "borrower_id")


def level_counts_sql(table: str) -> str:
    return f"SELECT level, COUNT(*) AS n FROM {table} GROUP BY level"


# --------------------------------------------------------------------------- pandas twins


def dedupe_signals(raw: pd.DataFrame) -> pd.DataFrame:
    """One row per (indicator, borrower, loan): the highest level, then the largest value,
    then high confidence first (the rule of :func:`signals_sql` for 'higher' indicators)."""
    if raw.empty:
        return raw.copy()
    frame = raw.copy()
    frame["_conf"] = (frame["confidence"] != "high").astype(np.int8)
    frame["_loan"] = frame["loan_id"].astype("Int64").fillna(-1)
    frame = frame.sort_values(
        ["indicator_id", "borrower_id", "_loan", "level_rank", "value", "_conf"],
        ascending=[True, True, True, False, False, True],
        kind="mergesort",
    )
    frame = frame.drop_duplicates(["indicator_id", "borrower_id", "_loan"], keep="first")
    return frame.drop(columns=["_conf", "_loan"]).reset_index(drop=True)


def aggregate_warnings(signals: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The warnings of a signals frame (columns of :data:`SIGNAL_COLUMNS`), computed in
    pandas with the rules of :func:`warnings_sql`."""
    if signals.empty:
        return pd.DataFrame({c: pd.Series([], dtype="object") for c in WARNING_COLUMNS})
    sig = dedupe_signals(signals)
    sig = sig.sort_values(
        ["borrower_id", "level_rank", "indicator_id"],
        ascending=[True, False, True],
        kind="mergesort",
    )
    g = sig.groupby("borrower_id", sort=True)
    first = g.first()
    out = pd.DataFrame(
        {
            "as_of": as_of,
            "warning_id": [f"W{as_of:%Y%m%d}-{int(b)}" for b in first.index],
            "borrower_id": first.index.astype(np.int64),
            "branch_id": g["branch_id"].min().astype("Int64").to_numpy(),
            "level": first["level_rank"].map(LEVEL_NAMES).astype(str).to_numpy(),
            "level_rank": first["level_rank"].astype(np.int64).to_numpy(),
            "signal_count": g.size().astype(np.int64).to_numpy(),
        }
    )
    for name in LEVELS:
        counts = (sig["level"] == name).groupby(sig["borrower_id"], sort=True).sum()
        out[f"{name}_count"] = counts.astype(np.int64).to_numpy()
    out["top_indicator_id"] = first["indicator_id"].astype(str).to_numpy()
    out["indicator_ids"] = g["indicator_id"].agg(lambda s: sorted(set(s))).to_numpy()
    out["families"] = g["family"].agg(lambda s: sorted(set(s))).to_numpy()
    loan_sets: dict[int, set[int]] = {}
    for b, loan in zip(sig["borrower_id"], sig["loan_id"], strict=True):
        ids = loan_sets.setdefault(int(b), set())
        if not pd.isna(loan):
            ids.add(int(loan))
    out["loan_ids"] = [sorted(loan_sets[int(b)]) for b in out["borrower_id"]]
    low = (sig["confidence"] == "low").groupby(sig["borrower_id"], sort=True).all()
    out["low_confidence_only"] = low.astype(bool).to_numpy()
    return out[list(WARNING_COLUMNS)].reset_index(drop=True)
