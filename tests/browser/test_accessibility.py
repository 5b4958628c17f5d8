"""Keyboard use, labels and readability: the login and new-application forms work with the
keyboard alone; every visible form control of the main pages has a label; the main pages fit a
1280x800 tablet and a desktop without sideways scrolling, in a readable type size."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Page, ViewportSize, expect
from sqlalchemy import select

from mortgage_risk.services.demo import DEMO_PASSWORD
from mortgage_risk.storage.tables import WarningCaseRow
from tests.browser.conftest import Live, LoginAs, NewPage, Sessions, Shot, log_in
from tests.browser.support import control_count, horizontal_overflow, unlabelled

#: The smallest type the pages may use, in CSS pixels.
MIN_FONT_PX = 12

SMALLEST_FONT_JS = """
() => {
  let smallest = Infinity, where = null;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
    if (el.closest('svg, .js-plotly-plot, script, style')) continue;
    const size = parseFloat(style.fontSize);
    if (size < smallest) {
      smallest = size;
      const text = node.textContent.trim().slice(0, 30);
      where = `${el.tagName.toLowerCase()}.${el.className}: ${text}`;
    }
  }
  return {smallest, where};
}
"""


def _active_id(page: Page) -> str:
    active: str = page.evaluate("() => document.activeElement ? document.activeElement.id : ''")
    return active


def _tab_to(page: Page, element_id: str, limit: int = 40) -> int:
    """Press Tab until the element has the focus; how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if _active_id(page) == element_id:
            return presses
    raise AssertionError(f"#{element_id} is not reachable with Tab")


def test_the_login_form_works_with_the_keyboard_alone(new_context: NewPage, live: Live,
                                                      shot: Shot) -> None:
    page = new_context()
    page.goto(f"{live.url}/login")
    assert _active_id(page) == "username"  # the cursor starts in the first field
    page.keyboard.type("officer1")
    page.keyboard.press("Tab")
    assert _active_id(page) == "password"
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Tab")
    button = page.locator("form[action='/login'] button[type=submit]")
    expect(button).to_be_focused()
    outline = button.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline not in ("", "none"), "the focused button shows no focus outline"
    shot(page, "login-focus")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live.url}/")
    expect(page.locator(".site-header .who")).to_contain_text("客户经理 张伟")


def test_a_new_application_can_be_filed_with_the_keyboard_alone(page_as: LoginAs,
                                                                 live: Live) -> None:
    page = page_as("officer1")
    page.goto(f"{live.url}/applications/new")
    _tab_to(page, "borrower_resident_id")
    order = []
    for element_id, keys in (
            ("borrower_resident_id", live.borrower_id),
            ("property_id", str(live.property_id)),
            ("amount", "250000"),
            ("term_months", "180"),
            ("repayment_method", None),  # keep the first choice
            ("purpose", "购房"),
            ("purchase_price", "520000"),
            ("first_home", "ArrowDown"),  # 未说明 -> 是
            ("co_owner_consent", "Space")):
        assert _active_id(page) == element_id, f"Tab reached {_active_id(page)!r}"
        order.append(element_id)
        if keys == "ArrowDown":
            page.keyboard.press(keys)
        elif keys == "Space":  # a consent is never ticked in advance: Space ticks it
            expect(page.locator(f"#{element_id}")).not_to_be_checked()
            page.keyboard.press(keys)
        elif keys:
            page.keyboard.type(keys)
            if element_id == "purpose":
                page.keyboard.press("Escape")  # close the suggestion list
        page.keyboard.press("Tab")
    expect(page.locator("#first_home")).to_have_value("yes")
    expect(page.locator("#co_owner_consent")).to_be_checked()
    expect(page.locator("form[action='/applications/new'] button[type=submit]")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"^{re.escape(live.url)}/applications/\d+$"))
    expect(page.locator("h1 .status")).to_have_text("草稿")
    expect(page.get_by_text("¥250,000")).to_be_visible()


