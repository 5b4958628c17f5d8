"""Starting the monitoring run from the web: a background job with visible progress, only for
the risk department; its result lands in the stored runs and the warnings board."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mortgage_risk.config import Settings
from mortgage_risk.services import demo
from mortgage_risk.storage.database import Database
from mortgage_risk.web import create_app
from mortgage_risk.web.jobs import JobRunner

AS_OF = date(2026, 6, 30)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("monitoring-web") / "book.db"
    db = Database.connect(f"sqlite:///{path}")
    db.upgrade()
    with db.uow() as uow:
        demo.seed_portfolio(uow, actor="test", loans=200, seed=5, as_of=AS_OF, parquet_dir=None)
    db.dispose()
    return path


@pytest.fixture
def app(book: Path, tmp_path: Path) -> Iterator[FastAPI]:
    shutil.copy(book, tmp_path / "book.db")
    db = Database.connect(f"sqlite:///{tmp_path / 'book.db'}")
    yield create_app(Settings(var_dir=tmp_path / "var", secret_key="test-secret-jobs"), db)
    db.dispose()


def _client(app: FastAPI, username: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    answer = client.post("/login", data={"username": username, "password": demo.DEMO_PASSWORD,
                                         "csrf_token": token.group(1)}, follow_redirects=False)
    assert answer.status_code == 303
    page = client.get("/monitoring")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    return client, found.group(1) if found else ""


def test_risk_manager_runs_monitoring_in_the_background(app: FastAPI) -> None:
    risk, csrf = _client(app, "risk")
    assert "开始运行" in risk.get("/monitoring").text
    started = risk.post("/monitoring/run", data={"csrf_token": csrf, "as_of": "2026-06-30",
                                                 "engine": "duckdb"}, follow_redirects=False)
    assert started.status_code == 303
    job_id = started.headers["location"].rsplit("/", 1)[1]
    runner: JobRunner = app.state.jobs
    job = runner.wait(job_id, timeout=120)
    assert job is not None and job.status == "done", job and job.error
    assert job.result is not None and job.result["as_of"] == "2026-06-30"
    assert job.done == job.total > 0  # the progress reached its end
    page = risk.get(f"/jobs/{job_id}")
    assert page.status_code == 200 and "已完成" in page.text and "<progress" in page.text
    assert risk.get(f"/api/v1/jobs/{job_id}").json()["status"] == "done"
    runs = risk.get("/api/v1/monitoring/runs").json()
    assert [r["as_of"] for r in runs] == ["2026-06-30"] and runs[0]["run_by"] == "risk"
    assert risk.get("/api/v1/warnings").json()["total"] == job.result["warnings"]


def test_others_may_not_start_it_and_bad_dates_are_refused(app: FastAPI) -> None:
    officer, csrf = _client(app, "officer1")
    assert "开始运行" not in officer.get("/monitoring").text
    refused = officer.post("/monitoring/run", data={"csrf_token": csrf, "as_of": "2026-06-30"})
    assert refused.status_code == 403
    assert officer.post("/api/v1/monitoring/runs", json={"as_of": "2026-06-30"}).status_code == 403
    risk, csrf = _client(app, "risk")
    future = risk.post("/monitoring/run", data={"csrf_token": csrf, "as_of": "2999-01-01"})
    assert future.status_code == 422 and "as_of" in future.text
    assert risk.post("/monitoring/run", data={"csrf_token": csrf,
                                              "as_of": "30/06/2026"}).status_code == 422
    assert app.state.jobs.recent() == []
    assert risk.get("/jobs/nope").status_code == 404
