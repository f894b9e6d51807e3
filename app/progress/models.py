"""Progress reports: a State's account of implementing recommendations, with every revision."""

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import JSONType, UTCDateTime, Versioned, enum_type, new_id, utcnow
from app.lifecycle.visibility import Publishable, Stage


class ImplementationStatus(StrEnum):
    not_started = "not_started"
    in_progress = "in_progress"
    partially_implemented = "partially_implemented"
    fully_implemented = "fully_implemented"


class ReportContentColumns(SQLModel):
    """What a State says in a report: held by each revision and, for the current one, the report."""

    cluster_id: uuid.UUID | None = Field(default=None)
    period_start: dt.date
    period_end: dt.date
    status: ImplementationStatus = Field(sa_type=enum_type(ImplementationStatus), index=True)
    summary: str = Field(default="", sa_type=Text)
    measures: list[str] = Field(default_factory=list, sa_type=JSONType)
    evidence: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    indicators: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    responsible_entities: list[str] = Field(default_factory=list, sa_type=JSONType)


class ProgressReport(ReportContentColumns, Publishable, table=True):
    """The report as others see it: its current (latest submitted) revision, or its draft."""

    __tablename__ = "progress_reports"
    __table_args__ = (
        Index("ix_progress_reports_state_created", "state_code", "created_at", "id"),
        Index("ix_progress_reports_state_stage", "state_code", "stage"),
        # The lists that span States (visibility, not one State, narrows them) in their order.
        Index("ix_progress_reports_created", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    revision: int = Field(default=1)
    pending_revision: int | None = Field(default=None)
    # The revision everyone reads while the report is public; a later correction is OHCHR's
    # until the focal point publishes it.
    published_revision: int | None = Field(default=None)


class ProgressReportRecommendation(SQLModel, table=True):
    """The recommendations of a report's current revision (for filters and the overview)."""

    __tablename__ = "progress_report_recommendations"

    report_id: uuid.UUID = Field(
        foreign_key="progress_reports.id", primary_key=True, ondelete="CASCADE"
    )
    recommendation_id: uuid.UUID = Field(
        foreign_key="recommendations.id", primary_key=True, index=True
    )


class ProgressRevision(ReportContentColumns, table=True):
    """One revision, kept for ever once submitted. Revision 1 is the original report."""

    __tablename__ = "progress_revisions"
    __table_args__ = (UniqueConstraint("report_id", "number"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    report_id: uuid.UUID = Field(foreign_key="progress_reports.id", index=True, ondelete="CASCADE")
    number: int
    stage: Stage = Field(default=Stage.draft, sa_type=enum_type(Stage))
    recommendation_ids: list[str] = Field(default_factory=list, sa_type=JSONType)
    reason: str | None = Field(default=None, sa_type=Text)
    created_by_id: uuid.UUID | None = Field(default=None)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    submitted_by_id: uuid.UUID | None = Field(default=None)


class ReportingDeadline(Versioned, table=True):
    """A date by which a State means to report on a recommendation or a cluster of them: the
    daily reminders tell it (and OHCHR) as the date nears and once it has passed unreported."""

    __tablename__ = "reporting_deadlines"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    state_code: str = Field(max_length=3, foreign_key="states.code", index=True)
    recommendation_id: uuid.UUID | None = Field(default=None, foreign_key="recommendations.id")
    cluster_id: uuid.UUID | None = Field(
        default=None, foreign_key="recommendation_clusters.id", ondelete="CASCADE"
    )
    due_on: dt.date = Field(index=True)
    note: str | None = Field(default=None, max_length=500)
    created_by_id: uuid.UUID | None = Field(default=None)
