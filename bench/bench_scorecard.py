"""Benchmark: our scorecard against optbinning and scorecardpy, side by side in one run.

Measures the quality bar of issue 3 on this machine: the same data, the same fixed 70/30
stratified split (seed 42) and the same metrics for every library (datasets.py). Each library
runs in a subprocess of its own environment, one at a time, and reports one ``RESULT {json}``
line with fit seconds, score seconds, AUC/KS/Gini and its peak RSS:

- ours: ``bench/ours_scorecard.py`` in the project venv (.venv);
- optbinning: ``bench/peer_optbinning.py`` in bench/.peers/optbinning;
- scorecardpy: ``bench/peer_scorecardpy.py`` in bench/.peers/scorecardpy (HMEQ only by default;
  ``--scorecardpy-synth-nrows 100000`` adds a run on the first 100k synthetic rows).

Create the peer environments first with ``bash bench/peers/setup.sh`` (or ``make bench-peers``).

    .venv/bin/python bench/bench_scorecard.py [--only hmeq|synth] [--skip-peers]

Prints a table and the ratios of the quality bar, and writes bench/out/scorecard_results.json.
With ``--skip-peers`` the peer rows and ratios come from the previous results file (marked so);
the quality bar itself asks for one run with everything.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out" / "scorecard_results.json"
PEERS = HERE / ".peers"
OURS_PY = ROOT / ".venv" / "bin" / "python"

# The quality bar of issue 3.
HMEQ_MIN_AUC = 0.91
FIT_RATIO_MAX = 0.2  # ours / optbinning, synthetic 1M
AUC_DIFF_MIN = -0.002  # ours - optbinning, synthetic 1M
SCORE_SPEEDUP_MIN = 5.0  # optbinning / ours, synthetic 1M


def _python_for(lib: str) -> Path:
    if lib == "ours":
        return OURS_PY if OURS_PY.exists() else Path(sys.executable)
    return PEERS / lib / "bin" / "python"


SCRIPTS = {
    "ours": "ours_scorecard.py",
    "optbinning": "peer_optbinning.py",
    "scorecardpy": "peer_scorecardpy.py",
}


def run(lib: str, dataset: str, nrows: int | None, timeout: float) -> dict[str, Any]:
    """One runner in its own interpreter; its stderr passes through, its RESULT line is parsed."""
    py = _python_for(lib)
    key = {"lib": lib, "dataset": dataset, "nrows": nrows}
    if not py.exists():
        return {**key, "error": f"{py} missing: run `bash bench/peers/setup.sh`"}
    cmd = [str(py), str(HERE / SCRIPTS[lib]), "--dataset", dataset]
    if nrows is not None:
        cmd += ["--nrows", str(nrows)]
    print(
        f"\n=== {lib} on {dataset}{f' ({nrows:,} rows)' if nrows else ''}",
        file=sys.stderr,
        flush=True,
    )
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONHASHSEED": "0"}
    env.pop("PYTHONPATH", None)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return {**key, "error": f"timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - t0
    result: dict[str, Any] | None = None
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
    if result is None:
        return {**key, "error": f"exit {proc.returncode}, no RESULT line"}
    result.update({"nrows": nrows, "wall_s": round(wall, 2)})
    if proc.returncode != 0 and "error" not in result:
        result["error"] = f"exit {proc.returncode}"
    return result


def run_repeated(
    lib: str, dataset: str, nrows: int | None, timeout: float, repeat: int
) -> dict[str, Any]:
    """``repeat`` runs of one runner: the median of every timing and of the peak memory."""
    runs = [run(lib, dataset, nrows, timeout) for _ in range(max(repeat, 1))]
    good = [r for r in runs if "error" not in r]
    if len(runs) == 1 or not good:
        return runs[0]
    out = dict(good[-1])
    for k in ("fit_s", "score_s", "proba_s", "peak_mb", "wall_s"):
        if all(k in r for r in good):
            out[k] = round(statistics.median(r[k] for r in good), 3)
    out["repeat"] = len(good)
    out["runs"] = [{k: r.get(k) for k in ("fit_s", "score_s", "peak_mb", "auc")} for r in good]
    return out


def find(results: list[dict[str, Any]], lib: str, dataset: str) -> dict[str, Any] | None:
    for r in results:
        if (
            r["lib"] == lib
            and r["dataset"] == dataset
            and r.get("nrows") is None
            and "error" not in r
        ):
            return r
    return None


def _ok(flag: bool | None) -> str:
    return "n/a" if flag is None else ("PASS" if flag else "FAIL")


def ratios(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures the closing note of issue 3 gives, with pass/fail against the bar."""
    out: dict[str, Any] = {}
    ours_h, scp_h, ob_h = (
        find(results, lib, "hmeq") for lib in ("ours", "scorecardpy", "optbinning")
    )
    if ours_h or scp_h or ob_h:
        h: dict[str, Any] = {
            "auc_ours": ours_h and ours_h["auc"],
            "auc_scorecardpy": scp_h and scp_h["auc"],
            "auc_optbinning": ob_h and ob_h["auc"],
            "target": f"ours >= {HMEQ_MIN_AUC} and >= scorecardpy",
        }
        if ours_h:
            h["pass"] = ours_h["auc"] >= HMEQ_MIN_AUC and (
                scp_h is None or ours_h["auc"] >= scp_h["auc"]
            )
            if scp_h:
                h["auc_diff_vs_scorecardpy"] = round(ours_h["auc"] - scp_h["auc"], 4)
            if ob_h:
                h["auc_diff_vs_optbinning"] = round(ours_h["auc"] - ob_h["auc"], 4)
        out["hmeq"] = h
    ours_s, ob_s = find(results, "ours", "synth"), find(results, "optbinning", "synth")
    if ours_s and ob_s:
        fit_ratio = ours_s["fit_s"] / ob_s["fit_s"]
        auc_diff = ours_s["auc"] - ob_s["auc"]
        speedup = ob_s["score_s"] / max(ours_s["score_s"], 1e-9)
        out["synth_1m"] = {
            "fit_ratio_ours_over_optbinning": round(fit_ratio, 3),
            "fit_pass": fit_ratio <= FIT_RATIO_MAX,
            "auc_diff_ours_minus_optbinning": round(auc_diff, 4),
            "auc_pass": auc_diff >= AUC_DIFF_MIN,
            "score_speedup_optbinning_over_ours": round(speedup, 2),
            "score_pass": speedup >= SCORE_SPEEDUP_MIN,
            "peak_mb_ours": ours_s["peak_mb"],
            "peak_mb_optbinning": ob_s["peak_mb"],
            "peak_mb_pass": ours_s["peak_mb"] <= ob_s["peak_mb"],
        }
    return out


