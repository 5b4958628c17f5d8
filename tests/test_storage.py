"""Storage on SQLite and a real PostgreSQL: migrations, unit of work, audit chain, bulk load."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select, text

from mortgage_risk.services import audit as audit_service
from mortgage_risk.services.branches import create_branch
from mortgage_risk.services.errors import Conflict, InvalidInput
from mortgage_risk.services.registry import register_borrower, register_property
from mortgage_risk.services.schemas import BorrowerIn, PropertyIn
from mortgage_risk.services.users import CurrentUser, authenticate, create_user
from mortgage_risk.storage.bulk import insert_frame
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.migrate import current_tables
from mortgage_risk.storage.tables import AuditRow, BorrowerRow, BranchRow, PropertyRow
from tests.helpers import borrower_fields, property_fields, resident_id

PASSWORD = "Str0ng-password!"


def _setup(db: Database) -> CurrentUser:
    with db.uow() as uow:
        create_branch(
            uow,
            actor="test",
            code="B01",
            name_zh="城关信用社",
            name_en="Chengguan branch",
            kind="county_town",
            township="城关镇",
        )
        user = create_user(
            uow,
            actor="test",
            username="officer",
            full_name="客户经理",
            password=PASSWORD,
            role="loan_officer",
            branch_code="B01",
        )
        uow.commit()
    return user


def _count(db: Database, model: type) -> int:
    with db.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_migration_creates_every_table(database: Database) -> None:
    tables = current_tables(database.engine)
    for name in (
        "branches",
        "users",
        "borrowers",
        "properties",
        "applications",
        "loans",
        "repayment_schedule",
        "repayments",
        "external_events",
        "audit_log",
        "alembic_version",
    ):
        assert name in tables


def test_users_have_argon2_hashes_and_log_in(database: Database) -> None:
    _setup(database)
    with database.uow() as uow:
        row = uow.users.by_username("officer")
        assert row is not None and row.password_hash.startswith("$argon2id$")
        assert authenticate(uow, "officer", PASSWORD) is not None
        assert authenticate(uow, "officer", "wrong-password") is None
        assert authenticate(uow, "nobody", PASSWORD) is None


def test_weak_password_and_unknown_role_are_refused(database: Database) -> None:
    _setup(database)
    with database.uow() as uow, pytest.raises(InvalidInput) as err:
        create_user(
            uow,
            actor="t",
            username="u2",
            full_name="x",
            password="short",
            role="approver",
            branch_code=None,
        )
    assert err.value.field == "password"
    with database.uow() as uow, pytest.raises(InvalidInput) as err:
        create_user(
            uow,
            actor="t",
            username="u3",
            full_name="x",
            password=PASSWORD,
            role="chief",
            branch_code=None,
        )
    assert err.value.field == "role"


def test_register_writes_row_and_audit_in_one_transaction(database: Database) -> None:
    user = _setup(database)
    before = _count(database, AuditRow)
    with database.uow() as uow:
        borrower_id = register_borrower(uow, user, BorrowerIn.model_validate(borrower_fields()))
    with database.uow() as uow:
        row = uow.borrowers.get(borrower_id)
        assert row is not None and row.household_income == Decimal("72000.00")
        assert row.birth_date == date(1985, 6, 12)
    assert _count(database, AuditRow) == before + 1
    with database.uow() as uow:
        prop_id = register_property(
            uow, user, PropertyIn.model_validate(property_fields(borrower_fields()["resident_id"]))
        )  # type: ignore[arg-type]
        assert prop_id > 0
    with database.uow() as uow:
        prop = uow.properties.get(prop_id)
        assert prop is not None and prop.floor_area == Decimal("118.50")
    with database.uow() as uow:
        assert audit_service.verify(uow).intact


def test_refused_command_writes_nothing(database: Database) -> None:
    user = _setup(database)
    with database.uow() as uow:
        register_borrower(uow, user, BorrowerIn.model_validate(borrower_fields()))
    borrowers, audits = _count(database, BorrowerRow), _count(database, AuditRow)
    with database.uow() as uow, pytest.raises(Conflict):
        register_borrower(uow, user, BorrowerIn.model_validate(borrower_fields()))
    other = property_fields(resident_id(seq="777"))
    with database.uow() as uow, pytest.raises(Exception, match="no borrower"):
        register_property(uow, user, PropertyIn.model_validate(other))
    assert (_count(database, BorrowerRow), _count(database, AuditRow)) == (borrowers, audits)
    assert _count(database, PropertyRow) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"resident_id": "450321198506120011"}, "resident_id"),
        ({"household_income": "-5"}, "household_income"),
        ({"segment": "fisherman"}, "segment"),
    ],
)
def test_bad_borrower_input_names_the_field(overrides: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        BorrowerIn.model_validate({**borrower_fields(), **overrides})
    assert err.value.errors()[0]["loc"][-1] == field


def test_build_year_after_as_of_is_refused() -> None:
    fields = {**property_fields(resident_id()), "build_year": 2027, "as_of": "2026-11-28"}
    with pytest.raises(ValidationError, match="build_year"):
        PropertyIn.model_validate(fields)


def _tamper(db: Database, sql: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(sql))


def test_audit_verify_names_an_edited_record(database: Database) -> None:
    user = _setup(database)
    for seq in ("101", "102", "103"):
        with database.uow() as uow:
            register_borrower(
                uow, user, BorrowerIn.model_validate(borrower_fields(resident_id(seq=seq)))
            )
    with database.uow() as uow:
        report = audit_service.verify(uow)
    assert report.intact and report.records == 5
    _tamper(database, "UPDATE audit_log SET actor = 'mallory' WHERE id = 3")
    with database.uow() as uow:
        report = audit_service.verify(uow)
    assert report.first_break is not None
    assert report.first_break.record_id == 3
    assert "changed" in report.first_break.reason


def test_audit_verify_names_a_deleted_record(database: Database) -> None:
    user = _setup(database)
    for seq in ("201", "202", "203"):
        with database.uow() as uow:
            register_borrower(
                uow, user, BorrowerIn.model_validate(borrower_fields(resident_id(seq=seq)))
            )
    _tamper(database, "DELETE FROM audit_log WHERE id = 2")
    with database.uow() as uow:
        report = audit_service.verify(uow)
    assert report.first_break is not None and report.first_break.record_id == 3
    assert "missing" in report.first_break.reason


def test_bulk_insert_round_trips_money(database: Database) -> None:
    frame = pd.DataFrame(
        {
            "id": [1, 2],
            "code": ["B01", "B02"],
            "name_zh": ["甲", "乙"],
            "name_en": ["A", "B"],
            "kind": ["town", "village"],
            "township": ["甲镇", "乙乡"],
        }
    )
    with database.uow() as uow:
        assert insert_frame(uow.session.connection(), "branches", frame) == 2
        uow.commit()
    with database.uow() as uow:
        assert [b.code for b in uow.branches.all()] == ["B01", "B02"]
        assert uow.session.get(BranchRow, 2).name_zh == "乙"  # type: ignore[union-attr]


def test_migrations_build_exactly_the_tables_in_code(database: Database) -> None:
    """Alembic's autogenerate finds nothing to add: the migrations and tables.py agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from mortgage_risk.storage.tables import Base

    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
