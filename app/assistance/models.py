"""Technical assistance requests, their lifecycle history and their message threads."""

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import Index, Numeric, Text
from sqlmodel import Field, SQLModel

from app.core.models import JSONType, UTCDateTime, Versioned, enum_type, new_id, utcnow
from app.events.types import Visibility
from app.taxonomies.vocabularies import AssistanceType, Modality


class RequestStage(StrEnum):
    draft = "draft"
    submitted = "submitted"
    in_triage = "in_triage"
    info_requested = "info_requested"
    accepted = "accepted"
    declined = "declined"
    matched = "matched"
    in_delivery = "in_delivery"
    completed = "completed"
    withdrawn = "withdrawn"


class Urgency(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class AssistanceRequest(Versioned, table=True):
    __tablename__ = "assistance_requests"
    __table_args__ = (
        Index("ix_assistance_requests_state_created", "state_code", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    state_code: str = Field(max_length=3, foreign_key="states.code", index=True)
    title: str = Field(max_length=300)
    assistance_type: AssistanceType = Field(sa_type=enum_type(AssistanceType, 64), index=True)
    themes: list[str] = Field(default_factory=list, sa_type=JSONType)
    sdg_targets: list[str] = Field(default_factory=list, sa_type=JSONType)
    languages: list[str] = Field(default_factory=list, sa_type=JSONType)
    modality: Modality = Field(sa_type=enum_type(Modality))
    window_start: dt.date
    window_end: dt.date
    budget_estimate_usd: float | None = Field(default=None, sa_type=Numeric(14, 2, asdecimal=False))
    co_funding_usd: float | None = Field(default=None, sa_type=Numeric(14, 2, asdecimal=False))
    urgency: Urgency = Field(sa_type=enum_type(Urgency))
    justification: str = Field(default="", sa_type=Text)
    stage: RequestStage = Field(
        default=RequestStage.draft, sa_type=enum_type(RequestStage), index=True
    )
    stage_entered_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    visibility: Visibility = Field(
        default=Visibility.state, sa_type=enum_type(Visibility), index=True
    )
    published_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    assigned_officer_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    internal_notes: str = Field(default="", sa_type=Text)
    decline_reason: str | None = Field(default=None, sa_type=Text)
    created_by_id: uuid.UUID | None = Field(default=None)
    submitted_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class RequestRecommendation(SQLModel, table=True):
    __tablename__ = "assistance_request_recommendations"

    request_id: uuid.UUID = Field(
        foreign_key="assistance_requests.id", primary_key=True, ondelete="CASCADE"
    )
    recommendation_id: uuid.UUID = Field(
        foreign_key="recommendations.id", primary_key=True, index=True
    )


class RequestShortfall(SQLModel, table=True):
    __tablename__ = "assistance_request_shortfalls"

    request_id: uuid.UUID = Field(
        foreign_key="assistance_requests.id", primary_key=True, ondelete="CASCADE"
    )
    shortfall_id: uuid.UUID = Field(foreign_key="shortfalls.id", primary_key=True, index=True)


class RequestTransition(SQLModel, table=True):
    """Every move of a request: who, when, from where to where, and what was said."""

    __tablename__ = "assistance_request_transitions"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    request_id: uuid.UUID = Field(foreign_key="assistance_requests.id", index=True)
    verb: str = Field(max_length=32)
    from_stage: str = Field(max_length=20)
    to_stage: str = Field(max_length=20)
    actor_id: uuid.UUID | None = Field(default=None)
    actor_role: str = Field(max_length=32)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    note: str | None = Field(default=None, sa_type=Text)


class RequestMessage(SQLModel, table=True):
    __tablename__ = "assistance_request_messages"
    __table_args__ = (
        Index("ix_assistance_request_messages_thread", "request_id", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    request_id: uuid.UUID = Field(foreign_key="assistance_requests.id")
    author_id: uuid.UUID | None = Field(default=None)
    author_role: str = Field(max_length=32)
    body: str = Field(sa_type=Text)
    internal: bool = Field(default=False)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
