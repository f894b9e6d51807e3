"""Parallel requests with real commits: no lost update, no twin from a retried create.

These run on a private copy of the migrated database, through the app's own engine, so each
request has its own connection and transaction, as in production. On SQLite a writer takes the
lock up front (BEGIN IMMEDIATE), so a race is queued, never a 500 or a 503.
"""

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import func, select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.core.db import Database
from app.core.principal import Role
from app.core.settings import Settings
from app.main import create_app
from tests.conftest import make_settings
from tests.core.test_problems import assert_problem
from tests.factories import auth, make_user

ROUNDS = 5


@dataclass
class Live:
    """The app on a private database that really commits, and a second handle to inspect it."""

    app: FastAPI
    settings: Settings
    database: Database

    def send_all(self, requests: list[dict[str, Any]]) -> list[httpx.Response]:
        """Send every request at once; answers in the order asked."""

        async def run() -> list[httpx.Response]:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return list(await asyncio.gather(*(client.request(**r) for r in requests)))

        return asyncio.run(run())


@pytest.fixture
def live(fresh_database: str) -> Iterator[Live]:
    settings = make_settings(fresh_database)
    app_database = Database.from_url(fresh_database)
    database = Database.from_url(fresh_database)
    try:
        yield Live(create_app(settings, app_database), settings, database)
    finally:
        app_database.dispose()
        database.dispose()


def make_admins(live: Live, count: int) -> list[dict[str, str]]:
    with live.database.transaction() as db:
        admins = [make_user(db, role=Role.ohchr_admin) for _ in range(count)]
    return [auth(live.settings, admin) for admin in admins]


def make_contributor(live: Live) -> uuid.UUID:
    with live.database.transaction() as db:
        return make_user(db, name="Original").id


def stored_user(live: Live, user_id: uuid.UUID) -> User:
    with live.database.session() as db:
        user = db.get(User, user_id)
        assert user is not None
        return user


def audit_count(live: Live, action: str, resource_id: uuid.UUID) -> int:
    with live.database.session() as db:
        return db.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.resource_id == str(resource_id))
        ).one()


def test_two_racing_patches_with_the_same_etag_let_exactly_one_win(live: Live) -> None:
    first, second = make_admins(live, 2)
    for round_ in range(ROUNDS):
        user_id = make_contributor(live)
        names = [f"First {round_}", f"Second {round_}"]
        responses = live.send_all(
            [
                {
                    "method": "PATCH",
                    "url": f"/api/v1/users/{user_id}",
                    "json": {"name": name},
                    "headers": {**headers, "If-Match": '"1"'},
                }
                for name, headers in zip(names, (first, second), strict=True)
            ]
        )

        assert sorted(r.status_code for r in responses) == [200, 412], [r.text for r in responses]
        winner = next(r for r in responses if r.status_code == 200)
        loser = next(r for r in responses if r.status_code == 412)
        assert_problem(loser, 412, "precondition-failed")
        assert winner.headers["etag"] == '"2"'
        stored = stored_user(live, user_id)
        assert stored.name == winner.json()["name"]
        assert stored.name in names
        assert stored.version == 2
        assert audit_count(live, "user.update", user_id) == 1


def create_user_request(headers: dict[str, str], key: str, **body: Any) -> dict[str, Any]:
    user = {
        "email": "racer@example.org",
        "name": "Racer",
        "state_code": "WSM",
        "password": "long enough password",
    }
    return {
        "method": "POST",
        "url": "/api/v1/users",
        "json": {**user, **body},
        "headers": {**headers, "Idempotency-Key": key},
    }


def test_parallel_creates_with_one_idempotency_key_make_one_user(live: Live) -> None:
    (admin,) = make_admins(live, 1)

    responses = live.send_all([create_user_request(admin, "create-racer")] * 5)

    assert [r.status_code for r in responses] == [201] * 5, [r.text for r in responses]
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 1
    assert {r.headers["location"] for r in responses} == {f"/api/v1/users/{ids.pop()}"}
    with live.database.session() as db:
        users = db.exec(select(User).where(User.email == "racer@example.org")).all()
        assert len(users) == 1
    assert audit_count(live, "user.create", users[0].id) == 1


def test_parallel_creates_with_one_key_replay_the_first_answer(live: Live) -> None:
    (admin,) = make_admins(live, 1)

    responses = live.send_all([create_user_request(admin, "create-racer")] * 5)

    replayed = [r for r in responses if r.headers.get("idempotent-replayed") == "true"]
    assert len(replayed) == 4
    first = next(r for r in responses if "idempotent-replayed" not in r.headers)
    assert all(r.json() == first.json() for r in replayed)


def test_reusing_an_idempotency_key_with_another_body_is_422(live: Live) -> None:
    (admin,) = make_admins(live, 1)
    (created,) = live.send_all([create_user_request(admin, "create-racer")])
    assert created.status_code == 201, created.text

    (reused,) = live.send_all(
        [create_user_request(admin, "create-racer", email="other@example.org")]
    )

    assert_problem(reused, 422, "idempotency-key-reused")
    with live.database.session() as db:
        assert db.exec(select(User).where(User.email == "other@example.org")).first() is None
