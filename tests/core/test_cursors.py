"""List cursors: only those the server issued, for the same list and sort, are read; anything
else is 422 `/problems/invalid-cursor` (or `validation-error` for what the query string itself
refuses), never a 500.

Every list operation is found by walking `app.routes` for GET routes that take `cursor`, and
called as a caller allowed to list it, in one seeded world (the contract fuzzer's, plus enough
objects that every list has several pages). The world is written once into a transaction of
this module, rolled back at its end; on SQLite that transaction holds the write lock, so the
tests here use only this module's client.
"""

import base64
import datetime as dt
import hashlib
import hmac
import json
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, get_args

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine

from app.core.errors import InvalidCursor
from app.core.guards import PublicAccess, RoleGuard
from app.core.pagination import (
    CURSOR_KEY_LABEL,
    aware_datetime,
    bigint,
    issue_cursor,
    non_negative_int,
    read_cursor,
    text,
    uuid_value,
)
from app.core.principal import Role
from app.core.settings import Settings
from app.jobs.models import Job
from app.main import create_app
from app.recommendations.models import RecommendationImport
from tests.conftest import TEST_SECRET, ConnectionDatabase, make_settings
from tests.fuzz.world import HOME, World, build_world

API = "/api/v1"
ACCEPTED_422 = {"/problems/invalid-cursor", "/problems/validation-error"}
# The order each list is signed for: its keys ("-" descending), or the computed order's name.
SIGNED_FOR = {
    "list_states": "code",
    "list_users": "created_at,id",
    "list_api_clients": "created_at,id",
    "list_providers": "created_at,id",
    "list_progress_reports": "created_at,id",
    "list_shortfalls": "created_at,id",
    "list_audit_events": "-seq",
    "list_recommendations": "created_at,id",
    "list_recommendation_imports": "-created_at,-id",
    "list_recommendation_clusters": "created_at,id",
    "list_assignments": "created_at,id",
    "list_matching_runs": "-created_at,-id",
    "list_jobs": "-created_at,-id",
    "list_webhook_subscriptions": "created_at,id",
    "list_webhook_deliveries": "-created_at,-id",
    "list_reporting_deadlines": "created_at,id",
    "list_events": "position",
    "list_assistance_messages": "created_at,id",
    "list_assistance_requests?sort=created": "created_at,id",
    "list_assistance_requests?sort=priority": "computed:priority",
    "list_assistance_requests?sort=-priority": "computed:-priority",
    "list_assistance_requests?sort=age": "computed:age",
    "list_assistance_requests?sort=-age": "computed:-age",
}
# Lists whose cursor stays valid past the end (pollers keep it): never null.
FEEDS = frozenset({"list_events"})
# The most trusted role first: it sees the most of a list.
PREFERRED = (
    Role.ohchr_admin,
    Role.ohchr_officer,
    Role.state_focal_point,
    Role.state_contributor,
    Role.provider,
)


@dataclass(frozen=True)
class ListOperation:
    """One list, in one sort when the list takes `sort`."""

    name: str  # the operation id, which is also the name the cursor is bound to
    path: str
    role: Role
    sort: str | None

    @property
    def label(self) -> str:
        return self.name if self.sort is None else f"{self.name}?sort={self.sort}"

    @property
    def signed_for(self) -> str:
        return SIGNED_FOR[self.label]

    def params(self, **extra: Any) -> dict[str, Any]:
        return {**({"sort": self.sort} if self.sort else {}), **extra}


def _guards(dependant: Dependant) -> list[RoleGuard | PublicAccess]:
    found: list[RoleGuard | PublicAccess] = []
    for sub in dependant.dependencies:
        if isinstance(sub.call, RoleGuard | PublicAccess):
            found.append(sub.call)
        else:
            found.extend(_guards(sub))
    return found


def list_operations(app: FastAPI) -> list[ListOperation]:
    """Every GET route that takes `cursor`, once per value of its `sort`."""
    operations = []
    for route in app.routes:
        if not (isinstance(route, APIRoute) and "GET" in route.methods):
            continue
        query = {field.alias: field for field in get_flat_dependant(route.dependant).query_params}
        if "cursor" not in query:
            continue
        guard = _guards(route.dependant)[0]
        allowed = set(Role) if isinstance(guard, PublicAccess) else guard.roles
        role = next(role for role in PREFERRED if role in allowed)
        sorts = get_args(query["sort"].field_info.annotation) if "sort" in query else (None,)
        operations += [ListOperation(route.name, route.path, role, sort) for sort in sorts]
    return operations


