"""The imports page: a file imported in the background with its progress, the batch and its
quarantined rows; only the risk department imports."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from mortgage_risk.config import Settings
from mortgage_risk.services import demo
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.tables import LoanRow, RepaymentRow
from mortgage_risk.web import create_app


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("imports-web") / "book.db"
    db = Database.connect(f"sqlite:///{path}")
    db.upgrade()
    with db.uow() as uow:
        demo.seed_portfolio(uow, actor="test", loans=60, seed=8, as_of=date(2026, 6, 30),
                            parquet_dir=None)
    db.dispose()
    return path


@pytest.fixture
def app(book: Path, tmp_path: Path) -> Iterator[FastAPI]:
    shutil.copy(book, tmp_path / "book.db")
    db = Database.connect(f"sqlite:///{tmp_path / 'book.db'}")
    yield create_app(Settings(var_dir=tmp_path / "var", secret_key="test-secret-imports",
                              as_of=date(2026, 6, 30)), db)
    db.dispose()


def _login(app: FastAPI, username: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    client.post("/login", data={"username": username, "password": demo.DEMO_PASSWORD,
                                "csrf_token": token.group(1)})
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/imports").text)
    assert found
    return client, found.group(1)


def _csv(app: FastAPI) -> str:
    db: Database = app.state.database
    with db.uow() as uow:
        loan_id = uow.session.scalars(select(LoanRow.id).where(
            LoanRow.status == "active")).first()
        assert loan_id is not None
        last = uow.session.scalars(select(RepaymentRow.period_no).where(
            RepaymentRow.loan_id == loan_id).order_by(RepaymentRow.period_no.desc())).first()
    period = (last or 0) + 1
    return ("loan_id,period_no,due_date,amount_due,amount_paid,paid_date\n"
            f"{loan_id},{period},2026-06-20,3000.00,3000.00,2026-06-20\n"
            f"999999,1,2026-06-20,3000.00,3000.00,2026-06-20\n"
            f"{loan_id},{period + 1},2026-06-25,-5,0,\n")


def test_a_file_is_imported_in_the_background(app: FastAPI) -> None:
    risk, csrf = _login(app, "risk")
    started = risk.post("/imports", data={"csrf_token": csrf, "feed": "repayments"},
                        files={"file": ("june.csv", _csv(app), "text/csv")},
                        follow_redirects=False)
    assert started.status_code == 303
    job_id = started.headers["location"].rsplit("/", 1)[1]
    job = app.state.jobs.wait(job_id, timeout=60)
    assert job is not None and job.status == "done", job and job.error
    assert job.result == {"batch_id": job.result["batch_id"], "accepted": 1, "rejected": 2,
                          "duplicates": 0}
    assert job.link == f"/imports/{job.result['batch_id']}"
    batch = risk.get(job.link)
    assert batch.status_code == 200 and "june.csv" in batch.text
    assert batch.text.count("<th scope=\"row\">") == 2  # two quarantined lines, with numbers
    assert ">3<" in batch.text and ">4<" in batch.text
    assert "june.csv" in risk.get("/imports").text
    assert not list((Path(app.state.settings.var_dir) / "uploads").iterdir())


def test_only_the_risk_department_imports(app: FastAPI) -> None:
    officer = TestClient(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', officer.get("/login").text)
    assert token
    officer.post("/login", data={"username": "officer1", "password": demo.DEMO_PASSWORD,
                                 "csrf_token": token.group(1)})
    assert officer.get("/imports").status_code == 403
    risk, csrf = _login(app, "risk")
    bad = risk.post("/imports", data={"csrf_token": csrf, "feed": "repayments"},
                    files={"file": ("x.exe", b"MZ", "application/octet-stream")})
    assert bad.status_code == 422 and "file" in bad.text
    assert app.state.jobs.recent() == []
