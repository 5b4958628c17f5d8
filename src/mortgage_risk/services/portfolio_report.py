"""The monthly portfolio risk report for the union's risk committee (HTML and PDF, Chinese):
the regulatory indicators, provisions, the class mix and migration, the breakdown by branch,
vintages, warnings and the stress tests, with charts drawn as inline SVG (no script, so the
PDF prints them), stamped with every version used."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from mortgage_risk.reports.render import render
from mortgage_risk.services import portfolio_risk
from mortgage_risk.services.errors import PermissionDenied
from mortgage_risk.services.users import CurrentUser
from mortgage_risk.storage.uow import UnitOfWork

INDICATOR_ZH = {"npl_ratio": "不良贷款率", "provision_coverage": "拨备覆盖率",
                "loan_provision_ratio": "贷款拨备率",
                "dpd90_to_npl": "逾期90天以上贷款与不良贷款比例",
                "par30": "PAR30（逾期30天以上余额占比）", "par90": "PAR90（逾期90天以上余额占比）"}
LEVEL_ZH = {"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色"}
LEVEL_COLOUR = {"red": "#c62828", "orange": "#ef6c00", "yellow": "#f9a825", "blue": "#1565c0"}
CATEGORY_COLOUR = {"normal": "#2e7d32", "special_mention": "#f9a825", "substandard": "#ef6c00",
                   "doubtful": "#c62828", "loss": "#4a148c"}


def bars(items: list[tuple[str, float, str]], *, width: int = 640, bar: int = 16,
         percent: bool = False, limit: float | None = None) -> dict[str, Any]:
    """A horizontal bar chart as SVG geometry: (label, value, colour) rows, an optional limit
    line (for example the NPL ceiling)."""
    top = max([v for _, v, _ in items] + [limit or 0.0, 1e-12])
    label_w, gap = 190, 6
    scale = (width - label_w - 70) / top
    rows = [{"label": label, "value": value, "colour": colour, "y": i * (bar + gap),
             "w": max(value * scale, 0.0),
             "text": f"{value * 100:.2f}%" if percent else f"{value:,.0f}"}
            for i, (label, value, colour) in enumerate(items)]
    return {"rows": rows, "width": width, "height": len(items) * (bar + gap) + 4,
            "label_w": label_w, "bar": bar,
            "limit_x": None if limit is None else label_w + limit * scale}


def _vintage_row(v: dict[str, Any]) -> dict[str, Any]:
    """A vintage's cumulative bad rate at 12, 24 and 36 months on book (None when too young)."""
    at = dict(zip(v["months_on_book"], v["rate"], strict=True))
    return {"vintage": v["vintage"], "loans": v["loans"],
            **{f"m{m}": at.get(m) for m in (12, 24, 36)}}


def _f(x: Decimal | None) -> float:
    return 0.0 if x is None else float(x)


def monthly_report_html(uow: UnitOfWork, user: CurrentUser, *, as_of: date | None = None
                        ) -> str:
    """The report of the book in the user's scope as of ``as_of`` (default: the book date)."""
    if not (user.sees_all_branches or user.role.value == "approver"):
        raise PermissionDenied("the monthly risk report is for the union's risk committee")
    book = portfolio_risk.load_book(uow, user, as_of=as_of)  # read once for every section
    risk = portfolio_risk.portfolio_risk(uow, user, book=book)
    migration = portfolio_risk.migration(uow, user, book=book)
    vintages = portfolio_risk.vintages(uow, user, book=book)
    stress = portfolio_risk.stress_test(uow, user, book=book)
    warnings = uow.warnings.counts(branch_id=user.branch_scope(), today=risk["as_of"])
    live_by_level: dict[str, int] = {}
    for by in warnings["by_status"].values():
        for level, n in by.items():
            live_by_level[level] = live_by_level.get(level, 0) + n
    run = uow.runs.latest()
    npl_limit = next((_f(i["limit_max"]) for i in risk["indicators"]
                      if i["key"] == "npl_ratio" and i["limit_max"] is not None), None)
    branch_rows = sorted(risk["breakdown"], key=lambda g: -_f(g["npl_ratio"]))
    charts = {
        "classes": bars([(c["label_zh"], _f(c["balance"]) / 1e4,
                          CATEGORY_COLOUR.get(c["category"], "#607d8b"))
                         for c in risk["provisions"]["by_category"]]),
        "npl_by_branch": bars([(g["label_zh"], _f(g["npl_ratio"]), "#c62828")
                               for g in branch_rows], percent=True, limit=npl_limit),
        "warnings": bars([(LEVEL_ZH[lv], float(live_by_level.get(lv, 0)), LEVEL_COLOUR[lv])
                          for lv in ("red", "orange", "yellow", "blue")]),
        "stress": bars([(s["name"], _f(s["share_ltv_over_100"]), "#6a1b9a")
                        for s in [stress["baseline"], *stress["scenarios"]]], percent=True),
    }
    recent = [_vintage_row(v) for v in vintages["vintages"] if v["loans"]][-8:]
    return render(
        "portfolio_monthly.html", risk=risk, migration=migration, recent_vintages=recent,
        stress=stress, warnings=warnings, live_by_level=live_by_level, level_zh=LEVEL_ZH,
        indicator_zh=INDICATOR_ZH, charts=charts, run=run,
        month=risk["as_of"].strftime("%Y年%m月"))
