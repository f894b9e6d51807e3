import datetime as dt
import uuid
from typing import Annotated, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from app.core.pagination import Page
from app.core.schemas import JsonDate, Strict

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class DeadlineCreate(Strict):
    """What the State means to report on (one recommendation of its own, or one of its
    clusters) and by when."""

    recommendation_id: uuid.UUID | None = None
    cluster_id: uuid.UUID | None = None
    due_on: JsonDate
    note: Note | None = None

    @model_validator(mode="after")
    def _names_one_subject(self) -> Self:
        if (self.recommendation_id is None) == (self.cluster_id is None):
            raise ValueError("give exactly one of recommendation_id and cluster_id")
        return self


class DeadlineUpdate(Strict):
    """A new date or note; what the deadline is about never changes (delete it and set another)."""

    nullable = frozenset({"note"})
    due_on: JsonDate | None = None
    note: Note | None = None


class DeadlineRead(BaseModel):
    id: uuid.UUID
    state_code: str
    recommendation_id: uuid.UUID | None
    cluster_id: uuid.UUID | None
    due_on: dt.date
    note: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by_id: uuid.UUID | None = Field(description="The account that set it")


class DeadlinePage(Page[DeadlineRead]):
    pass
