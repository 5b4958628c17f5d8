"""Real-browser fixtures: Debian's headless Chromium driven by Playwright against a live server.

- ``book_template`` (once per test run, shared by the xdist workers): a seeded SQLite demo book
  (300 loans) with the demo scorecard and parameters, a borrower with a property registered in
  officer1's branch, one application of theirs assessed, and one nightly monitoring run, so
  warnings and classes exist;
- ``live`` (once per module): a copy of that book served by uvicorn running ``create_app`` in a
  background thread on a free 127.0.0.1 port;
- ``browser`` (once per test process): Chromium launched from the machine's own binary
  (``MORTGAGE_RISK_CHROMIUM``, else ``chromium`` on the PATH; never a Playwright download);
- ``sessions`` (once per module): the module's browser contexts, closed when it ends;
- ``log_in_as(username)``: a new 1280x800 browser context logged in through the login form;
  ``page_as(username)``: a page of that user (logged in once per module, through the form);
  ``new_context()``: a page in a fresh context, not logged in;
- ``shot(page, name)``: a full-page screenshot in ``test-artifacts/screenshots/``.

If Chromium cannot start, the tests fail (not skip): CI installs it with scripts/system-deps.sh.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import playwright.sync_api as playwright_sync  # a dev dependency: missing means a broken setup
import pytest
import uvicorn
from argon2 import PasswordHasher
from playwright.sync_api import ViewportSize
from sqlalchemy import select

from mortgage_risk.config import Settings
from mortgage_risk.domain import RepaymentMethod
from mortgage_risk.services import assessment, demo, origination, registry
from mortgage_risk.services.monitoring import nightly_run
from mortgage_risk.services.schemas import ApplicationIn, BorrowerIn, PropertyIn, VisitIn
from mortgage_risk.services.users import CurrentUser, load_user
from mortgage_risk.storage.database import Database
from mortgage_risk.storage.tables import UserRow
from mortgage_risk.storage.uow import UnitOfWork
from mortgage_risk.web import create_app
from tests.helpers import borrower_fields, property_fields, resident_id

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
AS_OF = date(2026, 6, 30)
BORROWER_ID = resident_id(region="450321", birth="19860315", seq="731")
CHROMIUM_NAMES = ("chromium", "chromium-browser")


# --- the book ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookTemplate:
    folder: Path  # holds book.db and var/
    borrower_id: str
    property_id: int
    assessed_id: int  # an application of officer1's branch, assessed


def _user(uow: UnitOfWork, username: str) -> CurrentUser:
    row = uow.users.by_username(username)
    assert row is not None, username
    user = load_user(uow, row.id)
    assert user is not None, username
    return user


@pytest.fixture(scope="session")
def book_template(tmp_path_factory: pytest.TempPathFactory) -> BookTemplate:
    """The seeded book, built once per test run (the xdist workers share it, under a file lock)
    and copied for each module."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, above each worker's own
    folder = shared / "browser-book"
    made = folder / "template.json"
    with open(shared / "browser-book.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not made.exists():
                if folder.exists():
                    shutil.rmtree(folder)  # a build that did not finish
                folder.mkdir()
                ids = _build_book(folder)
                made.write_text(json.dumps(ids))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    ids = json.loads(made.read_text())
    return BookTemplate(folder, BORROWER_ID, ids["property_id"], ids["assessed_id"])


def _build_book(folder: Path) -> dict[str, int]:
    db = Database.connect(f"sqlite:///{folder / 'book.db'}")
    try:
        db.upgrade()
        with db.uow() as uow:
            demo.seed_portfolio(uow, actor="test", loans=300, seed=11, as_of=AS_OF,
                                parquet_dir=None)
        with db.uow() as uow:
            demo.install_demo_model(uow)
        with db.uow() as uow:
            demo.install_demo_parameters(uow)
        with db.uow() as uow:
            officer = _user(uow, "officer1")
            branch = uow.branches.get(officer.branch_id or 0)
            assert branch is not None
            registry.register_borrower(uow, officer,
                                       BorrowerIn(**borrower_fields(BORROWER_ID, branch.code)))
        with db.uow() as uow:
            property_id = registry.register_property(
                uow, _user(uow, "officer1"), PropertyIn(**property_fields(BORROWER_ID)))
        assessed_id = _assessed_application(db, property_id)
        nightly_run(db, var_dir=folder / "var", as_of=AS_OF)
        _light_password_hashes(db)
    finally:
        db.dispose()
    return {"property_id": property_id, "assessed_id": assessed_id}


def _light_password_hashes(db: Database) -> None:
    """The demo password hashed with light argon2 parameters: the login still goes through the
    form and a real argon2 check, in 10 ms instead of the 0.6 s of the production parameters
    (each test module logs in about five times)."""
    light = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with db.uow() as uow:
        for row in uow.session.scalars(select(UserRow)):
            row.password_hash = light.hash(demo.DEMO_PASSWORD)
        uow.commit()


def _assessed_application(db: Database, property_id: int) -> int:
    """An application taken to "assessed" through the services, for pages that show one."""
    with db.uow() as uow:
        officer = _user(uow, "officer1")
        created = origination.create_application(uow, officer, ApplicationIn(
            borrower_resident_id=BORROWER_ID, property_id=property_id, amount=Decimal("320000"),
            term_months=240, repayment_method=RepaymentMethod.EQUAL_INSTALLMENT, purpose="购房",
            purchase_price=Decimal("600000"), co_owner_consent=True, first_home=True))
        origination.submit(uow, officer, created.id)
        origination.record_visit(uow, officer, created.id, VisitIn(
            occupancy="owner", collateral_condition="intact", income_verified=True,
            findings="借款人自住，房屋完好。", evidence=["IMG_0101.jpg"],
            observed={"structure": 85.0, "finish": 75.0, "services": 80.0}))
        assessment.assess(uow, officer, created.id,
                          valuation_explanation="以比较法价值为准。")
        return int(created.id)


# --- the live server --------------------------------------------------------------------------


@dataclass(frozen=True)
class Live:
    url: str
    db: Database
    borrower_id: str
    property_id: int
    assessed_id: int


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="module")
def live(book_template: BookTemplate, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """This module's own copy of the book, served on a free port until the module ends."""
    folder = tmp_path_factory.mktemp("browser-live")
    shutil.copy(book_template.folder / "book.db", folder / "book.db")
    shutil.copytree(book_template.folder / "var", folder / "var")
    db = Database.connect(f"sqlite:///{folder / 'book.db'}")
    app = create_app(Settings(var_dir=folder / "var", secret_key="test-secret-browser"), db)
    sock = _free_socket()
    port = sock.getsockname()[1]
    # uvicorn leaves the signal handlers alone outside the main thread
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                           timeout_graceful_shutdown=5))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="live-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the live server did not start")
            time.sleep(0.02)
        yield Live(f"http://127.0.0.1:{port}", db, book_template.borrower_id,
                   book_template.property_id, book_template.assessed_id)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        jobs = getattr(app.state, "jobs", None)
        if jobs is not None and hasattr(jobs, "shutdown"):
            jobs.shutdown()
        db.dispose()
    assert not thread.is_alive(), "the live server did not stop"


