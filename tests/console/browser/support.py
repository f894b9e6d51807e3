"""What the browser tests share: signing in (with the mouse or with the keyboard only), moving
the focus with Tab, reading the queue and a request's page, and axe-core's verdict on a page."""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Locator, Page, Response

OFFICER = ("officer@demo.item10.org", "demo-officer-password")
ADMIN = ("admin@demo.item10.org", "demo-admin-password")
FOCAL_POINT = ("focal.wsm@demo.item10.org", "demo-samoa-password")

SIGN_IN = "/console/sign-in"
QUEUE = "/console/queue"
TAB_LIMIT = 120


NewContext = Callable[..., BrowserContext]


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


@dataclass
class SignedIn:
    """A signed-in browser: its context, its page, and the pictures of the pages it visits."""

    context: BrowserContext
    page: Page
    shots: Screenshots

    def visit(self, path: str, name: str) -> Response:
        return visit(self.page, self.shots, path, name)


def visit(page: Page, shots: Screenshots, path: str, name: str) -> Response:
    """Go to `path` as by the address bar, and take the page's picture."""
    response = page.goto(path)
    assert response is not None
    shots.take(page, name)
    return response


@dataclass
class OtherSite:
    """A web server of someone else's, on another port: it serves whatever page a test gives
    it, at any path."""

    port: int
    html: str = ""

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/"


# --- signing in -----------------------------------------------------------------------------


def sign_in(page: Page, account: tuple[str, str], shots: Screenshots | None = None) -> Response:
    """The sign-in form, filled and sent; the answer that the page shown came with (after any
    redirect)."""
    email, password = account
    if shots is None:
        page.goto(SIGN_IN)
    else:
        visit(page, shots, SIGN_IN, "sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation() as shown:
        page.get_by_role("button", name="Sign in", exact=True).click()
    response = shown.value
    assert response is not None
    return response


def sign_in_by_keyboard(page: Page, account: tuple[str, str]) -> Response:
    """On the sign-in page: Tab to the email, type it, Tab, type the password, Enter."""
    email, password = account
    tab_to(page, page.get_by_label("Email"))
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    assert is_focused(page.get_by_label("Password"))
    page.keyboard.type(password)
    return press_enter(page)


# --- the keyboard ---------------------------------------------------------------------------


def is_focused(target: Locator) -> bool:
    return bool(target.evaluate("element => element === document.activeElement"))


def tab_to(page: Page, target: Locator) -> int:
    """Press Tab until `target` has the focus, as someone without a mouse moves through the
    page; how many presses it took. Fails if Tab never reaches it."""
    for presses in range(TAB_LIMIT):
        if is_focused(target):
            return presses
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def press_enter(page: Page) -> Response:
    """Enter on the focused link or button, and the page it leads to."""
    with page.expect_navigation() as shown:
        page.keyboard.press("Enter")
    response = shown.value
    assert response is not None
    return response


# --- reading pages --------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    title: str
    href: str
    state: str
    stage: str


def queue_rows(page: Page) -> list[QueueRow]:
    """The queue's rows as shown, read in one go (a round trip per cell is slow)."""
    cells = page.locator("table.queue tbody tr").evaluate_all(
        """rows => rows.map(row => {
            const cells = row.querySelectorAll("td");
            const link = cells[1].querySelector("a");
            return [link.innerText, link.getAttribute("href"), cells[2].innerText,
                    cells[3].innerText].map(text => text.trim());
        })"""
    )
    return [QueueRow(title=t, href=h, state=s, stage=g) for t, h, s, g in cells]


def fact(page: Page, term: str) -> Locator:
    """The value beside `term` in the request's facts (`Stage`, `Assigned officer`...)."""
    return page.locator("dl.facts").first.locator(f"dt:text-is('{term}') + dd")


def stage_shown(page: Page) -> str:
    """The stage the request page says the request is in, without the time it entered it."""
    words = fact(page, "Stage").inner_text()
    return re.split(r"\s+since\s+", words)[0].replace("overdue", "").strip()


def history_moves(page: Page) -> list[str]:
    table = page.locator("section[aria-labelledby='history-title'] table tbody tr")
    return [row.locator("td").nth(1).inner_text().strip() for row in table.all()]


def message_form_token(page: Page) -> str:
    token = page.locator("form[action$='/messages'] input[name='csrf_token']").get_attribute(
        "value"
    )
    assert token
    return token


def thread_text(page: Page) -> str:
    return page.locator("section[aria-labelledby='thread-title'] ol.thread").inner_text()


# --- axe-core -------------------------------------------------------------------------------

BLOCKING = ("serious", "critical")
_axe = Axe()


def blocking_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations of impact serious or critical on the page as it is now.

    axe-core's source (axe.min.js, bundled in the pinned axe-playwright-python package, so
    nothing is fetched) goes in by `page.evaluate`, which Chromium runs through the DevTools
    protocol: the console's Content-Security-Policy (script-src 'self') governs the page's own
    scripts, not that, so no context needs `bypass_csp` and the policy under test stays on."""
    found = _axe.run(page).response["violations"]
    return [v for v in found if v.get("impact") in BLOCKING]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['impact']}: {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            lines.append(f"    at {json.dumps(node['target'])}: {node['html'][:160]}")
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"      {summary[:300]}")
    return "\n".join(lines)
