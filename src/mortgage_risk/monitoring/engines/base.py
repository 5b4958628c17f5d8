"""The engine protocol: the same SQL text (after dialect macro expansion) on any engine."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import pandas as pd
import pyarrow as pa


@runtime_checkable
class Engine(Protocol):
    """A SQL engine over Parquet files.

    ``dialect`` names the macro expansion of :func:`mortgage_risk.monitoring.indicators.render_sql`
    (``"duckdb"`` or ``"spark"``).
    """

    dialect: str

    def register(self, name: str, parquet_path: str | Path) -> None:
        """Expose a Parquet file (or folder of files) as the view ``name``."""
        ...

    def query(self, sql: str) -> pd.DataFrame:
        """Run a SELECT and return its rows as a pandas DataFrame."""
        ...

    def query_arrow(self, sql: str) -> pa.Table:
        """Run a SELECT and return its rows as an Arrow table (for bulk writing)."""
        ...

    def write_parquet(self, sql: str, path: str | Path, schema: pa.Schema | None = None) -> int:
        """Write the rows of a SELECT to one Parquet file (cast to ``schema`` where the engine
        needs it); returns the number of rows."""
        ...

    def materialize(self, name: str, sql: str) -> None:
        """Compute a SELECT once and keep it as the table or cached view ``name``."""
        ...

    def append(self, name: str, sql: str) -> None:
        """Append the rows of a SELECT to ``name`` (created by the first call)."""
        ...

    def drop(self, name: str) -> None:
        """Forget a view or table (no error if absent)."""
        ...

    def close(self) -> None:
        """Release the engine's resources (a Spark session is stopped only if it owns it)."""
        ...
