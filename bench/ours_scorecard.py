"""Our runner: ``mortgage_risk.scoring.Scorecard`` measured like the peers.

Runs in the project venv (.venv), started as a subprocess by bench_scorecard.py so its peak
memory (ru_maxrss of this process) is comparable with the peer runners'. Same data, split and
metrics (datasets.py): HMEQ fits on the 70/30 train part and scores the test part; the synthetic
set fits on all rows and scores all rows.

    .venv/bin/python bench/ours_scorecard.py --dataset hmeq|synth [--nrows N]
        [--params '{"max_bins": 8}']

Times ``Scorecard(**params).fit(X, y)`` (fit_s), ``.score(X)`` (points, score_s) and
``.predict_proba(X)`` (proba_s); prints one ``RESULT {json}`` line like the peers.
"""

from __future__ import annotations

import inspect
import json
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from datasets import (  # noqa: E402
    Timer,
    calib,
    emit,
    load,
    log,
    metrics,
    parse_args,
    peak_mb,
    split,
)

warnings.filterwarnings("ignore")


def _positive_column(proba: object) -> object:
    import numpy as np

    arr = np.asarray(proba, dtype=float)
    return arr[:, 1] if arr.ndim == 2 else arr


def main() -> None:
    import argparse

    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--params", default="{}", help="JSON of Scorecard constructor arguments")
    extra, rest = pre.parse_known_args()
    sys.argv = [sys.argv[0], *rest]
    a = parse_args(__doc__)
    params = json.loads(extra.params)

    X, y, cats, mode = load(a.dataset, a.nrows)
    Xtr, Xte, ytr, yte = split(X, y, mode)
    log(f"ours: data {a.dataset} fit={len(Xtr)} score={len(Xte)}")

    import_path = "mortgage_risk.scoring"
    try:
        from mortgage_risk.scoring import Scorecard
    except ImportError as exc:
        # While the package is being written its __init__ may not export Scorecard yet.
        try:
            from mortgage_risk.scoring.scorecard import Scorecard

            import_path = "mortgage_risk.scoring.scorecard"
        except ImportError:  # the API does not exist yet: say so in the RESULT line
            emit({"lib": "ours", "dataset": a.dataset, "error": f"not importable: {exc}"})
            sys.exit(3)

    # Tell the estimator which columns are categorical if it has a parameter for it (the
    # object dtype of REASON/JOB and c0..c4 says so too).
    sig = inspect.signature(Scorecard)
    for name in ("categorical_variables", "categorical_features", "categorical"):
        if name in sig.parameters and name not in params:
            params[name] = list(cats)
            break

    with Timer() as tf:
        model = Scorecard(**params)
        model.fit(Xtr, ytr)
    log(f"fit {tf.s:.2f}s")
    with Timer() as ts:
        points = model.score(Xte)
    log(f"score {ts.s:.2f}s")
    with Timer() as tp:
        p = _positive_column(model.predict_proba(Xte))
    log(f"predict_proba {tp.s:.2f}s")

    import numpy as np

    points = np.asarray(points, dtype=float)
    if points.shape != (len(Xte),):
        emit(
            {
                "lib": "ours",
                "dataset": a.dataset,
                "error": f"Scorecard.score(X) returned shape {points.shape}, not one point per row",
            }
        )
        sys.exit(4)
    res: dict[str, object] = {
        "lib": "ours",
        "variant": "default" if not params else json.dumps(params, default=str),
        "version": getattr(sys.modules.get("mortgage_risk.scoring"), "__version__", "dev"),
        "import": import_path,
        "dataset": a.dataset,
        "rows_fit": len(Xtr),
        "rows_scored": len(Xte),
        "fit_s": round(tf.s, 3),
        "score_s": round(ts.s, 3),
        "proba_s": round(tp.s, 3),
    }
    for attr in ("selected_features_", "features_", "feature_names_in_"):
        sel = getattr(model, attr, None)
        if sel is not None:
            res["n_selected"] = len(list(sel))
            break
    res.update(metrics(yte, p))
    # Points: higher = better (PDO scaling), so the risk score is -points.
    res["auc_points"] = metrics(yte, -points)["auc"]
    res.update(calib(yte, p))
    res["peak_mb"] = peak_mb()
    emit(res)


if __name__ == "__main__":
    main()
