"""The administrator's pages and API (users, branches), the 403 page, the password policy, the
double submit, and the session's end (idle timeout, the way back, the kept form)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from mortgage_risk.config import Settings
from mortgage_risk.domain import Role
from mortgage_risk.services import audit as audit_service
from mortgage_risk.services import branches as branch_service
from mortgage_risk.services import tokens as token_service
from mortgage_risk.services import users as user_service
from mortgage_risk.services.errors import Conflict, PermissionDenied
from mortgage_risk.services.forms import InvalidFields
from mortgage_risk.services.users import CurrentUser, create_user
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.tables import AuditRow, BranchRow, UserRow
from mortgage_risk.web import create_app
from mortgage_risk.web import session as web_session

PASSWORD = "Test@2026-web"
STAFF = (("admin", "admin", None), ("officer", "loan_officer", "B01"),
         ("audit", "supervisor", None), ("risk", "risk_manager", None),
         ("reviewer", "reviewer", "B01"))


def csrf_of(text: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert match, text[:2000]
    return match.group(1)


def hidden(text: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', text)
    assert match, f"no hidden input {name}"
    return unescape(match.group(1))


def error_beside(page: str, field: str) -> str:
    """The inline error shown next to an input (its id ends with the field name)."""
    match = re.search(rf'<span class="field-error" id="[\w-]*{field}-error" role="alert">'
                      r"([^<]+)</span>", page)
    assert match, f"no inline error for {field}"
    return unescape(match.group(1))


def input_value(page: str, input_id: str) -> str:
    match = re.search(rf'<input id="{input_id}"[^>]*value="([^"]*)"', page)
    assert match, f"no input {input_id}"
    return unescape(match.group(1))


def count(db: Database, table: type) -> int:
    with db.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def seed(db: Database) -> None:
    """Two branches and one user of each role the tests need."""
    with db.uow() as uow:
        uow.session.add_all([
            BranchRow(code="B01", name_zh="城关信用社", name_en="Chengguan branch",
                      kind="county_town", township="城关镇"),
            BranchRow(code="B02", name_zh="河口信用社", name_en="Hekou branch",
                      kind="town", township="河口镇"),
        ])
        uow.commit()
    with db.uow() as uow:
        for username, role, branch in STAFF:
            create_user(uow, actor="test", username=username, full_name=f"测试 {username}",
                        password=PASSWORD, role=role, branch_code=branch)
        uow.commit()


def make_app(db: Database, tmp_path: Path, **settings: Any) -> FastAPI:
    return create_app(Settings(var_dir=tmp_path / "var", secret_key="test-secret-admin",
                               **settings), db)


class Browser:
    """One person's browser: a cookie jar, page logins and form posts with the CSRF token."""

    def __init__(self, app: FastAPI, username: str | None = None,
                 password: str = PASSWORD) -> None:
        self.client = TestClient(app)
        if username is not None:
            answer = self.login(username, password)
            assert answer.status_code == 303, answer.text

    def login(self, username: str, password: str = PASSWORD, next_path: str = "") -> Any:
        page = self.client.get("/login" + (f"?next={next_path}" if next_path else ""))
        data = {"username": username, "password": password, "csrf_token": csrf_of(page.text)}
        if 'name="next"' in page.text:
            data["next"] = hidden(page.text, "next")
        return self.client.post("/login", data=data, follow_redirects=False)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, follow_redirects=False, **kwargs)

    def form(self, page_path: str) -> str:
        """Open a page and return its text (for the CSRF token and one-time ids)."""
        page = self.get(page_path)
        assert page.status_code == 200, page.text[:2000]
        return str(page.text)

    def post(self, path: str, data: dict[str, str], *, from_page: str | None = None,
             **kwargs: Any) -> Any:
        token = csrf_of(self.form(from_page or "/account/tokens"))
        return self.client.post(path, data={"csrf_token": token, **data},
                                follow_redirects=False, **kwargs)


@pytest.fixture
def db(sqlite_database: Database) -> Database:
    seed(sqlite_database)
    return sqlite_database


@pytest.fixture
def app(db: Database, tmp_path: Path) -> FastAPI:
    return make_app(db, tmp_path)


@pytest.fixture
def admin(app: FastAPI) -> Iterator[Browser]:
    yield Browser(app, "admin")


