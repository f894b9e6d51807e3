"""Delivering one event to one subscription: the `webhook.deliver` job.

Each attempt POSTs the stored thin event, signed afresh (Standard Webhooks), with the event's id
as `webhook-id` on every attempt, so that a receiver can drop the repeats of at-least-once
delivery. No database transaction is open while the request is out. A 2xx is success; 410 Gone
disables the subscription; anything else is retried on a schedule spanning about a day, and a
subscription whose every delivery has failed for WEBHOOK_DISABLE_AFTER_DAYS is disabled.
"""

import datetime as dt
import json
import time
import uuid
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from app.audit.service import record
from app.core.db import Database
from app.core.models import utcnow
from app.core.settings import Settings
from app.jobs.models import Job
from app.jobs.queue import enqueue
from app.jobs.worker import JobContext, JobKind
from app.webhooks import outbound
from app.webhooks.models import (
    DeliveryStatus,
    SubscriptionStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from app.webhooks.schemas import WebhookSubscriptionRead
from app.webhooks.signing import sign

DELIVER = "webhook.deliver"
# 5 s, 5 min, 30 min, 2 h, 5 h, 10 h (each jittered): seven attempts over about 18 hours.
DELAYS = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0)
MAX_ATTEMPTS = len(DELAYS) + 1
USER_AGENT = "Item10-Webhooks/1.0"
GONE = 410
GONE_REASON = "the receiver answered 410 Gone"
MAX_LOGGED_ATTEMPTS = 50
BODY_KEYS = ("type", "timestamp", "data")
DATA_KEYS = ("id", "resource_type", "state_code", "version", "url", "visibility")


class DeliveryFailed(Exception):
    """The attempt failed (an answer other than 2xx or 410, or none): try again later."""


def queue_delivery(
    db: Session,
    subscription: WebhookSubscription,
    *,
    event_id: uuid.UUID,
    event_type: str,
    body: dict[str, Any],
) -> WebhookDelivery:
    """A delivery and its job, in the caller's transaction."""
    delivery = WebhookDelivery(
        subscription_id=subscription.id, event_id=event_id, event_type=event_type, body=body
    )
    job = enqueue(
        db,
        DELIVER,
        {"delivery_id": str(delivery.id)},
        max_attempts=MAX_ATTEMPTS,
        subject=("webhook_delivery", delivery.id),
    )
    delivery.job_id = job.id
    delivery.next_attempt_at = job.run_at
    db.add(delivery)
    return delivery


def body_bytes(body: dict[str, Any]) -> bytes:
    """The body as sent: `type`, `timestamp`, `data` in that order, whatever order the database
    kept the keys in (PostgreSQL's JSONB keeps none)."""
    data = body.get("data") or {}
    ordered = {key: body[key] for key in BODY_KEYS if key in body}
    ordered["data"] = {key: data[key] for key in DATA_KEYS if key in data} | {
        key: value for key, value in data.items() if key not in DATA_KEYS
    }
    return json.dumps(ordered, separators=(",", ":"), ensure_ascii=False).encode()


def signed_headers(secret: str, event_id: uuid.UUID, body: bytes) -> dict[str, str]:
    msg_id, timestamp = str(event_id), int(time.time())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def deliver(ctx: JobContext) -> None:
    delivery_id = uuid.UUID(ctx.payload["delivery_id"])
    found = _read(ctx.database, delivery_id)
    if found is None:
        return  # deleted with its subscription
    delivery, subscription = found
    if delivery.status is DeliveryStatus.succeeded:
        return  # delivered already, by a worker whose lease ran out
    if subscription.status is SubscriptionStatus.disabled:
        with ctx.finishing() as db:
            _give_up(db, delivery_id, f"subscription disabled: {subscription.disabled_reason}")
        return
    body = body_bytes(delivery.body)
    headers = signed_headers(subscription.secret, delivery.event_id, body)
    answer = outbound.post(subscription.url, body, headers, ctx.settings)
    if answer.succeeded:
        with ctx.finishing() as db:
            _succeeded(db, delivery_id, subscription.id, answer)
    elif answer.status == GONE:
        with ctx.finishing() as db:
            _disable(db, subscription.id, GONE_REASON)
            _give_up(db, delivery_id, f"subscription disabled: {GONE_REASON}", answer)
    elif (reason := _failing_too_long(subscription, ctx.settings)) is not None:
        with ctx.finishing() as db:
            _disable(db, subscription.id, reason)
            _give_up(db, delivery_id, f"subscription disabled: {reason}", answer)
    else:
        with ctx.holding() as db:  # a worker whose lease ran out records nothing
            _failed_attempt(db, delivery_id, subscription.id, answer)
        raise DeliveryFailed(answer.error or f"the receiver answered {answer.status}")


def _read(
    database: Database, delivery_id: uuid.UUID
) -> tuple[WebhookDelivery, WebhookSubscription] | None:
    """A read (no write lock on SQLite), closed before the request goes out."""
    with database.reading() as db:
        delivery = db.get(WebhookDelivery, delivery_id)
        subscription = db.get(WebhookSubscription, delivery.subscription_id) if delivery else None
        if delivery is None or subscription is None:
            return None
        db.expunge_all()
        return delivery, subscription


