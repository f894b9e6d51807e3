"""The session cookie: HttpOnly, SameSite=Strict, scoped to /console, Secure in production; and
no token of any kind handed to the page's scripts."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlmodel import Session

from app.assistance.models import RequestStage
from app.console.sessions import SESSION_COOKIE, SIGN_IN_COOKIE
from app.main import create_app
from tests.assistance.helpers import make_request
from tests.conftest import ConnectionDatabase, make_settings
from tests.console.support import (
    QUEUE,
    SIGN_IN,
    make_person,
    post_sign_in,
    session_cookie,
    signed_in,
)

pytestmark = pytest.mark.usefixtures("quick_hashing")

STATIC = Path(__file__).parents[2] / "app" / "console" / "static"
PRODUCTION_SECRET = "a-production-signing-secret-" + "z" * 40


def cookie_attributes(response: httpx.Response, name: str) -> dict[str, str]:
    """The attributes of the `Set-Cookie` header naming `name`, keys lower-cased."""
    (header,) = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    attributes: dict[str, str] = {}
    for part in header.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        attributes[key.lower()] = value
    return attributes


@pytest.fixture
def production(database_url: str, engine: Engine, connection: Connection) -> Iterator[TestClient]:
    """The app as deployed (ENVIRONMENT=production), on the test's transaction, over HTTPS."""
    settings = make_settings(database_url, environment="production", jwt_secret=PRODUCTION_SECRET)
    app = create_app(settings, ConnectionDatabase(engine, connection))
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as client:
        yield client


def test_session_cookie_is_http_only_same_site_strict_and_scoped_to_the_console(
    client: TestClient, db: Session
) -> None:
    officer = make_person(db)

    response = post_sign_in(client, officer.email, "a console password for tests")

    assert response.status_code == 303
    attributes = cookie_attributes(response, SESSION_COOKIE)
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "strict"
    assert attributes["path"] == "/console"


def test_session_cookie_is_not_secure_in_development(client: TestClient, db: Session) -> None:
    officer = make_person(db)

    response = post_sign_in(client, officer.email, "a console password for tests")

    assert response.status_code == 303
    assert "secure" not in cookie_attributes(response, SESSION_COOKIE)


def test_session_cookie_is_secure_in_production(production: TestClient, db: Session) -> None:
    officer = make_person(db)

    response = post_sign_in(production, officer.email, "a console password for tests")

    assert response.status_code == 303, response.text
    attributes = cookie_attributes(response, SESSION_COOKIE)
    assert "secure" in attributes
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "strict"


def test_sign_in_form_cookie_is_secure_http_only_and_strict_in_production(
    production: TestClient,
) -> None:
    response = production.get(SIGN_IN)

    assert response.status_code == 200
    attributes = cookie_attributes(response, SIGN_IN_COOKIE)
    assert {"secure", "httponly"} <= set(attributes)
    assert attributes["samesite"].lower() == "strict"
    assert attributes["path"] == "/console"


def test_signed_in_pages_hold_no_token_for_scripts(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    cookie = session_cookie(client)
    assert cookie
    request = make_request(db, stage=RequestStage.submitted)

    for url in (QUEUE, f"/console/requests/{request.id}", SIGN_IN):
        html = client.get(url).text
        for word in ("access_token", "localStorage", "sessionStorage", "Bearer", cookie):
            assert word not in html, (url, word)


def test_console_static_files_keep_no_token_in_browser_storage() -> None:
    files = [path for path in STATIC.rglob("*") if path.is_file()]
    assert files
    for path in files:
        content = path.read_text(errors="replace")
        for word in ("access_token", "localStorage", "sessionStorage", "document.cookie"):
            assert word not in content, (path.name, word)
