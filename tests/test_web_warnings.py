"""The warnings board, a warning's file, the classification pages and their API, driven as the
users who do each step on a small book after a real monitoring run."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from mortgage_risk.config import Settings
from mortgage_risk.services import demo
from mortgage_risk.services.monitoring import nightly_run
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.tables import LoanRow, WarningActionRow, WarningCaseRow
from mortgage_risk.web import create_app

AS_OF = date(2026, 6, 30)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("warnings")
    db = Database.connect(f"sqlite:///{folder / 'book.db'}")
    db.upgrade()
    with db.uow() as uow:
        demo.seed_portfolio(uow, actor="test", loans=300, seed=21, as_of=AS_OF, parquet_dir=None)
    nightly_run(db, var_dir=folder / "var", as_of=AS_OF)
    db.dispose()
    return folder / "book.db"


@pytest.fixture
def app(book: Path, tmp_path: Path) -> Iterator[FastAPI]:
    shutil.copy(book, tmp_path / "book.db")
    db = Database.connect(f"sqlite:///{tmp_path / 'book.db'}")
    yield create_app(Settings(var_dir=tmp_path / "var", secret_key="test-secret-warnings"), db)
    db.dispose()


def _token(text: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert match, text[:1000]
    return match.group(1)


class Browser:
    def __init__(self, app: FastAPI, username: str) -> None:
        self.client = TestClient(app)
        login = self.client.get("/login")
        answer = self.client.post("/login", data={
            "username": username, "password": demo.DEMO_PASSWORD,
            "csrf_token": _token(login.text)}, follow_redirects=False)
        assert answer.status_code == 303
        self.csrf = _token(self.client.get("/warnings").text)

    def post(self, path: str, data: dict[str, str]) -> Any:
        return self.client.post(path, data={**data, "csrf_token": self.csrf},
                                follow_redirects=True)


def _db(app: FastAPI) -> Database:
    db: Database = app.state.database
    return db


def _red_case_of_branch(app: FastAPI, branch_id: int) -> WarningCaseRow:
    """An orange or red case in the branch with an active loan not yet at loss."""
    with _db(app).uow() as uow:
        for row in uow.session.scalars(select(WarningCaseRow).where(
                WarningCaseRow.branch_id == branch_id, WarningCaseRow.level.in_(["red", "orange"]))
                .order_by(WarningCaseRow.level_rank.desc(), WarningCaseRow.id)):
            loans = [uow.session.get(LoanRow, i) for i in row.loan_ids]
            if any(ln and ln.status == "active" and ln.five_category != "loss" for ln in loans):
                uow.session.expunge(row)
                return row
    raise AssertionError("the seeded book has an orange or red warning in the branch")


def test_board_lists_the_branch_warnings_most_urgent_first(app: FastAPI) -> None:
    officer = Browser(app, "officer1")
    page = officer.client.get("/warnings")
    assert page.status_code == 200
    assert "风险预警" in page.text and "核实期限" in page.text
    assert 'id="warnings-chart-data"' in page.text and "/static/warnings.js" in page.text
    api = officer.client.get("/api/v1/warnings", params={"limit": 500}).json()
    ranks = [i["level_rank"] for i in api["items"]]
    assert ranks == sorted(ranks, reverse=True) and api["total"] == len(api["items"]) > 0
    assert {i["branch_id"] for i in api["items"]} == {1}
    other = Browser(app, "officer2").client.get("/api/v1/warnings", params={"limit": 500})
    assert not {i["id"] for i in other.json()["items"]} & {i["id"] for i in api["items"]}
    assert officer.client.get("/api/v1/warnings", params={"level": "purple"}).status_code == 422


def test_verify_measure_and_close_through_the_pages(app: FastAPI) -> None:
    officer, reviewer, risk = (Browser(app, n) for n in ("officer1", "reviewer1", "risk"))
    case = _red_case_of_branch(app, 1)
    file = officer.client.get(f"/warnings/{case.id}")
    assert file.status_code == 200 and "记录核实结果" in file.text
    # no evidence: refused at the field, nothing written
    bad = officer.post(f"/warnings/{case.id}/verify", {"outcome": "confirmed", "method": "phone",
                                                      "evidence": "  "})
    assert bad.status_code == 422 and "evidence" in bad.text
    done = officer.post(f"/warnings/{case.id}/verify", {
        "outcome": "confirmed", "method": "on_site", "level": "red",
        "evidence": "现场照片 IMG_0001\n执行通知书", "note": "属实"})
    assert done.status_code == 200 and "核实结果已记录" in done.text
    assert "现场照片 IMG_0001" in done.text  # the evidence is on the file
    assert officer.post(f"/warnings/{case.id}/measure",
                        {"code": "call_loan"}).status_code == 200
    detail = officer.client.get(f"/api/v1/warnings/{case.id}").json()
    measure = detail["measures"][0]["id"]
    assert detail["reviews"], "a confirmed red warning opens a classification review"
    assert officer.post(f"/warning-measures/{measure}/done", {
        "warning_id": str(case.id), "note": "已提前收回"}).status_code == 200
    assert officer.post(f"/warnings/{case.id}/close-request",
                        {"note": "已结清"}).status_code == 200
    refused = reviewer.post(f"/warnings/{case.id}/close-decision",
                            {"approve": "yes", "note": "同意"})
    assert refused.status_code == 422 and "risk department" in refused.text
    closed = risk.post(f"/warnings/{case.id}/close-decision", {"approve": "yes", "note": "同意"})
    assert closed.status_code == 200
    with _db(app).uow() as uow:
        row = uow.session.get(WarningCaseRow, case.id)
        assert row is not None and row.status == "closed" and row.closed_by == "risk"
        actions = list(uow.session.scalars(select(WarningActionRow.action).where(
            WarningActionRow.warning_id == case.id).order_by(WarningActionRow.id)))
        assert actions[-5:] == ["verified", "measure_added", "measure_done", "close_requested",
                                "closed"]


def test_review_and_upgrade_through_the_classification_pages(app: FastAPI) -> None:
    officer, reviewer, approver = (Browser(app, n) for n in ("officer1", "reviewer1",
                                                             "approver1"))
    case = _red_case_of_branch(app, 1)
    officer.post(f"/warnings/{case.id}/verify", {"outcome": "confirmed", "method": "phone",
                                                 "evidence": "通话记录"})
    page = reviewer.client.get("/classification")
    assert "待决定的分类复核" in page.text
    open_reviews = reviewer.client.get("/api/v1/classification").json()["open_reviews"]
    chosen = next(r for r in open_reviews if r["current"] != "loss")
    review, loan_id = chosen["id"], chosen["loan_id"]
    assert f"/classification/review-decision/{review}" in page.text
    no_class = reviewer.post(f"/classification/review-decision/{review}",
                             {"outcome": "downgrade", "note": "需要下调"})
    assert no_class.status_code == 422 and "category" in no_class.text
    ok = reviewer.post(f"/classification/review-decision/{review}",
                       {"outcome": "downgrade", "category": "loss", "note": "失信被执行，损失"})
    assert ok.status_code == 200
    with _db(app).uow() as uow:
        loan = uow.session.get(LoanRow, loan_id)
        assert loan is not None and loan.five_category == "loss"
    asked = officer.post(f"/classification/upgrade-request/{loan_id}",
                         {"category": "doubtful", "reason": "借款人已还清欠款"})
    assert asked.status_code == 200
    pending = approver.client.get("/api/v1/classification").json()["pending_upgrades"]
    assert [p["loan_id"] for p in pending] == [loan_id]
    assert approver.post(f"/classification/upgrade-decision/{pending[0]['id']}",
                         {"approve": "no", "note": "条件不满足"}).status_code == 200
    history = officer.client.get(f"/api/v1/loans/{loan_id}/classification").json()
    assert [(m["direction"], m["status"]) for m in history["manual"]] == [
        ("upgrade", "rejected"), ("downgrade", "effective")]
    assert history["category"] == "loss"


def test_my_tasks_follow_the_handling(app: FastAPI) -> None:
    officer, reviewer = Browser(app, "officer1"), Browser(app, "reviewer1")
    case = _red_case_of_branch(app, 1)
    tasks = officer.client.get("/api/v1/me/tasks").json()["sections"]
    assert case.id in [t["detail"]["warning_id"] for t in tasks["verify"]]
    dues = [t["due"] for t in tasks["verify"]]
    dated = [d for d in dues if d]  # earliest first, blue (no deadline) last
    assert dues == sorted(dated) + [None] * (len(dues) - len(dated))
    officer.post(f"/warnings/{case.id}/verify", {"outcome": "confirmed", "method": "phone",
                                                 "level": "orange", "evidence": "通话记录"})
    officer.post(f"/warnings/{case.id}/measure", {"code": "collection_plan"})
    tasks = officer.client.get("/api/v1/me/tasks").json()["sections"]
    assert case.id not in [t["detail"]["warning_id"] for t in tasks["verify"]]
    assert [t["subject"] for t in tasks["measures"]] == ["collection_plan"]
    measure = tasks["measures"][0]["detail"]["measure_id"]
    officer.post(f"/warning-measures/{measure}/done", {"warning_id": str(case.id),
                                                       "note": "已制定"})
    officer.post(f"/warnings/{case.id}/close-request", {"note": "已还清逾期"})
    closing = reviewer.client.get("/api/v1/me/tasks").json()["sections"]["close"]
    assert [t["detail"]["warning_id"] for t in closing] == [case.id]
    assert reviewer.client.get("/api/v1/me/tasks").json()["sections"]["reviews"]
    page = reviewer.client.get("/tasks")
    assert page.status_code == 200 and "待审批解除的预警" in page.text
