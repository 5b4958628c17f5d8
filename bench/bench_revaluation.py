"""Benchmark: vectorised batch revaluation of 1,000,000 properties against the 70-city index.

Ours: ``mortgage_risk.valuation.batch.batch_revalue`` (numpy). Peer: the same revaluation as a
bare DuckDB SQL join of a properties table with the index table and a property-type table.
Both run in the same invocation, each in a subprocess of its own (one at a time, nothing else
running) so that each peak RSS is its own; the book is regenerated from the seed in each.

    .venv/bin/python bench/bench_revaluation.py [--n 1000000] [--seed 20260630]
        [--as-of 2026-06-30] [--repeat 3] [--threads N]

Prints, for each side, the median revaluation time over ``--repeat`` runs, the peak RSS during
the revaluation (VmHWM after resetting it via /proc/self/clear_refs; ru_maxrss otherwise), the
process's peak RSS and, for ours, tracemalloc's peak of numpy allocations. Then the ratio and
the check that both give the same values (values and LTV to 1e-12 relative, flags exactly).
Writes bench/out/revaluation_results.json.

The index is the proxy city of the synthetic book (桂林, 二手房, 整体): the real data from
``mortgage_risk.datasets.load_house_price_index``, gaps interpolated, carried forward after
2025-12 (so an as-of date in 2026 exercises the extrapolation flag).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT_DIR = HERE / "out"
RESULTS = OUT_DIR / "revaluation_results.json"

# Property-type shares of the synthetic book (synth/params.json, property_types.*.share).
TYPE_SHARES = {
    "urban_housing": 0.53, "rural_house": 0.24, "shop": 0.125, "office": 0.01,
    "factory_warehouse": 0.05, "state_land_use_right": 0.018, "land_management_right": 0.027,
}


# ---------------------------------------------------------------------------- shared


def load_index() -> Any:
    from mortgage_risk.datasets import load_house_price_index
    from mortgage_risk.valuation.index import PriceIndex

    frame = load_house_price_index("桂林", "二手房", "整体")
    return PriceIndex.from_frame(frame, "桂林", "二手房", "整体")


def make_book(n: int, seed: int, first_day: date, as_of: date) -> dict[str, Any]:
    """A seeded synthetic book: appraisal dates from the index start to the as-of date."""
    from mortgage_risk.valuation.batch import PROPERTY_TYPES

    rng = np.random.default_rng(seed)
    shares = np.array([TYPE_SHARES[t.value] for t in PROPERTY_TYPES])
    ptype = rng.choice(len(PROPERTY_TYPES), size=n, p=shares / shares.sum()).astype(np.int8)
    rural_code = [t.value for t in PROPERTY_TYPES].index("rural_house")
    rural = (ptype == rural_code) | (rng.random(n) < 0.05)
    start = np.datetime64(first_day, "D")
    span = int((np.datetime64(as_of, "D") - start).astype(np.int64))
    appraised = start + rng.integers(0, span + 1, n).astype("timedelta64[D]")
    value = np.round(rng.lognormal(np.log(300_000), 0.6, n), 2)
    balance = np.round(value * rng.uniform(0.05, 0.75, n), 2)
    prior = np.where(rng.random(n) < 0.15, np.round(value * rng.uniform(0.05, 0.3, n), 2), 0.0)
    return {"last_value": value, "appraised_on": appraised, "balance": balance,
            "prior_claims": prior, "property_type": ptype, "rural": rural}


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _status_kb(key: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _peak_mb(reset_ok: bool) -> float:
    hwm = _status_kb("VmHWM") if reset_ok else None
    kb = hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024.0


# ---------------------------------------------------------------------------- runners


def run_ours(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    import tracemalloc

    from mortgage_risk.valuation.batch import batch_revalue

    t0 = time.perf_counter()
    index = load_index()
    load_s = time.perf_counter() - t0
    as_of = date.fromisoformat(args.as_of)
    book = make_book(args.n, args.seed, index.first_month.start_time.date(), as_of)
    rss_before = (_status_kb("VmRSS") or 0) / 1024.0
    reset_ok = _reset_peak()
    times = []
    res = None
    for _ in range(args.repeat):
        res = None
        t0 = time.perf_counter()
        res = batch_revalue(index, as_of, **book)
        _ = res.flags  # the bitmask, as the SQL returns it
        times.append(time.perf_counter() - t0)
    peak = _peak_mb(reset_ok)
    assert res is not None
    tracemalloc.start()
    batch_revalue(index, as_of, **book)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    np.savez(out, value=res.value, ltv=res.ltv, cltv=res.cltv, flags=res.flags)
    return {"runner": "ours", "n": args.n, "index_load_s": load_s, "times_s": times,
            "median_s": statistics.median(times), "rss_before_mb": rss_before,
            "peak_rss_during_mb": peak, "peak_increment_mb": peak - rss_before,
            "tracemalloc_peak_mb": traced_peak / 2**20,
            "process_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            "summary": res.summary(), "peak_reset": reset_ok}


PEER_SQL = """
WITH t AS (SELECT level AS level_t, extrapolated OR $beyond AS extrap_t
           FROM idx WHERE month = $asof_month),
