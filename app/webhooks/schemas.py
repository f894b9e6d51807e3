import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.core.pagination import Page
from app.core.schemas import Strict
from app.events.types import EventType, Visibility
from app.webhooks.models import DeliveryStatus, SubscriptionStatus

MAX_EVENT_TYPES = 100

Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
EventTypes = Annotated[
    list[EventType],
    Field(
        min_length=1,
        max_length=MAX_EVENT_TYPES,
        description="The event types to receive (`progress_report.published`, ...), each once. "
        "A test ping (`webhook.test`) is always sent.",
    ),
]


def _unique(types: list[EventType] | None) -> list[EventType] | None:
    if types is not None and len(set(types)) != len(types):
        repeated = sorted({t.value for t in types if types.count(t) > 1})
        raise ValueError(f"event types listed more than once: {', '.join(repeated)}")
    return types


class WebhookSubscriptionCreate(Strict):
    url: Url = Field(
        description="Where deliveries are POSTed: https (http too outside production), no "
        "credentials, not a private, loopback or link-local address"
    )
    event_types: EventTypes
    description: Description | None = None
    audience: Visibility | None = Field(
        default=None,
        description="What the receiver may be told. Administrators: `public` (default; a "
        "portal) or `ohchr` (an OHCHR system). A focal point's subscription is always `state`, "
        "its own State's systems.",
    )

    _unique_types = field_validator("event_types")(_unique)


class WebhookSubscriptionUpdate(Strict):
    nullable = frozenset({"description"})

    url: Url | None = None
    event_types: EventTypes | None = None
    description: Description | None = None
    status: SubscriptionStatus | None = Field(
        default=None,
        description="`active` again after it was disabled (clears the reason), or `disabled`",
    )

    _unique_types = field_validator("event_types")(_unique)


class WebhookSubscriptionRead(BaseModel):
    """A receiver of events. The secret is shown once, when it is created."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    event_types: list[str]
    description: str | None
    audience: Visibility
    state_code: str | None
    status: SubscriptionStatus
    disabled_reason: str | None = Field(description="Why it was disabled, when it is")
    disabled_at: datetime | None
    failing_since: datetime | None = Field(
        description="Since when every delivery has failed; it is disabled after "
        "WEBHOOK_DISABLE_AFTER_DAYS of it"
    )
    version: int
    created_at: datetime
    updated_at: datetime


class WebhookSubscriptionCreated(WebhookSubscriptionRead):
    secret: str | None = Field(
        default=None,
        description="`whsec_...`: verify deliveries with it (Standard Webhooks). Shown once, "
        "in this response only; a replay of the request (the same `Idempotency-Key`) answers "
        "without it.",
    )


class WebhookSubscriptionPage(Page[WebhookSubscriptionRead]):
    pass


class DeliveryAttempt(BaseModel):
    at: datetime
    response_status: int | None
    duration_ms: float | None
    error: str | None


class WebhookDeliveryRead(BaseModel):
    """One event sent to one subscription, however many attempts it takes (one `webhook-id`,
    the `event_id`)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: DeliveryStatus
    attempts: int
    last_response_status: int | None
    last_duration_ms: float | None
    last_error: str | None
    next_attempt_at: datetime | None = Field(description="When it is tried again, if it is")
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[DeliveryAttempt] = Field(description="Every attempt, oldest first")

    @field_validator("attempt_log", mode="before")
    @classmethod
    def _as_stored(cls, value: Any) -> Any:
        return value or []


class WebhookDeliveryPage(Page[WebhookDeliveryRead]):
    pass
