import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.core.pagination import Page
from app.taxonomies.vocabularies import Mechanism, Position


class ThemeRef(BaseModel):
    code: str | None
    name: str
    source_label: str | None = None
    """The source's own name for the theme when it gave no code (a UPR Info issue, such as
    "Women's rights"), crosswalked to this UHRI code."""


class SourceRef(BaseModel):
    format: str
    uhri_id: str | None
    position_source: str | None
    import_id: uuid.UUID | None


class RecommendationRead(BaseModel):
    id: uuid.UUID
    state_code: str
    mechanism: Mechanism
    body: str
    cycle: int | None
    session: int | None
    document_symbol: str | None
    paragraph: str | None
    date: dt.date | None
    text: str
    position: Position | None
    action_category: int | None = None
    """UPR Info's action category: 1 minimal, 2 continuing, 3 considering, 4 general,
    5 specific action. Only UPR Info exports carry it."""
    recommending_states: list[str]
    themes: list[ThemeRef]
    affected_persons: list[str]
    sdg_targets: list[str]
    source: SourceRef
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class RecommendationPage(Page[RecommendationRead]):
    pass


ImportFormatChoice = Literal["auto", "uhri", "ohchr_matrix", "upr_info"]


class RejectedRow(BaseModel):
    row: int
    reason: str


ImportStatus = Literal["queued", "running", "succeeded", "failed"]


class ImportReport(BaseModel):
    """An import as a job: `queued`, then `running` (`rows_read` advancing on PostgreSQL; on
    SQLite the figures appear at the end), then `succeeded` or `failed` (`error` says why;
    nothing was imported). Read it again until it is done."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: ImportStatus
    format: str
    filename: str | None
    state_code: str | None
    dry_run: bool
    rows_read: int
    created: int
    updated: int
    unchanged: int
    duplicates: int
    rejected: list[RejectedRow]
    unknown_themes: list[str] = []
    """Theme names the file gave without a UHRI code that the crosswalk does not know: kept
    as uncoded themes, to be added to the crosswalk."""
    error: str | None
    created_by_id: uuid.UUID | None
    created_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None


class ImportReportPage(Page[ImportReport]):
    pass


class ImportOutcome(BaseModel):
    """How an import ended, as its announcement records it (the rejected rows counted, not
    listed: the report has them)."""

    id: uuid.UUID
    status: str
    format: str
    filename: str | None
    state_code: str | None
    dry_run: bool
    rows_read: int
    created: int
    updated: int
    unchanged: int
    duplicates: int
    rejected: int
    error: str | None


class ImportRequest(BaseModel):
    """What identifies an upload for `Idempotency-Key`: the file's digest and the options."""

    file_sha256: str
    format: ImportFormatChoice
    state: str | None
    dry_run: bool


ClusterName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
MAX_CLUSTER_SIZE = 1000


class ClusterCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ClusterName
    description: Annotated[str, Field(max_length=5000)] | None = None
    recommendation_ids: Annotated[list[uuid.UUID], Field(max_length=MAX_CLUSTER_SIZE)] = []


class ClusterUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ClusterName | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    recommendation_ids: Annotated[list[uuid.UUID], Field(max_length=MAX_CLUSTER_SIZE)] | None = None


class ClusterRead(BaseModel):
    id: uuid.UUID
    state_code: str
    name: str
    description: str | None
    recommendation_ids: list[uuid.UUID]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ClusterPage(Page[ClusterRead]):
    pass
