"""Training pages and /api/v1/training driven as the demo users: a trainer builds a set with a
preview, a trainee takes it (a wrong-form answer is refused beside the form with nothing
saved), the result page shows each grade with the engine's explanation in Chinese and English,
progress and certifications, the trainer's staff view, and the gate through the API."""

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
from sqlalchemy import func, select

from mortgage_risk.config import Settings
from mortgage_risk.services import demo, training
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.tables import (
    AttemptRow,
    BorrowerRow,
    CertificationRow,
    ExerciseSetRow,
    PropertyRow,
)
from mortgage_risk.training import exercise_for

AS_OF = date(2026, 6, 30)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("training")
    db = Database.connect(f"sqlite:///{folder / 'book.db'}")
    db.upgrade()
    with db.uow() as uow:
        demo.seed_portfolio(uow, actor="test", loans=300, seed=21, as_of=AS_OF, parquet_dir=None)
    db.dispose()
    return folder / "book.db"


@pytest.fixture
def app(book: Path, tmp_path: Path) -> Iterator[FastAPI]:
    from mortgage_risk.web import create_app

    shutil.copy(book, tmp_path / "book.db")
    db = Database.connect(f"sqlite:///{tmp_path / 'book.db'}")
    yield create_app(Settings(var_dir=tmp_path / "var", secret_key="test-secret-training"), db)
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
        self.csrf = _token(self.client.get("/training").text)

    def post(self, path: str, data: dict[str, Any], follow: bool = True) -> Any:
        return self.client.post(path, data={**data, "csrf_token": self.csrf},
                                follow_redirects=follow)


def _count(app: FastAPI, table: Any) -> int:
    db: Database = app.state.database
    with db.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def _expected(case_ids: list[str], seed: int = 7, size: int = 3) -> dict[str, Any]:
    library = training.case_library(seed, size)
    return {cid: exercise_for(library.get(cid)).expected() for cid in case_ids}


def _valuation_form(answers: dict[str, Any]) -> dict[str, str]:
    form: dict[str, str] = {}
    for cid, answer in answers.items():
        for field, value in answer.items():
            form[f"a:{cid}:{field}"] = "" if value is None else str(value)
    return form


def _create(trainer: Browser, topic: str = "valuation", **extra: str) -> int:
    answer = trainer.post("/training/manage/sets", {
        "name": "估值上岗练习", "topic": topic, "seed": "7", "size": "3", "pass_mark": "",
        "time_limit": "", **extra}, follow=False)
    assert answer.status_code == 303, answer.text[:2000]
    return int(answer.headers["location"].rsplit("set-", 1)[1])


def test_a_trainer_builds_a_set_with_a_preview(app: FastAPI) -> None:
    trainer = Browser(app, "trainer")
    page = trainer.client.get("/training/manage")
    assert page.status_code == 200 and "组卷" in page.text and "新建练习" in page.text
    preview = trainer.post("/training/manage/preview", {
        "name": "分类练习", "topic": "classification", "seed": "7", "size": "3"})
    assert preview.status_code == 200
    ids = re.findall(r'name="case_ids" value="(CLS-7-\d+)"', preview.text)
    assert ids == ["CLS-7-001", "CLS-7-002", "CLS-7-003"]
    assert "引擎答案" in preview.text  # the trainer sees the engine's answers
    # a bad size is refused beside the form and nothing is saved
    bad = trainer.post("/training/manage/sets", {"name": "x", "topic": "valuation",
                                                 "seed": "7", "size": "abc"})
    assert bad.status_code == 422 and "size" in bad.text and "未保存任何内容" in bad.text
    wrong = trainer.post("/training/manage/sets", {
        "name": "x", "topic": "valuation", "seed": "7", "size": "3", "case_ids": ids[0]})
    assert wrong.status_code == 422 and "case_ids[0]" in wrong.text
    assert _count(app, ExerciseSetRow) == 0
    # the chosen cases only
    done = trainer.client.post("/training/manage/sets", data={
        "csrf_token": trainer.csrf, "name": "分类练习", "topic": "classification", "seed": "7",
        "size": "3", "case_ids": ids[:2], "pass_mark": "0.75", "time_limit": "30"},
        follow_redirects=True)
    assert done.status_code == 200 and "练习已创建" in done.text and "分类练习" in done.text
    db: Database = app.state.database
    with db.uow() as uow:
        row = uow.session.scalars(select(ExerciseSetRow)).one()
        assert (row.case_ids, row.pass_mark, row.time_limit_minutes) == (ids[:2], 0.75, 30)
        set_id = row.id
    retired = trainer.post(f"/training/manage/sets/{set_id}/active", {"active": "no"})
    assert "练习已停用" in retired.text
    officer = Browser(app, "officer1")
    assert officer.client.get("/training/manage").status_code == 403
    assert officer.client.get(f"/training/sets/{set_id}").status_code == 404


