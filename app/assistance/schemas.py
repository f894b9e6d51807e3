import datetime as dt
import uuid
from typing import Annotated, Self

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from app.assistance.models import RequestStage, Urgency
from app.assistance.priority import Priority
from app.core.pagination import Page
from app.core.schemas import JsonBool, JsonDate, JsonNumber, LanguageCode, Strict
from app.events.types import Visibility
from app.taxonomies.vocabularies import AssistanceType, Modality

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Term = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Usd = Annotated[JsonNumber, Field(ge=0, le=1_000_000_000)]
Ids = Annotated[list[uuid.UUID], Field(max_length=500)]


class RequestFields(Strict):
    """Every field optional: the shape of PATCH. Officers set only `assigned_officer_id` and
    `internal_notes`; States only the rest."""

    title: Title | None = None
    recommendation_ids: Ids | None = None
    shortfall_ids: Ids | None = None
    assistance_type: AssistanceType | None = None
    themes: Annotated[list[Term], Field(max_length=50)] | None = None
    sdg_targets: Annotated[list[Term], Field(max_length=50)] | None = None
    languages: Annotated[list[LanguageCode], Field(max_length=10)] | None = None
    modality: Modality | None = None
    window_start: JsonDate | None = None
    window_end: JsonDate | None = None
    budget_estimate_usd: Usd | None = None
    co_funding_usd: Usd | None = None
    urgency: Urgency | None = None
    justification: Annotated[str, Field(max_length=20_000)] | None = None
    assigned_officer_id: uuid.UUID | None = None
    internal_notes: Annotated[str, Field(max_length=20_000)] | None = None

    @model_validator(mode="after")
    def _window_in_order(self) -> Self:
        if self.window_start and self.window_end and self.window_start > self.window_end:
            raise ValueError("window_start must not be after window_end")
        return self


class RequestCreate(Strict):
    title: Title
    recommendation_ids: Ids = []
    shortfall_ids: Ids = []
    assistance_type: AssistanceType
    themes: Annotated[list[Term], Field(max_length=50)] = []
    sdg_targets: Annotated[list[Term], Field(max_length=50)] = []
    languages: Annotated[list[LanguageCode], Field(min_length=1, max_length=10)]
    modality: Modality
    window_start: JsonDate
    window_end: JsonDate
    budget_estimate_usd: Usd | None = None
    co_funding_usd: Usd | None = None
    urgency: Urgency
    justification: Annotated[str, Field(max_length=20_000)] = ""

    @model_validator(mode="after")
    def _window_in_order(self) -> Self:
        if self.window_start > self.window_end:
            raise ValueError("window_start must not be after window_end")
        return self

    @field_validator("languages")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class AssignedProvider(BaseModel):
    """Who serves the request: the provider that accepted OHCHR's offer (never OHCHR's notes)."""

    name: str
    kind: str


class RequestView(BaseModel):
    """What the requesting State (and a published request's readers) see."""

    id: uuid.UUID
    state_code: str
    title: str
    recommendation_ids: list[uuid.UUID]
    shortfall_ids: list[uuid.UUID]
    assistance_type: AssistanceType
    themes: list[str]
    sdg_targets: list[str]
    languages: list[str]
    modality: Modality
    window_start: dt.date
    window_end: dt.date
    budget_estimate_usd: float | None
    co_funding_usd: float | None
    urgency: Urgency
    justification: str
    stage: RequestStage
    stage_entered_at: dt.datetime
    visibility: Visibility
    published: bool = Field(description="`visibility` is `public`: the State invites partners")
    published_at: dt.datetime | None
    decline_reason: str | None
    submitted_at: dt.datetime | None
    assigned_provider: AssignedProvider | None = Field(
        default=None,
        description="The provider that accepted the offer; to the requesting State and OHCHR, "
        "null before",
    )
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class OfficerRequestView(RequestView):
    """OHCHR's view: the State's, plus what only officers see."""

    priority: Priority
    overdue: bool
    assigned_officer_id: uuid.UUID | None
    internal_notes: str


AnyRequestView = OfficerRequestView | RequestView


class RequestPage(BaseModel):
    items: list[AnyRequestView]
    next_cursor: str | None


class MessageCreate(Strict):
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
    internal: JsonBool = False


class MessageRead(BaseModel):
    id: uuid.UUID
    request_id: uuid.UUID
    author_id: uuid.UUID | None
    author_role: str
    body: str
    internal: bool
    created_at: dt.datetime


class MessagePage(Page[MessageRead]):
    pass


class TransitionRead(BaseModel):
    verb: str
    from_stage: str
    to_stage: str
    actor_id: uuid.UUID | None
    actor_role: str
    at: dt.datetime
    note: str | None


class TransitionList(BaseModel):
    items: list[TransitionRead]
    next_cursor: str | None = None
