import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.core.pagination import Page
from app.core.schemas import Strict
from app.expertise.models import AssignmentStatus


class Explanation(BaseModel):
    factor: str
    weight: float
    value: float = Field(description="the factor's value in [0, 1]")
    contribution: float = Field(description="weight x value: its part of the score")
    text: str = Field(description="the factor in words, in the language of Accept-Language")


class CandidateRead(BaseModel):
    provider_id: uuid.UUID
    provider_name: str
    score: float
    reasons: dict[str, float]
    explanation: list[Explanation]


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
    provider_name: str | None = None
    request_title: str | None = None
    state_code: str | None = None
    explanation: list[Explanation] = Field(
        default=[], description="Why this provider: every factor, in the language asked"
    )


class UnmatchedReasons(BaseModel):
    request_id: uuid.UUID
    reasons: list[str]
    reason: str | None = Field(
        default=None,
        description="the reason as a code (`none_available_in_window`, ...; see "
        "`/analytics/assistance/gap`); none for runs made before codes were kept",
    )


RunStatus = Literal["queued", "running", "succeeded", "failed"]


class MatchingRunRead(BaseModel):
    """A run as a job: `queued`, `running`, then `succeeded` with its proposals (empty until
    then) or `failed` (`error` says why). Read it again until it is done."""

    id: uuid.UUID
    status: RunStatus
    created_at: dt.datetime
    created_by_id: uuid.UUID | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    error: str | None = None
    proposals: list[Proposal]
    total_score: float
    unmatched: list[uuid.UUID]
    unmatched_reasons: list[UnmatchedReasons]


class MatchingRunSummary(BaseModel):
    id: uuid.UUID
    status: RunStatus
    created_at: dt.datetime
    created_by_id: uuid.UUID | None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    error: str | None = None
    total_score: float
    proposal_count: int
    unmatched_count: int


class MatchingRunPage(Page[MatchingRunSummary]):
    pass


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
    respond_by: dt.datetime | None = Field(description="The provider's answer is due by then")
    overdue: bool = Field(description="Still `proposed` past `respond_by`")
    recorded_by_id: uuid.UUID | None = Field(
        description="The officer who recorded the answer of a provider without an account"
    )
    response_note: str | None = Field(description="How that officer received the answer")
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class AssignmentPage(Page[AssignmentRead]):
    pass


class JointActivity(BaseModel):
    request_ids: list[uuid.UUID]
    request_titles: list[str] = Field(description="in the order of request_ids")
    state_codes: list[str]
    region: str
    assistance_type: str
    window_start: dt.date
    window_end: dt.date
    languages: list[str]
    provider_ids: list[uuid.UUID]
    provider_names: list[str] = Field(description="in the order of provider_ids")


class JointActivityList(BaseModel):
    items: list[JointActivity]
    next_cursor: str | None = None
