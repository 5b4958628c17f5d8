"""SQL engines for the monitoring run: DuckDB (embedded default) and Spark."""

from __future__ import annotations

from mortgage_risk.monitoring.engines.base import Engine
from mortgage_risk.monitoring.engines.duckdb_engine import DuckDBEngine
from mortgage_risk.monitoring.engines.spark_engine import SparkEngine

ENGINE_NAMES = ("duckdb", "spark")


def create_engine(name: str = "duckdb", *, master: str | None = None) -> Engine:
    """A new engine by name: ``"duckdb"`` (in process) or ``"spark"`` (``master`` URL, default
    ``local[*]``)."""
    if name == "duckdb":
        return DuckDBEngine()
    if name == "spark":
        return SparkEngine(master=master)
    raise ValueError(f"unknown engine {name!r}; expected one of {ENGINE_NAMES}")


__all__ = ["ENGINE_NAMES", "DuckDBEngine", "Engine", "SparkEngine", "create_engine"]
