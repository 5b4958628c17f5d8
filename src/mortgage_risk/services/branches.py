"""Branches of the county union: created and edited by the administrator, each change in one
transaction with its audit record. A branch's code never changes (loans, users and the feeds
refer to it)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mortgage_risk.domain import BranchKind
from mortgage_risk.services.errors import Conflict, InvalidInput, NotFound, choice
from mortgage_risk.services.forms import Problem, refuse
from mortgage_risk.services.users import CurrentUser, require_admin
from mortgage_risk.storage.admin import BRANCH_SORTS, BranchDirectory
from mortgage_risk.storage.tables import BranchRow
from mortgage_risk.storage.uow import UnitOfWork

CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9_-]{1,15}")
CODE_FORMAT = ("must be 2 to 16 characters: upper-case letters, digits, '_' or '-', starting "
               "with a letter or digit")
CODE_TAKEN = "a branch with this code exists"
BRANCH_UNKNOWN = "no such branch"
TEXT_REQUIRED = "must not be empty"
TEXT_TOO_LONG = "must have at most %(n)s characters"
#: The longest value of each text column (as in the table).
LENGTHS = {"name_zh": 64, "name_en": 128, "township": 64}


@dataclass(frozen=True)
class BranchView:
    id: int
    code: str
    name_zh: str
    name_en: str
    kind: BranchKind
    township: str
    users: int = 0


def _view(row: BranchRow, users: int = 0) -> BranchView:
    return BranchView(id=row.id, code=row.code, name_zh=row.name_zh, name_en=row.name_en,
                      kind=BranchKind(row.kind), township=row.township, users=users)


def _fields(kind: str, texts: dict[str, str]) -> tuple[BranchKind | None, list[Problem]]:
    problems: list[Problem] = []
    kind_enum: BranchKind | None = None
    try:
        kind_enum = choice(BranchKind, kind, "kind")
    except InvalidInput as exc:
        problems.append(Problem("kind", exc.reason))
    for name, value in texts.items():
        if not value:
            problems.append(Problem(name, TEXT_REQUIRED))
        elif len(value) > LENGTHS[name]:
            problems.append(Problem(name, TEXT_TOO_LONG, {"n": LENGTHS[name]}))
    return kind_enum, problems


def create_branch(
    uow: UnitOfWork, *, actor: str, code: str, name_zh: str, name_en: str, kind: str, township: str
) -> int:
    """Add a branch and its audit record in the caller's transaction (not committed)."""
    code = code.strip().upper()
    texts = {"name_zh": name_zh.strip(), "name_en": name_en.strip(), "township": township.strip()}
    problems: list[Problem] = []
    if not CODE_PATTERN.fullmatch(code):
        problems.append(Problem("code", CODE_FORMAT))
    kind_enum, more = _fields(kind, texts)
    refuse(problems + more)
    assert kind_enum is not None
    if uow.branches.by_code(code):
        raise Conflict(CODE_TAKEN, field="code")
    row = BranchRow(code=code, kind=kind_enum.value, **texts)
    uow.session.add(row)
    uow.session.flush()
    uow.audit.record(
        actor=actor,
        action="create",
        entity="branch",
        entity_id=row.id,
        after={"code": code, **texts, "kind": kind_enum.value},
    )
    return row.id


def add_branch(uow: UnitOfWork, admin: CurrentUser, *, code: str, name_zh: str, name_en: str,
               kind: str, township: str) -> BranchView:
    """The administrator adds a branch."""
    require_admin(admin)
    branch_id = create_branch(uow, actor=admin.username, code=code, name_zh=name_zh,
                              name_en=name_en, kind=kind, township=township)
    row = uow.branches.get(branch_id)
    assert row is not None
    view = _view(row)
    uow.commit()
    return view


def update_branch(uow: UnitOfWork, admin: CurrentUser, branch_id: int, *, name_zh: str,
                  name_en: str, kind: str, township: str) -> BranchView:
    """The administrator edits a branch's names, kind and township (not its code)."""
    require_admin(admin)
    row = BranchDirectory(uow.session).get_for_update(branch_id)
    if row is None:
        raise NotFound(BRANCH_UNKNOWN, field="branch_id")
    texts = {"name_zh": name_zh.strip(), "name_en": name_en.strip(), "township": township.strip()}
    kind_enum, problems = _fields(kind, texts)
    refuse(problems)
    assert kind_enum is not None
    after = {**texts, "kind": kind_enum.value}
    before = {name: getattr(row, name) for name in after}
    if before == after:
        return _view(row)  # nothing changed: nothing written
    for name, value in after.items():
        setattr(row, name, value)
    uow.session.flush()
    uow.audit.record(actor=admin.username, action="update", entity="branch", entity_id=row.id,
                     before={k: v for k, v in before.items() if after[k] != v},
                     after={k: v for k, v in after.items() if before[k] != v})
    view = _view(row)
    uow.commit()
    return view


def get_branch(uow: UnitOfWork, admin: CurrentUser, branch_id: int) -> BranchView:
    require_admin(admin)
    row = uow.branches.get(branch_id)
    if row is None:
        raise NotFound(BRANCH_UNKNOWN, field="branch_id")
    return _view(row)


def list_branches(uow: UnitOfWork, admin: CurrentUser, *, kind: str | None = None,
                  text: str | None = None, sort: str = "code",
                  descending: bool = False) -> list[BranchView]:
    """Every branch (a union has a few dozen), filtered and sorted in SQL, with its users."""
    require_admin(admin)
    problems: list[Problem] = []
    kind_value: str | None = None
    if kind:
        kind_enum, _ = _fields(kind, {})
        if kind_enum is None:
            problems.append(Problem("kind", "unknown value; allowed: %(allowed)s",
                                    {"allowed": ", ".join(k.value for k in BranchKind)}))
        else:
            kind_value = kind_enum.value
    if sort not in BRANCH_SORTS:
        problems.append(Problem("sort", "must be one of: %(allowed)s",
                                {"allowed": ", ".join(BRANCH_SORTS)}))
    refuse(problems)
    rows = BranchDirectory(uow.session).listing(kind=kind_value, text=(text or "").strip() or None,
                                                sort=sort, descending=descending)
    return [_view(row, int(users)) for row, users in rows]
