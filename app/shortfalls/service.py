"""Shortfalls: drafted, submitted and published like progress reports, and resolved once.

Who sees what is `app.lifecycle.visibility.visible`; every query starts from it.
"""

import uuid
from collections.abc import Callable, Sequence
from enum import StrEnum

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core.concurrency import require_match
from app.core.pagination import paginate
from app.core.principal import Principal
from app.core.settings import Settings
from app.events.types import EventType, Visibility
from app.lifecycle.drafts import (
    FOCAL_POINT,
    Links,
    filtered,
    publication,
    require_draft,
    submission,
)
from app.lifecycle.engine import Kind, Lifecycle, Move
from app.lifecycle.visibility import Stage, find, parties, visible
from app.recommendations.ownership import own_recommendation_ids
from app.shortfalls.models import Severity, Shortfall, ShortfallRecommendation
from app.shortfalls.schemas import ShortfallCreate, ShortfallRead, ShortfallResolve, ShortfallUpdate
from app.taxonomies.vocabularies import BarrierType

LINKS = Links(ShortfallRecommendation, "shortfall_id", "recommendation_id")


class Resolution(StrEnum):
    open = "open"
    resolved = "resolved"


def _resolved(move: Move[Shortfall]) -> None:
    assert isinstance(move.body, ShortfallResolve)
    move.obj.resolved_on = move.body.resolved_on


RESOLUTION: Lifecycle[Shortfall] = Lifecycle(
    name="shortfall.resolution",
    position=lambda s: Resolution.resolved if s.resolved_on else Resolution.open,
    table={(Resolution.open, "resolve"): Resolution.resolved},
    roles={"resolve": FOCAL_POINT},
    events={"resolve": EventType.shortfall_resolved},
    guards={"resolve": lambda s: s.stage is Stage.submitted},
    stamps={"resolve": _resolved},
    bodies={"resolve": ShortfallResolve},
)


def show(db: Session, audience: Visibility, shortfall: Shortfall) -> ShortfallRead:
    return to_read(db, [shortfall])[0]


SHORTFALL: Kind[Shortfall] = Kind(
    name="shortfall",
    model=Shortfall,
    lifecycles=(submission("shortfall"), publication("shortfall"), RESOLUTION),
    show=show,
    audience=lambda s: s.visibility,
    state_code=lambda s: s.state_code,
)


Widening = Callable[[Principal], ColumnElement[bool] | None]
_ALSO_SEEN: list[Widening] = []


def also_seen(widening: Widening) -> None:
    """Register who else sees a shortfall beyond `visible()` (a provider: those linked to the
    requests offered to it), declared by the domain that knows, above this one."""
    if widening not in _ALSO_SEEN:
        _ALSO_SEEN.append(widening)


def _scope(who: Principal | None) -> ColumnElement[bool]:
    also = [] if who is None else [clause for w in _ALSO_SEEN if (clause := w(who)) is not None]
    return visible(Shortfall, who, *also)


def _visible(who: Principal | None) -> SelectOfScalar[Shortfall]:
    return select(Shortfall).where(_scope(who))


def list_shortfalls(
    db: Session,
    who: Principal | None,
    *,
    state: str | None = None,
    recommendation: uuid.UUID | None = None,
    stage: Stage | None = None,
    visibility: Visibility | None = None,
    barrier_type: BarrierType | None = None,
    severity: Severity | None = None,
    resolved: bool | None = None,
    limit: int,
    cursor: str | None,
    settings: Settings,
) -> tuple[list[ShortfallRead], str | None]:
    statement = filtered(
        _visible(who),
        Shortfall,
        state=state,
        stage=stage,
        visibility=visibility,
        barrier_type=barrier_type,
        severity=severity,
    )
    if resolved is not None:
        resolved_on = col(Shortfall.resolved_on)
        statement = statement.where(resolved_on.is_not(None) if resolved else resolved_on.is_(None))
    if recommendation is not None:
        statement = statement.where(col(Shortfall.id).in_(LINKS.having(recommendation)))
    keys = [Shortfall.created_at, Shortfall.id]
    rows, next_cursor = paginate(
        db,
        statement,
        keys,
        limit=limit,
        cursor=cursor,
        settings=settings,
        list_name="list_shortfalls",
    )
    return to_read(db, rows), next_cursor


def get_shortfall(db: Session, who: Principal | None, shortfall_id: uuid.UUID) -> Shortfall:
    return find(db, Shortfall, shortfall_id, _scope(who), "shortfall")


def get_own_shortfall(db: Session, who: Principal, shortfall_id: uuid.UUID) -> Shortfall:
    """A shortfall to change: its own State's only (another State's published shortfall is
    read-only to it, and not found here)."""
    return find(db, Shortfall, shortfall_id, parties(Shortfall, who), "shortfall")


def create_shortfall(db: Session, who: Principal, body: ShortfallCreate) -> Shortfall:
    assert who.state_code is not None
    ids = own_recommendation_ids(db, who.state_code, body.recommendation_ids)
    shortfall = Shortfall(
        state_code=who.state_code,
        created_by_id=who.id,
        barrier_type=body.barrier_type,
        severity=body.severity,
        description=body.description,
    )
    db.add(shortfall)
    db.flush()
    LINKS.first(db, shortfall.id, ids)
    SHORTFALL.announce(db, who, shortfall, EventType.shortfall_created)
    return shortfall


def update_shortfall(
    db: Session, who: Principal, shortfall: Shortfall, body: ShortfallUpdate, if_match: str | None
) -> Shortfall:
    require_match(if_match, shortfall.version)
    require_draft(shortfall, "shortfall")
    assert who.state_code is not None
    changes = body.model_dump(exclude_unset=True, exclude={"recommendation_ids"})
    ids = (
        own_recommendation_ids(db, who.state_code, body.recommendation_ids)
        if body.recommendation_ids is not None
        else None
    )
    if not changes and ids is None:
        return shortfall  # an empty PATCH changes nothing, not even the version
    before = show(db, Visibility.state, shortfall)
    shortfall.touch()
    for field, value in changes.items():
        if value is not None:
            setattr(shortfall, field, value)
    db.add(shortfall)
    if ids is not None:
        LINKS.replace(db, shortfall.id, ids)
    SHORTFALL.announce(db, who, shortfall, EventType.shortfall_updated, before=before)
    return shortfall


def delete_shortfall(
    db: Session, who: Principal, shortfall: Shortfall, if_match: str | None
) -> None:
    require_match(if_match, shortfall.version)
    require_draft(shortfall, "shortfall")
    before = show(db, Visibility.state, shortfall)
    LINKS.replace(db, shortfall.id, [])
    db.delete(shortfall)
    SHORTFALL.announce(db, who, shortfall, EventType.shortfall_deleted, before=before, deleted=True)


def to_read(db: Session, shortfalls: Sequence[Shortfall]) -> list[ShortfallRead]:
    links = LINKS.of(db, [s.id for s in shortfalls])
    return [
        ShortfallRead(
            id=s.id,
            state_code=s.state_code,
            recommendation_ids=links[s.id],
            barrier_type=s.barrier_type,
            severity=s.severity,
            description=s.description,
            resolved_on=s.resolved_on,
            stage=s.stage,
            visibility=s.visibility,
            version=s.version,
            created_at=s.created_at,
            updated_at=s.updated_at,
            submitted_at=s.submitted_at,
            submitted_by_id=s.submitted_by_id,
            published_at=s.published_at,
        )
        for s in shortfalls
    ]
