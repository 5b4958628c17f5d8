"""/api/v1/imports: uploads and JSON records, the quarantine in the answer and read back, roles,
error bodies."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from mortgage_risk.config import Settings
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.tables import ExternalEventRow, ImportBatchRow, RepaymentRow
from mortgage_risk.web.app import create_app
from tests.monitoring.test_ingest import ID_ZHANG
from tests.test_imports_service import GOOD_CSV, MIXED_CSV, PASSWORD, seed_book


@pytest.fixture
def book(sqlite_database: Database) -> Database:
    seed_book(sqlite_database)
    return sqlite_database


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", secret_key="test-secret-key-api-imports",
                    as_of="2026-06-30")


def _client(db: Database, settings: Settings, username: str | None) -> TestClient:
    client = TestClient(create_app(settings, db))
    if username is not None:
        answer = client.post("/api/v1/session", json={"username": username,
                                                      "password": PASSWORD})
        assert answer.status_code == 200, answer.text
    return client


@pytest.fixture
def risk(book: Database, settings: Settings) -> Iterator[TestClient]:
    with _client(book, settings, "risk") as client:
        yield client


def _count(db: Database, model: type) -> int:
    with db.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def _upload(client: TestClient, feed: str, name: str, data: bytes, **params: str) -> object:
    return client.post(f"/api/v1/imports/{feed}", params={"as_of": "2026-06-30", **params},
                       files={"file": (name, data, "application/octet-stream")})


def test_upload_keeps_good_rows_and_returns_the_quarantine(risk: TestClient,
                                                           book: Database) -> None:
    assert _upload(risk, "repayments", "good.csv", GOOD_CSV.encode()).status_code == 201
    answer = _upload(risk, "repayments", "mixed.csv", MIXED_CSV.encode())
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["total"], body["accepted"], body["rejected"], body["duplicates"]) == (9, 3, 4, 2)
    assert body["source"] == "upload:mixed.csv" and len(body["sha256"]) == 64
    assert [(r["line"], r["kind"], r["field"]) for r in body["rejections"]] == [
        (4, "rejected", "loan_id"), (5, "rejected", "amount_paid"),
        (6, "rejected", "paid_date"), (8, "rejected", "<record>"),
        (7, "duplicate", "loan_id,period_no"), (9, "duplicate", "loan_id,period_no")]
    assert _count(book, RepaymentRow) == 6

    listed = risk.get("/api/v1/imports").json()
    assert [b["id"] for b in listed] == [body["id"], body["id"] - 1]
    page = risk.get(f"/api/v1/imports/{body['id']}", params={"limit": 2, "offset": 1}).json()
    assert page["rejections_total"] == 6
    assert [r["line"] for r in page["rejections"]] == [5, 6]
    assert "must not be negative" in page["rejections"][0]["reason"]


def test_a_parquet_upload_and_a_reupload(risk: TestClient, book: Database) -> None:
    table = pa.table({"loan_id": [101, 102], "period_no": [1, 1],
                      "due_date": ["2026-01-20", "2026-01-20"],
                      "amount_due": ["3000.00", "2500.50"], "amount_paid": ["3000.00", "0"],
                      "paid_date": ["2026-01-20", None], "days_past_due": [0, 31]})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    first = _upload(risk, "repayments", "book.parquet", sink.getvalue())
    assert first.status_code == 201, first.text
    assert first.json()["accepted"] == 2
    again = _upload(risk, "repayments", "book.parquet", sink.getvalue()).json()
    assert (again["accepted"], again["duplicates"]) == (0, 2)
    assert again["sha256"] == first.json()["sha256"]
    assert _count(book, RepaymentRow) == 2


def test_json_records_of_an_event_feed(risk: TestClient, book: Database) -> None:
    records = [
        {"source": "wenshu", "source_record_id": "J1", "event_date": "2026-04-01",
         "subject_name": "张三", "subject_resident_id": ID_ZHANG, "record_type": "judgment",
         "role": "defendant", "case_no": "(2026)桂0302民初1号"},
        {"source": "wenshu", "source_record_id": "J2", "event_date": "2026-04-01",
         "subject_name": "李四", "record_type": "filing", "role": "defendant",
         "case_no": "(2026)桂0302民初2号"},
        {"source": "wenshu", "source_record_id": "J3", "event_date": "2026-04-01",
         "subject_name": "张三", "subject_resident_id": ID_ZHANG, "record_type": "appeal",
         "role": "defendant", "case_no": "(2026)桂0302民初3号"},
        "not a record",
    ]
    answer = risk.post("/api/v1/imports/lawsuits", params={"as_of": "2026-06-30"},
                       json={"records": records, "source": "court-batch-7"})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["source"] == "api:court-batch-7"
    assert (body["accepted"], body["rejected"]) == (2, 2)
    assert body["match_counts"] == {"resident_id": 1, "name_only": 1}
    assert [(r["line"], r["field"]) for r in body["rejections"]] == [(3, "record_type"),
                                                                      (4, "<record>")]
    assert ID_ZHANG not in answer.text
    assert _count(book, ExternalEventRow) == 2
    again = risk.post("/api/v1/imports/lawsuits", json=records[:2]).json()
    assert (again["accepted"], again["duplicates"]) == (0, 2)


def test_house_price_index_records_write_the_var_files(risk: TestClient,
                                                       settings: Settings) -> None:
    answer = risk.post("/api/v1/imports/house_price_index", json=[
        {"month": "2026-06", "city": "桂林", "house_type": "二手房", "segment": "整体",
         "value": 92.5}])
    assert answer.status_code == 201, answer.text
    assert sorted(answer.json()["files"]) == ["book/house_price_index.parquet",
                                              "market/house_price_index.parquet"]
    assert (settings.var_dir / "book" / "house_price_index.parquet").is_file()


def test_roles(book: Database, settings: Settings) -> None:
    with _client(book, settings, None) as anonymous:
        answer = _upload(anonymous, "repayments", "good.csv", GOOD_CSV.encode())
        assert answer.status_code == 401
        assert answer.json() == {"errors": [{"field": None, "reason": "login required"}]}
    with _client(book, settings, "officer") as officer:
        answer = _upload(officer, "repayments", "good.csv", GOOD_CSV.encode())
        assert answer.status_code == 403
        assert "risk_manager" in answer.json()["errors"][0]["reason"]
        assert officer.get("/api/v1/imports").status_code == 403
    with _client(book, settings, "audit") as supervisor:
        assert _upload(supervisor, "repayments", "good.csv", GOOD_CSV.encode()
                       ).status_code == 403
        assert supervisor.get("/api/v1/imports").json() == []
    with _client(book, settings, "admin") as admin:
        assert _upload(admin, "repayments", "good.csv", GOOD_CSV.encode()).status_code == 201
    assert _count(book, ImportBatchRow) == 1 and _count(book, RepaymentRow) == 3


@pytest.mark.parametrize(("send", "status", "field"), [
    ({"files": {"file": ("r.xls", b"x", "application/octet-stream")}}, 422, "format"),
    ({"files": {"other": ("r.csv", b"x", "text/csv")}}, 422, "file"),
    ({"files": {"file": ("r.parquet", b"not parquet", "application/octet-stream")}}, 422,
     "file"),
    ({"json": {"rows": []}}, 422, "records"),
    ({"content": b"[{broken", "headers": {"content-type": "application/json"}}, 422,
     "records"),
    ({"content": b"loan_id\n1", "headers": {"content-type": "text/csv"}}, 415, None),
])
def test_bad_requests_name_the_field_and_write_nothing(
        risk: TestClient, book: Database, send: dict[str, object], status: int,
        field: str | None) -> None:
    answer = risk.post("/api/v1/imports/repayments", **send)  # type: ignore[arg-type]
    assert answer.status_code == status, answer.text
    error = answer.json()["errors"][0]
    assert error["field"] == field and error["reason"]
    assert _count(book, ImportBatchRow) == 0


def test_unknown_feed_and_batch(risk: TestClient) -> None:
    feed = risk.post("/api/v1/imports/weather", json=[])
    assert feed.status_code == 422 and feed.json()["errors"][0]["field"] == "feed"
    missing = risk.get("/api/v1/imports/42")
    assert missing.status_code == 404
    assert missing.json()["errors"][0] == {"field": "batch_id", "reason": "no import batch 42"}


def test_the_schema_documents_both_bodies(risk: TestClient) -> None:
    schema = risk.get("/api/openapi.json").json()
    body = schema["paths"]["/api/v1/imports/{feed}"]["post"]["requestBody"]["content"]
    assert set(body) == {"multipart/form-data", "application/json"}
    assert "/api/v1/imports/{batch_id}" in schema["paths"]
