"""The training gate: a production action named in the active training configuration's
``gates`` (e.g. ``{"submit_valuation": "valuation"}``) needs a valid certification on its topic.

Production services call :func:`require_certified` with their action; the shipped configuration
gates nothing, so nothing changes until a risk manager activates one that does (a second
person activates it, like every parameter set). The gate only reads: it never installs,
writes or commits, so it can run inside another command's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from importlib.resources import files
from typing import Any, Final

from mortgage_risk.domain import DomainError
from mortgage_risk.services.errors import PermissionDenied
from mortgage_risk.services.users import CurrentUser
from mortgage_risk.storage.training import TrainingRepository
from mortgage_risk.storage.uow import UnitOfWork
from mortgage_risk.training import Certification, GateDecision, TrainingConfig, gate_allows
from mortgage_risk.training.config import DEFAULT_RESOURCE

KIND: Final = "training"
#: The production actions a training configuration may gate, and the services that ask.
ACTIONS: Final = {
    "submit_valuation": "services.valuation.record_valuation (value a property)",
    "verify_warning": "services.warnings.verify (verify a warning)",
}

_CONFIGS: dict[str, TrainingConfig] = {}


def validate_config(content: Mapping[str, Any]) -> TrainingConfig:
    """The typed training configuration; a gate on an action no service asks about is refused
    (a misspelt action would silently gate nothing)."""
    config = TrainingConfig.from_dict(content)
    for action in config.gates:
        if action not in ACTIONS:
            raise DomainError(f"training.gates.{action}",
                              f"unknown action; one of {', '.join(ACTIONS)}")
    return config


def default_content() -> dict[str, Any]:
    """The shipped training configuration as JSON (a fresh copy)."""
    text = (files("mortgage_risk.training") / "data" / DEFAULT_RESOURCE).read_text(
        encoding="utf-8")
    content: dict[str, Any] = json.loads(text)
    return content


def active_config(uow: UnitOfWork) -> TrainingConfig:
    """The active training configuration, else the shipped default (nothing installed)."""
    row = uow.parameters.active(KIND)
    if row is None:
        return TrainingConfig.load_default()
    if row.version not in _CONFIGS:  # a stored version never changes
        _CONFIGS[row.version] = validate_config(row.content)
    return _CONFIGS[row.version]


def certification_records(uow: UnitOfWork, username: str | None = None) -> list[Certification]:
    """Stored certifications (of one user, or everyone's) as the pure records."""
    return [Certification(c.username, c.topic, c.granted_on, c.expires_on, str(set_id), score,
                          c.config_version)
            for c, set_id, score in TrainingRepository(uow.session).certifications(username)]


def gate(uow: UnitOfWork, user: CurrentUser, action: str, on: date | None = None
         ) -> GateDecision:
    """Whether ``user`` may take ``action`` on day ``on`` (default today), and why."""
    config = active_config(uow)
    day = on or date.today()
    if action not in config.gates:  # not gated: no need to read the certifications
        return gate_allows({}, (), user.username, action, day, config)
    return gate_allows(config.gates, certification_records(uow, user.username),
                       user.username, action, day, config)


def require_certified(uow: UnitOfWork, user: CurrentUser, action: str,
                      on: date | None = None) -> None:
    """Refuse ``action`` (PermissionDenied, field ``certification``) unless the user holds a
    valid certification on the topic the active configuration gates it by."""
    decision = gate(uow, user, action, on)
    if not decision.allowed:
        raise PermissionDenied(
            f"{decision.reason_zh} / {decision.reason_en} ({action} needs a valid "
            f"{decision.topic} certification; take a {decision.topic} exercise set under "
            "Training)", field="certification")
