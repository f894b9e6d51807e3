"""Calling the subscription API, and reading what the worker left in the database."""

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core.principal import Role
from app.core.settings import Settings
from app.jobs.models import Job
from app.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.factories import auth, make_user

SUBSCRIPTIONS = "/api/v1/webhook-subscriptions"
Headers = dict[str, str]
Json = dict[str, Any]

REPORT_EVENTS = [
    "progress_report.created",
    "progress_report.submitted",
    "progress_report.published",
]


def caller(db: Session, settings: Settings, role: Role, state: str = "WSM") -> Headers:
    return auth(settings, make_user(db, role=role, state=state))


def subscribe(
    client: TestClient,
    headers: Headers,
    url: str,
    event_types: list[str] | None = None,
    **extra: Any,
) -> Json:
    """A subscription, as its 201 answer shows it (with the secret)."""
    body = {"url": url, "event_types": event_types or REPORT_EVENTS, **extra}
    response = client.post(SUBSCRIPTIONS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created


def deliveries(db: Session, subscription_id: object | None = None) -> list[WebhookDelivery]:
    """Oldest first, as stored now."""
    db.expire_all()
    statement = select(WebhookDelivery).order_by(
        col(WebhookDelivery.created_at), col(WebhookDelivery.id)
    )
    if subscription_id is not None:
        statement = statement.where(
            col(WebhookDelivery.subscription_id) == uuid.UUID(str(subscription_id))
        )
    return list(db.exec(statement).all())


def subscription(db: Session, subscription_id: object) -> WebhookSubscription:
    db.expire_all()
    found = db.get(WebhookSubscription, uuid.UUID(str(subscription_id)))
    assert found is not None
    return found


def job_of(db: Session, delivery: WebhookDelivery) -> Job:
    db.expire_all()
    job = db.get(Job, delivery.job_id)
    assert job is not None
    return job
