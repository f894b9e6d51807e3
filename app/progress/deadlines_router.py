import uuid
from typing import Annotated

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel

from app.core.concurrency import IfMatch, set_etag
from app.core.deps import AppSettings, DbSession
from app.core.guards import FocalPoint, require
from app.core.idempotency import IdempotencyKey, create_once, fingerprint
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.core.principal import Principal, Role
from app.core.routing import api_router
from app.core.schemas import JsonDate, StateCode
from app.progress import deadlines as service
from app.progress.deadlines_schemas import (
    DeadlineCreate,
    DeadlinePage,
    DeadlineRead,
    DeadlineUpdate,
)
from app.progress.models import ReportingDeadline

router = api_router("/reporting-deadlines", tags=["reporting-deadlines"])

# A State's own people and OHCHR; providers and the public never see a State's deadlines.
Reader = Annotated[
    Principal,
    Depends(
        require(
            Role.state_contributor, Role.state_focal_point, Role.ohchr_officer, Role.ohchr_admin
        )
    ),
]


def _shown(deadline: ReportingDeadline, response: Response) -> DeadlineRead:
    read = service.to_read(deadline)
    set_etag(response, read.version)
    return read


@router.get("", response_model=DeadlinePage, operation_id="list_reporting_deadlines")
def list_reporting_deadlines(
    who: Reader,
    db: DbSession,
    settings: AppSettings,
    state: Annotated[StateCode | None, Query(description="A State's code (OHCHR)")] = None,
    due_after: Annotated[JsonDate | None, Query(description="Due on or after this day")] = None,
    due_before: Annotated[JsonDate | None, Query(description="Due on or before this day")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> DeadlinePage:
    """A State's members read their own State's deadlines; OHCHR reads every State's."""
    items, next_cursor = service.list_deadlines(
        db,
        who,
        state=state,
        due_after=due_after,
        due_before=due_before,
        limit=limit,
        cursor=cursor,
        settings=settings,
    )
    return DeadlinePage(items=items, next_cursor=next_cursor)


@router.post(
    "", response_model=DeadlineRead, status_code=201, operation_id="create_reporting_deadline"
)
def create_reporting_deadline(
    who: FocalPoint,
    db: DbSession,
    body: DeadlineCreate,
    request: Request,
    key: IdempotencyKey = None,
) -> Response:
    """Set the date by which the caller's State means to report on one of its recommendations
    or clusters (exactly one of `recommendation_id` and `cluster_id`). Focal points."""

    def create() -> tuple[BaseModel, str]:
        deadline = service.create_deadline(db, who, body)
        return service.to_read(deadline), f"{request.url.path}/{deadline.id}"

    return create_once(
        db,
        owner=who.subject,
        key=key,
        create=create,
        request_fingerprint=fingerprint("POST", request.url.path, body),
    )


@router.get("/{deadline_id}", response_model=DeadlineRead, operation_id="get_reporting_deadline")
def get_reporting_deadline(
    who: Reader, db: DbSession, deadline_id: uuid.UUID, response: Response
) -> DeadlineRead:
    return _shown(service.get_deadline(db, who, deadline_id), response)


@router.patch(
    "/{deadline_id}", response_model=DeadlineRead, operation_id="update_reporting_deadline"
)
def update_reporting_deadline(
    who: FocalPoint,
    db: DbSession,
    deadline_id: uuid.UUID,
    body: DeadlineUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> DeadlineRead:
    """Move the date or change the note (`If-Match` required). A moved date is reminded
    afresh."""
    deadline = service.get_own_deadline(db, who, deadline_id)
    return _shown(service.update_deadline(db, who, deadline, body, if_match), response)


@router.delete("/{deadline_id}", status_code=204, operation_id="delete_reporting_deadline")
def delete_reporting_deadline(
    who: FocalPoint, db: DbSession, deadline_id: uuid.UUID, if_match: IfMatch = None
) -> Response:
    """Drop the deadline (`If-Match` required); no more reminders are sent for it."""
    service.delete_deadline(db, who, service.get_own_deadline(db, who, deadline_id), if_match)
    return Response(status_code=204)
