"""`mortgage-risk classify --loans FILE --as-of DATE --json`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from mortgage_risk.cli.main import app
from mortgage_risk.synth import generate

runner = CliRunner()


def test_classify_a_loans_file(tmp_path: Path) -> None:
    book = generate(800, 9, date(2026, 11, 28))
    path = tmp_path / "loans.parquet"
    book.loans.to_parquet(path)
    result = runner.invoke(app, ["classify", "--loans", str(path), "--as-of", "2026-11-28",
                                 "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["loans"] == 800 and sum(body["counts"].values()) == 800
    expected = book.loans.set_index("id")["five_category"]
    got = {row["loan_id"]: row["category"] for row in body["classification"]}
    assert all(got[i] == expected[i] for i in expected.index)


def test_missing_column_and_bad_date(tmp_path: Path) -> None:
    book = generate(50, 9, date(2026, 11, 28))
    path = tmp_path / "loans.csv"
    book.loans.drop(columns=["days_past_due"]).to_csv(path, index=False)
    result = runner.invoke(app, ["classify", "--loans", str(path), "--as-of", "2026-11-28"])
    assert result.exit_code == 1 and "days_past_due" in result.output
    bad = runner.invoke(app, ["classify", "--loans", str(path), "--as-of", "28/11/2026"])
    assert bad.exit_code == 1 and bad.output.startswith("error: as_of:")
