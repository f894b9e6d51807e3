"""Shortfalls: what a State declares it cannot yet achieve, and why."""

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from app.core.models import enum_type, new_id
from app.lifecycle.visibility import Publishable
from app.taxonomies.vocabularies import BarrierType


class Severity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class Shortfall(Publishable, table=True):
    __tablename__ = "shortfalls"
    __table_args__ = (Index("ix_shortfalls_state_created", "state_code", "created_at", "id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    barrier_type: BarrierType = Field(sa_type=enum_type(BarrierType), index=True)
    severity: Severity = Field(sa_type=enum_type(Severity))
    description: str = Field(sa_type=Text)
    resolved_on: dt.date | None = Field(default=None)


class ShortfallRecommendation(SQLModel, table=True):
    __tablename__ = "shortfall_recommendations"

    shortfall_id: uuid.UUID = Field(
        foreign_key="shortfalls.id", primary_key=True, ondelete="CASCADE"
    )
    recommendation_id: uuid.UUID = Field(
        foreign_key="recommendations.id", primary_key=True, index=True
    )
