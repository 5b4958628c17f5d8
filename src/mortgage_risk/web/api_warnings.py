"""/api/v1 for warning handling and five-category classification."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from mortgage_risk.services import classification, monitoring, warnings
from mortgage_risk.services.monitoring_schemas import (
    CloseDecisionIn,
    ManualClassIn,
    MeasureDoneIn,
    MeasureIn,
    NoteIn,
    ReassignIn,
    RestructuringIn,
    ReviewDecisionIn,
    UpgradeDecisionIn,
    VerifyIn,
)
from mortgage_risk.web.deps import CurrentUserDep, UowDep

router = APIRouter(prefix="/api/v1", tags=["warnings and classification"])


@router.get("/warnings")
def list_warnings(
    uow: UowDep, user: CurrentUserDep,
    status: list[str] | None = Query(default=None),
    level: list[str] | None = Query(default=None),
    mine: bool = False, overdue: bool = False,
    limit: int = 100, offset: int = 0,
) -> dict[str, Any]:
    """The warnings board: cases the user may see, most urgent first."""
    return warnings.list_warnings(uow, user, statuses=status or (), levels=level or (),
                                  mine=mine, overdue=overdue, limit=limit, offset=offset)


@router.get("/warnings/{warning_id}")
def warning_detail(warning_id: int, uow: UowDep, user: CurrentUserDep) -> dict[str, Any]:
    return warnings.warning_detail(uow, user, warning_id)


@router.post("/warnings/{warning_id}/verification")
def verify(warning_id: int, body: VerifyIn, uow: UowDep, user: CurrentUserDep
           ) -> dict[str, Any]:
    return warnings.verify(uow, user, warning_id, body)


@router.post("/warnings/{warning_id}/measures", status_code=201)
def add_measure(warning_id: int, body: MeasureIn, uow: UowDep, user: CurrentUserDep
                ) -> dict[str, Any]:
    return warnings.add_measure(uow, user, warning_id, body)


@router.post("/warning-measures/{measure_id}/done")
def complete_measure(measure_id: int, body: MeasureDoneIn, uow: UowDep, user: CurrentUserDep
                     ) -> dict[str, Any]:
    return warnings.complete_measure(uow, user, measure_id, body)


@router.post("/warnings/{warning_id}/close-request")
def request_close(warning_id: int, body: NoteIn, uow: UowDep, user: CurrentUserDep
                  ) -> dict[str, Any]:
    return warnings.request_close(uow, user, warning_id, body)


@router.post("/warnings/{warning_id}/close-decision")
def decide_close(warning_id: int, body: CloseDecisionIn, uow: UowDep, user: CurrentUserDep
                 ) -> dict[str, Any]:
    return warnings.decide_close(uow, user, warning_id, body)


@router.post("/warnings/{warning_id}/assignment")
def reassign(warning_id: int, body: ReassignIn, uow: UowDep, user: CurrentUserDep
             ) -> dict[str, Any]:
    return warnings.reassign(uow, user, warning_id, body)


@router.get("/classification")
def overview(uow: UowDep, user: CurrentUserDep) -> dict[str, Any]:
    """Loans by class, stored runs, upgrades waiting for approval and open reviews."""
    return classification.classification_overview(uow, user)


@router.get("/loans/{loan_id}/classification")
def loan_classification(loan_id: int, uow: UowDep, user: CurrentUserDep,
                        lang: str = "zh") -> dict[str, Any]:
    return classification.loan_classification(uow, user, loan_id,
                                              locale="en" if lang == "en" else "zh")


@router.post("/loans/{loan_id}/downgrade", status_code=201)
def downgrade(loan_id: int, body: ManualClassIn, uow: UowDep, user: CurrentUserDep
              ) -> dict[str, Any]:
    return classification.manual_downgrade(uow, user, loan_id, body)


@router.post("/loans/{loan_id}/restructurings", status_code=201)
def restructuring(loan_id: int, body: RestructuringIn, uow: UowDep, user: CurrentUserDep
                  ) -> dict[str, Any]:
    return classification.record_restructuring(uow, user, loan_id, body)


@router.post("/loans/{loan_id}/upgrade-requests", status_code=201)
def request_upgrade(loan_id: int, body: ManualClassIn, uow: UowDep, user: CurrentUserDep
                    ) -> dict[str, Any]:
    return classification.request_upgrade(uow, user, loan_id, body)


@router.post("/upgrade-requests/{manual_id}/decision")
def decide_upgrade(manual_id: int, body: UpgradeDecisionIn, uow: UowDep,
                   user: CurrentUserDep) -> dict[str, Any]:
    return classification.decide_upgrade(uow, user, manual_id, body)


@router.post("/classification-reviews/{review_id}/decision")
def decide_review(review_id: int, body: ReviewDecisionIn, uow: UowDep, user: CurrentUserDep
                  ) -> dict[str, Any]:
    return classification.decide_review(uow, user, review_id, body)


@router.get("/monitoring/runs")
def runs(uow: UowDep, user: CurrentUserDep) -> list[dict[str, Any]]:
    """The stored monitoring runs, newest first, with the versions each used."""
    return monitoring.recent_runs(uow)
