"""/api/v1/risk: provisions, indicators, migration, vintages, roll rates and stress tests.

Money is an exact decimal string in CNY (rounded to the fen), ratios are decimal strings
(0.0123 = 1.23%; null when the denominator is zero). Risk managers, supervisors, approvers
and administrators see the whole union; loan officers and reviewers see their branch.
"""

from __future__ import annotations

import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from mortgage_risk.services import portfolio_report, portfolio_risk, reports
from mortgage_risk.services.portfolio_risk import StressIn
from mortgage_risk.web.deps import CurrentUserDep, UowDep

router = APIRouter(prefix="/api/v1/risk", tags=["risk"])

ErrorResponses: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in"},
    403: {"description": "The role may not see the portfolio risk"},
    409: {"description": "The book cannot give the figure (e.g. no repayment history)"},
    422: {"description": 'Invalid input: {"errors": [{"field": ..., "reason": ...}]}'},
}

GroupBy = Literal["branch", "township", "property_type", "officer"]
Ratio = Decimal | None


class ScopeOut(BaseModel):
    branch_id: int
    code: str
    name_zh: str
    name_en: str


class IndicatorOut(BaseModel):
    key: str
    value: Ratio
    numerator: Decimal
    denominator: Decimal
    limit_min: Ratio
    limit_max: Ratio
    band_max: Ratio
    breach: bool


class TotalsOut(BaseModel):
    loans: int
    balance: Decimal
    npl_balance: Decimal
    specific_provision: Decimal
    ecl: Decimal
    provision: Decimal
    general_reserve: Decimal
    general_reserve_rate: Ratio


class CategoryProvisionOut(BaseModel):
    category: str
    label_zh: str
    label_en: str
    rate: Ratio
    loans: int
    balance: Decimal
    specific_provision: Decimal
    ecl: Decimal
    provision: Decimal


class StageProvisionOut(BaseModel):
    stage: int
    loans: int
    balance: Decimal
    specific_provision: Decimal
    ecl: Decimal
    provision: Decimal


class ProvisionTablesOut(BaseModel):
    by_category: list[CategoryProvisionOut]
    by_stage: list[StageProvisionOut]


class PdBucketOut(BaseModel):
    bucket: str
    label_zh: str
    label_en: str
    observed: int
    defaults: int
    rate: Ratio
    pd: Ratio


class ConcentrationOut(BaseModel):
    limit: str
    balance: Decimal
    total_loans: Decimal
    share: Ratio
    max_share: Ratio
    headroom: Decimal
    breach: bool


class GroupOut(BaseModel):
    key: str
    label_zh: str
    label_en: str
    loans: int
    balance: Decimal
    npl_balance: Decimal
    specific_provision: Decimal
    ecl: Decimal
    provision: Decimal
    npl_ratio: Ratio
    provision_coverage: Ratio
    loan_provision_ratio: Ratio
    dpd90_to_npl: Ratio
    par30: Ratio = None
    par90: Ratio = None
    breaches: list[str]


class SummaryOut(BaseModel):
    """The book in the caller's scope: totals, indicators against the regulatory thresholds
    (breach = outside), provisions by class and stage, observed PDs, concentration and the
    breakdown by ``group_by``. ``versions`` names the monitoring policy, the classification
    used (stored run date or the book's classes), the PD and collateral methods."""

    as_of: date
    book_as_of: date | None
    scope: ScopeOut | None
    group_by: str
    versions: dict[str, Any]
    totals: TotalsOut
    indicators: list[IndicatorOut]
    provisions: ProvisionTablesOut
    pd_table: list[PdBucketOut]
    concentration: list[ConcentrationOut]
    breakdown: list[GroupOut]


class ProvisionsOut(BaseModel):
    as_of: date
    scope: ScopeOut | None
    group_by: str
    versions: dict[str, Any]
    totals: TotalsOut
    provisions: ProvisionTablesOut
    breakdown: list[GroupOut]


class MatrixColumnOut(BaseModel):
    key: str
    label_zh: str
    label_en: str


class MatrixRowOut(BaseModel):
    """One "from" state: loans in it, and the count and share moving to each column."""

    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    label_zh: str
    label_en: str
    loans: int
    counts: dict[str, int]
    shares: dict[str, Ratio]


class MigrationOut(BaseModel):
    """``source`` "stored": between two stored classification runs; "computed": both dates
    classified from the repayment history by the DPD floors."""

    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    source: str
    scope: ScopeOut | None
    stored_dates: list[date]
    versions: dict[str, Any]
    columns: list[MatrixColumnOut]
    rows: list[MatrixRowOut]
    loans_from: int
    loans_both: int


class VintageOut(BaseModel):
    vintage: int
    loans: int
    months_on_book: list[int]
    bad_loans: list[int]
    rate: list[Ratio]


class VintagesOut(BaseModel):
    as_of: date
    metric: str
    scope: ScopeOut | None
    versions: dict[str, Any]
    vintages: list[VintageOut]


