import datetime as dt
import uuid
from typing import Annotated, Self

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    Field,
    StringConstraints,
    UrlConstraints,
    model_validator,
)

from app.core.pagination import Page
from app.core.schemas import JsonDate, JsonNumber, Strict
from app.lifecycle.visibility import Stage, Visibility
from app.progress.models import ImplementationStatus

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Paragraph = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
MAX_RECOMMENDATIONS = 1000


class Evidence(Strict):
    title: Line
    url: Annotated[
        AnyHttpUrl,
        UrlConstraints(max_length=2083),
        Field(description="A link the State publishes; never fetched by us"),
    ]


class Indicator(Strict):
    name: Line
    value: Annotated[JsonNumber, Field(allow_inf_nan=False)]
    unit: Line | None = None
    date: JsonDate | None = None
    disaggregation: Annotated[
        dict[
            Annotated[str, StringConstraints(max_length=50)],
            Annotated[str, StringConstraints(max_length=100)],
        ],
        Field(max_length=10, description='e.g. {"sex": "female", "age": "15-24"}'),
    ] = {}


class ReportFields(Strict):
    """Every field optional: the shape of PATCH and of a new revision."""

    recommendation_ids: Annotated[list[uuid.UUID], Field(max_length=MAX_RECOMMENDATIONS)] | None = (
        None
    )
    cluster_id: uuid.UUID | None = None
    period_start: JsonDate | None = None
    period_end: JsonDate | None = None
    status: ImplementationStatus | None = None
    summary: Annotated[str, Field(max_length=20_000)] | None = None
    measures: Annotated[list[Paragraph], Field(max_length=100)] | None = None
    evidence: Annotated[list[Evidence], Field(max_length=100)] | None = None
    indicators: Annotated[list[Indicator], Field(max_length=200)] | None = None
    responsible_entities: Annotated[list[Line], Field(max_length=50)] | None = None

    @model_validator(mode="after")
    def _period_in_order(self) -> Self:
        if self.period_start and self.period_end and self.period_start > self.period_end:
            raise ValueError("period_start must not be after period_end")
        return self


class ReportCreate(ReportFields):
    recommendation_ids: Annotated[list[uuid.UUID], Field(max_length=MAX_RECOMMENDATIONS)] = []
    period_start: JsonDate
    period_end: JsonDate
    status: ImplementationStatus
    summary: Annotated[str, Field(max_length=20_000)] = ""
    measures: Annotated[list[Paragraph], Field(max_length=100)] = []
    evidence: Annotated[list[Evidence], Field(max_length=100)] = []
    indicators: Annotated[list[Indicator], Field(max_length=200)] = []
    responsible_entities: Annotated[list[Line], Field(max_length=50)] = []

    @model_validator(mode="after")
    def _names_what_it_reports_on(self) -> Self:
        if not self.recommendation_ids and self.cluster_id is None:
            raise ValueError("give recommendation_ids, a cluster_id, or both")
        return self


class ReportUpdate(ReportFields):
    nullable = frozenset({"cluster_id"})


Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]


class RevisionFields(ReportFields):
    """A correction: any field of the report, and why it corrects the last revision."""

    nullable = frozenset({"cluster_id"})
    reason: Reason | None = Field(default=None, description="Why this corrects the last revision")


class RevisionCreate(RevisionFields):
    pass


class ReportContent(BaseModel):
    recommendation_ids: list[uuid.UUID]
    cluster_id: uuid.UUID | None
    period_start: dt.date
    period_end: dt.date
    status: ImplementationStatus
    summary: str
    measures: list[str]
    evidence: list[Evidence]
    indicators: list[Indicator]
    responsible_entities: list[str]


class ReportRead(ReportContent):
    id: uuid.UUID
    state_code: str
    stage: Stage
    visibility: Visibility
    revision: int = Field(description="The number of the revision shown")
    pending_revision: int | None = Field(
        description="A correction being drafted (the State's own view only)"
    )
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_at: dt.datetime | None
    submitted_by_id: uuid.UUID | None
    published_at: dt.datetime | None


class ReportPage(Page[ReportRead]):
    pass


class RevisionRead(ReportContent):
    report_id: uuid.UUID
    number: int
    stage: Stage
    reason: str | None = Field(description="Why this revision corrects the last one")
    created_at: dt.datetime
    created_by_id: uuid.UUID | None
    submitted_at: dt.datetime | None
    submitted_by_id: uuid.UUID | None


class RevisionPage(Page[RevisionRead]):
    pass


MAX_BATCH = 500


class ReportBatch(Strict):
    items: Annotated[list[ReportCreate], Field(min_length=1, max_length=MAX_BATCH)]


class ReportBatchResult(BaseModel):
    items: list[ReportRead]
