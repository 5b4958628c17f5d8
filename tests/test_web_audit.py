"""The audit log page and API: who may read it, filters, sort and paging on the server,
masked ID numbers, and the chain verification that finds a record edited in the database."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from mortgage_risk.services import audit as audit_service
from mortgage_risk.services.branches import create_branch
from mortgage_risk.storage.database import Database
from tests.helpers import resident_id
from tests.test_web_admin import PASSWORD, Browser, csrf_of, error_beside, make_app, seed

SEEDED = 5  # the users seed() creates, one audit record each
BORROWER_ID = resident_id()


@pytest.fixture
def db(sqlite_database: Database) -> Database:
    seed(sqlite_database)
    return sqlite_database


@pytest.fixture
def app(db: Database, tmp_path: Path) -> FastAPI:
    return make_app(db, tmp_path)


def _ids(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr id="record-(\d+)"', page)]


def _add_branches(db: Database, n: int, actor: str = "admin") -> None:
    with db.uow() as uow:
        for i in range(n):
            create_branch(uow, actor=actor, code=f"T{i:03d}", name_zh=f"测试{i}社",
                          name_en=f"Test {i}", kind="village", township="测试乡")
        uow.commit()


@pytest.mark.parametrize("username", ["audit", "admin", "risk"])
def test_supervisor_admin_and_risk_manager_read_the_log(app: FastAPI, username: str) -> None:
    browser = Browser(app, username)
    page = browser.get("/audit")
    assert page.status_code == 200
    assert "审计日志" in page.text and "校验哈希链" in page.text
    assert _ids(page.text) == list(range(SEEDED, 0, -1))  # newest first
    assert 'href="/audit" aria-current="page"' in page.text
    api = browser.client.get("/api/v1/audit")
    assert api.status_code == 200 and api.json()["total"] == SEEDED


@pytest.mark.parametrize("username", ["officer", "reviewer"])
def test_other_roles_get_403(app: FastAPI, username: str) -> None:
    browser = Browser(app, username)
    page = browser.get("/audit")
    assert page.status_code == 403
    assert "无权访问" in page.text
    assert "只有稽核、系统管理员或风险管理部可以查看审计日志" in page.text
    assert 'href="/audit"' not in page.text
    verify = browser.post("/audit/verify", {})
    assert verify.status_code == 403
    api = browser.client.get("/api/v1/audit")
    assert api.status_code == 403 and api.json()["errors"][0]["field"] == "role"
    assert browser.client.post("/api/v1/audit/verify", json={}).status_code == 403


def test_filters_sort_and_paging_on_the_server(app: FastAPI, db: Database) -> None:
    _add_branches(db, 60, actor="admin")
    total = SEEDED + 60
    browser = Browser(app, "audit")
    first = browser.get("/audit").text
    assert f"共 {total} 条记录" in first
    assert _ids(first) == list(range(total, total - 50, -1))
    assert _ids(browser.get("/audit?page=2").text) == list(range(total - 50, 0, -1))
    ascending = _ids(browser.get("/audit?sort=at&dir=asc").text)
    assert ascending == list(range(1, 51))
    by_actor = browser.get("/audit?actor=admin").text
    assert "共 60 条记录" in by_actor
    assert set(re.findall(r'<td class="mono">(\w+)</td><td class="mono">', by_actor)) == {
        "admin"}
    users = _ids(browser.get("/audit?entity=user&action=create").text)
    assert users == list(range(SEEDED, 0, -1))
    one = browser.get("/audit?entity=branch&entity_id=3").text
    assert "共 1 条记录" in one and "T000" in one  # branches 1 and 2 are B01 and B02
    today = datetime.now(audit_service.CHINA_TIME).date()
    assert f"共 {total} 条记录" in browser.get(f"/audit?since={today}&until={today}").text
    yesterday = today - timedelta(days=1)
    assert "没有符合条件的记录。" in browser.get(f"/audit?until={yesterday}").text
    # The filter choices come from the log itself.
    assert '<option value="branch">branch</option>' in first
    # The API pages and filters the same way.
    api = browser.client.get("/api/v1/audit", params={"actor": "admin", "sort": "id",
                                                      "order": "asc", "limit": 10,
                                                      "offset": 10})
    body = api.json()
    assert body["total"] == 60
    assert [e["id"] for e in body["items"]] == list(range(SEEDED + 11, SEEDED + 21))
    assert body["items"][0]["after"]["code"] == "T010"
    assert body["items"][0]["changes"][0]["before"] is None


def test_a_bad_date_is_shown_beside_its_field(app: FastAPI) -> None:
    browser = Browser(app, "audit")
    bad = browser.get("/audit?since=2026-13-45&actor=admin")
    assert bad.status_code == 422
    assert error_beside(bad.text, "since") == "须为日期（YYYY-MM-DD）"
    assert 'name="actor" value="admin"' in bad.text
    backwards = browser.get("/audit?since=2026-07-02&until=2026-07-01")
    assert backwards.status_code == 422
    assert error_beside(backwards.text, "until") == "不能早于开始日期"
    api = browser.client.get("/api/v1/audit", params={"since": "2026-07-02",
                                                      "until": "2026-07-01"})
    assert api.status_code == 422 and api.json()["errors"][0]["field"] == "until"


def test_before_and_after_are_shown_compactly_with_id_numbers_masked(
        app: FastAPI, db: Database) -> None:
    officer = TestClient(app)
    assert officer.post("/api/v1/session", json={"username": "officer",
                                                 "password": PASSWORD}).status_code == 200
    made = officer.post("/api/v1/borrowers", json={
        "resident_id": BORROWER_ID, "name": "韦建国", "segment": "farmer",
        "township": "城关镇", "branch_code": "B01", "household_income": "86000.00",
        "dependants": 2})
    assert made.status_code == 201, made.text
    browser = Browser(app, "audit")
    page = browser.get("/audit?entity=borrower").text
    assert BORROWER_ID not in page
    assert f"{BORROWER_ID[:6]}********{BORROWER_ID[14:17]}*" in page
    assert '<li><span class="mono">dependants</span>: 2</li>' in page  # compact: six keys
    assert '<li class="muted">另有 6 项</li>' in page  # ... and how many more
    api = browser.client.get("/api/v1/audit", params={"entity": "borrower"}).json()
    assert BORROWER_ID not in str(api)
    # A change shows the old and the new value of the keys that differ.
    admin = Browser(app, "admin")
    with db.uow() as uow:
        branch = uow.branches.by_code("B02")
        assert branch is not None
        edit = f"/admin/branches/{branch.id}"
    assert admin.post(edit, {"name_zh": "河口镇信用社", "name_en": "Hekou branch",
                             "kind": "town", "township": "河口镇"},
                      from_page=edit).status_code == 303
    change = browser.get("/audit?entity=branch&action=update").text
    assert re.search(r'<span class="mono">name_zh</span>: <del>河口信用社</del> → 河口镇信用社',
                     change)


def test_verify_the_chain_then_find_a_record_edited_in_the_database(
        app: FastAPI, db: Database) -> None:
    _add_branches(db, 3)
    browser = Browser(app, "audit")
    intact = browser.post("/audit/verify", {}, from_page="/audit")
    assert intact.status_code == 200
    assert "哈希链完整：已校验 8 条记录。" in intact.text
    assert browser.client.post("/api/v1/audit/verify", json={}).json() == {
        "records": 8, "intact": True, "first_break": None}

    with db.engine.begin() as conn:  # someone edits a record behind the system's back
        conn.execute(text("UPDATE audit_log SET actor = 'nobody' WHERE id = 6"))
    broken = browser.post("/audit/verify", {}, from_page="/audit")
    assert broken.status_code == 200
    assert "哈希链在第 6 条记录处断开。" in broken.text
    assert "已校验记录：6 条。" in broken.text
    assert "原因： 记录写入后内容被修改" in broken.text
    assert '<tr id="record-6" class="overdue">' in broken.text
    api = browser.client.post("/api/v1/audit/verify", json={}).json()
    assert api == {"records": 6, "intact": False, "first_break": {
        "record_id": 6, "reason": "content changed after it was written"}}

    with db.engine.begin() as conn:  # and deletes one
        conn.execute(text("UPDATE audit_log SET actor = 'admin' WHERE id = 6"))
        conn.execute(text("DELETE FROM audit_log WHERE id = 7"))
    gap = browser.client.post("/api/v1/audit/verify", json={}).json()
    assert gap["first_break"] == {"record_id": 8, "reason": "records 7..7 are missing (deleted)"}
    page = browser.post("/audit/verify", {}, from_page="/audit").text
    assert "哈希链在第 8 条记录处断开。" in page and "第 7 至 7 条记录缺失（已被删除）" in page


def test_verify_needs_the_csrf_token_on_the_page_and_json_on_the_api(app: FastAPI) -> None:
    browser = Browser(app, "audit")
    browser.get("/audit")
    assert browser.client.post("/audit/verify", data={}).status_code == 403
    forged = browser.client.post("/api/v1/audit/verify")
    assert forged.status_code == 403
    assert forged.json()["errors"][0]["field"] == "content-type"
    assert csrf_of(browser.get("/audit").text)
