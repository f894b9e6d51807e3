"""The one announcement of every change: its audit event and its outbox event, written in the
change's own transaction with the same typed event, so both land together or not at all."""

from pydantic import BaseModel
from sqlmodel import Session

from app.audit.service import record
from app.core.principal import Principal
from app.events.outbox import emit
from app.events.types import EventType, Visibility


def announce(
    db: Session,
    who: Principal | None,
    event: EventType,
    *,
    resource_id: object,
    state_code: str | None,
    version: int | None,
    visibility: Visibility,
    shown: BaseModel | None,
    before: BaseModel | None = None,
) -> None:
    """Record and queue `event`.

    `shown` is the object after the change as `visibility` may see it (None once deleted, when
    the event carries the object as it was). `state_code=None` keeps the event to OHCHR: the
    State's focal point does not read it in the audit log, and no State is told of it.
    `visibility` `state` marks the audit record as the State's private draft work.
    """
    after = shown.model_dump(mode="json") if shown is not None else None
    earlier = before.model_dump(mode="json") if before is not None else None
    record(
        db,
        who,
        event.value,
        resource_type=event.resource,
        resource_id=resource_id,
        state_code=state_code,
        before=earlier,
        after=after,
        state_private=visibility is Visibility.state,
    )
    emit(
        db,
        event,
        resource_id=resource_id,
        state_code=state_code,
        version=version,
        visibility=visibility,
        payload=after if after is not None else earlier or {},
    )
