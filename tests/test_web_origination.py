"""The origination pages: the list, the new-application form and the file with a form per step,
driven through the browser routes as the users who do each step."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select

from mortgage_risk.config import Settings
from mortgage_risk.services import demo, registry
from mortgage_risk.services.errors import InvalidInput
from mortgage_risk.services.schemas import BorrowerIn, PropertyIn
from mortgage_risk.services.users import CurrentUser, load_user
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.tables import (
    ApplicationRow,
    AuditRow,
    LoanRow,
    SiteVisitRow,
    WorkflowEventRow,
)
from mortgage_risk.storage.uow import UnitOfWork
from mortgage_risk.web import create_app
from tests.helpers import borrower_fields, property_fields, resident_id

BORROWER_ID = resident_id(region="450321", birth="19860315", seq="731")
OTHER_BORROWER_ID = resident_id(region="450321", birth="19790820", seq="452")


@dataclass(frozen=True)
class Book:
    path: Path
    property_id: int
    other_property_id: int


def _user(uow: UnitOfWork, username: str) -> CurrentUser:
    row = uow.users.by_username(username)
    assert row is not None
    user = load_user(uow, row.id)
    assert user is not None
    return user


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Book:
    """A small seeded book with the demo model and parameters, and one borrower with two
    properties registered in officer1's branch; each test works on its own copy."""
    path = tmp_path_factory.mktemp("origination") / "book.db"
    db = Database.connect(f"sqlite:///{path}")
    db.upgrade()
    with db.uow() as uow:
        demo.seed_portfolio(uow, actor="test", loans=300, seed=11, as_of=date(2026, 6, 30),
                            parquet_dir=None)
    with db.uow() as uow:
        demo.install_demo_model(uow)
    with db.uow() as uow:
        demo.install_demo_parameters(uow)
    with db.uow() as uow:
        officer = _user(uow, "officer1")
        branch = uow.branches.get(officer.branch_id or 0)
        assert branch is not None
        for rid in (BORROWER_ID, OTHER_BORROWER_ID):
            registry.register_borrower(uow, officer,
                                       BorrowerIn(**borrower_fields(rid, branch.code)))
    property_ids = []
    for rid in (BORROWER_ID, OTHER_BORROWER_ID):
        with db.uow() as uow:
            property_ids.append(registry.register_property(
                uow, _user(uow, "officer1"), PropertyIn(**property_fields(rid))))
    db.dispose()
    return Book(path, property_ids[0], property_ids[1])


@pytest.fixture
def db(book: Book, tmp_path: Path) -> Iterator[Database]:
    copy = tmp_path / "book.db"
    shutil.copy(book.path, copy)
    database = Database.connect(f"sqlite:///{copy}")
    yield database
    database.dispose()


@pytest.fixture
def app(db: Database, tmp_path: Path) -> FastAPI:
    web: FastAPI = create_app(
        Settings(var_dir=tmp_path / "var", secret_key="test-secret-origination"), db)
    return web


def _token(page_text: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page_text)
    assert match, page_text[:2000]
    return match.group(1)


class Browser:
    """One user's browser: a cookie jar, the last CSRF token, and form posts."""

    def __init__(self, app: FastAPI, username: str) -> None:
        self.client = TestClient(app)
        self.username = username
        login = self.client.get("/login")
        answer = self.client.post("/login", data={
            "username": username, "password": demo.DEMO_PASSWORD, "csrf_token": _token(login.text),
        }, follow_redirects=False)
        assert answer.status_code == 303, answer.text
        self.csrf = _token(self.client.get("/applications").text)

    def get(self, path: str) -> Any:
        return self.client.get(path)

    def post(self, path: str, data: dict[str, str], *, follow: bool = False) -> Any:
        return self.client.post(path, data={**data, "csrf_token": self.csrf},
                                follow_redirects=follow)


