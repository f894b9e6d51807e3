"""Accounts: administrators manage everyone; a focal point only its own State's contributors."""

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.core.principal import Role
from app.core.settings import Settings
from tests.core.test_problems import assert_problem
from tests.factories import auth, make_user

NEW_PASSWORD = "a sufficiently long password"


def _new_user_body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "email": f"new.{uuid.uuid4().hex[:6]}@example.org",
        "name": "New Person",
        "password": NEW_PASSWORD,
    }
    body.update(overrides)
    return body


def test_admin_creates_a_focal_point(client: TestClient, db: Session, settings: Settings) -> None:
    admin = make_user(db, role=Role.ohchr_admin)
    body = _new_user_body(role="state_focal_point", state_code="npl")
    response = client.post("/api/v1/users", json=body, headers=auth(settings, admin))
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["state_code"] == "NPL"
    assert created["role"] == "state_focal_point"
    assert "password" not in created and "password_hash" not in created
    assert response.headers["location"] == f"/api/v1/users/{created['id']}"
    assert db.exec(select(User).where(User.email == body["email"])).one().state_code == "NPL"


def test_focal_point_creates_a_contributor_of_its_own_state(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = make_user(db, role=Role.state_focal_point, state="WSM")
    response = client.post("/api/v1/users", json=_new_user_body(), headers=auth(settings, focal))
    assert response.status_code == 201, response.text
    assert response.json()["state_code"] == "WSM"
    assert response.json()["role"] == "state_contributor"


@pytest.mark.parametrize(
    "overrides",
    [{"role": "state_focal_point"}, {"role": "ohchr_admin"}, {"state_code": "NPL"}],
    ids=["focal-point", "admin", "other-state"],
)
def test_focal_point_cannot_create_other_accounts(
    client: TestClient, db: Session, settings: Settings, overrides: dict[str, str]
) -> None:
    focal = make_user(db, role=Role.state_focal_point, state="WSM")
    body = _new_user_body(**overrides)
    response = client.post("/api/v1/users", json=body, headers=auth(settings, focal))
    assert_problem(response, 403, "forbidden")
    assert db.exec(select(User).where(User.email == body["email"])).first() is None


def test_focal_point_sees_only_its_own_states_contributors(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = make_user(db, role=Role.state_focal_point, state="WSM")
    own = make_user(db, role=Role.state_contributor, state="WSM")
    make_user(db, role=Role.state_contributor, state="NPL")
    make_user(db, role=Role.state_focal_point, state="WSM")
    make_user(db, role=Role.ohchr_officer)
    response = client.get("/api/v1/users", headers=auth(settings, focal))
    assert response.status_code == 200
    assert [u["id"] for u in response.json()["items"]] == [str(own.id)]


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_another_states_user_is_404_for_a_focal_point(
    client: TestClient, db: Session, settings: Settings, method: str
) -> None:
    focal = make_user(db, role=Role.state_focal_point, state="WSM")
    foreign = make_user(db, role=Role.state_contributor, state="NPL")
    headers = {**auth(settings, focal), "If-Match": '"1"'}
    response = client.request(
        method, f"/api/v1/users/{foreign.id}", json={"name": "Hijacked"}, headers=headers
    )
    assert_problem(response, 404, "not-found")
    db.refresh(foreign)
    assert foreign.name != "Hijacked"


def test_foreign_and_missing_users_answer_identically(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = make_user(db, role=Role.state_focal_point, state="WSM")
    foreign = make_user(db, role=Role.state_contributor, state="NPL")
    headers = auth(settings, focal)
    foreign_answer = client.get(f"/api/v1/users/{foreign.id}", headers=headers).json()
    missing_answer = client.get(f"/api/v1/users/{uuid.uuid4()}", headers=headers).json()
    assert foreign_answer.keys() == missing_answer.keys()
    assert foreign_answer["title"] == missing_answer["title"]


def test_focal_point_deactivates_a_contributor_whose_token_then_fails(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = make_user(db, role=Role.state_focal_point, state="WSM")
    contributor = make_user(db, role=Role.state_contributor, state="WSM")
    contributor_headers = auth(settings, contributor)
    assert client.get("/api/v1/auth/me", headers=contributor_headers).status_code == 200
    response = client.patch(
        f"/api/v1/users/{contributor.id}",
        json={"is_active": False},
        headers={**auth(settings, focal), "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"'
    assert_problem(client.get("/api/v1/auth/me", headers=contributor_headers), 401, "unauthorized")


def test_focal_point_cannot_change_role_or_state(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = make_user(db, role=Role.state_focal_point, state="WSM")
    contributor = make_user(db, role=Role.state_contributor, state="WSM")
    response = client.patch(
        f"/api/v1/users/{contributor.id}",
        json={"role": "state_focal_point"},
        headers={**auth(settings, focal), "If-Match": '"1"'},
    )
    assert_problem(response, 403, "forbidden")
    db.refresh(contributor)
    assert contributor.role is Role.state_contributor


@pytest.mark.parametrize(
    ("if_match", "status", "slug"),
    [(None, 428, "precondition-required"), ('"7"', 412, "precondition-failed")],
)
def test_patch_requires_the_current_etag(
    client: TestClient,
    db: Session,
    settings: Settings,
    if_match: str | None,
    status: int,
    slug: str,
) -> None:
    admin = make_user(db, role=Role.ohchr_admin)
    target = make_user(db, role=Role.ohchr_officer, name="Before")
    headers = auth(settings, admin) | ({"If-Match": if_match} if if_match else {})
    response = client.patch(f"/api/v1/users/{target.id}", json={"name": "After"}, headers=headers)
    assert_problem(response, status, slug)
    db.refresh(target)
    assert target.name == "Before"


def test_fields_a_caller_may_not_set_are_refused_not_applied(
    client: TestClient, db: Session, settings: Settings
) -> None:
    admin = make_user(db, role=Role.ohchr_admin)
    target = make_user(db, role=Role.ohchr_officer)
    response = client.patch(
        f"/api/v1/users/{target.id}",
        json={"version": 99, "password_hash": "x", "created_at": "2000-01-01T00:00:00Z"},
        headers={**auth(settings, admin), "If-Match": '"1"'},
    )
    body = assert_problem(response, 422, "validation-error")
    assert {e["loc"][-1] for e in body["errors"]} == {"version", "password_hash", "created_at"}
    db.refresh(target)
    assert target.version == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"role": "state_focal_point"},
        {"role": "ohchr_officer", "state_code": "WSM"},
        {"role": "state_contributor", "state_code": "XXX"},
        {"role": "superuser"},
        {"password": "short"},
        {"email": "not-an-email"},
        {"name": ""},
        {"name": "x" * 201},
    ],
    ids=[
        "state-role-without-state",
        "ohchr-role-with-state",
        "unknown-state",
        "unknown-role",
        "short-password",
        "bad-email",
        "empty-name",
        "long-name",
    ],
)
def test_invalid_accounts_are_422_and_nothing_is_written(
    client: TestClient, db: Session, settings: Settings, overrides: dict[str, str]
) -> None:
    admin = make_user(db, role=Role.ohchr_admin)
    body = _new_user_body(**overrides)
    response = client.post("/api/v1/users", json=body, headers=auth(settings, admin))
    assert_problem(response, 422, "validation-error")
    assert db.exec(select(User).where(User.email == body["email"])).first() is None


def test_duplicate_email_is_409(client: TestClient, db: Session, settings: Settings) -> None:
    admin = make_user(db, role=Role.ohchr_admin)
    existing = make_user(db, role=Role.ohchr_officer)
    body = _new_user_body(email=existing.email.upper(), role="ohchr_officer")
    response = client.post("/api/v1/users", json=body, headers=auth(settings, admin))
    assert_problem(response, 409, "conflict")


def test_admin_cannot_deactivate_itself(
    client: TestClient, db: Session, settings: Settings
) -> None:
    admin = make_user(db, role=Role.ohchr_admin)
    response = client.patch(
        f"/api/v1/users/{admin.id}",
        json={"is_active": False},
        headers={**auth(settings, admin), "If-Match": '"1"'},
    )
    assert_problem(response, 409, "conflict")


def test_admin_moves_an_officer_to_a_state_role(
    client: TestClient, db: Session, settings: Settings
) -> None:
    admin = make_user(db, role=Role.ohchr_admin)
    target = make_user(db, role=Role.ohchr_officer)
    response = client.patch(
        f"/api/v1/users/{target.id}",
        json={"role": "state_focal_point", "state_code": "wsm"},
        headers={**auth(settings, admin), "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    assert (response.json()["role"], response.json()["state_code"]) == ("state_focal_point", "WSM")


def test_account_changes_are_audited_without_secrets(
    client: TestClient, db: Session, settings: Settings
) -> None:
    admin = make_user(db, role=Role.ohchr_admin)
    created = client.post(
        "/api/v1/users",
        json=_new_user_body(role="state_contributor", state_code="WSM"),
        headers={**auth(settings, admin), "X-Request-ID": "req-create-1"},
    ).json()
    client.patch(
        f"/api/v1/users/{created['id']}",
        json={"name": "Renamed", "password": NEW_PASSWORD + "!"},
        headers={**auth(settings, admin), "If-Match": '"1"'},
    )
    events = db.exec(
        select(AuditEvent).where(AuditEvent.resource_id == created["id"]).order_by(AuditEvent.seq)  # type: ignore[arg-type]
    ).all()
    assert [e.action for e in events] == ["user.create", "user.update"]
    assert events[0].actor_id == admin.id
    assert events[0].request_id == "req-create-1"
    assert events[0].state_code == "WSM"
    assert events[1].before is not None and events[1].before["name"] == "New Person"
    assert events[1].after is not None and events[1].after["name"] == "Renamed"
    for event in events:
        assert "password" not in str(event.after) and "hash" not in str(event.after)
