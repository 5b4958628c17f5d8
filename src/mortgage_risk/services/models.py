"""The scorecard model registry and application scoring.

A model is registered (trained), validated on the union's own observed outcomes, approved by
a risk manager who did not train it, and activated; at most one model is active per loan
product. Every stored score names the model version and the feature-parameter version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from importlib.resources import files
from typing import Any

from mortgage_risk.domain import DomainError, Role
from mortgage_risk.domain.model_lifecycle import ModelStatus, check_approver, check_transition
from mortgage_risk.scoring.application_features import build_features, default_params
from mortgage_risk.scoring.artifact import ArtifactError, from_json
from mortgage_risk.scoring.metrics import validation_report
from mortgage_risk.scoring.scorecard import Scorecard
from mortgage_risk.services.errors import Conflict, InvalidInput, NotFound
from mortgage_risk.services.users import CurrentUser, require_role
from mortgage_risk.storage.tables import ApplicationScoreRow, ScorecardModelRow
from mortgage_risk.storage.uow import UnitOfWork

DEFAULT_PRODUCT = "mortgage"
MODELLERS = (Role.RISK_MANAGER, Role.ADMIN)
MIN_VALIDATION_ROWS = 200


@dataclass(frozen=True)
class ModelView:
    id: int
    product: str
    version: str
    name: str
    status: ModelStatus
    sha256: str
    trained_by: str
    approved_by: str | None
    validation: dict[str, Any] | None

    @classmethod
    def of(cls, row: ScorecardModelRow) -> ModelView:
        return cls(
            row.id,
            row.product,
            row.version,
            row.name,
            ModelStatus(row.status),
            row.sha256,
            row.trained_by,
            row.approved_by,
            row.validation,
        )


@dataclass(frozen=True)
class ScoreView:
    application_id: int
    model_version: str
    score: int
    pd: Decimal
    grade: str
    reason_codes: list[dict[str, Any]]


@lru_cache(maxsize=16)
def _load(artifact: str) -> Scorecard:
    return from_json(artifact)


def _now() -> datetime:
    return datetime.now(UTC)


def _model(uow: UnitOfWork, version: str) -> ScorecardModelRow:
    row = uow.models.by_version(version)
    if row is None:
        raise NotFound(f"no model version {version!r}", field="version")
    return row


def _move(
    uow: UnitOfWork, user: CurrentUser, row: ScorecardModelRow, target: ModelStatus, **after: Any
) -> None:
    before = {"status": row.status}
    try:
        check_transition(ModelStatus(row.status), target)
    except DomainError as exc:
        raise Conflict(exc.reason, field=exc.field) from None
    row.status = target.value
    uow.audit.record(
        actor=user.username,
        action=target.value,
        entity="scorecard_model",
        entity_id=row.version,
        before=before,
        after={"status": target.value, **after},
    )


def register_model(
    uow: UnitOfWork,
    user: CurrentUser,
    *,
    artifact: str,
    product: str = DEFAULT_PRODUCT,
    name: str | None = None,
) -> ModelView:
    """Store a trained scorecard artifact (its checksum verified) as ``trained``."""
    require_role(user, *MODELLERS)
    try:
        _load(artifact)
    except (ArtifactError, KeyError, ValueError) as exc:
        raise InvalidInput(str(exc), field="artifact") from None
    body = json.loads(artifact)
    version = str(body["model_version"])
    if uow.models.by_version(version):
        raise Conflict(f"model version {version!r} is already registered", field="version")
    row = uow.models.add(
        ScorecardModelRow(
            product=product,
            version=version,
            name=name or f"{product} scorecard {version}",
            sha256=body["sha256"],
            artifact=artifact,
            status=ModelStatus.TRAINED.value,
            trained_by=user.username,
            trained_at=_now(),
        )
    )
    uow.audit.record(
        actor=user.username,
        action="register",
        entity="scorecard_model",
        entity_id=version,
        after={"product": product, "sha256": row.sha256, "features": body.get("features")},
    )
    uow.commit()
    return ModelView.of(row)


def validate_model(
    uow: UnitOfWork, user: CurrentUser, *, version: str, horizon_months: int = 24
) -> ModelView:
    """Validate on the book's loans whose outcome over ``horizon_months`` is known."""
    require_role(user, *MODELLERS)
    row = _model(uow, version)
    frame, bad = uow.applications.outcome_sample(horizon_months)
    if len(frame) < MIN_VALIDATION_ROWS or bad.sum() == 0:
        raise Conflict(
            f"the book has {len(frame)} loans with an observed outcome and "
            f"{int(bad.sum())} defaults; validation needs at least "
            f"{MIN_VALIDATION_ROWS} loans and one default",
            field="version",
        )
    model = _load(row.artifact)
    report = validation_report(model, build_features(frame), bad.to_numpy())
    summary: dict[str, Any] = {
        "horizon_months": horizon_months,
        "n": int(len(frame)),
        "defaults": int(bad.sum()),
        **{k: report[k] for k in ("auc", "gini", "ks") if k in report},
        "report": report,
    }
    summary = json.loads(json.dumps(summary, default=float))
    _move(uow, user, row, ModelStatus.VALIDATED, auc=summary.get("auc"), n=summary["n"])
    row.validation, row.validated_by, row.validated_at = summary, user.username, _now()
    uow.commit()
    return ModelView.of(row)


