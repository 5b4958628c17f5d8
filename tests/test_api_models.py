"""/api/v1 for the scorecard registry and application scores, on a small seeded book."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mortgage_risk.config import Settings
from mortgage_risk.services.demo import DEMO_PASSWORD, seed_portfolio
from mortgage_risk.services.models import shipped_artifact
from mortgage_risk.storage.database import Database
from mortgage_risk.web.app import create_app


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path = tmp_path_factory.mktemp("api-models") / "book.db"
    db = Database.connect(f"sqlite:///{path}")
    db.upgrade()
    with db.uow() as uow:
        seed_portfolio(uow, actor="test", loans=1500, seed=8, as_of=date(2026, 6, 30),
                       parquet_dir=None)
    yield db
    db.dispose()


def _client(db: Database, tmp_path: Path, username: str) -> TestClient:
    settings = Settings(var_dir=tmp_path / "var", secret_key="test-secret-key-api-models")
    client = TestClient(create_app(settings, db))
    answer = client.post("/api/v1/session", json={"username": username,
                                                  "password": DEMO_PASSWORD})
    assert answer.status_code == 200, answer.text
    return client


def test_model_lifecycle_through_the_api(book: Database, tmp_path: Path) -> None:
    modeller = _client(book, tmp_path, "modeller")
    risk = _client(book, tmp_path, "risk")
    officer = _client(book, tmp_path, "officer1")
    artifact = json.loads(shipped_artifact())
    refused = officer.post("/api/v1/models", json={"artifact": artifact})
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["reason"]
    created = modeller.post("/api/v1/models", json={"artifact": artifact})
    assert created.status_code == 201, created.text
    version = created.json()["version"]
    assert created.json()["status"] == "trained"
    validated = modeller.post(f"/api/v1/models/{version}/validate")
    assert validated.status_code == 200 and validated.json()["auc"] > 0.6
    own = modeller.post(f"/api/v1/models/{version}/approve")
    assert own.status_code == 409 and "trainer" in own.json()["errors"][0]["reason"]
    assert risk.post(f"/api/v1/models/{version}/approve").json()["approved_by"] == "risk"
    assert risk.post(f"/api/v1/models/{version}/activate").json()["status"] == "active"
    listed = officer.get("/api/v1/models").json()
    assert [m["status"] for m in listed] == ["active"]
    score = risk.post("/api/v1/applications/1/score")
    assert score.status_code == 201, score.text
    body = score.json()
    assert body["model_version"] == version and 0 < float(body["pd"]) < 1


def test_tampered_artifact_is_422_naming_the_field(book: Database, tmp_path: Path) -> None:
    modeller = _client(book, tmp_path, "modeller")
    artifact = json.loads(shipped_artifact())
    artifact["intercept"]["estimate"] = 0.0
    answer = modeller.post("/api/v1/models", json={"artifact": artifact})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "artifact"
    assert "checksum" in answer.json()["errors"][0]["reason"]
