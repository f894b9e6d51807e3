import uuid
from typing import Annotated

from fastapi import Depends, Request, Response
from pydantic import BaseModel

from app.core.concurrency import IfMatch, set_etag
from app.core.deps import AppSettings, DbSession
from app.core.guards import require
from app.core.idempotency import IdempotencyKey, create_once, created_response, fingerprint
from app.core.openapi import conflict
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.core.principal import Principal, Role
from app.core.routing import api_router
from app.webhooks import service
from app.webhooks.models import WebhookDelivery, WebhookSubscription
from app.webhooks.schemas import (
    WebhookDeliveryPage,
    WebhookDeliveryRead,
    WebhookSubscriptionCreate,
    WebhookSubscriptionCreated,
    WebhookSubscriptionPage,
    WebhookSubscriptionRead,
    WebhookSubscriptionUpdate,
)

router = api_router("/webhook-subscriptions", tags=["webhooks"])

Subscriber = Annotated[Principal, Depends(require(Role.ohchr_admin, Role.state_focal_point))]


def _subscription(
    subscription: WebhookSubscription, response: Response | None = None
) -> WebhookSubscriptionRead:
    if response is not None:
        set_etag(response, subscription.version)
    return WebhookSubscriptionRead.model_validate(subscription)


def _delivery(delivery: WebhookDelivery) -> WebhookDeliveryRead:
    return WebhookDeliveryRead.model_validate(delivery)


def _delivery_path(request: Request, delivery: WebhookDelivery) -> str:
    prefix = request.url.path.split("/webhook-subscriptions/", 1)[0]
    return f"{prefix}/webhook-subscriptions/{delivery.subscription_id}/deliveries/{delivery.id}"


@router.post(
    "",
    response_model=WebhookSubscriptionCreated,
    status_code=201,
    operation_id="create_webhook_subscription",
)
def create_webhook_subscription(
    who: Subscriber,
    db: DbSession,
    settings: AppSettings,
    body: WebhookSubscriptionCreate,
    request: Request,
    key: IdempotencyKey = None,
) -> Response:
    """Register a receiver of events. Administrators: for a portal (`public`) or an OHCHR
    system (`ohchr`); a focal point: for its own State's systems. The secret is shown only here.
    A URL that is malformed, holds credentials, is not https in production or names a private,
    loopback or link-local address is 422 with the reason."""

    def create() -> tuple[BaseModel, str]:
        created = service.create_subscription(db, who, body, settings)
        return created, f"{request.url.path}/{created.id}"

    return create_once(
        db,
        owner=who.subject,
        key=key,
        request_fingerprint=fingerprint("POST", request.url.path, body),
        create=create,
        never_replayed=frozenset({"secret"}),
    )


@router.get("", response_model=WebhookSubscriptionPage, operation_id="list_webhook_subscriptions")
def list_webhook_subscriptions(
    who: Subscriber,
    db: DbSession,
    settings: AppSettings,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> WebhookSubscriptionPage:
    """Administrators: every subscription. A focal point: its own State's."""
    subscriptions, next_cursor = service.list_subscriptions(
        db, who, limit=limit, cursor=cursor, settings=settings
    )
    return WebhookSubscriptionPage(
        items=[_subscription(s) for s in subscriptions], next_cursor=next_cursor
    )


@router.get(
    "/{subscription_id}",
    response_model=WebhookSubscriptionRead,
    operation_id="get_webhook_subscription",
)
def get_webhook_subscription(
    who: Subscriber, db: DbSession, subscription_id: uuid.UUID, response: Response
) -> WebhookSubscriptionRead:
    return _subscription(service.get_subscription(db, who, subscription_id), response)


@router.patch(
    "/{subscription_id}",
    response_model=WebhookSubscriptionRead,
    operation_id="update_webhook_subscription",
)
def update_webhook_subscription(
    who: Subscriber,
    db: DbSession,
    settings: AppSettings,
    subscription_id: uuid.UUID,
    body: WebhookSubscriptionUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> WebhookSubscriptionRead:
    """Change the URL, the event types or the description, or the status (`active` again
    clears why it was disabled). `If-Match` required."""
    subscription = service.get_subscription(db, who, subscription_id)
    updated = service.update_subscription(db, who, subscription, body, if_match, settings)
    return _subscription(updated, response)


@router.delete("/{subscription_id}", status_code=204, operation_id="delete_webhook_subscription")
def delete_webhook_subscription(
    who: Subscriber, db: DbSession, subscription_id: uuid.UUID, if_match: IfMatch = None
) -> Response:
    """Delete the subscription and its deliveries. `If-Match` required."""
    subscription = service.get_subscription(db, who, subscription_id)
    service.delete_subscription(db, who, subscription, if_match)
    return Response(status_code=204)


@router.get(
    "/{subscription_id}/deliveries",
    response_model=WebhookDeliveryPage,
    operation_id="list_webhook_deliveries",
)
def list_webhook_deliveries(
    who: Subscriber,
    db: DbSession,
    settings: AppSettings,
    subscription_id: uuid.UUID,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> WebhookDeliveryPage:
    """Every event sent to the subscription, newest first, with each attempt's status code,
    duration and error, and when it is tried next."""
    subscription = service.get_subscription(db, who, subscription_id)
    deliveries, next_cursor = service.list_deliveries(
        db, subscription, limit=limit, cursor=cursor, settings=settings
    )
    return WebhookDeliveryPage(items=[_delivery(d) for d in deliveries], next_cursor=next_cursor)


@router.get(
    "/{subscription_id}/deliveries/{delivery_id}",
    response_model=WebhookDeliveryRead,
    operation_id="get_webhook_delivery",
)
def get_webhook_delivery(
    who: Subscriber, db: DbSession, subscription_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDeliveryRead:
    subscription = service.get_subscription(db, who, subscription_id)
    return _delivery(service.get_delivery(db, subscription, delivery_id))


@router.post(
    "/{subscription_id}/deliveries/{delivery_id}/retry",
    response_model=WebhookDeliveryRead,
    status_code=202,
    operation_id="retry_webhook_delivery",
    responses=conflict("The delivery is pending already, or the subscription is disabled"),
)
def retry_webhook_delivery(
    who: Subscriber,
    db: DbSession,
    subscription_id: uuid.UUID,
    delivery_id: uuid.UUID,
    request: Request,
) -> Response:
    """Send the event again now (the same `webhook-id`), with a fresh set of attempts."""
    subscription = service.get_subscription(db, who, subscription_id)
    delivery = service.get_delivery(db, subscription, delivery_id)
    retried = service.retry_delivery(db, who, subscription, delivery)
    return created_response(_delivery(retried), _delivery_path(request, retried), 202)


@router.post(
    "/{subscription_id}/test",
    response_model=WebhookDeliveryRead,
    status_code=202,
    operation_id="ping_webhook_subscription",
    responses=conflict("The subscription is disabled"),
)
def ping_webhook_subscription(
    who: Subscriber,
    db: DbSession,
    settings: AppSettings,
    subscription_id: uuid.UUID,
    request: Request,
    key: IdempotencyKey = None,
) -> Response:
    """Queue a ping (`webhook.test`) to the subscription; read its delivery to see how it went."""
    subscription = service.get_subscription(db, who, subscription_id)

    def create() -> tuple[BaseModel, str]:
        delivery = service.ping(db, who, subscription, settings)
        return _delivery(delivery), _delivery_path(request, delivery)

    return create_once(
        db,
        owner=who.subject,
        key=key,
        request_fingerprint=fingerprint("POST", request.url.path, None),
        create=create,
        status_code=202,
    )
