"""Export the book's tables to Parquet for the analytics engines (DuckDB, Spark).

Each table is written chunk by chunk to a temporary file and renamed into place, so a killed
export never leaves a half-written file behind.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, text

from mortgage_risk.storage.tables import Base

TABLES = ("branches", "borrowers", "properties", "applications", "loans", "repayments",
          "external_events")
CHUNK_ROWS = 200_000


def _arrow(frame: pd.DataFrame, table: str) -> pa.Table:
    columns = Base.metadata.tables[table].columns
    for name in frame.columns:
        kind = type(columns[name].type).__name__ if name in columns else ""
        if kind == "Date":
            frame[name] = pd.to_datetime(frame[name]).dt.date
        elif kind == "Numeric":
            frame[name] = pd.to_numeric(frame[name]).astype("float64")
        elif kind == "Boolean":
            frame[name] = frame[name].astype("boolean")
    return pa.Table.from_pandas(frame, preserve_index=False)


def export_tables(engine: Engine, out_dir: Path, tables: tuple[str, ...] = TABLES,
                  progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Write ``<table>.parquet`` for each table; returns rows written per table."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    for table in tables:
        target = out_dir / f"{table}.parquet"
        tmp = out_dir / f".{table}.parquet.tmp"
        writer: pq.ParquetWriter | None = None
        count = 0
        try:
            with engine.connect() as conn:
                for chunk in pd.read_sql(text(f'SELECT * FROM "{table}"'), conn,
                                         chunksize=CHUNK_ROWS):
                    data = _arrow(chunk, table)
                    if writer is None:
                        writer = pq.ParquetWriter(tmp, data.schema)
                    writer.write_table(data.cast(writer.schema))
                    count += len(chunk)
                    if progress:
                        progress(table, count)
            if writer is None:  # an empty table still gets a file with its columns
                empty = pd.DataFrame(columns=[c.name for c in Base.metadata.tables[table].columns])
                pq.write_table(pa.Table.from_pandas(empty, preserve_index=False), tmp)
            else:
                writer.close()
                writer = None
            os.replace(tmp, target)
        finally:
            if writer is not None:
                writer.close()
            tmp.unlink(missing_ok=True)
        rows[table] = count
    return rows
