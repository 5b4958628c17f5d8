"""The risk manager runs the monitoring from its page and sees the warnings board; a warning's
file, the loan's classification and the five-category classification page; a branch officer's
board shows the branch only. In a real browser, on a book the nightly run has already seen."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from mortgage_risk.storage.tables import MonitoringRunRow, WarningCaseRow
from tests.browser.conftest import Live, LoginAs, Shot
from tests.browser.support import control_count, unlabelled

CATEGORIES = ("正常", "关注", "次级", "可疑", "损失")


def _live_cases(live: Live, level: str | None = None) -> int:
    query = select(func.count()).select_from(WarningCaseRow).where(
        WarningCaseRow.status != "closed")
    if level:
        query = query.where(WarningCaseRow.level == level)
    with live.db.uow() as uow:
        return int(uow.session.scalar(query) or 0)


def test_risk_manager_runs_monitoring_then_sees_the_board(page_as: LoginAs, live: Live,
                                                          shot: Shot) -> None:
    risk = page_as("risk")
    risk.goto(f"{live.url}/monitoring")
    expect(risk.get_by_role("heading", level=1)).to_have_text("监测运行")
    run = risk.locator("form[action='/monitoring/run']")
    expect(run.locator("input[name=as_of]")).to_have_value("2026-06-30")  # the book's date
    assert unlabelled(risk) == [], "/monitoring: controls without a label"
    shot(risk, "monitoring")
    with risk.expect_navigation():
        run.get_by_role("button", name="开始运行").click()
    expect(risk).to_have_url(re.compile(rf"^{re.escape(live.url)}/jobs/[\w-]+$"))
    # the page follows the job's progress and shows the result when it is done
    expect(risk.locator("#job")).to_have_attribute("data-status", "done", timeout=120_000)
    expect(risk.locator("#job-result")).to_be_visible()
    shot(risk, "monitoring-job-done")
    risk.get_by_role("link", name="查看结果").click()
    expect(risk).to_have_url(f"{live.url}/warnings")
    expect(risk.get_by_role("heading", level=1)).to_have_text("风险预警")
    expect(risk.locator("a.level-card.level-red .card-value")).to_have_text(
        f"{_live_cases(live, 'red'):,}")
    with live.db.uow() as uow:
        runs = uow.session.scalar(select(func.count()).select_from(MonitoringRunRow).where(
            MonitoringRunRow.run_by == "risk"))
    assert runs == 1, "the run is recorded with who started it"


def _red_case_with_loans(live: Live) -> int:
    with live.db.uow() as uow:
        for case in uow.session.scalars(select(WarningCaseRow).where(
                WarningCaseRow.level == "red", WarningCaseRow.status != "closed")
                .order_by(WarningCaseRow.id)):
            if case.loan_ids:
                return int(case.id)
    raise AssertionError("the monitoring run raised a red warning naming a loan")


def test_risk_manager_sees_the_board_a_warning_and_the_classification(
        page_as: LoginAs, live: Live, shot: Shot) -> None:
    assert _live_cases(live, "red") > 0, "the monitoring run raised red warnings"
    risk = page_as("risk")
    risk.goto(f"{live.url}/warnings")
    expect(risk.get_by_role("heading", level=1)).to_have_text("风险预警")
    expect(risk.locator(".site-header .who")).to_contain_text("风险管理部 王敏")
    rows = risk.locator("table.warnings tbody tr")
    expect(rows.first.locator(".level")).to_have_class("level level-red")  # most urgent first
    assert rows.count() > 0
    red_card = risk.locator("a.level-card.level-red .card-value")
    expect(red_card).to_have_text(f"{_live_cases(live, 'red'):,}")
    assert unlabelled(risk) == [], "/warnings: controls without a label"
    shot(risk, "warnings-board")

    # the red card filters the board to red warnings
    risk.locator("a.level-card.level-red").click()
    expect(risk).to_have_url(f"{live.url}/warnings?level=red")
    expect(risk.locator("select[name=level]")).to_have_value("red")
    levels = risk.locator("table.warnings tbody .level").evaluate_all(
        "els => els.map(e => e.className)")
    assert levels and set(levels) == {"level level-red"}

    case_id = _red_case_with_loans(live)
    link = risk.locator(f"table.warnings tbody a[href='/warnings/{case_id}']")
    borrower = link.inner_text()
    link.click()
    expect(risk).to_have_url(f"{live.url}/warnings/{case_id}")
    expect(risk.get_by_role("heading", level=1)).to_contain_text(borrower)
    expect(risk.locator("h1 .level")).to_have_text("红色")
    expect(risk.get_by_role("heading", name="预警处置")).to_be_visible()
    assert unlabelled(risk) == [], f"{risk.url}: controls without a label"
    shot(risk, "warning-file")

    loan_link = risk.locator("a[href^='/loans/'][href$='/classification']").first
    contract_no = loan_link.inner_text()
    loan_link.click()
    expect(risk.get_by_role("heading", level=1)).to_contain_text(contract_no)
    expect(risk.get_by_role("heading", level=1)).to_contain_text("贷款五级分类")
    assert unlabelled(risk) == [], f"{risk.url}: controls without a label"
    shot(risk, "loan-classification")

    risk.get_by_role("link", name="五级分类", exact=True).click()
    expect(risk).to_have_url(f"{live.url}/classification")
    expect(risk.get_by_role("heading", level=1)).to_have_text("五级分类")
    table = risk.locator("section[aria-labelledby=h-dist] table")
    for label in CATEGORIES:
        expect(table.get_by_role("rowheader", name=label, exact=True)).to_be_visible()
    assert unlabelled(risk) == [], "/classification: controls without a label"
    shot(risk, "classification")


def test_branch_officer_sees_only_the_branch_and_can_verify(page_as: LoginAs, live: Live,
                                                           shot: Shot) -> None:
    officer = page_as("officer1")
    officer.goto(f"{live.url}/warnings")
    branches = set(officer.locator("table.warnings tbody tr td:nth-child(3)").all_inner_texts())
    assert len(branches) == 1, branches  # the officer's own branch only
    officer.locator("table.warnings tbody th[scope=row] a").first.click()
    verify = officer.locator("form[action$='/verify']")
    expect(verify).to_be_visible()
    assert control_count(officer) > 0
    assert unlabelled(officer) == [], f"{officer.url}: controls without a label"
    shot(officer, "warning-file-officer")