def _user(db: Database, username: str) -> UserRow:
    with db.uow() as uow:
        row = uow.users.by_username(username)
        assert row is not None
        uow.session.expunge(row)
        return row


def _current(db: Database, username: str) -> CurrentUser:
    row = _user(db, username)
    return CurrentUser(row.id, row.username, row.full_name, Role(row.role), row.branch_id)


NEW_USER = {"username": "newbie", "full_name": "新员工 王芳", "role": "reviewer",
            "branch_code": "B02", "password": "Strong#Pass2026", "password_confirm":
            "Strong#Pass2026"}


def _new_user_form(browser: Browser, **overrides: str) -> tuple[Any, str]:
    page = browser.form("/admin/users/new")
    form_id = hidden(page, "form_id")
    data = {**NEW_USER, "form_id": form_id, **overrides}
    answer = browser.client.post("/admin/users/new", data={"csrf_token": csrf_of(page), **data},
                                 follow_redirects=False)
    return answer, data["form_id"]


# --- who may open what ------------------------------------------------------------------------


ADMIN_PAGES = ("/admin/users", "/admin/users/new", "/admin/users/1", "/admin/branches",
               "/admin/branches/new", "/admin/branches/1")


@pytest.mark.parametrize("username", ["officer", "audit", "risk", "reviewer"])
def test_other_roles_get_a_403_page_not_a_redirect(app: FastAPI, username: str) -> None:
    browser = Browser(app, username)
    for path in ADMIN_PAGES:
        page = browser.get(path)
        assert page.status_code == 403, path
        assert "text/html" in page.headers["content-type"]
        assert "无权访问" in page.text
        assert "只有系统管理员可以打开此页面" in page.text
        assert f"测试 {username}" in page.text  # who is logged in, and the navigation
        assert 'href="/admin/users"' not in page.text  # the admin links are not offered
    refused = browser.post("/admin/users/new", {**NEW_USER, "form_id": "x"})
    assert refused.status_code == 403
    api = browser.client.get("/api/v1/admin/users")
    assert api.status_code == 403
    assert api.json() == {"errors": [{"field": "role", "reason":
                                      "only an administrator may manage users and branches"}]}


def test_the_403_page_follows_the_language(app: FastAPI) -> None:
    browser = Browser(app, "officer")
    browser.client.get("/lang/en")
    page = browser.get("/admin/branches")
    assert page.status_code == 403
    assert '<html lang="en">' in page.text
    assert "Access denied" in page.text and "only an administrator may open this" in page.text


def test_admin_sees_the_pages_and_the_navigation(admin: Browser) -> None:
    for path in ADMIN_PAGES:
        assert admin.get(path).status_code == 200, path
    nav = admin.get("/admin/users").text
    for link in ('href="/admin/users"', 'href="/admin/branches"', 'href="/audit"',
                 'href="/account/tokens"'):
        assert link in nav
    assert "用户" in nav and "信用社" in nav and "审计日志" in nav


def test_not_logged_in_goes_to_the_login(app: FastAPI) -> None:
    answer = Browser(app).get("/admin/users?role=admin")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    assert Browser(app).client.get("/api/v1/admin/users").status_code == 401


# --- creating users ---------------------------------------------------------------------------


@pytest.mark.parametrize(("password", "reason"), [
    ("Sh0rt!x", "至少需要 10 个字符"),
    ("onlylowercase123", "须包含大写字母、小写字母、数字、符号中的至少三类"),
    ("Newbie#2026-pass", "不得包含用户名"),
])
def test_password_policy_is_shown_beside_the_field_and_the_input_kept(
        admin: Browser, db: Database, password: str, reason: str) -> None:
    users_before, audit_before = count(db, UserRow), count(db, AuditRow)
    answer, _ = _new_user_form(admin, password=password, password_confirm=password)
    assert answer.status_code == 422
    assert reason in error_beside(answer.text, "password")
    assert "未办理，未保存任何内容" in answer.text
    assert input_value(answer.text, "username") == "newbie"
    assert input_value(answer.text, "full_name") == "新员工 王芳"
    assert re.search(r'<option value="reviewer" selected>', answer.text)
    assert re.search(r'<option value="B02" selected>', answer.text)
    assert re.search(r'id="password"[^>]*aria-invalid="true"', answer.text)
    assert password not in answer.text  # a password is never written back into the page
    assert (count(db, UserRow), count(db, AuditRow)) == (users_before, audit_before)


