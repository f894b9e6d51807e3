"""The append-only record of every change."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer
from sqlmodel import Field, SQLModel

from app.core.models import JSONType, UTCDateTime, new_id, utcnow


class AuditEvent(SQLModel, table=True):
    """Nobody edits or deletes these through the service; database triggers refuse it too."""

    __tablename__ = "audit_events"

    seq: int | None = Field(
        default=None, primary_key=True, sa_type=BigInteger().with_variant(Integer(), "sqlite")
    )
    id: uuid.UUID = Field(default_factory=new_id, unique=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_id: uuid.UUID | None = Field(default=None, index=True)
    actor_type: str = Field(max_length=16)
    action: str = Field(max_length=64)
    resource_type: str = Field(max_length=64, index=True)
    resource_id: str = Field(max_length=64, index=True)
    state_code: str | None = Field(default=None, max_length=3, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    request_id: str | None = Field(default=None, max_length=128)
    # A change to a State's draft: its content is the State's alone (OHCHR reads who and when).
    state_private: bool = Field(default=False)
