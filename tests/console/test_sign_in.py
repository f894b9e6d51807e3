"""Signing in at the console: the token endpoint's own password check and throttling (failures
in the same `login_failures` table), OHCHR accounts only, and the form's own CSRF token."""

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth.models import LoginFailure
from app.console.models import ConsoleSession
from app.console.sessions import SESSION_COOKIE
from app.core.principal import Role
from tests.conftest import make_settings
from tests.console.support import (
    ORIGIN,
    PASSWORD,
    QUEUE,
    REFUSED_ACCOUNT,
    REFUSED_FORM,
    SIGN_IN,
    form_to,
    make_person,
    post_sign_in,
    session_cookie,
    sessions_of,
    text_of,
)

pytestmark = pytest.mark.usefixtures("quick_hashing")

WRONG = "not the password"
LIMIT = 3
ADDRESS = "testclient"  # where the TestClient's requests come from
BAD_CREDENTIALS = "The email or password is not correct."
THROTTLED = "Too many failed sign-ins. Wait a minute before trying again."


@pytest.fixture
def limited(app: FastAPI, database_url: str) -> Iterator[int]:
    """LOGIN_ATTEMPTS_PER_MINUTE set low, as the app reads it on every request."""
    original = app.state.settings
    app.state.settings = make_settings(database_url, login_attempts_per_minute=LIMIT)
    yield LIMIT
    app.state.settings = original


def failures(db: Session, key: str) -> int:
    db.expire_all()
    return len(db.exec(select(LoginFailure).where(LoginFailure.key == key)).all())


def all_sessions(db: Session) -> list[ConsoleSession]:
    db.expire_all()
    return list(db.exec(select(ConsoleSession)).all())


def sets_session_cookie(response: httpx.Response) -> bool:
    return any(
        h.startswith(f"{SESSION_COOKIE}=") and not h.startswith(f'{SESSION_COOKIE}=""')
        for h in response.headers.get_list("set-cookie")
    )


def test_wrong_password_shows_the_error_on_the_sign_in_page(
    client: TestClient, db: Session
) -> None:
    officer = make_person(db)

    response = post_sign_in(client, officer.email, WRONG)

    assert response.status_code == 303
    assert response.headers["location"] == f"{SIGN_IN}?problem=credentials"
    page = client.get(response.headers["location"])
    assert BAD_CREDENTIALS in text_of(page.text)
    assert session_cookie(client) is None
    assert sessions_of(db, officer) == []


def test_wrong_password_is_counted_in_login_failures(client: TestClient, db: Session) -> None:
    officer = make_person(db)

    post_sign_in(client, officer.email, WRONG)
    post_sign_in(client, officer.email, WRONG)

    account = f"account:{officer.email}"
    assert failures(db, account) == 2
    assert failures(db, f"pair:{ADDRESS}|{account}") == 2
    assert failures(db, f"address:{ADDRESS}") == 2


def test_after_the_limit_of_failures_the_right_password_is_told_to_wait(
    client: TestClient, db: Session, limited: int
) -> None:
    officer = make_person(db)
    for _ in range(limited):
        post_sign_in(client, officer.email, WRONG)

    response = post_sign_in(client, officer.email, PASSWORD)

    assert response.status_code == 303
    assert response.headers["location"] == f"{SIGN_IN}?problem=throttled"
    assert THROTTLED in text_of(client.get(response.headers["location"]).text)
    assert not sets_session_cookie(response)
    assert sessions_of(db, officer) == []


def test_failures_at_the_token_endpoint_and_the_console_count_together(
    client: TestClient, db: Session, limited: int
) -> None:
    officer = make_person(db)
    for _ in range(limited - 1):
        token = client.post(
            "/api/v1/auth/token",
            data={"grant_type": "password", "username": officer.email, "password": WRONG},
        )
        assert token.status_code == 400, token.text
    post_sign_in(client, officer.email, WRONG)

    response = post_sign_in(client, officer.email, PASSWORD)

    assert response.headers["location"] == f"{SIGN_IN}?problem=throttled"
    assert sessions_of(db, officer) == []


def test_unknown_account_gets_the_same_error_and_is_counted(
    client: TestClient, db: Session
) -> None:
    email = "nobody.here@example.org"

    response = post_sign_in(client, email, PASSWORD)

    assert response.headers["location"] == f"{SIGN_IN}?problem=credentials"
    assert BAD_CREDENTIALS in text_of(client.get(response.headers["location"]).text)
    assert failures(db, f"account:{email}") == 1
    assert all_sessions(db) == []