def _fmt(v: Any, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def table(results: list[dict[str, Any]]) -> str:
    head = (
        "| library | data | rows fit | fit s | score s | AUC | KS | Gini | AUC points "
        "| peak MB | note |"
    )
    lines = [head, "| " + " | ".join(["---"] * 11) + " |"]
    for r in results:
        data = r["dataset"] + (
            f" {r['nrows'] // 1000}k"
            if r.get("nrows")
            else (" 1M" if r["dataset"] == "synth" else " 70/30")
        )
        lib = r["lib"] + (f" {r['version']}" if r.get("version") else "")
        note = r.get("error", "")
        if r.get("reused_from"):
            note = (note + " " if note else "") + f"from run {r['reused_from']}"
        lines.append(
            "| "
            + " | ".join(
                [
                    lib,
                    data,
                    _fmt(r.get("rows_fit"), ","),
                    _fmt(r.get("fit_s"), ".2f"),
                    _fmt(r.get("score_s"), ".3f"),
                    _fmt(r.get("auc"), ".4f"),
                    _fmt(r.get("ks"), ".4f"),
                    _fmt(r.get("gini"), ".4f"),
                    _fmt(r.get("auc_points"), ".4f"),
                    _fmt(r.get("peak_mb"), ",.0f"),
                    note,
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def summary(rat: dict[str, Any]) -> str:
    lines = []
    h = rat.get("hmeq")
    if h:
        lines.append(
            f"HMEQ test AUC: ours {_fmt(h['auc_ours'], '.4f')} vs scorecardpy "
            f"{_fmt(h['auc_scorecardpy'], '.4f')} vs optbinning {_fmt(h['auc_optbinning'], '.4f')}"
            f"  (target: ours >= {HMEQ_MIN_AUC} and >= scorecardpy) {_ok(h.get('pass'))}"
        )
    s = rat.get("synth_1m")
    if s:
        lines += [
            f"synthetic 1M fit time ours/optbinning = {s['fit_ratio_ours_over_optbinning']:.3f}"
            f"  (target <= {FIT_RATIO_MAX}) {_ok(s['fit_pass'])}",
            f"synthetic 1M AUC ours - optbinning = {s['auc_diff_ours_minus_optbinning']:+.4f}"
            f"  (target >= {AUC_DIFF_MIN}) {_ok(s['auc_pass'])}",
            f"synthetic 1M score time optbinning/ours = "
            f"{s['score_speedup_optbinning_over_ours']:.1f}x  (target >= {SCORE_SPEEDUP_MIN:.0f}x)"
            f" {_ok(s['score_pass'])}",
            f"synthetic 1M peak MB ours {s['peak_mb_ours']:,.0f} vs optbinning "
            f"{s['peak_mb_optbinning']:,.0f}  (target ours <= optbinning) "
            f"{_ok(s['peak_mb_pass'])}",
        ]
    elif "synth" in rat.get("datasets", ()):
        lines.append("synthetic 1M ratios: need both ours and optbinning on synth")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        mem_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_gb": mem_gb, "platform": platform.platform()}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--only", choices=["hmeq", "synth"], default=None)
    ap.add_argument(
        "--skip-peers",
        action="store_true",
        help="run ours only; peer rows come from the previous results file",
    )
    ap.add_argument("--skip-ours", action="store_true", help="run the peers only")
    ap.add_argument(
        "--scorecardpy-synth-nrows",
        type=int,
        default=None,
        metavar="N",
        help="also run scorecardpy on the first N synthetic rows (100000: ~6 min)",
    )
    ap.add_argument(
        "--repeat", type=int, default=1, help="run each runner N times; report the medians"
    )
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per runner")
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args()

    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    datasets = [a.only] if a.only else ["hmeq", "synth"]
    if "synth" in datasets:
        sys.path.insert(0, str(HERE))
        import gen_synth

        gen_synth.write()  # once; the same file for every runner

    plan: list[tuple[str, str, int | None]] = []
    for ds in datasets:
        if not a.skip_ours:
            plan.append(("ours", ds, None))
        if not a.skip_peers:
            plan.append(("optbinning", ds, None))
            if ds == "hmeq":
                plan.append(("scorecardpy", ds, None))
            elif a.scorecardpy_synth_nrows:
                plan.append(("scorecardpy", ds, a.scorecardpy_synth_nrows))

    results = [run_repeated(lib, ds, n, a.timeout, a.repeat) for lib, ds, n in plan]

    if a.skip_peers and a.out.exists():
        previous = json.loads(a.out.read_text())
        for r in previous.get("results", []):
            if r["lib"] != "ours" and r["dataset"] in datasets and "error" not in r:
                results.append({**r, "reused_from": r.get("reused_from", previous.get("started"))})

    rat = ratios(results)
    report = {
        "started": started,
        "datasets": datasets,
        "machine": machine(),
        "same_run": not a.skip_peers and not a.skip_ours,
        "results": results,
        "ratios": rat,
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(report, indent=2) + "\n")

    print()
    print(table(results))
    print()
    print(summary({**rat, "datasets": datasets}))
    print(f"\nwritten {a.out.relative_to(ROOT) if a.out.is_relative_to(ROOT) else a.out}")


if __name__ == "__main__":
    main()
