"""Every console page: in the browser's language (English or French), with a
Content-Security-Policy that allows no inline code and nothing from another site, and never
framed."""

import re

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.assistance.models import RequestStage
from app.core.principal import Role
from tests.assistance.helpers import make_request
from tests.console.support import (
    QUEUE,
    SIGN_IN,
    form_to,
    make_person,
    post_sign_in,
    read,
    signed_in,
)

pytestmark = pytest.mark.usefixtures("quick_hashing")

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}


def pages(client: TestClient, db: Session, **headers: str) -> dict[str, httpx.Response]:
    """One of each kind of console page: sign-in, queue, request, refusal, problem, not found."""
    shown = {"sign-in": client.get(SIGN_IN, headers=headers)}
    refused = make_person(db, role=Role.state_focal_point)
    shown["refused"] = post_sign_in(
        client, refused.email, "a console password for tests", **headers
    )
    signed_in(client, db)
    request = make_request(db, stage=RequestStage.submitted)
    shown["queue"] = client.get(QUEUE, headers=headers)
    shown["request"] = client.get(f"/console/requests/{request.id}", headers=headers)
    shown["cross-site form"] = client.post(
        "/console/sign-out", data={}, headers=headers, follow_redirects=False
    )
    shown["not found"] = client.get(f"/console/requests/{'0' * 32}", headers=headers)
    assert [r.status_code for r in shown.values()] == [200, 403, 200, 200, 403, 404]
    return shown


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


def test_every_page_is_english_by_default(client: TestClient, db: Session) -> None:
    for name, response in pages(client, db).items():
        assert read(response.text).html_lang == "en", name
        assert response.headers["content-language"] == "en", name


def test_french_browsers_get_french_pages(client: TestClient, db: Session) -> None:
    for name, response in pages(client, db, **FRENCH).items():
        assert read(response.text).html_lang == "fr", name
        assert response.headers["content-language"] == "fr", name
        assert "Accept-Language" in response.headers["vary"], name


def test_a_french_browser_reads_the_sign_in_form_in_french(client: TestClient) -> None:
    response = client.get(SIGN_IN, headers=FRENCH)

    assert form_to(response.text, SIGN_IN).buttons == ["Se connecter"]


def test_a_browser_preferring_english_to_french_gets_english(
    client: TestClient, db: Session
) -> None:
    response = client.get(SIGN_IN, headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.8"})

    assert read(response.text).html_lang == "en"
    assert response.headers["content-language"] == "en"


def test_csp_allows_no_inline_code_and_no_other_site(client: TestClient, db: Session) -> None:
    for name, response in pages(client, db).items():
        policy = response.headers["content-security-policy"]
        assert "'unsafe-inline'" not in policy, name
        assert "'unsafe-eval'" not in policy, name
        assert not re.search(r"https?:|\*|//|data:", policy), (name, policy)
        parsed = directives(policy)
        assert parsed["default-src"] == ["'none'"], name
        assert parsed["frame-ancestors"] == ["'none'"], name
        assert parsed["form-action"] == ["'self'"], name


def test_no_page_may_be_framed(client: TestClient, db: Session) -> None:
    for name, response in pages(client, db).items():
        assert response.headers["x-frame-options"] == "DENY", name


def test_pages_carry_no_inline_script_or_style(client: TestClient, db: Session) -> None:
    """The CSP would block them: a page that relied on one would break in the browser."""
    for name, response in pages(client, db).items():
        html = response.text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), name
        assert "<style" not in html, name
        assert not re.search(r"\sstyle=", html), name
        assert not re.search(r"\son[a-z]+=", html), name


@pytest.mark.parametrize("path", [QUEUE, SIGN_IN])
def test_console_pages_are_not_cached(client: TestClient, db: Session, path: str) -> None:
    signed_in(client, db)

    response = client.get(path)

    assert response.headers["cache-control"] == "private, no-store"
