"""Versioned parameter sets: drafted and activated by risk managers, audited.

Each kind has a validator that rebuilds the typed parameters from the JSON, so a malformed
set is refused with the field and reason before it is stored, and a shipped default that is
installed when the database has none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mortgage_risk.domain import DomainError, Role
from mortgage_risk.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from mortgage_risk.services.users import CurrentUser, require_role
from mortgage_risk.storage.tables import ParameterSetRow
from mortgage_risk.storage.uow import UnitOfWork

EDITORS = (Role.RISK_MANAGER, Role.ADMIN)


@dataclass(frozen=True)
class ParameterKind:
    name: str
    validate: Callable[[dict[str, Any]], object]
    default: Callable[[], dict[str, Any]]


def _valuation_kind() -> ParameterKind:
    from mortgage_risk.valuation.params import ValuationParams

    return ParameterKind(
        "valuation",
        validate=ValuationParams.from_dict,
        default=lambda: ValuationParams.load_default().to_dict(),
    )


def _rules_kind() -> ParameterKind:
    from mortgage_risk.identification import RuleSet, default_ruleset

    def validate(content: dict[str, Any]) -> object:
        rules = RuleSet.from_dict(content)
        rules.ensure_valid()
        return rules

    return ParameterKind("identification_rules", validate=validate,
                         default=lambda: default_ruleset().to_dict())


def _policy_kind() -> ParameterKind:
    from mortgage_risk.control.policy import CreditPolicy

    return ParameterKind("credit_policy", validate=CreditPolicy.from_dict,
                         default=lambda: CreditPolicy.load_default().to_dict())


def _union_kind() -> ParameterKind:
    from mortgage_risk.control.union import UnionFigures

    return ParameterKind("union_figures", validate=UnionFigures.from_dict,
                         default=lambda: UnionFigures.load_default().to_dict())


def _training_kind() -> ParameterKind:
    from mortgage_risk.services.training_gate import default_content, validate_config

    return ParameterKind("training", validate=validate_config, default=default_content)


def _supervision_kind() -> ParameterKind:
    """The supervision check set (compliance checks, rectification terms, sampling weights):
    refused unless every condition type-checks against the supervision facts."""
    from mortgage_risk.supervision import CheckSet, default_checkset

    def validate(content: dict[str, Any]) -> object:
        return CheckSet.from_dict(content).ensure_valid()

    return ParameterKind("supervision_checks", validate=validate,
                         default=lambda: default_checkset().to_dict())


KINDS: dict[str, Callable[[], ParameterKind]] = {
    "valuation": _valuation_kind,
    "identification_rules": _rules_kind,
    "credit_policy": _policy_kind,
    "union_figures": _union_kind,
    "training": _training_kind,
    "supervision_checks": _supervision_kind,
}


@dataclass(frozen=True)
class ParameterSetView:
    kind: str
    version: str
    status: str
    created_by: str
    activated_by: str | None
    notes: str

    @classmethod
    def of(cls, row: ParameterSetRow) -> ParameterSetView:
        return cls(row.kind, row.version, row.status, row.created_by, row.activated_by,
                   row.notes)


def _kind(name: str) -> ParameterKind:
    if name not in KINDS:
        raise InvalidInput(f"unknown parameter kind {name!r}; known: {', '.join(KINDS)}",
                           field="kind")
    return KINDS[name]()


def _check(kind: ParameterKind, content: dict[str, Any]) -> str:
    try:
        kind.validate(content)
    except DomainError as exc:
        raise InvalidInput(exc.reason, field=f"content.{exc.field}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"invalid {kind.name} parameters: {exc}", field="content") from None
    version = content.get("version")
    if not isinstance(version, str) or not version.strip():
        raise InvalidInput("must name its version", field="content.version")
    return version


def create_draft(uow: UnitOfWork, user: CurrentUser, *, kind: str, content: dict[str, Any],
                 notes: str = "") -> ParameterSetView:
    """Store a new version of a parameter set as a draft (validated, audited)."""
    require_role(user, *EDITORS)
    spec = _kind(kind)
    version = _check(spec, content)
    if uow.parameters.get(kind, version) is not None:
        raise Conflict(f"{kind} parameters {version!r} exist", field="content.version")
    row = uow.parameters.add(ParameterSetRow(
        kind=kind, version=version, status="draft", content=content, notes=notes,
        created_by=user.username, created_at=datetime.now(UTC)))
    uow.audit.record(actor=user.username, action="create", entity="parameter_set",
                     entity_id=f"{kind}:{version}", after={"status": "draft", "notes": notes})
    uow.commit()
    return ParameterSetView.of(row)


def activate(uow: UnitOfWork, user: CurrentUser, *, kind: str, version: str
             ) -> ParameterSetView:
    """Make a draft the kind's active set; the previously active set is retired. Maker-checker:
    whoever entered the draft may not activate it."""
    require_role(user, *EDITORS)
    row = uow.parameters.get(kind, version)
    if row is None:
        raise NotFound(f"no {kind} parameters {version!r}", field="version")
    if row.created_by == user.username:
        raise PermissionDenied(f"you entered {kind} parameters {version!r}; another person "
                               "must activate them (maker-checker)")
    if row.status != "draft":
        raise Conflict(f"{kind} parameters {version!r} are {row.status}, not a draft",
                       field="version")
    previous = uow.parameters.active(kind)
    if previous is not None:
        previous.status = "retired"
        uow.session.flush()
        uow.audit.record(actor=user.username, action="retire", entity="parameter_set",
                         entity_id=f"{kind}:{previous.version}", before={"status": "active"},
                         after={"status": "retired", "replaced_by": version})
    row.status, row.activated_by, row.activated_at = "active", user.username, datetime.now(UTC)
    uow.audit.record(actor=user.username, action="activate", entity="parameter_set",
                     entity_id=f"{kind}:{version}", before={"status": "draft"},
                     after={"status": "active"})
    uow.commit()
    return ParameterSetView.of(row)


def active_content(uow: UnitOfWork, kind: str) -> dict[str, Any]:
    """The active set's JSON; the shipped default (installed once) when there is none."""
    row = uow.parameters.active(kind)
    if row is not None:
        return row.content
    spec = _kind(kind)
    content = spec.default()
    row = uow.parameters.add(ParameterSetRow(
        kind=kind, version=_check(spec, content), status="active", content=content,
        notes="shipped default", created_by="system", created_at=datetime.now(UTC),
        activated_by="system", activated_at=datetime.now(UTC)))
    uow.audit.record(actor="system", action="install_default", entity="parameter_set",
                     entity_id=f"{kind}:{row.version}", after={"status": "active"})
    uow.commit()
    return content


