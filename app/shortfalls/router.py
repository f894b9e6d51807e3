import uuid

from fastapi import Request, Response
from pydantic import BaseModel

from app.core.concurrency import IfMatch, set_etag
from app.core.deps import AppSettings, DbSession
from app.core.guards import Anyone, StateMember
from app.core.idempotency import IdempotencyKey, create_once, fingerprint
from app.core.openapi import conflict
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.core.principal import Principal
from app.core.routing import api_router
from app.core.settings import Settings
from app.lifecycle.routes import Filters, add_verb_routes
from app.lifecycle.visibility import Stage
from app.shortfalls import service
from app.shortfalls.models import Severity, Shortfall
from app.shortfalls.schemas import ShortfallCreate, ShortfallPage, ShortfallRead, ShortfallUpdate
from app.taxonomies.vocabularies import BarrierType

router = api_router("/shortfalls", tags=["shortfalls"])


def _shown(db: DbSession, shortfall: Shortfall, response: Response) -> ShortfallRead:
    read = service.to_read(db, [shortfall])[0]
    set_etag(response, read.version)
    return read


@router.get("", response_model=ShortfallPage, operation_id="list_shortfalls")
def list_shortfalls(
    who: Anyone,
    db: DbSession,
    settings: AppSettings,
    filters: Filters,
    stage: Stage | None = None,
    barrier_type: BarrierType | None = None,
    severity: Severity | None = None,
    resolved: bool | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> ShortfallPage:
    """Shortfalls the caller may see: a State its own (drafts included); OHCHR every submitted
    one; everyone the published ones. Public."""
    items, next_cursor = service.list_shortfalls(
        db,
        who,
        state=filters.state,
        recommendation=filters.recommendation,
        stage=stage,
        visibility=filters.visibility,
        barrier_type=barrier_type,
        severity=severity,
        resolved=resolved,
        limit=limit,
        cursor=cursor,
        settings=settings,
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
    shortfall = service.get_own_shortfall(db, who, shortfall_id)
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
    service.delete_shortfall(db, who, service.get_own_shortfall(db, who, shortfall_id), if_match)
    return Response(status_code=204)


def _present(db: DbSession, who: Principal, shortfall: Shortfall, _: Settings) -> ShortfallRead:
    return service.to_read(db, [shortfall])[0]


add_verb_routes(
    router,
    service.SHORTFALL,
    id_param="shortfall_id",
    load=service.get_own_shortfall,
    present=_present,
    response_model=ShortfallRead,
    descriptions={
        "submit": "Submit the draft on behalf of the State: OHCHR now sees it. Focal points.",
        "publish": "Make a submitted shortfall public: anyone, anonymous callers included.",
        "unpublish": "Withdraw the shortfall from public view; OHCHR still sees it.",
        "resolve": "Mark a submitted shortfall as overcome, with the date. Once only.",
    },
)
