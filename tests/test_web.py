"""The web layer: pages, login, CSRF, i18n, security headers and the JSON API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from mortgage_risk.config import Settings
from mortgage_risk.domain.resident_id import check_character
from mortgage_risk.services import portfolio
from mortgage_risk.services.users import create_user, load_user
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.tables import BorrowerRow, BranchRow, PropertyRow
from mortgage_risk.web import create_app
from mortgage_risk.web.app import SESSION_COOKIE
from mortgage_risk.web.errors import validation_errors
from mortgage_risk.web.security import LoginThrottle

PASSWORD = "Test@2026-web"
VALID_ID = "45032119850612001" + check_character("45032119850612001")
OTHER_ID = "45032119900101002" + check_character("45032119900101002")


def _settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", secret_key="test-secret-key-for-web-tests")


def _csrf(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def _page_login(client: TestClient, username: str, password: str) -> Any:
    token = _csrf(client)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token}, follow_redirects=False)


def _api_login(client: TestClient, username: str, password: str) -> Any:
    return client.post("/api/v1/session", json={"username": username, "password": password})


# --- a small database of our own for the writing tests (the seeded book stays read-only) ---


@pytest.fixture
def small_db(sqlite_database: Database) -> Database:
    with sqlite_database.uow() as uow:
        uow.session.add_all([
            BranchRow(code="B01", name_zh="城关信用社", name_en="Chengguan branch",
                      kind="county_town", township="城关镇"),
            BranchRow(code="B02", name_zh="河口信用社", name_en="Hekou branch",
                      kind="town", township="河口镇"),
        ])
        uow.commit()
    with sqlite_database.uow() as uow:
        for username, role, branch in (("officer", "loan_officer", "B01"),
                                       ("risk", "risk_manager", None),
                                       ("audit", "supervisor", None)):
            create_user(uow, actor="test", username=username, full_name=f"测试 {username}",
                        password=PASSWORD, role=role, branch_code=branch)
        uow.commit()
    return sqlite_database


@pytest.fixture
def client(small_db: Database, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(tmp_path), small_db)) as c:
        yield c


@pytest.fixture
def seeded_client(seeded_database: Database, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(tmp_path), seeded_database)) as c:
        yield c


def _count(db: Database, row: type) -> int:
    with db.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(row)) or 0)


def _borrower(**overrides: Any) -> dict[str, Any]:
    body = {"resident_id": VALID_ID, "name": "韦建国", "segment": "farmer",
            "township": "城关镇", "branch_code": "B01", "household_income": "86000.00",
            "dependants": 2}
    body.update(overrides)
    return body


def _property(**overrides: Any) -> dict[str, Any]:
    body = {"owner_resident_id": VALID_ID, "property_type": "urban_housing",
            "land_nature": "state_granted", "structure": "brick_concrete", "storeys": 6,
            "build_year": 2012, "floor_area": "96.50", "land_area": "20.00",
            "township": "城关镇", "address": "城关镇解放路12号3单元501",
            "appraised_value": "420000.00", "as_of": "2026-06-30"}
    body.update(overrides)
    return body


# --- login, throttle, session ------------------------------------------------------------------


def test_login_page_is_chinese_by_default_with_labels(client: TestClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert "县联社抵押贷款风险管理系统" in page.text
    assert '<label for="username">用户名</label>' in page.text
    assert '<label for="password">密码</label>' in page.text


def test_login_success_sets_httponly_samesite_cookie_and_redirects(client: TestClient) -> None:
    answer = _page_login(client, "officer", PASSWORD)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith(SESSION_COOKIE + "=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "max-age=28800" in cookie
    home = client.get("/")
    assert home.status_code == 200
    assert "测试 officer" in home.text
    assert "客户经理" in home.text


def test_login_failure_shows_error(client: TestClient) -> None:
    answer = _page_login(client, "officer", "wrong-password")
    assert answer.status_code == 401
    assert "用户名或密码错误" in answer.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_login_throttle_refuses_after_five_failures(client: TestClient) -> None:
    for _ in range(5):
        assert _page_login(client, "officer", "wrong-password").status_code == 401
    refused = _page_login(client, "officer", PASSWORD)
    assert refused.status_code == 429
    assert "15分钟" in refused.text
    assert client.get("/", follow_redirects=False).status_code == 303
    # The API login shares the throttle; another user is not affected.
    assert _api_login(client, "OFFICER", PASSWORD).status_code == 429
    assert _api_login(client, "risk", PASSWORD).status_code == 200


def test_throttle_window_and_lockout_expire() -> None:
    now = [0.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    for _ in range(4):
        throttle.failed("a")
        now[0] += 60
    now[0] += 15 * 60  # the first failures fall out of the window
    throttle.failed("a")
    assert not throttle.is_locked("a")
    for _ in range(4):
        throttle.failed("a")
    assert throttle.is_locked("a")
    now[0] += 15 * 60 - 1
    assert throttle.is_locked("a")
    now[0] += 2
    assert not throttle.is_locked("a")


def test_login_without_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/login")
    answer = client.post("/login", data={"username": "officer", "password": PASSWORD},
                         follow_redirects=False)
    assert answer.status_code == 403
    forged = client.post("/login", data={"username": "officer", "password": PASSWORD,
                                         "csrf_token": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 303


def test_logout_needs_csrf_and_ends_session(client: TestClient) -> None:
    _page_login(client, "officer", PASSWORD)
    assert client.post("/logout", follow_redirects=False).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200
    token = _csrf(client, "/")
    answer = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303


def test_language_switch_keeps_through_login_and_redirects_back(client: TestClient) -> None:
    answer = client.get("/lang/en", headers={"referer": "http://testserver/login"},
                        follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    assert "<label for=\"username\">Username</label>" in client.get("/login").text
    _page_login(client, "officer", PASSWORD)
    assert "Portfolio overview" in client.get("/").text
    back = client.get("/lang/zh", headers={"referer": "https://evil.example/x"},
                      follow_redirects=False)
    assert back.headers["location"] == "/"
    assert "贷款组合概况" in client.get("/").text


# --- headers and static files --------------------------------------------------------------------


def test_security_headers_present(client: TestClient) -> None:
    for path in ("/login", "/api/v1/health", "/static/app.css"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp
        assert "script-src 'self';" in csp
        assert "unsafe-eval" not in csp
    assert client.get("/login").headers["cache-control"] == "no-store"


def test_plotly_js_is_served_locally(client: TestClient) -> None:
    answer = client.get("/static/vendor/plotly.min.js")
    assert answer.status_code == 200
    assert "javascript" in answer.headers["content-type"]
    assert "plotly.js" in answer.text[:500]
    assert client.get("/static/charts.js").status_code == 200


def test_no_page_loads_anything_from_the_internet(client: TestClient) -> None:
    _page_login(client, "risk", PASSWORD)
    for path in ("/", "/login", "/api/docs"):
        text = client.get(path).text
        assert not re.search(r'(src|href)="(https?:)?//', text), path


def test_openapi_schema_and_self_hosted_docs(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    assert "/api/v1/borrowers" in schema["paths"]
    assert "/api/v1/portfolio/overview" in schema["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "/api/v1/properties" in docs.text
    assert "BorrowerIn" in docs.text


# --- API: auth, errors, registration ---------------------------------------------------------


def test_api_requires_login_with_json_401(client: TestClient) -> None:
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    for method, path in (("get", "/api/v1/portfolio/overview"), ("post", "/api/v1/borrowers"),
                         ("post", "/api/v1/properties"), ("get", "/api/v1/session")):
        answer = client.request(method.upper(), path, json={})
        assert answer.status_code == 401, path
        assert answer.json() == {"errors": [{"field": None, "reason": "login required"}]}


def test_api_login_failure_and_success(client: TestClient) -> None:
    bad = _api_login(client, "officer", "nope")
    assert bad.status_code == 401
    assert bad.json()["errors"][0]["field"] == "password"
    good = _api_login(client, "officer", PASSWORD)
    assert good.status_code == 200
    assert good.json()["role"] == "loan_officer"
    assert good.json()["role_zh"] == "客户经理"
    assert "httponly" in good.headers["set-cookie"].lower()
    assert client.get("/api/v1/session").json()["username"] == "officer"
    assert client.delete("/api/v1/session").status_code == 204
    assert client.get("/api/v1/session").status_code == 401


def test_unknown_api_path_uses_the_error_body(client: TestClient) -> None:
    answer = client.get("/api/v1/nothing-here")
    assert answer.status_code == 404
    assert answer.json() == {"errors": [{"field": None, "reason": "Not Found"}]}


@pytest.mark.parametrize(("overrides", "field"), [
    ({"resident_id": VALID_ID[:17] + ("0" if VALID_ID[17] != "0" else "1")}, "resident_id"),
    ({"resident_id": "12345"}, "resident_id"),
    ({"household_income": "-1"}, "household_income"),
    ({"segment": "astronaut"}, "segment"),
])
def test_invalid_borrower_is_422_naming_the_field_and_nothing_written(
        client: TestClient, small_db: Database, overrides: dict[str, Any], field: str) -> None:
    _api_login(client, "officer", PASSWORD)
    before = _count(small_db, BorrowerRow)
    answer = client.post("/api/v1/borrowers", json=_borrower(**overrides))
    assert answer.status_code == 422, answer.text
    errors = answer.json()["errors"]
    assert errors[0]["field"] == field
    assert errors[0]["reason"]
    assert _count(small_db, BorrowerRow) == before


def test_register_borrower_then_property(client: TestClient, small_db: Database) -> None:
    _api_login(client, "officer", PASSWORD)
    created = client.post("/api/v1/borrowers", json=_borrower())
    assert created.status_code == 201, created.text
    borrower_id = created.json()["id"]
    assert _count(small_db, BorrowerRow) == 1
    with small_db.uow() as uow:
        assert uow.borrowers.get(borrower_id) is not None

    again = client.post("/api/v1/borrowers", json=_borrower())
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "resident_id"

    negative = client.post("/api/v1/properties", json=_property(floor_area="-5"))
    assert negative.status_code == 422
    assert negative.json()["errors"][0]["field"] == "floor_area"

    future = client.post("/api/v1/properties", json=_property(build_year=2030))
    assert future.status_code == 422
    assert future.json()["errors"] == [
        {"field": "build_year", "reason": "2030 is after the as-of date 2026-06-30"}]
    assert _count(small_db, PropertyRow) == 0

    unknown_owner = client.post("/api/v1/properties", json=_property(owner_resident_id=OTHER_ID))
    assert unknown_owner.status_code == 404
    assert unknown_owner.json()["errors"][0]["field"] == "owner_resident_id"

    prop = client.post("/api/v1/properties", json=_property())
    assert prop.status_code == 201, prop.text
    assert isinstance(prop.json()["id"], int)
    assert _count(small_db, PropertyRow) == 1


def test_officer_cannot_register_for_another_branch(client: TestClient, small_db: Database) -> None:
    _api_login(client, "officer", PASSWORD)
    answer = client.post("/api/v1/borrowers", json=_borrower(branch_code="B02"))
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "branch_code"
    assert _count(small_db, BorrowerRow) == 0


def test_supervisor_is_read_only(client: TestClient, small_db: Database) -> None:
    _api_login(client, "audit", PASSWORD)
    answer = client.post("/api/v1/borrowers", json=_borrower())
    assert answer.status_code == 403
    assert answer.json()["errors"][0]["field"] == "role"
    assert client.post("/api/v1/properties", json=_property()).status_code == 403
    assert _count(small_db, BorrowerRow) == 0
    assert client.get("/api/v1/portfolio/overview").status_code == 200


def test_risk_manager_may_register(client: TestClient) -> None:
    _api_login(client, "risk", PASSWORD)
    assert client.post("/api/v1/borrowers", json=_borrower(branch_code="B02")).status_code == 201


def test_validation_error_mapping() -> None:
    errors = validation_errors([
        {"loc": ("body", "resident_id"), "msg": "Value error, resident_id: bad check digit"},
        {"loc": ("body",), "msg": "Value error, build_year: 2030 is after the as-of date"},
        {"loc": ("body", "items", 0, "amount"), "msg": "Input should be greater than 0"},
        {"loc": ("body",), "msg": "Field required"},
    ])
    assert errors == [
        {"field": "resident_id", "reason": "bad check digit"},
        {"field": "build_year", "reason": "2030 is after the as-of date"},
        {"field": "amount", "reason": "Input should be greater than 0"},
        {"field": "body", "reason": "Field required"},
    ]


def test_empty_book_overview_renders(client: TestClient) -> None:
    _page_login(client, "risk", PASSWORD)
    page = client.get("/")
    assert page.status_code == 200
    assert "¥0" in page.text
    assert "0.00%" in page.text


# --- the overview on the seeded book ------------------------------------------------------------


def _user_id(db: Database, username: str) -> int:
    with db.uow() as uow:
        row = uow.users.by_username(username)
        assert row is not None
        return row.id


def test_overview_requires_login(seeded_client: TestClient) -> None:
    answer = seeded_client.get("/", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"


def test_overview_page_in_chinese_then_english(seeded_client: TestClient,
                                               seeded_database: Database) -> None:
    from mortgage_risk.services.demo import DEMO_PASSWORD

    assert _page_login(seeded_client, "risk", DEMO_PASSWORD).status_code == 303
    page = seeded_client.get("/")
    assert page.status_code == 200
    text = page.text
    for words in ("贷款组合概况", "贷款余额", "逾期贷款余额", "不良贷款率", "按信用社",
                  "按抵押物类型", "按五级分类", "风险管理部", "正常", "城镇商品住房", "退出"):
        assert words in text, words
    with seeded_database.uow() as uow:
        user = load_user(uow, _user_id(seeded_database, "risk"))
        assert user is not None
        ov = portfolio.overview(uow, user)
    assert f"{ov.total.loans:,}" in text
    assert "¥" + f"{ov.total.balance.quantize(Decimal(1)):,}" in text
    assert re.search(r'<script type="application/json" id="chart-data">\{', text)
    assert "<script>" not in text  # no inline script: the CSP stays strict
    assert '/static/vendor/plotly.min.js' in text

    seeded_client.get("/lang/en")
    english = seeded_client.get("/").text
    assert '<html lang="en">' in english
    for words in ("Portfolio overview", "NPL ratio", "By branch", "risk manager", "normal",
                  "urban commercial housing", "Log out"):
        assert words in english, words
    assert "贷款组合概况" not in english


def test_overview_api_equals_service(seeded_client: TestClient,
                                     seeded_database: Database) -> None:
    from mortgage_risk.services.demo import DEMO_PASSWORD

    assert _api_login(seeded_client, "risk", DEMO_PASSWORD).status_code == 200
    body = seeded_client.get("/api/v1/portfolio/overview").json()
    with seeded_database.uow() as uow:
        user = load_user(uow, _user_id(seeded_database, "risk"))
        assert user is not None
        ov = portfolio.overview(uow, user)
    assert body["as_of"] == ov.as_of.isoformat()
    assert body["scope_branch"] is None
    total = body["total"]
    assert total["loans"] == ov.total.loans > 0
    assert Decimal(total["balance"]) == ov.total.balance
    assert Decimal(total["overdue_balance"]) == ov.total.overdue_balance
    assert Decimal(total["npl_balance"]) == ov.total.npl_balance
    assert Decimal(total["npl_ratio"]) == ov.total.npl_ratio
    assert Decimal(total["overdue_ratio"]) == ov.total.overdue_ratio
    for key, lines in (("by_branch", ov.by_branch), ("by_property_type", ov.by_property_type),
                       ("by_category", ov.by_category)):
        assert [x["key"] for x in body[key]] == [x.key for x in lines]
        assert [Decimal(x["balance"]) for x in body[key]] == [x.balance for x in lines]
        assert [x["label_zh"] for x in body[key]] == [x.label_zh for x in lines]
        assert [x["label_en"] for x in body[key]] == [x.label_en for x in lines]


def test_loan_officer_sees_only_their_branch(seeded_client: TestClient,
                                             seeded_database: Database, tmp_path: Path) -> None:
    from mortgage_risk.services.demo import DEMO_PASSWORD

    _api_login(seeded_client, "risk", DEMO_PASSWORD)
    union = seeded_client.get("/api/v1/portfolio/overview").json()
    with TestClient(create_app(_settings(tmp_path), seeded_database)) as officer:
        assert _api_login(officer, "officer1", DEMO_PASSWORD).status_code == 200
        branch = officer.get("/api/v1/portfolio/overview").json()
        assert 0 < branch["total"]["loans"] < union["total"]["loans"]
        assert len(branch["by_branch"]) == 1
        assert branch["scope_branch"]
        page = officer.get("/")  # the cookie from the API login works for the pages too
        assert page.status_code == 200
        assert f"{branch['total']['loans']:,}" in page.text


def test_every_message_has_a_chinese_translation() -> None:
    from babel.messages.pofile import read_po

    import mortgage_risk.web as web_package

    web = Path(web_package.__file__).parent
    used: set[str] = set()
    pattern = re.compile(r"""(?:\b_|gettext)\(\s*("(?:[^"\\]|"\s*")*"|'[^']*')\s*\)""")
    for path in [*web.glob("templates/*.html"), *web.glob("*.py")]:
        for literal in pattern.findall(path.read_text(encoding="utf-8")):
            used.add(re.sub(r'"\s*"', "", literal)[1:-1])
    assert "Log in" in used
    translated: set[str] = set()
    for po_path in (web / "translations/zh_CN/LC_MESSAGES").glob("*.po"):
        with po_path.open("rb") as po:
            translated |= {m.id for m in read_po(po) if m.id and m.string}
    assert used <= translated, used - translated
