"""A browser set to French gets the console in French (the catalogue at
app/console/locale/fr/LC_MESSAGES/messages.po)."""

import pytest
from babel.messages.pofile import read_po

from app.console.i18n import LOCALE_DIR
from tests.console.browser.support import SIGN_IN, NewContext, Screenshots, visit

ENGLISH_HEADING = "Sign in to the officer console"


def _french_for(english: str) -> str:
    """The catalogue's French for `english`, or "" while it has none (or only a fuzzy one)."""
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        message = read_po(po, locale="fr").get(english)
    if message is None or message.fuzzy or not isinstance(message.string, str):
        return ""
    return message.string


def test_a_french_browser_gets_pages_marked_as_french(
    new_context: NewContext, shots: Screenshots
) -> None:
    page = new_context(locale="fr-FR").new_page()
    answer = visit(page, shots, SIGN_IN, "sign-in")
    assert answer.status == 200
    assert (answer.request.header_value("accept-language") or "").startswith("fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert answer.header_value("content-language") == "fr"


def test_a_french_browser_gets_the_sign_in_heading_in_french(
    new_context: NewContext, shots: Screenshots
) -> None:
    french = _french_for(ENGLISH_HEADING)
    if not french:
        pytest.xfail(f"the French catalogue has no translation of {ENGLISH_HEADING!r} yet")
    page = new_context(locale="fr-FR").new_page()
    visit(page, shots, SIGN_IN, "sign-in")
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == french
    assert heading != ENGLISH_HEADING
