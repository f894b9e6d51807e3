"""An officer does the day's work with the keyboard alone: Tab to move, typing, Enter. No click
anywhere in these walks; the address bar only to find a request to work on."""

import re

from playwright.sync_api import Page

from tests.console.browser.support import (
    OFFICER,
    QUEUE,
    SIGN_IN,
    NewContext,
    Screenshots,
    press_enter,
    queue_rows,
    sign_in_by_keyboard,
    stage_shown,
    tab_to,
    visit,
)


def _signed_in_by_keyboard(new_context: NewContext, shots: Screenshots) -> Page:
    page = new_context().new_page()
    visit(page, shots, SIGN_IN, "sign-in")
    answer = sign_in_by_keyboard(page, OFFICER)
    assert answer.status == 200
    assert page.url.endswith(QUEUE)
    shots.take(page, "queue")
    return page


def test_an_officer_triages_and_accepts_a_request_with_the_keyboard_only(
    new_context: NewContext, shots: Screenshots
) -> None:
    page = _signed_in_by_keyboard(new_context, shots)
    assert page.get_by_role("heading", level=1).inner_text() == "Triage queue"

    tab_to(page, page.get_by_label("Stage"))
    page.keyboard.type("submitted")  # a closed list picks the option whose words are typed
    assert page.get_by_label("Stage").input_value() == "submitted"
    tab_to(page, page.get_by_role("button", name="Apply filters"))
    press_enter(page)
    shots.take(page, "queue-submitted")
    assert "stage=submitted" in page.url
    rows = queue_rows(page)
    assert rows, "the demo data has submitted requests"
    assert all(row.stage.startswith("submitted") for row in rows), rows

    top = rows[0]
    tab_to(page, page.locator("table.queue tbody tr").first.get_by_role("link"))
    press_enter(page)
    shots.take(page, "request")
    assert page.url.endswith(top.href)
    assert page.get_by_role("heading", level=1).inner_text() == top.title
    state_card = page.get_by_role("region", name=top.state, exact=True)
    assert state_card.get_by_text("Priority groups").is_visible()
    assert page.get_by_role("heading", name="Recommendations this request is about").is_visible()
    assert page.get_by_role("heading", name="Messages").is_visible()
    assert stage_shown(page) == "submitted"

    tab_to(page, page.get_by_role("button", name="Start triage"))
    press_enter(page)
    shots.take(page, "request-in-triage")
    assert page.url.endswith(f"{top.href}?notice=done-start-triage")
    assert stage_shown(page) == "in triage"

    tab_to(page, page.get_by_role("button", name="Accept", exact=True))
    press_enter(page)
    shots.take(page, "request-accepted")
    assert page.url.endswith(f"{top.href}?notice=done-accept")
    assert stage_shown(page) == "accepted"
    assert page.get_by_role("status").inner_text() == "Done: Accept. The request is now accepted."


def _accepted_request_open_to_offers(page: Page, shots: Screenshots) -> str:
    """The first accepted request in the queue whose candidates page offers it to someone."""
    visit(page, shots, f"{QUEUE}?stage=accepted", "queue-accepted")
    for row in queue_rows(page):
        visit(page, shots, f"{row.href}/candidates", "candidates")
        if page.get_by_role("button", name=re.compile("^Offer to ")).count():
            return row.href
    raise AssertionError("the demo data has no accepted request open to an offer")


def test_an_officer_offers_an_accepted_request_with_the_keyboard_only(
    new_context: NewContext, shots: Screenshots
) -> None:
    page = _signed_in_by_keyboard(new_context, shots)
    href = _accepted_request_open_to_offers(page, shots)
    visit(page, shots, href, "request")

    tab_to(page, page.get_by_role("link", name="See candidates and make an offer"))
    press_enter(page)
    shots.take(page, "candidates")
    assert page.url.endswith(f"{href}/candidates")
    offer = page.get_by_role("button", name=re.compile("^Offer to ")).first
    provider = offer.inner_text().removeprefix("Offer to ")

    tab_to(page, offer)
    press_enter(page)
    shots.take(page, "request-offered")
    assert page.url.endswith(f"{href}?notice=done-offer")
    assert page.get_by_role("status").inner_text() == "The offer is sent to the provider."

    visit(page, shots, f"{href}/candidates", "candidates-after")
    assert page.get_by_text(f"It has an offer pending or accepted with {provider}.").is_visible()
    assert page.get_by_role("button", name=re.compile("^Offer to ")).count() == 0
