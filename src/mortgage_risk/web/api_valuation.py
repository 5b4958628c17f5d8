"""/api/v1 for collateral valuation and its report."""

from __future__ import annotations

import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from mortgage_risk.services import reports, valuation
from mortgage_risk.web.deps import CurrentUserDep, UowDep

router = APIRouter(prefix="/api/v1", tags=["valuation"])


class ValuationIn(BaseModel):
    valuation_date: date | None = None
    loan_amount: Decimal | None = Field(default=None, gt=0, max_digits=16, decimal_places=2)
    request: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra inputs in the valuation request format: observed, income, claims, "
                    "approaches, explanation, subject overrides (e.g. land_grade)")


class ValuationOut(BaseModel):
    valuation_id: int | None
    property_id: int | None
    result: dict[str, Any]


def _out(view: valuation.ValuationView) -> ValuationOut:
    return ValuationOut(valuation_id=view.id, property_id=view.property_id, result=view.result)


@router.post("/valuations/preview", response_model=dict[str, Any])
def preview(document: dict[str, Any], user: CurrentUserDep) -> dict[str, Any]:
    """Value a property described in the request format with the shipped parameters; nothing
    is stored (the same as `mortgage-risk valuate --input F --json`)."""
    return valuation.valuate_document(document)


@router.post("/properties/{property_id}/valuations", response_model=ValuationOut,
             status_code=201)
def valuate_property(property_id: int, body: ValuationIn, uow: UowDep, user: CurrentUserDep
                     ) -> ValuationOut:
    """Value a stored property with the active parameters and the book's comparables."""
    return _out(valuation.valuate_property(
        uow, user, property_id, valuation_date=body.valuation_date,
        loan_amount=body.loan_amount, request=body.request))


@router.get("/valuations/{valuation_id}", response_model=ValuationOut)
def get_valuation(valuation_id: int, uow: UowDep, user: CurrentUserDep) -> ValuationOut:
    return _out(valuation.get_valuation(uow, user, valuation_id))


@router.get("/valuations/{valuation_id}/report.html", response_class=HTMLResponse)
def report_html(valuation_id: int, uow: UowDep, user: CurrentUserDep) -> HTMLResponse:
    return HTMLResponse(reports.valuation_html(uow, user, valuation_id))


@router.get("/valuations/{valuation_id}/report.pdf", response_class=Response)
def report_pdf(valuation_id: int, uow: UowDep, user: CurrentUserDep) -> Response:
    with tempfile.TemporaryDirectory() as work:
        path = reports.valuation_report(uow, user, valuation_id, Path(work) / "report.pdf")
        data = path.read_bytes()
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="valuation-{valuation_id}.pdf"'})
