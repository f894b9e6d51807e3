"""Putting committed events in order, and queueing their deliveries: a duty of every worker,
done by one at a time.

An outbox event is written in its change's transaction, so its `seq` says when it was written,
not when it committed: a long transaction can commit its event after later ones were read.
The dispatcher therefore gives each event it finds committed the next `position`, holding the
`dispatch` row of `worker_locks` (FOR UPDATE SKIP LOCKED: another worker holding it means this
tick is skipped; on SQLite the single writer serialises). Positions are thus given in the order
events became visible, and the change feed, reading by position, never skips one that commits
late. In the same transaction each active subscription that wants the event's type and may see
it gets a delivery and its job, so that an event is never positioned without its deliveries.
"""

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.core.db import Database
from app.core.models import utcnow
from app.core.settings import Settings
from app.events.models import OutboxEvent
from app.jobs.models import WorkerLock
from app.jobs.worker import Tick
from app.webhooks.audience import Audience, thin_event
from app.webhooks.delivery import queue_delivery
from app.webhooks.models import SubscriptionStatus, WebhookSubscription

LOCK = "dispatch"
BATCH = 500


def dispatch(database: Database, settings: Settings) -> int:
    """Position the events committed since the last tick and queue their deliveries; how many
    events it positioned (0 when none waited, or another worker holds the lock)."""
    if not _anything_pending(database):
        return 0
    with database.transaction() as db:
        lock = db.exec(
            select(WorkerLock).where(col(WorkerLock.name) == LOCK).with_for_update(skip_locked=True)
        ).first()
        if lock is None:
            return 0
        events = list(
            db.exec(
                select(OutboxEvent)
                .where(col(OutboxEvent.position).is_(None))
                .order_by(col(OutboxEvent.seq))
                .limit(BATCH)
            ).all()
        )
        if events:
            _position(db, events)
            _queue_deliveries(db, events, settings)
        return len(events)


def _anything_pending(database: Database) -> bool:
    """A read first, so that an idle worker writes nothing (and takes no lock on SQLite)."""
    with database.reading() as db:
        found = db.exec(
            select(OutboxEvent.seq).where(col(OutboxEvent.position).is_(None)).limit(1)
        ).first()
    return found is not None


def _position(db: Session, events: list[OutboxEvent]) -> None:
    last = db.exec(select(func.max(OutboxEvent.position))).one() or 0
    now = utcnow()
    for offset, event in enumerate(events, start=1):
        event.position = last + offset
        event.dispatched_at = now
        db.add(event)
    db.flush()


def _queue_deliveries(db: Session, events: list[OutboxEvent], settings: Settings) -> None:
    subscriptions = db.exec(
        select(WebhookSubscription).where(
            col(WebhookSubscription.status) == SubscriptionStatus.active
        )
    ).all()
    for event in events:
        for subscription in subscriptions:
            if wants(subscription, event):
                body = thin_event(event, settings.public_url)
                del body["id"]  # it travels as the `webhook-id` header
                queue_delivery(
                    db, subscription, event_id=event.id, event_type=event.type.value, body=body
                )
    db.flush()


def wants(subscription: WebhookSubscription, event: OutboxEvent) -> bool:
    """The subscription asked for this type and may be told of this event."""
    if event.type.value not in subscription.event_types:
        return False
    return Audience(subscription.audience, subscription.state_code).sees(event)


DISPATCH_TICK = Tick(
    "webhooks.dispatch",
    dispatch,
    every=0.0,  # on every pass of the worker's loop: every WORKER_POLL_SECONDS when idle
)
