"""Bulk writes of whole tables from data frames: executemany on SQLite, COPY on PostgreSQL.

Used for the synthetic book and batch loads, where row-by-row ORM would take minutes.
Runs on the unit of work's connection, so it commits or rolls back with everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table

from mortgage_risk.storage.tables import Base

CHUNK_ROWS = 50_000


def _prepared(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    cols = [c.name for c in table.columns if c.name in frame.columns]
    out = frame[cols].copy()
    for name in cols:
        col = table.columns[name]
        series = out[name]
        type_name = type(col.type).__name__
        if type_name == "Date":
            out[name] = pd.to_datetime(series).dt.strftime("%Y-%m-%d")
        elif type_name == "DateTime":
            out[name] = pd.to_datetime(series, utc=True).dt.strftime("%Y-%m-%d %H:%M:%S.%f")
        elif type_name == "Numeric" and series.dtype.kind == "f":
            scale = col.type.scale or 2  # type: ignore[attr-defined]
            out[name] = series.round(scale)
        elif type_name == "Boolean":
            out[name] = series.astype("boolean")
    return out


def _rows(frame: pd.DataFrame, start: int, stop: int) -> list[tuple[Any, ...]]:
    part = frame.iloc[start:stop].astype(object)
    part = part.where(part.notna(), None)
    values: list[tuple[Any, ...]] = [tuple(r) for r in part.to_numpy()]
    return [tuple(_plain(v) for v in row) for row in values]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _chunks(n: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, size):
        yield start, min(n, start + size)


def insert_frame(
    conn: Connection,
    table_name: str,
    frame: pd.DataFrame,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert every row of ``frame`` into ``table_name``; returns the row count."""
    table = Base.metadata.tables[table_name]
    prepared = _prepared(frame, table)
    cols = list(prepared.columns)
    n = len(prepared)
    if n == 0:
        return 0
    dialect = conn.dialect.name
    raw = conn.connection.driver_connection
    if dialect == "postgresql":
        col_sql = ", ".join(f'"{c}"' for c in cols)
        with raw.cursor() as cur:  # type: ignore[union-attr]
            with cur.copy(f'COPY "{table_name}" ({col_sql}) FROM STDIN') as copy:
                for start, stop in _chunks(n, CHUNK_ROWS):
                    for row in _rows(prepared, start, stop):
                        copy.write_row(row)
                    if progress:
                        progress(stop - start)
    else:
        placeholders = ", ".join("?" for _ in cols)
        sql = f'INSERT INTO "{table_name}" ({", ".join(cols)}) VALUES ({placeholders})'
        cur = raw.cursor()  # type: ignore[union-attr]
        try:
            for start, stop in _chunks(n, CHUNK_ROWS):
                cur.executemany(sql, _rows(prepared, start, stop))
                if progress:
                    progress(stop - start)
        finally:
            cur.close()
    return n


def reset_sequences(conn: Connection, table_names: list[str]) -> None:
    """After COPY with explicit ids, move PostgreSQL sequences past the largest id."""
    if conn.dialect.name != "postgresql":
        return
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:  # type: ignore[union-attr]
        for name in table_names:
            table = Base.metadata.tables[name]
            if "id" not in table.columns or not table.columns["id"].autoincrement:
                continue
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{name}"), 0) + 1, false)'
            )