def test_deactivated_officer_cannot_sign_in(client: TestClient, db: Session) -> None:
    officer = make_person(db, active=False)

    response = post_sign_in(client, officer.email, PASSWORD)

    assert response.headers["location"] == f"{SIGN_IN}?problem=credentials"
    assert sessions_of(db, officer) == []


@pytest.mark.parametrize(
    "role", [Role.state_focal_point, Role.state_contributor, Role.provider], ids=str
)
def test_other_roles_with_the_right_password_get_the_refusal_page_and_no_session(
    client: TestClient, db: Session, role: Role
) -> None:
    person = make_person(db, role=role)

    response = post_sign_in(client, person.email, PASSWORD)

    assert response.status_code == 403
    assert REFUSED_ACCOUNT in text_of(response.text)
    assert not sets_session_cookie(response)
    assert session_cookie(client) is None
    assert sessions_of(db, person) == []
    assert client.get(QUEUE, follow_redirects=False).headers["location"] == SIGN_IN


@pytest.mark.parametrize("role", [Role.ohchr_officer, Role.ohchr_admin], ids=str)
def test_officers_and_administrators_land_on_the_queue(
    client: TestClient, db: Session, role: Role
) -> None:
    person = make_person(db, role=role)

    response = post_sign_in(client, person.email, PASSWORD)

    assert response.status_code == 303
    assert response.headers["location"] == QUEUE
    assert sets_session_cookie(response)
    (session,) = sessions_of(db, person)
    assert session.expires_at > session.created_at
    queue = client.get(QUEUE, follow_redirects=False)
    assert queue.status_code == 200
    assert person.name in text_of(queue.text)


def test_email_is_matched_whatever_its_case_and_spaces(client: TestClient, db: Session) -> None:
    officer = make_person(db)

    response = post_sign_in(client, f"  {officer.email.upper()} ", PASSWORD)

    assert response.headers["location"] == QUEUE
    assert len(sessions_of(db, officer)) == 1


def test_sign_in_without_the_csrf_token_is_refused(client: TestClient, db: Session) -> None:
    officer = make_person(db)
    client.get(SIGN_IN)

    response = client.post(
        SIGN_IN, data={"email": officer.email, "password": PASSWORD}, follow_redirects=False
    )

    assert response.status_code == 403
    assert REFUSED_FORM in text_of(response.text)
    assert not sets_session_cookie(response)
    assert sessions_of(db, officer) == []


def test_sign_in_with_a_token_not_its_cookies_is_refused(client: TestClient, db: Session) -> None:
    officer = make_person(db)
    client.get(SIGN_IN)
    with TestClient(client.app) as other:
        foreign = form_to(other.get(SIGN_IN).text, SIGN_IN).fields["csrf_token"]

    response = client.post(
        SIGN_IN,
        data={"csrf_token": foreign, "email": officer.email, "password": PASSWORD},
        follow_redirects=False,
    )

    assert response.status_code == 403
    assert REFUSED_FORM in text_of(response.text)
    assert sessions_of(db, officer) == []


def test_sign_in_without_the_form_cookie_is_refused(client: TestClient, db: Session) -> None:
    officer = make_person(db)
    token = form_to(client.get(SIGN_IN).text, SIGN_IN).fields["csrf_token"]
    client.cookies.clear()

    response = client.post(
        SIGN_IN,
        data={"csrf_token": token, "email": officer.email, "password": PASSWORD},
        follow_redirects=False,
    )

    assert response.status_code == 403
    assert sessions_of(db, officer) == []


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}],
    ids=["foreign-origin", "cross-site-fetch"],
)
def test_sign_in_posted_from_another_site_is_refused(
    client: TestClient, db: Session, headers: dict[str, str]
) -> None:
    officer = make_person(db)

    response = post_sign_in(client, officer.email, PASSWORD, **headers)

    assert response.status_code == 403
    assert REFUSED_FORM in text_of(response.text)
    assert sessions_of(db, officer) == []


def test_sign_in_from_the_consoles_own_origin_works(client: TestClient, db: Session) -> None:
    officer = make_person(db)

    response = post_sign_in(
        client, officer.email, PASSWORD, Origin=ORIGIN, **{"Sec-Fetch-Site": "same-origin"}
    )

    assert response.headers["location"] == QUEUE
    assert len(sessions_of(db, officer)) == 1
