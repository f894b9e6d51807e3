"""Assignments of providers to requests, and the matching runs that propose them."""

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, Index
from sqlmodel import Field, SQLModel

from app.core.models import JSONType, UTCDateTime, Versioned, enum_type, new_id, utcnow


class AssignmentStatus(StrEnum):
    proposed = "proposed"
    accepted = "accepted"
    declined = "declined"
    completed = "completed"
    withdrawn = "withdrawn"


# Proposed offers reserve capacity; accepted ones consume it; the rest free it.
OCCUPYING = (AssignmentStatus.proposed, AssignmentStatus.accepted)


class Assignment(Versioned, table=True):
    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_provider_status", "provider_id", "status"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    request_id: uuid.UUID = Field(foreign_key="assistance_requests.id", index=True)
    provider_id: uuid.UUID = Field(foreign_key="providers.id")
    status: AssignmentStatus = Field(
        default=AssignmentStatus.proposed, sa_type=enum_type(AssignmentStatus), index=True
    )
    score: float | None = Field(default=None, sa_type=Float)
    offered_by_id: uuid.UUID | None = Field(default=None)
    matching_run_id: uuid.UUID | None = Field(default=None)
    responded_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    decline_reason: str | None = Field(default=None, max_length=2000)


class MatchingRun(SQLModel, table=True):
    """A proposal, kept for the record: nothing is assigned until an officer offers it."""

    __tablename__ = "matching_runs"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by_id: uuid.UUID | None = Field(default=None)
    total_score: float = Field(sa_type=Float)
    proposals: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    unmatched: list[str] = Field(default_factory=list, sa_type=JSONType)
    request_ids: list[str] = Field(default_factory=list, sa_type=JSONType)