class RollRatesOut(BaseModel):
    as_of: date
    months: int
    scope: ScopeOut | None
    versions: dict[str, Any]
    columns: list[MatrixColumnOut]
    rows: list[MatrixRowOut]


class ScenarioOut(BaseModel):
    name: str
    house_price_shock: Ratio
    house_price_path: list[float]
    pd_multiplier: Ratio
    pd_log_odds_shift: Ratio
    loans: int
    total_balance: Decimal
    share_ltv_over_100: Ratio
    balance_share_ltv_over_100: Ratio
    mean_pd: Ratio
    expected_loss: Decimal
    provisions: Decimal
    npl_balance: Decimal
    npl_ratio: Ratio
    stressed_new_npl_balance: Decimal
    expected_loss_change: Decimal
    provisions_change: Decimal
    npl_ratio_change: Ratio


class StressOut(BaseModel):
    """Every scenario next to the unshocked baseline (``*_change`` = scenario - baseline)."""

    as_of: date
    book_as_of: date | None
    scope: ScopeOut | None
    versions: dict[str, Any]
    custom: bool
    baseline: ScenarioOut
    scenarios: list[ScenarioOut]


@router.get("/summary", response_model=SummaryOut, responses=ErrorResponses)
def summary(uow: UowDep, user: CurrentUserDep, as_of: date | None = None,
            group_by: GroupBy = "branch") -> SummaryOut:
    """Indicators, provisions, concentration and the breakdown by ``group_by``."""
    return SummaryOut.model_validate(
        portfolio_risk.portfolio_risk(uow, user, as_of=as_of, group_by=group_by))


@router.get("/provisions", response_model=ProvisionsOut, responses=ErrorResponses)
def provisions(uow: UowDep, user: CurrentUserDep, as_of: date | None = None,
               group_by: GroupBy = "branch") -> ProvisionsOut:
    """Specific provisions by class, ECL by stage, the general reserve and the provisions of
    each group (branch, township, property_type or officer)."""
    r = portfolio_risk.portfolio_risk(uow, user, as_of=as_of, group_by=group_by)
    return ProvisionsOut.model_validate({k: r[k] for k in ProvisionsOut.model_fields})


@router.get("/migration", response_model=MigrationOut, responses=ErrorResponses)
def migration(uow: UowDep, user: CurrentUserDep,
              from_date: Annotated[date | None, Query(alias="from")] = None,
              to_date: Annotated[date | None, Query(alias="to")] = None) -> MigrationOut:
    """Five-category migration matrix between two dates (default: the month end a year
    before the book's as-of date, and that date); between stored runs when both dates have
    one, else computed from the repayment history."""
    return MigrationOut.model_validate(
        portfolio_risk.migration(uow, user, from_date, to_date))


@router.get("/vintages", response_model=VintagesOut, responses=ErrorResponses)
def vintages(uow: UowDep, user: CurrentUserDep, as_of: date | None = None,
             metric: Literal["default", "dpd30", "dpd90"] = "default") -> VintagesOut:
    """Cumulative share of each origination year's loans that went past the threshold, by
    months on book."""
    return VintagesOut.model_validate(
        portfolio_risk.vintages(uow, user, as_of=as_of, metric=metric))


@router.get("/roll-rates", response_model=RollRatesOut, responses=ErrorResponses)
def roll_rates(uow: UowDep, user: CurrentUserDep, as_of: date | None = None,
               months: Annotated[int, Query(ge=1, le=120)] = 12) -> RollRatesOut:
    """Month-to-month moves between days-past-due buckets, pooled over ``months`` months."""
    return RollRatesOut.model_validate(
        portfolio_risk.roll_rates(uow, user, as_of=as_of, months=months))


@router.post("/stress", response_model=StressOut, responses=ErrorResponses)
def stress(body: StressIn, uow: UowDep, user: CurrentUserDep) -> StressOut:
    """House price and PD shocks: give ``scenarios`` in full, or ``house_price_shocks``
    (e.g. [-0.1, -0.2, -0.3]) or one monthly ``house_price_path``, with a ``pd_multiplier``;
    an empty body runs the monitoring policy's scenarios."""
    scenarios = portfolio_risk.stress_scenarios(body)
    return StressOut.model_validate(
        portfolio_risk.stress_test(uow, user, scenarios, as_of=body.as_of))


@router.get("/report.html", response_class=HTMLResponse)
def monthly_report_html(uow: UowDep, user: CurrentUserDep, as_of: date | None = None
                        ) -> HTMLResponse:
    """The monthly portfolio risk report for the risk committee (Chinese, charts inline)."""
    return HTMLResponse(portfolio_report.monthly_report_html(uow, user, as_of=as_of))


@router.get("/report.pdf", response_class=Response)
def monthly_report_pdf(uow: UowDep, user: CurrentUserDep, as_of: date | None = None
                       ) -> Response:
    html = portfolio_report.monthly_report_html(uow, user, as_of=as_of)
    with tempfile.TemporaryDirectory() as work:
        data = reports.write_report(html, Path(work) / "report.pdf").read_bytes()
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": 'inline; filename="portfolio-risk-report.pdf"'})
