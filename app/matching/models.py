"""The matching runs that propose assignments (the assignments are the roster's: app.expertise)."""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Float, Text
from sqlmodel import Field, SQLModel

from app.core.models import JSONType, UTCDateTime, new_id, utcnow


class MatchingRun(SQLModel, table=True):
    """A proposal, kept for the record: nothing is assigned until an officer offers it. Runs
    as a job: `queued`, `running`, then `succeeded` (with its proposals) or `failed`."""

    __tablename__ = "matching_runs"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    status: str = Field(default="succeeded", max_length=16)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by_id: uuid.UUID | None = Field(default=None)
    # The requests the officer asked about (None: every accepted, unassigned request).
    requested_ids: list[str] | None = Field(default=None, sa_type=JSONType)
    started_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, sa_type=Text)
    total_score: float = Field(default=0.0, sa_type=Float)
    proposals: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    # `[{"request_id", "reasons": [text]}]`; runs before the reasons: bare request ids.
    unmatched: list[Any] = Field(default_factory=list, sa_type=JSONType)
    request_ids: list[str] = Field(default_factory=list, sa_type=JSONType)
