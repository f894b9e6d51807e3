"""The console's message catalogue: the committed template (`messages.pot`) lists exactly what
the console says, every message has French, and the browser's `Accept-Language` picks the
words a page is rendered in."""

import html
import re
from collections.abc import Sequence
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from app.console.i18n import translations
from tests.console.support import SIGN_IN, read

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "app" / "console"
MAPPING = CONSOLE / "babel.cfg"
TEMPLATE = CONSOLE / "locale" / "messages.pot"
FRENCH = CONSOLE / "locale" / "fr" / "LC_MESSAGES" / "messages.po"

# The README's two commands ("The officer console's languages"), run from the repository's root.
EXTRACT = (
    ".venv/bin/pybabel extract -F app/console/babel.cfg --project=item10-platform"
    " --add-location=file -o app/console/locale/messages.pot ."
)
UPDATE = (
    ".venv/bin/pybabel update -i app/console/locale/messages.pot -d app/console/locale"
    " -l fr --previous --ignore-obsolete"
)
TO_REFRESH = (
    f"run `{EXTRACT}` then `{UPDATE}`, and translate what is new in {FRENCH.relative_to(ROOT)}"
)

FRENCH_HEADING = "Se connecter à la console des fonctionnaires"
ENGLISH_HEADING = "Sign in to the officer console"

Texts = str | Sequence[str] | None  # a message's id or string: one text, or its plural forms
Key = tuple[tuple[str, ...], str | None]


def key(message: Message) -> Key:
    return forms(message.id), message.context


def extracted() -> Catalog:
    """What `pybabel extract` finds now, read with the same mapping file and options."""
    with MAPPING.open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping, str(MAPPING))  # type: ignore[no-untyped-call]
    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        ROOT, method_map, options_map
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def catalogue(path: Path) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale="fr" if path == FRENCH else None)


def messages(catalog: Catalog) -> dict[Key, Message]:
    return {key(m): m for m in catalog if m.id}


def shown(message_id: Texts) -> str:
    return " / ".join(forms(message_id))


def forms(texts: Texts) -> tuple[str, ...]:
    if texts is None:
        return ()
    return (texts,) if isinstance(texts, str) else tuple(texts)


def placeholders(text: str) -> set[str]:
    """Every `%` directive: named ones, `%%`, and a lone `%` (which breaks new-style rendering)."""
    return set(re.findall(r"%\(\w+\)[a-z]|%%|%", text))


def english_sentences(message: Message) -> set[str]:
    """The English words of a message that a French page must not show: each run of two or
    more words between its placeholders."""
    runs = (run.strip() for text in forms(message.id) for run in re.split(r"%\(\w+\)[a-z]", text))
    return {run for run in runs if len(run.split()) >= 2}


def heading(page: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page, re.S)
    assert found, page
    return html.unescape(found.group(1)).strip()


def test_template_lists_exactly_the_messages_the_console_says() -> None:
    now = messages(extracted())
    committed = messages(catalogue(TEMPLATE))
    new = sorted(shown(k[0]) for k in now.keys() - committed.keys())
    gone = sorted(shown(k[0]) for k in committed.keys() - now.keys())
    assert not new and not gone, (
        f"{TEMPLATE.relative_to(ROOT)} is out of date: new messages {new}, messages no longer "
        f"used {gone}; {TO_REFRESH}"
    )


def test_every_message_has_a_french_translation() -> None:
    french_catalogue = catalogue(FRENCH)
    french = messages(french_catalogue)
    missing = []
    for k in messages(catalogue(TEMPLATE)):
        found = french.get(k)
        strings = forms(found.string) if found else ()
        expected = french_catalogue.num_plurals if len(k[0]) > 1 else 1
        if not found or found.fuzzy or len(strings) != expected or not all(strings):
            missing.append(shown(k[0]))
    assert not missing, f"no French (or only a fuzzy guess) for {missing}; {TO_REFRESH}"


def test_french_keeps_the_placeholders_of_its_english() -> None:
    changed = {}
    for message in messages(catalogue(FRENCH)).values():
        english = [placeholders(text) for text in forms(message.id)]
        for french in forms(message.string):
            if french and placeholders(french) not in english:
                changed[shown(message.id)] = french
    assert not changed, f"placeholders differ from the English: {changed}"


def test_french_counts_zero_and_one_as_singular() -> None:
    french = translations("fr")
    rows = [french.ngettext("%(num)s row rejected", "%(num)s rows rejected", n) for n in (0, 1, 2)]
    assert rows == ["%(num)s ligne rejetée", "%(num)s ligne rejetée", "%(num)s lignes rejetées"]


def test_sign_in_page_is_french_for_a_french_browser(client: TestClient) -> None:
    response = client.get(SIGN_IN, headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert response.status_code == 200, response.text
    assert read(response.text).html_lang == "fr"
    assert response.headers["content-language"] == "fr"
    assert heading(response.text) == FRENCH_HEADING


def test_sign_in_page_is_english_for_an_english_browser(client: TestClient) -> None:
    response = client.get(SIGN_IN, headers={"Accept-Language": "en"})
    assert response.status_code == 200, response.text
    assert read(response.text).html_lang == "en"
    assert response.headers["content-language"] == "en"
    assert heading(response.text) == ENGLISH_HEADING


def test_french_sign_in_page_shows_no_english_sentence_of_the_catalogue(
    client: TestClient,
) -> None:
    response = client.get(SIGN_IN, headers={"Accept-Language": "fr-FR"})
    assert response.status_code == 200, response.text
    page = html.unescape(response.text)
    english = {
        sentence
        for message in messages(catalogue(FRENCH)).values()
        if forms(message.string) != forms(message.id)
        for sentence in english_sentences(message)
    }
    assert "Sign in to the officer console" in english
    assert sorted(sentence for sentence in english if sentence in page) == []
