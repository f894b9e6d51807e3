import uuid
from typing import Annotated, Literal

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel
from sqlmodel import Session

from app.assistance import service
from app.assistance.models import AssistanceRequest, RequestStage
from app.assistance.schemas import (
    AnyRequestView,
    MessageCreate,
    MessagePage,
    MessageRead,
    RequestCreate,
    RequestFields,
    RequestPage,
    TransitionList,
)
from app.core.concurrency import IfMatch, set_etag
from app.core.deps import AppSettings, DbSession
from app.core.guards import Anyone, StateMember, require
from app.core.idempotency import IdempotencyKey, create_once, fingerprint
from app.core.openapi import conflict, refusal
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.core.principal import Principal, Role
from app.core.routing import api_router
from app.core.settings import Settings
from app.lifecycle.routes import Filters, add_verb_routes
from app.taxonomies.vocabularies import AssistanceType

router = api_router("/assistance-requests", tags=["assistance-requests"])

Party = Annotated[
    Principal,
    Depends(
        require(
            Role.state_contributor, Role.state_focal_point, Role.ohchr_officer, Role.ohchr_admin
        )
    ),
]
Sort = Literal["created", "priority", "-priority", "age", "-age"]


def _shown(
    db: DbSession,
    who: Principal | None,
    request: object,
    response: Response,
    settings: AppSettings,
) -> AnyRequestView:
    shown = service.view(db, who, [request], settings=settings)[0]  # type: ignore[list-item]
    set_etag(response, shown.version)
    return shown


