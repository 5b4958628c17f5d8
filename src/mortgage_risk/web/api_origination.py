"""/api/v1 for the origination workflow, one endpoint per step."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from mortgage_risk.services import assessment, assessment_document, origination, reports
from mortgage_risk.services.schemas import (
    ApplicationIn,
    ContractIn,
    DecisionIn,
    RegistrationIn,
    VisitIn,
)
from mortgage_risk.web.deps import CurrentUserDep, UowDep

router = APIRouter(prefix="/api/v1", tags=["origination"])


class ApplicationOut(BaseModel):
    id: int
    application_no: str
    status: str
    next_steps: list[str]

    @classmethod
    def of(cls, view: origination.ApplicationView) -> ApplicationOut:
        return cls(
            id=view.id,
            application_no=view.application_no,
            status=view.status.value,
            next_steps=view.next_steps,
        )


class AssessIn(BaseModel):
    valuation_explanation: str | None = Field(
        default=None,
        max_length=2000,
        description="Needed when the valuation approaches differ by more than 15%",
    )
    on: date | None = None


class AssessmentOut(BaseModel):
    id: int
    application_id: int
    recommendation: str
    authority_level: str
    versions: dict[str, Any]
    content: dict[str, Any]


class ReviewIn(BaseModel):
    agree: bool
    note: str = Field(min_length=1, max_length=4000)


class DisburseIn(BaseModel):
    on: date = Field(default_factory=date.today)


@router.post("/applications", response_model=ApplicationOut, status_code=201)
def create(body: ApplicationIn, uow: UowDep, user: CurrentUserDep) -> ApplicationOut:
    return ApplicationOut.of(origination.create_application(uow, user, body))


@router.get("/applications", response_model=list[ApplicationOut])
def list_(
    uow: UowDep, user: CurrentUserDep, status: list[str] | None = Query(default=None)
) -> list[ApplicationOut]:
    views = origination.list_applications(uow, user, tuple(status) if status else None)
    return [ApplicationOut.of(v) for v in views]


@router.get("/applications/{application_id}")
def detail(application_id: int, uow: UowDep, user: CurrentUserDep) -> dict[str, Any]:
    return origination.application_detail(uow, user, application_id)


@router.post("/applications/{application_id}/submit", response_model=ApplicationOut)
def submit(application_id: int, uow: UowDep, user: CurrentUserDep) -> ApplicationOut:
    return ApplicationOut.of(origination.submit(uow, user, application_id))


@router.post("/applications/{application_id}/visit", response_model=ApplicationOut)
def visit(application_id: int, body: VisitIn, uow: UowDep, user: CurrentUserDep) -> ApplicationOut:
    return ApplicationOut.of(origination.record_visit(uow, user, application_id, body))


@router.post("/applications/{application_id}/assess", response_model=AssessmentOut, status_code=201)
def assess(application_id: int, body: AssessIn, uow: UowDep, user: CurrentUserDep) -> AssessmentOut:
    view = assessment.assess(
        uow, user, application_id, valuation_explanation=body.valuation_explanation, on=body.on
    )
    return AssessmentOut(
        id=view.id,
        application_id=view.application_id,
        recommendation=view.recommendation,
        authority_level=view.authority_level,
        versions=view.versions,
        content=view.content,
    )


@router.post("/applications/{application_id}/review", response_model=ApplicationOut)
def review(
    application_id: int, body: ReviewIn, uow: UowDep, user: CurrentUserDep
) -> ApplicationOut:
    return ApplicationOut.of(
        origination.review(uow, user, application_id, agree=body.agree, note=body.note)
    )


@router.post("/applications/{application_id}/decision", response_model=ApplicationOut)
def decision(
    application_id: int, body: DecisionIn, uow: UowDep, user: CurrentUserDep
) -> ApplicationOut:
    return ApplicationOut.of(origination.decide(uow, user, application_id, body))


@router.post("/applications/{application_id}/contract", response_model=ApplicationOut)
def contract(
    application_id: int, body: ContractIn, uow: UowDep, user: CurrentUserDep
) -> ApplicationOut:
    return ApplicationOut.of(origination.sign_contract(uow, user, application_id, body))


@router.post("/applications/{application_id}/registration", response_model=ApplicationOut)
def registration(
    application_id: int, body: RegistrationIn, uow: UowDep, user: CurrentUserDep
) -> ApplicationOut:
    return ApplicationOut.of(origination.register_mortgage(uow, user, application_id, body))


@router.post("/applications/{application_id}/disbursement", response_model=ApplicationOut)
def disbursement(
    application_id: int, body: DisburseIn, uow: UowDep, user: CurrentUserDep
) -> ApplicationOut:
    return ApplicationOut.of(origination.disburse(uow, user, application_id, on=body.on))


@router.post("/assessments/preview")
def preview(document: dict[str, Any], user: CurrentUserDep) -> dict[str, Any]:
    """Assess an application document without storing anything (`mortgage-risk assess`)."""
    return assessment_document.assess_document(document)


@router.get("/applications/{application_id}/assessment-report.html",
            response_class=HTMLResponse)
def assessment_report_html(application_id: int, uow: UowDep, user: CurrentUserDep
                           ) -> HTMLResponse:
    """The loan assessment report (Chinese), stamped with the versions used."""
    return HTMLResponse(reports.assessment_html(uow, user, application_id))


@router.get("/applications/{application_id}/assessment-report.pdf", response_class=Response)
def assessment_report_pdf(application_id: int, uow: UowDep, user: CurrentUserDep) -> Response:
    html = reports.assessment_html(uow, user, application_id)
    with tempfile.TemporaryDirectory() as work:
        data = reports.write_report(html, Path(work) / "report.pdf").read_bytes()
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="assessment-{application_id}.pdf"'})