base AS (
    SELECT p.id, p.last_value, p.balance, p.prior_claims, ty.cap,
           CASE WHEN p.rural THEN least(ty.amplitude, $rural_amp) ELSE ty.amplitude END AS amp,
           t.level_t / i.level AS raw,
           i.extrapolated OR p.month > $last_month OR t.extrap_t AS extrap,
           CASE WHEN p.rural OR ty.sensitive THEN $drop_sensitive ELSE $drop END AS drop_thr,
           $asof_day - p.report_day AS age_days
    FROM props p
    JOIN idx i ON i.month = least(p.month, $last_month)
    JOIN types ty ON ty.code = p.type_code
    CROSS JOIN t
),
v AS (
    SELECT *, CASE WHEN amp = 1.0 THEN raw ELSE 1.0 + amp * (raw - 1.0) END AS ratio
    FROM base
),
w AS (SELECT *, last_value * ratio AS value FROM v),
x AS (
    SELECT id, value, last_value, drop_thr, cap, extrap, age_days,
           CASE WHEN value - prior_claims <= 0
                THEN CASE WHEN balance > 0 THEN 'inf'::DOUBLE ELSE 0.0 END
                ELSE balance / (value - prior_claims) END AS ltv,
           CASE WHEN value <= 0
                THEN CASE WHEN balance + prior_claims > 0 THEN 'inf'::DOUBLE ELSE 0.0 END
                ELSE (balance + prior_claims) / value END AS cltv
    FROM w
)
SELECT id, value, ltv, cltv,
       (CASE WHEN value <= (1.0 - drop_thr) * last_value THEN 1 ELSE 0 END
        + CASE WHEN ltv > cap THEN 2 ELSE 0 END
        + CASE WHEN ltv > $watch * cap AND NOT ltv > cap THEN 4 ELSE 0 END
        + CASE WHEN cltv > $cltv_escalate THEN 8 ELSE 0 END
        + CASE WHEN age_days > $max_age THEN 16 ELSE 0 END
        + CASE WHEN extrap THEN 32 ELSE 0 END)::UTINYINT AS flags
