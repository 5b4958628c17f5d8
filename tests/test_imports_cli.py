"""`mortgage-risk import ...` against a temporary SQLite book: summaries, quarantine, listing,
refusals as one line, an HTTP pull and the house price index files."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from mortgage_risk.cli.common import console
from mortgage_risk.cli.main import app
from mortgage_risk.config import get_settings
from mortgage_risk.storage.database import Database
from tests.monitoring.test_ingest import ID_ZHANG, _Handler, server  # noqa: F401
from tests.test_imports_service import GOOD_CSV, MIXED_CSV, seed_book

runner = CliRunner()


@pytest.fixture
def cli_book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    var = tmp_path / "var"
    path = var / "mortgage_risk.db"
    monkeypatch.setenv("MORTGAGE_RISK_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("MORTGAGE_RISK_VAR_DIR", str(var))
    monkeypatch.setenv("MORTGAGE_RISK_AS_OF", "2026-06-30")
    get_settings.cache_clear()
    db = Database.connect(f"sqlite:///{path}")
    db.upgrade()
    seed_book(db)
    db.dispose()
    yield path
    get_settings.cache_clear()


def _count(path: Path, table: str, where: str = "1=1") -> int:
    con = sqlite3.connect(path)
    try:
        return int(con.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}").fetchone()[0])
    finally:
        con.close()


def _json(args: list[str]) -> Any:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _one_line_error(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def test_repayments_summary_then_a_reimport_adds_nothing(cli_book: Path, tmp_path: Path) -> None:
    file = tmp_path / "repayments.csv"
    file.write_text(GOOD_CSV, encoding="utf-8")
    first = runner.invoke(app, ["import", "repayments", str(file), "--as", "risk"])
    assert first.exit_code == 0, first.output
    assert "repayments: 3 read, 3 accepted, 0 rejected, 0 duplicates" in first.output
    assert _count(cli_book, "repayments") == 3
    again = _json(["import", "repayments", str(file), "--as", "admin", "--json"])
    assert (again["accepted"], again["rejected"], again["duplicates"]) == (0, 0, 3)
    assert [r["kind"] for r in again["rejections"]] == ["duplicate"] * 3
    assert _count(cli_book, "repayments") == 3
    assert _count(cli_book, "audit_log", "entity = 'import_batch'") == 2


def test_quarantine_is_shown_and_read_back_by_batch(cli_book: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "_width", 200)  # a wide terminal: table cells on one line
    (tmp_path / "good.csv").write_text(GOOD_CSV, encoding="utf-8")
    (tmp_path / "mixed.csv").write_text(MIXED_CSV, encoding="utf-8")
    _json(["import", "repayments", str(tmp_path / "good.csv"), "--as", "risk", "--json"])
    shown = runner.invoke(app, ["import", "repayments", str(tmp_path / "mixed.csv"),
                                "--as", "risk"])
    assert shown.exit_code == 0, shown.output
    assert "3 accepted, 4 rejected, 2 duplicates" in shown.output
    assert "unknown loan 999" in shown.output and "broken CSV quoting" in shown.output
    batch = _json(["import", "list", "--as", "audit", "--json"])[0]
    assert (batch["feed"], batch["accepted"], batch["rejected"]) == ("repayments", 3, 4)
    detail = _json(["import", "rejections", str(batch["id"]), "--as", "audit", "--json"])
    assert [(r["line"], r["field"]) for r in detail["rejections"]] == [
        (4, "loan_id"), (5, "amount_paid"), (6, "paid_date"), (7, "loan_id,period_no"),
        (8, "<record>"), (9, "loan_id,period_no")]
    page = _json(["import", "rejections", str(batch["id"]), "--as", "audit", "--json",
                  "--limit", "2", "--offset", "2"])
    assert [r["line"] for r in page["rejections"]] == [6, 7] and page["rejections_total"] == 6
    table = runner.invoke(app, ["import", "rejections", str(batch["id"]), "--as", "audit"])
    assert table.exit_code == 0, table.output
    assert "must not be negative" in table.output and '"amount_paid": "-5.00"' in table.output
    listed = runner.invoke(app, ["import", "list", "--as", "risk", "--feed", "repayments"])
    assert listed.exit_code == 0 and str(tmp_path / "mixed.csv") in listed.output


def test_refusals_and_bad_input_are_one_line_and_write_nothing(cli_book: Path,
                                                               tmp_path: Path) -> None:
    file = tmp_path / "repayments.csv"
    file.write_text(GOOD_CSV, encoding="utf-8")
    refused = _one_line_error(["import", "repayments", str(file), "--as", "officer"])
    assert refused.startswith("error: needs the role risk_manager, admin")
    assert _one_line_error(["import", "list", "--as", "officer"]).startswith("error: needs")
    assert _one_line_error(["import", "repayments", str(file), "--as", "nobody"]).startswith(
        "error: --as: no active user")
    assert _one_line_error(["import", "repayments", str(file), "--as", "risk", "--as-of",
                            "30/06/2026"]).startswith("error: as_of:")
    garbage = tmp_path / "repayments.parquet"
    garbage.write_bytes(b"PAR1 but not really")
    assert _one_line_error(["import", "repayments", str(garbage), "--as", "risk"]).startswith(
        "error: file: cannot read repayments.parquet")
    assert _one_line_error(["import", "events", "weather", str(file), "--as", "risk"]
                           ).startswith("error: feed: 'weather' is not an external feed")
    assert _one_line_error(["import", "events", "lawsuits", "http://127.0.0.1:9/x", "--as",
                            "risk", "--auth-env", "NO_SUCH_TOKEN_VAR"]).startswith(
        "error: auth_env:")
    assert _one_line_error(["import", "rejections", "99", "--as", "risk"]).startswith(
        "error: batch_id: no import batch 99")
    assert _count(cli_book, "import_batches") == 0 and _count(cli_book, "repayments") == 0


def test_events_pulled_over_http(cli_book: Path, server: str,  # noqa: F811
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEED_TOKEN", _Handler.token)
    args = ["import", "events", "dishonest_debtors", f"{server}/paged?token=x", "--as", "risk",
            "--auth-env", "FEED_TOKEN", "--page-param", "page", "--json"]
    first = _json(args)
    assert (first["accepted"], first["match_counts"]) == (6, {"resident_id": 6})
    assert first["source"] == f"{server}/paged"  # the query string is not kept
    assert _count(cli_book, "external_events", "match_confidence = 'resident_id'") == 6
    assert _json(args)["duplicates"] == 6
    assert _count(cli_book, "external_events") == 6


def test_event_file_with_a_name_only_match(cli_book: Path, tmp_path: Path) -> None:
    rows = [{"source": "wenshu", "source_record_id": "N1", "event_date": "2026-04-01",
             "subject_name": "李四", "record_type": "filing", "role": "defendant",
             "case_no": "(2026)桂0302民初1号"},
            {"source": "wenshu", "source_record_id": "N2", "event_date": "2026-04-01",
             "subject_name": "张三", "subject_resident_id": ID_ZHANG, "record_type": "filing",
             "role": "defendant", "case_no": "(2026)桂0302民初2号"}]
    file = tmp_path / "lawsuits.json"
    file.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(app, ["import", "events", "lawsuits", str(file), "--as", "risk"])
    assert result.exit_code == 0, result.output
    assert "name_only 1, resident_id 1" in result.output
    assert ID_ZHANG not in result.output
    assert _count(cli_book, "external_events",
                  "match_confidence = 'name_only' AND level_cap = 'blue'") == 1


def test_house_price_index_lands_in_the_var_folder(cli_book: Path, tmp_path: Path) -> None:
    file = tmp_path / "hpi.csv"
    file.write_text("month,city,house_type,segment,value\n2026-06,桂林,二手房,整体,92.5\n",
                    encoding="utf-8")
    summary = _json(["import", "hpi", str(file), "--as", "risk", "--json"])
    assert summary["accepted"] == 1
    run_input = cli_book.parent / "book" / "house_price_index.parquet"
    assert str(run_input) in summary["files"]
    series = pd.read_parquet(run_input)
    assert series.loc[series["month"] == "2026-06", "value"].tolist() == [92.5]
