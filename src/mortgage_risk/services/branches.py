"""Branches of the county union."""

from __future__ import annotations

from mortgage_risk.domain import BranchKind
from mortgage_risk.services.errors import Conflict, choice
from mortgage_risk.storage.tables import BranchRow
from mortgage_risk.storage.uow import UnitOfWork


def create_branch(
    uow: UnitOfWork, *, actor: str, code: str, name_zh: str, name_en: str, kind: str, township: str
) -> int:
    kind_enum = choice(BranchKind, kind, "kind")
    if uow.branches.by_code(code):
        raise Conflict(f"branch {code!r} exists", field="code")
    row = BranchRow(
        code=code, name_zh=name_zh, name_en=name_en, kind=kind_enum.value, township=township
    )
    uow.session.add(row)
    uow.session.flush()
    uow.audit.record(
        actor=actor,
        action="create",
        entity="branch",
        entity_id=row.id,
        after={"code": code, "name_zh": name_zh, "kind": kind_enum.value},
    )
    return row.id
