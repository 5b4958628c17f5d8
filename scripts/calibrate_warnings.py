"""Measure what the early-warning thresholds do on the synthetic demo book.

    .venv/bin/python scripts/calibrate_warnings.py [--loans 20000] [--seed 42]
        [--book-as-of 2026-11-28] [--horizon 6] [--indicators path.json] [--json out.json]

The demo book (``mortgage-risk generate``: 20,000 loans, seed 42) is generated as of the book
date B (default 2026-11-28, the date of the shipped demo book and scorecards) into a cache
folder. The monitoring run is then made as of A = B - ``horizon`` months on the inputs as the
bank saw them at A:

- repayments, external events, borrowers, properties and branches as generated (the run itself
  ignores installments due, payments made and events dated after A; bureau fields and
  collateral are static in the generator);
- loans rebuilt at A: loans originated after A dropped, a loan settled, prepaid or written off
  by A is not active, and the five-category class, days past due, overdue amount and the
  outstanding principal are those at A (class by the generator's DPD floors, balance by its
  schedule after the installments paid by A), so no indicator sees the future.

Outcome (from the later repayment records, as the bank will see them at B): a loan active at
A and not over 90 days past due at A *goes 90+* when one of its installments reaches 91 days
past due between A and B (due by B - 91 days and not paid in full by max(A, due + 91 days)).
The generator's truth (``default_month`` after A's month) is reported beside it.

Printed and optionally written as JSON: borrowers with an active loan at A, warned share by
level, NPL share at A (loans over 90 DPD), and the capture rate of the loans that go 90+: the
share whose borrower had a warning at A (any level, orange or red, red). With
``--indicators`` another indicator-set JSON is measured instead of the packaged default.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from mortgage_risk.monitoring.indicators import LEVELS, add_months, load_indicator_set
from mortgage_risk.monitoring.run import run_monitoring
from mortgage_risk.synth import generate_to_parquet
from mortgage_risk.synth.params import SynthParams
from mortgage_risk.synth.repayments import five_category
from mortgage_risk.synth.schedule import balance_after

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "var" / "calibration"
COPIED = ("borrowers", "properties", "applications", "external_events", "branches", "repayments")
METHOD_CODE = {"equal_installment": 0, "equal_principal": 1, "interest_only_bullet": 2}


def ensure_book(n: int, seed: int, book_as_of: date, cache: Path) -> Path:
    folder = cache / f"book_n{n}_s{seed}_{book_as_of.isoformat()}"
    if (folder / "truth.parquet").exists():
        return folder
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    generate_to_parquet(n, seed, book_as_of, tmp)
    tmp.rename(folder)
    return folder


def repayment_state(book: Path, as_of: date) -> pd.DataFrame:
    """Per loan at ``as_of``: installments paid in full, DPD (oldest installment not paid in
    full), overdue amount, and whether the last installment due was paid in full."""
    con = duckdb.connect()
    a = f"DATE '{as_of.isoformat()}'"
    frame: pd.DataFrame = con.execute(
        f"""
        SELECT loan_id,
          SUM(CASE WHEN paid_date <= {a} AND amount_paid >= amount_due - 0.01 THEN 1 ELSE 0 END)
            AS paid_installments,
          COALESCE(date_diff('day', MIN(CASE WHEN NOT (paid_date <= {a}
            AND amount_paid >= amount_due - 0.01) THEN due_date END), {a}), 0) AS dpd,
          SUM(CASE WHEN NOT (paid_date <= {a} AND amount_paid >= amount_due - 0.01)
            THEN amount_due - CASE WHEN paid_date <= {a} THEN amount_paid ELSE 0 END
            ELSE 0 END) AS overdue,
          MAX(CASE WHEN paid_date <= {a} THEN paid_date END) AS last_paid
        FROM read_parquet('{book / "repayments.parquet"}')
        WHERE due_date <= {a}
        GROUP BY loan_id
        """
    ).df()
    con.close()
    return frame


def goes_90_plus(book: Path, start: date, end: date) -> pd.Series:
    """Loan ids with an installment reaching 91 DPD in (start, end] (not over 90 at start)."""
    con = duckdb.connect()
    s, e = f"DATE '{start.isoformat()}'", f"DATE '{end.isoformat()}'"
    ids = con.execute(
        f"""
        SELECT DISTINCT loan_id FROM (
          SELECT loan_id, due_date + INTERVAL 91 DAY AS hits,
            CASE WHEN paid_date IS NOT NULL AND amount_paid >= amount_due - 0.01
              THEN paid_date END AS full_date
          FROM read_parquet('{book / "repayments.parquet"}')
        ) r
        WHERE r.hits <= {e} AND r.hits > {s} AND (r.full_date IS NULL OR r.full_date > r.hits)
        """
    ).df()["loan_id"]
    con.close()
    return ids


def point_in_time_inputs(book: Path, run_as_of: date, out: Path) -> pd.DataFrame:
    """Write the seven inputs as the bank saw them at ``run_as_of``; returns the loans frame
    (with ``dpd`` at that date) of the loans active then."""
    out.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        shutil.copy(book / f"{name}.parquet", out / f"{name}.parquet")
    loans = pd.read_parquet(book / "loans.parquet")
    truth = pd.read_parquet(book / "truth.parquet")[
        ["loan_id", "prepaid_month", "written_off_month", "default_month"]
    ]
    state = repayment_state(book, run_as_of)
    loans = loans.merge(truth, left_on="id", right_on="loan_id", how="left").drop(
        columns="loan_id"
    )
    loans = loans.merge(state, left_on="id", right_on="loan_id", how="left").drop(
        columns="loan_id"
    )
    a = pd.Timestamp(run_as_of)
    orig = pd.to_datetime(loans["origination_date"])
    loans = loans[orig <= a].copy()
    for col in ("paid_installments", "dpd", "overdue"):
        loans[col] = loans[col].fillna(0)
    written_off = pd.to_datetime(loans["written_off_month"]) <= a
    prepaid = pd.to_datetime(loans["prepaid_month"]) <= a
    matured = (
        (loans["status"] == "settled")
        & loans["prepaid_month"].isna()
        & (pd.to_datetime(loans["maturity_date"]) <= a)
        & (loans["overdue"] < 0.005)
        & (loans["paid_installments"] >= loans["term_months"])
    )
    settled = (prepaid | matured) & ~written_off & (loans["overdue"] < 0.005)
    loans["status"] = np.where(written_off, "written_off", np.where(settled, "settled", "active"))
    params = SynthParams.load()
    dpd = loans["dpd"].to_numpy(dtype=np.int64)
    loans["five_category"] = five_category(params, dpd, written_off.to_numpy())
    balance = balance_after(
        loans["principal"].to_numpy(dtype=float),
        loans["annual_rate"].to_numpy(dtype=float) / 12.0,
        loans["term_months"].to_numpy(dtype=float),
        loans["repayment_method"].map(METHOD_CODE).to_numpy(),
        loans["paid_installments"].to_numpy(dtype=float),
    )
    active = loans["status"] == "active"
    loans["outstanding_principal"] = np.where(active, np.round(balance, 2), 0.0)
    loans["overdue_amount"] = np.where(active, np.round(loans["overdue"], 2), 0.0)
    loans["days_past_due"] = np.where(active, dpd, 0).astype(np.int64)
    loans["as_of"] = a
    keep = list(pd.read_parquet(book / "loans.parquet").columns)
    loans[keep].to_parquet(out / "loans.parquet", index=False)
    return loans[active]


def measure(
    book: Path,
    run_as_of: date,
    book_as_of: date,
    indicators: Path | None,
    work: Path,
) -> dict[str, Any]:
    active = point_in_time_inputs(book, run_as_of, work / "in")
    iset = load_indicator_set(indicators)
    result = run_monitoring(work / "in", work / "out", run_as_of, indicator_set=iset)
    warnings = result.read("warnings")
    signals = result.read("signals")
    n_borrowers = int(result.counts["borrowers_with_active_loans"])
    level_of = warnings.set_index("borrower_id")["level"]

    npl_loans = active[active["dpd"] > 90]
    performing = active[active["dpd"] <= 90]
    later = set(goes_90_plus(book, run_as_of, book_as_of))
    target = performing[performing["id"].isin(later)]
    truth_target = performing[
        (pd.to_datetime(performing["default_month"]) > pd.Timestamp(run_as_of))
        & (pd.to_datetime(performing["default_month"]) <= pd.Timestamp(book_as_of))
    ]

    def capture(frame: pd.DataFrame, levels: tuple[str, ...]) -> float:
        if frame.empty:
            return float("nan")
        lv = frame["borrower_id"].map(level_of)
        return float(lv.isin(levels).mean())

    def warned_share(frame: pd.DataFrame, levels: tuple[str, ...]) -> float:
        if frame.empty:
            return float("nan")
        return float(frame["borrower_id"].map(level_of).isin(levels).mean())

    by_level = {lv: int((warnings["level"] == lv).sum()) for lv in LEVELS}
    top = (
        warnings.groupby(["level", "top_indicator_id"]).size().rename("n").reset_index()
        .sort_values(["level", "n"], ascending=[True, False])
    )
    sig = (
        signals.groupby(["indicator_id", "level"]).size().unstack(fill_value=0)
        .reindex(columns=list(LEVELS), fill_value=0)
    )
    all_levels = tuple(LEVELS)
    return {
        "indicator_set": iset.version,
        "book": {"loans": int(len(pd.read_parquet(book / "truth.parquet"))),
                 "book_as_of": book_as_of.isoformat()},
        "run_as_of": run_as_of.isoformat(),
        "active_loans": int(result.counts["active_loans"]),
        "borrowers_with_active_loans": n_borrowers,
        "warnings": int(len(warnings)),
        "warned_share": len(warnings) / n_borrowers,
        "warned_share_by_level": {lv: by_level[lv] / n_borrowers for lv in LEVELS},
        "warnings_by_level": by_level,
        "npl_share_of_active_loans": len(npl_loans) / len(active),
        "npl_loans_red": warned_share(npl_loans, ("red",)),
        "npl_loans_orange_or_red": warned_share(npl_loans, ("orange", "red")),
        "performing_loans": int(len(performing)),
        "go_90_plus_within_horizon": int(len(target)),
        "go_90_plus_rate": len(target) / max(len(performing), 1),
        "capture_any_level": capture(target, all_levels),
        "capture_yellow_or_above": capture(target, ("yellow", "orange", "red")),
        "capture_orange_or_red": capture(target, ("orange", "red")),
        "capture_red": capture(target, ("red",)),
        "truth_defaults_within_horizon": int(len(truth_target)),
        "truth_capture_any_level": capture(truth_target, all_levels),
        "truth_capture_orange_or_red": capture(truth_target, ("orange", "red")),
        "go_90_plus_rate_by_level": {
            lv: float(performing[performing["borrower_id"].map(level_of) == lv]["id"]
                      .isin(later).mean())
            for lv in (*LEVELS, "none")
            if lv != "none"
        }
        | {"none": float(performing[~performing["borrower_id"].isin(level_of.index)]["id"]
                         .isin(later).mean())},
        "top_indicator_by_level": {
            lv: dict(zip(g["top_indicator_id"], g["n"].astype(int), strict=True))
            for lv, g in top.groupby("level")
        },
        "signals_by_indicator": {
            iid: {lv: int(row[lv]) for lv in LEVELS if int(row[lv])}
            for iid, row in sig.iterrows()
        },
    }


def say(line: str) -> None:
    sys.stdout.write(line + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loans", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--book-as-of", type=date.fromisoformat, default=date(2026, 11, 28))
    parser.add_argument("--horizon", type=int, default=6, help="months between A and B")
    parser.add_argument("--indicators", type=Path, default=None)
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--detail", action="store_true", help="print signals per indicator")
    args = parser.parse_args(argv)

    book = ensure_book(args.loans, args.seed, args.book_as_of, args.cache)
    run_as_of = add_months(args.book_as_of, -args.horizon)
    with tempfile.TemporaryDirectory(prefix="mr-calibrate-") as tmp:
        m = measure(book, run_as_of, args.book_as_of, args.indicators, Path(tmp))

    def pct(x: float) -> str:
        return f"{100 * x:5.1f}%"

    say(f"{m['indicator_set']} on {m['book']['loans']:,} loans (book as of "
          f"{m['book']['book_as_of']}), run as of {m['run_as_of']}")
    say(f"  borrowers with an active loan {m['borrowers_with_active_loans']:,}; warned "
          f"{m['warnings']:,} = {pct(m['warned_share'])}")
    for lv in LEVELS:
        say(f"    {lv:<7} {m['warnings_by_level'][lv]:6,}  {pct(m['warned_share_by_level'][lv])}")
    say(f"  loans over 90 DPD at A: {pct(m['npl_share_of_active_loans'])} of active loans; "
          f"red {pct(m['npl_loans_red'])}, orange or red {pct(m['npl_loans_orange_or_red'])}")
    say(f"  performing loans at A {m['performing_loans']:,}; go 90+ within {args.horizon} "
          f"months: {m['go_90_plus_within_horizon']:,} ({pct(m['go_90_plus_rate'])})")
    say(f"    warned at A: any level {pct(m['capture_any_level'])}, yellow+ "
          f"{pct(m['capture_yellow_or_above'])}, orange or red "
          f"{pct(m['capture_orange_or_red'])}, red {pct(m['capture_red'])}")
    say(f"    generator truth (default month after A): {m['truth_defaults_within_horizon']:,}"
          f" loans, warned {pct(m['truth_capture_any_level'])}, orange or red "
          f"{pct(m['truth_capture_orange_or_red'])}")
    say("  rate of going 90+ by warning level: " + ", ".join(
        f"{lv} {pct(v)}" for lv, v in m["go_90_plus_rate_by_level"].items()))
    if args.detail:
        say("  top indicator by level:")
        for lv, tops in m["top_indicator_by_level"].items():
            say(f"    {lv}: " + ", ".join(f"{k} {v}" for k, v in list(tops.items())[:8]))
        say("  signals by indicator:")
        for iid, levels in m["signals_by_indicator"].items():
            say(f"    {iid:<28} " + ", ".join(f"{lv} {n}" for lv, n in levels.items()))
    if args.json:
        args.json.write_text(json.dumps(m, ensure_ascii=False, indent=2), encoding="utf-8")
        say(f"wrote {args.json}")


if __name__ == "__main__":
    main()
