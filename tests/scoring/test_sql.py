"""SQL export: the same scores and PDs in SQLite, DuckDB and PostgreSQL on 100,000 rows;
and Spark SQL in a local Spark session."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from mortgage_risk.scoring import Scorecard, to_sql
from tests.scoring.test_scorecard import binning, make_applications

N_ROWS = 100_000


@pytest.fixture(scope="module")
def case() -> tuple[Scorecard, pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    X, y = make_applications(20_000, seed=5)
    model = Scorecard(binning(), target_pd=0.05).fit(X, y)
    rows, _ = make_applications(N_ROWS, seed=6)
    rows.loc[rows.index[::997], "region"] = "never seen"  # unseen category -> missing bin
    rows.insert(0, "id", np.arange(N_ROWS, dtype=np.int64))
    return model, rows, model.score(rows), model.pd(rows), model.decision_function(rows)


def _check(result: pd.DataFrame, score: np.ndarray, pd_: np.ndarray, lp: np.ndarray) -> None:
    result = result.sort_values("id")
    assert len(result) == N_ROWS
    np.testing.assert_array_equal(result["score"].to_numpy(dtype=np.int64), score)
    np.testing.assert_allclose(result["lp"].to_numpy(dtype=float), lp, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result["pd"].to_numpy(dtype=float), pd_, rtol=1e-12, atol=0)


def test_sqlite(case: tuple[Scorecard, pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]
                ) -> None:
    model, rows, score, pd_, lp = case
    con = sqlite3.connect(":memory:")
    rows.to_sql("applications", con, index=False)
    sql = to_sql(model, "applications", "sqlite", keep_columns=["id"])
    result = pd.read_sql_query(sql, con)
    _check(result, score, pd_, lp)
    no_pd = pd.read_sql_query(to_sql(model, dialect="sqlite", keep_columns=["id"],
                                     include_pd=False), con)
    assert "pd" not in no_pd.columns


def test_duckdb_and_spark_text(case: tuple[Scorecard, pd.DataFrame, np.ndarray, np.ndarray,
                                           np.ndarray]) -> None:
    model, rows, score, pd_, lp = case
    con = duckdb.connect()
    con.register("rows_df", rows)
    con.execute("CREATE TABLE applications AS SELECT * FROM rows_df")
    _check(con.execute(to_sql(model, "applications", "duckdb", keep_columns=["id"])).df(),
           score, pd_, lp)
    spark = to_sql(model, "applications", "spark", keep_columns=["id"])
    assert "`ltv ratio`" in spark and "AS STRING" in spark and "isnan(" in spark
    assert '"' not in spark.replace("'", "")  # identifiers use backticks only
    # Spark's constructs (CASE, IN, CAST AS STRING/DOUBLE, isnan, EXP) all exist in DuckDB:
    as_duckdb = spark.replace("`", '"')
    _check(con.execute(as_duckdb).df(), score, pd_, lp)


def test_postgresql(case: tuple[Scorecard, pd.DataFrame, np.ndarray, np.ndarray, np.ndarray],
                    postgres_url: str) -> None:
    psycopg = pytest.importorskip("psycopg")
    model, rows, score, pd_, lp = case
    table = f"apps_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url.replace("postgresql+psycopg", "postgresql"),
                         autocommit=True) as conn:
        conn.execute(f'CREATE TABLE "{table}" (id bigint, "ltv ratio" double precision, '
                     "income double precision, age double precision, region text, "
                     "noise double precision)")
        records = rows.astype(object).where(rows.notna(), None).itertuples(index=False)
        with conn.cursor().copy(f'COPY "{table}" FROM STDIN') as copy:
            for record in records:
                copy.write_row(record)
        with conn.cursor() as cur:
            cur.execute(to_sql(model, table, "postgresql", keep_columns=["id"]))
            names = [d.name for d in cur.description]
            result = pd.DataFrame(cur.fetchall(), columns=names)
        conn.execute(f'DROP TABLE "{table}"')
    _check(result, score, pd_, lp)


def test_sql_text_rules(case: tuple[Scorecard, pd.DataFrame, np.ndarray, np.ndarray,
                                    np.ndarray]) -> None:
    model = case[0]
    sql = to_sql(model, "risk.applications", "postgresql")
    assert 'FROM "risk"."applications"' in sql
    assert sql.count("CASE") == 2 * len(model.features_)
    assert "'o''west'" in sql  # string literal escaping
    assert "IS NULL" in sql and "IN (-1.0e0)" in sql
    with pytest.raises(ValueError, match="dialect"):
        to_sql(model, dialect="oracle")


def test_nan_goes_to_the_missing_bin_in_duckdb(
        case: tuple[Scorecard, pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]) -> None:
    model = case[0]
    con = duckdb.connect()
    con.execute('CREATE TABLE applications (id BIGINT, "ltv ratio" DOUBLE, income DOUBLE, '
                "age DOUBLE, region VARCHAR, noise DOUBLE)")
    con.execute("INSERT INTO applications VALUES (1, 'NaN'::DOUBLE, 30000, 40, 'north', 0), "
                "(2, NULL, 30000, 40, 'north', 0)")
    result = con.execute(to_sql(model, dialect="duckdb", keep_columns=["id"])).df()
    assert result["score"].nunique() == 1
    frame = pd.DataFrame({"ltv ratio": [np.nan], "income": [30000.0], "age": [40.0],
                          "region": ["north"], "noise": [0.0]})
    assert int(result["score"].iloc[0]) == int(model.score(frame)[0])


def test_spark(case: tuple[Scorecard, pd.DataFrame, np.ndarray, np.ndarray, np.ndarray],
               spark: Any) -> None:
    model, rows, score, pd_, lp = case
    spark.createDataFrame(rows).createOrReplaceTempView("applications")
    result = spark.sql(to_sql(model, "applications", "spark", keep_columns=["id"])).toPandas()
    _check(result, score, pd_, lp)
