"""Open vocabularies that grow with the catalogue (themes, affected persons) and the SDGs."""

from typing import Any

from sqlalchemy import Integer
from sqlmodel import Field, SQLModel

from app.core.models import JSONType


class Theme(SQLModel, table=True):
    """One term per theme however many files mention it: matched by UHRI code, else by name."""

    __tablename__ = "themes"

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    code: str | None = Field(default=None, max_length=10, unique=True)
    name: str = Field(max_length=300)
    key: str = Field(max_length=300, unique=True)


class AffectedPerson(SQLModel, table=True):
    __tablename__ = "affected_persons"

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    name: str = Field(max_length=300)
    key: str = Field(max_length=300, unique=True)


class SdgGoal(SQLModel, table=True):
    __tablename__ = "sdg_goals"

    number: int = Field(
        primary_key=True, sa_type=Integer, sa_column_kwargs={"autoincrement": False}
    )
    short_names: dict[str, Any] = Field(sa_type=JSONType)
    titles: dict[str, Any] = Field(sa_type=JSONType)


class SdgTarget(SQLModel, table=True):
    __tablename__ = "sdg_targets"

    code: str = Field(primary_key=True, max_length=6)
    goal: int = Field(foreign_key="sdg_goals.number", index=True)
    texts: dict[str, Any] = Field(sa_type=JSONType)


def term_key(name: str) -> str:
    """How two spellings of one term are recognised as the same: case and spacing ignored."""
    return " ".join(name.split()).casefold()
