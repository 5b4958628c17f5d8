"""The life of a scorecard model: trained → validated → approved → active → retired."""

from __future__ import annotations

from mortgage_risk.domain.enums import LabelledEnum, register_labels
from mortgage_risk.domain.errors import DomainError


class ModelStatus(LabelledEnum):
    TRAINED = "trained"
    VALIDATED = "validated"
    APPROVED = "approved"
    ACTIVE = "active"
    RETIRED = "retired"


register_labels([
    (ModelStatus.TRAINED, ("已训练", "trained")),
    (ModelStatus.VALIDATED, ("已验证", "validated")),
    (ModelStatus.APPROVED, ("已审批", "approved")),
    (ModelStatus.ACTIVE, ("生效中", "active")),
    (ModelStatus.RETIRED, ("已停用", "retired")),
])

_NEXT: dict[ModelStatus, frozenset[ModelStatus]] = {
    ModelStatus.TRAINED: frozenset({ModelStatus.VALIDATED, ModelStatus.RETIRED}),
    ModelStatus.VALIDATED: frozenset({ModelStatus.APPROVED, ModelStatus.RETIRED}),
    ModelStatus.APPROVED: frozenset({ModelStatus.ACTIVE, ModelStatus.RETIRED}),
    ModelStatus.ACTIVE: frozenset({ModelStatus.RETIRED}),
    ModelStatus.RETIRED: frozenset(),
}


def check_transition(current: ModelStatus, target: ModelStatus) -> None:
    """Refuse a step the lifecycle does not allow, naming both states."""
    if target not in _NEXT[current]:
        raise DomainError("status", f"a {current.value} model cannot become {target.value}")


def check_approver(trained_by: str, approver: str) -> None:
    """Maker-checker: the person who trained a model may not approve it."""
    if trained_by == approver:
        raise DomainError("approved_by", "the trainer of a model may not approve it")