def test_every_problem_of_the_form_is_shown_at_once(admin: Browser, db: Database) -> None:
    answer, _ = _new_user_form(admin, username="X", full_name=" ", role="loan_officer",
                               branch_code="", password="weak", password_confirm="other")
    assert answer.status_code == 422
    assert "小写字母" in error_beside(answer.text, "username")
    assert error_beside(answer.text, "full_name") == "不能为空"
    assert error_beside(answer.text, "branch_code") == "客户经理必须归属一个信用社"
    password = error_beside(answer.text, "password")
    assert "至少需要 10 个字符" in password and "至少三类" in password
    assert error_beside(answer.text, "password_confirm") == "两次输入的密码不一致"
    assert count(db, UserRow) == len(STAFF)


def test_a_taken_username_is_refused_beside_the_field(admin: Browser, db: Database) -> None:
    answer, _ = _new_user_form(admin, username="officer")
    assert answer.status_code == 409
    assert error_beside(answer.text, "username") == "该用户名已被使用"
    assert count(db, UserRow) == len(STAFF)


def test_create_user_then_the_user_logs_in(admin: Browser, app: FastAPI, db: Database) -> None:
    answer, _ = _new_user_form(admin)
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert re.fullmatch(r"/admin/users/\d+", location)
    page = admin.get(location).text
    assert "用户 newbie 已创建。" in page and "河口信用社" in page and "审查岗" in page
    with db.uow() as uow:
        row = uow.users.by_username("newbie")
        assert row is not None and row.password_hash.startswith("$argon2id$")
        record = uow.session.scalars(select(AuditRow).where(
            AuditRow.entity == "user", AuditRow.entity_id == str(row.id))).one()
        assert record.actor == "admin" and record.action == "create"
        assert "password" not in str(record.after) and "argon2" not in str(record.after)
    newbie = Browser(app, "newbie", "Strong#Pass2026")
    assert newbie.get("/").status_code == 200


def test_a_double_submit_creates_one_user(admin: Browser, db: Database) -> None:
    first, form_id = _new_user_form(admin)
    again, same_id = _new_user_form(admin, form_id=form_id)
    assert form_id == same_id
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert "该表单已提交过，未重复保存。" in admin.get(again.headers["location"]).text
    with db.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(UserRow).where(
            UserRow.username == "newbie")) == 1
        assert uow.session.scalar(select(func.count()).select_from(AuditRow).where(
            AuditRow.entity == "user", AuditRow.action == "create",
            AuditRow.actor == "admin")) == 1
    # A new form (a new one-time id) with the same username is a conflict, not a second user.
    third, _ = _new_user_form(admin)
    assert third.status_code == 409
    assert count(db, UserRow) == len(STAFF) + 1


# --- changing users ---------------------------------------------------------------------------


def test_change_role_and_branch_is_audited(admin: Browser, db: Database) -> None:
    officer = _user(db, "officer")
    page = f"/admin/users/{officer.id}"
    refused = admin.post(f"{page}/role", {"role": "loan_officer", "branch_code": ""},
                         from_page=page)
    assert refused.status_code == 422
    assert error_beside(refused.text, "branch_code") == "客户经理必须归属一个信用社"
    done = admin.post(f"{page}/role", {"role": "approver", "branch_code": "B02"}, from_page=page)
    assert done.status_code == 303 and done.headers["location"] == page
    assert "已保存 officer 的角色和所属信用社。" in admin.get(page).text
    changed = _user(db, "officer")
    with db.uow() as uow:
        b02 = uow.branches.by_code("B02")
        assert b02 is not None
        assert (changed.role, changed.branch_id) == ("approver", b02.id)
        record = uow.session.scalars(select(AuditRow).where(
            AuditRow.action == "change_role")).one()
        assert record.before == {"role": "loan_officer", "branch_id": officer.branch_id}
        assert record.after == {"role": "approver", "branch_id": b02.id}


