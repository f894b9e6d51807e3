"""The expertise roster over HTTP: OHCHR keeps it; nobody else reads or writes it."""

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.core.principal import Role
from app.core.settings import Settings
from app.expertise.models import Provider
from app.taxonomies.models import Theme, term_key
from tests.core.test_problems import assert_problem
from tests.factories import make_user
from tests.matching.support import (
    PROVIDERS,
    create_provider,
    headers_for,
    officer,
    provider_account,
    provider_body,
)


def stored_names(db: Session) -> set[str]:
    db.expire_all()
    return set(db.exec(select(Provider.name)).all())


@pytest.mark.parametrize("role", [Role.ohchr_officer, Role.ohchr_admin])
def test_officers_and_admins_add_providers(
    client: TestClient, db: Session, settings: Settings, role: Role
) -> None:
    db.add(Theme(code=None, name="Women's rights", key=term_key("Women's rights")))
    db.flush()
    body = provider_body(
        kind="peer_state",
        home_state_code="nzl",
        states_covered=["wsm", "TON"],
        regions_covered=["Polynesia", "Oceania"],
        themes=["Women's rights"],
    )
    response = client.post(PROVIDERS, json=body, headers=headers_for(db, settings, role))
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"].endswith(f"{PROVIDERS}/{created['id']}")
    assert created["home_state_code"] == "NZL"
    assert created["states_covered"] == ["WSM", "TON"]
    assert created["availability"] == body["availability"]
    assert (created["active_assignments"], created["version"]) == (0, 1)
    stored = db.get(Provider, uuid.UUID(created["id"]))
    assert stored is not None
    assert (stored.name, stored.capacity, stored.home_state_code) == (body["name"], 2, "NZL")


def test_states_and_providers_are_refused_the_roster(
    client: TestClient, db: Session, settings: Settings
) -> None:
    existing = create_provider(client, officer(db, settings))
    url = f"{PROVIDERS}/{existing['id']}"
    body = provider_body()
    for role in (Role.state_contributor, Role.state_focal_point, Role.provider):
        caller = headers_for(db, settings, role, "WSM")
        assert_problem(client.post(PROVIDERS, json=body, headers=caller), 403, "forbidden")
        assert_problem(client.get(PROVIDERS, headers=caller), 403, "forbidden")
        assert_problem(client.get(url, headers=caller), 403, "forbidden")
        patched = client.patch(url, json={"capacity": 9}, headers={**caller, "If-Match": '"1"'})
        assert_problem(patched, 403, "forbidden")
    assert body["name"] not in stored_names(db)
    stored = db.get(Provider, uuid.UUID(existing["id"]))
    assert stored is not None and (stored.capacity, stored.version) == (2, 1)


def test_anonymous_callers_are_asked_to_authenticate(client: TestClient) -> None:
    assert_problem(client.get(PROVIDERS), 401, "unauthorized")
    assert_problem(client.post(PROVIDERS, json=provider_body()), 401, "unauthorized")


def test_officers_list_and_read_the_roster(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    peer = create_provider(client, caller, kind="peer_state", home_state_code="NZL")
    adviser = create_provider(client, caller)
    listed = client.get(PROVIDERS, params={"kind": "peer_state", "limit": 200}, headers=caller)
    assert listed.status_code == 200
    ids = {p["id"] for p in listed.json()["items"]}
    assert peer["id"] in ids and adviser["id"] not in ids
    one = client.get(f"{PROVIDERS}/{adviser['id']}", headers=caller)
    assert (one.status_code, one.headers["etag"]) == (200, '"1"')
    assert_problem(client.get(f"{PROVIDERS}/{uuid.uuid4()}", headers=caller), 404, "not-found")


def test_patch_needs_the_current_etag(client: TestClient, db: Session, settings: Settings) -> None:
    caller = officer(db, settings)
    created = create_provider(client, caller)
    url = f"{PROVIDERS}/{created['id']}"
    assert_problem(
        client.patch(url, json={"capacity": 5}, headers=caller), 428, "precondition-required"
    )
    stale = {**caller, "If-Match": '"7"'}
    assert_problem(
        client.patch(url, json={"capacity": 5}, headers=stale), 412, "precondition-failed"
    )
    fresh = {**caller, "If-Match": client.get(url, headers=caller).headers["etag"]}
    changed = client.patch(url, json={"capacity": 5, "languages": ["fr", "en"]}, headers=fresh)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["capacity"], changed.json()["languages"]) == (5, ["fr", "en"])
    assert changed.headers["etag"] == '"2"'
    assert_problem(
        client.patch(url, json={"capacity": 1}, headers=fresh), 412, "precondition-failed"
    )
    db.expire_all()
    stored = db.get(Provider, uuid.UUID(created["id"]))
    assert stored is not None and (stored.capacity, stored.version) == (5, 2)


