"""The language switch in the header: Chinese first, English on request, and back; the page and
its query string stay, and the choice holds for the next pages."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from mortgage_risk.services.demo import DEMO_PASSWORD
from tests.browser.conftest import Live, LoginAs, NewPage, Shot


def _switch(page: Page, to: str) -> None:
    with page.expect_navigation():
        page.locator(".lang-switch").get_by_role("link", name=to).click()


def test_the_switch_changes_the_texts_and_keeps_the_page(page_as: LoginAs, live: Live,
                                                        shot: Shot) -> None:
    page = page_as("risk")
    page.goto(f"{live.url}/warnings?level=red")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text("风险预警")
    expect(page.locator(".lang-switch strong")).to_have_text("中文")  # the current language
    red_rows = page.locator("table.warnings tbody tr").count()

    _switch(page, "English")
    expect(page).to_have_url(f"{live.url}/warnings?level=red")  # same page, same filter
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Warnings")
    expect(page.locator(".lang-switch strong")).to_have_text("English")
    expect(page.locator(".site-header .brand")).to_have_text(
        "County Union Mortgage Loan Risk Management System")
    expect(page.locator(".site-header .who")).to_contain_text("risk manager")
    expect(page.locator("select[name=level]")).to_have_value("red")
    assert page.locator("table.warnings tbody tr").count() == red_rows
    shot(page, "warnings-english")

    # the choice is kept for the next page
    page.get_by_role("link", name="Five-category classification", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Five-category classification")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shot(page, "classification-english")

    _switch(page, "中文")
    expect(page).to_have_url(f"{live.url}/classification")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text("五级分类")


def test_the_login_page_switches_before_logging_in(new_context: NewPage, live: Live,
                                                   shot: Shot) -> None:
    page = new_context()
    page.goto(f"{live.url}/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    _switch(page, "English")
    expect(page).to_have_url(f"{live.url}/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    shot(page, "login-english")
    # logging in keeps the language
    page.get_by_label("Username").fill("officer1")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Portfolio overview")