OPERATIONS = list_operations(create_app(make_settings("sqlite://")))
BY_LABEL = {operation.label: operation for operation in OPERATIONS}


def by_label(label: str) -> ListOperation:
    return BY_LABEL[label]


def test_every_list_operation_is_known_here() -> None:
    """A new list must say here how its cursors are signed (and so is fuzzed below)."""
    assert sorted(BY_LABEL) == sorted(SIGNED_FOR)


# The world: the fuzzer's, plus a second page of everything it holds only one of.


@dataclass
class Cursors:
    client: TestClient
    world: World
    settings: Settings
    paths: dict[str, str]

    def url(self, operation: ListOperation) -> str:
        return operation.path.format(**self.paths)

    def get(self, operation: ListOperation, *, anonymous: bool = False, **params: Any) -> Any:
        headers = {} if anonymous else self.world.headers(operation.role.value)
        return self.client.get(
            self.url(operation), params=operation.params(**params), headers=headers
        )

    def walk(self, operation: ListOperation, limit: int) -> list[list[str]]:
        """The ids of every page from the first, following `next_cursor`."""
        pages: list[list[str]] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": limit}
            if cursor:
                params["cursor"] = cursor
            response = self.get(operation, **params)
            assert response.status_code == 200, (operation.label, response.text)
            body = response.json()
            pages.append([_identity(item) for item in body["items"]])
            cursor = body["next_cursor"]
            if operation.name in FEEDS and not pages[-1]:
                return pages[:-1]  # a feed's cursor is never null: its end is an empty page
            if cursor is None:
                return pages
            assert len(pages) < 100, f"{operation.label}: the cursor never ends"

    def first_cursor(self, operation: ListOperation) -> str:
        response = self.get(operation, limit=1)
        assert response.status_code == 200, (operation.label, response.text)
        cursor: str | None = response.json()["next_cursor"]
        assert cursor is not None, f"{operation.label} has a single item: nothing to page"
        return cursor


def _identity(item: dict[str, Any]) -> str:
    return str(item.get("id") or item["code"])


@pytest.fixture(scope="module")
def cursor_connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture(scope="module")
def cursors(
    shared_app: FastAPI, database_url: str, engine: Engine, cursor_connection: Connection
) -> Iterator[Cursors]:
    settings = make_settings(database_url)
    database = ConnectionDatabase(engine, cursor_connection)
    shared_app.state.settings = settings
    shared_app.state.database = database
    with TestClient(shared_app, raise_server_exceptions=False) as client:
        world = build_world(client, database, settings)
        request_id = _second_pages(client, world, database)
        paths = {"request_id": request_id, "subscription_id": _webhook_pages(client, world)}
        yield Cursors(client, world, settings, paths)
    shared_app.state.database = None


def _second_pages(client: TestClient, world: World, database: ConnectionDatabase) -> str:
    """A thread of messages, a second API client, matching run and cluster, two reporting
    deadlines, and import reports; the id of the request that holds the thread."""
    focal, officer = world.headers("state_focal_point"), world.headers("ohchr_officer")
    admin = world.headers("ohchr_admin")

    def created(path: str, body: object, headers: dict[str, str]) -> dict[str, Any]:
        response = client.post(API + path, json=body, headers=headers)
        assert response.status_code in (200, 201, 202), (path, response.text)
        answer: dict[str, Any] = response.json()
        return answer

    request = created("/assistance-requests", _request_body(), focal)
    created(f"/assistance-requests/{request['id']}/submit", {}, focal)
    for body, headers in (
        ({"body": "Which prisons?", "internal": False}, officer),
        ({"body": "All three.", "internal": False}, focal),
        ({"body": "Check the budget line.", "internal": True}, officer),
    ):
        created(f"/assistance-requests/{request['id']}/messages", body, headers)
    created("/api-clients", {"name": "Second tracker", "role": "ohchr_officer"}, admin)
    created("/matching-runs", {}, officer)
    recommendations = world.ids[f"recommendations:{HOME}"]
    cluster = created(
        "/recommendation-clusters",
        {"name": "Second cluster", "recommendation_ids": recommendations[:1]},
        focal,
    )
    for subject in ({"recommendation_id": recommendations[0]}, {"cluster_id": cluster["id"]}):
        created("/reporting-deadlines", {"due_on": "2031-03-31", **subject}, focal)
    with database.session() as db:
        db.add_all(
            RecommendationImport(status="succeeded", format="uhri", filename=f"{n}.csv")
            for n in range(3)
        )
        db.add_all(Job(kind="example", max_attempts=1) for _ in range(3))
        db.commit()
    return str(request["id"])