def list_sets(uow: UnitOfWork, kind: str | None = None) -> list[ParameterSetView]:
    return [ParameterSetView.of(r) for r in uow.parameters.all(kind)]


def get_set(uow: UnitOfWork, kind: str, version: str) -> dict[str, Any]:
    row = uow.parameters.get(kind, version)
    if row is None:
        raise NotFound(f"no {kind} parameters {version!r}", field="version")
    return row.content


_TYPED: dict[tuple[str, str], object] = {}


def active_typed(uow: UnitOfWork, kind: str) -> Any:
    """The active set rebuilt as its typed object, cached by (kind, version): a stored
    version never changes, so it is parsed (and rules compiled) once per process."""
    content = active_content(uow, kind)
    key = (kind, str(content.get("version")))
    if key not in _TYPED:
        _TYPED[key] = _kind(kind).validate(content)
    return _TYPED[key]


def changed_paths(old: Any, new: Any, path: str = "") -> list[dict[str, Any]]:
    """Every leaf that differs between two parameter sets: ``path``, ``old``, ``new``
    (``_source`` notes and the version itself left out)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[dict[str, Any]] = []
        for key in sorted(set(old) | set(new), key=str):
            if key == "_source" or (not path and key == "version"):
                continue
            sub = f"{path}.{key}" if path else str(key)
            out += changed_paths(old.get(key), new.get(key), sub)
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            out += changed_paths(a, b, f"{path}[{i}]")
        return out
    return [] if old == new else [{"path": path, "old": old, "new": new}]


def compare_with_active(uow: UnitOfWork, kind: str, version: str) -> dict[str, Any]:
    """A stored set next to the kind's active one: what changed, leaf by leaf."""
    content = get_set(uow, kind, version)
    active = uow.parameters.active(kind)
    changes = [] if active is None or active.version == version else changed_paths(
        active.content, content)
    return {"kind": kind, "version": version,
            "active_version": active.version if active else None, "changes": changes}
