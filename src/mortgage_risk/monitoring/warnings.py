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
one text for DuckDB and Spark apart from the list aggregates, which DuckDB builds from small
integer codes), so a book of a million loans never passes through pandas.
:func:`dedupe_signals` and :func:`aggregate_warnings` are the pure pandas twins of the same
rules, used to check the SQL and for small in-memory books.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Final

import numpy as np
import pandas as pd

from mortgage_risk.monitoring.indicators import (
    FAMILIES,
    INDICATOR_VALUES_TABLE,
    LEVEL_NAMES,
    LEVELS,
    Indicator,
    date_literal,
    indicator_id_sql,
    str_literal,
    threshold_literal,
)

SIGNALS_TABLE: Final = "mr_signals"
WARNINGS_TABLE: Final = "mr_warnings"
SIGNAL_KEY: Final = ("indicator_id", "borrower_id", "loan_id")
SIGNALS_ORDER: Final = "borrower_id, indicator_id, loan_id NULLS LAST"
"""The row order of ``signals.parquet``."""
WARNINGS_ORDER: Final = "borrower_id"
"""The row order of ``warnings.parquet``."""

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


def _sorted_labels(code: str, labels: Sequence[str]) -> str:
    """DuckDB: the distinct labels behind 1-based ``code``s into ``labels`` (sorted), as a sorted
    array. Collecting small integers and looking the strings up once per warning is cheaper
    than collecting the strings; the result equals :func:`_sorted_set` of the labels."""
    table = "[" + ", ".join(str_literal(x) for x in labels) + "]"
    return f"list_select({table}, list_sort(list_distinct(list({code}))))"


def signal_codes(indicators: Iterable[Indicator]) -> tuple[list[str], list[str]]:
    """The sorted indicator ids and families whose 1-based positions :func:`signals_sql` stores
    as ``indicator_code`` and ``family_code``."""
    inds = list(indicators)
    return sorted({i.id for i in inds}), sorted(FAMILIES)


def signals_sql(
    indicators: Iterable[Indicator],
    as_of: date,
    *,
    values: str = INDICATOR_VALUES_TABLE,
    borrowers: str = "mr_borrowers",
    dedupe: bool = True,
) -> str:
    """The signals: indicator values at a level, deduplicated per (indicator, borrower, loan)
    (highest level, then the most extreme value, then high confidence), labelled with family,
    scope, level names and the threshold crossed, with the borrower's branch for assignment and
    a stable ``signal_id`` (``YYYYMMDD:INDICATOR:borrower:loan``, ``-`` for borrower-level).
    Two more columns, ``indicator_code`` and ``family_code`` (positions in
    :func:`signal_codes`), let :func:`warnings_sql` collect integers instead of strings; the
    output file leaves them out (:data:`SIGNAL_COLUMNS`).

    ``values`` is the run's table of :func:`~mortgage_risk.monitoring.indicators.indicator_rows_sql`
    rows, whose ``indicator_seq`` counts ``indicators``. ``dedupe=False`` leaves out the
    deduplication window, for a table already known to hold one row per key (same result)."""
    inds = list(indicators)

    def by_seq(values_of: Iterable[tuple[int, str]]) -> str:
        return " ".join(f"WHEN {k} THEN {v}" for k, v in values_of)

    family = by_seq((k, str_literal(i.family)) for k, i in enumerate(inds))
    scope = by_seq((k, str_literal(i.scope)) for k, i in enumerate(inds))
    thr_parts = []
    for k, ind in enumerate(inds):
        by_rank = " ".join(
            f"WHEN {r} THEN {threshold_literal(t)}" for r, t in ind.thresholds.by_rank()
        )
        thr_parts.append(f"WHEN {k} THEN CASE v.raw_level_rank {by_rank} END")
    ids, families = signal_codes(inds)
    id_code = by_seq((k, str(ids.index(i.id) + 1)) for k, i in enumerate(inds))
    family_code = by_seq((k, str(families.index(i.family) + 1)) for k, i in enumerate(inds))
    stamp = f"{as_of:%Y%m%d}:"
    labelled = f"SELECT x.*, {indicator_id_sql(inds, 'x.indicator_seq')} AS indicator_id"
    if dedupe:
        order_value = by_seq((k, "-x.value") for k, i in enumerate(inds) if i.direction == "lower")
        extreme = (
            f"CASE x.indicator_seq {order_value} ELSE x.value END" if order_value else "x.value"
        )
        source = f"""(
  {labelled}, ROW_NUMBER() OVER (
    PARTITION BY x.indicator_seq, x.borrower_id, x.loan_id
    ORDER BY x.level_rank DESC, {extreme} DESC, x.confidence ASC, x.raw_level_rank DESC
  ) AS rn
  FROM {values} x WHERE x.level_rank > 0
) v"""
        keep = "WHERE v.rn = 1"
    else:
        source = f"({labelled} FROM {values} x WHERE x.level_rank > 0) v"
        keep = ""
    return f"""SELECT {date_literal(as_of)} AS as_of,
  CONCAT('{stamp}', v.indicator_id, ':', CAST(v.borrower_id AS STRING), ':',
         COALESCE(CAST(v.loan_id AS STRING), '-')) AS signal_id,
  v.indicator_id,
  CASE v.indicator_seq {family} END AS family,
  CASE v.indicator_seq {scope} END AS scope,
  v.borrower_id, v.loan_id, CAST(b.branch_id AS BIGINT) AS branch_id, v.value,
  CAST(CASE v.indicator_seq {' '.join(thr_parts)} END AS DOUBLE) AS threshold,
  {_level_name_sql('v.raw_level_rank')} AS raw_level,
  {_level_name_sql('v.level_rank')} AS level,
  CAST(v.level_rank AS INTEGER) AS level_rank,
  v.confidence,
  v.level_rank < v.raw_level_rank AS capped,
  CAST(CASE v.indicator_seq {id_code} END AS SMALLINT) AS indicator_code,
  CAST(CASE v.indicator_seq {family_code} END AS SMALLINT) AS family_code
FROM {source}
LEFT JOIN {borrowers} b ON b.borrower_id = v.borrower_id
{keep}"""


