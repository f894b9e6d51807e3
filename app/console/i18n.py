"""The console's words: English in the templates, French from the gettext catalogue
(`locale/fr/LC_MESSAGES/messages.po`), chosen by the browser's `Accept-Language`.

The catalogue is compiled in memory when first used, so the repository holds only the `.pot`
and the `.po` that translators edit; the README ("The officer console") gives the commands that
extract and update them, and tests/console/test_catalogue.py fails when a message has no
French translation.
"""

import gettext
import io
from functools import cache
from pathlib import Path

from app.matching.explain import language_of

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "fr")


def console_language(accept_language: str | None) -> str:
    """`fr` when the browser prefers French to English, else `en` (as the API decides)."""
    return language_of(accept_language)


@cache
def translations(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo  # on the first French page only
    from babel.messages.pofile import read_po

    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)
