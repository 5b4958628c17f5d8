"""Standalone HTML validation report (inline SVG charts, no scripts) and the model card.

``validation_html(model, X, y, base_X=None)`` draws the KS curve, the ROC curve, the score
distribution of goods and bads and calibration by grade (observed default rate against mean
PD), then the metric tables. ``model_card(model, report=None)`` is a plain dict (purpose, data,
features with IVs, coefficients with SEs and p-values, dropped features with reasons,
performance, limitations, versions); ``model_card_html`` renders it.
"""

from __future__ import annotations

import html
import math
import platform
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from mortgage_risk.scoring.metrics import to_jsonable, validation_report
from mortgage_risk.scoring.scorecard import Scorecard

_W, _H, _PAD = 420, 300, 44
_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#7f7f7f")

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:70em;
color:#222;line-height:1.4}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ddd;padding:.25em .6em;
text-align:right}th{background:#f4f4f4}td.l,th.l{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:1em}.charts figure{margin:0}figcaption{font-size:.9em;
color:#555}.warn{color:#b00}
"""


# --------------------------------------------------------------------------- SVG primitives
def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        v = float(value)
        if not math.isfinite(v):
            return "-"
        if v != 0 and (abs(v) < 10 ** -digits or abs(v) >= 1e6):
            return f"{v:.{digits - 1}e}"
        return f"{v:.{digits}f}"
    return _esc(value)


class _Axes:
    def __init__(self, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
        self.x0, self.x1 = xlim
        self.y0, self.y1 = ylim
        if self.x1 <= self.x0:
            self.x1 = self.x0 + 1.0
        if self.y1 <= self.y0:
            self.y1 = self.y0 + 1.0

    def px(self, x: float) -> float:
        return _PAD + (x - self.x0) / (self.x1 - self.x0) * (_W - 1.5 * _PAD)

    def py(self, y: float) -> float:
        return _H - _PAD - (y - self.y0) / (self.y1 - self.y0) * (_H - 1.5 * _PAD)


def _frame(ax: _Axes, title: str, xlabel: str, ylabel: str, body: list[str],
           legend: Sequence[tuple[str, str]] = ()) -> str:
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
             f'viewBox="0 0 {_W} {_H}" role="img" aria-label="{_esc(title)}">',
             f'<rect width="{_W}" height="{_H}" fill="white"/>',
             f'<text x="{_W / 2}" y="16" text-anchor="middle" font-size="13">{_esc(title)}'
             '</text>']
    left, right = ax.px(ax.x0), ax.px(ax.x1)
    bottom, top = ax.py(ax.y0), ax.py(ax.y1)
    parts.append(f'<rect x="{left:.1f}" y="{top:.1f}" width="{right - left:.1f}" '
                 f'height="{bottom - top:.1f}" fill="none" stroke="#999"/>')
    for i in range(5):
        fx = ax.x0 + (ax.x1 - ax.x0) * i / 4
        fy = ax.y0 + (ax.y1 - ax.y0) * i / 4
        parts.append(f'<text x="{ax.px(fx):.1f}" y="{bottom + 14:.1f}" font-size="10" '
                     f'text-anchor="middle">{_tick(fx)}</text>')
        parts.append(f'<text x="{left - 4:.1f}" y="{ax.py(fy) + 3:.1f}" font-size="10" '
                     f'text-anchor="end">{_tick(fy)}</text>')
    parts.append(f'<text x="{(left + right) / 2:.1f}" y="{_H - 6}" font-size="11" '
                 f'text-anchor="middle">{_esc(xlabel)}</text>')
    parts.append(f'<text x="12" y="{(top + bottom) / 2:.1f}" font-size="11" text-anchor="middle" '
                 f'transform="rotate(-90 12 {(top + bottom) / 2:.1f})">{_esc(ylabel)}</text>')
    parts.extend(body)
    for i, (label, color) in enumerate(legend):
        y = top + 12 + 14 * i
        parts.append(f'<rect x="{left + 8:.1f}" y="{y - 8:.1f}" width="10" height="10" '
                     f'fill="{color}"/><text x="{left + 22:.1f}" y="{y + 1:.1f}" '
                     f'font-size="10">{_esc(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _tick(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.2g}" if abs(value) < 1 else f"{value:.1f}"


def _polyline(ax: _Axes, xs: Sequence[float], ys: Sequence[float], color: str,
              dash: bool = False) -> str:
    pts = " ".join(f"{ax.px(x):.1f},{ax.py(y):.1f}" for x, y in zip(xs, ys, strict=True))
    style = ' stroke-dasharray="4 3"' if dash else ""
    return f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="1.6"{style}/>'


def line_chart(title: str, xlabel: str, ylabel: str,
               series: Sequence[tuple[str, Any, Any]], *,
               xlim: tuple[float, float] | None = None, ylim: tuple[float, float] | None = None,
               diagonal: bool = False) -> str:
    """An SVG line chart of ``(label, xs, ys)`` series."""
    xs_all = [x for _, xs, _ in series for x in xs]
    ys_all = [y for _, _, ys in series for y in ys]
    ax = _Axes(xlim or (min(xs_all), max(xs_all)), ylim or (min(ys_all), max(ys_all)))
    body = []
    if diagonal:
        body.append(_polyline(ax, [ax.x0, ax.x1], [ax.y0, ax.y1], _COLORS[3], dash=True))
    legend = []
    for i, (label, xs, ys) in enumerate(series):
        color = _COLORS[i % len(_COLORS)]
        body.append(_polyline(ax, xs, ys, color))
        legend.append((label, color))
    return _frame(ax, title, xlabel, ylabel, body, legend)


def bar_chart(title: str, xlabel: str, ylabel: str, categories: Sequence[str],
              series: Sequence[tuple[str, Sequence[float]]]) -> str:
    """Grouped SVG bars: one group per category, one bar per series."""
    top = max([v for _, vs in series for v in vs if math.isfinite(v)] or [1.0])
    ax = _Axes((0.0, float(len(categories))), (0.0, top * 1.1 if top > 0 else 1.0))
    body, legend = [], []
    width = 0.8 / max(len(series), 1)
    for s, (label, values) in enumerate(series):
        color = _COLORS[s % len(_COLORS)]
        legend.append((label, color))
        for i, v in enumerate(values):
            if not math.isfinite(v):
                continue
            x = ax.px(i + 0.1 + s * width)
            w = ax.px(i + 0.1 + (s + 1) * width) - x
            y = ax.py(v)
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" '
                        f'height="{ax.py(0) - y:.1f}" fill="{color}"><title>{_esc(label)} '
                        f'{_esc(categories[i])}: {v:.4g}</title></rect>')
    frame = _frame(ax, title, xlabel, ylabel, body, legend)
    labels = "".join(
        f'<text x="{ax.px(i + 0.5):.1f}" y="{ax.py(0) + 26:.1f}" font-size="9" '
        f'text-anchor="middle">{_esc(c)}</text>' for i, c in enumerate(categories))
    return frame.replace("</svg>", labels + "</svg>")


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None,
           left: Sequence[str] = ()) -> str:
    if not rows:
        return "<p>(none)</p>"
    cols = list(columns or rows[0].keys())
    head = "".join(f'<th class="{"l" if c in left else ""}">{_esc(c)}</th>' for c in cols)
    body = "".join(
        "<tr>" + "".join(f'<td class="{"l" if c in left else ""}">{_fmt(r.get(c))}</td>'
                         for c in cols) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _page(title: str, sections: Sequence[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{_esc(title)}</h1>" + "".join(sections) + "</body></html>\n")


# --------------------------------------------------------------------------- the report
def charts(report: dict[str, Any], model: Scorecard) -> list[str]:
    """The four SVG charts of a ``validation_report`` dict."""
    ksc, roc = report["ks_curve"], report["roc_curve"]
    pop = np.linspace(0.0, 1.0, len(ksc["cum_event"]))
    out = [
        line_chart(f"KS = {report['ks']:.3f}", "share of population (riskiest first)",
                   "cumulative share", [("bads", pop, ksc["cum_event"]),
                                        ("goods", pop, ksc["cum_nonevent"])],
                   xlim=(0, 1), ylim=(0, 1)),
        line_chart(f"ROC, AUC = {report['auc']:.3f}", "false positive rate",
                   "true positive rate", [("model", roc["cum_nonevent"], roc["cum_event"])],
                   xlim=(0, 1), ylim=(0, 1), diagonal=True),
    ]
    dist = report["score_distribution"]
    edges = dist["edges"]
    mids = [(a + b) / 2 for a, b in zip(edges, edges[1:], strict=False)]
    n_ev, n_ne = max(sum(dist["events"]), 1), max(sum(dist["nonevents"]), 1)
    out.append(line_chart("Score distribution", "score", "share of rows",
                          [("goods", mids, [v / n_ne for v in dist["nonevents"]]),
                           ("bads", mids, [v / n_ev for v in dist["events"]])]))
    grades = [r for r in report["binomial_by_grade"] if r["n"]]
    out.append(bar_chart("Calibration by grade", "grade", "default rate",
                         [r["grade"] for r in grades],
                         [("mean PD", [r["mean_pd"] for r in grades]),
                          ("observed", [r["observed_rate"] for r in grades])]))
    return out


def validation_html(model: Scorecard, X: Any, y: Any, base_X: Any = None, *,
                    title: str = "Scorecard validation report",
                    report: dict[str, Any] | None = None) -> str:
    """A standalone HTML page: charts, metrics, HL and binomial tables, PSI/CSI, model card."""
    rep = report if report is not None else validation_report(model, X, y, base_X)
    summary = [
        {"metric": "rows", "value": rep["n"]}, {"metric": "event rate", "value": rep["event_rate"]},
        {"metric": "AUC", "value": rep["auc"]}, {"metric": "Gini", "value": rep["gini"]},
        {"metric": "KS", "value": rep["ks"]}, {"metric": "Brier", "value": rep["brier"]},
        {"metric": "mean PD", "value": rep["mean_pd"]},
        {"metric": "Hosmer-Lemeshow chi2", "value": rep["hosmer_lemeshow"]["statistic"]},
        {"metric": "Hosmer-Lemeshow p-value", "value": rep["hosmer_lemeshow"]["pvalue"]},
    ]
    if "psi" in rep:
        summary.append({"metric": f"PSI ({rep['psi_verdict']})", "value": rep["psi"]})
    sections = [
        "<h2>Summary</h2>", _table(summary, left=("metric",)),
        '<h2>Charts</h2><div class="charts">'
        + "".join(f"<figure>{svg}</figure>" for svg in charts(rep, model)) + "</div>",
        "<h2>Binomial test per grade</h2><p>One-sided: P(defaults &ge; observed | n, mean PD)."
        "</p>", _table(rep["binomial_by_grade"], left=("grade",)),
        "<h2>Hosmer-Lemeshow groups</h2>", _table(rep["hosmer_lemeshow"]["table"]),
    ]
    if "csi" in rep:
        sections += ["<h2>Characteristic stability (CSI)</h2>",
                     _table([{"feature": k, **v} for k, v in rep["csi"].items()],
                            left=("feature", "verdict"))]
    sections.append(model_card_html(model, rep, standalone=False))
    return _page(title, sections)


# --------------------------------------------------------------------------- model card
def model_card(model: Scorecard, report: dict[str, Any] | None = None, *,
               purpose: str = "Probability of default (90+ DPD within 12 months) of mortgage "
                              "applications, for approval, pricing and the master-scale grade.",
               data: str | None = None,
               limitations: Sequence[str] | None = None) -> dict[str, Any]:
    """The model card as a JSON-serialisable dict."""
    check_is_fitted(model, "features_")
    import sklearn

    import mortgage_risk

    coef = model.coefficients()
    t = model.training_
    card: dict[str, Any] = {
        "purpose": purpose,
        "data": data or (f"Development sample of {t['n_rows']:,} rows with "
                         f"{t['n_events']:,} events (event rate {t['event_rate']:.4f})."),
        "method": ("Optimal binning with WoE, logistic regression on WoE (Newton-Raphson, "
                   f"l2={model.l2}), sign check, PDO scaling ({model.scaling_.base_score:g} "
                   f"points at {model.scaling_.base_odds:g}:1 good:bad, PDO "
                   f"{model.scaling_.pdo:g})"
                   + (f", calibrated to a long-run PD of {model.calibration_.target_pd:g} "
                      f"(intercept shift {model.calibration_.shift:+.4f})"
                      if model.calibration_ is not None else ", not calibrated") + "."),
        "features": [{"feature": name, "iv": model.iv_[name],
                      "bins": model.bins_[name].n_regular, "kind": model.bins_[name].kind}
                     for name in model.features_],
        "coefficients": coef.to_dict("records"),
        "dropped": [{"feature": k, "reason": v} for k, v in model.dropped_.items()],
        "performance": {"development": {k: t[k] for k in ("auc", "gini", "ks")}},
        "master_scale": model.master_scale_.frame().to_dict("records"),
        "limitations": list(limitations or [
            "Valid for the population and period of the development sample; monitor PSI/CSI.",
            "Bins with no development rows (WoE 0) score as an average applicant.",
            "Categories unseen in development fall into the missing bin.",
            "PD comes from the unrounded linear predictor; displayed scores are rounded points.",
        ]),
        "versions": {"mortgage_risk": getattr(mortgage_risk, "__version__", "unknown"),
                     "model_version": getattr(model, "model_version_", None),
                     "numpy": np.__version__, "scikit-learn": sklearn.__version__,
                     "python": platform.python_version()},
    }
    if report is not None:
        card["performance"]["validation"] = {
            k: report[k] for k in ("n", "auc", "gini", "ks", "brier") if k in report}
        if "psi" in report:
            card["performance"]["validation"]["psi"] = report["psi"]
    return to_jsonable(card)  # type: ignore[no-any-return]


def model_card_html(model: Scorecard, report: dict[str, Any] | None = None, *,
                    standalone: bool = True) -> str:
    """The model card as HTML (a section, or a whole page with ``standalone``)."""
    card = model_card(model, report)
    perf = [{"sample": k, **v} for k, v in card["performance"].items()]
    parts = [
        "<h2>Model card</h2>",
        f"<p><b>Purpose.</b> {_esc(card['purpose'])}</p>",
        f"<p><b>Data.</b> {_esc(card['data'])}</p>",
        f"<p><b>Method.</b> {_esc(card['method'])}</p>",
        "<h3>Features</h3>", _table(card["features"], left=("feature", "kind")),
        "<h3>Coefficients</h3>", _table(card["coefficients"], left=("feature",)),
        "<h3>Dropped features</h3>", _table(card["dropped"], left=("feature", "reason")),
        "<h3>Performance</h3>", _table(perf, left=("sample",)),
        "<h3>Master scale</h3>", _table(card["master_scale"], left=("grade",)),
        "<h3>Limitations</h3><ul>"
        + "".join(f"<li>{_esc(x)}</li>" for x in card["limitations"]) + "</ul>",
        "<h3>Versions</h3>",
        _table([{"component": k, "version": v} for k, v in card["versions"].items()],
               left=("component", "version")),
    ]
    return _page("Model card", parts) if standalone else "".join(parts)