def _webhook_pages(client: TestClient, world: World) -> str:
    """Two webhook subscriptions, two deliveries (test pings) of the first; the first's id."""
    admin = world.headers("ohchr_admin")
    ids = []
    for n in range(2):
        body = {"url": f"https://93.184.215.14/hooks/{n}", "event_types": ["shortfall.created"]}
        response = client.post(f"{API}/webhook-subscriptions", json=body, headers=admin)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    for _ in range(2):
        ping = client.post(f"{API}/webhook-subscriptions/{ids[0]}/test", headers=admin)
        assert ping.status_code == 202, ping.text
    return str(ids[0])


def _request_body() -> dict[str, Any]:
    return {
        "title": "Training of judges",
        "assistance_type": "training_of_officials",
        "languages": ["en"],
        "modality": "remote",
        "window_start": "2030-03-01",
        "window_end": "2030-06-30",
        "urgency": "medium",
        "justification": "No training budget.",
    }


# Cursors made by hand: unsigned, or signed with the server's key as only the server can.


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unsigned(value: object) -> str:
    """A cursor as older servers issued them: base64url of JSON."""
    return b64(json.dumps(value).encode())


def signed(payload: bytes, name: str, sort: str, secret: str = TEST_SECRET) -> str:
    """`payload` signed for list `name` in `sort` with the key derived from `secret`: what the
    server issues, written out from the format, so that the format is pinned here."""
    key = hmac.new(secret.encode(), CURSOR_KEY_LABEL, hashlib.sha256).digest()
    bound = json.dumps([name, sort]).encode() + b"\n" + payload
    return f"{b64(payload)}.{b64(hmac.new(key, bound, hashlib.sha256).digest())}"


def signed_value(value: object, operation: ListOperation) -> str:
    return signed(json.dumps(value).encode(), operation.name, operation.signed_for)


def payload_of(cursor: str) -> bytes:
    encoded = cursor.split(".")[0]
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))


def assert_invalid_cursor(response: Any) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/problems/invalid-cursor", body
    assert ["query", "cursor"] in [error["loc"] for error in body["errors"]]


# Real cursors.


@pytest.mark.parametrize("label", sorted(SIGNED_FOR))
def test_real_cursors_walk_every_page_of_every_list_once(cursors: Cursors, label: str) -> None:
    operation = by_label(label)
    whole = [item for page in cursors.walk(operation, 200) for item in page]
    assert len(whole) >= 2, f"{label}: too few items to page"
    limit = max(1, math.ceil(len(whole) / 4))

    pages = cursors.walk(operation, limit)

    assert [item for page in pages for item in page] == whole
    assert len(set(whole)) == len(whole)
    assert len(pages) == math.ceil(len(whole) / limit)


@pytest.mark.parametrize("label", sorted(SIGNED_FOR))
def test_a_real_cursor_is_signed_for_its_list_and_sort(cursors: Cursors, label: str) -> None:
    operation = by_label(label)
    cursor = cursors.first_cursor(operation)

    assert cursor == signed(payload_of(cursor), operation.name, operation.signed_for)
    assert len(cursor) <= 512


def test_a_cursor_from_another_list_or_sort_is_422_on_every_other(cursors: Cursors) -> None:
    issued = {label: cursors.first_cursor(by_label(label)) for label in SIGNED_FOR}
    for source, cursor in issued.items():
        for target in SIGNED_FOR:
            if target != source:
                assert_invalid_cursor(cursors.get(by_label(target), cursor=cursor))


def test_a_users_cursor_is_422_on_api_clients_though_keyed_alike(cursors: Cursors) -> None:
    cursor = cursors.first_cursor(by_label("list_users"))

    assert_invalid_cursor(cursors.get(by_label("list_api_clients"), cursor=cursor))