def test_admin_may_not_deactivate_or_demote_themself(admin: Browser, db: Database) -> None:
    me = _user(db, "admin")
    page = f"/admin/users/{me.id}"
    answer = admin.post(f"{page}/deactivate", {}, from_page=page)
    assert answer.status_code == 403
    assert error_beside(answer.text, "user_id") == "不能停用自己的账户"
    answer = admin.post(f"{page}/role", {"role": "supervisor", "branch_code": ""},
                        from_page=page)
    assert answer.status_code == 403
    assert "不能变更自己的角色" in error_beside(answer.text, "role")
    assert _user(db, "admin").active and _user(db, "admin").role == "admin"


def test_the_last_active_admin_cannot_be_removed(db: Database) -> None:
    """Two administrators: one deactivates the other; the second's request, authenticated a
    moment before, may then not remove the last one (deactivate or demote)."""
    with db.uow() as uow:
        create_user(uow, actor="test", username="admin2", full_name="管理员二",
                    password=PASSWORD, role="admin", branch_code=None)
        uow.commit()
    first, second = _current(db, "admin"), _current(db, "admin2")
    with db.uow() as uow:
        user_service.set_active(uow, first, second.id, False)
    audits = count(db, AuditRow)
    with db.uow() as uow, pytest.raises(Conflict) as refused:
        user_service.set_active(uow, second, first.id, False)
    assert refused.value.field == "user_id" and "last active administrator" in str(refused.value)
    with db.uow() as uow, pytest.raises(Conflict):
        user_service.change_role(uow, second, first.id, role="supervisor", branch_code=None)
    assert _user(db, "admin").active and _user(db, "admin").role == "admin"
    assert count(db, AuditRow) == audits
    # With two active administrators again, one may demote the other.
    with db.uow() as uow:
        user_service.set_active(uow, first, second.id, True)
    with db.uow() as uow:
        view = user_service.change_role(uow, first, second.id, role="supervisor",
                                        branch_code=None)
    assert view.role is Role.SUPERVISOR


def test_deactivate_ends_the_users_access_and_reactivate_restores_it(
        admin: Browser, app: FastAPI, db: Database) -> None:
    officer = Browser(app, "officer")
    assert officer.get("/").status_code == 200
    target = _user(db, "officer")
    page = f"/admin/users/{target.id}"
    answer = admin.post(f"{page}/deactivate", {}, from_page=page)
    assert answer.status_code == 303
    assert "officer 已停用" in admin.get(page).text
    assert officer.get("/").status_code == 303  # the open session stops at once
    assert Browser(app).login("officer").status_code == 401
    assert admin.post(f"{page}/reactivate", {}, from_page=page).status_code == 303
    assert Browser(app).login("officer").status_code == 303
    actions = [r.action for r in _audit_of(db, "user", target.id)]
    assert actions[-2:] == ["deactivate", "activate"]


def _audit_of(db: Database, entity: str, entity_id: int) -> list[AuditRow]:
    with db.uow() as uow:
        rows = list(uow.session.scalars(select(AuditRow).where(
            AuditRow.entity == entity, AuditRow.entity_id == str(entity_id))
            .order_by(AuditRow.id)))
        for row in rows:
            uow.session.expunge(row)
        return rows


def test_reset_password_applies_the_policy(admin: Browser, app: FastAPI, db: Database) -> None:
    target = _user(db, "officer")
    page = f"/admin/users/{target.id}"
    weak = admin.post(f"{page}/password", {"password": "officer2026!A",
                                           "password_confirm": "officer2026!A"},
                      from_page=page)
    assert weak.status_code == 422
    assert error_beside(weak.text, "password") == "不得包含用户名"
    done = admin.post(f"{page}/password", {"password": "New-Secret-2026",
                                           "password_confirm": "New-Secret-2026"},
                      from_page=page)
    assert done.status_code == 303
    assert Browser(app).login("officer").status_code == 401
    assert Browser(app).login("officer", "New-Secret-2026").status_code == 303
    record = _audit_of(db, "user", target.id)[-1]
    assert record.action == "reset_password" and record.after == {"password": "changed"}


# --- the user list ----------------------------------------------------------------------------


def _usernames(page: str) -> list[str]:
    return re.findall(r'<a href="/admin/users/\d+" class="mono">([^<]+)</a>', page)


