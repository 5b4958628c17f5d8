"""Write a synthetic book (or a stream of its chunks) to one Parquet file per table."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mortgage_risk.synth.book import (
    DATE_COLUMNS,
    TABLE_ORDER,
    SyntheticBook,
    generate_chunks,
)

EXTRA_FRAMES = ("truth", "portfolio_path")


def _to_table(name: str, frame: pd.DataFrame) -> pa.Table:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for col in DATE_COLUMNS.get(name, ()):
        if col in table.column_names:
            i = table.column_names.index(col)
            table = table.set_column(i, col, table.column(col).cast(pa.date32()))
    return table


def write_parquet(
    book_or_chunks: SyntheticBook | Iterable[SyntheticBook], out_dir: str | Path
) -> dict[str, int]:
    """Write ``<table>.parquet`` for the seven tables plus ``truth.parquet`` and
    ``portfolio_path.parquet``; chunks are appended with one ParquetWriter per table so memory
    stays bounded. Returns rows written per file."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    chunks = [book_or_chunks] if isinstance(book_or_chunks, SyntheticBook) else book_or_chunks
    writers: dict[str, pq.ParquetWriter] = {}
    rows: dict[str, int] = {}
    paths: list[pd.DataFrame] = []
    try:
        for i, chunk in enumerate(chunks):
            for name in (*TABLE_ORDER, "truth"):
                if name == "branches" and i > 0:
                    continue
                table = _to_table(name, getattr(chunk, name))
                if name not in writers:
                    writers[name] = pq.ParquetWriter(out / f"{name}.parquet", table.schema)
                else:
                    table = table.cast(writers[name].schema)
                writers[name].write_table(table, row_group_size=1_000_000)
                rows[name] = rows.get(name, 0) + table.num_rows
            paths.append(chunk.portfolio_path)
    finally:
        for w in writers.values():
            w.close()
    if paths:
        path = pd.concat(paths, ignore_index=True).groupby("month_end", as_index=False).sum()
        pq.write_table(_to_table("portfolio_path", path), out / "portfolio_path.parquet")
        rows["portfolio_path"] = len(path)
    return rows


def generate_to_parquet(
    n_loans: int,
    seed: int,
    as_of: date,
    out_dir: str | Path,
    *,
    chunk_size: int = 100_000,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Generate a book of any size chunk by chunk straight into Parquet (bounded memory)."""
    chunks = generate_chunks(n_loans, seed, as_of, chunk_size, progress=progress)
    return write_parquet(chunks, out_dir)
