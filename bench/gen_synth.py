"""Synthetic credit-like data for the scorecard benchmark: 1,000,000 rows, 20 numeric +
5 categorical features, logistic ground truth, seed 0.

Reproduces the reference generator used to measure the peer figures quoted in issue 3
(shared/bench-peers/gen_synth.py): the generation logic below is a verbatim copy of it, draw
for draw, so the rows, the target and the true probabilities are identical. Only the output is
different: one numpy/pandas-version-neutral ``bench/out/synth_1m.npz`` (no pickled objects), so
the project venv and the peer venvs (with older pandas/numpy) read the same file.

Ground truth logit = b0 + sum_i beta_i * z_i (x00..x09, monotone)
                        + 0.35 * (z_i^2 - 1)     (x10, x11: U-shaped, non-monotone)
                        + level effects of c0, c1, c2
x12..x19 and c3, c4 are pure noise. x00, x05, x10 have 2% missing (MCAR, removed after y is
drawn). b0 chosen so the default rate is about 8%.

    .venv/bin/python bench/gen_synth.py [--out bench/out/synth_1m.npz] [--force]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "out" / "synth_1m.npz"
N = 1_000_000
NUM_NAMES = [f"x{i:02d}" for i in range(20)]
CAT_NAMES = [f"c{j}" for j in range(5)]


def generate(n: int = N) -> dict[str, np.ndarray]:
    """The reference data set (for n == N exactly as shared/bench-peers/gen_synth.py)."""
    rng = np.random.default_rng(0)
    cols: dict[str, np.ndarray] = {}
    z: dict[str, np.ndarray] = {}
    for i in range(20):
        kind = i % 4
        if kind == 0:
            v = rng.normal(0.0, 1.0, n)
        elif kind == 1:
            v = rng.lognormal(0.0, 0.75, n)
        elif kind == 2:
            v = rng.uniform(0.0, 100.0, n)
        else:
            v = rng.poisson(3.0, n).astype(float)
        name = f"x{i:02d}"
        cols[name] = v
        z[name] = (v - v.mean()) / v.std()

    logit = np.zeros(n)
    betas = rng.uniform(0.2, 0.6, 10) * rng.choice([-1.0, 1.0], 10)
    for i in range(10):
        logit += betas[i] * z[f"x{i:02d}"]
    for i in (10, 11):
        logit += 0.35 * (z[f"x{i:02d}"] ** 2 - 1.0)

    cards = [3, 5, 8, 12, 30]
    for j, k in enumerate(cards):
        probs = rng.dirichlet(np.ones(k) * 2.0)
        idx = rng.choice(k, size=n, p=probs)
        levels = np.array([f"L{j}_{m:02d}" for m in range(k)], dtype=object)
        cols[f"c{j}"] = levels[idx]
        if j < 3:
            eff = rng.normal(0.0, 0.4, k)
            logit += eff[idx]

    # intercept for ~8% default rate
    lo, hi = -10.0, 5.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if (1 / (1 + np.exp(-(logit + mid)))).mean() > 0.08:
            hi = mid
        else:
            lo = mid
    p = 1 / (1 + np.exp(-(logit + mid)))
    y = (rng.uniform(size=n) < p).astype(np.int8)

    for name in ("x00", "x05", "x10"):
        m = rng.uniform(size=n) < 0.02
        cols[name][m] = np.nan

    return {
        "num": np.column_stack([cols[c] for c in NUM_NAMES]).astype(np.float64),
        "cat": np.column_stack([cols[c] for c in CAT_NAMES]).astype("U8"),
        "y": y,
        "p_true": p,
        "betas": betas,
    }


def write(out: Path = DEFAULT_OUT, force: bool = False) -> Path:
    """Write the npz once (the same layout as the reference's data/synth_1m.npz)."""
    if out.exists() and not force:
        return out
    d = generate(N)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + ".tmp.npz")
    np.savez(
        tmp,
        num=d["num"],
        cat=d["cat"],
        y=d["y"],
        p_true=d["p_true"],
        num_names=np.array(NUM_NAMES),
        cat_names=np.array(CAT_NAMES),
    )
    os.replace(tmp, out)
    from sklearn.metrics import roc_auc_score

    y, p = d["y"], d["p_true"]
    print(
        "rows",
        len(y),
        "default rate",
        round(float(y.mean()), 4),
        "oracle AUC 1M",
        round(float(roc_auc_score(y, p)), 4),
        "oracle AUC first 100k",
        round(float(roc_auc_score(y[:100_000], p[:100_000])), 4),
        file=sys.stderr,
    )
    print("betas", np.round(d["betas"], 3).tolist(), file=sys.stderr)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--force", action="store_true", help="regenerate even if the file exists")
    a = ap.parse_args()
    print(write(a.out, a.force))


if __name__ == "__main__":
    main()