def test_user_list_filters_sorts_and_pages_on_the_server(admin: Browser, db: Database) -> None:
    with db.uow() as uow:
        for i in range(60):
            create_user(uow, actor="test", username=f"clerk{i:02d}", full_name=f"柜员{i:02d}",
                        password=PASSWORD, role="loan_officer", branch_code="B02")
        uow.commit()
    total = len(STAFF) + 60
    first = admin.get("/admin/users").text
    assert f"共 {total} 个用户" in first
    names = _usernames(first)
    assert len(names) == 50 and names == sorted(names)
    second = _usernames(admin.get("/admin/users?page=2").text)
    assert len(second) == total - 50 and not set(names) & set(second)
    assert 'href="/admin/users?sort=username&amp;dir=asc&amp;page=2"' in first
    by_branch = _usernames(admin.get("/admin/users?branch=B01").text)
    assert sorted(by_branch) == ["officer", "reviewer"]
    union_level = _usernames(admin.get("/admin/users?branch=-").text)
    assert sorted(union_level) == ["admin", "audit", "risk"]
    by_role = _usernames(admin.get("/admin/users?role=supervisor").text)
    assert by_role == ["audit"]
    text = _usernames(admin.get("/admin/users?q=CLERK5").text)
    assert text == [f"clerk5{i}" for i in range(10)]
    descending = _usernames(admin.get("/admin/users?sort=username&dir=desc").text)
    assert descending[0] == "risk" and descending == sorted(descending, reverse=True)
    with db.uow() as uow:
        user_service.set_active(uow, _current(db, "admin"), _user(db, "clerk07").id, False)
    assert _usernames(admin.get("/admin/users?active=no").text) == ["clerk07"]
    # The API pages the same listing.
    api = admin.client.get("/api/v1/admin/users", params={"branch_code": "B02", "limit": 25,
                                                          "offset": 50, "order": "desc"})
    assert api.status_code == 200
    body = api.json()
    assert body["total"] == 60 and len(body["items"]) == 10
    assert body["items"][0]["username"] == "clerk09"


# --- branches ---------------------------------------------------------------------------------


BRANCH = {"code": "GX012", "name_zh": "新圩信用社", "name_en": "Xinxu branch",
          "kind": "village", "township": "新圩乡"}


def test_create_and_edit_a_branch(admin: Browser, db: Database) -> None:
    page = admin.form("/admin/branches/new")
    form_id = hidden(page, "form_id")
    bad = admin.post("/admin/branches/new", {**BRANCH, "code": "gx 12!", "name_en": "",
                                             "form_id": form_id}, from_page="/admin/branches/new")
    assert bad.status_code == 422
    assert "大写字母" in error_beside(bad.text, "code")
    assert error_beside(bad.text, "name_en") == "不能为空"
    assert input_value(bad.text, "name_zh") == "新圩信用社"
    assert count(db, BranchRow) == 2
    done = admin.post("/admin/branches/new", {**BRANCH, "form_id": form_id},
                      from_page="/admin/branches/new")
    assert done.status_code == 303 and done.headers["location"] == "/admin/branches"
    listing = admin.get("/admin/branches").text
    assert "信用社 GX012 已创建。" in listing and "新圩信用社" in listing
    twice = admin.post("/admin/branches/new", {**BRANCH, "form_id": form_id},
                       from_page="/admin/branches/new")
    assert twice.status_code == 303
    assert "该表单已提交过，未重复保存。" in admin.get(twice.headers["location"]).text
    assert count(db, BranchRow) == 3
    with db.uow() as uow:
        row = uow.branches.by_code("GX012")
        assert row is not None
        branch_id = row.id
    taken = admin.post("/admin/branches/new", {**BRANCH, "form_id": "another"},
                       from_page="/admin/branches/new")
    assert taken.status_code == 409
    assert error_beside(taken.text, "code") == "该代码的信用社已存在"

    edit = f"/admin/branches/{branch_id}"
    assert 'value="GX012" readonly' in admin.get(edit).text
    saved = admin.post(edit, {**BRANCH, "name_zh": "新圩乡信用社", "kind": "town"},
                       from_page=edit)
    assert saved.status_code == 303
    record = _audit_of(db, "branch", branch_id)[-1]
    assert record.action == "update"
    assert record.before == {"name_zh": "新圩信用社", "kind": "village"}
    assert record.after == {"name_zh": "新圩乡信用社", "kind": "town"}
    codes = re.findall(r'class="mono">(\w+)</a></th>',
                       admin.get("/admin/branches?sort=code&dir=desc").text)
    assert codes == ["GX012", "B02", "B01"]
    assert re.findall(r'class="mono">(\w+)</a></th>',
                      admin.get("/admin/branches?kind=town").text) == ["B02", "GX012"]


