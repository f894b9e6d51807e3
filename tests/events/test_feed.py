"""The change feed: every event a caller may see, once, in commit order, from a cursor that is
never lost. Events come from real changes through the API; a worker's dispatcher gives them
their place (tests/jobs/support.py `run_jobs`)."""

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.core.db import Database
from app.core.principal import Role
from app.core.settings import Settings
from app.events.models import OutboxEvent
from app.events.outbox import emit
from app.events.types import EventType, Visibility
from app.webhooks.audience import Audience
from app.webhooks.dispatch import dispatch
from app.webhooks.feed import read_feed
from tests.databases import is_postgres
from tests.jobs.support import run_jobs
from tests.progress.support import caller, created, make_bare_recommendation, moved, report_body

API = "/api/v1"
FEED = f"{API}/events"
PUBLIC = Audience(Visibility.public)
REPORTS = f"{API}/progress-reports"


def poll(
    client: TestClient, headers: dict[str, str], cursor: str | None = None, **params: Any
) -> tuple[list[dict[str, Any]], str]:
    response = client.get(
        FEED, params={**({"cursor": cursor} if cursor else {}), **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["next_cursor"]  # never null: the poller keeps its place
    return page["items"], page["next_cursor"]


def types_of(items: list[dict[str, Any]]) -> list[str]:
    return [item["type"] for item in items]


def report_through_publication(client: TestClient, db: Session, focal: dict[str, str]) -> str:
    recommendation = make_bare_recommendation(db, state="WSM")
    db.commit()
    report = created(client.post(REPORTS, json=report_body(recommendation.id), headers=focal))
    moved(client.post(f"{REPORTS}/{report['id']}/submit", headers=focal))
    moved(client.post(f"{REPORTS}/{report['id']}/publish", headers=focal))
    return str(report["id"])


def test_each_caller_reads_the_events_it_may_see_in_order(
    client: TestClient, app: FastAPI, db: Session, settings: Settings
) -> None:
    samoa = caller(db, settings, Role.state_focal_point, "WSM")
    nepal = caller(db, settings, Role.state_focal_point, "NPL")
    officer = caller(db, settings, Role.ohchr_officer)
    provider = caller(db, settings, Role.provider)
    report_id = report_through_publication(client, db, samoa)
    run_jobs(app)

    mine = ["progress_report.created", "progress_report.submitted", "progress_report.published"]
    assert types_of(poll(client, samoa)[0]) == mine
    assert types_of(poll(client, officer)[0]) == mine[1:]  # never the State's draft
    for outsider in ({}, nepal, provider):
        assert types_of(poll(client, outsider)[0]) == mine[2:]

    items, _ = poll(client, samoa)
    assert [item["data"]["version"] for item in items] == sorted(
        i["data"]["version"] for i in items
    )
    assert items[-1]["data"] == {
        "id": report_id,
        "resource_type": "progress_report",
        "state_code": "WSM",
        "version": items[-1]["data"]["version"],
        "url": f"/api/v1/progress-reports/{report_id}",
        "visibility": "public",
    }
    assert set(items[-1]) == {"id", "type", "timestamp", "data"}  # thin: never the content


def test_events_without_a_state_are_ohchrs_alone(
    client: TestClient, app: FastAPI, db: Session, settings: Settings
) -> None:
    emit(
        db,
        EventType.matching_run_succeeded,
        resource_id=uuid.uuid4(),
        state_code=None,
        version=None,
        visibility=Visibility.ohchr,
        payload={},
    )
    db.commit()
    run_jobs(app)
    assert types_of(poll(client, caller(db, settings, Role.ohchr_admin))[0]) == [
        "matching_run.succeeded"
    ]
    for role in (None, Role.state_focal_point, Role.provider):
        assert poll(client, caller(db, settings, role))[0] == []


def test_a_poller_gets_every_later_event_once_and_keeps_its_place(
    client: TestClient, app: FastAPI, db: Session, settings: Settings
) -> None:
    samoa = caller(db, settings, Role.state_focal_point, "WSM")
    public: dict[str, str] = {}
    _, cursor = poll(client, public)
    seen: list[str] = []
    for _ in range(3):
        report_through_publication(client, db, samoa)
        items, cursor = poll(client, public, cursor)
        assert items == []  # not yet given their place by a worker
        run_jobs(app)
        items, cursor = poll(client, public, cursor)
        seen += [item["id"] for item in items]
        assert poll(client, public, cursor)[0] == []  # an empty poll keeps the place
    assert len(seen) == len(set(seen)) == 3


def test_pages_follow_one_another_and_types_filter(
    client: TestClient, app: FastAPI, db: Session, settings: Settings
) -> None:
    samoa = caller(db, settings, Role.state_focal_point, "WSM")
    for _ in range(3):
        report_through_publication(client, db, samoa)
    run_jobs(app)
    everything, _ = poll(client, samoa, limit=200)
    paged: list[dict[str, Any]] = []
    cursor = None
    for _ in range(20):
        items, cursor = poll(client, samoa, cursor, limit=2)
        if not items:
            break
        paged += items
    assert paged == everything and len(everything) == 9
    published, _ = poll(client, samoa, type="progress_report.published")
    assert types_of(published) == ["progress_report.published"] * 3
    assert client.get(FEED, params={"type": "report.exploded"}).status_code == 422
    assert client.get(FEED, params={"cursor": "forged.cursor"}).status_code == 422


@pytest.mark.skipif(not is_postgres(), reason="on SQLite writers commit in the order they begin")
def test_an_event_that_commits_late_is_not_skipped(fresh_database: str) -> None:
    """A transaction writes its event first and commits last: the poller who has read past the
    later events still receives it."""
    database = Database.from_url(fresh_database)
    settings = Settings(_env_file=None, database_url=fresh_database, jwt_secret="x" * 40)  # type: ignore[call-arg]
    try:
        slow = database.session()
        slow.connection().execute(text("SELECT 1"))
        early = _emit(slow, "slow")
        slow.flush()  # written (its seq taken) but not committed
        with database.transaction() as fast:
            _emit(fast, "fast")
        dispatch(database, settings)
        with database.session() as db:
            first, cursor = read_feed(
                db, PUBLIC, cursor=None, limit=50, types=(), settings=settings
            )
        assert [e["data"]["id"] for e in first] == ["fast"]
        slow.commit()
        dispatch(database, settings)
        with database.session() as db:
            after, _ = read_feed(db, PUBLIC, cursor=cursor, limit=50, types=(), settings=settings)
        assert [e["data"]["id"] for e in after] == ["slow"] and after[0]["id"] == str(early.id)
    finally:
        database.dispose()


def _emit(db: Session, resource_id: str) -> OutboxEvent:
    return emit(
        db,
        EventType.progress_report_published,
        resource_id=resource_id,
        state_code="WSM",
        version=1,
        visibility=Visibility.public,
        payload={},
    )
