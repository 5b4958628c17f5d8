"""/api/v1 for scorecard models and application scores."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from mortgage_risk.services import models
from mortgage_risk.web.deps import CurrentUserDep, UowDep

router = APIRouter(prefix="/api/v1", tags=["scorecard models"])


class ModelOut(BaseModel):
    id: int
    product: str
    version: str
    name: str
    status: str
    sha256: str
    trained_by: str
    approved_by: str | None
    auc: float | None
    ks: float | None

    @classmethod
    def of(cls, view: models.ModelView) -> ModelOut:
        v = view.validation or {}
        return cls(id=view.id, product=view.product, version=view.version, name=view.name,
                   status=view.status.value, sha256=view.sha256, trained_by=view.trained_by,
                   approved_by=view.approved_by, auc=v.get("auc"), ks=v.get("ks"))


class ModelIn(BaseModel):
    artifact: dict[str, Any] = Field(description="The scorecard's JSON artifact")
    product: str = Field(default=models.DEFAULT_PRODUCT, min_length=1, max_length=32)
    name: str | None = None


class ScoreOut(BaseModel):
    application_id: int
    model_version: str
    score: int
    pd: str
    grade: str
    reason_codes: list[dict[str, Any]]


@router.get("/models", response_model=list[ModelOut])
def list_models(uow: UowDep, user: CurrentUserDep, product: str | None = None) -> list[ModelOut]:
    return [ModelOut.of(v) for v in models.list_models(uow, product)]


@router.post("/models", response_model=ModelOut, status_code=201)
def register_model(body: ModelIn, uow: UowDep, user: CurrentUserDep) -> ModelOut:
    text = json.dumps(body.artifact, sort_keys=True, ensure_ascii=False)
    return ModelOut.of(models.register_model(uow, user, artifact=text, product=body.product,
                                             name=body.name))


@router.post("/models/{version}/validate", response_model=ModelOut)
def validate_model(version: str, uow: UowDep, user: CurrentUserDep) -> ModelOut:
    return ModelOut.of(models.validate_model(uow, user, version=version))


@router.post("/models/{version}/approve", response_model=ModelOut)
def approve_model(version: str, uow: UowDep, user: CurrentUserDep) -> ModelOut:
    return ModelOut.of(models.approve_model(uow, user, version=version))


@router.post("/models/{version}/activate", response_model=ModelOut)
def activate_model(version: str, uow: UowDep, user: CurrentUserDep) -> ModelOut:
    return ModelOut.of(models.activate_model(uow, user, version=version))


@router.post("/applications/{application_id}/score", response_model=ScoreOut, status_code=201)
def score_application(application_id: int, uow: UowDep, user: CurrentUserDep) -> ScoreOut:
    view = models.score_application(uow, user, application_id=application_id)
    return ScoreOut(application_id=view.application_id, model_version=view.model_version,
                    score=view.score, pd=str(view.pd), grade=view.grade,
                    reason_codes=view.reason_codes)