FROM x
ORDER BY id
"""


def run_duckdb(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    import duckdb
    import pandas as pd

    from mortgage_risk.valuation.batch import (
        DEFAULT_HPI_AMPLITUDE,
        DEFAULT_RURAL_AMPLITUDE,
        PROPERTY_TYPES,
    )
    from mortgage_risk.valuation.index import EXTRAPOLATED, month_ordinal
    from mortgage_risk.valuation.triggers import TriggerThresholds

    t0 = time.perf_counter()
    index = load_index()
    load_s = time.perf_counter() - t0
    as_of = date.fromisoformat(args.as_of)
    book = make_book(args.n, args.seed, index.first_month.start_time.date(), as_of)
    th = TriggerThresholds()
    con = duckdb.connect()
    if args.threads:
        con.execute(f"SET threads = {int(args.threads)}").fetchall()
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0]
    rss_before = (_status_kb("VmRSS") or 0) / 1024.0
    reset_ok = _reset_peak()

    t0 = time.perf_counter()
    appraised = book["appraised_on"]
    props = pd.DataFrame({
        "id": np.arange(args.n, dtype=np.int64),
        "last_value": book["last_value"],
        "month": appraised.astype("datetime64[M]").astype(np.int64),
        "report_day": appraised.astype("datetime64[D]").astype(np.int64),
        "balance": book["balance"], "prior_claims": book["prior_claims"],
        "type_code": book["property_type"].astype(np.int32), "rural": book["rural"],
    })
    idx = index.to_frame()[["month_ordinal", "level", "status"]].rename(
        columns={"month_ordinal": "month"})
    idx["extrapolated"] = idx.pop("status") == EXTRAPOLATED
    types = pd.DataFrame({
        "code": np.arange(len(PROPERTY_TYPES), dtype=np.int32),
        "amplitude": [DEFAULT_HPI_AMPLITUDE[t] for t in PROPERTY_TYPES],
        "cap": [th.ltv_caps[t] for t in PROPERTY_TYPES],
        "sensitive": [t in th.sensitive_types for t in PROPERTY_TYPES],
    })
    for name, frame in (("props", props), ("idx", idx), ("types", types)):
        con.register(f"{name}_df", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_df").fetchall()
        con.unregister(f"{name}_df")
    del props
    table_load_s = time.perf_counter() - t0

    asof_month = month_ordinal(as_of)
    params = {
        "asof_month": min(asof_month, index.end), "beyond": asof_month > index.end,
        "last_month": index.end, "rural_amp": DEFAULT_RURAL_AMPLITUDE,
        "drop": th.value_drop, "drop_sensitive": th.value_drop_sensitive,
        "asof_day": int(np.datetime64(as_of, "D").astype(np.int64)),
        "watch": th.ltv_watch_fraction, "cltv_escalate": th.cltv_escalate,
        "max_age": th.report_max_age_days,
    }
    # Main variant: the query without ORDER BY (DuckDB's parallel join does not keep the input
    # order), then the rows scattered back to input order by id in numpy (timed). The ORDER BY
    # variant is timed too and reported alongside.
    unordered_sql = PEER_SQL.replace("ORDER BY id\n", "")
    times: list[float] = []
    times_order_by: list[float] = []
    aligned: dict[str, Any] = {}
    for _ in range(args.repeat):
        aligned = {}
        t0 = time.perf_counter()
        got = con.execute(unordered_sql, params).fetchnumpy()
        ids = np.asarray(got["id"])
        for key in ("value", "ltv", "cltv", "flags"):
            col = np.asarray(got[key])
            arr = np.empty(args.n, dtype=col.dtype)
            arr[ids] = col
            aligned[key] = arr
        times.append(time.perf_counter() - t0)
        del got
        t0 = time.perf_counter()
        ordered = con.execute(PEER_SQL, params).fetchnumpy()
        times_order_by.append(time.perf_counter() - t0)
        if not np.array_equal(np.asarray(ordered["value"]), aligned["value"]):
            raise SystemExit("ORDER BY and scattered results differ")
        del ordered
    peak = _peak_mb(reset_ok)
    np.savez(out, **aligned)
    return {"runner": "duckdb", "duckdb_version": duckdb.__version__,
            "threads": threads[0] if threads else None, "n": args.n, "index_load_s": load_s,
            "table_load_s": table_load_s, "times_s": times,
            "median_s": statistics.median(times), "times_order_by_s": times_order_by,
            "median_order_by_s": statistics.median(times_order_by), "rss_before_mb": rss_before,
            "peak_rss_during_mb": peak, "peak_increment_mb": peak - rss_before,
            "process_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            "peak_reset": reset_ok}


# ---------------------------------------------------------------------------- orchestration


def _child(runner: str, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--runner", runner, "--out", str(out),
           "--n", str(args.n), "--seed", str(args.seed), "--as-of", args.as_of,
           "--repeat", str(args.repeat)]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    env = dict(os.environ)
    env.setdefault("PYTHONPATH", str(ROOT / "src"))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"{runner} runner failed ({proc.returncode})")
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[len("RESULT "):]))
    raise SystemExit(f"{runner} runner printed no RESULT line")


def compare(ours: Path, peer: Path) -> dict[str, Any]:
    a, b = np.load(ours), np.load(peer)
    out: dict[str, Any] = {}
    for key in ("value", "ltv", "cltv"):
        x, y = a[key], b[key]
        finite = np.isfinite(x) & np.isfinite(y)
        same_inf = np.array_equal(~np.isfinite(x), ~np.isfinite(y))
        rel = np.abs(x[finite] - y[finite]) / np.maximum(np.abs(y[finite]), 1e-300)
        out[key] = {"max_rel_diff": float(rel.max()) if rel.size else 0.0,
                    "bit_identical": int(np.count_nonzero(x == y)), "same_inf": same_inf}
    out["flags_mismatch"] = int(np.count_nonzero(a["flags"] != b["flags"]))
    out["same"] = (all(out[k]["max_rel_diff"] <= 1e-12 and out[k]["same_inf"]
                       for k in ("value", "ltv", "cltv")) and out["flags_mismatch"] == 0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=20260630)
    ap.add_argument("--as-of", default="2026-06-30")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="DuckDB threads (0: its default)")
    ap.add_argument("--runner", choices=("ours", "duckdb"))
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    if args.runner:
        run = run_ours if args.runner == "ours" else run_duckdb
        result = run(args, args.out)
        print("RESULT " + json.dumps(result))
        return

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    ours_npz, peer_npz = OUT_DIR / "reval_ours.npz", OUT_DIR / "reval_duckdb.npz"
    print(f"batch revaluation of {args.n:,} properties, as of {args.as_of}, "
          f"median of {args.repeat}; {os.cpu_count()} CPUs, {platform.platform()}")
    ours = _child("ours", args, ours_npz)
    peer = _child("duckdb", args, peer_npz)
    check = compare(ours_npz, peer_npz)
    ratio = peer["median_s"] / ours["median_s"]
    print(f"{'runner':<8} {'median s':>9} {'runs s':<26} {'peak RSS during':>16} "
          f"{'increment':>10} {'process peak':>13}")
    for r in (ours, peer):
        runs = ", ".join(f"{t:.3f}" for t in r["times_s"])
        print(f"{r['runner']:<8} {r['median_s']:>9.3f} {runs:<26} "
              f"{r['peak_rss_during_mb']:>13.0f} MB {r['peak_increment_mb']:>7.0f} MB "
              f"{r['process_peak_rss_mb']:>10.0f} MB")
    print(f"ours: tracemalloc peak of the revaluation {ours['tracemalloc_peak_mb']:.0f} MB; "
          f"index load {ours['index_load_s']:.3f} s")
    print(f"duckdb {peer['duckdb_version']} ({peer['threads']} threads): table load "
          f"{peer['table_load_s']:.3f} s (not in the median)")
    print(f"duckdb with ORDER BY id instead of the scatter: median "
          f"{peer['median_order_by_s']:.3f} s "
          f"({peer['median_order_by_s'] / ours['median_s']:.2f}x ours)")
    print(f"duckdb / ours time ratio: {ratio:.2f}x")
    print(f"flags: {ours['summary']}")
    print("same values: " + ("yes" if check["same"] else "NO") + f" {json.dumps(check)}")
    RESULTS.write_text(json.dumps({"ours": ours, "duckdb": peer, "ratio_duckdb_over_ours": ratio,
                                   "check": check, "args": {k: v for k, v in vars(args).items()
                                                            if k not in ("runner", "out")},
                                   "cpus": os.cpu_count(), "platform": platform.platform()},
                                  indent=2, default=str))
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    if not check["same"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
