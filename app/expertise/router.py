import uuid

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from app.core.concurrency import IfMatch, set_etag
from app.core.deps import DbSession
from app.core.guards import Officer
from app.core.idempotency import IdempotencyKey, create_once, fingerprint
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.expertise import service
from app.expertise.models import ProviderKind
from app.expertise.schemas import ProviderCreate, ProviderFields, ProviderPage, ProviderRead

router = APIRouter(prefix="/providers", tags=["providers"])


@router.get("", response_model=ProviderPage, operation_id="list_providers")
def list_providers(
    _who: Officer,
    db: DbSession,
    kind: ProviderKind | None = None,
    active: bool | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> ProviderPage:
    """The expertise roster. OHCHR officers and administrators."""
    items, next_cursor = service.list_providers(
        db, kind=kind, active=active, limit=limit, cursor=cursor
    )
    return ProviderPage(items=items, next_cursor=next_cursor)


@router.post("", response_model=ProviderRead, status_code=201, operation_id="create_provider")
def create_provider(
    who: Officer, db: DbSession, body: ProviderCreate, request: Request, key: IdempotencyKey = None
) -> Response:
    def create() -> tuple[BaseModel, str]:
        provider = service.create_provider(db, who, body)
        return service.to_read(db, [provider])[0], f"{request.url.path}/{provider.id}"

    return create_once(
        db,
        owner=who.subject,
        key=key,
        create=create,
        request_fingerprint=fingerprint("POST", request.url.path, body),
    )


@router.get("/{provider_id}", response_model=ProviderRead, operation_id="get_provider")
def get_provider(
    _who: Officer, db: DbSession, provider_id: uuid.UUID, response: Response
) -> ProviderRead:
    shown = service.to_read(db, [service.get_provider(db, provider_id)])[0]
    set_etag(response, shown.version)
    return shown


@router.patch("/{provider_id}", response_model=ProviderRead, operation_id="update_provider")
def update_provider(
    who: Officer,
    db: DbSession,
    provider_id: uuid.UUID,
    body: ProviderFields,
    response: Response,
    if_match: IfMatch = None,
) -> ProviderRead:
    """Change the roster entry (deactivate with `is_active: false`); `If-Match` required."""
    provider = service.update_provider(
        db, who, service.get_provider(db, provider_id), body, if_match
    )
    shown = service.to_read(db, [provider])[0]
    set_etag(response, shown.version)
    return shown
