"""The supervision pages and /api/v1/supervision, driven as the demo users on a small book with
hand-made loan files: the findings board by role and branch, a finding rectified and closed
through the pages, a manual finding refused beside its fields, the run as a background job,
samples, statistics, accountability, the check set and the quarterly report (HTML and PDF)."""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select

from mortgage_risk.config import Settings
from mortgage_risk.services import demo
from mortgage_risk.services import supervision as sv
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.tables import FindingRow
from mortgage_risk.web import create_app
from tests.test_supervision_service import ON, Book, make_book, seed, user


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("supervision")
    db = Database.connect(f"sqlite:///{folder / 'book.db'}")
    db.upgrade()
    book: Book = make_book(seed(db))
    with db.uow() as uow:
        sv.run_supervision(uow, user(db, "audit"), ON, today=ON)
    keys = {name: f.key for name, f in book.files.items()}
    keys["misclassified"] = f"loan:{book.misclassified}"
    db.dispose()
    return folder / "book.db", keys


@pytest.fixture
def app(prepared: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[FastAPI]:
    shutil.copy(prepared[0], tmp_path / "book.db")
    db = Database.connect(f"sqlite:///{tmp_path / 'book.db'}")
    yield create_app(Settings(var_dir=tmp_path / "var", secret_key="test-secret-supervision"),
                     db)
    db.dispose()


@pytest.fixture
def keys(prepared: tuple[Path, dict[str, str]]) -> dict[str, str]:
    return prepared[1]


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
        self.csrf = _token(self.client.get("/tasks").text)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params=params)

    def post(self, path: str, data: dict[str, str], follow: bool = True) -> Any:
        return self.client.post(path, data={**data, "csrf_token": self.csrf},
                                follow_redirects=follow)


def _db(app: FastAPI) -> Database:
    db: Database = app.state.database
    return db


def _finding(app: FastAPI, key: str, check: str) -> int:
    with _db(app).uow() as uow:
        fid = uow.session.scalar(select(FindingRow.id).where(
            FindingRow.file_key == key, FindingRow.check_id == check))
    assert fid is not None
    return int(fid)


def _count(app: FastAPI) -> int:
    with _db(app).uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(FindingRow)) or 0)


def test_board_by_role_and_branch(app: FastAPI, keys: dict[str, str]) -> None:
    audit = Browser(app, "audit")
    page = audit.get("/supervision")
    assert page.status_code == 200
    assert "贷后监督" in page.text and "立即运行合规检查" in page.text
    assert "抵押登记前放款" in page.text and 'class="overdue"' in page.text  # past July deadlines
    assert 'href="/supervision"' in audit.get("/warnings").text  # the nav link
    api = audit.get("/api/v1/supervision/findings", limit=500).json()
    assert api["total"] == len(api["items"]) == _count(app)
    assert all(i["overdue"] for i in api["items"])
    critical = audit.get("/supervision", severity="critical", page=1)
    assert critical.status_code == 200
    assert 'mono">SC02</span>' in critical.text and 'mono">SC05</span>' not in critical.text

    officer = Browser(app, "officer1")
    mine = officer.get("/api/v1/supervision/findings", limit=500).json()
    assert mine["total"] == api["total"]  # every hand-made file is in branch 1
    other = Browser(app, "officer2")
    assert other.get("/api/v1/supervision/findings").json()["total"] == 0
    fid = _finding(app, keys["bad"], "SC06")
    assert other.get(f"/supervision/findings/{fid}").status_code == 404
    assert other.get("/supervision").status_code == 200
    # the union-level pages are not for a branch
    for path in ("/supervision/samples", "/supervision/statistics", "/supervision/checks",
                 "/supervision/report?quarter=2026Q3", "/supervision/runs/1"):
        answer = officer.get(path)
        assert answer.status_code == 403, path
        assert "只有稽核、风险管理部或系统管理员可以进行此操作" in answer.text, path
    assert officer.get("/api/v1/supervision/statistics").status_code == 403
    assert officer.get("/api/v1/supervision/samples").status_code == 403
    assert Browser(app, "trainer").get("/supervision").status_code == 403
    assert 'href="/supervision"' not in Browser(app, "trainer").get("/warnings").text


