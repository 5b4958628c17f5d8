"""The command line: set-up, bad input as one line with a non-zero exit, audit verify."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mortgage_risk.cli.main import app
from mortgage_risk.config import get_settings
from tests.helpers import borrower_fields, property_fields, resident_id

runner = CliRunner()
PASSWORD = "Str0ng-password!"


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("MORTGAGE_RISK_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("MORTGAGE_RISK_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    con = sqlite3.connect(path)
    con.execute("INSERT INTO branches (id, code, name_zh, name_en, kind, township) "
                "VALUES (1, 'B01', '城关信用社', 'Chengguan', 'county_town', '城关镇')")
    con.commit()
    con.close()
    result = runner.invoke(app, ["user", "add", "officer", "客户经理", "--role", "loan_officer",
                                 "--branch", "B01", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    yield path
    get_settings.cache_clear()


def _sets(fields: dict[str, object]) -> list[str]:
    args: list[str] = ["--as", "officer"]
    for key, value in fields.items():
        args += ["--set", f"{key}={value}"]
    return args


def _count(path: Path, table: str) -> int:
    con = sqlite3.connect(path)
    try:
        return int(con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        con.close()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"resident_id": "450321198506120011"}, "resident_id"),
     ({"household_income": "-1"}, "household_income"),
     ({"segment": "fisherman"}, "segment")],
)
def test_bad_borrower_is_one_line_and_writes_nothing(cli_db: Path, overrides: dict[str, str],
                                                     field: str) -> None:
    audits = _count(cli_db, "audit_log")
    result = runner.invoke(app, ["borrower", "add", *_sets({**borrower_fields(), **overrides})])
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: {field}:")
    assert _count(cli_db, "borrowers") == 0
    assert _count(cli_db, "audit_log") == audits


def test_property_checks_area_and_build_year(cli_db: Path) -> None:
    owner = resident_id()
    assert runner.invoke(app, ["borrower", "add", *_sets(borrower_fields(owner))]).exit_code == 0
    bad_area = runner.invoke(app, ["property", "add", *_sets(
        {**property_fields(owner), "floor_area": "-10"})])
    assert bad_area.exit_code == 1 and "floor_area" in bad_area.output
    late = runner.invoke(app, ["property", "add", *_sets(
        {**property_fields(owner), "build_year": "2030", "as_of": "2026-11-28"})])
    assert late.exit_code == 1 and "build_year" in late.output
    assert _count(cli_db, "properties") == 0
    good = runner.invoke(app, ["property", "add", *_sets(property_fields(owner))])
    assert good.exit_code == 0, good.output
    assert _count(cli_db, "properties") == 1


def test_audit_verify_names_the_edited_record(cli_db: Path) -> None:
    for seq in ("301", "302"):
        fields = borrower_fields(resident_id(seq=seq))
        assert runner.invoke(app, ["borrower", "add", *_sets(fields)]).exit_code == 0
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "intact: 3 records" in ok.output
    con = sqlite3.connect(cli_db)
    con.execute("UPDATE audit_log SET after = '{\"name\": \"李四\"}' WHERE id = 2")
    con.commit()
    con.close()
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "record 2" in broken.output


def test_unknown_role_is_refused(cli_db: Path) -> None:
    result = runner.invoke(app, ["user", "add", "x", "X", "--role", "chief", "--password",
                                 PASSWORD])
    assert result.exit_code == 1 and "role" in result.output


def test_help_everywhere() -> None:
    for args in ([], ["db"], ["audit"], ["generate"], ["borrower", "add"], ["serve"]):
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output