def _new_application(officer: Browser, property_id: int, **overrides: str) -> Any:
    form = {"borrower_resident_id": BORROWER_ID, "property_id": str(property_id),
            "amount": "300000", "term_months": "240", "repayment_method": "equal_installment",
            "purpose": "购房", "purchase_price": "600000", "co_owner_consent": "yes",
            "first_home": "yes"}
    form.update(overrides)
    return officer.post("/applications/new", form)


def _create(officer: Browser, property_id: int) -> int:
    answer = _new_application(officer, property_id)
    assert answer.status_code == 303, answer.text
    match = re.fullmatch(r"/applications/(\d+)", answer.headers["location"])
    assert match, answer.headers["location"]
    return int(match.group(1))


VISIT = {"visited_on": date.today().isoformat(), "occupancy": "owner",
         "collateral_condition": "basically_intact", "income_verified": "yes",
         "findings": "借款人自住，房屋结构完好，工资流水与申报一致。",
         "evidence": "IMG_0001.jpg\nIMG_0002.jpg\n收入证明-2026-07.pdf",
         "observed_structure": "80", "observed_finish": "70", "observed_services": "72"}


EXPLANATION = "县城商品住宅交易活跃，以比较法价值为准。"


def _to_assessed(officer: Browser, application_id: int) -> None:
    base = f"/applications/{application_id}"
    assert officer.post(f"{base}/submit", {}).status_code == 303
    assert officer.post(f"{base}/visit", VISIT).status_code == 303
    answer = officer.post(f"{base}/assess", {"explanation": EXPLANATION})
    assert answer.status_code == 303, answer.text


def _status(db: Database, application_id: int) -> str:
    with db.uow() as uow:
        row = uow.origination.application(application_id)
        assert row is not None
        return str(row.status)


def _count(db: Database, table: type) -> int:
    with db.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def _error_next_to(page: str, field: str) -> str:
    """The inline error shown for an input (its id ends with the field name)."""
    match = re.search(rf'<span class="field-error" id="[\w-]*{field}-error" role="alert">([^<]+)'
                      r"</span>", page)
    assert match, f"no inline error for {field}"
    return match.group(1)


# --- the whole path ---------------------------------------------------------------------------


