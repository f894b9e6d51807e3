import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, Field

from app.core.pagination import Page
from app.core.schemas import Strict
from app.expertise.models import AssignmentStatus


class CandidateRead(BaseModel):
    provider_id: uuid.UUID
    score: float
    reasons: dict[str, float]


class CandidateList(BaseModel):
    items: list[CandidateRead]
    next_cursor: str | None = None


class MatchingRunCreate(Strict):
    request_ids: Annotated[list[uuid.UUID], Field(max_length=20_000)] | None = None


class Proposal(BaseModel):
    request_id: uuid.UUID
    provider_id: uuid.UUID
    score: float = Field(description="request priority x candidate score")
    candidate_score: float
    priority: float


class MatchingRunRead(BaseModel):
    id: uuid.UUID
    created_at: dt.datetime
    proposals: list[Proposal]
    total_score: float
    unmatched: list[uuid.UUID]


class AssignmentCreate(Strict):
    request_id: uuid.UUID
    provider_id: uuid.UUID
    matching_run_id: uuid.UUID | None = None


class AssignmentRead(BaseModel):
    id: uuid.UUID
    request_id: uuid.UUID
    provider_id: uuid.UUID
    status: AssignmentStatus
    score: float | None
    offered_by_id: uuid.UUID | None
    matching_run_id: uuid.UUID | None
    responded_at: dt.datetime | None
    decline_reason: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class AssignmentPage(Page[AssignmentRead]):
    pass


class JointActivity(BaseModel):
    request_ids: list[uuid.UUID]
    state_codes: list[str]
    region: str
    assistance_type: str
    window_start: dt.date
    window_end: dt.date
    languages: list[str]
    provider_ids: list[uuid.UUID]


class JointActivityList(BaseModel):
    items: list[JointActivity]
    next_cursor: str | None = None
