import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel

from app.core.deps import AppSettings, DbSession
from app.core.guards import Anyone
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.core.routing import api_router
from app.events.types import EventType, Visibility
from app.webhooks.audience import Audience
from app.webhooks.feed import read_feed

router = api_router("/events", tags=["events"])


class EventData(BaseModel):
    id: str
    resource_type: str
    state_code: str | None
    version: int | None
    url: str | None
    visibility: Visibility


class EventRead(BaseModel):
    id: uuid.UUID
    type: str
    timestamp: datetime
    data: EventData


class EventPage(BaseModel):
    items: list[EventRead]
    next_cursor: str


@router.get("", response_model=EventPage, operation_id="list_events")
def list_events(
    who: Anyone,
    db: DbSession,
    settings: AppSettings,
    type: Annotated[
        list[EventType] | None,
        Query(max_length=50, description="Only these event types (repeat the parameter)"),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Any:
    """Every event the caller may see, in commit order: anonymous callers (and providers) the
    public ones, a State's accounts their own State's too, OHCHR what OHCHR may see. The same
    thin events webhooks deliver, without the objects' content: read each object at its `url`.

    `next_cursor` is never null: keep it and poll again with it to receive only what came
    after, never an event twice and never one missed."""
    items, next_cursor = read_feed(
        db,
        Audience.of(who),
        cursor=cursor,
        limit=limit,
        types=[t.value for t in type or ()],
        settings=settings,
    )
    return {"items": items, "next_cursor": next_cursor}
