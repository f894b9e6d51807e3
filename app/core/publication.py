"""What States submit and choose to publish: one lifecycle and one visibility rule for all.

A State drafts; its focal point submits (OHCHR now sees it); the focal point may publish a
submitted object (everyone sees it, anonymous callers included) and unpublish it again.
Drafts are the State's alone. Another State's object is not found, never forbidden.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Field, col

from app.core.errors import Conflict, Forbidden, IllegalTransition
from app.core.models import UTCDateTime, Versioned, enum_type, utcnow
from app.core.principal import Principal, Role


class Stage(StrEnum):
    draft = "draft"
    submitted = "submitted"


class Visibility(StrEnum):
    state = "state"
    ohchr = "ohchr"
    public = "public"


class Publishable(Versioned):
    state_code: str = Field(max_length=3, foreign_key="states.code", index=True)
    stage: Stage = Field(default=Stage.draft, sa_type=enum_type(Stage), index=True)
    visibility: Visibility = Field(
        default=Visibility.state, sa_type=enum_type(Visibility), index=True
    )
    created_by_id: uuid.UUID | None = Field(default=None)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    submitted_by_id: uuid.UUID | None = Field(default=None)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def visible_to(model: Any, who: Principal | None) -> ColumnElement[bool]:
    """The rows of `model` this caller may see at all."""
    if who is not None and who.is_state:
        return col(model.state_code) == who.state_code
    if who is not None and who.is_ohchr:
        return col(model.stage) == Stage.submitted
    return col(model.visibility) == Visibility.public


def sees_drafts(who: Principal | None) -> bool:
    return who is not None and who.is_state


def require_draft(obj: Publishable, what: str) -> None:
    if obj.stage is not Stage.draft:
        raise Conflict(f"a submitted {what} is never changed in place")


@dataclass(frozen=True)
class Move:
    """One verb of the lifecycle: who may call it, when it is open, what it does."""

    roles: frozenset[Role]
    is_open: Callable[[Any], bool]
    apply: Callable[[Any, Principal], None]


def _submit(obj: Publishable, who: Principal) -> None:
    obj.stage, obj.visibility = Stage.submitted, Visibility.ohchr
    obj.submitted_at, obj.submitted_by_id = utcnow(), who.id


def _publish(obj: Publishable, who: Principal) -> None:
    obj.visibility, obj.published_at = Visibility.public, utcnow()


def _unpublish(obj: Publishable, who: Principal) -> None:
    obj.visibility, obj.published_at = Visibility.ohchr, None


FOCAL_POINT = frozenset({Role.state_focal_point})
PUBLICATION_MOVES: dict[str, Move] = {
    "submit": Move(FOCAL_POINT, lambda o: o.stage is Stage.draft, _submit),
    "publish": Move(
        FOCAL_POINT,
        lambda o: o.stage is Stage.submitted and o.visibility is Visibility.ohchr,
        _publish,
    ),
    "unpublish": Move(FOCAL_POINT, lambda o: o.visibility is Visibility.public, _unpublish),
}


def open_verbs(moves: dict[str, Move], obj: Any, who: Principal) -> list[str]:
    return [verb for verb, move in moves.items() if who.role in move.roles and move.is_open(obj)]


def apply_move(moves: dict[str, Move], obj: Any, who: Principal, verb: str) -> None:
    """Check the verb against the table and apply it; the caller audits and emits the event."""
    move = moves[verb]
    if who.role not in move.roles:
        raise Forbidden(f"the role {who.role} may not {verb}")
    if not move.is_open(obj):
        allowed = open_verbs(moves, obj, who)
        raise IllegalTransition(
            f"{verb} is not open at stage {obj.stage} with visibility {obj.visibility}",
            allowed=allowed,
        )
    obj.touch()
    move.apply(obj, who)
