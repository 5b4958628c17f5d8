"""Shared fixtures: fresh databases on SQLite and a real PostgreSQL, and a seeded demo book."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import text

from mortgage_risk.storage.database import Database
from tests.pgserver import ThrowawayPostgres

# Hypothesis: `make test` (and CI) runs a fixed, derandomised search so a green main stays
# green; `HYPOTHESIS_PROFILE=explore make pytest` searches afresh with more examples, to hunt
# for new counterexamples (add each one found as an @example).
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", max_examples=300, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

SMALL_BOOK = {"loans": 300, "seed": 11, "as_of": date(2026, 6, 30)}


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server for this test session (MORTGAGE_RISK_TEST_PG_URL, or a new one)."""
    given = os.environ.get("MORTGAGE_RISK_TEST_PG_URL")
    if given:
        yield given
        return
    server = ThrowawayPostgres()
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


def _fresh_postgres(admin_url: str) -> tuple[Database, str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = Database.connect(admin_url)
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return Database.connect(admin_url.rsplit("/", 1)[0] + f"/{name}"), name


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty, migrated database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        db = Database.connect(f"sqlite:///{tmp_path / 'test.db'}")
    else:
        db, _ = _fresh_postgres(request.getfixturevalue("postgres_url"))
    db.upgrade()
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    db = Database.connect(f"sqlite:///{tmp_path / 'test.db'}")
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A SQLite database holding a small synthetic book and the demo users (read-only use)."""
    from mortgage_risk.services.demo import seed_portfolio

    path = tmp_path_factory.mktemp("seeded") / "demo.db"
    db = Database.connect(f"sqlite:///{path}")
    db.upgrade()
    with db.uow() as uow:
        seed_portfolio(uow, actor="test", parquet_dir=path.parent / "parquet", **SMALL_BOOK)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """A local Spark session (pyspark's bundled Spark on the machine's Java 17)."""
    pyspark_sql = pytest.importorskip("pyspark.sql")
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]")
        .appName("mortgage-risk-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
