"""Deny by default at the console: every route but the sign-in form and the way to it needs a
live session (without one, the browser is sent to sign in), and every route that changes
anything checks its form. This replaces, for the console's cookie-signed pages, the token-based
role matrix of tests/test_route_roles.py."""

import uuid

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.console.sessions import check_sign_in_form, checked_form, current_desk
from app.core.principal import Role
from app.core.settings import Settings
from app.main import create_app
from tests.console.support import (
    CONSOLE,
    SIGN_IN,
    concrete,
    console_routes,
    depends_on,
    is_sign_in_redirect,
    make_person,
    put_session_cookie,
    row_counts,
    sign_in,
)

pytestmark = pytest.mark.usefixtures("quick_hashing")

OPEN_WITHOUT_SESSION = {("GET", CONSOLE), ("GET", SIGN_IN), ("POST", SIGN_IN)}


def _routes() -> list[tuple[str, str]]:
    app = create_app(Settings(_env_file=None, database_url="sqlite://", jwt_secret="x" * 40))
    return console_routes(app)


ROUTES = _routes()
GUARDED = [route for route in ROUTES if route not in OPEN_WITHOUT_SESSION]


def _route(app: FastAPI, method: str, path: str) -> APIRoute:
    (found,) = [
        r for r in app.routes if isinstance(r, APIRoute) and r.path == path and method in r.methods
    ]
    return found


def test_the_walk_finds_the_consoles_routes() -> None:
    assert set(ROUTES) >= OPEN_WITHOUT_SESSION
    assert {
        ("GET", "/console/queue"),
        ("GET", "/console/requests/{request_id}"),
        ("POST", "/console/sign-out"),
        ("POST", "/console/requests/{request_id}/verbs/{verb}"),
        ("POST", "/console/requests/{request_id}/assign"),
        ("POST", "/console/requests/{request_id}/messages"),
    } <= set(GUARDED)


@pytest.mark.parametrize(("method", "path"), GUARDED, ids=[f"{m} {p}" for m, p in GUARDED])
def test_without_a_session_every_guarded_route_sends_the_browser_to_sign_in(
    client: TestClient, db: Session, method: str, path: str
) -> None:
    before = row_counts(db)

    response = client.request(method, concrete(path), follow_redirects=False)

    assert is_sign_in_redirect(response), (response.status_code, response.text[:300])
    assert row_counts(db) == before


@pytest.mark.parametrize(("method", "path"), GUARDED, ids=[f"{m} {p}" for m, p in GUARDED])
def test_a_made_up_session_cookie_is_no_session(client: TestClient, method: str, path: str) -> None:
    put_session_cookie(client, uuid.uuid4().hex)

    response = client.request(method, concrete(path), follow_redirects=False)

    assert is_sign_in_redirect(response), (response.status_code, response.text[:300])


@pytest.mark.parametrize(("method", "path"), GUARDED, ids=[f"{m} {p}" for m, p in GUARDED])
def test_every_guarded_route_asks_for_the_session(app: FastAPI, method: str, path: str) -> None:
    assert depends_on(_route(app, method, path).dependant, current_desk)


POSTS = [route for route in GUARDED if route[0] == "POST"]


@pytest.mark.parametrize(("method", "path"), POSTS, ids=[f"{m} {p}" for m, p in POSTS])
def test_every_route_that_changes_anything_checks_its_form(
    app: FastAPI, method: str, path: str
) -> None:
    assert depends_on(_route(app, method, path).dependant, checked_form)


def test_only_get_and_post_are_routed_at_the_console() -> None:
    assert {method for method, _ in ROUTES} == {"GET", "POST"}


def test_the_sign_in_form_checks_its_own_token(app: FastAPI) -> None:
    assert depends_on(_route(app, "POST", SIGN_IN).dependant, check_sign_in_form)


def test_the_console_home_sends_a_signed_in_officer_to_the_queue(
    client: TestClient, db: Session
) -> None:
    sign_in(client, make_person(db, role=Role.ohchr_officer).email)

    response = client.get(CONSOLE, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/console/queue"


def test_static_files_are_served_without_a_session(client: TestClient) -> None:
    response = client.get("/console/static/console.css")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
