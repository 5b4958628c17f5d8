"""Seed the demo: the synthetic county book, its Parquet copy and the demo logins."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from mortgage_risk.domain import Role
from mortgage_risk.services.errors import Conflict
from mortgage_risk.services.models import install_shipped_model
from mortgage_risk.services.users import add_user, hash_password, load_user
from mortgage_risk.storage.bulk import insert_frame, reset_sequences
from mortgage_risk.storage.tables import PortfolioSeedRow, UserRow
from mortgage_risk.storage.uow import UnitOfWork
from mortgage_risk.synth import generate, write_parquet

DEMO_PASSWORD = "Demo@2026-risk"

#: (username, full name, role, index of the branch in code order or None for the union)
DEMO_USERS: tuple[tuple[str, str, Role, int | None], ...] = (
    ("admin", "系统管理员", Role.ADMIN, None),
    ("risk", "风险管理部 王敏", Role.RISK_MANAGER, None),
    ("modeller", "风险管理部 模型岗 孙悦", Role.RISK_MANAGER, None),
    ("audit", "稽核 李静", Role.SUPERVISOR, None),
    ("trainer", "培训师 赵华", Role.TRAINER, None),
    ("officer1", "客户经理 张伟", Role.LOAN_OFFICER, 0),
    ("reviewer1", "审查岗 刘洋", Role.REVIEWER, 0),
    ("approver1", "审批人 陈刚", Role.APPROVER, 0),
    ("officer2", "客户经理 黄磊", Role.LOAN_OFFICER, 5),
    ("reviewer2", "审查岗 周杰", Role.REVIEWER, 5),
)


@dataclass(frozen=True)
class SeedResult:
    created: bool
    seed: int
    loans: int
    as_of: date
    rows: dict[str, int]


Progress = Callable[[str, int, int], None]


def seed_portfolio(
    uow: UnitOfWork,
    *,
    actor: str,
    loans: int,
    seed: int,
    as_of: date,
    parquet_dir: Path | None,
    progress: Progress | None = None,
    reuse: bool = False,
) -> SeedResult:
    """Generate and load the book once; a second call with the same arguments reuses it.

    With ``reuse``, any book already loaded is kept, whatever its seed, size and date.
    """
    existing = uow.session.scalars(select(PortfolioSeedRow)).all()
    for row in existing:
        if reuse or (row.seed, row.loans, row.as_of) == (seed, loans, as_of):
            return SeedResult(False, row.seed, row.loans, row.as_of, {})
    if existing:
        held = existing[0]
        raise Conflict(
            f"the database already holds the book of seed {held.seed}, {held.loans} loans, "
            f"as of {held.as_of}; use a new database to load another",
            field="seed",
        )

    def on_generate(done: int, total: int) -> None:
        if progress:
            progress("generate", done, total)

    book = generate(loans, seed, as_of, progress=on_generate)
    frames = book.table_frames()
    total_rows = sum(len(f) for f in frames.values())
    loaded = 0
    conn = uow.session.connection()
    rows: dict[str, int] = {}
    for name, frame in frames.items():

        def on_rows(n: int) -> None:
            nonlocal loaded
            loaded += n
            if progress:
                progress("load", loaded, total_rows)

        rows[name] = insert_frame(conn, name, frame, on_rows)
    reset_sequences(conn, list(frames))
    _add_demo_users(uow, actor)
    uow.session.add(
        PortfolioSeedRow(
            seed=seed,
            loans=loans,
            as_of=as_of,
            generated_at=datetime.now(UTC),
            generator_version=book.params_version,
        )
    )
    uow.audit.record(
        actor=actor,
        action="seed_portfolio",
        entity="portfolio",
        entity_id=seed,
        after={
            "seed": seed,
            "loans": loans,
            "as_of": as_of.isoformat(),
            "generator_version": book.params_version,
            "rows": rows,
        },
    )
    uow.commit()
    if parquet_dir is not None:
        write_parquet(book, parquet_dir)
    return SeedResult(True, seed, loans, as_of, rows)


def _add_demo_users(uow: UnitOfWork, actor: str) -> None:
    branches = uow.branches.all()
    password_hash = hash_password(DEMO_PASSWORD)
    for username, full_name, role, branch_index in DEMO_USERS:
        if uow.session.scalar(select(UserRow).where(UserRow.username == username)):
            continue
        branch_id = branches[branch_index % len(branches)].id if branch_index is not None else None
        add_user(
            uow,
            actor=actor,
            username=username,
            full_name=full_name,
            password_hash=password_hash,
            role=role,
            branch_id=branch_id,
        )


def install_demo_model(uow: UnitOfWork) -> str | None:
    """The shipped scorecard, trained by the demo modeller and approved by the risk manager.

    Returns the version activated, or None when a model is already active.
    """
    if not uow.branches.all():
        raise Conflict("no book is loaded; run `mortgage-risk generate` first", field="seed")
    _add_demo_users(uow, "demo")
    trainer = load_user(uow, _user_id(uow, "modeller"))
    approver = load_user(uow, _user_id(uow, "risk"))
    if trainer is None or approver is None:
        raise Conflict("the demo users are missing; load the demo book first", field="seed")
    view = install_shipped_model(uow, trainer=trainer, approver=approver)
    return view.version if view else None


def _user_id(uow: UnitOfWork, username: str) -> int:
    row = uow.users.by_username(username)
    return row.id if row else -1


#: The demo union's own valuation choices on top of the shipped (reference) parameters.
COUNTY_VALUATION_VERSION = "valuation-params-2026.1-gx"
COUNTY_RECONCILIATION = {
    # County-town flats trade actively and their apportioned land share carries a location
    # value the cost approach misses: value them by market comparison; show the cost approach.
    "urban_housing": {"market": 1.0},
}


def install_demo_parameters(uow: UnitOfWork) -> str | None:
    """Activate the demo union's valuation parameter set (once); returns its version."""
    from mortgage_risk.services import parameters

    if uow.parameters.get("valuation", COUNTY_VALUATION_VERSION) is not None:
        return None
    risk = uow.users.by_username("risk")
    user = load_user(uow, risk.id) if risk else None
    if user is None:
        raise Conflict("the demo users are missing; load the demo book first", field="seed")
    content = json.loads(json.dumps(parameters.active_content(uow, "valuation")))
    content["version"] = COUNTY_VALUATION_VERSION
    content["reconciliation"]["weights"].update(COUNTY_RECONCILIATION)
    content["reconciliation"]["_source"] = (
        content["reconciliation"].get("_source", "") + "; G县 union: flats by market comparison")
    parameters.create_draft(uow, user, kind="valuation", content=content,
                            notes="G县联社：县城商品住宅以比较法为主")
    checker_row = uow.users.by_username("modeller")
    checker = load_user(uow, checker_row.id) if checker_row else None
    if checker is None:
        raise Conflict("the demo users are missing; load the demo book first", field="seed")
    parameters.activate(uow, checker, kind="valuation", version=COUNTY_VALUATION_VERSION)
    return COUNTY_VALUATION_VERSION