def test_a_trainee_takes_a_set_and_reads_the_engine_explanation(app: FastAPI) -> None:
    trainer = Browser(app, "trainer")
    set_id = _create(trainer)
    officer = Browser(app, "officer1")
    home = officer.client.get("/training")
    assert home.status_code == 200 and "我的培训" in home.text and "估值上岗练习" in home.text
    page = officer.client.get(f"/training/sets/{set_id}")
    assert page.status_code == 200
    case_ids = sorted(set(re.findall(r'name="a:(VAL-7-\d+):land_value"', page.text)))
    assert len(case_ids) == 3
    perfect = _expected(case_ids)
    for answer in perfect.values():  # the page never shows the engine's answers
        assert answer["mortgage_value"] not in page.text
    # a wrong-form answer: refused beside its case, nothing saved
    form = _valuation_form(perfect)
    form[f"a:{case_ids[1]}:land_value"] = "十二万"
    refused = officer.post(f"/training/sets/{set_id}/attempts", form)
    assert refused.status_code == 422
    assert f"answers[{case_ids[1]}].land_value" in refused.text
    assert "未保存任何内容" in refused.text and 'value="十二万"' in refused.text  # kept
    assert _count(app, AttemptRow) == 0 and _count(app, CertificationRow) == 0
    # the perfect answers pass and certify; the result shows each grade and the explanation
    done = officer.post(f"/training/sets/{set_id}/attempts", _valuation_form(perfect))
    assert done.status_code == 200 and "/training/attempts/" in str(done.url)
    assert "已评分" in done.text and "已通过" in done.text and "引擎的解释" in done.text
    assert "抵押价值 = 市场价值 − 优先受偿款" in done.text
    assert "100%" in done.text and "认证有效期至" in done.text
    attempt_path = str(done.url).split("testserver", 1)[1]
    officer.client.get("/lang/en")
    english = officer.client.get(attempt_path)
    assert english.status_code == 200 and "The engine's explanation" in english.text
    assert "mortgage value = market value − claims" in english.text and "Passed" in english.text
    mine = officer.client.get("/training")
    assert "My certifications" in mine.text and "collateral valuation" in mine.text
    assert "Valid" in mine.text
    # someone else's result is not for another trainee; the trainer sees it
    other = Browser(app, "reviewer1")
    assert other.client.get(attempt_path).status_code == 404
    assert trainer.client.get(attempt_path).status_code == 200
    staff = trainer.client.get("/training/staff")
    assert staff.status_code == 200 and "officer1" in staff.text and "已认证" in staff.text
    member = trainer.client.get("/training/staff/officer1")
    assert member.status_code == 200 and "估值上岗练习" in member.text
    assert officer.client.get("/training/staff").status_code == 403


def test_each_exercise_type_has_its_form(app: FastAPI) -> None:
    trainer = Browser(app, "trainer")
    ids = {topic: _create(trainer, topic) for topic in
           ("identification", "classification", "warning_handling")}
    officer = Browser(app, "officer1")
    flags = officer.client.get(f"/training/sets/{ids['identification']}").text
    assert 'type="checkbox" name="a:FLG-7-001:rule_ids" value="BC01"' in flags
    classes = officer.client.get(f"/training/sets/{ids['classification']}").text
    assert '<select name="a:CLS-7-001:categories:L1">' in classes and "次级" in classes
    handling = officer.client.get(f"/training/sets/{ids['warning_handling']}").text
    assert 'name="a:WRN-7-001:level"' in handling
    assert 'name="a:WRN-7-001:measures" value="watch_list"' in handling
    assert 'type="date" name="a:WRN-7-001:verification_deadline"' in handling
    # answering the flags set through its checkboxes grades every case
    expected = _expected(["FLG-7-001", "FLG-7-002", "FLG-7-003"])
    data: dict[str, Any] = {"csrf_token": officer.csrf}
    for cid, answer in expected.items():
        data[f"a:{cid}:rule_ids"] = answer["rule_ids"]
    graded = officer.client.post(f"/training/sets/{ids['identification']}/attempts", data=data,
                                 follow_redirects=True)
    assert graded.status_code == 200 and "查准率 100%，查全率 100%，得分 100%" in graded.text
    # a classification answer naming one loan only is refused naming the loan left out
    partial = officer.post(f"/training/sets/{ids['classification']}/attempts",
                           {"a:CLS-7-001:categories:L1": "normal"})
    assert partial.status_code == 422 and "answers[CLS-7-001].categories.L2" in partial.text


def test_a_time_limited_set_shows_its_questions_after_the_start(app: FastAPI) -> None:
    trainer = Browser(app, "trainer")
    set_id = _create(trainer, time_limit="20")
    officer = Browser(app, "officer1")
    before = officer.client.get(f"/training/sets/{set_id}")
    assert "开始作答" in before.text and "a:VAL-7-001:land_value" not in before.text
    started = officer.post(f"/training/sets/{set_id}/start", {})
    assert started.status_code == 200 and "已开始作答" in started.text
    assert "剩余分钟" in started.text and 'name="a:VAL-7-001:land_value"' in started.text


