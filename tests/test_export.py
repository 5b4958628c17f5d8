"""Exporting the book to Parquet for the analytics engines, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from mortgage_risk.services.demo import seed_portfolio
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.export import export_tables
from mortgage_risk.synth import generate


def test_export_matches_the_book(database: Database, tmp_path: Path) -> None:
    with database.uow() as uow:
        seed_portfolio(uow, actor="t", loans=150, seed=2, as_of=date(2026, 6, 30),
                       parquet_dir=None)
    rows = export_tables(database.engine, tmp_path)
    book = generate(150, 2, date(2026, 6, 30))
    assert rows["loans"] == 150 and rows["repayments"] == len(book.repayments)
    con = duckdb.connect()
    total = con.execute(f"SELECT sum(outstanding_principal), max(origination_date) FROM "
                        f"'{tmp_path / 'loans.parquet'}'").fetchone()
    assert total is not None
    assert total[0] == pytest.approx(book.loans["outstanding_principal"].sum(), abs=0.01)
    assert total[1] == book.loans["origination_date"].max().date()


def test_a_failed_export_leaves_no_partial_file(sqlite_database: Database,
                                                tmp_path: Path) -> None:
    with sqlite_database.uow() as uow:
        seed_portfolio(uow, actor="t", loans=50, seed=2, as_of=date(2026, 6, 30),
                       parquet_dir=None)

    def die(table: str, done: int) -> None:
        if table == "loans":
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        export_tables(sqlite_database.engine, tmp_path, progress=die)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "loans.parquet" not in names and not [n for n in names if n.endswith(".tmp")]
    assert "borrowers.parquet" in names