def test_a_peer_state_provider_must_name_its_home_state(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    body = provider_body(kind="peer_state")
    assert_problem(client.post(PROVIDERS, json=body, headers=caller), 422, "validation-error")
    assert body["name"] not in stored_names(db)
    adviser = create_provider(client, caller)
    turned = client.patch(
        f"{PROVIDERS}/{adviser['id']}",
        json={"kind": "peer_state"},
        headers={**caller, "If-Match": '"1"'},
    )
    assert_problem(turned, 422, "validation-error")
    stored = db.get(Provider, uuid.UUID(adviser["id"]))
    assert stored is not None and stored.kind.value == "human_rights_adviser"


@pytest.mark.parametrize(
    "field",
    [
        {"states_covered": ["WSM", "XXX"]},
        {"regions_covered": ["Atlantis"]},
    ],
)
def test_unknown_states_and_regions_covered_are_422(
    client: TestClient, db: Session, settings: Settings, field: dict[str, list[str]]
) -> None:
    caller = officer(db, settings)
    body = provider_body(**field)
    response = client.post(PROVIDERS, json=body, headers=caller)
    problem = assert_problem(response, 422, "validation-error")
    assert ("XXX" in problem["detail"]) or ("Atlantis" in problem["detail"])
    assert body["name"] not in stored_names(db)


def test_an_unknown_home_state_is_422_for_every_kind(
    client: TestClient, db: Session, settings: Settings
) -> None:
    """Bug: only a peer_state's home State is checked; for any other kind the foreign key
    fails at flush and the caller gets a 500 (app/expertise/service.py, `_checked`)."""
    caller = officer(db, settings)
    body = provider_body(kind="consultant", home_state_code="XXX")
    assert_problem(client.post(PROVIDERS, json=body, headers=caller), 422, "validation-error")


def test_user_id_must_name_a_provider_account(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    not_a_provider = make_user(db, role=Role.state_focal_point, state="WSM")
    for user_id in (not_a_provider.id, uuid.uuid4()):
        body = provider_body(user_id=str(user_id))
        assert_problem(client.post(PROVIDERS, json=body, headers=caller), 422, "validation-error")
        assert body["name"] not in stored_names(db)
    account, _ = provider_account(db, settings)
    linked = create_provider(client, caller, user_id=str(account.id))
    assert linked["user_id"] == str(account.id)


def test_patching_a_required_field_to_null_is_422(
    client: TestClient, db: Session, settings: Settings
) -> None:
    """Bug: `ProviderFields` lets every field be null and `update_provider` writes the null,
    so the flush (NOT NULL) or the read-back (`ProviderRead`) fails with a 500
    (app/expertise/service.py, `update_provider`)."""
    caller = officer(db, settings)
    created = create_provider(client, caller)
    url = f"{PROVIDERS}/{created['id']}"
    answers = {
        field: client.patch(url, json={field: None}, headers={**caller, "If-Match": '"1"'})
        for field in ("name", "kind", "languages", "modalities", "capacity", "availability")
    }
    assert {f: r.status_code for f, r in answers.items()} == dict.fromkeys(answers, 422)
    db.expire_all()
    stored = db.get(Provider, uuid.UUID(created["id"]))
    assert stored is not None and stored.version == 1
