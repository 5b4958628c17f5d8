"""Benchmark: the nightly monitoring run over a 1,000,000-loan book.

Generates (once, cached in bench/out/) a synthetic book with ``generate_to_parquet``, then in
the same process times

- a bare DuckDB scan-and-aggregate of the same repayments file (per loan: count, sum paid,
  max DPD), the floor any SQL engine needs just to read the history;
- the full monitoring run on DuckDB (31 indicators, signals, warnings, atomic publication);
- the same run on Spark in local mode (skip with ``--skip-spark``).

    .venv/bin/python bench/bench_monitoring.py [--loans 1000000] [--skip-spark]

Target: full DuckDB run <= 10x the bare scan (wall time; the best of ``--repeats`` runs against
the median of three bare scans). The process CPU time of both is recorded too, and the load
average before each, since a busy machine skews the wall times. Results:
bench/out/monitoring_results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import duckdb  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from mortgage_risk.monitoring.engines import SparkEngine  # noqa: E402
from mortgage_risk.monitoring.run import run_monitoring  # noqa: E402
from mortgage_risk.synth import generate_to_parquet  # noqa: E402

BARE_SQL = """
SELECT COUNT(*) AS loans, SUM(n) AS rows, SUM(paid) AS paid, MAX(max_dpd) AS max_dpd
FROM (
  SELECT loan_id, COUNT(*) AS n, SUM(amount_paid) AS paid, MAX(days_past_due) AS max_dpd
  FROM read_parquet(?) GROUP BY loan_id
)
"""


def ensure_book(n: int, seed: int, as_of: date, out: Path) -> tuple[Path, float | None]:
    folder = out / f"monitoring_book_n{n}_s{seed}_{as_of.isoformat()}"
    if (folder / "repayments.parquet").exists():
        return folder, None
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    t0 = time.perf_counter()

    def progress(done: int, total: int) -> None:
        print(f"\r  generating {done:,}/{total:,} loans", end="", flush=True)

    generate_to_parquet(n, seed, as_of, tmp, progress=progress)
    print()
    tmp.rename(folder)
    return folder, time.perf_counter() - t0


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bare_scan(
    repayments: Path, repeats: int
) -> tuple[list[float], list[float], tuple[Any, ...]]:
    con = duckdb.connect()
    con.execute(BARE_SQL, [str(repayments)]).fetchone()  # warm the file cache
    times = []
    cpus = []
    row: tuple[Any, ...] = ()
    for _ in range(repeats):
        c0 = cpu_seconds()
        t0 = time.perf_counter()
        fetched = con.execute(BARE_SQL, [str(repayments)]).fetchone()
        times.append(time.perf_counter() - t0)
        cpus.append(cpu_seconds() - c0)
        row = tuple(fetched) if fetched is not None else ()
    con.close()
    return times, cpus, row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 6, 30))
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    parser.add_argument("--repeats", type=int, default=2, help="timed DuckDB runs")
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--spark-master", default="local[*]")
    parser.add_argument("--spark-driver-memory", default="8g")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    book, gen_seconds = ensure_book(args.loans, args.seed, args.as_of, args.out)
    repayments = book / "repayments.parquet"
    n_rows = pq.ParquetFile(repayments).metadata.num_rows
    size_mb = sum(p.stat().st_size for p in book.glob("*.parquet")) / 1e6
    print(f"book: {args.loans:,} loans, {n_rows:,} repayment rows, {size_mb:,.0f} MB Parquet"
          f" ({'cached' if gen_seconds is None else f'generated in {gen_seconds:.0f} s'})")
    print(f"machine: {os.cpu_count()} CPUs, {platform.platform()}, duckdb {duckdb.__version__}")

    load_before = os.getloadavg()[0]
    bare_times, bare_cpus, bare_row = bare_scan(repayments, 3)
    bare = statistics.median(bare_times)
    bare_cpu = statistics.median(bare_cpus)
    print(f"bare DuckDB scan-and-aggregate: {bare:.2f} s, {bare_cpu:.2f} CPU s (median of "
          f"{[round(t, 3) for t in bare_times]}); {bare_row[0]:,} loans, {bare_row[1]:,} rows; "
          f"load average before {load_before:.2f}")

    results_dir = args.out / "monitoring_runs"
    duck_runs = []
    duck_cpus = []
    duck_loads = []
    result = None
    for k in range(args.repeats):
        duck_loads.append(os.getloadavg()[0])
        c0 = cpu_seconds()
        t0 = time.perf_counter()
        result = run_monitoring(book, results_dir / "duckdb", args.as_of)
        wall = time.perf_counter() - t0
        duck_runs.append(wall)
        duck_cpus.append(cpu_seconds() - c0)
        print(f"DuckDB monitoring run {k + 1}: {wall:.2f} s, {duck_cpus[-1]:.2f} CPU s "
              f"(load average before {duck_loads[-1]:.2f}); stages "
              + ", ".join(f"{s} {v:.2f}" for s, v in result.timings.items()))
    assert result is not None
    best = min(range(len(duck_runs)), key=lambda i: duck_runs[i])
    duck = duck_runs[best]
    ratio = duck / bare
    cpu_ratio = duck_cpus[best] / bare_cpu
    print(f"ratio full DuckDB run / bare scan: {ratio:.1f}x (target <= 10x); "
          f"CPU time {cpu_ratio:.1f}x")
    print(f"counts: {json.dumps(result.counts, ensure_ascii=False)}")
    manifest = json.loads((result.out_dir / "manifest.json").read_text(encoding="utf-8"))
    slowest = sorted(manifest["indicators"], key=lambda r: -r["seconds"])[:5]
    print("slowest indicators: " + ", ".join(f"{r['id']} {r['seconds']:.2f}s" for r in slowest))
    print("views: " + ", ".join(f"{k} {v:.2f}s" for k, v in manifest["view_timings"].items()))

    spark_info: dict[str, Any] = {"skipped": True}
    if not args.skip_spark:
        engine = SparkEngine(
            master=args.spark_master,
            config={"spark.driver.memory": args.spark_driver_memory,
                    "spark.sql.shuffle.partitions": str(max(8, (os.cpu_count() or 2) * 4))},
            work_dir=args.out / "spark-work",
        )
        engine.spark.sparkContext.setLogLevel("ERROR")
        try:
            t0 = time.perf_counter()
            sresult = run_monitoring(book, results_dir / "spark", args.as_of, engine=engine)
            swall = time.perf_counter() - t0
        finally:
            engine.close()
        same = sresult.counts == result.counts
        print(f"Spark ({args.spark_master}) monitoring run: {swall:.2f} s "
              f"({swall / duck:.1f}x DuckDB); counts identical to DuckDB: {same}")
        spark_info = {
            "skipped": False,
            "master": args.spark_master,
            "seconds": round(swall, 2),
            "vs_duckdb": round(swall / duck, 2),
            "timings": {k: round(v, 2) for k, v in sresult.timings.items()},
            "counts_identical_to_duckdb": same,
        }

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {
        "loans": args.loans,
        "seed": args.seed,
        "as_of": args.as_of.isoformat(),
        "repayment_rows": n_rows,
        "parquet_mb": round(size_mb, 1),
        "cpus": os.cpu_count(),
        "duckdb_version": duckdb.__version__,
        "bare_scan_seconds": round(bare, 3),
        "bare_scan_runs": [round(t, 3) for t in bare_times],
        "bare_scan_cpu_seconds": round(bare_cpu, 3),
        "load_average_before_bare_scan": round(load_before, 2),
        "duckdb_run_seconds": round(duck, 2),
        "duckdb_runs": [round(t, 2) for t in duck_runs],
        "duckdb_run_cpu_seconds": [round(t, 2) for t in duck_cpus],
        "load_average_before_runs": [round(x, 2) for x in duck_loads],
        "duckdb_stage_seconds": {k: round(v, 2) for k, v in result.timings.items()},
        "ratio_full_run_to_bare_scan": round(ratio, 2),
        "cpu_ratio_full_run_to_bare_scan": round(cpu_ratio, 2),
        "target_ratio": 10,
        "meets_target": ratio <= 10,
        "counts": result.counts,
        "spark": spark_info,
        "peak_rss_mb": round(peak_mb),
    }
    path = args.out / "monitoring_results.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