def test_rectify_and_close_through_the_pages(app: FastAPI, keys: dict[str, str]) -> None:
    officer, audit = Browser(app, "officer1"), Browser(app, "audit")
    fid = _finding(app, keys["bad"], "SC06")
    file = officer.get(f"/supervision/findings/{fid}")
    assert file.status_code == 200 and "报告整改完成" in file.text
    assert "registered_before_disbursement" in file.text
    bad = officer.post(f"/supervision/findings/{fid}/rectify", {"evidence": "  "})
    assert bad.status_code == 422 and "evidence" in bad.text and "未保存" in bad.text
    done = officer.post(f"/supervision/findings/{fid}/rectify", {
        "evidence": "不动产登记证明 桂(2026)第0001号\n抵押合同复印件", "note": "已补办"})
    assert done.status_code == 200 and "整改情况已报告" in done.text
    assert "抵押合同复印件" in done.text
    # the responsible officer cannot close; the page says why and nothing changes
    refused = officer.post(f"/supervision/findings/{fid}/close", {"note": "x"})
    assert refused.status_code == 422
    closed = audit.post(f"/supervision/findings/{fid}/close", {"note": "证明已核验"})
    assert closed.status_code == 200 and "已销号" in closed.text
    detail = audit.get(f"/api/v1/supervision/findings/{fid}").json()
    assert detail["status"] == "closed" and detail["closed_by"] == "audit"
    assert detail["allowed_actions"] == ["reopen"]
    again = audit.client.post(f"/api/v1/supervision/findings/{fid}/reopen",
                              json={"reason": "证明编号与登记簿不符", "deadline": "2099-01-04"})
    assert again.status_code == 200 and again.json()["status"] == "rectifying"


def test_manual_finding_refused_beside_its_fields(app: FastAPI, keys: dict[str, str]) -> None:
    audit = Browser(app, "audit")
    before = _count(app)
    form = audit.get("/supervision/findings/new", loan_id="1", check_id="SC05")
    assert form.status_code == 200 and 'value="1"' in form.text
    refused = audit.post("/supervision/findings/new", {
        "check_id": "SC05", "loan_id": "1", "task": "补做实地调查"})
    assert refused.status_code == 422
    assert 'id="responsible-error"' in refused.text and 'id="deadline-error"' in refused.text
    assert _count(app) == before
    api = audit.client.post("/api/v1/supervision/findings", json={
        "check_id": "SC05", "loan_id": 1, "task": "补做实地调查", "responsible": "officer1"})
    assert api.status_code == 422
    assert api.json()["errors"][0]["field"] == "deadline" and _count(app) == before
    done = audit.post("/supervision/findings/new", {
        "check_id": "SC05", "loan_id": "1", "task": "补做实地调查", "responsible": "officer1",
        "deadline": "2099-01-04", "note": "抽查发现无实地调查照片"}, follow=False)
    assert done.status_code == 303 and _count(app) == before + 1
    page = audit.client.get(done.headers["location"])
    assert "抽查发现无实地调查照片" in page.text and "监督发现已记录" in page.text
    assert Browser(app, "risk").get("/supervision/findings/new").status_code == 403


def test_run_now_as_a_background_job(app: FastAPI) -> None:
    audit = Browser(app, "audit")
    refused = audit.post("/supervision/run", {"as_of": "2999-01-01"})
    assert refused.status_code == 422 and "as_of" in refused.text
    started = audit.post("/supervision/run", {"as_of": date.today().isoformat()}, follow=False)
    assert started.status_code == 303 and started.headers["location"].startswith("/jobs/")
    job_id = started.headers["location"].rsplit("/", 1)[1]
    job = app.state.jobs.wait(job_id, timeout=120)
    assert job is not None and job.status == "done", job.error if job else None
    assert job.result["opened"] == 0  # everything found is already open
    run = audit.get(job.link)
    assert run.status_code == 200 and "SC06" in run.text
    assert Browser(app, "officer1").post("/supervision/run", {
        "as_of": date.today().isoformat()}).status_code == 403
    queued = audit.client.post("/api/v1/supervision/runs", json={})
    assert queued.status_code == 202
    assert app.state.jobs.wait(queued.json()["id"], timeout=120).status == "done"
    assert len(audit.get("/api/v1/supervision/runs").json()) == 3


