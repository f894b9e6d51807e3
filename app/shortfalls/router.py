import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response
from pydantic import BaseModel

from app.core.concurrency import IfMatch, set_etag
from app.core.deps import DbSession
from app.core.guards import Anyone, FocalPoint, StateMember
from app.core.idempotency import IdempotencyKey, create_once, fingerprint
from app.core.openapi import conflict
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.core.principal import Principal
from app.core.publication import Stage, Visibility
from app.progress.schemas import MoveBody
from app.shortfalls import service
from app.shortfalls.models import Severity, Shortfall
from app.shortfalls.schemas import (
    ShortfallCreate,
    ShortfallPage,
    ShortfallRead,
    ShortfallResolve,
    ShortfallUpdate,
)
from app.taxonomies.vocabularies import BarrierType

router = APIRouter(prefix="/shortfalls", tags=["shortfalls"])

OptionalMoveBody = Annotated[MoveBody | None, Body()]


def _shown(db: DbSession, shortfall: Shortfall, response: Response) -> ShortfallRead:
    read = service.to_read(db, [shortfall])[0]
    set_etag(response, read.version)
    return read


@router.get("", response_model=ShortfallPage, operation_id="list_shortfalls")
def list_shortfalls(
    who: Anyone,
    db: DbSession,
    state: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    recommendation: uuid.UUID | None = None,
    stage: Stage | None = None,
    visibility: Visibility | None = None,
    barrier_type: BarrierType | None = None,
    severity: Severity | None = None,
    resolved: bool | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> ShortfallPage:
    """Shortfalls the caller may see (as for progress reports). Public."""
    items, next_cursor = service.list_shortfalls(
        db,
        who,
        state=state,
        recommendation=recommendation,
        stage=stage,
        visibility=visibility,
        barrier_type=barrier_type,
        severity=severity,
        resolved=resolved,
        limit=limit,
        cursor=cursor,
    )
    return ShortfallPage(items=items, next_cursor=next_cursor)


@router.post("", response_model=ShortfallRead, status_code=201, operation_id="create_shortfall")
def create_shortfall(
    who: StateMember,
    db: DbSession,
    body: ShortfallCreate,
    request: Request,
    key: IdempotencyKey = None,
) -> Response:
    """Declare, as a draft, what the caller's State cannot yet achieve and why."""

    def create() -> tuple[BaseModel, str]:
        shortfall = service.create_shortfall(db, who, body)
        return service.to_read(db, [shortfall])[0], f"{request.url.path}/{shortfall.id}"

    return create_once(
        db,
        owner=who.subject,
        key=key,
        create=create,
        request_fingerprint=fingerprint("POST", request.url.path, body),
    )


@router.get("/{shortfall_id}", response_model=ShortfallRead, operation_id="get_shortfall")
def get_shortfall(
    who: Anyone, db: DbSession, shortfall_id: uuid.UUID, response: Response
) -> ShortfallRead:
    return _shown(db, service.get_shortfall(db, who, shortfall_id), response)


@router.patch(
    "/{shortfall_id}",
    response_model=ShortfallRead,
    operation_id="update_shortfall",
    responses=conflict("The shortfall is submitted and never changes in place"),
)
def update_shortfall(
    who: StateMember,
    db: DbSession,
    shortfall_id: uuid.UUID,
    body: ShortfallUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> ShortfallRead:
    """Edit a draft; `If-Match` required. A submitted shortfall is 409."""
    shortfall = service.get_shortfall(db, who, shortfall_id)
    return _shown(db, service.update_shortfall(db, who, shortfall, body, if_match), response)


@router.delete(
    "/{shortfall_id}",
    status_code=204,
    operation_id="delete_shortfall",
    responses=conflict("The shortfall is submitted; submitted shortfalls are never deleted"),
)
def delete_shortfall(
    who: StateMember, db: DbSession, shortfall_id: uuid.UUID, if_match: IfMatch = None
) -> Response:
    """Delete a draft; `If-Match` required. A submitted shortfall is never deleted: 409."""
    service.delete_shortfall(db, who, service.get_shortfall(db, who, shortfall_id), if_match)
    return Response(status_code=204)


def _move(
    db: DbSession, who: Principal, shortfall_id: uuid.UUID, verb: str, response: Response
) -> ShortfallRead:
    shortfall = service.get_shortfall(db, who, shortfall_id)
    return _shown(db, service.move(db, who, shortfall, verb), response)


@router.post(
    "/{shortfall_id}/submit",
    response_model=ShortfallRead,
    operation_id="submit_shortfall",
    responses=conflict("Not open at this stage; `allowed` lists the moves open now"),
)
def submit_shortfall(
    who: FocalPoint,
    db: DbSession,
    shortfall_id: uuid.UUID,
    response: Response,
    body: OptionalMoveBody = None,
) -> ShortfallRead:
    return _move(db, who, shortfall_id, "submit", response)


@router.post(
    "/{shortfall_id}/publish",
    response_model=ShortfallRead,
    operation_id="publish_shortfall",
    responses=conflict("Not open at this stage; `allowed` lists the moves open now"),
)
def publish_shortfall(
    who: FocalPoint,
    db: DbSession,
    shortfall_id: uuid.UUID,
    response: Response,
    body: OptionalMoveBody = None,
) -> ShortfallRead:
    return _move(db, who, shortfall_id, "publish", response)


@router.post(
    "/{shortfall_id}/unpublish",
    response_model=ShortfallRead,
    operation_id="unpublish_shortfall",
    responses=conflict("Not open at this stage; `allowed` lists the moves open now"),
)
def unpublish_shortfall(
    who: FocalPoint,
    db: DbSession,
    shortfall_id: uuid.UUID,
    response: Response,
    body: OptionalMoveBody = None,
) -> ShortfallRead:
    return _move(db, who, shortfall_id, "unpublish", response)


@router.post(
    "/{shortfall_id}/resolve",
    response_model=ShortfallRead,
    operation_id="resolve_shortfall",
    responses=conflict("Not open at this stage; `allowed` lists the moves open now"),
)
def resolve_shortfall(
    who: FocalPoint,
    db: DbSession,
    shortfall_id: uuid.UUID,
    body: ShortfallResolve,
    response: Response,
) -> ShortfallRead:
    """Mark a submitted shortfall as overcome, with the date."""
    shortfall = service.get_shortfall(db, who, shortfall_id)
    return _shown(db, service.resolve(db, who, shortfall, body), response)
