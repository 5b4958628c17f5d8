"""Benchmark: generate a synthetic book in chunks, write Parquet, and compare with a bare
DuckDB scan of the produced repayments file.

    .venv/bin/python bench/bench_generate.py --loans 1000000 --seed 7 --out /tmp/x
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import duckdb  # noqa: E402

from mortgage_risk.synth import generate_chunks, write_parquet  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 28))
    parser.add_argument("--chunk-size", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    args = parser.parse_args()

    start = time.perf_counter()
    chunks = generate_chunks(args.loans, args.seed, args.as_of, chunk_size=args.chunk_size)
    rows = write_parquet(chunks, args.out)
    wall = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"generated {args.loans:,} loans (seed {args.seed}, as of {args.as_of}) in {wall:.1f} s")
    print(f"peak RSS: {peak_mb:,.0f} MB")
    for name, count in rows.items():
        size = (args.out / f"{name}.parquet").stat().st_size / 1e6
        print(f"  {name:<16} {count:>12,} rows  {size:>9.1f} MB")

    repayments = str(args.out / "repayments.parquet")
    t0 = time.perf_counter()
    con = duckdb.connect()
    count, total = con.execute(
        "select count(*), sum(amount_paid) from read_parquet(?)", [repayments]
    ).fetchone()
    scan = time.perf_counter() - t0
    print(
        f"peer: DuckDB scan of repayments.parquet: {count:,} rows, sum(amount_paid) "
        f"{total:,.2f} in {scan:.2f} s"
    )
    print(
        f"ratio generate+write / scan: {wall / scan:,.0f}x "
        f"({count / wall:,.0f} repayment rows/s generated vs {count / scan:,.0f} rows/s scanned)"
    )


if __name__ == "__main__":
    main()