def test_a_priority_cursor_is_422_in_the_reverse_order(cursors: Cursors) -> None:
    cursor = cursors.first_cursor(by_label("list_assistance_requests?sort=-priority"))

    assert_invalid_cursor(
        cursors.get(by_label("list_assistance_requests?sort=priority"), cursor=cursor)
    )
    assert_invalid_cursor(
        cursors.get(by_label("list_assistance_requests?sort=created"), cursor=cursor)
    )


# Tampering.


def _flip(character: str) -> str:
    return "B" if character == "A" else "A"


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda c: c[:-1] + _flip(c[-1]), id="tag-changed"),
        pytest.param(lambda c: _flip(c[0]) + c[1:], id="payload-changed"),
        pytest.param(lambda c: c.split(".")[0], id="tag-removed"),
        pytest.param(lambda c: c[:-4], id="tag-truncated"),
        pytest.param(lambda c: c + "A", id="tag-lengthened"),
        pytest.param(lambda c: c.replace(".", ".."), id="two-dots"),
        pytest.param(lambda c: c + "=", id="padded"),
    ],
)
def test_a_tampered_cursor_is_422(cursors: Cursors, tamper: Any) -> None:
    operation = by_label("list_states")
    cursor = cursors.first_cursor(operation)

    assert_invalid_cursor(cursors.get(operation, cursor=tamper(cursor)))


def test_a_cursor_signed_under_another_secret_is_422(cursors: Cursors) -> None:
    operation = by_label("list_states")
    payload = payload_of(cursors.first_cursor(operation))
    foreign = signed(payload, operation.name, operation.signed_for, secret="another-" + "y" * 40)

    assert_invalid_cursor(cursors.get(operation, cursor=foreign))


def test_a_cursor_tagged_with_the_secret_itself_is_422(cursors: Cursors) -> None:
    """The cursor key is derived from the secret; the secret is never the key."""
    operation = by_label("list_states")
    payload = payload_of(cursors.first_cursor(operation))
    bound = json.dumps([operation.name, operation.signed_for]).encode() + b"\n" + payload
    tag = hmac.new(TEST_SECRET.encode(), bound, hashlib.sha256).digest()

    assert_invalid_cursor(cursors.get(operation, cursor=f"{b64(payload)}.{b64(tag)}"))


def test_an_older_servers_cursor_is_422(cursors: Cursors) -> None:
    assert_invalid_cursor(cursors.get(by_label("list_states"), cursor=unsigned(["AFG"])))


# The attacks found, each unsigned (as found) and signed with the server's key (should that key
# ever leak, the values are still checked before any query).

NAIVE = ["2026-12-04T16:46:15", "6f1c1d8e-7a55-4bde-9c1b-7d0e5b0b8a11"]
KEYED_BY_TIME = sorted(label for label, sort in SIGNED_FOR.items() if "created_at" in sort)


def test_an_anonymous_naive_time_cursor_on_recommendations_is_422(cursors: Cursors) -> None:
    operation = by_label("list_recommendations")
    for cursor in (unsigned(NAIVE), signed_value(NAIVE, operation)):
        assert_invalid_cursor(cursors.get(operation, anonymous=True, cursor=cursor))


@pytest.mark.parametrize("label", KEYED_BY_TIME)
@pytest.mark.parametrize(
    "value",
    [
        pytest.param(NAIVE, id="naive"),
        pytest.param(["2026-12-04", NAIVE[1]], id="date-only"),
        pytest.param(["0001-01-01T00:00:00+14:00", NAIVE[1]], id="before-year-1-in-utc"),
        pytest.param(["9999-12-31T23:59:59-14:00", NAIVE[1]], id="after-year-9999-in-utc"),
        pytest.param([1733330775, NAIVE[1]], id="number-for-a-time"),
        pytest.param(["2026-12-04T16:46:15+00:00", "not-a-uuid"], id="not-a-uuid"),
        pytest.param(["2026-12-04T16:46:15+00:00", 7], id="number-for-a-uuid"),
        pytest.param(["2026-12-04T16:46:15+00:00"], id="one-key-of-two"),
    ],
)
def test_a_bad_time_or_id_in_a_cursor_is_422_on_every_list_keyed_by_time(
    cursors: Cursors, label: str, value: list[Any]
) -> None:
    operation = by_label(label)
    for cursor in (unsigned(value), signed_value(value, operation)):
        assert_invalid_cursor(cursors.get(operation, cursor=cursor))