def test_whole_path_through_the_pages_ends_disbursed(app: FastAPI, db: Database,
                                                     book: Book) -> None:
    officer = Browser(app, "officer1")
    app_id = _create(officer, book.property_id)
    file = officer.get(f"/applications/{app_id}")
    assert file.status_code == 200
    assert "已创建（草稿）" in file.text  # the one-time message
    assert "草稿" in file.text and BORROWER_ID in file.text  # the officer sees the full ID
    assert f'action="/applications/{app_id}/submit"' in file.text
    assert "已创建（草稿）" not in officer.get(f"/applications/{app_id}").text  # shown once

    base = f"/applications/{app_id}"
    assert officer.post(f"{base}/submit", {}).status_code == 303
    assert _status(db, app_id) == "submitted"
    assert officer.post(f"{base}/visit", VISIT).status_code == 303
    assert _status(db, app_id) == "investigated"
    with db.uow() as uow:
        visit = uow.origination.latest_visit(app_id)
        assert visit is not None
        assert visit.evidence == ["IMG_0001.jpg", "IMG_0002.jpg", "收入证明-2026-07.pdf"]
        assert visit.observed == {"structure": 80.0, "finish": 70.0, "services": 72.0}
        assert visit.income_verified is True and visit.collateral_condition == "basically_intact"
    answer = officer.post(f"{base}/assess", {"explanation": EXPLANATION})
    assert answer.status_code == 303, answer.text
    assert _status(db, app_id) == "assessed"

    file = officer.get(base).text
    for words in ("评估结果", "风险信号", "违约概率（PD）", "信用等级", "贷款价值比（LTV）",
                  "违约损失率（LGD）", "预期损失（EL）", "最高贷款额度", "约束项", "风险定价",
                  "审批权限", "版本", "实地调查", "IMG_0002.jpg", "流程记录"):
        assert words in file, words
    with db.uow() as uow:
        assessed = uow.origination.latest_assessment(app_id)
        assert assessed is not None
        level, recommendation = assessed.authority_level, assessed.recommendation
        valuation_id = assessed.valuation_id
        assert assessed.versions["scorecard"] in file
        versions = dict(assessed.versions)
    assert f'href="/api/v1/valuations/{valuation_id}/report.html"' in file
    # the valuation report behind the link opens with the same login
    report = officer.get(f"/api/v1/valuations/{valuation_id}/report.html")
    assert report.status_code == 200
    # the assessment report: Chinese, stamped with every version the engines used
    assert f'href="/api/v1/applications/{app_id}/assessment-report.html"' in file
    html = officer.get(f"/api/v1/applications/{app_id}/assessment-report.html").text
    assert "房地产抵押贷款评估报告" in html and "风险识别" in html
    for version in versions.values():
        assert str(version) in html
    pdf = officer.get(f"/api/v1/applications/{app_id}/assessment-report.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "房地产抵押贷款评估报告" in text and versions["credit_policy"] in text

    officer.post("/logout", {})
    reviewer = Browser(app, "reviewer1")
    queue = reviewer.get("/applications").text
    assert f'href="/applications/{app_id}"' in queue  # the review queue holds it
    file = reviewer.get(base).text
    assert BORROWER_ID not in file and BORROWER_ID[:6] + "********" in file  # masked
    assert f'action="/applications/{app_id}/review"' in file
    assert reviewer.post(f"{base}/review", {"decision": "agree",
                                             "note": "资料齐全，同意提交审批。"}).status_code == 303
    assert _status(db, app_id) == "reviewed"
    assert app_id not in [int(x) for x in re.findall(r'href="/applications/(\d+)"',
                                                     reviewer.get("/applications").text)]

    follows = recommendation in ("approve", "approve_with_conditions")
    needed = ["branch_officer", "branch_head", "credit_committee"].index(level) + (
        0 if follows else 1)
    approver = Browser(app, "approver1" if needed <= 1 else "risk")
    file = approver.get(base).text
    assert "人工推翻" in file and "书面说明理由" in file  # the override is explained
    assert f'href="/applications/{app_id}"' in approver.get("/applications").text
    decision = {"decision": "approve", "amount": "",
                "reasons": "" if follows else "借款人收入稳定，抵押物变现能力强，同意推翻。"}
    answer = approver.post(f"{base}/decide", decision)
    assert answer.status_code == 303, answer.text
    assert _status(db, app_id) == "approved"

    officer = Browser(app, "officer1")
    assert officer.post(f"{base}/contract", {"signed_on": date.today().isoformat()}
                        ).status_code == 303
    assert _status(db, app_id) == "contract_signed"

    # money never leaves before the mortgage is registered: the refusal names the state
    refused = officer.post(f"{base}/disburse", {"on": date.today().isoformat()})
    assert refused.status_code == 409
    assert "cannot disburse: the application is contract_signed (已签合同)" in refused.text
    assert "未办理，未保存任何内容" in refused.text
    assert _status(db, app_id) == "contract_signed" and _count(db, LoanRow) == 300

    answer = officer.post(f"{base}/registration", {
        "certificate_no": "桂(2026)县不动产证明第0001234号",
        "registered_on": date.today().isoformat(), "registry_office": "县不动产登记中心"})
    assert answer.status_code == 303, answer.text
    assert _status(db, app_id) == "mortgage_registered"
    answer = officer.post(f"{base}/disburse", {"on": date.today().isoformat()})
    assert answer.status_code == 303, answer.text
    assert _status(db, app_id) == "disbursed"

    with db.uow() as uow:
        loan = uow.session.scalar(select(LoanRow).where(LoanRow.application_id == app_id))
        assert loan is not None and loan.status == "active"
        contract_no = loan.contract_no
        steps = [e.step for e in uow.origination.events(app_id)]
    assert steps == ["submit", "record_visit", "assess", "review", "approve", "sign_contract",
                     "register_mortgage", "disburse"]
    file = officer.get(base).text
    assert "已放款" in file and contract_no in file and "桂(2026)县不动产证明第0001234号" in file
    assert "该申请的流程已结束" in file


# --- refusals ---------------------------------------------------------------------------------


def test_disbursing_a_draft_is_refused_naming_the_state(app: FastAPI, db: Database,
                                                        book: Book) -> None:
    officer = Browser(app, "officer1")
    app_id = _create(officer, book.property_id)
    events, loans = _count(db, WorkflowEventRow), _count(db, LoanRow)
    answer = officer.post(f"/applications/{app_id}/disburse", {"on": date.today().isoformat()})
    assert answer.status_code == 409
    assert "cannot disburse: the application is draft (草稿)" in answer.text
    assert "the mortgage must be registered first" in answer.text
    assert (_count(db, WorkflowEventRow), _count(db, LoanRow)) == (events, loans)
    assert _status(db, app_id) == "draft"


def test_the_maker_cannot_review(app: FastAPI, db: Database, book: Book) -> None:
    officer = Browser(app, "officer1")
    app_id = _create(officer, book.property_id)
    _to_assessed(officer, app_id)
    assert f'action="/applications/{app_id}/review"' not in officer.get(
        f"/applications/{app_id}").text  # no review form for the maker
    answer = officer.post(f"/applications/{app_id}/review", {"decision": "agree", "note": "同意"})
    assert answer.status_code == 403
    assert "needs the role reviewer; you are loan_officer" in answer.text
    assert _status(db, app_id) == "assessed"

    # a reviewer who entered the application is refused by maker-checker as well
    with db.uow() as uow:
        row = uow.origination.application(app_id)
        reviewer = uow.users.by_username("reviewer1")
        assert row is not None and reviewer is not None
        row.officer_id = reviewer.id
        uow.commit()
    checker = Browser(app, "reviewer1")
    answer = checker.post(f"/applications/{app_id}/review", {"decision": "agree", "note": "同意"})
    assert answer.status_code == 403
    assert "you may not review it (maker-checker)" in answer.text
    assert _status(db, app_id) == "assessed"


def test_override_without_reasons_is_refused_at_the_reasons_field(app: FastAPI, db: Database,
                                                                   book: Book) -> None:
    officer = Browser(app, "officer1")
    app_id = _create(officer, book.property_id)
    _to_assessed(officer, app_id)
    Browser(app, "reviewer1").post(f"/applications/{app_id}/review",
                                   {"decision": "agree", "note": "同意提交审批"})
    with db.uow() as uow:
        assessed = uow.origination.latest_assessment(app_id)
        assert assessed is not None
        follows = assessed.recommendation in ("approve", "approve_with_conditions")
    against = "decline" if follows else "approve"
    answer = Browser(app, "risk").post(f"/applications/{app_id}/decide",
                                       {"decision": against, "reasons": "", "amount": ""})
    assert answer.status_code == 422
    assert "needs written reasons" in _error_next_to(answer.text, "reasons")
    assert _status(db, app_id) == "reviewed"


def test_a_bad_amount_or_resident_id_shows_the_field_and_writes_nothing(
        app: FastAPI, db: Database, book: Book) -> None:
    officer = Browser(app, "officer1")
    before = (_count(db, ApplicationRow), _count(db, AuditRow))

    answer = _new_application(officer, book.property_id, amount="-1")
    assert answer.status_code == 422
    assert "greater than 0" in _error_next_to(answer.text, "amount")
    assert 'id="amount" name="amount" type="number" required min="0.01"' in answer.text
    assert re.search(r'id="amount"[^>]*value="-1"[^>]*aria-invalid="true"', answer.text)
    assert "未办理，未保存任何内容" in answer.text

    bad_id = BORROWER_ID[:-1] + ("0" if BORROWER_ID[-1] != "0" else "1")
    answer = _new_application(officer, book.property_id, borrower_resident_id=bad_id)
    assert answer.status_code == 422
    assert _error_next_to(answer.text, "borrower_resident_id")
    assert f'value="{bad_id}"' in answer.text  # what was typed stays in the form

    answer = _new_application(officer, book.other_property_id)  # not this borrower's property
    assert answer.status_code == 404
    assert "no property of this borrower" in _error_next_to(answer.text, "property_id")

    assert (_count(db, ApplicationRow), _count(db, AuditRow)) == before


def test_a_bad_visit_shows_the_fields_and_writes_nothing(app: FastAPI, db: Database,
                                                         book: Book) -> None:
    officer = Browser(app, "officer1")
    app_id = _create(officer, book.property_id)
    officer.post(f"/applications/{app_id}/submit", {})
    events = _count(db, WorkflowEventRow)
    answer = officer.post(f"/applications/{app_id}/visit",
                          {**VISIT, "findings": "", "observed_finish": "140"})
    assert answer.status_code == 422
    assert _error_next_to(answer.text, "findings")
    answer = officer.post(f"/applications/{app_id}/visit", {**VISIT, "observed_finish": "140"})
    assert answer.status_code == 422
    assert "must be within [0, 100]" in _error_next_to(answer.text, "observed_finish")
    answer = officer.post(f"/applications/{app_id}/visit", {**VISIT, "observed_services": ""})
    assert answer.status_code == 422
    assert "all three" in _error_next_to(answer.text, "observed_services")
    assert (_count(db, SiteVisitRow), _count(db, WorkflowEventRow)) == (0, events)
    assert _status(db, app_id) == "submitted"


def test_assessment_refused_for_a_missing_explanation_asks_for_it(
        app: FastAPI, db: Database, book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the valuation approaches differ by more than 15% the assessment names the field
    "explanation": the page shows it next to the explanation box and keeps the state."""
    from mortgage_risk.services import assessment

    officer = Browser(app, "officer1")
    app_id = _create(officer, book.property_id)
    officer.post(f"/applications/{app_id}/submit", {})
    officer.post(f"/applications/{app_id}/visit", VISIT)
    real_assess = assessment.assess

    def assess(uow: UnitOfWork, user: CurrentUser, application_id: int, *,
               valuation_explanation: str | None = None, on: date | None = None) -> Any:
        if not valuation_explanation:
            raise InvalidInput("the approaches differ by 23.4% (over 15%): a written "
                               "explanation is required", field="explanation")
        return real_assess(uow, user, application_id,
                           valuation_explanation=valuation_explanation, on=on)

    monkeypatch.setattr(assessment, "assess", assess)
    answer = officer.post(f"/applications/{app_id}/assess", {"explanation": ""})
    assert answer.status_code == 422
    assert "differ by 23.4%" in _error_next_to(answer.text, "explanation")
    assert "请在“估价说明”中写明采用哪个价值及理由" in answer.text
    assert _status(db, app_id) == "investigated"
    answer = officer.post(f"/applications/{app_id}/assess", {"explanation": "以比较法为准"})
    assert answer.status_code == 303
    assert _status(db, app_id) == "assessed"


def test_posts_need_the_csrf_token(app: FastAPI, db: Database, book: Book) -> None:
    officer = Browser(app, "officer1")
    app_id = _create(officer, book.property_id)
    answer = officer.client.post(f"/applications/{app_id}/submit", data={},
                                 follow_redirects=False)
    assert answer.status_code == 403
    assert _status(db, app_id) == "draft"


def test_another_branch_cannot_see_the_file(app: FastAPI, db: Database, book: Book) -> None:
    officer = Browser(app, "officer1")
    app_id = _create(officer, book.property_id)
    other = Browser(app, "officer2")
    answer = other.get(f"/applications/{app_id}")
    assert answer.status_code == 404
    assert f'href="/applications/{app_id}"' not in other.get("/applications?status=all").text
    assert other.post(f"/applications/{app_id}/submit", {}).status_code == 404
    assert _status(db, app_id) == "draft"


def test_pages_need_a_login(app: FastAPI) -> None:
    client = TestClient(app)
    for path in ("/applications", "/applications/new", "/applications/1"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/login"


# --- language and the list --------------------------------------------------------------------


def test_pages_are_chinese_by_default_then_english(app: FastAPI, db: Database,
                                                   book: Book) -> None:
    officer = Browser(app, "officer1")
    app_id = _create(officer, book.property_id)
    page = officer.get("/applications/new").text
    assert '<html lang="zh-CN">' in page
    for words in ('<label for="borrower_resident_id">借款人居民身份证号码</label>',
                  '<label for="amount">申请金额（元）</label>', '>等额本息</option>',
                  '>按月付息到期还本</option>', 'pattern="[0-9]{17}[0-9Xx]"', 'max="360"',
                  "共有人已书面同意抵押"):
        assert words in page, words
    listing = officer.get("/applications").text
    assert "贷款申请" in listing and "新建申请" in listing and "草稿" in listing
    assert "¥300,000" in listing  # rounded to the yuan
    assert not re.search(r'(src|href)="(https?:)?//', listing)

    officer.client.get("/lang/en", headers={"referer": f"http://testserver/applications/{app_id}"})
    page = officer.get(f"/applications/{app_id}").text
    assert '<html lang="en">' in page
    assert "Submit application" in page and "Workflow timeline" in page and "draft" in page
    assert "Loan applications" in officer.get("/applications").text


def test_the_list_filters_by_status(app: FastAPI, db: Database, book: Book) -> None:
    officer = Browser(app, "officer1")
    app_id = _create(officer, book.property_id)
    link = f'href="/applications/{app_id}"'
    assert link in officer.get("/applications?status=draft").text
    assert link not in officer.get("/applications?status=submitted").text
    reviewer = Browser(app, "reviewer1")
    assert link not in reviewer.get("/applications").text  # the review queue: assessed only
    assert link in reviewer.get("/applications?status=all").text


def test_the_list_pages_sorts_and_searches_on_the_server(app: FastAPI, db: Database,
                                                        book: Book) -> None:
    officer = Browser(app, "officer1")
    first = _create(officer, book.property_id)  # ¥300,000
    answer = _new_application(officer, book.other_property_id, amount="200000",
                              borrower_resident_id=OTHER_BORROWER_ID)
    assert answer.status_code == 303
    second = int(answer.headers["location"].rsplit("/", 1)[1])
    with db.uow() as uow:
        numbers = {r.id: r.application_no for r in uow.session.scalars(select(ApplicationRow))}
    ascending = officer.get("/applications?status=all&sort=amount&dir=asc").text
    assert 'aria-sort="ascending"' in ascending
    assert ascending.index(numbers[second]) < ascending.index(numbers[first])
    descending = officer.get("/applications?status=all&sort=amount&dir=desc").text
    assert descending.index(numbers[first]) < descending.index(numbers[second])
    found = officer.get(f"/applications?status=all&q={numbers[second]}").text
    assert numbers[second] in found and numbers[first] not in found
    none = officer.get("/applications?status=all&q=nobody-matches").text
    assert numbers[first] not in none and numbers[second] not in none


def test_a_double_submit_creates_one_application(app: FastAPI, db: Database, book: Book) -> None:
    officer = Browser(app, "officer1")
    page = officer.get("/applications/new").text
    form_id = re.search(r'name="form_id" value="([^"]+)"', page)
    assert form_id
    before = _count(db, ApplicationRow)
    first = _new_application(officer, book.property_id, form_id=form_id.group(1))
    again = _new_application(officer, book.property_id, form_id=form_id.group(1))
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert _count(db, ApplicationRow) == before + 1
