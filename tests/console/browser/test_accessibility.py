"""axe-core on every page of the console an officer or an administrator meets: no violation
of impact serious or critical (WCAG 2.x A and AA, and axe's best practices)."""

import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from tests.console.browser.support import (
    FOCAL_POINT,
    QUEUE,
    SIGN_IN,
    Screenshots,
    SignedIn,
    blocking_violations,
    describe,
    queue_rows,
    sign_in,
    visit,
)


def _opened(signed_in: SignedIn, path: str, name: str, status: int = 200) -> Page:
    answer = signed_in.visit(path, name)
    assert answer.status == status, (path, answer.status)
    return signed_in.page


def sign_in_page(request: pytest.FixtureRequest) -> Page:
    page = request.getfixturevalue("new_context")().new_page()
    answer = visit(page, request.getfixturevalue("shots"), SIGN_IN, "sign-in")
    assert answer.status == 200
    return page


def refusal_page(request: pytest.FixtureRequest) -> Page:
    page = request.getfixturevalue("new_context")().new_page()
    shots: Screenshots = request.getfixturevalue("shots")
    assert sign_in(page, FOCAL_POINT, shots).status == 403
    shots.take(page, "refusal")
    return page


def queue_page(request: pytest.FixtureRequest) -> Page:
    return _opened(request.getfixturevalue("officer"), QUEUE, "queue")


def request_page(request: pytest.FixtureRequest) -> Page:
    officer: SignedIn = request.getfixturevalue("officer")
    officer.visit(QUEUE, "queue")
    return _opened(officer, queue_rows(officer.page)[0].href, "request")


def candidates_page(request: pytest.FixtureRequest) -> Page:
    """The candidates of the first accepted request that has some."""
    officer: SignedIn = request.getfixturevalue("officer")
    officer.visit(f"{QUEUE}?stage=accepted", "queue-accepted")
    for row in queue_rows(officer.page):
        page = _opened(officer, f"{row.href}/candidates", "candidates")
        if page.locator("main table tbody tr").count():
            return page
    raise AssertionError("the demo data has no accepted request with candidates")


def matching_page(request: pytest.FixtureRequest) -> Page:
    return _opened(request.getfixturevalue("officer"), "/console/matching", "matching")


def matching_run_page(request: pytest.FixtureRequest) -> Page:
    """The newest run the matching page lists (the demo data has one)."""
    officer: SignedIn = request.getfixturevalue("officer")
    officer.visit("/console/matching", "matching")
    href = officer.page.locator("main table tbody a").first.get_attribute("href")
    assert href is not None
    return _opened(officer, href, "matching-run")


def overview_page(request: pytest.FixtureRequest) -> Page:
    return _opened(request.getfixturevalue("officer"), "/console/overview", "overview")


def imports_page(request: pytest.FixtureRequest) -> Page:
    return _opened(request.getfixturevalue("admin"), "/console/imports", "imports")


def not_found_page(request: pytest.FixtureRequest) -> Page:
    missing = f"/console/requests/{uuid.uuid4()}"
    return _opened(request.getfixturevalue("officer"), missing, "not-found", 404)


PAGES: dict[str, Callable[[pytest.FixtureRequest], Page]] = {
    "sign-in": sign_in_page,
    "refusal": refusal_page,
    "queue": queue_page,
    "request": request_page,
    "candidates": candidates_page,
    "matching": matching_page,
    "matching-run": matching_run_page,
    "overview": overview_page,
    "imports": imports_page,
    "not-found": not_found_page,
}


@pytest.mark.parametrize("name", list(PAGES))
def test_the_page_has_no_serious_or_critical_accessibility_violation(
    name: str, request: pytest.FixtureRequest
) -> None:
    page = PAGES[name](request)
    found = blocking_violations(page)
    assert not found, f"axe-core on the {name} page ({page.url}):\n{describe(found)}"
