"""`mortgage-risk monitor run`: export, indicators, warnings and classification, idempotent."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from mortgage_risk.cli.main import app
from mortgage_risk.config import get_settings
from mortgage_risk.services.demo import seed_portfolio
from mortgage_risk.storage.database import Database

runner = CliRunner()


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    var = tmp_path / "var"
    monkeypatch.setenv("MORTGAGE_RISK_VAR_DIR", str(var))
    monkeypatch.delenv("MORTGAGE_RISK_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    db = Database.connect(f"sqlite:///{var / 'mortgage_risk.db'}")
    db.upgrade()
    with db.uow() as uow:
        seed_portfolio(uow, actor="t", loans=600, seed=13, as_of=date(2026, 6, 30),
                       parquet_dir=None)
    db.dispose()
    yield var
    get_settings.cache_clear()


def test_run_twice_gives_the_same_results(var_dir: Path) -> None:
    first = runner.invoke(app, ["monitor", "run", "--as-of", "2026-06-30"])
    assert first.exit_code == 0, first.output
    folder = var_dir / "monitoring" / "as_of=2026-06-30"
    warnings = pd.read_parquet(folder / "warnings.parquet")
    signals = pd.read_parquet(folder / "signals.parquet")
    assert len(warnings) > 0 and warnings["borrower_id"].is_unique
    assert set(warnings["level"]) <= {"blue", "yellow", "orange", "red"}
    again = runner.invoke(app, ["monitor", "run", "--as-of", "2026-06-30"])
    assert again.exit_code == 0, again.output
    assert pd.read_parquet(folder / "signals.parquet").shape == signals.shape
    published = [p.name for p in (var_dir / "monitoring").iterdir() if not p.name.startswith(".")]
    assert published == ["as_of=2026-06-30"]
    assert "classes: normal" in again.output


def test_unknown_engine_is_refused(var_dir: Path) -> None:
    result = runner.invoke(app, ["monitor", "run", "--engine", "oracle"])
    assert result.exit_code == 1 and result.output.startswith("error: engine:")
