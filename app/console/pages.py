"""Rendering a console page: the Jinja environment of the browser's language, the page's
Content-Security-Policy (no inline script or style, nothing from another site), and the
language and CSRF token every page's forms need."""

import datetime as dt
from functools import cache
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.console.i18n import console_language, translations
from app.matching.explain import language_name

if TYPE_CHECKING:  # Jinja and Babel are imported by the first page served, not by every worker
    from jinja2 import Environment

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'"
)


@cache
def environment(language: str) -> "Environment":
    from jinja2 import Environment, PackageLoader, select_autoescape  # on the first page

    env = Environment(
        loader=PackageLoader("app.console", "templates"),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["date"] = lambda value: _date(value, language)
    env.filters["datetime"] = lambda value: _datetime(value, language)
    env.filters["number"] = lambda value, digits=1: _number(value, language, digits)
    env.filters["signed"] = lambda value: _signed(value, language)
    env.filters["language_name"] = lambda code: language_name(code, language)
    env.globals["language"] = language
    return env


def _date(value: dt.date | None, language: str) -> str:
    from babel.dates import format_date  # on the first page

    return "" if value is None else format_date(value, "medium", locale=language)


def _datetime(value: dt.datetime | None, language: str) -> str:
    from babel.dates import format_datetime  # on the first page

    if value is None:
        return ""
    return format_datetime(value, "medium", tzinfo=dt.UTC, locale=language) + " UTC"


def _number(value: float | None, language: str, digits: int) -> str:
    from babel.numbers import format_decimal  # on the first page

    if value is None:
        return ""
    return format_decimal(round(value, digits), locale=language)


def _signed(value: float, language: str) -> str:
    shown = _number(value, language, 1)
    return shown if value < 0 else f"+{shown}"


def language_of_request(request: Request) -> str:
    return console_language(request.headers.get("accept-language"))


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    language = language_of_request(request)
    html = environment(language).get_template(template).render(request=request, **context)
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    # Not the API's `no-referrer`: under it a browser posts the page's forms with `Origin: null`,
    # which the CSRF check cannot tell from a form on another site.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response
