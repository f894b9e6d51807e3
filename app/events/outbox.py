from typing import Any

from sqlmodel import Session

from app.events.models import OutboxEvent
from app.events.types import EventType, Visibility


def emit(
    db: Session,
    event_type: EventType,
    *,
    resource_id: object,
    state_code: str | None,
    version: int | None,
    visibility: Visibility,
    payload: dict[str, Any],
) -> OutboxEvent:
    """Queue an event in the caller's transaction (through `app.lifecycle.announce`)."""
    event = OutboxEvent(
        type=event_type,
        resource_type=event_type.resource,
        resource_id=str(resource_id),
        state_code=state_code,
        version=version,
        visibility=visibility,
        payload=payload,
    )
    db.add(event)
    return event