def _api(app: FastAPI, username: str) -> TestClient:
    client = TestClient(app)
    assert client.post("/api/v1/session", json={
        "username": username, "password": demo.DEMO_PASSWORD}).status_code == 200
    return client


def test_the_api_for_trainers_and_trainees_and_the_gate(app: FastAPI) -> None:
    trainer, officer = _api(app, "trainer"), _api(app, "officer1")
    denied = officer.post("/api/v1/training/sets", json={"name": "x", "topic": "valuation",
                                                         "seed": 7, "n": 3})
    assert denied.status_code == 403
    created = trainer.post("/api/v1/training/sets", json={
        "name": "估值", "topic": "valuation", "seed": 7, "n": 3})
    assert created.status_code == 201, created.text
    s = created.json()
    preview = trainer.get("/api/v1/training/preview",
                          params={"topic": "valuation", "seed": 7, "size": 3}).json()
    assert [c["id"] for c in preview["cases"]] == s["case_ids"]
    shown = officer.get(f"/api/v1/training/sets/{s['id']}").json()
    assert len(shown["questions"]) == 3 and "expected" not in str(shown)
    assert officer.post(f"/api/v1/training/sets/{s['id']}/start").status_code == 403  # no JSON
    assert officer.post(f"/api/v1/training/sets/{s['id']}/start", json={}).status_code == 200
    perfect = _expected(s["case_ids"])
    first = s["case_ids"][0]
    bad = officer.post(f"/api/v1/training/sets/{s['id']}/attempts", json={
        "answers": {**perfect, first: {**perfect[first], "newness_rate": "高"}}})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == f"answers[{first}].newness_rate"
    assert _count(app, AttemptRow) == 0
    # the gate: the risk department gates valuations; a second person activates it
    risk, modeller = _api(app, "risk"), _api(app, "modeller")
    content = risk.get("/api/v1/parameters/training/active").json()
    content.update(version="training-2026.9", gates={"submit_valuation": "valuation"})
    assert risk.post("/api/v1/parameters/training", json={"content": content}).status_code == 201
    assert modeller.post("/api/v1/parameters/training/training-2026.9/activate",
                         json={}).status_code == 200
    db: Database = app.state.database
    with db.uow() as uow:
        me = uow.users.by_username("officer1")
        assert me is not None
        prop = uow.session.scalar(
            select(PropertyRow.id).join(BorrowerRow, BorrowerRow.id == PropertyRow.owner_id)
            .where(BorrowerRow.branch_id == me.branch_id,
                   PropertyRow.property_type == "urban_housing",
                   PropertyRow.seized.is_(False)).order_by(PropertyRow.id).limit(1))
    body = {"valuation_date": AS_OF.isoformat(), "loan_amount": "150000",
            "request": {"explanation": "县城住宅以比较法为主，成本法未反映区位价值"}}
    blocked = officer.post(f"/api/v1/properties/{prop}/valuations", json=body)
    assert blocked.status_code == 403
    assert blocked.json()["errors"][0]["field"] == "certification"
    assert "未取得抵押物估值认证" in blocked.json()["errors"][0]["reason"]
    passed = officer.post(f"/api/v1/training/sets/{s['id']}/attempts",
                          json={"answers": perfect})
    assert passed.status_code == 201 and passed.json()["passed"]
    assert passed.json()["certification"]["topic"] == "valuation"
    assert officer.post(f"/api/v1/properties/{prop}/valuations", json=body).status_code == 201
    progress = officer.get("/api/v1/training/me/progress").json()
    valuation = next(t for t in progress["topics"] if t["topic"] == "valuation")
    assert (valuation["attempts"], valuation["passed"], valuation["certified"]) == (1, 1, True)
    assert progress["gates"] == {"submit_valuation": "valuation"}
    certs = officer.get("/api/v1/training/me/certifications").json()
    assert [c["topic"] for c in certs] == ["valuation"] and certs[0]["valid"]
    result = officer.get(f"/api/v1/training/attempts/{passed.json()['id']}").json()
    assert result["grades"][0]["explanation_en"]
    assert officer.get("/api/v1/training/staff").status_code == 403
    staff = trainer.get("/api/v1/training/staff").json()
    row = next(m for m in staff["staff"] if m["username"] == "officer1")
    assert row["topics"][1]["certified"]
    assert trainer.get("/api/v1/training/staff/officer1/certifications").json()[0]["valid"]
    listing = trainer.get("/api/v1/training/sets").json()
    assert listing[0]["attempts"] == 1 and listing[0]["passed"] == 1
