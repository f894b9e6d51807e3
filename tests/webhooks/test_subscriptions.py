"""The subscription API: who may register what, the secret shown once, URLs and event types
checked with a reason, another State's subscription not found, and no update lost."""

import socket
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.core.principal import Role
from app.core.settings import Settings
from app.webhooks.models import SubscriptionStatus
from tests.conftest import make_settings
from tests.core.test_problems import assert_problem
from tests.webhooks.support import SUBSCRIPTIONS, caller, subscribe, subscription

PUBLIC_URL = "https://93.184.215.14/hooks"  # a public address: no lookup needed


@pytest.fixture
def strict(app: FastAPI, database_url: str) -> Settings:
    """Settings as deployed: private addresses refused."""
    settings = make_settings(database_url)
    app.state.settings = settings
    return settings


@pytest.fixture
def admin(db: Session, settings: Settings) -> dict[str, str]:
    return caller(db, settings, Role.ohchr_admin)


@pytest.fixture
def focal(db: Session, settings: Settings) -> dict[str, str]:
    return caller(db, settings, Role.state_focal_point, "WSM")


def test_an_admin_registers_a_portal_and_sees_the_secret_once(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.post(
        SUBSCRIPTIONS,
        json={
            "url": PUBLIC_URL,
            "event_types": ["progress_report.published"],
            "description": "UPR portal",
        },
        headers=admin,
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["secret"].startswith("whsec_")
    assert (created["audience"], created["state_code"], created["status"]) == (
        "public",
        None,
        "active",
    )
    assert response.headers["location"].endswith(f"{SUBSCRIPTIONS}/{created['id']}")
    assert response.headers["etag"] == '"1"'
    read = client.get(f"{SUBSCRIPTIONS}/{created['id']}", headers=admin).json()
    listed = client.get(SUBSCRIPTIONS, headers=admin).json()["items"]
    assert "secret" not in read
    assert all("secret" not in item for item in listed)
    assert created["secret"] not in str(read) + str(listed)


def test_the_secret_never_reaches_the_audit_log(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    created = subscribe(client, admin, PUBLIC_URL)

    events = db.exec(select(AuditEvent).where(col(AuditEvent.resource_id) == created["id"])).all()

    assert [event.action for event in events] == ["webhook_subscription.create"]
    assert created["secret"] not in str([(e.before, e.after) for e in events])


def test_a_replayed_creation_omits_the_secret(client: TestClient, admin: dict[str, str]) -> None:
    body = {"url": PUBLIC_URL, "event_types": ["shortfall.published"]}
    headers = admin | {"Idempotency-Key": "portal-1"}

    first = client.post(SUBSCRIPTIONS, json=body, headers=headers)
    again = client.post(SUBSCRIPTIONS, json=body, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert first.json()["secret"].startswith("whsec_")
    assert again.json().get("secret") is None


def test_an_admin_registers_an_ohchr_system(client: TestClient, admin: dict[str, str]) -> None:
    created = subscribe(client, admin, PUBLIC_URL, audience="ohchr")

    assert (created["audience"], created["state_code"]) == ("ohchr", None)


def test_an_admin_may_not_register_for_a_state(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(
        SUBSCRIPTIONS,
        json={"url": PUBLIC_URL, "event_types": ["shortfall.created"], "audience": "state"},
        headers=admin,
    )

    assert_problem(response, 422, "validation-error")
    assert "focal point" in response.json()["detail"]


def test_a_focal_point_registers_for_its_own_state(
    client: TestClient, focal: dict[str, str]
) -> None:
    created = subscribe(client, focal, PUBLIC_URL)

    assert (created["audience"], created["state_code"]) == ("state", "WSM")


@pytest.mark.parametrize("audience", ["public", "ohchr"])
def test_a_focal_point_cannot_widen_its_audience(
    client: TestClient, focal: dict[str, str], audience: str
) -> None:
    response = client.post(
        SUBSCRIPTIONS,
        json={"url": PUBLIC_URL, "event_types": ["shortfall.created"], "audience": audience},
        headers=focal,
    )

    assert_problem(response, 422, "validation-error")
    assert response.json()["errors"][0]["loc"] == ["body", "audience"]


@pytest.mark.parametrize(
    "role", [Role.state_contributor, Role.ohchr_officer, Role.provider], ids=lambda r: r.value
)
def test_other_roles_are_403_on_every_operation(
    client: TestClient, admin: dict[str, str], db: Session, settings: Settings, role: Role
) -> None:
    created = subscribe(client, admin, PUBLIC_URL)
    headers = caller(db, settings, role)
    item = f"{SUBSCRIPTIONS}/{created['id']}"
    delivery = f"{item}/deliveries/{created['id']}"
    calls: list[tuple[str, str, Any]] = [
        ("POST", SUBSCRIPTIONS, {"url": PUBLIC_URL, "event_types": ["shortfall.created"]}),
        ("GET", SUBSCRIPTIONS, None),
        ("GET", item, None),
        ("PATCH", item, {"description": "x"}),
        ("DELETE", item, None),
        ("GET", f"{item}/deliveries", None),
        ("GET", delivery, None),
        ("POST", f"{delivery}/retry", None),
        ("POST", f"{item}/test", None),
    ]
    for method, path, body in calls:
        response = client.request(method, path, json=body, headers=headers | {"If-Match": '"1"'})
        assert_problem(response, 403, "forbidden")
        anonymous = client.request(method, path, json=body)
        assert anonymous.status_code == 401, (method, path)


def test_a_focal_point_lists_only_its_own_states_subscriptions(
    client: TestClient,
    admin: dict[str, str],
    focal: dict[str, str],
    db: Session,
    settings: Settings,
) -> None:
    other = caller(db, settings, Role.state_focal_point, "NPL")
    mine = subscribe(client, focal, PUBLIC_URL)
    theirs = subscribe(client, other, PUBLIC_URL)
    portal = subscribe(client, admin, PUBLIC_URL)

    seen = [item["id"] for item in client.get(SUBSCRIPTIONS, headers=focal).json()["items"]]
    everything = [item["id"] for item in client.get(SUBSCRIPTIONS, headers=admin).json()["items"]]

    assert seen == [mine["id"]]
    assert {mine["id"], theirs["id"], portal["id"]} <= set(everything)


def test_another_states_subscription_is_404_everywhere(
    client: TestClient,
    admin: dict[str, str],
    focal: dict[str, str],
    db: Session,
    settings: Settings,
) -> None:
    other = caller(db, settings, Role.state_focal_point, "NPL")
    theirs = subscribe(client, other, PUBLIC_URL)
    portal = subscribe(client, admin, PUBLIC_URL)
    for hidden in (theirs, portal):
        item = f"{SUBSCRIPTIONS}/{hidden['id']}"
        for method, path, body in (
            ("GET", item, None),
            ("PATCH", item, {"description": "mine now"}),
            ("DELETE", item, None),
            ("GET", f"{item}/deliveries", None),
            ("POST", f"{item}/test", None),
            ("POST", f"{item}/deliveries/{hidden['id']}/retry", None),
        ):
            response = client.request(method, path, json=body, headers=focal | {"If-Match": "*"})
            assert_problem(response, 404, "not-found")
    assert subscription(db, theirs["id"]).description is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("not a url", "https://"),
        ("ftp://93.184.215.14/hooks", "https://"),
        ("https://user:secret@93.184.215.14/hooks", "credentials"),
        ("https://93.184.215.14/hooks#part", "fragment"),
        ("https:///hooks", "no host"),
        ("https://exa mple.org/hooks", "not a valid host"),
        ("https://93.184.215.14:99999/hooks", "port"),
        ("http://127.0.0.1:8080/hooks", "loopback"),
        ("http://[::1]/hooks", "loopback"),
        ("http://localhost/hooks", "loopback"),
        ("http://api.localhost./hooks", "loopback"),
        ("http://2130706433/hooks", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.7/hooks", "private"),
        ("http://192.168.1.1/hooks", "private"),
        ("http://[::ffff:10.0.0.7]/hooks", "private"),
        ("http://0.0.0.0/hooks", "unspecified"),
        ("http://224.0.0.1/hooks", "multicast"),
        ("http://100.64.0.1/hooks", "not a public address"),
    ],
)
def test_a_bad_url_is_422_with_the_reason(
    client: TestClient, admin: dict[str, str], strict: Settings, url: str, reason: str
) -> None:
    response = client.post(
        SUBSCRIPTIONS, json={"url": url, "event_types": ["shortfall.created"]}, headers=admin
    )

    assert_problem(response, 422, "validation-error")
    assert reason in response.json()["detail"], response.json()
    assert response.json()["errors"][0]["loc"] == ["body", "url"]


def test_a_host_resolving_to_a_private_address_is_422(
    client: TestClient,
    admin: dict[str, str],
    strict: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def resolve(host: str, port: object, *args: object, **kwargs: object) -> list[Any]:
        assert host == "hooks.internal.example"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 443))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    response = client.post(
        SUBSCRIPTIONS,
        json={"url": "https://hooks.internal.example/in", "event_types": ["shortfall.created"]},
        headers=admin,
    )

    assert_problem(response, 422, "validation-error")
    detail = response.json()["detail"]
    assert "hooks.internal.example resolves to a private address" in detail
    assert "10.1.2.3" not in detail  # the internal address is not told


def test_http_is_422_in_production(
    client: TestClient, admin: dict[str, str], app: FastAPI, database_url: str
) -> None:
    app.state.settings = make_settings(database_url, environment="production")

    response = client.post(
        SUBSCRIPTIONS,
        json={"url": "http://93.184.215.14/hooks", "event_types": ["shortfall.created"]},
        headers=admin,
    )

    assert_problem(response, 422, "validation-error")
    assert "https in production" in response.json()["detail"]


def test_private_addresses_are_taken_when_the_setting_allows(
    client: TestClient, admin: dict[str, str]
) -> None:
    created = subscribe(client, admin, "http://127.0.0.1:9/hooks")

    assert created["url"] == "http://127.0.0.1:9/hooks"


@pytest.mark.parametrize(
    ("event_types", "message"),
    [
        (["progress_report.published", "report.exploded"], "Input should be"),
        ([], "at least 1"),
        (["shortfall.created", "shortfall.created"], "more than once: shortfall.created"),
        (["shortfall.created"] * 101, "at most 100"),
        ("shortfall.created", "valid list"),
    ],
)
def test_bad_event_types_are_422(
    client: TestClient, admin: dict[str, str], event_types: Any, message: str
) -> None:
    response = client.post(
        SUBSCRIPTIONS, json={"url": PUBLIC_URL, "event_types": event_types}, headers=admin
    )

    assert_problem(response, 422, "validation-error")
    assert message in str(response.json()["errors"]), response.json()


def test_an_unknown_field_is_422(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(
        SUBSCRIPTIONS,
        json={"url": PUBLIC_URL, "event_types": ["shortfall.created"], "secret": "whsec_mine"},
        headers=admin,
    )

    assert_problem(response, 422, "validation-error")


def test_patch_needs_if_match_and_refuses_a_stale_one(
    client: TestClient, focal: dict[str, str]
) -> None:
    created = subscribe(client, focal, PUBLIC_URL)
    item = f"{SUBSCRIPTIONS}/{created['id']}"

    missing = client.patch(item, json={"description": "x"}, headers=focal)
    first = client.patch(item, json={"description": "x"}, headers=focal | {"If-Match": '"1"'})
    stale = client.patch(item, json={"description": "y"}, headers=focal | {"If-Match": '"1"'})
    delete_stale = client.delete(item, headers=focal | {"If-Match": '"1"'})
    delete_missing = client.delete(item, headers=focal)

    assert_problem(missing, 428, "precondition-required")
    assert first.status_code == 200 and first.headers["etag"] == '"2"'
    assert_problem(stale, 412, "precondition-failed")
    assert_problem(delete_stale, 412, "precondition-failed")
    assert_problem(delete_missing, 428, "precondition-required")
    assert client.get(item, headers=focal).json()["description"] == "x"


def test_patch_changes_url_types_and_description(
    client: TestClient, focal: dict[str, str], strict: Settings
) -> None:
    created = subscribe(client, focal, PUBLIC_URL)
    item = f"{SUBSCRIPTIONS}/{created['id']}"

    bad = client.patch(item, json={"url": "http://10.0.0.1/x"}, headers=focal | {"If-Match": '"1"'})
    changed = client.patch(
        item,
        json={
            "url": "https://93.184.215.15/new",
            "event_types": ["shortfall.published"],
            "description": "tracker",
        },
        headers=focal | {"If-Match": '"1"'},
    )

    assert_problem(bad, 422, "validation-error")
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["url"], body["event_types"], body["description"], body["version"]) == (
        "https://93.184.215.15/new",
        ["shortfall.published"],
        "tracker",
        2,
    )


def test_setting_active_again_clears_why_it_was_disabled(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    created = subscribe(client, admin, PUBLIC_URL)
    item = f"{SUBSCRIPTIONS}/{created['id']}"
    disabled = client.patch(item, json={"status": "disabled"}, headers=admin | {"If-Match": '"1"'})
    assert disabled.json()["status"] == "disabled"
    assert disabled.json()["disabled_reason"] == "disabled through the API"
    stored = subscription(db, created["id"])
    stored.disabled_reason = "the receiver answered 410 Gone"
    db.add(stored)
    db.flush()

    active = client.patch(item, json={"status": "active"}, headers=admin | {"If-Match": '"2"'})

    assert active.status_code == 200, active.text
    body = active.json()
    assert (body["status"], body["disabled_reason"], body["disabled_at"]) == ("active", None, None)
    assert body["failing_since"] is None
    assert subscription(db, created["id"]).status is SubscriptionStatus.active


def test_delete_removes_the_subscription(client: TestClient, focal: dict[str, str]) -> None:
    created = subscribe(client, focal, PUBLIC_URL)
    item = f"{SUBSCRIPTIONS}/{created['id']}"

    response = client.delete(item, headers=focal | {"If-Match": '"1"'})

    assert response.status_code == 204
    assert_problem(client.get(item, headers=focal), 404, "not-found")
