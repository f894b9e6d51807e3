"""The outbox: events written in the same transaction as the change they announce.

A dispatcher delivers them later (signed webhooks); a rolled-back change leaves no event.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer
from sqlmodel import Field, SQLModel

from app.core.models import JSONType, UTCDateTime, enum_type, new_id, utcnow
from app.events.types import EventType, Visibility


class OutboxEvent(SQLModel, table=True):
    __tablename__ = "outbox_events"

    seq: int | None = Field(
        default=None, primary_key=True, sa_type=BigInteger().with_variant(Integer(), "sqlite")
    )
    id: uuid.UUID = Field(default_factory=new_id, unique=True)
    type: EventType = Field(sa_type=enum_type(EventType, 80), index=True)
    resource_type: str = Field(max_length=64)
    resource_id: str = Field(max_length=64)
    state_code: str | None = Field(default=None, max_length=3)
    version: int | None = Field(default=None)
    visibility: Visibility = Field(sa_type=enum_type(Visibility, 16))
    payload: dict[str, Any] = Field(sa_type=JSONType)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Its place in the change feed, given once the event is committed, in commit order, by one
    # worker at a time (app/webhooks/dispatch.py); subscribers' deliveries are queued then.
    position: int | None = Field(
        default=None, unique=True, sa_type=BigInteger().with_variant(Integer(), "sqlite")
    )
    dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
