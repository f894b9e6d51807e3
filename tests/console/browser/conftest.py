"""The console in a real browser: Debian's Chromium driven by Playwright, against the app served
by uvicorn on a database of its own, migrated and filled with the demo data.

One server and one browser serve the whole package (package scope, not session: while
Playwright's synchronous API is started, an asyncio loop counts as running in the main thread,
and tests outside this package that call `asyncio.run` would fail). Each test gets new browser
contexts, so no cookie passes from one test to the next; the database is shared, so each test
finds what it needs by reading the pages, as an officer would.

Without Chromium (at /usr/bin/chromium, or where the CHROMIUM variable says) every test here is
skipped; the rest of the suite does not need it.
"""

import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from app.core.db import Database
from app.demo import seed_demo
from app.main import connect_domains, create_app
from app.migrate import migrate
from tests.conftest import make_settings
from tests.databases import throwaway_database

HERE = Path(__file__).parent
SCREENSHOTS = HERE.parents[2] / "var" / "test-output" / "browser"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
NO_CHROMIUM = (
    "Chromium not found: install Debian's chromium and chromium-driver (apt-get install "
    "chromium chromium-driver) or set CHROMIUM to a Chromium binary to run the browser tests"
)
# This machine's network is closed: without the background-networking flags Chromium spends its
# start trying to reach Google's hosts. --no-sandbox because CI runs as root.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000

OFFICER = ("officer@demo.item10.org", "demo-officer-password")
ADMIN = ("admin@demo.item10.org", "demo-admin-password")
FOCAL_POINT = ("focal.wsm@demo.item10.org", "demo-samoa-password")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


def chromium_path() -> Path | None:
    path = Path(os.environ.get("CHROMIUM") or DEFAULT_CHROMIUM)
    return path if path.is_file() and os.access(path, os.X_OK) else None


@pytest.fixture(autouse=True)
def _needs_chromium() -> None:
    """Autouse, so the skip comes before the server and the browser are started."""
    if chromium_path() is None:
        pytest.skip(NO_CHROMIUM)


@dataclass(frozen=True)
class Console:
    base_url: str
    database: Database


@pytest.fixture(scope="package")
def console(workdir: Path) -> Iterator[Console]:
    """`python -m app migrate`, `python -m app seed-demo`, then the app under uvicorn on a free
    port of 127.0.0.1, in a thread of this process."""
    with throwaway_database(workdir) as url:
        database = Database.from_url(url)
        migrate(database)
        connect_domains()  # the demo's history completes requests, which frees their providers
        with database.transaction() as db:
            seed_demo(db)
        config = uvicorn.Config(
            create_app(make_settings(url)),
            host="127.0.0.1",
            port=0,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="on",
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="console-server", daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.started, "the console's server did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield Console(base_url=f"http://127.0.0.1:{port}", database=database)
        finally:
            server.should_exit = True
            thread.join(timeout=20)
            database.dispose()


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    path = chromium_path()
    assert path is not None
    browser = playwright.chromium.launch(
        executable_path=str(path), headless=True, args=CHROMIUM_FLAGS
    )
    yield browser
    browser.close()


@dataclass
class Screenshots:
    """Full-page pictures of each page a test visits, numbered in the order it saw them:
    var/test-output/browser/<test>/NN-<page>.png."""

    folder: Path
    taken: int = 0

    def take(self, page: Page, name: str) -> Path:
        self.taken += 1
        path = self.folder / f"{self.taken:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Screenshots:
    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Screenshots(folder)


NewContext = Callable[..., BrowserContext]


@pytest.fixture
def new_context(browser: Browser, console: Console) -> Iterator[NewContext]:
    """`new_context(locale="fr-FR")`: a fresh browser profile (no cookie) on the console,
    closed when the test ends."""
    opened: list[BrowserContext] = []

    def open_context(**options: Any) -> BrowserContext:
        context = browser.new_context(base_url=console.base_url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()


def sign_in(page: Page, account: tuple[str, str]) -> None:
    """The sign-in form, filled and sent as a browser would; waits for the page it leads to."""
    email, password = account
    page.goto("/console/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


@dataclass
class SignedIn:
    """A signed-in officer's browser: the context, its page, and the pictures of its visits."""

    context: BrowserContext
    page: Page
    shots: Screenshots
    visited: list[str] = field(default_factory=list)

    def visit(self, path: str, name: str) -> int:
        response = self.page.goto(path)
        assert response is not None
        self.shots.take(self.page, name)
        return response.status


@pytest.fixture
def officer(new_context: NewContext, shots: Screenshots) -> SignedIn:
    context = new_context()
    page = context.new_page()
    sign_in(page, OFFICER)
    assert page.url.endswith("/console/queue")
    return SignedIn(context, page, shots)


@pytest.fixture
def admin(new_context: NewContext, shots: Screenshots) -> SignedIn:
    context = new_context()
    page = context.new_page()
    sign_in(page, ADMIN)
    assert page.url.endswith("/console/queue")
    return SignedIn(context, page, shots)