def _officer_case(live: Live) -> int:
    with live.db.uow() as uow:
        officer = uow.users.by_username("officer1")
        assert officer is not None
        case = uow.session.scalar(select(WarningCaseRow.id).where(
            WarningCaseRow.branch_id == officer.branch_id, WarningCaseRow.status == "open")
            .order_by(WarningCaseRow.level_rank.desc(), WarningCaseRow.id))
        assert case is not None
        return int(case)


def _a_loan(live: Live) -> int:
    with live.db.uow() as uow:
        for case in uow.session.scalars(select(WarningCaseRow).order_by(WarningCaseRow.id)):
            if case.loan_ids:
                return int(case.loan_ids[0])
    raise AssertionError("a warning names a loan")


def _main_pages(live: Live) -> list[tuple[str, str]]:
    """(user, path) of the pages with forms and tables that the union works in every day."""
    return [
        ("officer1", "/"),
        ("officer1", "/applications"),
        ("officer1", "/applications/new"),
        ("officer1", f"/applications/{live.assessed_id}"),
        ("reviewer1", f"/applications/{live.assessed_id}"),  # the review form
        ("officer1", "/warnings"),
        ("officer1", f"/warnings/{_officer_case(live)}"),
        ("risk", "/warnings"),
        ("risk", "/classification"),
        ("risk", f"/loans/{_a_loan(live)}/classification"),
        ("risk", "/monitoring"),
    ]


SCREENS: dict[str, ViewportSize] = {
    "tablet 1280x800": {"width": 1280, "height": 800},
    "desktop 1920x1080": {"width": 1920, "height": 1080},
}


@dataclass
class Survey:
    """What one visit of each main page found, for the tests below."""

    pages: int = 0
    controls: int = 0
    unlabelled: dict[str, list[str]] = field(default_factory=dict)
    overflow: dict[str, int] = field(default_factory=dict)  # "screen user path": pixels
    smallest_font: dict[str, tuple[float, str]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def survey(sessions: Sessions, live: Live) -> Survey:
    """Each main page opened once, as its user, and looked at on a tablet and a desktop."""
    found = Survey()
    pages: dict[str, Page] = {}
    for username, path in _main_pages(live):
        if username not in pages:
            pages[username] = sessions.context().new_page()
            log_in(pages[username], live.url, username)
        page = pages[username]
        page.set_viewport_size(SCREENS["tablet 1280x800"])
        response = page.goto(f"{live.url}{path}")
        assert response is not None and response.ok, f"{username} {path}: HTTP {response}"
        page.wait_for_load_state("load")
        found.pages += 1
        found.controls += control_count(page)
        missing = unlabelled(page)
        if missing:
            found.unlabelled[f"{username} {path}"] = missing
        for screen, viewport in SCREENS.items():
            page.set_viewport_size(viewport)
            where = f"{screen} {username} {path}"
            found.overflow[where] = horizontal_overflow(page)
            font = page.evaluate(SMALLEST_FONT_JS)
            found.smallest_font[where] = (font["smallest"], font["where"])
    for page in pages.values():
        page.close()
    return found


def test_every_control_on_the_main_pages_has_a_label(survey: Survey) -> None:
    assert survey.controls > 20, "the label check looked at the pages' controls"
    assert survey.unlabelled == {}, f"controls without a label: {survey.unlabelled}"


def test_the_main_pages_fit_a_tablet_and_a_desktop(survey: Survey) -> None:
    assert survey.pages > 0 and len(survey.overflow) == len(SCREENS) * survey.pages
    wider = {where: px for where, px in survey.overflow.items() if px > 0}
    assert wider == {}, f"pages wider than the screen (px): {wider}"


def test_the_main_pages_use_readable_type(survey: Survey) -> None:
    small = {where: f"{size}px: {text}" for where, (size, text) in survey.smallest_font.items()
             if size < MIN_FONT_PX}
    assert small == {}, f"text smaller than {MIN_FONT_PX}px: {small}"
