import uuid
from typing import Annotated

from fastapi import Query, Request, Response
from pydantic import BaseModel

from app.core.concurrency import IfMatch, set_etag
from app.core.deps import AppSettings, DbSession
from app.core.guards import Officer
from app.core.idempotency import IdempotencyKey, create_once, fingerprint
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.core.routing import api_router
from app.expertise import service
from app.expertise.models import ProviderKind
from app.expertise.schemas import ProviderCreate, ProviderFields, ProviderPage, ProviderRead
from app.taxonomies.vocabularies import AssistanceType

router = api_router("/providers", tags=["providers"])


@router.get("", response_model=ProviderPage, operation_id="list_providers")
def list_providers(
    _who: Officer,
    db: DbSession,
    settings: AppSettings,
    kind: ProviderKind | None = None,
    active: bool | None = None,
    language: Annotated[
        str | None,
        Query(
            min_length=2,
            max_length=2,
            pattern=r"^[A-Za-z]{2}$",
            description="Speaks this language (ISO 639-1, `fr`)",
        ),
    ] = None,
    region: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=60,
            description="Covers this M49 region or sub-region as `GET /states` names them "
            "(`Western Africa`): the region, one overlapping it, or a State in it",
        ),
    ] = None,
    assistance_type: AssistanceType | None = None,
    theme: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=300,
            description="Offers this theme: a UHRI code (`A12`) or its name",
        ),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> ProviderPage:
    """The expertise roster; every filter combines with the others. OHCHR officers and
    administrators."""
    where = service.ProviderFilter(
        kind=kind,
        active=active,
        language=language,
        region=region,
        assistance_type=assistance_type,
        theme=theme,
    )
    items, next_cursor = service.list_providers(
        db, where, limit=limit, cursor=cursor, settings=settings
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
