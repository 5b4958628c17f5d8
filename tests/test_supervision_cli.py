"""`mortgage-risk supervise run | sample | report` on a small book with hand-made loan files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mortgage_risk.cli.main import app
from mortgage_risk.config import get_settings
from mortgage_risk.storage.database import Database
from tests.test_supervision_service import SPECS, Book, make_book, seed

runner = CliRunner()


@pytest.fixture
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Book]:
    var = tmp_path / "var"
    monkeypatch.setenv("MORTGAGE_RISK_VAR_DIR", str(var))
    monkeypatch.delenv("MORTGAGE_RISK_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    db = Database.connect(f"sqlite:///{var / 'mortgage_risk.db'}")
    db.upgrade()
    made = make_book(seed(db))
    db.dispose()
    yield made
    get_settings.cache_clear()


def _json(args: list[str]) -> dict[str, Any]:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def test_run_prints_the_findings_summary_as_json(book: Book) -> None:
    summary = _json(["supervise", "run", "--as-of", "2026-06-30", "--json", "--as", "audit"])
    expected: dict[str, int] = {}
    for _, checks in SPECS.values():
        for check in checks:
            expected[check] = expected.get(check, 0) + 1
    expected.update(SC08=1, SC09=1)
    assert summary["opened_by_check"] == dict(sorted(expected.items()))
    assert summary["opened"] == sum(expected.values())
    assert summary["opened_by_severity"] == {"critical": 2, "high": 6, "medium": 3, "low": 0}
    assert summary["files_checked"] == 300 + len(SPECS)
    assert summary["checkset_version"] == "supervision-checks-2026.1"
    assert summary["audit_chain"]["intact"] is True
    assert "statistics" not in summary
    again = _json(["supervise", "run", "--as-of", "2026-06-30", "--json", "--as", "audit"])
    assert again["opened"] == 0 and again["already_open"] == summary["opened"]
    assert again["open_findings"] == summary["open_findings"]


def test_run_as_a_table_and_refusals(book: Book) -> None:
    result = runner.invoke(app, ["supervise", "run", "--as-of", "2026-06-30", "--as", "risk"])
    assert result.exit_code == 0, result.output
    assert "by severity" in result.output and "SC06" in result.output
    assert "audit chain" in result.output
    refused = runner.invoke(app, ["supervise", "run", "--as", "officer1"])
    assert refused.exit_code == 1 and "error: role:" in refused.output
    future = runner.invoke(app, ["supervise", "run", "--as-of", "2999-01-01", "--as", "audit"])
    assert future.exit_code == 1 and "as_of: must not be in the future" in future.output
    nobody = runner.invoke(app, ["supervise", "run", "--as", "ghost"])
    assert nobody.exit_code == 1 and "--as: no active user" in nobody.output


def test_sample_is_reproducible_and_the_report_is_written(book: Book, tmp_path: Path) -> None:
    args = ["supervise", "sample", "--method", "risk", "--n", "8", "--seed", "42", "--as-of",
            "2026-06-30", "--as", "audit", "--json"]
    first, second = _json(args), _json(args)
    keys = [i["file_key"] for i in first["items"]]
    assert len(keys) == 8 and keys == [i["file_key"] for i in second["items"]]
    table = runner.invoke(app, args[:-1])
    assert table.exit_code == 0 and "seed 42" in table.output
    bad = runner.invoke(app, ["supervise", "sample", "--method", "guess", "--n", "8", "--seed",
                              "1", "--as", "audit"])
    assert bad.exit_code == 1 and "method: must be random or risk" in bad.output
    runner.invoke(app, ["supervise", "run", "--as-of", "2026-06-30", "--as", "audit"])
    out = tmp_path / "q2.html"
    written = runner.invoke(app, ["supervise", "report", "--quarter", "2026Q2", "--out", str(out),
                                  "--as", "audit"])
    assert written.exit_code == 0, written.output
    html = out.read_text(encoding="utf-8")
    assert "贷后监督季度报告" in html and "supervision-checks-2026.1" in html
    wrong = runner.invoke(app, ["supervise", "report", "--quarter", "Q7", "--out", str(out),
                                "--as", "audit"])
    assert wrong.exit_code == 1 and "quarter:" in wrong.output
