"""The binning table of one feature: a report object separate from the estimator.

Built from a :class:`~mortgage_risk.scoring.bins.FeatureBins`; gives a DataFrame (one row per
bin plus Totals), summary statistics (IV, Gini, KS, Jensen-Shannon, a quality score), a plain
dict and a standalone HTML fragment with an inline SVG chart (bars: share of rows per bin;
line: event rate). No JavaScript and no plotting library.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from mortgage_risk.scoring.bins import FeatureBins

__all__ = ["BinningTable"]

COLUMNS = ["Bin", "Count", "Count (%)", "Non-event", "Event", "Event rate", "WoE", "IV", "JS"]


class BinningTable:
    """Report of one feature's bins (counts, event rate, WoE, IV, JS).

    ``iv`` uses the bins' stored WoE (smoothed as in ``FeatureBins``), so it equals
    ``FeatureBins.iv``. ``gini`` and ``ks`` rank the bins by event rate (riskiest first), as
    a scorecard built on this feature alone would. ``quality_score`` in [0, 1) is a heuristic:
    ``(1 - exp(-IV / 0.1)) * (1 - p)`` where ``p`` is the largest p-value of the two-proportion
    z-tests between adjacent regular bins (a binning with indistinguishable neighbours scores
    low).
    """

    def __init__(self, bins: FeatureBins) -> None:
        self.bins = bins
        self._event = np.asarray(bins.event, dtype=float)
        self._nonevent = np.asarray(bins.nonevent, dtype=float)
        self._woe = np.asarray(bins.woe, dtype=float)

    # ------------------------------------------------------------------ per-bin arrays

    def _shares(self) -> tuple[np.ndarray, np.ndarray]:
        ev, ne = self._event, self._nonevent
        return ev / max(ev.sum(), 1.0), ne / max(ne.sum(), 1.0)

    def _iv_per_bin(self) -> np.ndarray:
        a, b = self._shares()
        return np.asarray((b - a) * self._woe)

    def _js_per_bin(self) -> np.ndarray:
        a, b = self._shares()
        m = (a + b) / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            ta = np.where(a > 0, a * np.log(a / m), 0.0)
            tb = np.where(b > 0, b * np.log(b / m), 0.0)
        return 0.5 * (ta + tb)

    # ------------------------------------------------------------------ statistics

    @property
    def iv(self) -> float:
        return float(self._iv_per_bin().sum())

    @property
    def js(self) -> float:
        return float(self._js_per_bin().sum())

    def _ranked(self) -> tuple[np.ndarray, np.ndarray]:
        a, b = self._shares()
        count = self._event + self._nonevent
        rate = np.divide(self._event, count, out=np.zeros_like(count), where=count > 0)
        order = np.argsort(-rate, kind="stable")
        return a[order], b[order]

    @property
    def gini(self) -> float:
        a, b = self._ranked()
        less_risky = b[::-1].cumsum()[::-1] - b  # non-events in bins ranked after this one
        auc = float(np.sum(a * (less_risky + 0.5 * b)))
        return 2.0 * auc - 1.0

    @property
    def ks(self) -> float:
        a, b = self._ranked()
        return float(np.max(np.abs(np.cumsum(a) - np.cumsum(b)), initial=0.0))

    @property
    def quality_score(self) -> float:
        n = self.bins.n_regular
        ev, ne = self._event[:n], self._nonevent[:n]
        cnt = ev + ne
        keep = cnt > 0
        ev, cnt = ev[keep], cnt[keep]
        p_max = 0.0
        if len(cnt) >= 2:
            r1, r2 = ev[:-1] / cnt[:-1], ev[1:] / cnt[1:]
            pooled = (ev[:-1] + ev[1:]) / (cnt[:-1] + cnt[1:])
            se = np.sqrt(pooled * (1 - pooled) * (1 / cnt[:-1] + 1 / cnt[1:]))
            with np.errstate(divide="ignore", invalid="ignore"):
                z = np.where(se > 0, np.abs(r1 - r2) / se, 0.0)
            p_max = float(np.max(2 * stats.norm.sf(z)))
        return float((1 - np.exp(-self.iv / 0.1)) * (1 - p_max))

    # ------------------------------------------------------------------ outputs

    def build(self, show_digits: int | None = None) -> pd.DataFrame:
        """The table: one row per bin (regular, Special, Missing) and a Totals row."""
        ev, ne = self._event, self._nonevent
        count = ev + ne
        total = max(count.sum(), 1.0)
        rate = np.divide(ev, count, out=np.zeros_like(count), where=count > 0)
        df = pd.DataFrame({
            "Bin": self.bins.labels(),
            "Count": count.astype(np.int64),
            "Count (%)": count / total,
            "Non-event": ne.astype(np.int64),
            "Event": ev.astype(np.int64),
            "Event rate": rate,
            "WoE": self._woe,
            "IV": self._iv_per_bin(),
            "JS": self._js_per_bin(),
        })
        totals = pd.DataFrame([{
            "Bin": "Totals", "Count": int(count.sum()), "Count (%)": float(count.sum() / total),
            "Non-event": int(ne.sum()), "Event": int(ev.sum()),
            "Event rate": float(ev.sum() / total), "WoE": np.nan, "IV": self.iv, "JS": self.js,
        }])
        out = pd.concat([df, totals], ignore_index=True)
        if show_digits is not None:
            out = out.round(show_digits)
        return out

    def to_dict(self) -> dict[str, Any]:
        table = self.build()
        rows = table.to_dict(orient="records")
        for row in rows:
            for key, value in row.items():
                if isinstance(value, float) and np.isnan(value):
                    row[key] = None
                elif isinstance(value, np.generic):
                    row[key] = value.item()
        return {"name": self.bins.name, "dtype": self.bins.kind, "iv": self.iv,
                "gini": self.gini, "ks": self.ks, "js": self.js,
                "quality_score": self.quality_score, "table": rows}

    def to_html(self) -> str:
        """A standalone HTML fragment: title, the table and an inline SVG chart."""
        table = self.build()
        head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
        body = []
        for row in table.itertuples(index=False):
            cells = []
            for col, value in zip(COLUMNS, row, strict=True):
                cells.append(f"<td>{html.escape(_cell(col, value))}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        name = html.escape(self.bins.name)
        stats_line = (f"IV {self.iv:.4f} · Gini {self.gini:.4f} · KS {self.ks:.4f} · "
                      f"JS {self.js:.4f}")
        return (f'<section class="binning-table"><h3>{name}</h3><p>{stats_line}</p>'
                f'{self._svg()}<table border="1" cellspacing="0" cellpadding="3">'
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
                "</section>")

    def _svg(self, width: int = 640, height: int = 280) -> str:
        ev, ne = self._event, self._nonevent
        count = ev + ne
        share = count / max(count.sum(), 1.0)
        rate = np.divide(ev, count, out=np.zeros_like(count), where=count > 0)
        labels = self.bins.labels()
        left, right, top, bottom = 50, 50, 20, 60
        plot_w, plot_h = width - left - right, height - top - bottom
        k = len(count)
        slot = plot_w / max(k, 1)
        max_share = max(float(share.max(initial=0.0)), 1e-9)
        max_rate = max(float(rate.max(initial=0.0)), 1e-9)
        parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                 f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10">',
                 f'<title>{html.escape(self.bins.name)}: share of rows and event rate</title>',
                 f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" '
                 f'y2="{top + plot_h}" stroke="#333"/>']
        points = []
        for i in range(k):
            h = plot_h * share[i] / max_share
            x = left + i * slot + slot * 0.15
            parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" '
                         f'width="{slot * 0.7:.1f}" height="{h:.1f}" fill="#8fb3d9">'
                         f"<title>{html.escape(labels[i])}: {share[i]:.1%} of rows</title>"
                         "</rect>")
            cx = left + (i + 0.5) * slot
            parts.append(f'<text x="{cx:.1f}" y="{top + plot_h + 14}" '
                         f'text-anchor="middle">{i}</text>')
            if count[i] > 0:
                points.append((cx, top + plot_h - plot_h * rate[i] / max_rate))
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="#c0392b" '
                         f'stroke-width="2"/>')
            parts.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#c0392b"/>'
                         for x, y in points)
        parts.append(f'<text x="{left - 6}" y="{top + 8}" text-anchor="end">'
                     f"{max_share:.0%}</text>")
        parts.append(f'<text x="{left + plot_w + 6}" y="{top + 8}" fill="#c0392b">'
                     f"{max_rate:.1%}</text>")
        parts.append(f'<text x="{left}" y="{height - 12}">bars: share of rows · '
                     f'<tspan fill="#c0392b">line: event rate</tspan> · x: bin index</text>')
        parts.append("</svg>")
        return "".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()


def _cell(column: str, value: Any) -> str:
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return ""
        if column in ("Count (%)", "Event rate"):
            return f"{value:.2%}"
        return f"{value:.4f}"
    return str(value)
