"""Peer runner: scorecardpy var_filter + woebin + woebin_ply + L1 LogisticRegression + scorecard.

Runs inside bench/.peers/scorecardpy (see peers/setup.sh; scorecardpy needs an older pandas),
started as a subprocess by bench_scorecard.py. The same procedure as the reference measurement
quoted in issue 3 (shared/bench-peers/bench_scorecardpy.py), which follows scorecardpy's README:
var_filter and woebin (default tree method) on the training part only,
LogisticRegression(penalty='l1', C=0.9, solver='saga'), scorecard, scorecard_ply.
``--variant novarfilter`` skips var_filter.

On the 1M synthetic set scorecardpy takes well over ten minutes (var_filter alone), so the
benchmark runs it on HMEQ and, optionally, on the first ``--nrows`` synthetic rows.

    bench/.peers/scorecardpy/bin/python bench/peer_scorecardpy.py --dataset hmeq [--nrows N]

Prints one ``RESULT {json}`` line like peer_optbinning.py.
"""

import warnings

warnings.filterwarnings("ignore")

import importlib.metadata as md  # noqa: E402

from datasets import Timer, calib, emit, load, log, metrics, parse_args, split  # noqa: E402

a = parse_args(__doc__)
X, y, cats, mode = load(a.dataset, a.nrows)
Xtr, Xte, ytr, yte = split(X, y, mode)
log(f"scorecardpy: data {a.dataset} fit={len(Xtr)} score={len(Xte)}")

import scorecardpy as sc  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

train = Xtr.copy()
train["y"] = ytr
with Timer() as tf:
    dt_s = sc.var_filter(train, y="y") if a.variant != "novarfilter" else train
    log("var_filter done")
    bins = sc.woebin(dt_s, y="y")
    log("woebin done")
    train_woe = sc.woebin_ply(dt_s, bins)
    log("woebin_ply done")
    Xw = train_woe.loc[:, train_woe.columns != "y"]
    lr = LogisticRegression(penalty="l1", C=0.9, solver="saga", n_jobs=-1)
    lr.fit(Xw, train_woe["y"])
    card = sc.scorecard(bins, lr, Xw.columns)
log(f"fit {tf.s:.2f}s")
with Timer() as ts:
    sc_test = sc.scorecard_ply(Xte, card, only_total_score=True, print_step=0)
log(f"score {ts.s:.2f}s")
with Timer() as tp:
    test_woe = sc.woebin_ply(Xte, bins, print_step=0)
    p = lr.predict_proba(test_woe[Xw.columns])[:, 1]
res = {
    "lib": "scorecardpy",
    "variant": a.variant,
    "version": md.version("scorecardpy"),
    "dataset": a.dataset,
    "rows_fit": len(Xtr),
    "rows_scored": len(Xte),
    "fit_s": round(tf.s, 3),
    "score_s": round(ts.s, 3),
    "proba_s": round(tp.s, 3),
    "n_selected": int(Xw.shape[1]),
}
res.update(metrics(yte, p))
res["auc_points"] = metrics(yte, -sc_test["score"].to_numpy())["auc"]
res.update(calib(yte, p))
emit(res)
