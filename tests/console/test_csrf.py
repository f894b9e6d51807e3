"""Every form that changes anything at the console carries the session's CSRF token and comes
from the console's own site; otherwise it is refused (403, a page saying so) and nothing is
changed. The routes are read from the app, so a form added later is held to the same rule."""

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.assistance.models import RequestStage
from app.core.principal import Role
from app.core.settings import Settings
from app.main import create_app
from tests.assistance.helpers import make_request, stored
from tests.console.support import (
    ORIGIN,
    REFUSED_FORM,
    SIGN_IN,
    concrete,
    console_routes,
    row_counts,
    sessions_of,
    signed_in,
    text_of,
)

pytestmark = pytest.mark.usefixtures("quick_hashing")

# Enough for any of the console's forms to do something if it were let through.
FORM = {"version": "1", "message": "Please send the budget.", "reason": "Out of scope."}
FORM |= {"body": "A note on the request.", "internal": "1"}


def _posts() -> list[str]:
    app = create_app(Settings(_env_file=None, database_url="sqlite://", jwt_secret="x" * 40))
    return [path for method, path in console_routes(app) if method == "POST" and path != SIGN_IN]


POSTS = _posts()


@pytest.fixture
def scene(client: TestClient, db: Session) -> tuple[str, str]:
    """A signed-in administrator's CSRF token (every console form is open to one) and a
    submitted request the forms could act on."""
    _, token = signed_in(client, db, role=Role.ohchr_admin)
    request = make_request(db, stage=RequestStage.submitted)
    return token, str(request.id)


def _url(path: str, request_id: str) -> str:
    return concrete(path, request_id=request_id, verb="start-triage")


def _post(client: TestClient, url: str, data: dict[str, str], **headers: str) -> httpx.Response:
    response: httpx.Response = client.post(url, data=data, headers=headers, follow_redirects=False)
    return response


def _assert_refused_and_untouched(
    response: httpx.Response, db: Session, before: dict[str, int], request_id: str
) -> None:
    assert response.status_code == 403, response.text[:300]
    assert REFUSED_FORM in text_of(response.text)
    assert row_counts(db) == before
    request = stored(db, request_id)
    assert (request.stage, request.version, request.assigned_officer_id) == (
        RequestStage.submitted,
        1,
        None,
    )


def test_the_walk_covers_the_forms_of_the_console() -> None:
    assert {
        "/console/sign-out",
        "/console/requests/{request_id}/verbs/{verb}",
        "/console/requests/{request_id}/assign",
        "/console/requests/{request_id}/messages",
    } <= set(POSTS)


@pytest.mark.parametrize("path", POSTS)
def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, db: Session, scene: tuple[str, str], path: str
) -> None:
    _, request_id = scene
    before = row_counts(db)

    response = _post(client, _url(path, request_id), FORM)

    _assert_refused_and_untouched(response, db, before, request_id)


@pytest.mark.parametrize("path", POSTS)
def test_a_form_with_another_sessions_token_is_refused(
    client: TestClient, db: Session, scene: tuple[str, str], path: str
) -> None:
    _, request_id = scene
    with TestClient(client.app) as other:
        _, foreign = signed_in(other, db)
    before = row_counts(db)

    response = _post(client, _url(path, request_id), {**FORM, "csrf_token": foreign})

    _assert_refused_and_untouched(response, db, before, request_id)


@pytest.mark.parametrize("path", POSTS)
def test_a_form_with_the_right_token_from_another_origin_is_refused(
    client: TestClient, db: Session, scene: tuple[str, str], path: str
) -> None:
    token, request_id = scene
    before = row_counts(db)

    response = _post(
        client,
        _url(path, request_id),
        {**FORM, "csrf_token": token},
        Origin="https://evil.example",
    )

    _assert_refused_and_untouched(response, db, before, request_id)


@pytest.mark.parametrize("path", POSTS)
def test_a_form_the_browser_marks_cross_site_is_refused(
    client: TestClient, db: Session, scene: tuple[str, str], path: str
) -> None:
    token, request_id = scene
    before = row_counts(db)

    response = _post(
        client,
        _url(path, request_id),
        {**FORM, "csrf_token": token},
        **{"Sec-Fetch-Site": "cross-site"},
    )

    _assert_refused_and_untouched(response, db, before, request_id)


@pytest.mark.parametrize("path", POSTS)
def test_a_form_with_the_right_token_from_the_same_origin_is_let_through(
    client: TestClient, db: Session, scene: tuple[str, str], path: str
) -> None:
    token, request_id = scene

    response = _post(
        client,
        _url(path, request_id),
        {**FORM, "csrf_token": token},
        Origin=ORIGIN,
        **{"Sec-Fetch-Site": "same-origin"},
    )

    assert REFUSED_FORM not in text_of(response.text)
    assert response.status_code != 403, response.text[:300]


def test_start_triage_with_the_right_token_from_the_same_origin_moves_the_request(
    client: TestClient, db: Session, scene: tuple[str, str]
) -> None:
    token, request_id = scene

    response = _post(
        client,
        f"/console/requests/{request_id}/verbs/start-triage",
        {"csrf_token": token, "version": "1"},
        Origin=ORIGIN,
    )

    assert response.status_code == 303
    assert response.headers["location"].endswith("?notice=done-start-triage")
    assert stored(db, request_id).stage is RequestStage.in_triage


def test_sign_out_without_the_csrf_token_keeps_the_session(client: TestClient, db: Session) -> None:
    officer, _ = signed_in(client, db)

    response = _post(client, "/console/sign-out", {})

    assert response.status_code == 403
    assert len(sessions_of(db, officer)) == 1
    assert client.get("/console/queue", follow_redirects=False).status_code == 200
