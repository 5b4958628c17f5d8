"""Rule sets, parameters and models pages: reading by the risk department, a new draft from
JSON with its changes shown, maker-checker on activation, errors beside the input."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import date
from importlib.resources import files
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mortgage_risk.config import Settings
from mortgage_risk.services import demo, parameters
from mortgage_risk.storage.database import Database
from mortgage_risk.web import create_app


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "book.db"
    db = Database.connect(f"sqlite:///{path}")
    db.upgrade()
    with db.uow() as uow:
        demo.seed_portfolio(uow, actor="test", loans=300, seed=21, as_of=date(2026, 6, 30),
                            parquet_dir=None)
    with db.uow() as uow:
        demo.install_demo_model(uow)
    with db.uow() as uow:
        parameters.active_content(uow, "identification_rules")  # the shipped set, stored
    db.dispose()
    return path


@pytest.fixture
def app(book: Path, tmp_path: Path) -> Iterator[FastAPI]:
    shutil.copy(book, tmp_path / "book.db")
    db = Database.connect(f"sqlite:///{tmp_path / 'book.db'}")
    yield create_app(Settings(var_dir=tmp_path / "var", secret_key="test-secret-config"), db)
    db.dispose()


def _login(app: FastAPI, username: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    client.post("/login", data={"username": username, "password": demo.DEMO_PASSWORD,
                                "csrf_token": token.group(1)})
    page = client.get("/tasks").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return client, found.group(1)


def _draft_rules() -> dict[str, object]:
    raw = json.loads(files("mortgage_risk.identification").joinpath(
        "data", "rules-default.json").read_text(encoding="utf-8"))
    raw["version"] = "identification-rules-2026.2"
    raw["rules"][0]["severity"] = "refer"
    return raw


def test_a_draft_is_shown_with_its_changes_and_activated_by_another(app: FastAPI) -> None:
    risk, csrf = _login(app, "risk")
    page = risk.get("/config")
    assert page.status_code == 200 and "风险识别规则" in page.text
    assert "identification-rules-2026.1" in page.text and "评分卡模型" in page.text
    saved = risk.post("/config/parameters", data={
        "csrf_token": csrf, "kind": "identification_rules", "notes": "BC01 改为上报",
        "content": json.dumps(_draft_rules(), ensure_ascii=False)}, follow_redirects=True)
    assert saved.status_code == 200 and "草稿已保存" in saved.text
    assert "rules[0].severity" in saved.text and "&#34;refer&#34;" in saved.text
    assert "启用此版本" not in saved.text  # the maker sees no activate button
    refused = risk.post("/config/parameters/identification_rules/"
                        "identification-rules-2026.2/activate", data={"csrf_token": csrf})
    assert refused.status_code == 422 and "maker-checker" in refused.text
    checker, csrf2 = _login(app, "modeller")
    done = checker.post("/config/parameters/identification_rules/identification-rules-2026.2/"
                        "activate", data={"csrf_token": csrf2}, follow_redirects=True)
    assert done.status_code == 200 and "已启用" in done.text
    listing = checker.get("/api/v1/parameters").json()
    status = {(s["kind"], s["version"]): s["status"] for s in listing}
    assert status[("identification_rules", "identification-rules-2026.2")] == "active"
    assert status[("identification_rules", "identification-rules-2026.1")] == "retired"


def test_bad_drafts_are_refused_beside_the_input(app: FastAPI) -> None:
    risk, csrf = _login(app, "risk")
    bad_json = risk.post("/config/parameters", data={
        "csrf_token": csrf, "kind": "identification_rules", "content": '{"version": '})
    assert bad_json.status_code == 422 and "not valid JSON" in bad_json.text
    assert '{&#34;version&#34;:' in bad_json.text  # the input is kept
    broken = _draft_rules()
    broken["rules"][0]["condition"] = "bureau_npl_elsewhere >>> 1"  # type: ignore[index]
    refused = risk.post("/config/parameters", data={
        "csrf_token": csrf, "kind": "identification_rules",
        "content": json.dumps(broken, ensure_ascii=False)})
    assert refused.status_code == 422 and "content." in refused.text
    stored = {s["version"] for s in risk.get("/api/v1/parameters").json()}
    assert "identification-rules-2026.2" not in stored  # nothing was saved
    dry = risk.post("/config/parameters/identification_rules/identification-rules-2026.1/"
                    "dry-run", data={"csrf_token": csrf})
    assert dry.status_code == 422 and "no past assessments" in dry.text


def test_officers_may_not_open_the_configuration(app: FastAPI) -> None:
    officer, _ = _login(app, "officer1")
    assert officer.get("/config").status_code == 403
    assert "/config" not in officer.get("/tasks").text.split("<main>")[0]
