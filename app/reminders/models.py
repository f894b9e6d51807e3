"""What the daily reminders already said, so that none is said twice for the same due date."""

import datetime as dt

from sqlmodel import Field, SQLModel

from app.core.models import UTCDateTime, utcnow


class ReminderSent(SQLModel, table=True):
    __tablename__ = "reminders_sent"

    # e.g. `assistance_request.overdue`, the request's id, `in_triage:2026-12-01`
    kind: str = Field(max_length=80, primary_key=True)
    subject_id: str = Field(max_length=64, primary_key=True)
    due_key: str = Field(max_length=80, primary_key=True)
    sent_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