# --- the browser ------------------------------------------------------------------------------


def chromium_executable() -> str:
    """The machine's Chromium: MORTGAGE_RISK_CHROMIUM, else Debian's `chromium` on the PATH."""
    given = os.environ.get("MORTGAGE_RISK_CHROMIUM")
    if given:
        if not (Path(given).is_file() and os.access(given, os.X_OK)):
            pytest.fail(f"MORTGAGE_RISK_CHROMIUM={given} is not an executable file",
                        pytrace=False)
        return given
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("Chromium is not installed: the browser tests need Debian's `chromium` package "
                "(`make system-deps` / scripts/system-deps.sh installs it), or set "
                "MORTGAGE_RISK_CHROMIUM to a Chromium binary. Never `playwright install`.",
                pytrace=False)


@pytest.fixture(scope="session")
def browser() -> Iterator[playwright_sync.Browser]:
    executable = chromium_executable()
    pw = playwright_sync.sync_playwright().start()
    try:
        try:
            launched = pw.chromium.launch(executable_path=executable, headless=True,
                                          args=["--disable-gpu", "--disable-dev-shm-usage"])
        except playwright_sync.Error as exc:
            pytest.fail(f"Chromium at {executable} did not start: {exc}", pytrace=False)
        try:
            yield launched
        finally:
            launched.close()
    finally:
        pw.stop()


