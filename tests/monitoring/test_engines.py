"""The same SQL on DuckDB and Spark: every output table identical on the same input."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mortgage_risk.monitoring.engines import DuckDBEngine, Engine, SparkEngine, create_engine
from mortgage_risk.monitoring.run import OUTPUT_FILES, RunResult, run_monitoring
from mortgage_risk.synth import generate_to_parquet
from tests.monitoring.test_indicators import AS_OF, build_book, handmade_set, hpi_step

SORT_KEYS = {
    "indicator_values": ["indicator_id", "borrower_id", "loan_id"],
    "signals": ["signal_id"],
    "warnings": ["warning_id"],
}
LIST_COLUMNS = ("indicator_ids", "families", "loan_ids")


def _normalised(result: RunResult, name: str) -> pd.DataFrame:
    frame = result.read(name)
    for col in LIST_COLUMNS:
        if col in frame.columns:
            frame[col] = frame[col].map(lambda xs: tuple(xs))
    out: pd.DataFrame = frame.sort_values(SORT_KEYS[name], kind="mergesort")
    return out.reset_index(drop=True)


def assert_same_outputs(a: RunResult, b: RunResult) -> None:
    for file in OUTPUT_FILES:
        name = file.removesuffix(".parquet")
        x, y = _normalised(a, name), _normalised(b, name)
        assert list(x.columns) == list(y.columns), name
        assert len(x) == len(y), name
        pd.testing.assert_frame_equal(x, y, check_exact=False, rtol=1e-9, atol=1e-12, obj=name)


@pytest.fixture(scope="module")
def synthetic_inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synth2000")
    generate_to_parquet(2000, 7, date(2026, 6, 30), folder)
    return folder


def test_duckdb_and_spark_agree_on_the_synthetic_book(
    spark: Any, synthetic_inputs: Path, tmp_path: Path
) -> None:
    duck = run_monitoring(synthetic_inputs, tmp_path / "duck", AS_OF)
    sparked = run_monitoring(synthetic_inputs, tmp_path / "spark", AS_OF,
                             engine=SparkEngine(spark))
    assert duck.engine == "duckdb" and sparked.engine == "spark"
    assert duck.counts["signals"] > 100 and duck.counts["warnings"] > 100
    assert duck.counts == sparked.counts
    assert_same_outputs(duck, sparked)


def test_duckdb_and_spark_agree_on_the_handmade_edge_cases(spark: Any, tmp_path: Path) -> None:
    inputs = build_book().write(tmp_path / "in")
    kwargs: dict[str, Any] = {"indicator_set": handmade_set(), "hpi": hpi_step(80.0, "2025-01")}
    duck = run_monitoring(inputs, tmp_path / "duck", AS_OF, **kwargs)
    sparked = run_monitoring(inputs, tmp_path / "spark", AS_OF, engine=SparkEngine(spark),
                             **kwargs)
    assert_same_outputs(duck, sparked)
    assert duck.counts["signals_capped_low_confidence"] == 2


def test_spark_engine_leaves_a_given_session_running(spark: Any, tmp_path: Path) -> None:
    pd.DataFrame({"a": [1, 2, 3]}).to_parquet(tmp_path / "t.parquet")
    eng = SparkEngine(spark)
    eng.register("t", tmp_path / "t.parquet")
    eng.materialize("t2", "SELECT a * 2 AS b FROM t")
    eng.append("t3", "SELECT b FROM t2 WHERE b > 2")
    eng.append("t3", "SELECT b + 100 AS b FROM t2 WHERE b = 2")
    assert sorted(eng.query("SELECT b FROM t3")["b"]) == [4, 6, 102]
    work = eng.work_dir
    eng.close()
    assert not work.exists()
    assert spark.sql("SELECT 1 AS x").collect()[0]["x"] == 1


def test_duckdb_engine_protocol(tmp_path: Path) -> None:
    pd.DataFrame({"a": [1, 2, 3]}).to_parquet(tmp_path / "t.parquet")
    eng = create_engine("duckdb")
    assert isinstance(eng, Engine) and isinstance(eng, DuckDBEngine)
    eng.register("t", tmp_path / "t.parquet")
    eng.materialize("t2", "SELECT a * 2 AS b FROM t")
    eng.append("t3", "SELECT b FROM t2 WHERE b > 2")
    eng.append("t3", "SELECT b + 100 AS b FROM t2 WHERE b = 2")
    assert sorted(eng.query("SELECT b FROM t3")["b"]) == [4, 6, 102]
    assert eng.query_arrow("SELECT COUNT(*) AS n FROM t").column("n")[0].as_py() == 3
    eng.drop("t3")
    with pytest.raises(Exception):  # noqa: B017 - duckdb raises its own catalog error
        eng.query("SELECT * FROM t3")
    eng.close()
    with pytest.raises(ValueError):
        create_engine("oracle")
