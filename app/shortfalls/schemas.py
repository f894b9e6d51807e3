import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, Field

from app.core.pagination import Page
from app.core.schemas import JsonDate, Strict
from app.lifecycle.schemas import VerbBody
from app.lifecycle.visibility import Stage, Visibility
from app.shortfalls.models import Severity
from app.taxonomies.vocabularies import BarrierType

Description = Annotated[str, Field(min_length=1, max_length=20_000)]
RecommendationIds = Annotated[list[uuid.UUID], Field(min_length=1, max_length=1000)]


class ShortfallCreate(Strict):
    recommendation_ids: RecommendationIds
    barrier_type: BarrierType
    severity: Severity
    description: Description


class ShortfallUpdate(Strict):
    nullable = frozenset[str]()
    recommendation_ids: RecommendationIds | None = None
    barrier_type: BarrierType | None = None
    severity: Severity | None = None
    description: Description | None = None


class ShortfallResolve(VerbBody):
    """The verb body of `resolve`, with the day the shortfall was overcome."""

    resolved_on: JsonDate


class ShortfallRead(BaseModel):
    id: uuid.UUID
    state_code: str
    recommendation_ids: list[uuid.UUID]
    barrier_type: BarrierType
    severity: Severity
    description: str
    resolved_on: dt.date | None
    stage: Stage
    visibility: Visibility
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_at: dt.datetime | None
    submitted_by_id: uuid.UUID | None
    published_at: dt.datetime | None


class ShortfallPage(Page[ShortfallRead]):
    pass