LoginAs = Callable[[str], playwright_sync.Page]
NewPage = Callable[[], playwright_sync.Page]


def log_in(page: playwright_sync.Page, base_url: str, username: str) -> None:
    """Fill the login form and submit it; returns once the overview's response has arrived
    (tests that look at the overview wait for it to load; the others move on at once)."""
    response = page.goto(f"{base_url}/login")
    assert response is not None and response.ok, f"GET /login: HTTP {response and response.status}"
    page.get_by_label(re.compile("^(用户名|Username)$")).fill(username)
    page.get_by_label(re.compile("^(密码|Password)$")).fill(demo.DEMO_PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click(no_wait_after=True)
    page.wait_for_url(f"{base_url}/", wait_until="commit")


class Sessions:
    """The module's browser contexts: one logged-in context per user, kept for the module so a
    user logs in once per module, and anonymous ones for tests of the login itself."""

    def __init__(self, browser: playwright_sync.Browser, live: Live) -> None:
        self.browser, self.live = browser, live
        self.by_user: dict[str, playwright_sync.BrowserContext] = {}
        self.all: list[playwright_sync.BrowserContext] = []

    def context(self) -> playwright_sync.BrowserContext:
        context = self.browser.new_context(viewport=VIEWPORT, base_url=self.live.url,
                                           locale="zh-CN")
        context.set_default_timeout(15_000)
        self.all.append(context)
        return context

    def close(self) -> None:
        for context in self.all:
            context.close()


@pytest.fixture(scope="module")
def sessions(browser: playwright_sync.Browser, live: Live) -> Iterator[Sessions]:
    held = Sessions(browser, live)
    yield held
    held.close()


@pytest.fixture
def _pages() -> Iterator[list[playwright_sync.Page]]:
    """The pages a test opened, closed when it ends (their contexts live on for the module)."""
    opened: list[playwright_sync.Page] = []
    yield opened
    for page in opened:
        if not page.is_closed():
            page.close()


@pytest.fixture
def new_context(sessions: Sessions, _pages: list[playwright_sync.Page]) -> NewPage:
    """A page in a fresh 1280x800 context of its own (no login, no cookies)."""

    def make() -> playwright_sync.Page:
        page = sessions.context().new_page()
        _pages.append(page)
        return page

    return make


@pytest.fixture
def log_in_as(sessions: Sessions, live: Live,
              _pages: list[playwright_sync.Page]) -> LoginAs:
    """``log_in_as("risk")``: a fresh context logged in through the login form; the page is on
    the overview. The context becomes the user's context for the rest of the module."""

    def login(username: str) -> playwright_sync.Page:
        context = sessions.context()
        page = context.new_page()
        _pages.append(page)
        log_in(page, live.url, username)
        sessions.by_user[username] = context
        return page

    return login


@pytest.fixture
def page_as(sessions: Sessions, log_in_as: LoginAs,
            _pages: list[playwright_sync.Page]) -> LoginAs:
    """``page_as("officer1")``: a page of that demo user, logged in through the login form the
    first time in the module (the page is then on the overview), else a new page (blank) in the
    user's context."""

    def page_for(username: str) -> playwright_sync.Page:
        context = sessions.by_user.get(username)
        if context is None:
            return log_in_as(username)
        page = context.new_page()
        _pages.append(page)
        return page

    return page_for


# --- artifacts --------------------------------------------------------------------------------


Shot = Callable[[playwright_sync.Page, str], Path]


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shot:
    """``shot(page, "overview")`` saves test-artifacts/screenshots/<module>--<test>--<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    module = request.node.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    name = request.node.name.removeprefix("test_").replace("[", "-").replace("]", "")
    test = re.sub(r"[^\w.-]+", "_", name)

    def take(page: playwright_sync.Page, name: str) -> Path:
        path = SCREENSHOTS / f"{module}--{test}--{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
