"""Reports from stored results: HTML for the browser, PDF for the file, in Chinese."""

from __future__ import annotations

from pathlib import Path

from mortgage_risk.domain import LandNature, PropertyType, Structure
from mortgage_risk.reports.pdf import ReportError, html_to_pdf
from mortgage_risk.reports.render import render
from mortgage_risk.services.errors import InvalidInput, NotFound
from mortgage_risk.services.users import CurrentUser
from mortgage_risk.services.valuation import get_valuation
from mortgage_risk.storage.uow import UnitOfWork

APPROACH_ZH = {"cost": "成本法", "market": "市场比较法", "income": "收益法"}
CLAIM_ZH = {"prior_mortgage": "已抵押债权", "unpaid_construction_price": "拖欠的建设工程价款",
            "land_grant_fee": "应补缴的土地出让金", "taxes": "欠缴税费"}
COST_ZH = {"court_and_enforcement_fees": "诉讼及执行费用", "disposal_taxes": "处置税费"}
SCENARIO_ZH = {"first_auction": "一拍成交", "second_auction": "二拍成交",
               "private_sale_or_delay": "变卖或延期处置", "transfer": "转让",
               "delayed_transfer": "延期转让"}
METHOD_ZH = {"single": "单一方法", "weighted": "加权平均", "lowest": "差异超30%取低值"}
SOURCE_ZH = {"table": "重置单价表", "buildup": "成本构成测算", "given": "估价人员给定"}


def valuation_html(uow: UnitOfWork, user: CurrentUser, valuation_id: int) -> str:
    """The valuation report page: the full breakdown, the parameter version, the approaches."""
    view = get_valuation(uow, user, valuation_id)
    assert view.property_id is not None
    context = uow.valuations.property_context(view.property_id)
    if context is None:
        raise NotFound(f"no property {view.property_id}", field="property_id")
    prop = context[0]
    row = uow.valuations.get(valuation_id)
    return render(
        "valuation.html", valuation_id=valuation_id, result=view.result, prop=prop,
        valued_by=row.valued_by if row else "",
        property_type_zh=PropertyType(prop.property_type).label_zh,
        land_nature_zh=LandNature(prop.land_nature).label_zh,
        structure_zh=Structure(prop.structure).label_zh if prop.structure else None,
        approach_zh=APPROACH_ZH, claim_zh=CLAIM_ZH, cost_zh=COST_ZH, scenario_zh=SCENARIO_ZH,
        method_zh=METHOD_ZH, source_zh=SOURCE_ZH)


def valuation_report(uow: UnitOfWork, user: CurrentUser, valuation_id: int, out: Path) -> Path:
    """Write the report to ``out``: ``.html`` or ``.pdf``."""
    html = valuation_html(uow, user, valuation_id)
    if out.suffix == ".html":
        out.write_text(html, encoding="utf-8")
        return out
    if out.suffix != ".pdf":
        raise InvalidInput("must end in .html or .pdf", field="out")
    try:
        return html_to_pdf(html, out)
    except ReportError as exc:
        raise InvalidInput(str(exc), field="out") from None
