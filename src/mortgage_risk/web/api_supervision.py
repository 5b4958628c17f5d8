"""/api/v1/supervision: runs of the compliance checks, findings and their follow-up, samples,
accountability, statistics, the check set and the quarterly report."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from mortgage_risk.services import supervision as sv
from mortgage_risk.services import supervision_report
from mortgage_risk.services.reports import write_report
from mortgage_risk.web.deps import ApiUserDep, UowDep
from mortgage_risk.web.pages_supervision import start_supervision

router = APIRouter(prefix="/api/v1/supervision", tags=["supervision"])


@router.post("/runs", status_code=202)
def start_run(body: sv.RunIn, request: Request, user: ApiUserDep) -> dict[str, Any]:
    """Queue a run of the active check set over every loan file and the audit chain; poll
    ``/api/v1/jobs/{id}`` for its progress (the result links to the run)."""
    return start_supervision(request, user, body.as_of or date.today()).to_dict()


@router.get("/runs")
def runs(uow: UowDep, user: ApiUserDep, limit: int = 30) -> list[dict[str, Any]]:
    """Stored runs, newest first, each with its summary (counts by check and severity)."""
    return sv.list_runs(uow, user, limit)


@router.get("/runs/{run_id}")
def run(run_id: int, uow: UowDep, user: ApiUserDep) -> dict[str, Any]:
    return sv.get_run(uow, user, run_id)


@router.get("/findings")
def findings(
    uow: UowDep, user: ApiUserDep,
    status: list[str] | None = Query(default=None),
    severity: list[str] | None = Query(default=None),
    check_id: list[str] | None = Query(default=None),
    branch_id: int | None = None, responsible: str | None = None, mine: bool = False,
    overdue: bool = False, file_key: str | None = None, run_id: int | None = None,
    limit: int = 50, offset: int = 0,
) -> dict[str, Any]:
    """Findings the caller may see: unclosed first, most severe, earliest deadline."""
    return sv.list_findings(uow, user, statuses=status or (), severities=severity or (),
                            check_ids=check_id or (), branch_id=branch_id,
                            responsible=responsible, mine=mine, overdue=overdue,
                            file_key=file_key, run_id=run_id, limit=limit, offset=offset)


@router.post("/findings", status_code=201)
def open_finding(body: sv.ManualFindingIn, uow: UowDep, user: ApiUserDep) -> dict[str, Any]:
    """A finding from a manual review (a supervisor): the responsible staff member, the
    deadline and the task are required."""
    return sv.open_manual_finding(uow, user, body)


@router.get("/findings/{finding_id}")
def finding(finding_id: int, uow: UowDep, user: ApiUserDep) -> dict[str, Any]:
    """A finding with its facts, history and the actions the caller may take now."""
    return sv.finding_detail(uow, user, finding_id)


@router.post("/findings/{finding_id}/start")
def start(finding_id: int, body: sv.NoteIn, uow: UowDep, user: ApiUserDep) -> dict[str, Any]:
    return sv.start_rectification(uow, user, finding_id, body)


@router.post("/findings/{finding_id}/rectification")
def rectify(finding_id: int, body: sv.RectifyIn, uow: UowDep, user: ApiUserDep
            ) -> dict[str, Any]:
    return sv.record_rectification(uow, user, finding_id, body)


@router.post("/findings/{finding_id}/close")
def close(finding_id: int, body: sv.NoteIn, uow: UowDep, user: ApiUserDep) -> dict[str, Any]:
    return sv.close_finding(uow, user, finding_id, body)


@router.post("/findings/{finding_id}/reopen")
def reopen(finding_id: int, body: sv.ReopenIn, uow: UowDep, user: ApiUserDep
           ) -> dict[str, Any]:
    return sv.reopen_finding(uow, user, finding_id, body)


@router.get("/samples")
def samples(uow: UowDep, user: ApiUserDep, limit: int = 30) -> list[dict[str, Any]]:
    return sv.list_samples(uow, user, limit)


@router.post("/samples", status_code=201)
def draw(body: sv.SampleIn, uow: UowDep, user: ApiUserDep) -> dict[str, Any]:
    """Draw loan files for manual review; the same seed draws the same files."""
    return sv.draw_sample(uow, user, body.method, body.n, body.seed, as_of=body.as_of)


@router.get("/samples/{sample_id}")
def sample(sample_id: int, uow: UowDep, user: ApiUserDep) -> dict[str, Any]:
    """A sample: each file drawn, why, and the findings now on it."""
    return sv.get_sample(uow, user, sample_id)


@router.get("/accountability")
def accountability(uow: UowDep, user: ApiUserDep, username: str | None = None,
                   as_of: date | None = None) -> list[dict[str, Any]]:
    """One record per staff member who answers for findings (a branch user: their own)."""
    return sv.accountability(uow, user, as_of=as_of, username=username)


@router.get("/statistics")
def statistics(uow: UowDep, user: ApiUserDep, by: str = "branch_id") -> dict[str, Any]:
    """Per branch (``by=branch_id``) or loan officer (``by=officer``)."""
    return sv.statistics(uow, user, by)


@router.get("/checkset")
def checkset(uow: UowDep, user: ApiUserDep) -> dict[str, Any]:
    """The active check set and every stored version (drafts and activation go through
    ``/api/v1/parameters/supervision_checks``)."""
    return sv.checkset_overview(uow, user)


@router.get("/report.html", response_class=HTMLResponse)
def report_html(uow: UowDep, user: ApiUserDep, quarter: str) -> HTMLResponse:
    """The quarterly supervision report (Chinese), e.g. ``?quarter=2026Q3``."""
    return HTMLResponse(supervision_report.quarterly_html(uow, user, quarter))


@router.get("/report.pdf", response_class=Response)
def report_pdf(uow: UowDep, user: ApiUserDep, quarter: str) -> Response:
    html = supervision_report.quarterly_html(uow, user, quarter)
    with tempfile.TemporaryDirectory() as work:
        data = write_report(html, Path(work) / "report.pdf").read_bytes()
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="supervision-{quarter.strip().upper()}.pdf"'})
