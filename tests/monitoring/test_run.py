"""The nightly run: atomic publication per as-of date, idempotent re-runs, killed runs."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from mortgage_risk.monitoring.indicators import load_indicator_set
from mortgage_risk.monitoring.run import (
    OUTPUT_FILES,
    RunError,
    as_of_folder,
    run_monitoring,
)
from mortgage_risk.monitoring.warnings import aggregate_warnings, dedupe_signals
from mortgage_risk.synth import generate_to_parquet

AS_OF = date(2026, 6, 30)


class Killed(Exception):
    pass


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("book")
    generate_to_parquet(800, 3, AS_OF, folder)
    return folder


def _digests(folder: Path) -> dict[str, str]:
    return {f: hashlib.sha256((folder / f).read_bytes()).hexdigest() for f in OUTPUT_FILES}


def _visible(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if not p.name.startswith("."))


def test_run_publishes_one_folder_with_outputs_and_manifest(inputs: Path, tmp_path: Path) -> None:
    stages: list[str] = []
    result = run_monitoring(inputs, tmp_path, AS_OF, progress=lambda s, d, t: stages.append(s))
    assert result.out_dir == as_of_folder(tmp_path, AS_OF)
    assert _visible(tmp_path) == ["as_of=2026-06-30"]
    assert sorted(p.name for p in result.out_dir.iterdir()) == sorted(
        [*OUTPUT_FILES, "manifest.json"]
    )
    manifest = json.loads((result.out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["indicator_set"]["version"] == "indicators-2026.2"
    assert manifest["as_of"] == "2026-06-30" and manifest["engine"] == "duckdb"
    assert manifest["counts"]["signals"] == len(result.read("signals"))
    assert manifest["counts"]["warnings"] == len(result.read("warnings"))
    assert manifest["inputs"]["repayments"]["rows"] > 0
    assert {"register", "views", "indicators", "signals", "write", "publish"} <= set(stages)
    assert not list(tmp_path.glob(".tmp-*"))
    values = result.read("indicator_values")
    assert not values.duplicated(["indicator_id", "borrower_id", "loan_id"]).any()
    assert (values["as_of"] == AS_OF).all()


def test_rerun_is_idempotent(inputs: Path, tmp_path: Path) -> None:
    first = run_monitoring(inputs, tmp_path, AS_OF)
    before = _digests(first.out_dir)
    frames = {n: first.read(n) for n in ("signals", "warnings")}
    second = run_monitoring(inputs, tmp_path, AS_OF)
    assert _visible(tmp_path) == ["as_of=2026-06-30"]
    assert _digests(second.out_dir) == before  # byte for byte
    assert len(second.read("signals")) == len(frames["signals"])
    assert not second.read("signals")["signal_id"].duplicated().any()
    assert not second.read("warnings")["borrower_id"].duplicated().any()
    assert first.counts == second.counts


def test_rerun_replaces_the_folder(inputs: Path, tmp_path: Path) -> None:
    run_monitoring(inputs, tmp_path, AS_OF)
    (as_of_folder(tmp_path, AS_OF) / "stray.txt").write_text("left from before")
    iset = load_indicator_set().with_enabled("BUR_DTI", False)
    again = run_monitoring(inputs, tmp_path, AS_OF, indicator_set=iset)
    assert not (again.out_dir / "stray.txt").exists()
    assert "BUR_DTI" not in set(again.read("indicator_values")["indicator_id"])


def test_other_dates_are_left_alone(inputs: Path, tmp_path: Path) -> None:
    run_monitoring(inputs, tmp_path, AS_OF)
    earlier = date(2026, 5, 31)
    result = run_monitoring(inputs, tmp_path, earlier)
    assert _visible(tmp_path) == ["as_of=2026-05-31", "as_of=2026-06-30"]
    assert (result.read("signals")["as_of"] == earlier).all()


@pytest.mark.parametrize("stage", ["views", "indicators", "write"])
def test_failed_run_leaves_no_partial_folder(inputs: Path, tmp_path: Path, stage: str) -> None:
    def boom(s: str, done: int, total: int) -> None:
        if s == stage and done == 2:
            raise Killed(s)

    with pytest.raises(Killed):
        run_monitoring(inputs, tmp_path, AS_OF, progress=boom)
    assert _visible(tmp_path) == []
    assert not list(tmp_path.glob(".tmp-*"))


def test_failed_rerun_keeps_the_last_good_result(inputs: Path, tmp_path: Path) -> None:
    good = run_monitoring(inputs, tmp_path, AS_OF)
    before = _digests(good.out_dir)

    def boom(s: str, done: int, total: int) -> None:
        if s == "write" and done == 2:  # indicator values and signals already written
            raise Killed(s)

    with pytest.raises(Killed):
        run_monitoring(inputs, tmp_path, AS_OF, progress=boom)
    assert _visible(tmp_path) == ["as_of=2026-06-30"]
    assert _digests(good.out_dir) == before


def test_hard_kill_leaves_only_a_temp_folder_cleaned_by_the_next_run(
    inputs: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    script = textwrap.dedent(
        f"""
        import os, signal
        from datetime import date
        from mortgage_risk.monitoring.run import run_monitoring

        def progress(stage, done, total):
            if stage == "write" and done == 2:
                os.kill(os.getpid(), signal.SIGKILL)

        run_monitoring({str(inputs)!r}, {str(out)!r}, date(2026, 6, 30), progress=progress)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=300)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    assert _visible(out) == []
    stale = list(out.glob(".tmp-as_of=2026-06-30-*"))
    assert len(stale) == 1 and (stale[0] / "signals.parquet").exists()
    result = run_monitoring(inputs, out, AS_OF)
    assert not stale[0].exists()
    assert _visible(out) == ["as_of=2026-06-30"]
    assert len(result.read("warnings")) == result.counts["warnings"]


def test_concurrent_run_of_the_same_date_is_refused(inputs: Path, tmp_path: Path) -> None:
    def nested(stage: str, done: int, total: int) -> None:
        if stage == "views" and done == 1:
            with pytest.raises(RunError, match="in progress"):
                run_monitoring(inputs, tmp_path, AS_OF)

    run_monitoring(inputs, tmp_path, AS_OF, progress=nested)
    assert _visible(tmp_path) == ["as_of=2026-06-30"]


def test_missing_inputs_are_reported(tmp_path: Path) -> None:
    pd.DataFrame({"id": [1]}).to_parquet(tmp_path / "loans.parquet")
    with pytest.raises(RunError, match="repayments"):
        run_monitoring(tmp_path, tmp_path / "out", AS_OF)


def test_sql_warnings_match_the_pandas_twin(inputs: Path, tmp_path: Path) -> None:
    result = run_monitoring(inputs, tmp_path, AS_OF)
    signals = result.read("signals")
    assert len(signals) > 50
    twin = aggregate_warnings(signals, AS_OF)
    sql = result.read("warnings")
    assert list(twin.columns) == list(sql.columns)
    for col in ("indicator_ids", "families", "loan_ids"):
        twin[col] = twin[col].map(lambda xs: tuple(x.item() if hasattr(x, "item") else x
                                                   for x in xs))
        sql[col] = sql[col].map(lambda xs: tuple(x.item() if hasattr(x, "item") else x
                                                 for x in xs))
    for col in twin.columns:
        assert twin[col].astype(str).tolist() == sql[col].astype(str).tolist(), col
    assert dedupe_signals(signals).shape == signals.shape
