"""Every demo role logs in through the form and lands on the portfolio overview with their name
and role; a page reserved to the administrator answers 403 to everyone else."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from mortgage_risk.domain import Role
from mortgage_risk.services.demo import DEMO_USERS
from tests.browser.conftest import Live, LoginAs, NewPage, Sessions, Shot, log_in

ROLES = ["officer1", "reviewer1", "approver1", "risk", "audit", "admin", "trainer"]
FULL_NAME = {username: (name, role) for username, name, role, _ in DEMO_USERS}


@pytest.fixture(scope="module")
def desk(sessions: Sessions, live: Live) -> Page:
    """One shared browser, as on a branch counter: each role logs in, then logs out."""
    page = sessions.context().new_page()
    page.goto(f"{live.url}/login")
    return page


@pytest.mark.parametrize("username", ROLES)
def test_each_role_logs_in_and_sees_the_overview(username: str, desk: Page, live: Live,
                                                 shot: Shot) -> None:
    page = desk
    log_in(page, live.url, username)
    name, role = FULL_NAME[username]
    expect(page).to_have_url(f"{live.url}/")
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text("贷款组合概况")
    expect(page.locator(".site-header .who")).to_have_text(f"{name} · {role.label('zh')}")
    expect(page.locator("section.cards .card").first).to_be_visible()
    # the branch staff see their own branch, the union's departments every branch
    scope = page.locator(".page-title .meta strong").nth(1)
    if role in (Role.LOAN_OFFICER, Role.REVIEWER, Role.APPROVER):
        expect(scope).not_to_have_text("全部信用社")
    else:
        expect(scope).to_have_text("全部信用社")
    shot(page, "overview")

    # logging out ends the session: the pages ask for a login again
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live.url)}/login(\?|$)"))
    page.goto(f"{live.url}/")
    expect(page).to_have_url(re.compile(rf"^{re.escape(live.url)}/login(\?|$)"))


def test_a_wrong_password_stays_on_the_login_form(new_context: NewPage, live: Live,
                                                  shot: Shot) -> None:
    page = new_context()
    page.goto(f"{live.url}/applications")
    expect(page).to_have_url(re.compile(rf"^{re.escape(live.url)}/login(\?|$)"))  # log in first
    page.locator("#username").fill("officer1")
    page.locator("#password").fill("not-the-password")
    page.locator("#password").press("Enter")
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误。")
    expect(page.locator("#username")).to_have_value("officer1")
    shot(page, "login-refused")


OTHERS = [u for u in ROLES if u != "admin"]


@pytest.mark.parametrize("username", OTHERS)
def test_user_administration_is_forbidden_to_other_roles(
        username: str, page_as: LoginAs, live: Live, shot: Shot) -> None:
    page = page_as(username)
    response = page.goto(f"{live.url}/admin/users")
    assert response is not None
    assert response.status == 403, f"{username} reached /admin/users: HTTP {response.status}"
    assert "/admin/users" in page.url  # not redirected away to a page that hides the refusal
    expect(page.get_by_role("heading", level=1)).to_be_visible()  # a page that says so
    if username == OTHERS[0]:  # one screenshot of the refusal is enough
        shot(page, "forbidden")


def test_user_administration_opens_for_the_administrator(
        page_as: LoginAs, live: Live, shot: Shot) -> None:
    page = page_as("admin")
    response = page.goto(f"{live.url}/admin/users")
    assert response is not None
    assert response.status == 200, f"HTTP {response.status}"
    expect(page.get_by_text("officer1").first).to_be_visible()
    shot(page, "admin-users")