def test_branch_service_refuses_bad_kind_and_unknown_branch(db: Database) -> None:
    admin = _current(db, "admin")
    with db.uow() as uow, pytest.raises(InvalidFields) as refused:
        branch_service.add_branch(uow, admin, **{**BRANCH, "kind": "city"})
    assert refused.value.field == "kind"
    with db.uow() as uow, pytest.raises(PermissionDenied):
        branch_service.add_branch(uow, _current(db, "risk"), **BRANCH)
    assert count(db, BranchRow) == 2


# --- the API ----------------------------------------------------------------------------------


def test_api_creates_users_and_branches_naming_every_field(app: FastAPI, db: Database) -> None:
    client = TestClient(app)
    assert client.post("/api/v1/session", json={"username": "admin",
                                                "password": PASSWORD}).status_code == 200
    bad = client.post("/api/v1/admin/users", json={"username": "N", "full_name": "x",
                                                   "password": "weak", "role": "reviewer"})
    assert bad.status_code == 422
    fields = [e["field"] for e in bad.json()["errors"]]
    assert fields == ["password", "password", "username"]
    made = client.post("/api/v1/admin/users", json={
        "username": "api.user", "full_name": "接口用户", "password": "Api-User-2026",
        "role": "supervisor"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["role_zh"] == "稽核" and body["branch_code"] is None and body["active"]
    user_id = body["id"]
    changed = client.put(f"/api/v1/admin/users/{user_id}/role",
                         json={"role": "loan_officer", "branch_code": "B01"})
    assert changed.status_code == 200 and changed.json()["branch_code"] == "B01"
    # A write with the session cookie must be JSON: a form post from another site is not.
    forged = client.post(f"/api/v1/admin/users/{user_id}/deactivate")
    assert forged.status_code == 403
    assert forged.json()["errors"][0]["field"] == "content-type"
    assert _user(db, "api.user").active
    off = client.post(f"/api/v1/admin/users/{user_id}/deactivate", json={})
    assert off.status_code == 200 and off.json()["active"] is False
    me = _user(db, "admin").id
    self_off = client.post(f"/api/v1/admin/users/{me}/deactivate", json={})
    assert self_off.status_code == 403
    assert self_off.json()["errors"] == [{"field": "user_id", "reason":
                                          "you may not deactivate your own account"}]
    branch = client.post("/api/v1/admin/branches", json=BRANCH)
    assert branch.status_code == 201
    edited = client.put(f"/api/v1/admin/branches/{branch.json()['id']}",
                        json={**BRANCH, "township": "新圩镇"})
    assert edited.json()["township"] == "新圩镇"
    listed = client.get("/api/v1/admin/branches", params={"sort": "code", "order": "desc"})
    assert [b["code"] for b in listed.json()] == ["GX012", "B02", "B01"]
    assert client.get("/api/v1/admin/users/99999").status_code == 404


def test_openapi_lists_the_admin_audit_and_token_operations(app: FastAPI) -> None:
    paths = TestClient(app).get("/api/openapi.json").json()["paths"]
    for path in ("/api/v1/admin/users", "/api/v1/admin/users/{user_id}/role",
                 "/api/v1/admin/branches", "/api/v1/audit", "/api/v1/audit/verify",
                 "/api/v1/account/tokens", "/api/v1/account/tokens/{token_id}"):
        assert path in paths, path


def test_service_reasons_have_chinese_translations(app: FastAPI) -> None:
    zh = app.state.translations["zh_CN"]
    for message in (user_service.PASSWORD_TOO_SHORT, user_service.PASSWORD_TOO_SIMPLE,
                    user_service.PASSWORD_HAS_USERNAME, user_service.PASSWORD_MISMATCH,
                    user_service.USERNAME_FORMAT, user_service.USERNAME_TAKEN,
                    user_service.BRANCH_REQUIRED, user_service.BRANCH_UNKNOWN,
                    user_service.ADMIN_ONLY, user_service.NOT_YOURSELF_DEACTIVATE,
                    user_service.NOT_YOURSELF_ROLE, user_service.LAST_ADMIN,
                    branch_service.CODE_FORMAT, branch_service.CODE_TAKEN,
                    branch_service.TEXT_TOO_LONG):
        assert zh.gettext(message) != message, message


# --- the session's end ------------------------------------------------------------------------


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1_800_000_000.0
        monkeypatch.setattr(web_session, "wall_clock", lambda: self.now)

    def advance(self, minutes: float) -> None:
        self.now += minutes * 60


def test_idle_session_returns_to_the_login_with_next_and_back(
        app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    admin = Browser(app, "admin")
    for _ in range(3):  # activity keeps the session open well past the idle limit
        clock.advance(25)
        assert admin.get("/admin/users").status_code == 200
    clock.advance(31)
    gone = admin.get("/admin/users?role=admin&sort=username")
    assert gone.status_code == 303
    assert gone.headers["location"] == "/login?next=/admin/users%3Frole%3Dadmin%26sort%3Dusername"
    login = admin.get(gone.headers["location"])
    assert "长时间未操作，会话已结束" in login.text
    assert hidden(login.text, "next") == "/admin/users?role=admin&sort=username"
    assert admin.client.get("/api/v1/session").status_code == 401
    back = admin.login("admin", next_path="/admin/users%3Frole%3Dadmin%26sort%3Dusername")
    assert back.status_code == 303
    assert back.headers["location"] == "/admin/users?role=admin&sort=username"
    assert admin.get(back.headers["location"]).status_code == 200


def test_the_api_session_expires_too(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    client = TestClient(app)
    assert client.post("/api/v1/session", json={"username": "risk",
                                                "password": PASSWORD}).status_code == 200
    clock.advance(29)
    assert client.get("/api/v1/session").status_code == 200
    clock.advance(31)
    expired = client.get("/api/v1/session")
    assert expired.status_code == 401
    assert expired.json()["errors"][0]["reason"] == "the session has expired; log in again"


def test_a_session_ends_at_its_maximum_age_even_when_active(
        db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    app = make_app(db, tmp_path, session_max_age_seconds=3600)
    browser = Browser(app, "audit")
    for _ in range(2):
        clock.advance(25)
        assert browser.get("/").status_code == 200
    clock.advance(25)
    assert browser.get("/").status_code == 303


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x",
                                    "/\\evil.example", "/login", "javascript:alert(1)"])
def test_next_leads_only_to_a_path_on_this_site(app: FastAPI, target: str) -> None:
    browser = Browser(app)
    page = browser.get("/login", params={"next": target})
    assert 'name="next"' not in page.text
    token = csrf_of(page.text)
    answer = browser.client.post("/login", data={"username": "admin", "password": PASSWORD,
                                                 "csrf_token": token, "next": target},
                                 follow_redirects=False)
    assert answer.headers["location"] == "/"


def test_a_kept_form_waits_only_for_its_own_user(
        app: FastAPI, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    admin = Browser(app, "admin")
    page = admin.form("/admin/branches/new")
    clock.advance(45)  # the administrator filled the form slowly
    sent = admin.client.post("/admin/branches/new", data={
        "csrf_token": csrf_of(page), "form_id": hidden(page, "form_id"), **BRANCH},
        headers={"referer": "http://testserver/admin/branches/new"}, follow_redirects=False)
    assert sent.status_code == 303
    assert sent.headers["location"] == "/login?next=/admin/branches/new"
    assert count(db, BranchRow) == 2
    login = admin.get(sent.headers["location"])
    assert "您正在提交的表单已保留" in login.text
    # Another user logging in on this browser is not offered the administrator's form.
    other = admin.login("risk", next_path="/admin/branches/new")
    assert other.headers["location"] == "/admin/branches/new"
    assert admin.get("/account/resume").headers["location"] == "/"
    # Without any session (never logged in) a posted form is not kept.
    stranger = Browser(app)
    posted = stranger.client.post("/admin/branches/new", data={
        "csrf_token": "stale", "form_id": "f-123", **BRANCH}, follow_redirects=False)
    assert posted.status_code == 303 and posted.headers["location"] == "/login"
    assert stranger.login("admin").headers["location"] == "/"
    assert count(db, BranchRow) == 2


def test_the_kept_form_is_offered_to_its_user_after_login(
        app: FastAPI, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    admin = Browser(app, "admin")
    page = admin.form("/admin/branches/new")
    clock.advance(31)
    sent = admin.client.post("/admin/branches/new", data={
        "csrf_token": csrf_of(page), "form_id": hidden(page, "form_id"), **BRANCH,
        "password": "not-kept-Secret1"},
        headers={"referer": "http://testserver/admin/branches/new"}, follow_redirects=False)
    assert sent.status_code == 303
    login = admin.login("admin", next_path="/admin/branches/new")
    assert login.headers["location"] == "/account/resume"
    resume = admin.get("/account/resume")
    assert resume.status_code == 200
    assert "重新提交表单" in resume.text and "新圩信用社" in resume.text
    assert "not-kept-Secret1" not in resume.text
    assert 'action="/admin/branches/new"' in resume.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">',
                             resume.text))
    assert fields["code"] == "GX012" and "password" not in fields
    again = admin.client.post("/admin/branches/new", data={k: unescape(v) for k, v in
                                                           fields.items()},
                              follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/admin/branches"
    assert count(db, BranchRow) == 3
    assert admin.get("/account/resume").headers["location"] == "/"  # offered once


# --- the same services on SQLite and PostgreSQL ---------------------------------------------


def test_listings_locks_and_tokens_work_on_both_databases(database: Database) -> None:
    """The directory queries (filters, NULL-first sort, text search), the row locks of the
    last-administrator rule, the audit date filter and the token times, on both databases."""
    seed(database)
    admin, risk = _current(database, "admin"), _current(database, "risk")
    with database.uow() as uow:
        page = user_service.list_users(uow, admin, sort="branch", limit=3)
        assert [v.branch_code for v in page.items] == [None, None, None]
        assert page.total == len(STAFF) and page.pages == 2
        assert [v.username for v in user_service.list_users(
            uow, admin, text="OFF", active=True).items] == ["officer"]
        assert [v.username for v in user_service.list_users(
            uow, admin, branch_code=user_service.NO_BRANCH, sort="username",
            descending=True).items] == ["risk", "audit", "admin"]
        assert [b.code for b in branch_service.list_branches(
            uow, admin, sort="name_en", descending=True)] == ["B02", "B01"]
        assert [(b.code, b.users) for b in branch_service.list_branches(uow, admin)] == [
            ("B01", 2), ("B02", 0)]
    with database.uow() as uow, pytest.raises(PermissionDenied):
        user_service.set_active(uow, admin, admin.id, False)
    with database.uow() as uow:
        officer = _user(database, "officer")
        assert not user_service.set_active(uow, admin, officer.id, False).active
    with database.uow() as uow:
        today = datetime.now(audit_service.CHINA_TIME).date()
        found = audit_service.search(uow, risk, since=today, until=today, entity="user")
        assert found.total == len(STAFF) + 1
        assert audit_service.search(uow, risk, until=today - timedelta(days=1)).total == 0
        assert audit_service.verify_for(uow, risk).intact
    with database.uow() as uow:
        made = token_service.create_token(uow, risk, name="feed", expires_in_days=1)
    with database.uow() as uow:
        assert token_service.authenticate(uow, made.secret) == risk
    with database.uow() as uow:
        page_of = token_service.list_tokens(uow, risk, live_only=True)
        assert [t.status for t in page_of.items] == ["active"]
        assert page_of.items[0].last_used_at is not None
        assert page_of.items[0].expires_at is not None
        assert page_of.items[0].expires_at - datetime.now(UTC) < timedelta(days=1)
    with database.uow() as uow:
        assert token_service.revoke_token(uow, admin, made.token.id).status == "revoked"
    with database.uow() as uow:
        assert token_service.authenticate(uow, made.secret) is None
        assert token_service.list_tokens(uow, admin, everyone=True, live_only=True).total == 0
