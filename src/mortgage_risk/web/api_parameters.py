"""/api/v1 for versioned parameter sets (valuation tables, caps, ...)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from mortgage_risk.services import parameters
from mortgage_risk.web.deps import CurrentUserDep, UowDep

router = APIRouter(prefix="/api/v1/parameters", tags=["parameters"])


class ParameterSetOut(BaseModel):
    kind: str
    version: str
    status: str
    created_by: str
    activated_by: str | None
    notes: str

    @classmethod
    def of(cls, view: parameters.ParameterSetView) -> ParameterSetOut:
        return cls(kind=view.kind, version=view.version, status=view.status,
                   created_by=view.created_by, activated_by=view.activated_by, notes=view.notes)


class DraftIn(BaseModel):
    content: dict[str, Any] = Field(description="The whole parameter set, with its `version`")
    notes: str = Field(default="", max_length=2000)


@router.get("", response_model=list[ParameterSetOut])
def list_sets(uow: UowDep, user: CurrentUserDep, kind: str | None = None
              ) -> list[ParameterSetOut]:
    return [ParameterSetOut.of(v) for v in parameters.list_sets(uow, kind)]


@router.get("/{kind}/active")
def active_set(kind: str, uow: UowDep, user: CurrentUserDep) -> dict[str, Any]:
    return parameters.active_content(uow, kind)


@router.get("/{kind}/{version}")
def get_set(kind: str, version: str, uow: UowDep, user: CurrentUserDep) -> dict[str, Any]:
    return parameters.get_set(uow, kind, version)


@router.post("/{kind}", response_model=ParameterSetOut, status_code=201)
def create_draft(kind: str, body: DraftIn, uow: UowDep, user: CurrentUserDep) -> ParameterSetOut:
    return ParameterSetOut.of(parameters.create_draft(uow, user, kind=kind, content=body.content,
                                                      notes=body.notes))


@router.post("/{kind}/{version}/activate", response_model=ParameterSetOut)
def activate(kind: str, version: str, uow: UowDep, user: CurrentUserDep) -> ParameterSetOut:
    return ParameterSetOut.of(parameters.activate(uow, user, kind=kind, version=version))


@router.post("/identification_rules/{version}/dry-run")
def dry_run_rules(version: str, uow: UowDep, user: CurrentUserDep) -> dict[str, Any]:
    """Replay past assessments under the draft rule set ``version`` and the active one."""
    from mortgage_risk.services.rules import dry_run_draft

    return dry_run_draft(uow, user, version=version)
