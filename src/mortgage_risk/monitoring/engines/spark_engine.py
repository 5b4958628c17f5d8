"""Apache Spark: the same SQL on a cluster (``master="spark://host:7077"``) or locally
(``local[*]``). Parquet files become temp views; derived tables are staged as Parquet."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


class SparkEngine:
    """Spark SQL over Parquet.

    Pass an existing ``session`` (it is left running on :meth:`close`) or a ``master`` URL to
    build one with ``SparkSession.builder.master(master)`` (stopped on :meth:`close` unless a
    session was already active).

    Derived tables (:meth:`materialize`, :meth:`append`) are written as Parquet under
    ``work_dir`` (default: a new local temporary folder; on a cluster pass a folder every
    executor can reach) and read back as views. Staging through files cuts the lineage, so the
    plans stay small; Spark's in-memory cache and local checkpoints were tried and fail on
    this workload (the nested plan strings exhaust the driver heap, and joins of local
    checkpoints hit attribute-rewriting errors).
    """

    dialect = "spark"

    def __init__(
        self,
        session: Any | None = None,
        *,
        master: str | None = None,
        app_name: str = "mortgage-risk-monitoring",
        config: dict[str, str] | None = None,
        work_dir: str | Path | None = None,
    ) -> None:
        if session is None:
            from pyspark.sql import SparkSession

            already = SparkSession.getActiveSession()
            builder = SparkSession.builder.master(master or "local[*]").appName(app_name)
            settings = {
                "spark.ui.enabled": "false",
                "spark.sql.session.timeZone": "UTC",
                "spark.sql.shuffle.partitions": "16",
                "spark.sql.adaptive.enabled": "true",
                "spark.sql.maxPlanStringLength": "100000",
            }
            settings.update(config or {})
            for key, value in settings.items():
                builder = builder.config(key, value)
            session = builder.getOrCreate()
            self._owns = already is None
        else:
            self._owns = False
        self.spark = session
        self._own_work = work_dir is None
        self.work_dir = Path(work_dir) if work_dir is not None else Path(
            tempfile.mkdtemp(prefix="mr-spark-")
        )
        self._parts: dict[str, list[str]] = {}
        self._seq = 0

    def register(self, name: str, parquet_path: str | Path) -> None:
        self.spark.read.parquet(str(parquet_path)).createOrReplaceTempView(name)

    def query(self, sql: str) -> pd.DataFrame:
        frame: pd.DataFrame = self.query_arrow(sql).to_pandas()
        return frame

    def query_arrow(self, sql: str) -> pa.Table:
        table: pa.Table = self.spark.sql(sql).toArrow()
        return table

    def write_parquet(self, sql: str, path: str | Path, schema: pa.Schema | None = None) -> int:
        """Collect through Arrow and write one Parquet file (zstd), cast to ``schema``."""
        table = self.query_arrow(sql)
        if schema is not None:
            table = table.select(schema.names).cast(schema)
        pq.write_table(table, path, compression="zstd", row_group_size=1_000_000)
        return int(table.num_rows)

    def _stage(self, name: str, sql: str) -> str:
        self._seq += 1
        path = str(self.work_dir / f"{name}-{self._seq:04d}")
        self.spark.sql(sql).write.mode("overwrite").parquet(path)
        return path

    def materialize(self, name: str, sql: str) -> None:
        path = self._stage(name, sql)
        self.drop(name)
        self._parts[name] = [path]
        self.spark.read.parquet(path).createOrReplaceTempView(name)

    def append(self, name: str, sql: str) -> None:
        path = self._stage(name, sql)
        parts = self._parts.setdefault(name, [])
        parts.append(path)
        self.spark.read.parquet(*parts).createOrReplaceTempView(name)

    def drop(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)
        for path in self._parts.pop(name, []):
            shutil.rmtree(path, ignore_errors=True)

    def close(self) -> None:
        for name in list(self._parts):
            with contextlib.suppress(Exception):
                self.drop(name)
        if self._own_work:
            shutil.rmtree(self.work_dir, ignore_errors=True)
        if self._owns:
            self.spark.stop()
