"""Webhook subscriptions and the deliveries of events to them."""

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import JSONType, UTCDateTime, Versioned, enum_type, new_id, utcnow
from app.events.types import Visibility


class SubscriptionStatus(StrEnum):
    active = "active"
    disabled = "disabled"


class WebhookSubscription(Versioned, table=True):
    """A receiver of events. `audience` is what it may be told: `public` (a portal),
    `ohchr` (an OHCHR system; both registered by an administrator) or `state` (one State's
    systems, registered by its focal point, `state_code` set)."""

    __tablename__ = "webhook_subscriptions"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    audience: Visibility = Field(sa_type=enum_type(Visibility, 16))
    state_code: str | None = Field(
        default=None, max_length=3, foreign_key="states.code", index=True
    )
    url: str = Field(max_length=2000)
    event_types: list[str] = Field(default_factory=list, sa_type=JSONType)
    description: str | None = Field(default=None, max_length=500)
    secret: str = Field(max_length=100)
    status: SubscriptionStatus = Field(
        default=SubscriptionStatus.active, sa_type=enum_type(SubscriptionStatus, 16)
    )
    disabled_reason: str | None = Field(default=None, sa_type=Text)
    disabled_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Since when every delivery has failed (None while the receiver answers); disabled after
    # WEBHOOK_DISABLE_AFTER_DAYS of it.
    failing_since: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by_id: uuid.UUID | None = Field(default=None)


class DeliveryStatus(StrEnum):
    """`pending` (not yet answered with a 2xx; retried on schedule), `succeeded`, or `failed`
    (every attempt failed, or the subscription was disabled; may be retried by hand)."""

    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"


class WebhookDelivery(SQLModel, table=True):
    """One event to one subscription, however many attempts it takes: one `webhook-id`."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("subscription_id", "event_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    subscription_id: uuid.UUID = Field(
        foreign_key="webhook_subscriptions.id", index=True, ondelete="CASCADE"
    )
    event_id: uuid.UUID
    event_type: str = Field(max_length=80)
    body: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    status: DeliveryStatus = Field(
        default=DeliveryStatus.pending, sa_type=enum_type(DeliveryStatus, 16)
    )
    attempts: int = 0
    last_response_status: int | None = None
    last_duration_ms: float | None = Field(default=None, sa_type=Float)
    last_error: str | None = Field(default=None, sa_type=Text)
    next_attempt_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Every attempt: `{"at", "response_status", "duration_ms", "error"}`.
    attempt_log: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    job_id: uuid.UUID | None = Field(default=None)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
