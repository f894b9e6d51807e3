"""The expertise roster: who can help, with what, where, in which languages, and when; and the
assignments offered to each provider, which use up its capacity."""

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, Index, Text
from sqlmodel import Field

from app.core.models import JSONType, UTCDateTime, Versioned, enum_type, new_id


class ProviderKind(StrEnum):
    human_rights_adviser = "human_rights_adviser"
    regional_gender_adviser = "regional_gender_adviser"
    surge_economist = "surge_economist"
    capacity_building_officer = "capacity_building_officer"
    peace_and_development_adviser = "peace_and_development_adviser"
    data_specialist = "data_specialist"
    un_agency = "un_agency"
    nhri_network = "nhri_network"
    parliamentary_partner = "parliamentary_partner"
    peer_state = "peer_state"
    consultant = "consultant"


class Provider(Versioned, table=True):
    __tablename__ = "providers"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=200)
    kind: ProviderKind = Field(sa_type=enum_type(ProviderKind, 40), index=True)
    organization: str = Field(default="", max_length=200)
    assistance_types: list[str] = Field(default_factory=list, sa_type=JSONType)
    themes: list[str] = Field(default_factory=list, sa_type=JSONType)
    sdg_targets: list[str] = Field(default_factory=list, sa_type=JSONType)
    languages: list[str] = Field(default_factory=list, sa_type=JSONType)
    states_covered: list[str] = Field(default_factory=list, sa_type=JSONType)
    regions_covered: list[str] = Field(default_factory=list, sa_type=JSONType)
    duty_station: str = Field(default="", max_length=200)
    home_state_code: str | None = Field(default=None, max_length=3, foreign_key="states.code")
    modalities: list[str] = Field(default_factory=list, sa_type=JSONType)
    capacity: int = Field(default=1)
    availability: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    is_active: bool = Field(default=True)
    notes: str = Field(default="", sa_type=Text)


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
    __table_args__ = (
        Index("ix_assignments_provider_status", "provider_id", "status"),
        Index("ix_assignments_status_respond_by", "status", "respond_by"),
    )

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
    respond_by: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    """The provider's answer is due by then; past it, a proposed offer is overdue."""
    overdue_announced_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    recorded_by_id: uuid.UUID | None = Field(default=None)
    """The officer who recorded the answer of a provider without an account."""
    response_note: str | None = Field(default=None, sa_type=Text)
    """How that answer was received (the officer's note)."""
