"""/api/v1/training: exercise sets, taking them, results, progress and certifications."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from mortgage_risk.services import training
from mortgage_risk.services.training import ActiveIn, AnswersIn, NewSetIn
from mortgage_risk.web.deps import ApiUserDep, UowDep

router = APIRouter(prefix="/api/v1/training", tags=["training"])


@router.get("/sets")
def list_sets(uow: UowDep, user: ApiUserDep, topic: str | None = None,
              include_retired: bool = False) -> list[dict[str, Any]]:
    """The exercise sets, each with the caller's own attempts (trainers: everyone's too)."""
    return training.list_sets(uow, user, topic=topic, include_retired=include_retired)


@router.post("/sets", status_code=201)
def create_set(body: NewSetIn, uow: UowDep, user: ApiUserDep) -> dict[str, Any]:
    """A trainer's new set: ``n`` cases of the topic, or the chosen ``case_ids``, from the
    library of (``seed``, ``size``)."""
    return training.create_set(uow, user, name=body.name, topic=body.topic, seed=body.seed,
                               n=body.n, case_ids=body.case_ids, size=body.size,
                               pass_mark=body.pass_mark, time_limit=body.time_limit)


@router.get("/preview")
def preview(uow: UowDep, user: ApiUserDep, topic: str, seed: int, size: int
            ) -> dict[str, Any]:
    """The library's cases of a topic with the engines' answers (trainers)."""
    return training.preview_cases(uow, user, topic=topic, seed=seed, size=size)


@router.get("/sets/{set_id}")
def get_set(set_id: int, uow: UowDep, user: ApiUserDep) -> dict[str, Any]:
    """The set's questions for the trainee: material, reference and answer form; never the
    expected answers."""
    return training.get_set_for_trainee(uow, user, set_id)


@router.post("/sets/{set_id}/active")
def set_active(set_id: int, body: ActiveIn, uow: UowDep, user: ApiUserDep) -> dict[str, Any]:
    """Retire a set or bring it back (trainers)."""
    return training.set_active(uow, user, set_id, body.active)


@router.post("/sets/{set_id}/start")
def start(set_id: int, uow: UowDep, user: ApiUserDep) -> dict[str, Any]:
    """Start (or resume) an attempt; a time limit counts from the start."""
    return training.start_attempt(uow, user, set_id)


@router.post("/sets/{set_id}/attempts", status_code=201)
def submit(set_id: int, body: AnswersIn, uow: UowDep, user: ApiUserDep) -> dict[str, Any]:
    """Grade the answers; a wrong-form answer is refused (422, naming the field) and nothing
    is stored."""
    return training.submit_attempt(uow, user, set_id, body.answers)


@router.get("/attempts/{attempt_id}")
def attempt(attempt_id: int, uow: UowDep, user: ApiUserDep) -> dict[str, Any]:
    """A stored attempt with each grade and the engine's explanation."""
    return training.attempt_result(uow, user, attempt_id)


@router.get("/me/progress")
def my_progress(uow: UowDep, user: ApiUserDep) -> dict[str, Any]:
    return training.progress(uow, user)


@router.get("/me/certifications")
def my_certifications(uow: UowDep, user: ApiUserDep) -> list[dict[str, Any]]:
    return training.certifications(uow, user)


@router.get("/staff")
def staff(uow: UowDep, user: ApiUserDep) -> dict[str, Any]:
    """Every staff member's progress and certification per topic (trainers, the risk
    department, supervisors, administrators)."""
    return training.staff_overview(uow, user)


@router.get("/staff/{username}")
def staff_member(username: str, uow: UowDep, user: ApiUserDep) -> dict[str, Any]:
    return training.progress(uow, user, username)


@router.get("/staff/{username}/certifications")
def staff_certifications(username: str, uow: UowDep, user: ApiUserDep
                         ) -> list[dict[str, Any]]:
    return training.certifications(uow, user, username)
