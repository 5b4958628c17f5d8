"""Loading the synthetic book into SQLite and PostgreSQL, once, with its audit record."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from mortgage_risk.domain import Role
from mortgage_risk.services.demo import DEMO_PASSWORD, seed_portfolio
from mortgage_risk.services.errors import Conflict
from mortgage_risk.services.portfolio import overview
from mortgage_risk.services.users import CurrentUser, authenticate
from mortgage_risk.storage.audit import verify_chain
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.tables import LoanRow, RepaymentRow
from mortgage_risk.synth import generate

BOOK = {"loans": 200, "seed": 5, "as_of": date(2025, 12, 31)}


def test_seed_loads_the_book_once(database: Database) -> None:
    with database.uow() as uow:
        first = seed_portfolio(uow, actor="test", parquet_dir=None, **BOOK)  # type: ignore[arg-type]
    assert first.created and first.rows["loans"] == 200
    with database.uow() as uow:
        again = seed_portfolio(uow, actor="test", parquet_dir=None, **BOOK)  # type: ignore[arg-type]
        assert not again.created
        with pytest.raises(Conflict):
            seed_portfolio(uow, actor="test", parquet_dir=None, loans=10, seed=6,
                           as_of=date(2025, 12, 31))
        reused = seed_portfolio(uow, actor="test", parquet_dir=None, loans=10, seed=6,
                                as_of=date(2025, 12, 31), reuse=True)
        assert not reused.created and reused.seed == 5
    book = generate(200, 5, date(2025, 12, 31))
    with database.uow() as uow:
        loans = uow.session.scalar(select(func.count()).select_from(LoanRow))
        repayments = uow.session.scalar(select(func.count()).select_from(RepaymentRow))
        assert (loans, repayments) == (200, len(book.repayments))
        assert verify_chain(uow.session).intact
        assert authenticate(uow, "risk", DEMO_PASSWORD) is not None


def test_overview_matches_the_generated_book(database: Database) -> None:
    with database.uow() as uow:
        seed_portfolio(uow, actor="test", parquet_dir=None, **BOOK)  # type: ignore[arg-type]
    book = generate(200, 5, date(2025, 12, 31))
    active = book.loans[book.loans["status"] == "active"]
    expected_balance = sum(Decimal(f"{v:.2f}") for v in active["outstanding_principal"])
    risk = CurrentUser(0, "risk", "risk", Role.RISK_MANAGER, None)
    with database.uow() as uow:
        view = overview(uow, risk)
    assert view.total.loans == len(active)
    assert view.total.balance == expected_balance
    assert sum(line.loans for line in view.by_branch) == len(active)
    assert sum(line.balance for line in view.by_property_type) == expected_balance
    officer_branch = int(active["branch_id"].iloc[0])
    officer = CurrentUser(0, "o", "o", Role.LOAN_OFFICER, officer_branch)
    with database.uow() as uow:
        scoped = overview(uow, officer)
    assert scoped.total.loans == int((active["branch_id"] == officer_branch).sum())
    assert [line.key for line in scoped.by_branch] == [str(officer_branch)]
