"""The console in a real browser: Debian's Chromium driven by Playwright, against the app served
by uvicorn on a database of its own, migrated and filled with the demo data.

One server and one browser serve the whole package. Package scope, not session: while
Playwright's synchronous API is started, an asyncio loop counts as running in the main thread,
and tests outside this package that call `asyncio.run` would fail. Each test opens new browser
contexts, so no cookie passes from one test to the next; the database is shared, so each test
finds what it needs by reading the pages, as an officer would, and leaves alone what it did not
take.

Without Chromium (at /usr/bin/chromium, or where the CHROMIUM variable says) every test here is
skipped; the rest of the suite does not need it.
"""

import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright

from app.core.db import Database
from app.demo import seed_demo
from app.main import connect_domains, create_app
from app.migrate import migrate
from tests.conftest import make_settings
from tests.console.browser.support import (
    ADMIN,
    OFFICER,
    QUEUE,
    NewContext,
    OtherSite,
    Screenshots,
    SignedIn,
    sign_in,
)
from tests.databases import throwaway_database

HERE = Path(__file__).parent
SCREENSHOTS = HERE.parents[2] / "var" / "test-output" / "browser"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
NO_CHROMIUM = (
    "Chromium not found: install Debian's chromium and chromium-driver (apt-get install "
    "chromium chromium-driver) or set CHROMIUM to a Chromium binary to run the browser tests"
)
# The machine's network is closed: without the background-networking flags Chromium spends its
# start trying to reach Google's hosts. No sandbox: CI runs as root.
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


def chromium_path() -> Path | None:
    path = Path(os.environ.get("CHROMIUM") or DEFAULT_CHROMIUM)
    return path if path.is_file() and os.access(path, os.X_OK) else None


@pytest.fixture(scope="package", autouse=True)
def _needs_chromium() -> None:
    """Autouse and of the widest scope here, so that the skip comes before any server or
    browser is started."""
    if chromium_path() is None:
        pytest.skip(NO_CHROMIUM)


@dataclass(frozen=True)
class Console:
    base_url: str


@pytest.fixture(scope="package")
def console(workdir: Path) -> Iterator[Console]:
    """`python -m app migrate`, `python -m app seed-demo`, then the app under uvicorn on a free
    port of 127.0.0.1, in a thread of this process; stopped, and its database dropped, after
    the last browser test."""
    with throwaway_database(workdir) as url:
        database = Database.from_url(url)
        migrate(database)
        connect_domains()  # the demo's history completes requests, which frees their providers
        with database.transaction() as db:
            seed_demo(db)
        database.dispose()
        root = logging.getLogger()
        level, handlers = root.level, root.handlers[:]  # the app sets the process's logging up
        config = uvicorn.Config(
            create_app(make_settings(url, log_level="WARNING")),
            host="127.0.0.1",
            port=0,
            log_config=None,
            access_log=False,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="console-server", daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.started, "the console's server did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield Console(base_url=f"http://127.0.0.1:{port}")
        finally:
            server.should_exit = True
            thread.join(timeout=30)
            root.setLevel(level)
            root.handlers[:] = handlers


@pytest.fixture(scope="package")
def other_site() -> Iterator[OtherSite]:
    site = OtherSite(port=0)

    class Pages(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = site.html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests say what matters."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="other-site", daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()


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


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Screenshots:
    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "-", request.node.name).strip("-")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Screenshots(folder)


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


@pytest.fixture(scope="package")
def signed_in_states() -> dict[str, Any]:
    """Each account's browser state (its session cookie) once it has signed in through the
    form, kept for the package: a sign-in costs a password hash, and most tests are about what
    comes after it. Tests that sign in again do so in a browser of their own: a new sign-in
    ends the session of the browser it is made in."""
    return {}


def _signed_in(
    account: tuple[str, str],
    states: dict[str, Any],
    new_context: NewContext,
    shots: Screenshots,
) -> SignedIn:
    email = account[0]
    if email not in states:
        page = new_context().new_page()
        sign_in(page, account)
        assert page.url.endswith(QUEUE), page.url
        states[email] = page.context.storage_state()
    page = new_context(storage_state=states[email]).new_page()
    return SignedIn(page.context, page, shots)


@pytest.fixture
def officer(
    signed_in_states: dict[str, Any], new_context: NewContext, shots: Screenshots
) -> SignedIn:
    """A browser of its own, signed in as the demo's OHCHR officer."""
    return _signed_in(OFFICER, signed_in_states, new_context, shots)


@pytest.fixture
def admin(
    signed_in_states: dict[str, Any], new_context: NewContext, shots: Screenshots
) -> SignedIn:
    """A browser of its own, signed in as the demo's OHCHR administrator."""
    return _signed_in(ADMIN, signed_in_states, new_context, shots)
