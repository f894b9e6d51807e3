"""A session lives on the server: the account behind it is read on every request, so that a
deactivation or a change of role takes effect at once, and signing out deletes it, so that the
old cookie, replayed, signs nobody in."""

from collections.abc import Mapping

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import User
from app.core.principal import Role
from app.core.settings import Settings
from tests.console.support import (
    ORIGIN,
    QUEUE,
    REFUSED_ACCOUNT,
    SIGN_IN,
    is_sign_in_redirect,
    make_person,
    put_session_cookie,
    session_cookie,
    sessions_of,
    sign_in,
    text_of,
)
from tests.factories import auth

pytestmark = pytest.mark.usefixtures("quick_hashing")


def _changed_by_an_admin(
    client: TestClient, db: Session, settings: Settings, user: User, change: Mapping[str, object]
) -> None:
    headers = auth(settings, make_person(db, role=Role.ohchr_admin))
    url = f"/api/v1/users/{user.id}"
    etag = client.get(url, headers=headers).headers["etag"]
    response = client.patch(url, json=change, headers={**headers, "If-Match": etag})
    assert response.status_code == 200, response.text


def test_deactivated_officer_is_sent_to_sign_in_on_the_next_request(
    client: TestClient, db: Session, settings: Settings
) -> None:
    officer = make_person(db)
    sign_in(client, officer.email)

    _changed_by_an_admin(client, db, settings, officer, {"is_active": False})
    response = client.get(QUEUE, follow_redirects=False)

    assert is_sign_in_redirect(response)


def test_deactivating_an_officer_ends_the_session_for_good(
    client: TestClient, db: Session, settings: Settings
) -> None:
    """Reactivated later, the account must sign in again: the old cookie is dead."""
    officer = make_person(db)
    sign_in(client, officer.email)
    _changed_by_an_admin(client, db, settings, officer, {"is_active": False})
    assert is_sign_in_redirect(client.get(QUEUE, follow_redirects=False))

    _changed_by_an_admin(client, db, settings, officer, {"is_active": True})

    assert sessions_of(db, officer) == []
    assert is_sign_in_redirect(client.get(QUEUE, follow_redirects=False))


def test_officer_made_a_state_focal_point_is_refused_on_the_next_request(
    client: TestClient, db: Session, settings: Settings
) -> None:
    officer = make_person(db)
    sign_in(client, officer.email)

    change = {"role": Role.state_focal_point.value, "state_code": "WSM"}
    _changed_by_an_admin(client, db, settings, officer, change)
    response = client.get(QUEUE, follow_redirects=False)

    assert response.status_code == 403
    assert REFUSED_ACCOUNT in text_of(response.text)


def test_an_officer_given_the_role_back_must_sign_in_again(
    client: TestClient, db: Session, settings: Settings
) -> None:
    officer = make_person(db)
    sign_in(client, officer.email)
    demoted = {"role": Role.state_focal_point.value, "state_code": "WSM"}
    _changed_by_an_admin(client, db, settings, officer, demoted)
    assert client.get(QUEUE, follow_redirects=False).status_code == 403

    _changed_by_an_admin(client, db, settings, officer, {"role": Role.ohchr_officer.value})

    assert sessions_of(db, officer) == []
    assert is_sign_in_redirect(client.get(QUEUE, follow_redirects=False))


def test_sign_out_deletes_the_session_on_the_server(client: TestClient, db: Session) -> None:
    officer = make_person(db)
    token = sign_in(client, officer.email)
    assert len(sessions_of(db, officer)) == 1

    response = client.post(
        "/console/sign-out",
        data={"csrf_token": token},
        headers={"Origin": ORIGIN},
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"{SIGN_IN}?problem=signed_out"
    assert sessions_of(db, officer) == []
    assert session_cookie(client) is None


def test_the_old_cookie_replayed_after_sign_out_no_longer_works(
    client: TestClient, db: Session
) -> None:
    officer = make_person(db)
    token = sign_in(client, officer.email)
    old = session_cookie(client)
    assert old
    client.post("/console/sign-out", data={"csrf_token": token}, follow_redirects=False)

    put_session_cookie(client, old)
    response = client.get(QUEUE, follow_redirects=False)

    assert session_cookie(client) == old
    assert is_sign_in_redirect(response)


def test_signing_out_ends_only_that_session(client: TestClient, db: Session) -> None:
    officer = make_person(db)
    with TestClient(client.app) as elsewhere:
        sign_in(elsewhere, officer.email)
        token = sign_in(client, officer.email)
        assert len(sessions_of(db, officer)) == 2

        client.post("/console/sign-out", data={"csrf_token": token}, follow_redirects=False)

        assert len(sessions_of(db, officer)) == 1
        assert elsewhere.get(QUEUE, follow_redirects=False).status_code == 200
