"""/api/v1/risk: login, roles and scope, exact money strings, errors naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mortgage_risk.config import Settings
from mortgage_risk.monitoring.policy import MonitoringPolicy
from mortgage_risk.services import portfolio_risk
from mortgage_risk.services.demo import DEMO_PASSWORD
from mortgage_risk.services.users import CurrentUser, load_user
from mortgage_risk.storage.database import Database
from mortgage_risk.web import create_app


def _settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", secret_key="test-secret-key-for-risk-tests")


@pytest.fixture
def app_for(seeded_database: Database, tmp_path: Path) -> Iterator[Any]:
    """A logged-in API client per demo username."""
    clients: list[TestClient] = []

    def login(username: str) -> TestClient:
        client = TestClient(create_app(_settings(tmp_path), seeded_database))
        client.__enter__()
        clients.append(client)
        answer = client.post("/api/v1/session",
                             json={"username": username, "password": DEMO_PASSWORD})
        assert answer.status_code == 200, answer.text
        return client

    yield login
    for c in clients:
        c.__exit__(None, None, None)


def _user(db: Database, username: str) -> CurrentUser:
    with db.uow() as uow:
        row = uow.users.by_username(username)
        assert row is not None
        user = load_user(uow, row.id)
        assert user is not None
        return user


def _field(answer: Any) -> str:
    return str(answer.json()["errors"][0]["field"])


def test_risk_api_needs_a_login(seeded_database: Database, tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path), seeded_database)) as client:
        for path in ("/api/v1/risk/summary", "/api/v1/risk/provisions",
                     "/api/v1/risk/migration", "/api/v1/risk/vintages",
                     "/api/v1/risk/roll-rates"):
            answer = client.get(path)
            assert answer.status_code == 401, path
            assert answer.json()["errors"][0]["reason"] == "login required"
        assert client.post("/api/v1/risk/stress", json={}).status_code == 401


def test_summary_equals_the_service_with_exact_money(app_for: Any,
                                                      seeded_database: Database) -> None:
    body = app_for("risk").get("/api/v1/risk/summary").json()
    with seeded_database.uow() as uow:
        r = portfolio_risk.portfolio_risk(uow, _user(seeded_database, "risk"))
    assert body["as_of"] == r["as_of"].isoformat() and body["scope"] is None
    assert body["versions"]["monitoring_policy"] == MonitoringPolicy.load_default().version
    assert body["versions"]["classification"]["source"] == "book"
    for key in ("balance", "npl_balance", "specific_provision", "ecl", "provision",
                "general_reserve"):
        assert isinstance(body["totals"][key], str)
        assert Decimal(body["totals"][key]) == r["totals"][key]
        assert Decimal(body["totals"][key]).as_tuple().exponent == -2
    assert [i["key"] for i in body["indicators"]] == [
        "npl_ratio", "provision_coverage", "loan_provision_ratio", "dpd90_to_npl", "par30",
        "par90"]
    for got, want in zip(body["indicators"], r["indicators"], strict=True):
        assert (Decimal(got["value"]) if got["value"] is not None else None) == want["value"]
        assert got["breach"] == want["breach"]
    assert [c["category"] for c in body["provisions"]["by_category"]] == [
        "normal", "special_mention", "substandard", "doubtful", "loss"]
    assert sum(Decimal(g["balance"]) for g in body["breakdown"]) == r["totals"]["balance"]
    assert [g["key"] for g in body["breakdown"]] == [g["key"] for g in r["breakdown"]]


def test_scope_by_role(app_for: Any) -> None:
    union = app_for("risk").get("/api/v1/risk/summary").json()
    officer = app_for("officer1").get("/api/v1/risk/summary").json()
    assert officer["scope"] is not None and officer["scope"]["name_zh"]
    assert 0 < officer["totals"]["loans"] < union["totals"]["loans"]
    assert len(officer["breakdown"]) == 1
    reviewer = app_for("reviewer1").get("/api/v1/risk/provisions").json()
    assert reviewer["scope"] == officer["scope"]
    approver = app_for("approver1").get("/api/v1/risk/summary").json()
    assert approver["scope"] is None and approver["totals"] == union["totals"]
    supervisor = app_for("audit").get("/api/v1/risk/roll-rates")
    assert supervisor.status_code == 200 and supervisor.json()["scope"] is None
    trainer = app_for("trainer")
    for answer in (trainer.get("/api/v1/risk/summary"), trainer.get("/api/v1/risk/migration"),
                   trainer.post("/api/v1/risk/stress", json={})):
        assert answer.status_code == 403
        assert _field(answer) == "role"


def test_provisions_by_group_and_bad_group(app_for: Any) -> None:
    client = app_for("risk")
    for group in ("branch", "township", "property_type", "officer"):
        body = client.get("/api/v1/risk/provisions", params={"group_by": group}).json()
        assert body["group_by"] == group
        # each figure is rounded to the fen on its own: the groups add up to half a fen each
        gap = abs(sum(Decimal(g["provision"]) for g in body["breakdown"])
                  - Decimal(body["totals"]["provision"]))
        assert gap <= Decimal("0.005") * len(body["breakdown"])
        assert sum(Decimal(g["balance"]) for g in body["breakdown"]) == \
            Decimal(body["totals"]["balance"])
        assert sum(g["loans"] for g in body["breakdown"]) == body["totals"]["loans"]
    answer = client.get("/api/v1/risk/provisions", params={"group_by": "county"})
    assert answer.status_code == 422 and _field(answer) == "group_by"


def test_migration_endpoint(app_for: Any) -> None:
    client = app_for("risk")
    body = client.get("/api/v1/risk/migration").json()
    assert body["source"] == "computed" and body["from"] < body["to"]
    assert sum(r["loans"] for r in body["rows"]) == body["loans_from"]
    assert [c["key"] for c in body["columns"]][-1] == "closed"
    assert all("from" in r and r["counts"] for r in body["rows"])
    custom = client.get("/api/v1/risk/migration",
                        params={"from": "2025-12-31", "to": "2026-06-30"}).json()
    assert (custom["from"], custom["to"]) == ("2025-12-31", "2026-06-30")
    backwards = client.get("/api/v1/risk/migration",
                           params={"from": "2026-06-30", "to": "2025-06-30"})
    assert backwards.status_code == 422 and _field(backwards) == "from"
    bad = client.get("/api/v1/risk/migration", params={"from": "2026-13-01"})
    assert bad.status_code == 422 and _field(bad) == "from"


def test_vintages_and_roll_rates(app_for: Any) -> None:
    client = app_for("risk")
    body = client.get("/api/v1/risk/vintages", params={"metric": "dpd30"}).json()
    assert body["metric"] == "dpd30" and body["versions"]["threshold_days"] == 30
    assert body["vintages"] and all(len(v["rate"]) == len(v["months_on_book"])
                                    for v in body["vintages"])
    bad = client.get("/api/v1/risk/vintages", params={"metric": "ever"})
    assert bad.status_code == 422 and _field(bad) == "metric"
    rolls = client.get("/api/v1/risk/roll-rates", params={"months": 6}).json()
    assert rolls["months"] == 6
    names = [b.name for b in MonitoringPolicy.load_default().portfolio.roll_rate_buckets]
    assert [r["from"] for r in rolls["rows"]] == names
    for row in rolls["rows"]:
        if row["loans"]:
            assert abs(sum(Decimal(v) for v in row["shares"].values()) - 1) < Decimal("1e-5")
    bad = client.get("/api/v1/risk/roll-rates", params={"months": 0})
    assert bad.status_code == 422 and _field(bad) == "months"


def test_stress_endpoint(app_for: Any) -> None:
    client = app_for("risk")
    answer = client.post("/api/v1/risk/stress",
                         json={"house_price_shocks": [0, -0.3], "pd_multiplier": 1})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    base, zero, severe = body["baseline"], *body["scenarios"]
    assert body["custom"] is True
    for key in ("share_ltv_over_100", "expected_loss", "provisions", "npl_ratio"):
        assert zero[key] == base[key], key
    assert Decimal(severe["share_ltv_over_100"]) >= Decimal(base["share_ltv_over_100"])
    assert Decimal(severe["expected_loss"]) > Decimal(base["expected_loss"])
    assert Decimal(severe["house_price_shock"]) == Decimal("-0.3")
    path = client.post("/api/v1/risk/stress", json={"house_price_path": [-0.05, -0.05],
                                                    "pd_multiplier": 2}).json()
    assert path["scenarios"][0]["house_price_path"] == [-0.05, -0.05]
    assert Decimal(path["scenarios"][0]["pd_multiplier"]) == 2
    policy = client.post("/api/v1/risk/stress", json={}).json()
    assert [s["name"] for s in policy["scenarios"]] == [
        s.name for s in MonitoringPolicy.load_default().stress.scenarios]
    assert policy["custom"] is False
    for bad, field in (({"house_price_shocks": [-0.1], "house_price_path": [-0.01]},
                        "house_price_path"),
                       ({"house_price_shocks": [-2]}, "house_price_shocks"),
                       ({"scenarios": [{"name": "x", "house_price_shock": -0.1,
                                        "house_price_path": [-0.1]}]}, "house_price_path"),
                       ({"pd_multiplier": -1, "house_price_shocks": [-0.1]}, "pd_multiplier"),
                       ({"shocks": [-0.1]}, "shocks")):
        answer = client.post("/api/v1/risk/stress", json=bad)
        assert answer.status_code == 422, bad
        assert _field(answer) == field, answer.json()


def test_openapi_lists_the_risk_operations(app_for: Any) -> None:
    paths = app_for("risk").get("/api/openapi.json").json()["paths"]
    for path in ("/api/v1/risk/summary", "/api/v1/risk/provisions", "/api/v1/risk/migration",
                 "/api/v1/risk/vintages", "/api/v1/risk/roll-rates", "/api/v1/risk/stress"):
        assert path in paths, path


def test_monthly_risk_report_html_and_pdf(app_for: Any) -> None:
    import io

    from pypdf import PdfReader

    risk = app_for("risk")
    html = risk.get("/api/v1/risk/report.html")
    assert html.status_code == 200
    summary = risk.get("/api/v1/risk/summary").json()
    for words in ("贷款组合风险月报", "监管指标", "分类迁徙", "压力测试", "<svg",
                  summary["versions"]["monitoring_policy"]):
        assert words in html.text, words
    pdf = risk.get("/api/v1/risk/report.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "监管指标" in text and "不良贷款率" in text
    assert app_for("officer1").get("/api/v1/risk/report.html").status_code == 403