@pytest.mark.parametrize("label", KEYED_BY_TIME)
def test_a_signed_aware_time_and_id_starts_after_them(cursors: Cursors, label: str) -> None:
    operation = by_label(label)
    far = (
        "9999-12-31T23:59:59+00:00"
        if operation.signed_for.startswith("-")
        else "1970-01-01T00:00:00+00:00"
    )
    cursor = signed_value([far, str(uuid.uuid4())], operation)

    response = cursors.get(operation, cursor=cursor, limit=200)

    assert response.status_code == 200, response.text
    assert response.json()["items"]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param([9223372036854775808], id="above-bigint"),
        pytest.param([-9223372036854775809], id="below-bigint"),
        pytest.param([True], id="boolean"),
        pytest.param([1.5], id="fraction"),
        pytest.param(["12"], id="text"),
        pytest.param([None], id="null"),
    ],
)
def test_a_sequence_number_out_of_bigint_or_not_an_integer_is_422(
    cursors: Cursors, value: list[Any]
) -> None:
    operation = by_label("list_audit_events")
    for cursor in (unsigned(value), signed_value(value, operation)):
        assert_invalid_cursor(cursors.get(operation, cursor=cursor))


def test_the_largest_bigint_in_a_signed_cursor_is_read(cursors: Cursors) -> None:
    operation = by_label("list_audit_events")
    cursor = signed_value([9223372036854775807], operation)

    response = cursors.get(operation, cursor=cursor, limit=200)

    assert response.status_code == 200, response.text
    assert response.json()["items"]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(["\u0000"], id="nul"),
        pytest.param(["ZA\u0000"], id="nul-inside"),
        pytest.param(["\ud800"], id="lone-surrogate"),
        pytest.param([7], id="number-for-a-code"),
    ],
)
def test_text_postgresql_cannot_bind_is_422(cursors: Cursors, value: list[Any]) -> None:
    operation = by_label("list_states")
    for cursor in (unsigned(value), signed_value(value, operation)):
        assert_invalid_cursor(cursors.get(operation, cursor=cursor))


def test_a_signed_state_code_starts_after_it(cursors: Cursors) -> None:
    operation = by_label("list_states")

    response = cursors.get(operation, cursor=signed_value(["ZAF"], operation), limit=5)

    assert [state["code"] for state in response.json()["items"]] == ["ZMB", "ZWE"]
    assert response.json()["next_cursor"] is None


NOW = "2026-12-04T16:46:15+00:00"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param([NOW, -5], id="negative-position"),
        pytest.param([NOW, 1.5], id="fractional-position"),
        pytest.param([NOW, True], id="boolean-position"),
        pytest.param([NOW, "3"], id="text-position"),
        pytest.param([NOW, 2**63], id="position-above-bigint"),
        pytest.param(["2026-12-04T16:46:15", 2], id="naive-as-of"),
        pytest.param([1733330775, 2], id="number-as-of"),
        pytest.param({"as_of": NOW, "position": 2}, id="older-shape"),
        pytest.param([NOW], id="no-position"),
    ],
)
def test_a_bad_priority_queue_cursor_is_422(cursors: Cursors, value: Any) -> None:
    operation = by_label("list_assistance_requests?sort=-priority")
    for cursor in (unsigned(value), signed_value(value, operation)):
        assert_invalid_cursor(cursors.get(operation, cursor=cursor))


def test_a_signed_priority_queue_position_pages_from_there(cursors: Cursors) -> None:
    operation = by_label("list_assistance_requests?sort=-priority")
    as_of, _ = json.loads(payload_of(cursors.first_cursor(operation)))

    def ids_from(position: int) -> list[str]:
        cursor = signed_value([as_of, position], operation)
        response = cursors.get(operation, cursor=cursor, limit=200)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    whole = ids_from(0)
    assert len(whole) >= 3
    assert ids_from(2) == whole[2:]
    assert ids_from(len(whole) + 5) == []


# Anything at all, at every list.

