from pydantic import BaseModel
from sqlmodel import Session

from app.events.models import OutboxEvent


def emit(
    db: Session,
    event_type: str,
    *,
    resource_type: str,
    resource_id: object,
    state_code: str | None,
    visibility: str,
    payload: BaseModel,
) -> OutboxEvent:
    """Queue an event in the caller's transaction. `visibility` says who may be told of it:
    `state` (the State only), `ohchr`, or `public` (portals and webhooks of anyone)."""
    event = OutboxEvent(
        type=event_type,
        resource_type=resource_type,
        resource_id=str(resource_id),
        state_code=state_code,
        visibility=visibility,
        payload=payload.model_dump(mode="json"),
    )
    db.add(event)
    return event
