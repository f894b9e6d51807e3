"""Shortfalls: the same draft, submit and publish rules as progress reports, and resolution."""

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import delete
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.audit.service import record
from app.core.concurrency import require_match
from app.core.errors import NotFound
from app.core.pagination import paginate
from app.core.principal import Principal
from app.core.publication import (
    FOCAL_POINT,
    PUBLICATION_MOVES,
    Move,
    Stage,
    Visibility,
    apply_move,
    require_draft,
    visible_to,
)
from app.events.outbox import emit
from app.recommendations.ownership import own_recommendation_ids
from app.shortfalls.models import Severity, Shortfall, ShortfallRecommendation
from app.shortfalls.schemas import ShortfallCreate, ShortfallRead, ShortfallResolve, ShortfallUpdate
from app.taxonomies.vocabularies import BarrierType

SHORTFALL_MOVES: dict[str, Move] = {
    **PUBLICATION_MOVES,
    "resolve": Move(
        FOCAL_POINT,
        lambda s: s.stage is Stage.submitted and s.resolved_on is None,
        lambda s, who: None,  # the date comes with the request; see resolve()
    ),
}


def _visible(who: Principal | None) -> SelectOfScalar[Shortfall]:
    return select(Shortfall).where(visible_to(Shortfall, who))


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
) -> tuple[list[ShortfallRead], str | None]:
    statement = _visible(who)
    for column, value in (
        (Shortfall.state_code, state and state.upper()),
        (Shortfall.stage, stage),
        (Shortfall.visibility, visibility),
        (Shortfall.barrier_type, barrier_type),
        (Shortfall.severity, severity),
    ):
        if value is not None:
            statement = statement.where(col(column) == value)
    if resolved is not None:
        resolved_on = col(Shortfall.resolved_on)
        statement = statement.where(resolved_on.is_not(None) if resolved else resolved_on.is_(None))
    if recommendation is not None:
        linked = select(ShortfallRecommendation.shortfall_id).where(
            ShortfallRecommendation.recommendation_id == recommendation
        )
        statement = statement.where(col(Shortfall.id).in_(linked))
    keys = [Shortfall.created_at, Shortfall.id]
    rows, next_cursor = paginate(db, statement, keys, limit=limit, cursor=cursor)
    return to_read(db, rows), next_cursor


def get_shortfall(db: Session, who: Principal | None, shortfall_id: uuid.UUID) -> Shortfall:
    shortfall = db.exec(_visible(who).where(Shortfall.id == shortfall_id)).first()
    if shortfall is None:
        raise NotFound(f"no shortfall {shortfall_id}")
    return shortfall


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
    _link(db, shortfall.id, ids)
    _announce(db, who, shortfall, "create", before=None)
    return shortfall


def update_shortfall(
    db: Session, who: Principal, shortfall: Shortfall, body: ShortfallUpdate, if_match: str | None
) -> Shortfall:
    require_match(if_match, shortfall.version)
    require_draft(shortfall, "shortfall")
    assert who.state_code is not None
    before = to_read(db, [shortfall])[0]
    changes = body.model_dump(exclude_unset=True, exclude={"recommendation_ids"})
    ids = (
        own_recommendation_ids(db, who.state_code, body.recommendation_ids)
        if body.recommendation_ids is not None
        else None
    )
    if not changes and ids is None:
        return shortfall  # an empty PATCH changes nothing, not even the version
    shortfall.touch()
    for field, value in changes.items():
        if value is not None:
            setattr(shortfall, field, value)
    db.add(shortfall)
    if ids is not None:
        _link(db, shortfall.id, ids)
    _announce(db, who, shortfall, "update", before=before)
    return shortfall


def delete_shortfall(
    db: Session, who: Principal, shortfall: Shortfall, if_match: str | None
) -> None:
    require_match(if_match, shortfall.version)
    require_draft(shortfall, "shortfall")
    before = to_read(db, [shortfall])[0]
    db.execute(
        delete(ShortfallRecommendation).where(
            col(ShortfallRecommendation.shortfall_id) == shortfall.id
        )
    )
    db.delete(shortfall)
    db.flush()
    record(
        db,
        who,
        "shortfall.delete",
        resource_type="shortfall",
        resource_id=shortfall.id,
        state_code=shortfall.state_code,
        state_private=True,
        before=before,
    )
    emit(
        db,
        "shortfall.delete",
        resource_type="shortfall",
        resource_id=shortfall.id,
        state_code=shortfall.state_code,
        visibility=Visibility.state,
        payload=before,
    )


def move(db: Session, who: Principal, shortfall: Shortfall, verb: str) -> Shortfall:
    before = to_read(db, [shortfall])[0]
    apply_move(SHORTFALL_MOVES, shortfall, who, verb)
    db.add(shortfall)
    _announce(db, who, shortfall, verb, before=before)
    return shortfall


def resolve(db: Session, who: Principal, shortfall: Shortfall, body: ShortfallResolve) -> Shortfall:
    """Mark a submitted shortfall overcome, with the date. Once only."""
    before = to_read(db, [shortfall])[0]
    apply_move(SHORTFALL_MOVES, shortfall, who, "resolve")
    shortfall.resolved_on = body.resolved_on
    db.add(shortfall)
    _announce(db, who, shortfall, "resolve", before=before)
    return shortfall


def _link(db: Session, shortfall_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> None:
    db.execute(
        delete(ShortfallRecommendation).where(
            col(ShortfallRecommendation.shortfall_id) == shortfall_id
        )
    )
    db.add_all(ShortfallRecommendation(shortfall_id=shortfall_id, recommendation_id=r) for r in ids)
    db.flush()


def _announce(
    db: Session, who: Principal, shortfall: Shortfall, verb: str, *, before: ShortfallRead | None
) -> None:
    db.flush()
    after = to_read(db, [shortfall])[0]
    record(
        db,
        who,
        f"shortfall.{verb}",
        resource_type="shortfall",
        resource_id=shortfall.id,
        state_code=shortfall.state_code,
        before=before,
        after=after,
        state_private=shortfall.stage is Stage.draft,
    )
    emit(
        db,
        f"shortfall.{verb}",
        resource_type="shortfall",
        resource_id=shortfall.id,
        state_code=shortfall.state_code,
        visibility=shortfall.visibility,
        payload=after,
    )


def to_read(db: Session, shortfalls: Sequence[Shortfall]) -> list[ShortfallRead]:
    links: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for shortfall_id, recommendation_id in db.exec(
        select(
            ShortfallRecommendation.shortfall_id, ShortfallRecommendation.recommendation_id
        ).where(col(ShortfallRecommendation.shortfall_id).in_([s.id for s in shortfalls]))
    ).all():
        links[shortfall_id].append(recommendation_id)
    return [
        ShortfallRead(
            id=s.id,
            state_code=s.state_code,
            recommendation_ids=sorted(links[s.id], key=str),
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
