import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from app.core.pagination import Page
from app.jobs.models import JobStatus


class JobRead(BaseModel):
    """A background job: what it does (`kind`, and the object it works on), where it stands,
    and how its attempts went."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    status: JobStatus
    subject_type: str | None
    subject_id: str | None
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    run_at: datetime
    locked_by: str | None
    locked_until: datetime | None
    last_error: str | None
    created_by_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobPage(Page[JobRead]):
    pass