@router.get(
    "",
    response_model=RequestPage,
    operation_id="list_assistance_requests",
    responses=refusal(
        403, "Priority and service targets (`sort=-priority`, `overdue`) are for OHCHR"
    ),
)
def list_assistance_requests(
    who: Anyone,
    db: DbSession,
    settings: AppSettings,
    filters: Filters,
    stage: RequestStage | None = None,
    region: Annotated[
        str | None, Query(max_length=60, description="M49 region or sub-region")
    ] = None,
    priority_group: Annotated[
        service.PriorityGroup | None,
        Query(
            description="Requests from States in the group: least developed (`ldc`), "
            "landlocked developing (`lldc`), small island developing (`sids`), emerging from "
            "conflict (`conflict`), with particular needs (`particular_needs`)"
        ),
    ] = None,
    assistance_type: AssistanceType | None = None,
    assigned_officer_id: uuid.UUID | None = None,
    overdue: Annotated[bool | None, Query(description="Past the service target (OHCHR)")] = None,
    sort: Annotated[
        Sort, Query(description="`-priority` puts the most urgent first (OHCHR)")
    ] = "created",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> RequestPage:
    """The triage queue for OHCHR (every submitted request, with priority); a State's own
    requests for the State; published requests for everyone else."""
    items, next_cursor = service.list_requests(
        db,
        who,
        settings,
        stage=stage,
        region=region,
        priority_group=priority_group,
        state=filters.state,
        recommendation=filters.recommendation,
        visibility=filters.visibility,
        assistance_type=assistance_type,
        assigned_officer_id=assigned_officer_id,
        overdue=overdue,
        sort=sort,
        limit=limit,
        cursor=cursor,
    )
    return RequestPage(items=items, next_cursor=next_cursor)


@router.post(
    "", response_model=AnyRequestView, status_code=201, operation_id="create_assistance_request"
)
def create_assistance_request(
    who: StateMember,
    db: DbSession,
    body: RequestCreate,
    request: Request,
    key: IdempotencyKey = None,
) -> Response:
    """Draft a request for technical assistance for the caller's own State."""

    def create() -> tuple[BaseModel, str]:
        created = service.create_request(db, who, body)
        return service.view(db, who, [created])[0], f"{request.url.path}/{created.id}"

    return create_once(
        db,
        owner=who.subject,
        key=key,
        create=create,
        request_fingerprint=fingerprint("POST", request.url.path, body),
    )


@router.get("/{request_id}", response_model=AnyRequestView, operation_id="get_assistance_request")
def get_assistance_request(
    who: Anyone, db: DbSession, settings: AppSettings, request_id: uuid.UUID, response: Response
) -> AnyRequestView:
    return _shown(db, who, service.get_request(db, who, request_id), response, settings)


@router.patch(
    "/{request_id}",
    response_model=AnyRequestView,
    operation_id="update_assistance_request",
    responses=conflict("The request cannot be edited at this stage"),
)
def update_assistance_request(
    who: Party,
    db: DbSession,
    settings: AppSettings,
    request_id: uuid.UUID,
    body: RequestFields,
    response: Response,
    if_match: IfMatch = None,
) -> AnyRequestView:
    """The State edits its draft (or its answer to a request for information); officers assign
    an officer and keep internal notes. `If-Match` required."""
    request = service.get_request(db, who, request_id, as_party=True)
    updated = service.update_request(db, who, request, body, if_match)
    return _shown(db, who, updated, response, settings)


@router.get(
    "/{request_id}/transitions",
    response_model=TransitionList,
    operation_id="list_assistance_transitions",
)
def list_assistance_transitions(who: Party, db: DbSession, request_id: uuid.UUID) -> TransitionList:
    """Every move of the request: verb, stages, who and when."""
    request = service.get_request(db, who, request_id, as_party=True)
    return TransitionList(items=service.transitions(db, request))


@router.get(
    "/{request_id}/messages", response_model=MessagePage, operation_id="list_assistance_messages"
)
def list_assistance_messages(
    who: Party,
    db: DbSession,
    settings: AppSettings,
    request_id: uuid.UUID,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> MessagePage:
    """The thread between the State and OHCHR; internal notes only for officers."""
    request = service.get_request(db, who, request_id, as_party=True)
    items, next_cursor = service.list_messages(
        db, who, request, limit=limit, cursor=cursor, settings=settings
    )
    return MessagePage(items=items, next_cursor=next_cursor)


@router.post(
    "/{request_id}/messages",
    response_model=MessageRead,
    status_code=201,
    operation_id="create_assistance_message",
)
def create_assistance_message(
    who: Party,
    db: DbSession,
    request_id: uuid.UUID,
    body: MessageCreate,
    request: Request,
    key: IdempotencyKey = None,
) -> Response:
    """Write to the thread; officers may mark a message `internal` (the State never sees it)."""
    assistance_request = service.get_request(db, who, request_id, as_party=True)

    def create() -> tuple[BaseModel, str]:
        message = service.post_message(db, who, assistance_request, body)
        shown = MessageRead.model_validate(message, from_attributes=True)
        return shown, f"{request.url.path}/{message.id}"

    return create_once(
        db,
        owner=who.subject,
        key=key,
        create=create,
        request_fingerprint=fingerprint("POST", request.url.path, body),
    )


def _party_request(db: Session, who: Principal, request_id: uuid.UUID) -> AssistanceRequest:
    return service.get_request(db, who, request_id, as_party=True)


def _present(
    db: DbSession, who: Principal, request: AssistanceRequest, settings: Settings
) -> AnyRequestView:
    return service.view(db, who, [request], settings=settings)[0]


add_verb_routes(
    router,
    service.ASSISTANCE_REQUEST,
    id_param="request_id",
    load=_party_request,
    present=_present,
    response_model=AnyRequestView,
    descriptions={
        "submit": "The State's focal point submits the draft to OHCHR.",
        "withdraw": "The State's focal point withdraws the request, at any stage before delivery.",
        "provide-info": "The State answers a request for information (`message` required).",
        "start-triage": "An officer takes the submitted request into triage.",
        "request-info": "An officer asks the State for more (`message` required; the State "
        "sees it).",
        "accept": "An officer accepts the request: it may now be matched to expertise.",
        "decline": "An officer declines the request (`reason` required; the State sees it).",
        "start-delivery": "An officer starts the delivery of a matched request.",
        "complete": "An officer closes a delivered request; its providers' capacity is freed.",
        "publish": "The State invites partners: its view of the request becomes public "
        "(never priority or internal notes). Submitted requests only.",
        "unpublish": "The State takes a published request back: OHCHR (and providers it was "
        "offered to) only.",
    },
)