def approve_model(uow: UnitOfWork, user: CurrentUser, *, version: str) -> ModelView:
    """A risk manager other than the trainer approves a validated model."""
    require_role(user, Role.RISK_MANAGER)
    row = _model(uow, version)
    try:
        check_approver(row.trained_by, user.username)
    except DomainError as exc:
        raise Conflict(exc.reason, field=exc.field) from None
    _move(uow, user, row, ModelStatus.APPROVED)
    row.approved_by, row.approved_at = user.username, _now()
    uow.commit()
    return ModelView.of(row)


def activate_model(uow: UnitOfWork, user: CurrentUser, *, version: str) -> ModelView:
    """Make an approved model the product's only active one; the previous one retires."""
    require_role(user, Role.RISK_MANAGER)
    row = _model(uow, version)
    previous = uow.models.active(row.product)
    if previous is not None and previous.id != row.id:
        _move(uow, user, previous, ModelStatus.RETIRED, replaced_by=row.version)
        previous.retired_at = _now()
        uow.session.flush()
    _move(uow, user, row, ModelStatus.ACTIVE)
    row.activated_at = _now()
    uow.commit()
    return ModelView.of(row)


def list_models(uow: UnitOfWork, product: str | None = None) -> list[ModelView]:
    return [ModelView.of(r) for r in uow.models.all(product)]


def active_model(uow: UnitOfWork, product: str = DEFAULT_PRODUCT) -> tuple[ModelView, Scorecard]:
    row = uow.models.active(product)
    if row is None:
        raise NotFound(f"no active scorecard for product {product!r}", field="product")
    return ModelView.of(row), _load(row.artifact)


def score_application(
    uow: UnitOfWork, user: CurrentUser, *, application_id: int, product: str = DEFAULT_PRODUCT
) -> ScoreView:
    """Score an application with the active model and store the result with its versions."""
    view = record_score(uow, user, application_id=application_id, product=product)
    uow.commit()
    return view


def record_score(
    uow: UnitOfWork, user: CurrentUser, *, application_id: int, product: str = DEFAULT_PRODUCT
) -> ScoreView:
    """Score and store within the caller's transaction (no commit)."""
    view, model = active_model(uow, product)
    frame = uow.applications.scoring_frame([application_id])
    if frame.empty:
        raise NotFound(f"no application {application_id}", field="application_id")
    scope = user.branch_scope()
    if scope is not None and int(frame["branch_id"].iloc[0]) != scope:
        raise NotFound(f"no application {application_id}", field="application_id")
    params = default_params()
    features = build_features(frame, params)
    pd_value = float(model.pd(features)[0])
    points = int(round(float(model.score(features)[0])))
    grade = str(model.grade(features)[0])
    reasons = model.reason_codes(features).iloc[0].to_dict()
    reason_list = json.loads(json.dumps(reasons, default=str))
    row = uow.models.add_score(
        ApplicationScoreRow(
            application_id=application_id,
            model_id=view.id,
            model_version=view.version,
            feature_params_version=params.version,
            score=points,
            pd=Decimal(f"{pd_value:.10f}"),
            grade=grade,
            reason_codes=[reason_list],
            features=json.loads(features.iloc[0].to_json()),
            scored_by=user.username,
            scored_at=_now(),
        )
    )
    uow.audit.record(
        actor=user.username,
        action="score",
        entity="application",
        entity_id=application_id,
        after={
            "model_version": view.version,
            "score": points,
            "grade": grade,
            "pd": f"{pd_value:.6f}",
            "score_id": row.id,
        },
    )
    return ScoreView(application_id, view.version, points, row.pd, grade, [reason_list])


def shipped_artifact(name: str = "mortgage-default") -> str:
    """A scorecard artifact shipped with the package (see docs/models/)."""
    return (files("mortgage_risk.scoring") / "models" / f"{name}.json").read_text(
        encoding="utf-8")


def install_shipped_model(uow: UnitOfWork, *, trainer: CurrentUser, approver: CurrentUser,
                          product: str = DEFAULT_PRODUCT) -> ModelView | None:
    """Take the shipped default scorecard through its lifecycle when no model is active:
    registered and validated by ``trainer``, approved and activated by ``approver``."""
    if uow.models.active(product) is not None:
        return None
    text = shipped_artifact()
    version = str(json.loads(text)["model_version"])
    if uow.models.by_version(version) is None:
        register_model(uow, trainer, artifact=text, product=product)
    status = ModelStatus(_model(uow, version).status)
    if status is ModelStatus.TRAINED:
        validate_model(uow, trainer, version=version)
        status = ModelStatus.VALIDATED
    if status is ModelStatus.VALIDATED:
        approve_model(uow, approver, version=version)
    return activate_model(uow, approver, version=version)
