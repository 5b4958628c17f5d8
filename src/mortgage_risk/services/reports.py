"""Reports from stored results: HTML for the browser, PDF for the file, in Chinese."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mortgage_risk.domain import LandNature, PropertyType, RepaymentMethod, Structure
from mortgage_risk.domain.resident_id import mask
from mortgage_risk.identification.rules import Category
from mortgage_risk.reports.pdf import ReportError, html_to_pdf
from mortgage_risk.reports.render import render
from mortgage_risk.services.errors import InvalidInput, NotFound
from mortgage_risk.services.origination import load_application
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
    return write_report(valuation_html(uow, user, valuation_id), out)


SEVERITY_ZH = {"info": "提示", "warn": "警示", "refer": "须上报", "reject": "拒绝"}
STAGE_ZH = {"review": "审查", "approval": "审批"}
VERSION_ZH = {"scorecard": "评分卡", "rules": "识别规则", "valuation_params": "估价参数",
              "credit_policy": "信贷政策", "union_figures": "联社报表数", "features": "特征参数"}
BINDING_ZH = {"collateral": "抵押率上限 × 抵押价值", "affordability": "还款能力（月供收入比）",
              "product": "产品最高金额", "concentration": "集中度余量"}


def _reason_rows(reason_codes: Any) -> list[tuple[str, str]]:
    """The scorecard's reason codes as (name, value) rows, whatever their stored shape."""
    rows: list[tuple[str, str]] = []
    items = reason_codes if isinstance(reason_codes, list) else [reason_codes]
    for item in items:
        if isinstance(item, dict):
            rows += [(str(k), str(v)) for k, v in item.items() if v not in (None, "")]
        elif item not in (None, ""):
            rows.append(("", str(item)))
    return rows


def assessment_html(uow: UnitOfWork, user: CurrentUser, application_id: int) -> str:
    """The loan assessment report: flags, score, valuation, decision, the people's decisions,
    stamped with every version the engines used."""
    app = load_application(uow, user, application_id)
    row = uow.origination.latest_assessment(app.id)
    if row is None:
        raise NotFound(f"application {app.application_no} has not been assessed",
                       field="application_id")
    borrower = uow.borrowers.get(app.borrower_id)
    prop = uow.properties.get(app.property_id)
    branch = uow.branches.get(app.branch_id)
    assert borrower is not None and prop is not None
    content = row.content
    binding = content["decision"]["limit"].get("binding", "")
    return render(
        "assessment.html", app=app, row=row, c=content, borrower=borrower, prop=prop,
        resident_id=mask(borrower.resident_id),
        branch_name=branch.name_zh if branch else "",
        assessed_at=row.created_at.strftime("%Y-%m-%d"),
        method_zh=RepaymentMethod(app.repayment_method).label_zh,
        property_type_zh=PropertyType(prop.property_type).label_zh,
        category_zh={c.value: c.label_zh for c in Category}, severity_zh=SEVERITY_ZH,
        reason_rows=_reason_rows(content["score"].get("reason_codes")),
        limit_binding_zh=BINDING_ZH.get(binding, binding),
        decisions=uow.origination.decisions(app.id), stage_zh=STAGE_ZH,
        version_zh=VERSION_ZH)


def write_report(html: str, out: Path) -> Path:
    """Write ``html`` to ``out``: ``.html`` as is, ``.pdf`` through headless Chromium."""
    if out.suffix == ".html":
        out.write_text(html, encoding="utf-8")
        return out
    if out.suffix != ".pdf":
        raise InvalidInput("must end in .html or .pdf", field="out")
    try:
        return html_to_pdf(html, out)
    except ReportError as exc:
        raise InvalidInput(str(exc), field="out") from None
