"""The recommendation catalogue, its import reports and States' clusters."""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Index, Integer, LargeBinary, SmallInteger, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.models import JSONType, Timestamped, UTCDateTime, Versioned, enum_type, new_id
from app.taxonomies.vocabularies import Mechanism, Position


class Recommendation(Versioned, table=True):
    __tablename__ = "recommendations"
    __table_args__ = (
        Index("ix_recommendations_created_at_id", "created_at", "id"),
        Index("ix_recommendations_document", "document_symbol", "paragraph"),
        Index("ix_recommendations_state_created_at_id", "state_code", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    source_key: str = Field(max_length=300, unique=True)
    source_format: str = Field(max_length=20)
    uhri_id: str | None = Field(default=None, max_length=64, index=True)
    state_code: str = Field(max_length=3, foreign_key="states.code", index=True)
    mechanism: Mechanism = Field(sa_type=enum_type(Mechanism), index=True)
    body: str = Field(max_length=300, index=True)
    cycle: int | None = Field(default=None, index=True)
    session: int | None = Field(default=None, index=True)
    document_symbol: str | None = Field(default=None, max_length=80)
    paragraph: str | None = Field(default=None, max_length=20)
    position_source: str | None = Field(default=None, max_length=120)
    date: dt.date | None = None
    text: str = Field(sa_type=Text)
    position: Position | None = Field(default=None, sa_type=enum_type(Position), index=True)
    action_category: int | None = Field(default=None, sa_type=SmallInteger)
    """UPR Info's action category, 1 (minimal action) to 5 (specific action); None elsewhere."""
    content_hash: str = Field(max_length=64)
    last_import_id: uuid.UUID | None = Field(default=None)


class RecommendingState(SQLModel, table=True):
    __tablename__ = "recommendation_recommending_states"

    recommendation_id: uuid.UUID = Field(
        foreign_key="recommendations.id", primary_key=True, ondelete="CASCADE"
    )
    state_code: str = Field(max_length=3, foreign_key="states.code", primary_key=True, index=True)


class RecommendationTheme(SQLModel, table=True):
    __tablename__ = "recommendation_themes"

    recommendation_id: uuid.UUID = Field(
        foreign_key="recommendations.id", primary_key=True, ondelete="CASCADE"
    )
    theme_id: int = Field(foreign_key="themes.id", primary_key=True, index=True, sa_type=Integer)
    label: str | None = Field(default=None, max_length=300)
    """The source's own name for the theme when it gave no code (a UPR Info issue)."""


class RecommendationAffectedPerson(SQLModel, table=True):
    __tablename__ = "recommendation_affected_persons"

    recommendation_id: uuid.UUID = Field(
        foreign_key="recommendations.id", primary_key=True, ondelete="CASCADE"
    )
    affected_person_id: int = Field(
        foreign_key="affected_persons.id", primary_key=True, index=True, sa_type=Integer
    )


class RecommendationSdg(SQLModel, table=True):
    """A link to a target (`16.3`) or, when the source names only the goal, to the goal (`16`)."""

    __tablename__ = "recommendation_sdgs"
    __table_args__ = (Index("ix_recommendation_sdgs_goal", "goal"),)

    recommendation_id: uuid.UUID = Field(
        foreign_key="recommendations.id", primary_key=True, ondelete="CASCADE"
    )
    code: str = Field(max_length=6, primary_key=True, index=True)
    goal: int = Field(sa_type=Integer)


class RecommendationImport(Timestamped, table=True):
    """The report of one import: kept whatever its outcome, dry runs included."""

    __tablename__ = "recommendation_imports"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    status: str = Field(max_length=16)
    format: str = Field(max_length=20)
    filename: str | None = Field(default=None, max_length=300)
    state_code: str | None = Field(default=None, max_length=3)
    dry_run: bool = False
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    unknown_themes: list[str] = Field(default_factory=list, sa_type=JSONType)
    error: str | None = Field(default=None, sa_type=Text)
    created_by_id: uuid.UUID | None = Field(default=None)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class RecommendationImportFile(SQLModel, table=True):
    """The uploaded file of a queued import, kept until it has been imported, so that any
    worker on any machine can run it (and an administrator can retry it)."""

    __tablename__ = "recommendation_import_files"

    import_id: uuid.UUID = Field(
        foreign_key="recommendation_imports.id", primary_key=True, ondelete="CASCADE"
    )
    content: bytes = Field(sa_type=LargeBinary)
    sha256: str = Field(max_length=64)


class RecommendationCluster(Versioned, table=True):
    __tablename__ = "recommendation_clusters"
    __table_args__ = (UniqueConstraint("state_code", "name"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    state_code: str = Field(max_length=3, foreign_key="states.code", index=True)
    name: str = Field(max_length=200)
    description: str | None = Field(default=None, sa_type=Text)


class ClusterMember(SQLModel, table=True):
    __tablename__ = "recommendation_cluster_members"

    cluster_id: uuid.UUID = Field(
        foreign_key="recommendation_clusters.id", primary_key=True, ondelete="CASCADE"
    )
    recommendation_id: uuid.UUID = Field(
        foreign_key="recommendations.id", primary_key=True, index=True
    )
