"""No lost update and no twin, with real commits: parallel requests through the app's own
engine on a private copy of the migrated database (as `tests/core/test_concurrency.py`)."""

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.core.db import Database
from app.core.principal import Role
from app.core.settings import Settings
from app.events.models import OutboxEvent
from app.main import create_app
from app.progress.models import ProgressReport, ProgressRevision
from tests.conftest import make_settings
from tests.core.test_problems import assert_problem
from tests.factories import auth, make_user
from tests.progress.support import KINDS, REPORT, Kind, count, make_bare_recommendation, model_of

ROUNDS = 2


@dataclass
class Live:
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

    def session(self) -> Session:
        return self.database.session()


@pytest.fixture(scope="module")
def racing_app(database_url: str, engine: Engine) -> FastAPI:
    """Built once per module (it takes a second); each test points it at its own database."""
    return create_app(make_settings(database_url), Database(engine))


@pytest.fixture
def live(racing_app: FastAPI, fresh_database: str) -> Iterator[Live]:
    settings = make_settings(fresh_database)
    app_database = Database.from_url(fresh_database)
    database = Database.from_url(fresh_database)
    racing_app.state.settings, racing_app.state.database = settings, app_database
    try:
        yield Live(racing_app, settings, database)
    finally:
        app_database.dispose()
        database.dispose()


def _writers(live: Live, count_: int) -> tuple[list[dict[str, str]], uuid.UUID]:
    with live.database.transaction() as db:
        users = [make_user(db, role=Role.state_contributor, state="WSM") for _ in range(count_)]
        recommendation = make_bare_recommendation(db, state="WSM")
        return [auth(live.settings, user) for user in users], recommendation.id


def _create(live: Live, kind: Kind, headers: dict[str, str], recommendation: uuid.UUID) -> str:
    (response,) = live.send_all(
        [{"method": "POST", "url": kind.url, "json": kind.body(recommendation), "headers": headers}]
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _field(kind: Kind) -> str:
    return "summary" if kind is REPORT else "description"


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_two_writers_with_one_etag_on_one_draft_let_exactly_one_win(live: Live, kind: Kind) -> None:
    (first, second), recommendation = _writers(live, 2)
    for round_ in range(ROUNDS):
        object_id = _create(live, kind, first, recommendation)
        texts = [f"First writer {round_}", f"Second writer {round_}"]

        responses = live.send_all(
            [
                {
                    "method": "PATCH",
                    "url": f"{kind.url}/{object_id}",
                    "json": {_field(kind): text},
                    "headers": {**headers, "If-Match": '"1"'},
                }
                for text, headers in zip(texts, (first, second), strict=True)
            ]
        )

        assert sorted(r.status_code for r in responses) == [200, 412], [r.text for r in responses]
        winner = next(r for r in responses if r.status_code == 200)
        assert_problem(
            next(r for r in responses if r.status_code == 412), 412, "precondition-failed"
        )
        assert winner.headers["etag"] == '"2"'
        with live.session() as db:
            stored = db.get(model_of(kind), uuid.UUID(object_id))
            assert stored is not None
            assert (getattr(stored, _field(kind)), stored.version) == (
                winner.json()[_field(kind)],
                2,
            )
            updates = (
                AuditEvent.resource_id == object_id,
                AuditEvent.action == kind.event("updated"),
            )
            assert count(db, AuditEvent, *updates) == 1
            assert count(db, OutboxEvent, OutboxEvent.resource_id == object_id) == 2


def test_parallel_creates_with_one_idempotency_key_make_one_report(live: Live) -> None:
    (writer,), recommendation = _writers(live, 1)
    request = {
        "method": "POST",
        "url": REPORT.url,
        "json": REPORT.body(recommendation),
        "headers": {**writer, "Idempotency-Key": "monthly-sync-42"},
    }

    responses = live.send_all([request] * 5)

    assert [r.status_code for r in responses] == [201] * 5, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 4
    object_id = responses[0].json()["id"]
    with live.session() as db:
        assert count(db, ProgressReport) == 1
        assert count(db, ProgressRevision) == 1
        assert count(db, AuditEvent, AuditEvent.action == "progress_report.created") == 1
        assert count(db, OutboxEvent, OutboxEvent.resource_id == object_id) == 1
