import datetime as dt
import uuid

from pydantic import BaseModel


class OverdueRequest(BaseModel):
    """What `assistance_request.overdue` records (OHCHR's alone): the request, the stage it
    waits at and since when, and the service target it passed."""

    id: uuid.UUID
    state_code: str
    title: str
    stage: str
    stage_entered_at: dt.datetime
    service_target_working_days: int
    assigned_officer_id: uuid.UUID | None