def test_samples_statistics_and_accountability(app: FastAPI) -> None:
    audit = Browser(app, "audit")
    drawn = audit.post("/supervision/samples", {"method": "risk", "n": "15", "seed": "20260630",
                                                "as_of": ON.isoformat()}, follow=False)
    assert drawn.status_code == 303
    page = audit.client.get(drawn.headers["location"])
    assert page.status_code == 200 and "抽取原因" in page.text and "检查异常" in page.text
    sample_id = int(drawn.headers["location"].rsplit("/", 1)[1])
    first = audit.get(f"/api/v1/supervision/samples/{sample_id}").json()
    again = audit.client.post("/api/v1/supervision/samples", json={
        "method": "risk", "n": 15, "seed": 20260630, "as_of": ON.isoformat()}).json()
    assert [i["file_key"] for i in first["items"]] == [i["file_key"] for i in again["items"]]
    assert audit.post("/supervision/samples", {"method": "risk", "n": "0",
                                               "seed": "1"}).status_code == 422
    stats = audit.get("/supervision/statistics")
    assert stats.status_code == 200 and "人工推翻" in stats.text
    by_officer = audit.get("/api/v1/supervision/statistics", by="officer").json()
    assert any(r["officer"] == "officer1" for r in by_officer["rows"])
    records = audit.get("/api/v1/supervision/accountability").json()
    assert {"officer1", "approver1"} <= {r["username"] for r in records}
    own = Browser(app, "officer1").get("/api/v1/supervision/accountability").json()
    assert [r["username"] for r in own] == ["officer1"]
    assert Browser(app, "officer1").get("/supervision/accountability").status_code == 200


def test_check_set_page_drafts_a_new_version(app: FastAPI) -> None:
    risk, audit = Browser(app, "risk"), Browser(app, "audit")
    page = risk.get("/supervision/checks")
    assert page.status_code == 200 and "SC13" in page.text
    assert "supervision-checks-2026.1" in page.text and "保存草稿" in page.text
    bad = risk.post("/supervision/checks", {"content": "{not json"})
    assert bad.status_code == 422
    content = audit.get("/api/v1/parameters/supervision_checks/active").json()
    content["version"] = "supervision-checks-2026.2"
    saved = risk.post("/supervision/checks", {"content": json.dumps(content), "notes": "t"},
                      follow=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == \
        "/config/parameters/supervision_checks/supervision-checks-2026.2"
    assert audit.get("/supervision/checks").status_code == 200
    assert "保存草稿" not in audit.get("/supervision/checks").text  # the supervisor reads only
    version_page = saved.headers["location"]
    assert risk.get(version_page).status_code == 200
    # maker-checker: whoever drafted it may not activate it; a second risk manager does
    assert risk.post(f"{version_page}/activate", {}).status_code == 422
    modeller = Browser(app, "modeller")
    assert modeller.post(f"{version_page}/activate", {}).status_code == 200
    assert audit.get("/api/v1/supervision/checkset").json()["version"] == \
        "supervision-checks-2026.2"


def test_service_reasons_have_chinese_translations(app: FastAPI) -> None:
    zh = app.state.translations["zh_CN"]
    for message in (sv.READERS_ONLY, sv.NOT_A_READER, sv.MANUAL_ONLY):
        assert zh.gettext(message) != message, message


def test_quarterly_report_html_and_pdf(app: FastAPI) -> None:
    audit = Browser(app, "audit")
    html = audit.get("/api/v1/supervision/report.html", quarter="2026Q2")
    assert html.status_code == 200
    for heading in ("贷后监督季度报告", "二、问题按严重程度和检查项", "三、按信用社和客户经理",
                    "四、待整改和逾期整改事项", "五、抽查结果", "八、审计日志哈希链"):
        assert heading in html.text
    assert "supervision-checks-2026.1" in html.text and "2026-04-01 至 2026-06-30" in html.text
    assert "抵押登记前放款" in html.text
    assert audit.get("/api/v1/supervision/report.html", quarter="2026Q5").status_code == 422
    page = audit.get("/supervision/report", quarter="2026Q2")
    assert page.status_code == 200 and "贷后监督季度报告" in page.text
    pdf = audit.get("/api/v1/supervision/report.pdf", quarter="2026Q2")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "贷后监督季度报告" in text
