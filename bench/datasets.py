"""The data, split and metrics shared by every scorecard benchmark runner.

Imported by ``ours_scorecard.py`` (project venv) and by ``peer_optbinning.py`` /
``peer_scorecardpy.py`` (their own venvs under ``bench/.peers/``, with other numpy/pandas
versions), so it uses only numpy, pandas and scikit-learn APIs common to all of them.

The loading, split and metrics reproduce the reference used for the peer figures quoted in
issue 3 (shared/bench-peers/common.py) exactly:

- ``hmeq``: data/hmeq/hmeq.csv, target BAD, categoricals REASON and JOB (object dtype);
  70/30 stratified split with random_state 42; metrics on the test part.
- ``synth``: bench/out/synth_1m.npz from ``gen_synth.py`` (1,000,000 rows, 20 numeric x00..x19
  + 5 categorical c0..c4, target y); fit on all rows (or the first ``nrows``) and score the same
  rows, so its metrics are in-sample.
- metrics: AUC, KS (max TPR - FPR) and Gini = 2 AUC - 1 of a risk score (higher = riskier).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import train_test_split

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HMEQ_CSV = ROOT / "data" / "hmeq" / "hmeq.csv"
SYNTH_NPZ = HERE / "out" / "synth_1m.npz"
HMEQ_TARGET = "BAD"
HMEQ_CATS = ["REASON", "JOB"]
TEST_SIZE = 0.3
RANDOM_STATE = 42


def load(dataset: str, nrows: int | None = None) -> tuple[pd.DataFrame, np.ndarray, list[str], str]:
    """Return ``(X, y, categorical_columns, mode)``.

    mode ``"split"``: 70/30 stratified split, random_state 42, metrics on test.
    mode ``"full"``: synthetic data, fit on all rows, score all rows.
    """
    if dataset == "hmeq":
        df = pd.read_csv(HMEQ_CSV)
        if nrows is not None:
            df = df.iloc[:nrows].copy()
        y = df.pop(HMEQ_TARGET).astype(int).to_numpy()
        for c in HMEQ_CATS:
            df[c] = df[c].astype(object)
        return df, y, list(HMEQ_CATS), "split"
    if dataset == "synth":
        if not SYNTH_NPZ.exists():
            raise SystemExit(f"{SYNTH_NPZ} is missing: run `.venv/bin/python bench/gen_synth.py`")
        z = np.load(SYNTH_NPZ)
        n = nrows if nrows is not None else len(z["y"])
        df = pd.DataFrame(z["num"][:n], columns=[str(c) for c in z["num_names"]])
        cats = [str(c) for c in z["cat_names"]]
        catv = z["cat"][:n]
        for j, c in enumerate(cats):
            # The reference assigns ``catv[:, j].astype(object)`` and then casts the column to
            # object again: pandas >= 3 infers its ``str`` dtype on that assignment (backed by
            # pyarrow when installed, which the project venv has and the optbinning venv has
            # not). Same final frame, object dtype; an explicit object Series skips the
            # transient ``str`` copy so the loading peak is the same in every venv.
            df[c] = pd.Series(catv[:, j].astype(object), index=df.index, dtype=object)
        y = z["y"][:n].astype(int)
        for c in cats:
            df[c] = df[c].astype(object)
        return df, y, cats, "full"
    raise ValueError(f"unknown dataset {dataset!r}")


def split(X: pd.DataFrame, y: np.ndarray, mode: str) -> list[Any]:
    """``[X_fit, X_score, y_fit, y_score]``."""
    if mode == "split":
        return list(
            train_test_split(X, y, test_size=TEST_SIZE, stratify=y, random_state=RANDOM_STATE)
        )
    return [X, X, y, y]


def metrics(y: Any, p: Any) -> dict[str, float]:
    """AUC, KS, Gini from a risk score p (higher = riskier)."""
    p = np.asarray(p, dtype=float)
    auc = roc_auc_score(y, p)
    fpr, tpr, _ = roc_curve(y, p)
    ks = float(np.max(tpr - fpr))
    return {"auc": round(float(auc), 4), "ks": round(ks, 4), "gini": round(2 * auc - 1, 4)}


def calib(y: Any, p: Any) -> dict[str, float]:
    p = np.asarray(p, dtype=float)
    return {
        "mean_pd": round(float(p.mean()), 4),
        "obs_rate": round(float(np.mean(y)), 4),
        "brier": round(float(np.mean((p - y) ** 2)), 5),
    }


class Timer:
    def __enter__(self) -> Timer:
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.s = time.perf_counter() - self.t0


def peak_mb() -> float:
    """Peak resident set size of this process so far, MB (Linux ru_maxrss is in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def emit(res: dict[str, Any]) -> None:
    """The one machine-readable line a runner prints; bench_scorecard.py parses it."""
    res.setdefault("peak_mb", peak_mb())
    res.setdefault("python", sys.version.split()[0])
    res.setdefault("numpy", np.__version__)
    res.setdefault("pandas", pd.__version__)
    print("RESULT " + json.dumps(res), flush=True)


def parse_args(doc: str | None = None) -> Any:
    import argparse

    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("--dataset", required=True, choices=["hmeq", "synth"])
    ap.add_argument(
        "--nrows",
        type=int,
        default=None,
        help="use only the first N rows (synth: the first N of the 1M)",
    )
    ap.add_argument("--variant", default="std")
    return ap.parse_args()
