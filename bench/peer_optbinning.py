"""Peer runner: optbinning BinningProcess + scikit-learn LogisticRegression in a Scorecard.

Runs inside bench/.peers/optbinning (see peers/setup.sh), started as a subprocess by
bench_scorecard.py. The same procedure as the reference measurement quoted in issue 3
(shared/bench-peers/bench_optbinning.py), which follows optbinning's Scorecard tutorial:
selection criteria IV in [0.02, 1] and quality score >= 0.01, LogisticRegression(lbfgs),
min_max scaling 300..850. ``--variant noselect`` drops the selection criteria.

    bench/.peers/optbinning/bin/python bench/peer_optbinning.py --dataset hmeq|synth [--nrows N]

Prints one ``RESULT {json}`` line: fit_s, score_s (Scorecard.score), proba_s, auc/ks/gini of the
predicted PD, auc_points (AUC of the points), calibration and peak_mb (ru_maxrss).
"""

import warnings

warnings.filterwarnings("ignore")

from datasets import Timer, calib, emit, load, log, metrics, parse_args, split  # noqa: E402

a = parse_args(__doc__)
X, y, cats, mode = load(a.dataset, a.nrows)
Xtr, Xte, ytr, yte = split(X, y, mode)
log(f"optbinning: data {a.dataset} fit={len(Xtr)} score={len(Xte)}")

import optbinning  # noqa: E402
from optbinning import BinningProcess, Scorecard  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

with Timer() as tf:
    crit = (
        {"iv": {"min": 0.02, "max": 1}, "quality_score": {"min": 0.01}}
        if a.variant == "std"
        else None
    )
    bp = BinningProcess(list(X.columns), categorical_variables=cats, selection_criteria=crit)
    sc = Scorecard(
        binning_process=bp,
        estimator=LogisticRegression(solver="lbfgs"),
        scaling_method="min_max",
        scaling_method_params={"min": 300, "max": 850},
    )
    sc.fit(Xtr, ytr)
log(f"fit {tf.s:.2f}s")
with Timer() as ts:
    points = sc.score(Xte)
log(f"score {ts.s:.2f}s")
with Timer() as tp:
    p = sc.predict_proba(Xte)[:, 1]
res = {
    "lib": "optbinning",
    "variant": a.variant,
    "version": optbinning.__version__,
    "dataset": a.dataset,
    "rows_fit": len(Xtr),
    "rows_scored": len(Xte),
    "fit_s": round(tf.s, 3),
    "score_s": round(ts.s, 3),
    "proba_s": round(tp.s, 3),
    "n_selected": int(len(sc.binning_process_.get_support(names=True))),
}
res.update(metrics(yte, p))
res["auc_points"] = metrics(yte, -points)["auc"]
res.update(calib(yte, p))
emit(res)
