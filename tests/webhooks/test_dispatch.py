"""Putting events in order: positions in the order events commit, one holder of the lock at a
time, deliveries queued with the positions, and nothing written when nothing waits."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.core.db import Database
from app.core.settings import Settings
from app.events.models import OutboxEvent
from app.events.outbox import emit
from app.events.types import EventType, Visibility
from app.jobs.models import Job, WorkerLock
from app.webhooks.delivery import DELIVER
from app.webhooks.dispatch import LOCK, dispatch
from app.webhooks.models import (
    DeliveryStatus,
    SubscriptionStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from tests.conftest import make_settings
from tests.databases import is_postgres

needs_postgres = pytest.mark.skipif(
    not is_postgres(), reason="concurrent writers need PostgreSQL (SQLite has one writer)"
)


def add_event(db: Session, *, visibility: Visibility = Visibility.public) -> OutboxEvent:
    event = emit(
        db,
        EventType.shortfall_published,
        resource_id=uuid.uuid4(),
        state_code="WSM",
        version=1,
        visibility=visibility,
        payload={},
    )
    db.flush()
    return event


def add_subscription(
    db: Session, *, status: SubscriptionStatus = SubscriptionStatus.active, **fields: Any
) -> WebhookSubscription:
    subscription = WebhookSubscription(
        audience=fields.pop("audience", Visibility.public),
        url="http://127.0.0.1:9/hooks",
        event_types=fields.pop("event_types", [EventType.shortfall_published.value]),
        secret="whsec_" + "A" * 44,
        status=status,
        **fields,
    )
    db.add(subscription)
    db.flush()
    return subscription


def positions(db: Session) -> list[tuple[int | None, int | None]]:
    db.expire_all()
    rows = db.exec(select(OutboxEvent.seq, OutboxEvent.position).order_by(col(OutboxEvent.seq)))
    return [(seq, position) for seq, position in rows.all()]


def test_events_get_consecutive_positions_in_order(app: FastAPI, db: Session) -> None:
    for _ in range(3):
        add_event(db)

    first = dispatch(app.state.database, app.state.settings)
    add_event(db)
    second = dispatch(app.state.database, app.state.settings)

    assert (first, second) == (3, 1)
    numbered = positions(db)
    start = numbered[0][1]
    assert start is not None
    assert [position for _, position in numbered] == list(range(start, start + 4))
    db.expire_all()
    assert all(e.dispatched_at is not None for e in db.exec(select(OutboxEvent)).all())


def test_each_active_subscription_that_may_see_it_gets_a_delivery_and_a_job(
    app: FastAPI, db: Session
) -> None:
    wanted = add_subscription(db)
    add_subscription(db, status=SubscriptionStatus.disabled)
    add_subscription(db, event_types=[EventType.shortfall_created.value])
    other_state = add_subscription(db, audience=Visibility.state, state_code="NPL")
    draft_reader = add_subscription(db, audience=Visibility.state, state_code="WSM")
    public = add_event(db)
    draft = add_event(db, visibility=Visibility.state)

    dispatch(app.state.database, app.state.settings)

    db.expire_all()
    queued = db.exec(select(WebhookDelivery)).all()
    assert sorted((d.subscription_id, d.event_id) for d in queued) == sorted(
        [
            (wanted.id, public.id),
            (other_state.id, public.id),
            (draft_reader.id, public.id),
            (draft_reader.id, draft.id),
        ]
    )
    for delivery in queued:
        job = db.get(Job, delivery.job_id)
        assert job is not None and job.kind == DELIVER
        assert job.payload == {"delivery_id": str(delivery.id)}
        assert (job.subject_type, job.subject_id) == ("webhook_delivery", str(delivery.id))
        assert delivery.status is DeliveryStatus.pending
        assert "id" not in delivery.body


def test_an_idle_dispatcher_opens_no_write_transaction(
    app: FastAPI, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_event(db)
    dispatch(app.state.database, app.state.settings)

    def refuse() -> None:
        raise AssertionError("an idle dispatcher wrote")

    monkeypatch.setattr(app.state.database, "transaction", refuse)

    assert dispatch(app.state.database, app.state.settings) == 0


def test_the_lock_row_is_there(db: Session) -> None:
    assert db.get(WorkerLock, LOCK) is not None


@pytest.fixture
def committed(fresh_database: str) -> Iterator[tuple[Database, Settings]]:
    database = Database.from_url(fresh_database)
    yield database, make_settings(fresh_database)
    database.dispose()


@needs_postgres
def test_an_event_that_commits_late_gets_the_later_position(
    committed: tuple[Database, Settings],
) -> None:
    """Written first, committed last: the feed must not have passed its place already."""
    database, settings = committed
    with database.transaction() as early:
        add_event(early)
    late = database.session()
    slow = add_event(late)  # written now, its transaction still open
    with database.transaction() as quick:
        fast = add_event(quick)

    assert dispatch(database, settings) == 2
    late.commit()
    late.close()
    assert dispatch(database, settings) == 1

    with database.session() as db:
        placed = {
            event.id: event.position
            for event in db.exec(select(OutboxEvent).where(col(OutboxEvent.position).is_not(None)))
        }
    assert slow.seq is not None and fast.seq is not None and slow.seq < fast.seq
    assert placed[slow.id] is not None and placed[fast.id] is not None
    assert placed[slow.id] > placed[fast.id]


@needs_postgres
def test_a_second_dispatcher_skips_while_the_first_holds_the_lock(
    committed: tuple[Database, Settings],
) -> None:
    database, settings = committed
    with database.transaction() as db:
        add_event(db)
    holder = database.session()
    holder.exec(select(WorkerLock).where(col(WorkerLock.name) == LOCK).with_for_update()).one()

    skipped = dispatch(database, settings)
    holder.rollback()
    holder.close()
    taken = dispatch(database, settings)

    assert (skipped, taken) == (0, 1)
    with database.session() as db:
        unplaced = select(func.count(col(OutboxEvent.seq))).where(
            col(OutboxEvent.position).is_(None)
        )
        assert db.exec(unplaced).one() == 0
