"""API tokens: created on /account/tokens (the secret shown once, never stored), used as
``Authorization: Bearer``, refused once revoked or expired, revoked by their owner or the
administrator; the cookie-only CSRF rule for the API does not apply to token requests."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from mortgage_risk.services import tokens as token_service
from mortgage_risk.services.users import load_user
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.tables import ApiTokenRow, AuditRow
from tests.test_web_admin import PASSWORD, Browser, csrf_of, error_beside, hidden, make_app, seed


@pytest.fixture
def db(sqlite_database: Database) -> Database:
    seed(sqlite_database)
    return sqlite_database


@pytest.fixture
def app(db: Database, tmp_path: Path) -> FastAPI:
    return make_app(db, tmp_path)


def _create_on_page(browser: Browser, name: str = "核心系统夜间推送",
                    days: str = "90") -> tuple[Any, str]:
    page = browser.form("/account/tokens")
    answer = browser.client.post("/account/tokens", data={
        "csrf_token": csrf_of(page), "form_id": hidden(page, "form_id"), "name": name,
        "expires_in_days": days}, follow_redirects=False)
    match = re.search(r'id="token-secret">([^<]+)<', answer.text)
    return answer, unescape(match.group(1)) if match else ""


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _token_row(db: Database, prefix: str) -> ApiTokenRow:
    with db.uow() as uow:
        row = uow.session.scalars(select(ApiTokenRow).where(ApiTokenRow.prefix == prefix)).one()
        uow.session.expunge(row)
        return row


def test_a_token_opens_the_api_as_its_user(app: FastAPI, db: Database) -> None:
    officer = Browser(app, "officer")
    answer, secret = _create_on_page(officer)
    assert answer.status_code == 200
    assert "请立即复制：密钥只显示这一次" in answer.text
    assert secret.startswith("mrk_") and len(secret) > 40
    integration = TestClient(app)  # no cookie: the core banking system
    warnings = integration.get("/api/v1/warnings", headers=_bearer(secret))
    assert warnings.status_code == 200, warnings.text
    assert warnings.json()["total"] == 0
    me = integration.get("/api/v1/session", headers=_bearer(secret)).json()
    assert (me["username"], me["role"]) == ("officer", "loan_officer")
    assert "set-cookie" not in warnings.headers  # a token request starts no session
    row = _token_row(db, secret[:8])
    assert row.last_used_at is not None
    # The role of the token's user applies: a loan officer may not read the audit log.
    refused = integration.get("/api/v1/audit", headers=_bearer(secret))
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "role"


def test_the_secret_is_shown_once_and_never_stored(app: FastAPI, db: Database) -> None:
    officer = Browser(app, "officer")
    _, secret = _create_on_page(officer)
    again = officer.get("/account/tokens")
    assert secret not in again.text
    assert f"{secret[:8]}…" in again.text
    row = _token_row(db, secret[:8])
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    with db.engine.connect() as conn:  # not in any column of any row
        for table in ("api_tokens", "audit_log", "users"):
            for record in conn.execute(text(f"SELECT * FROM {table}")):
                assert secret not in " ".join(str(v) for v in record), table
    with db.uow() as uow:
        created = uow.session.scalars(select(AuditRow).where(
            AuditRow.entity == "api_token", AuditRow.action == "create")).one()
        assert created.actor == "officer"
        assert created.after is not None and created.after["prefix"] == secret[:8]


def test_sending_the_form_twice_creates_one_token(app: FastAPI, db: Database) -> None:
    officer = Browser(app, "officer")
    page = officer.form("/account/tokens")
    data = {"csrf_token": csrf_of(page), "form_id": hidden(page, "form_id"), "name": "feed",
            "expires_in_days": "30"}
    first = officer.client.post("/account/tokens", data=data, follow_redirects=False)
    second = officer.client.post("/account/tokens", data=data, follow_redirects=False)
    assert first.status_code == 200 and second.status_code == 303
    assert "其密钥只显示一次" in officer.get("/account/tokens").text
    with db.uow() as uow:
        assert len(uow.session.scalars(select(ApiTokenRow)).all()) == 1


def test_bad_token_input_is_shown_beside_the_field(app: FastAPI, db: Database) -> None:
    officer = Browser(app, "officer")
    answer, secret = _create_on_page(officer, name="  ", days="400")
    assert answer.status_code == 422 and not secret
    assert error_beside(answer.text, "name") == "不能为空"
    assert "1至365" in error_beside(answer.text, "expires_in_days")
    with db.uow() as uow:
        assert uow.session.scalars(select(ApiTokenRow)).all() == []


def test_revoked_expired_and_malformed_tokens_get_401(app: FastAPI, db: Database) -> None:
    officer = Browser(app, "officer")
    _, revoked = _create_on_page(officer, "revoked")
    _, expired = _create_on_page(officer, "expired")
    _, never = _create_on_page(officer, "forever", days="")
    integration = TestClient(app)
    for secret in (revoked, expired, never):
        assert integration.get("/api/v1/warnings", headers=_bearer(secret)).status_code == 200

    row = _token_row(db, revoked[:8])
    answer = officer.post(f"/account/tokens/{row.id}/revoke", {"back": "/account/tokens"})
    assert answer.status_code == 303
    assert f"令牌 {revoked[:8]}… 已吊销。" in officer.get("/account/tokens").text
    with db.engine.begin() as conn:
        conn.execute(update(ApiTokenRow).where(ApiTokenRow.prefix == expired[:8]).values(
            expires_at=datetime.now(UTC) - timedelta(seconds=1)))

    for secret in (revoked, expired, "mrk_not-a-token", never[:-1]):
        refused = integration.get("/api/v1/warnings", headers=_bearer(secret))
        assert refused.status_code == 401, secret
        assert refused.json() == {"errors": [{"field": None, "reason":
                                              "the API token is not valid, has expired or "
                                              "was revoked"}]}
        assert refused.headers["www-authenticate"] == "Bearer"
    malformed = integration.get("/api/v1/warnings", headers={"Authorization": never})
    assert malformed.status_code == 401
    assert integration.get("/api/v1/warnings", headers=_bearer(never)).status_code == 200
    statuses = dict(re.findall(r'<th scope="row">(\w+)</th><td class="mono">[^<]+</td>\s*'
                               r"<td>([^<]+)</td>", officer.get("/account/tokens").text))
    assert statuses == {"revoked": "已吊销", "expired": "已过期", "forever": "有效"}


def test_a_token_of_a_deactivated_user_stops_working(app: FastAPI, db: Database) -> None:
    officer = Browser(app, "officer")
    _, secret = _create_on_page(officer)
    admin = TestClient(app)
    admin.post("/api/v1/session", json={"username": "admin", "password": PASSWORD})
    row = _token_row(db, secret[:8])
    off = admin.post(f"/api/v1/admin/users/{row.user_id}/deactivate", json={})
    assert off.status_code == 200
    assert TestClient(app).get("/api/v1/warnings", headers=_bearer(secret)).status_code == 401
    assert admin.post(f"/api/v1/admin/users/{row.user_id}/reactivate", json={}).status_code == 200
    # Deactivating revoked the token: reactivating the user does not bring it back.
    assert TestClient(app).get("/api/v1/warnings", headers=_bearer(secret)).status_code == 401
    assert _token_row(db, secret[:8]).revoked_at is not None


def test_pages_ignore_the_bearer_token(app: FastAPI) -> None:
    officer = Browser(app, "officer")
    _, secret = _create_on_page(officer)
    page = TestClient(app).get("/", headers=_bearer(secret), follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"


def test_token_writes_need_no_csrf_but_cookie_writes_must_be_json(app: FastAPI) -> None:
    auditor = Browser(app, "audit")
    _, secret = _create_on_page(auditor)
    integration = TestClient(app)
    by_token = integration.post("/api/v1/audit/verify", headers=_bearer(secret))
    assert by_token.status_code == 200 and by_token.json()["intact"] is True
    by_cookie = auditor.client.post("/api/v1/audit/verify")
    assert by_cookie.status_code == 403
    assert by_cookie.json()["errors"][0]["field"] == "content-type"
    as_form = auditor.client.post("/api/v1/audit/verify", data={"x": "1"})
    assert as_form.status_code == 403
    assert auditor.client.post("/api/v1/audit/verify", json={}).status_code == 200
    # A token may not mint more tokens (a leaked one must not outlive its revocation).
    minted = integration.post("/api/v1/account/tokens", headers=_bearer(secret),
                              json={"name": "more"})
    assert minted.status_code == 403
    assert minted.json()["errors"][0]["field"] == "authorization"


def test_tokens_through_the_api_and_who_may_revoke_them(app: FastAPI, db: Database) -> None:
    risk = TestClient(app)
    assert risk.post("/api/v1/session", json={"username": "risk",
                                              "password": PASSWORD}).status_code == 200
    made = risk.post("/api/v1/account/tokens", json={"name": "风险报表", "expires_in_days": 30})
    assert made.status_code == 201, made.text
    body = made.json()
    secret, token_id = body["secret"], body["token"]["id"]
    assert body["token"]["status"] == "active" and body["token"]["prefix"] == secret[:8]
    expires = datetime.fromisoformat(body["token"]["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    listed = risk.get("/api/v1/account/tokens").json()
    assert listed["total"] == 1 and "secret" not in listed["items"][0]
    assert secret not in str(listed)

    officer = TestClient(app)
    officer.post("/api/v1/session", json={"username": "officer", "password": PASSWORD})
    others = officer.delete(f"/api/v1/account/tokens/{token_id}",
                            headers={"Content-Type": "application/json"})
    assert others.status_code == 404  # another user's token: not even its existence
    assert officer.get("/api/v1/admin/tokens").status_code == 403

    admin = TestClient(app)
    admin.post("/api/v1/session", json={"username": "admin", "password": PASSWORD})
    everyone = admin.get("/api/v1/admin/tokens", params={"live": True}).json()
    assert [t["username"] for t in everyone["items"]] == ["risk"]
    revoked = admin.delete(f"/api/v1/account/tokens/{token_id}",
                           headers={"Content-Type": "application/json"})
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert TestClient(app).get("/api/v1/session", headers=_bearer(secret)).status_code == 401
    with db.uow() as uow:
        record = uow.session.scalars(select(AuditRow).where(
            AuditRow.entity == "api_token", AuditRow.action == "revoke")).one()
        assert record.actor == "admin"


def test_admin_revokes_a_users_token_from_the_users_page(app: FastAPI, db: Database) -> None:
    officer = Browser(app, "officer")
    _, secret = _create_on_page(officer)
    row = _token_row(db, secret[:8])
    admin = Browser(app, "admin")
    page_path = f"/admin/users/{row.user_id}"
    page = admin.form(page_path)
    assert f"{secret[:8]}…" in page and f'action="/account/tokens/{row.id}/revoke"' in page
    answer = admin.post(f"/account/tokens/{row.id}/revoke", {"back": page_path},
                        from_page=page_path)
    assert answer.status_code == 303 and answer.headers["location"] == page_path
    assert TestClient(app).get("/api/v1/warnings", headers=_bearer(secret)).status_code == 401
    # Someone else's token, from a page: refused, nothing changed.
    _, other = _create_on_page(officer, "second")
    auditor = Browser(app, "audit")
    other_row = _token_row(db, other[:8])
    refused = auditor.post(f"/account/tokens/{other_row.id}/revoke", {"back": "https://x.y/"})
    assert refused.headers["location"] == "/account/tokens"
    assert "没有该令牌" in auditor.get("/account/tokens").text
    assert _token_row(db, other[:8]).revoked_at is None


def test_a_user_holds_at_most_ten_live_tokens(app: FastAPI, db: Database) -> None:
    with db.uow() as uow:
        user = uow.users.by_username("officer")
        assert user is not None
        me = load_user(uow, user.id)
    assert me is not None
    for i in range(token_service.MAX_LIVE_TOKENS):
        with db.uow() as uow:
            token_service.create_token(uow, me, name=f"t{i}")
    officer = Browser(app, "officer")
    answer, secret = _create_on_page(officer, "one too many")
    assert answer.status_code == 422 and not secret
    assert "已达上限" in error_beside(answer.text, "name")
