"""`/api/v1/api-clients`: machine clients registered by administrators; the secret shown once."""

import json
import uuid

import pytest
from sqlmodel import select

from app.audit.models import AuditEvent
from app.auth.models import ApiClient
from app.core.idempotency import IdempotencyRecord
from app.core.principal import Role
from tests.core.test_problems import assert_problem
from tests.factories import auth, make_client, make_user

URL = "/api/v1/api-clients"
TOKEN_URL = "/api/v1/auth/token"
NON_ADMIN_ROLES = [role for role in Role if role is not Role.ohchr_admin]
PORTAL = {"name": "Samoa reporting system", "role": "state_focal_point", "state_code": "WSM"}


@pytest.fixture
def admin(db, settings):
    return auth(settings, make_user(db, role=Role.ohchr_admin))


def create(client, admin, body=PORTAL, **headers):
    return client.post(URL, json=body, headers={**admin, **headers})


def stored(db, client_uuid):
    return db.exec(select(ApiClient).where(ApiClient.id == uuid.UUID(client_uuid))).one()


def revoke_events(db, client_uuid):
    return db.exec(
        select(AuditEvent).where(
            AuditEvent.action == "api_client.revoke", AuditEvent.resource_id == client_uuid
        )
    ).all()


def test_create_answers_201_with_the_secret_and_location(client, admin):
    response = create(client, admin)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["client_secret"]
    assert body["client_id"].startswith("cli_")
    assert (body["name"], body["role"], body["state_code"]) == tuple(PORTAL.values())
    assert body["is_active"] is True
    assert response.headers["location"] == f"{URL}/{body['id']}"
    assert "no-store" in response.headers["cache-control"]


def test_secret_is_not_shown_by_get_or_list(client, admin):
    created = create(client, admin).json()
    one = client.get(f"{URL}/{created['id']}", headers=admin)
    listed = client.get(URL, headers=admin)
    assert one.status_code == 200, one.text
    assert listed.status_code == 200, listed.text
    assert "client_secret" not in one.json()
    assert [item["id"] for item in listed.json()["items"]] == [created["id"]]
    assert "client_secret" not in listed.json()["items"][0]
    assert created["client_secret"] not in one.text + listed.text


def test_database_keeps_only_a_hash_of_the_secret(client, db, admin):
    created = create(client, admin).json()
    row = stored(db, created["id"])
    assert row.secret_hash
    assert created["client_secret"] not in row.secret_hash


def test_created_client_gets_a_token_carrying_its_role_and_state(client, admin):
    created = create(client, admin).json()
    form = {
        "grant_type": "client_credentials",
        "client_id": created["client_id"],
        "client_secret": created["client_secret"],
    }
    token = client.post(TOKEN_URL, data=form)
    assert token.status_code == 200, token.text
    me = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )
    assert me.status_code == 200, me.text
    assert me.json() == {
        "id": created["id"],
        "email": None,
        "name": PORTAL["name"],
        "role": "state_focal_point",
        "state_code": "WSM",
    }


@pytest.mark.parametrize("role", ["state_contributor", "state_focal_point"])
def test_state_role_without_state_code_is_422(client, db, admin, role):
    response = create(client, admin, {"name": "No State", "role": role})
    assert_problem(response, 422, "validation-error")
    assert db.exec(select(ApiClient)).all() == []


@pytest.mark.parametrize("role", ["ohchr_officer", "ohchr_admin", "provider"])
def test_non_state_role_with_state_code_is_422(client, db, admin, role):
    response = create(client, admin, {"name": "Tied", "role": role, "state_code": "WSM"})
    assert_problem(response, 422, "validation-error")
    assert db.exec(select(ApiClient)).all() == []


def test_unknown_state_is_422(client, db, admin):
    response = create(client, admin, {**PORTAL, "state_code": "ZZZ"})
    assert_problem(response, 422, "validation-error")
    assert db.exec(select(ApiClient)).all() == []