def duplicate_signal_keys_sql(values: str = INDICATOR_VALUES_TABLE) -> str:
    """How many (indicator, borrower, loan) keys at a level have more than one value row: when
    none, :func:`signals_sql` can skip its deduplication window."""
    return (
        f"SELECT COUNT(*) AS n FROM (SELECT indicator_seq, borrower_id, loan_id FROM {values} "
        f"WHERE level_rank > 0 GROUP BY indicator_seq, borrower_id, loan_id "
        f"HAVING COUNT(*) > 1) d"
    )


def warnings_sql(
    as_of: date,
    dialect: str,
    *,
    signals: str = SIGNALS_TABLE,
    indicators: Sequence[Indicator] | None = None,
) -> str:
    """One warning per borrower with at least one signal (see the module docstring).

    The top indicator is the smallest of ``(9 - level rank) || id``: the highest level first,
    then the first id alphabetically, in one aggregate (ids are upper snake case, so the one-digit
    prefix orders the levels).

    With ``indicators`` (the set :func:`signals_sql` labelled the signals with) DuckDB collects
    the ``indicator_code`` and ``family_code`` columns and turns them into the sorted id and
    family lists; otherwise, and on Spark, the strings themselves are collected."""
    if indicators is not None and dialect == "duckdb":
        ids, families = signal_codes(indicators)
        indicator_ids = _sorted_labels("s.indicator_code", ids)
        family_list = _sorted_labels("s.family_code", families)
    else:
        indicator_ids = _sorted_set("s.indicator_id", dialect)
        family_list = _sorted_set("s.family", dialect)
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
  SUBSTRING(MIN(CONCAT(CAST(9 - s.level_rank AS STRING), s.indicator_id)), 2) AS top_indicator_id,
  {indicator_ids} AS indicator_ids,
  {family_list} AS families,
  {_sorted_set('s.loan_id', dialect)} AS loan_ids,
  MIN(CASE WHEN s.confidence = 'low' THEN 1 ELSE 0 END) = 1 AS low_confidence_only
FROM {signals} s
GROUP BY s.borrower_id"""


def ordered_sql(table: str, columns: Iterable[str], order_by: str) -> str:
    return f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order_by}"


def signals_output_sql(table: str = SIGNALS_TABLE) -> str:
    return ordered_sql(table, SIGNAL_COLUMNS, SIGNALS_ORDER)


def warnings_output_sql(table: str = WARNINGS_TABLE) -> str:
    return ordered_sql(table, WARNING_COLUMNS, WARNINGS_ORDER)


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
