"""Who sees what, decided once for every kind of object a State submits (DESIGN.md section 4).

- the State sees its own objects at every stage, drafts included;
- OHCHR sees what was submitted (`visibility` `ohchr` or `public`);
- everyone, every signed-in role and anonymous callers alike, sees what was published.

The rule is a union, so being signed in never shows less than being anonymous. Another State's
unpublished object is simply not found (404, never 403). Gets, lists, overviews and search all
start from `visible()`. Changing an object is for its parties (`parties()`): a published object
is read-only to everyone else, and to them a write is not found either.
"""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, false, or_, true
from sqlmodel import Field, Session, col, select

from app.core.errors import NotFound
from app.core.models import UTCDateTime, Versioned, enum_type
from app.core.principal import Principal
from app.events.types import Visibility

__all__ = [
    "Audience",
    "Publishable",
    "Stage",
    "Visibility",
    "audience_of",
    "find",
    "parties",
    "seen_by",
    "visible",
]


M = TypeVar("M")


class Stage(StrEnum):
    draft = "draft"
    submitted = "submitted"


class Publishable(Versioned):
    """A State's object that is drafted, submitted to OHCHR and may be published."""

    state_code: str = Field(max_length=3, foreign_key="states.code", index=True)
    stage: Stage = Field(default=Stage.draft, sa_type=enum_type(Stage), index=True)
    visibility: Visibility = Field(
        default=Visibility.state, sa_type=enum_type(Visibility), index=True
    )
    created_by_id: uuid.UUID | None = Field(default=None)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    submitted_by_id: uuid.UUID | None = Field(default=None)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# The widest view a caller has of one object: its State's own (`state`), OHCHR's (`ohchr`), or
# what everyone may read (`public`).
Audience = Visibility


def visible(model: Any, who: Principal | None, *also: ColumnElement[bool]) -> ColumnElement[bool]:
    """The rows of `model` this caller may see; `also` widens it (a provider's offers)."""
    seen: list[ColumnElement[bool]] = [seen_by(model, Visibility.public), *also]
    if who is not None and who.is_state:
        seen.append(col(model.state_code) == who.state_code)
    if who is not None and who.is_ohchr:
        seen.append(seen_by(model, Visibility.ohchr))
    return or_(false(), *seen)


def find(
    db: Session, model: type[M], object_id: uuid.UUID, scope: ColumnElement[bool], what: str
) -> M:
    """The object among the rows `scope` admits (`visible` or `parties`); else not found."""
    key = model.id  # type: ignore[attr-defined]
    found = db.exec(select(model).where(scope, col(key) == object_id)).first()
    if found is None:
        raise NotFound(f"no {what} {object_id}")
    return found


def parties(model: Any, who: Principal | None) -> ColumnElement[bool]:
    """The rows this caller takes part in, and so may change: a State its own, OHCHR what was
    submitted to it. Everyone else only reads what was published: to them a write, or the
    State's exchanges with OHCHR, is not found."""
    if who is not None and who.is_state:
        return col(model.state_code) == who.state_code
    if who is not None and who.is_ohchr:
        return seen_by(model, Visibility.ohchr)
    return false()


def seen_by(model: Any, audience: Audience) -> ColumnElement[bool]:
    """The rows of one State's `model` an audience sees (its own State sees them all)."""
    if audience is Visibility.state:
        return true()
    if audience is Visibility.ohchr:
        return col(model.visibility) != Visibility.state
    return col(model.visibility) == Visibility.public


def audience_of(who: Principal | None, state_code: str) -> Audience:
    """How this caller sees an object of `state_code` that it may see at all."""
    if who is not None and who.is_state and who.state_code == state_code:
        return Visibility.state
    if who is not None and who.is_ohchr:
        return Visibility.ohchr
    return Visibility.public