def test_unknown_fields_are_422(client, db, admin):
    response = create(client, admin, {**PORTAL, "client_secret": "mine", "is_active": False})
    body = assert_problem(response, 422, "validation-error")
    locations = {tuple(error["loc"]) for error in body["errors"]}
    assert locations == {("body", "client_secret"), ("body", "is_active")}
    assert db.exec(select(ApiClient)).all() == []


def test_revoke_answers_200_inactive_with_revoked_at(client, db, admin):
    created = create(client, admin).json()
    response = client.post(f"{URL}/{created['id']}/revoke", headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["is_active"] is False
    assert body["revoked_at"] is not None
    assert stored(db, created["id"]).is_active is False


def test_revoke_again_is_idempotent(client, db, admin):
    created = create(client, admin).json()
    first = client.post(f"{URL}/{created['id']}/revoke", headers=admin).json()
    again = client.post(f"{URL}/{created['id']}/revoke", headers=admin)
    assert again.status_code == 200, again.text
    assert again.json() == first
    assert len(revoke_events(db, created["id"])) == 1


def test_revoke_is_audited_without_secret_or_hash(client, db, admin):
    created = create(client, admin).json()
    client.post(f"{URL}/{created['id']}/revoke", headers=admin)
    [event] = revoke_events(db, created["id"])
    assert event.before["is_active"] is True
    assert event.after["is_active"] is False
    snapshots = json.dumps([event.before, event.after])
    assert created["client_secret"] not in snapshots
    assert stored(db, created["id"]).secret_hash not in snapshots
    assert "secret" not in snapshots


def test_revoked_clients_token_stops_working(client, db, settings, admin):
    api_client = make_client(db)
    token = auth(settings, api_client)
    assert client.get("/api/v1/auth/me", headers=token).status_code == 200
    client.post(f"{URL}/{api_client.id}/revoke", headers=admin)
    assert_problem(client.get("/api/v1/auth/me", headers=token), 401, "unauthorized")


def test_revoking_an_unknown_client_is_404(client, admin):
    response = client.post(f"{URL}/00000000-0000-4000-8000-000000000000/revoke", headers=admin)
    assert_problem(response, 404, "not-found")


def test_same_idempotency_key_and_body_replays_the_first_answer(client, db, admin):
    first = create(client, admin, **{"Idempotency-Key": "portal-1"})
    again = create(client, admin, **{"Idempotency-Key": "portal-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert len(db.exec(select(ApiClient)).all()) == 1


def test_same_idempotency_key_with_another_body_is_422(client, db, admin):
    create(client, admin, **{"Idempotency-Key": "portal-2"})
    response = create(client, admin, {**PORTAL, "name": "Other"}, **{"Idempotency-Key": "portal-2"})
    assert_problem(response, 422, "idempotency-key-reused")
    assert len(db.exec(select(ApiClient)).all()) == 1


def test_idempotency_record_does_not_keep_the_secret(client, db, admin):
    created = create(client, admin, **{"Idempotency-Key": "portal-3"}).json()
    [record] = db.exec(select(IdempotencyRecord)).all()
    assert created["client_secret"] not in json.dumps(record.body)


def test_replayed_create_does_not_show_the_secret_again(client, admin):
    first = create(client, admin, **{"Idempotency-Key": "portal-4"})
    again = create(client, admin, **{"Idempotency-Key": "portal-4"})
    assert again.status_code == 201, again.text
    assert first.json()["client_secret"] not in again.text


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_non_admin_cannot_list_clients(client, db, settings, role):
    caller = auth(settings, make_user(db, role=role))
    assert_problem(client.get(URL, headers=caller), 403, "forbidden")


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_non_admin_cannot_create_clients(client, db, settings, role):
    caller = auth(settings, make_user(db, role=role))
    assert_problem(create(client, caller), 403, "forbidden")
    assert db.exec(select(ApiClient)).all() == []


def test_anonymous_caller_gets_401(client):
    assert_problem(client.get(URL), 401, "unauthorized")
    assert_problem(client.post(URL, json=PORTAL), 401, "unauthorized")
