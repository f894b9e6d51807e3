"""Anonymous reads of public data are cacheable by shared caches and revalidated with
`If-None-Match`; anything answered to a signed-in caller, and every error, is
`private, no-store` (app/core/http_cache.py)."""

import hashlib

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from app.main import create_app
from tests.conftest import ConnectionDatabase, make_settings
from tests.factories import auth, make_user

STATE = "/api/v1/states/WSM"
STATES = "/api/v1/states"
PUBLIC = "public, max-age=60"
PRIVATE = "private, no-store"


@pytest.fixture
def app_with(database_url, engine, connection):  # type: ignore[no-untyped-def]
    def build(**overrides: object) -> FastAPI:
        return create_app(
            make_settings(database_url, **overrides), ConnectionDatabase(engine, connection)
        )

    return build


def _varies_on(response_vary: str) -> set[str]:
    return {name.strip().lower() for name in response_vary.split(",")}


def test_an_anonymous_read_of_public_data_may_be_cached_by_anyone(client: TestClient) -> None:
    response = client.get(STATE)

    assert response.status_code == 200
    assert response.headers["cache-control"] == PUBLIC
    assert response.headers["etag"]
    assert {"authorization", "accept", "accept-language"} <= _varies_on(response.headers["vary"])


def test_revalidating_with_the_etag_answers_304_without_the_body(client: TestClient) -> None:
    first = client.get(STATE)

    again = client.get(STATE, headers={"If-None-Match": first.headers["etag"]})

    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["cache-control"] == PUBLIC


def test_a_list_without_versions_gets_a_strong_etag_of_its_bytes(client: TestClient) -> None:
    response = client.get(STATES)

    expected = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
    assert response.headers["etag"] == expected
    assert client.get(STATES, headers={"If-None-Match": expected}).status_code == 304


def test_another_etag_gets_the_whole_answer(client: TestClient) -> None:
    full = client.get(STATES)

    response = client.get(STATES, headers={"If-None-Match": '"not-this-one", W/"nor-this"'})

    assert response.status_code == 200
    assert response.content == full.content


def test_a_signed_in_read_is_private_and_never_304(
    client: TestClient, db: Session, settings: Settings
) -> None:
    admin = make_user(db, role=Role.ohchr_admin)
    etag = client.get(STATE).headers["etag"]

    response = client.get(STATE, headers={**auth(settings, admin), "If-None-Match": etag})

    assert response.status_code == 200
    assert response.headers["cache-control"] == PRIVATE
    assert response.content


def test_an_error_is_never_cached(client: TestClient) -> None:
    response = client.get("/api/v1/states/XXX")

    assert response.status_code == 404
    assert response.headers["cache-control"] == PRIVATE


def test_head_is_cacheable_and_revalidated_like_get(client: TestClient) -> None:
    etag = client.get(STATES).headers["etag"]

    head = client.head(STATES)
    revalidated = client.head(STATES, headers={"If-None-Match": etag})

    assert head.status_code == 200
    assert head.headers["cache-control"] == PUBLIC
    assert head.headers["etag"] == etag
    assert revalidated.status_code == 304


def test_public_cache_seconds_zero_keeps_every_answer_private(app_with) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app_with(public_cache_seconds=0)) as client:
        response = client.get(STATES)
        again = client.get(STATES, headers={"If-None-Match": "*"})

    assert response.headers["cache-control"] == PRIVATE
    assert again.status_code == 200


def test_the_bytes_are_the_same_with_or_without_caching(client: TestClient, app_with) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app_with(public_cache_seconds=0)) as uncached:
        assert client.get(STATES).content == uncached.get(STATES).content
        assert client.get(STATE).content == uncached.get(STATE).content
