"""The change feed: the same thin events as webhooks, in commit order, for those who poll.

An event joins the feed when the dispatcher gives it its `position` (app/webhooks/dispatch.py),
one holder at a time and only once it is committed, so positions grow in commit order and a
poller reading past its cursor never skips an event that committed late. Every position up to
the highest one given is final, which is what makes `next_cursor` safe to keep.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.core.pagination import issue_cursor, non_negative_int, read_cursor
from app.core.settings import Settings
from app.events.models import OutboxEvent
from app.webhooks.audience import Audience, thin_event

LIST_NAME = "list_events"
SORT = "position"


def read_feed(
    db: Session,
    audience: Audience,
    *,
    cursor: str | None,
    limit: int,
    types: Sequence[str],
    settings: Settings,
) -> tuple[list[dict[str, Any]], str]:
    """The events `audience` may see after `cursor`, oldest first, and the cursor to poll
    with next (never None: at the end of the feed it stands at the end)."""
    after = 0 if cursor is None else _position(settings, cursor)
    head = db.exec(select(func.max(OutboxEvent.position))).one() or 0
    statement = select(OutboxEvent).where(
        col(OutboxEvent.position) > after,
        col(OutboxEvent.position) <= head,
        audience.clause(),
    )
    if types:
        statement = statement.where(col(OutboxEvent.type).in_(types))
    events = list(db.exec(statement.order_by(col(OutboxEvent.position)).limit(limit)).all())
    # A full page continues after its last event; a short one has read up to the head.
    reached = events[-1].position if len(events) == limit else head
    next_at = max(after, reached or 0)
    items = [thin_event(event, settings.public_url) for event in events]
    return items, issue_cursor(settings, LIST_NAME, SORT, [next_at])


def _position(settings: Settings, cursor: str) -> int:
    (position,) = read_cursor(settings, LIST_NAME, SORT, cursor, [non_negative_int])
    return int(position)
