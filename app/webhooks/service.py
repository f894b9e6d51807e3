"""Webhook subscriptions: who registers them, what they may receive, and their deliveries.

An administrator registers subscriptions for portals (`public`) and OHCHR systems (`ohchr`); a
State's focal point registers its own State's systems (`state`), and sees only those: any other
subscription is simply not found. The secret is shown once, when created, and never logged.
"""

import uuid
from typing import Any

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.audit.service import record
from app.core.concurrency import require_match
from app.core.errors import Conflict, Forbidden, NotFound, UnprocessableContent
from app.core.models import utcnow
from app.core.pagination import paginate
from app.core.principal import Principal, Role
from app.core.settings import Settings
from app.events.types import Visibility
from app.jobs.models import Job
from app.jobs.queue import requeue
from app.webhooks.audience import API_PREFIX
from app.webhooks.delivery import queue_delivery
from app.webhooks.models import (
    DeliveryStatus,
    SubscriptionStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from app.webhooks.outbound import RefusedUrl, check_subscription_url
from app.webhooks.schemas import (
    WebhookSubscriptionCreate,
    WebhookSubscriptionCreated,
    WebhookSubscriptionRead,
    WebhookSubscriptionUpdate,
)
from app.webhooks.signing import new_secret

RESOURCE = "webhook_subscription"
TEST_EVENT = "webhook.test"
ADMIN_AUDIENCES = (Visibility.public, Visibility.ohchr)


def visible_subscriptions(who: Principal) -> SelectOfScalar[WebhookSubscription]:
    statement = select(WebhookSubscription)
    if who.role is Role.ohchr_admin:
        return statement
    if who.role is Role.state_focal_point:
        return statement.where(
            col(WebhookSubscription.audience) == Visibility.state,
            col(WebhookSubscription.state_code) == who.state_code,
        )
    raise Forbidden("only administrators and focal points manage webhook subscriptions")


def list_subscriptions(
    db: Session, who: Principal, *, limit: int, cursor: str | None, settings: Settings
) -> tuple[list[WebhookSubscription], str | None]:
    return paginate(
        db,
        visible_subscriptions(who),
        [col(WebhookSubscription.created_at), col(WebhookSubscription.id)],
        limit=limit,
        cursor=cursor,
        settings=settings,
        list_name="list_webhook_subscriptions",
    )


def get_subscription(
    db: Session, who: Principal, subscription_id: uuid.UUID
) -> WebhookSubscription:
    subscription = db.exec(
        visible_subscriptions(who).where(col(WebhookSubscription.id) == subscription_id)
    ).first()
    if subscription is None:
        raise NotFound(f"no webhook subscription {subscription_id}")
    return subscription


def create_subscription(
    db: Session, who: Principal, body: WebhookSubscriptionCreate, settings: Settings
) -> WebhookSubscriptionCreated:
    audience, state_code = _audience(who, body.audience)
    _check_url(body.url, settings)
    subscription = WebhookSubscription(
        audience=audience,
        state_code=state_code,
        url=body.url,
        event_types=[t.value for t in body.event_types],
        description=body.description,
        secret=new_secret(),
        created_by_id=who.id,
    )
    db.add(subscription)
    db.flush()
    shown = WebhookSubscriptionRead.model_validate(subscription)
    _record(db, who, "create", subscription, after=shown)
    return WebhookSubscriptionCreated(**shown.model_dump(), secret=subscription.secret)


def _audience(who: Principal, asked: Visibility | None) -> tuple[Visibility, str | None]:
    if who.role is Role.state_focal_point:
        if asked not in (None, Visibility.state):
            raise _invalid(
                "audience", "a focal point's subscription is its own State's: audience `state`"
            )
        return Visibility.state, who.state_code
    if who.role is Role.ohchr_admin:
        if asked is Visibility.state:
            raise _invalid(
                "audience",
                "a State's subscription is registered by its focal point; an administrator "
                "registers `public` (portals) or `ohchr` (OHCHR systems)",
            )
        return asked or Visibility.public, None
    raise Forbidden("only administrators and focal points manage webhook subscriptions")


def _check_url(url: str, settings: Settings) -> None:
    try:
        check_subscription_url(url, settings)
    except RefusedUrl as exc:
        raise _invalid("url", str(exc)) from exc


def _invalid(field: str, reason: str) -> UnprocessableContent:
    return UnprocessableContent(
        reason, errors=[{"loc": ["body", field], "msg": reason, "type": "value_error"}]
    )


def update_subscription(
    db: Session,
    who: Principal,
    subscription: WebhookSubscription,
    body: WebhookSubscriptionUpdate,
    if_match: str | None,
    settings: Settings,
) -> WebhookSubscription:
    require_match(if_match, subscription.version)
    changes = body.model_dump(exclude_unset=True)
    if "url" in changes:
        _check_url(changes["url"], settings)
    before = WebhookSubscriptionRead.model_validate(subscription)
    subscription.touch()
    if "event_types" in changes:
        changes["event_types"] = [t.value for t in body.event_types or ()]
    status = changes.pop("status", None)
    for field, value in changes.items():
        setattr(subscription, field, value)
    if status is not None and status is not subscription.status:
        _set_status(subscription, status)
    db.add(subscription)
    db.flush()
    _record(
        db,
        who,
        "update",
        subscription,
        before=before,
        after=WebhookSubscriptionRead.model_validate(subscription),
    )
    return subscription


def _set_status(subscription: WebhookSubscription, status: SubscriptionStatus) -> None:
    subscription.status = status
    if status is SubscriptionStatus.active:
        subscription.disabled_reason = None
        subscription.disabled_at = None
        subscription.failing_since = None
    else:
        subscription.disabled_reason = "disabled through the API"
        subscription.disabled_at = utcnow()


def delete_subscription(
    db: Session, who: Principal, subscription: WebhookSubscription, if_match: str | None
) -> None:
    """Its deliveries go with it; their queued jobs then find nothing to do."""
    require_match(if_match, subscription.version)
    before = WebhookSubscriptionRead.model_validate(subscription)
    db.delete(subscription)
    db.flush()
    _record(db, who, "delete", subscription, before=before)


def _record(
    db: Session,
    who: Principal,
    action: str,
    subscription: WebhookSubscription,
    **snapshots: Any,
) -> None:
    """Audited in its public shape: the secret never reaches the log."""
    record(
        db,
        who,
        f"{RESOURCE}.{action}",
        resource_type=RESOURCE,
        resource_id=subscription.id,
        state_code=subscription.state_code,
        **snapshots,
    )


def list_deliveries(
    db: Session,
    subscription: WebhookSubscription,
    *,
    limit: int,
    cursor: str | None,
    settings: Settings,
) -> tuple[list[WebhookDelivery], str | None]:
    """Newest first."""
    return paginate(
        db,
        select(WebhookDelivery).where(col(WebhookDelivery.subscription_id) == subscription.id),
        [col(WebhookDelivery.created_at), col(WebhookDelivery.id)],
        limit=limit,
        cursor=cursor,
        settings=settings,
        list_name="list_webhook_deliveries",
        descending=True,
    )


def get_delivery(
    db: Session, subscription: WebhookSubscription, delivery_id: uuid.UUID
) -> WebhookDelivery:
    delivery = db.exec(
        select(WebhookDelivery).where(
            col(WebhookDelivery.id) == delivery_id,
            col(WebhookDelivery.subscription_id) == subscription.id,
        )
    ).first()
    if delivery is None:
        raise NotFound(f"no delivery {delivery_id} of this subscription")
    return delivery


def retry_delivery(
    db: Session, who: Principal, subscription: WebhookSubscription, delivery: WebhookDelivery
) -> WebhookDelivery:
    """Send a failed (or delivered) event again now, with the same `webhook-id` and a fresh set
    of attempts; 409 while it is still pending or the subscription is disabled."""
    if delivery.status is DeliveryStatus.pending:
        raise Conflict("the delivery is pending already: it is being tried on schedule")
    _must_be_active(subscription)
    job = db.get(Job, delivery.job_id, with_for_update=True) if delivery.job_id else None
    if job is None:
        raise Conflict("the delivery's job is gone; it cannot be retried")
    requeue(db, job)
    delivery.status = DeliveryStatus.pending
    delivery.next_attempt_at = job.run_at
    delivery.updated_at = utcnow()
    db.add(delivery)
    db.flush()
    record(
        db,
        who,
        "webhook_delivery.retry",
        resource_type="webhook_delivery",
        resource_id=delivery.id,
        state_code=subscription.state_code,
    )
    return delivery


def ping(
    db: Session, who: Principal, subscription: WebhookSubscription, settings: Settings
) -> WebhookDelivery:
    """A `webhook.test` event of its own (a fresh `webhook-id`), queued like any other."""
    _must_be_active(subscription)
    now = utcnow()
    body = {
        "type": TEST_EVENT,
        "timestamp": now.isoformat().replace("+00:00", "Z"),
        "data": {
            "id": str(subscription.id),
            "resource_type": RESOURCE,
            "state_code": subscription.state_code,
            "version": subscription.version,
            "url": f"{settings.public_url.rstrip('/')}{API_PREFIX}/webhook-subscriptions/"
            f"{subscription.id}",
        },
    }
    delivery = queue_delivery(
        db, subscription, event_id=uuid.uuid4(), event_type=TEST_EVENT, body=body
    )
    db.flush()
    _record(db, who, "test", subscription)
    return delivery


def _must_be_active(subscription: WebhookSubscription) -> None:
    if subscription.status is SubscriptionStatus.disabled:
        raise Conflict(
            "the subscription is disabled; set its status to active first "
            f"(disabled: {subscription.disabled_reason})"
        )