def _failing_too_long(subscription: WebhookSubscription, settings: Settings) -> str | None:
    since = subscription.failing_since
    limit = dt.timedelta(days=settings.webhook_disable_after_days)
    if since is None or utcnow() - since < limit:
        return None
    days = settings.webhook_disable_after_days
    return (
        f"every delivery has failed since {since:%Y-%m-%d %H:%M} UTC "
        f"(more than {days:g} days, WEBHOOK_DISABLE_AFTER_DAYS)"
    )


def _locked(db: Session, delivery_id: uuid.UUID) -> WebhookDelivery | None:
    return db.get(WebhookDelivery, delivery_id, with_for_update=True)


def _log(delivery: WebhookDelivery, answer: outbound.Answer, now: dt.datetime) -> None:
    entry = {
        "at": now.isoformat(),
        "response_status": answer.status,
        "duration_ms": answer.duration_ms,
        "error": answer.error,
    }
    delivery.attempts += 1
    delivery.attempt_log = [*delivery.attempt_log, entry][-MAX_LOGGED_ATTEMPTS:]
    delivery.last_response_status = answer.status
    delivery.last_duration_ms = answer.duration_ms
    delivery.last_error = answer.error
    delivery.updated_at = now


def _succeeded(
    db: Session, delivery_id: uuid.UUID, subscription_id: uuid.UUID, answer: outbound.Answer
) -> None:
    delivery = _locked(db, delivery_id)
    if delivery is None:
        return
    now = utcnow()
    _log(delivery, answer, now)
    delivery.status = DeliveryStatus.succeeded
    delivery.delivered_at = now
    delivery.next_attempt_at = None
    db.add(delivery)
    db.execute(
        update(WebhookSubscription)
        .where(
            col(WebhookSubscription.id) == subscription_id,
            col(WebhookSubscription.failing_since).is_not(None),
        )
        .values(failing_since=None)
    )


def _failed_attempt(
    db: Session, delivery_id: uuid.UUID, subscription_id: uuid.UUID, answer: outbound.Answer
) -> None:
    """Recorded in a transaction of its own before the job is failed (and its next attempt
    set by `_on_failure`); the subscription has been failing since now, unless since earlier."""
    delivery = _locked(db, delivery_id)
    if delivery is None:
        return
    _log(delivery, answer, utcnow())
    db.add(delivery)
    db.execute(
        update(WebhookSubscription)
        .where(
            col(WebhookSubscription.id) == subscription_id,
            col(WebhookSubscription.failing_since).is_(None),
        )
        .values(failing_since=utcnow())
    )


def _give_up(
    db: Session, delivery_id: uuid.UUID, reason: str, answer: outbound.Answer | None = None
) -> None:
    delivery = _locked(db, delivery_id)
    if delivery is None:
        return
    if answer is not None:
        _log(delivery, answer, utcnow())
        delivery.last_error = f"{answer.error}; {reason}" if answer.error else reason
    else:
        delivery.last_error = reason
        delivery.updated_at = utcnow()
    delivery.status = DeliveryStatus.failed
    delivery.next_attempt_at = None
    db.add(delivery)


def _disable(db: Session, subscription_id: uuid.UUID, reason: str) -> None:
    subscription = db.get(WebhookSubscription, subscription_id, with_for_update=True)
    if subscription is None or subscription.status is SubscriptionStatus.disabled:
        return
    before = WebhookSubscriptionRead.model_validate(subscription)
    subscription.touch()
    subscription.status = SubscriptionStatus.disabled
    subscription.disabled_reason = reason
    subscription.disabled_at = utcnow()
    db.add(subscription)
    db.flush()
    record(
        db,
        None,
        "webhook_subscription.disable",
        resource_type="webhook_subscription",
        resource_id=subscription.id,
        state_code=subscription.state_code,
        before=before,
        after=WebhookSubscriptionRead.model_validate(subscription),
    )


def _delivery_of(db: Session, job: Job) -> WebhookDelivery | None:
    raw = job.payload.get("delivery_id")
    return db.get(WebhookDelivery, uuid.UUID(raw), with_for_update=True) if raw else None


def _on_failure(db: Session, job: Job, next_at: dt.datetime | None) -> None:
    """The delivery says when it is tried again, or that it failed for good (the job is dead)."""
    delivery = _delivery_of(db, job)
    if delivery is None:
        return
    delivery.next_attempt_at = next_at
    delivery.status = DeliveryStatus.pending if next_at else DeliveryStatus.failed
    if next_at is None and not delivery.last_error:
        delivery.last_error = job.last_error
    delivery.updated_at = utcnow()
    db.add(delivery)


def _on_retry(db: Session, job: Job) -> None:
    """An administrator queued the dead job again (`POST /jobs/{id}/retry`)."""
    delivery = _delivery_of(db, job)
    if delivery is None:
        return
    delivery.status = DeliveryStatus.pending
    delivery.next_attempt_at = job.run_at
    delivery.updated_at = utcnow()
    db.add(delivery)


DELIVERY_KIND = JobKind(
    DELIVER,
    deliver,
    max_attempts=MAX_ATTEMPTS,
    delays=DELAYS,
    on_failure=_on_failure,
    on_retry=_on_retry,
    expected=(DeliveryFailed,),
)