# Values on either side of what some cursor holds: they make a weak check reach the database.
NEAR_MISSES = st.sampled_from(
    [
        *("\x00", "ZA\x00", "\ud800", "ZAF", ""),
        *(True, False, None, 1.5, -5, 0, 2**63 - 1, 2**63, -(2**63) - 1),
        *(NOW, NAIVE[0], "2026-12-04", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"),
        *(NAIVE[1], "not-a-uuid"),
    ]
)
SCALARS = st.one_of(
    NEAR_MISSES,
    NEAR_MISSES,
    NEAR_MISSES,
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=12),
    st.datetimes(
        timezones=st.none()
        | st.integers(-1439, 1439).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
    ).map(lambda moment: moment.isoformat()),
    st.uuids().map(str),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
PAYLOADS = st.one_of(st.lists(SCALARS, min_size=1, max_size=3), JSON)


def any_cursor(operation: ListOperation) -> st.SearchStrategy[str]:
    """Raw text, unsigned JSON or bytes, JSON with a made-up tag, and JSON or bytes signed
    with the server's key; signed arrays mostly of the list's cursor length, so that they
    reach the check of each value."""
    name, sort = operation.name, operation.signed_for
    width = 2 if sort.startswith("computed:") else sort.count(",") + 1
    shaped = st.lists(SCALARS, min_size=width, max_size=width)

    def sign(value: object) -> str:
        return signed(json.dumps(value).encode(), name, sort)

    return st.one_of(
        st.text(max_size=600),
        PAYLOADS.map(unsigned),
        st.binary(max_size=300).map(b64),
        st.tuples(PAYLOADS, st.binary(max_size=40)).map(lambda p: f"{unsigned(p[0])}.{b64(p[1])}"),
        st.binary(max_size=200).map(lambda raw: signed(raw, name, sort)),
        PAYLOADS.map(sign),
        shaped.map(sign),
        shaped.map(sign),
        shaped.map(sign),
    )


@pytest.mark.parametrize("label", sorted(SIGNED_FOR))
@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_cursor_at_any_list_is_200_or_422(
    cursors: Cursors, label: str, data: st.DataObject
) -> None:
    operation = by_label(label)
    cursor = data.draw(any_cursor(operation), label="cursor")

    response = cursors.get(operation, cursor=cursor)

    if response.status_code == 200:
        assert set(response.json()) == {"items", "next_cursor"}
    else:
        assert response.status_code == 422, response.text
        assert response.json()["type"] in ACCEPTED_422, response.text


# The reader alone: whatever a signed payload holds, it answers typed values or InvalidCursor.

FIELD_SETS = {
    "time-and-id": (aware_datetime, uuid_value),
    "sequence": (bigint,),
    "code": (text,),
    "as-of-and-position": (aware_datetime, non_negative_int),
}
UNIT_SETTINGS = make_settings("sqlite://")


@pytest.mark.parametrize("fields", FIELD_SETS)
@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(payload=st.one_of(PAYLOADS.map(lambda v: json.dumps(v).encode()), st.binary(max_size=80)))
def test_a_signed_payload_is_read_as_typed_values_or_refused(fields: str, payload: bytes) -> None:
    checks = FIELD_SETS[fields]
    cursor = signed(payload, "a_list", "its_sort")
    try:
        values = read_cursor(UNIT_SETTINGS, "a_list", "its_sort", cursor, checks)
    except InvalidCursor:
        return
    assert len(values) == len(checks)
    for check, value in zip(checks, values, strict=True):
        if check is aware_datetime:
            assert value.utcoffset() == dt.timedelta(0)
        elif check is uuid_value:
            assert isinstance(value, uuid.UUID)
        elif check is text:
            assert isinstance(value, str) and "\x00" not in value
            value.encode()
        else:
            assert type(value) is int and -(2**63) <= value < 2**63
            assert check is bigint or value >= 0


def test_issued_values_are_read_back_alike() -> None:
    moment = dt.datetime(2026, 12, 4, 16, 46, 15, 123456, tzinfo=dt.UTC)
    ident = uuid.uuid4()
    cursor = issue_cursor(UNIT_SETTINGS, "a_list", "its_sort", [moment, ident, 2**63 - 1, "ZAF"])

    values = read_cursor(
        UNIT_SETTINGS, "a_list", "its_sort", cursor, (aware_datetime, uuid_value, bigint, text)
    )

    assert values == (moment, ident, 2**63 - 1, "ZAF")
