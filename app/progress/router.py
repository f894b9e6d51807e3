import uuid
from typing import Annotated

from fastapi import Path, Request, Response
from pydantic import BaseModel

from app.core.concurrency import IfMatch, etag_of, set_etag
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
from app.progress import service
from app.progress.models import ImplementationStatus, ProgressReport
from app.progress.schemas import (
    ReportBatch,
    ReportBatchResult,
    ReportCreate,
    ReportPage,
    ReportRead,
    ReportUpdate,
    RevisionCreate,
    RevisionFields,
    RevisionPage,
    RevisionRead,
)

router = api_router("/progress-reports", tags=["progress-reports"])

RevisionNumber = Annotated[int, Path(ge=1, le=10_000)]


def _shown(db: DbSession, who: Principal | None, report: object, response: Response) -> ReportRead:
    read = service.to_read(db, who, [report])[0]  # type: ignore[list-item]
    set_etag(response, read.version)
    return read


@router.get("", response_model=ReportPage, operation_id="list_progress_reports")
def list_progress_reports(
    who: Anyone,
    db: DbSession,
    settings: AppSettings,
    filters: Filters,
    stage: Stage | None = None,
    status: ImplementationStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> ReportPage:
    """Reports the caller may see: a State its own (drafts included); OHCHR every submitted
    one; everyone the published ones (as published: a correction awaiting publication is not
    shown, nor matched by the filters, outside the State and OHCHR). Public."""
    items, next_cursor = service.list_reports(
        db,
        who,
        state=filters.state,
        recommendation=filters.recommendation,
        stage=stage,
        status=status,
        visibility=filters.visibility,
        limit=limit,
        cursor=cursor,
        settings=settings,
    )
    return ReportPage(items=items, next_cursor=next_cursor)


@router.post("", response_model=ReportRead, status_code=201, operation_id="create_progress_report")
def create_progress_report(
    who: StateMember,
    db: DbSession,
    body: ReportCreate,
    request: Request,
    key: IdempotencyKey = None,
) -> Response:
    """Draft a report for the caller's own State (the State comes from the caller)."""

    def create() -> tuple[BaseModel, str]:
        report = service.create_report(db, who, body)
        return service.to_read(db, who, [report])[0], f"{request.url.path}/{report.id}"

    return create_once(
        db,
        owner=who.subject,
        key=key,
        create=create,
        request_fingerprint=fingerprint("POST", request.url.path, body),
    )


@router.post(
    "/batch",
    response_model=ReportBatchResult,
    status_code=201,
    operation_id="create_progress_report_batch",
)
def create_progress_report_batch(
    who: StateMember, db: DbSession, body: ReportBatch, request: Request, key: IdempotencyKey = None
) -> Response:
    """Up to 500 drafts at once, all or nothing; a refusal names each failing item's index."""

    def create() -> tuple[BaseModel, str]:
        reports = service.create_batch(db, who, body.items)
        result = ReportBatchResult(items=service.to_read(db, who, reports))
        return result, request.url.path.removesuffix("/batch")

    return create_once(
        db,
        owner=who.subject,
        key=key,
        create=create,
        request_fingerprint=fingerprint("POST", request.url.path, body),
    )


@router.get("/{report_id}", response_model=ReportRead, operation_id="get_progress_report")
def get_progress_report(
    who: Anyone, db: DbSession, report_id: uuid.UUID, response: Response
) -> ReportRead:
    return _shown(db, who, service.get_report(db, who, report_id), response)


@router.patch(
    "/{report_id}",
    response_model=ReportRead,
    operation_id="update_progress_report",
    responses=conflict("The report is submitted; correct it with a new revision"),
)
def update_progress_report(
    who: StateMember,
    db: DbSession,
    report_id: uuid.UUID,
    body: ReportUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> ReportRead:
    """Edit a draft (`If-Match` required). Submitted reports are corrected by revisions: 409."""
    report = service.get_own_report(db, who, report_id)
    return _shown(db, who, service.update_report(db, who, report, body, if_match), response)


@router.delete(
    "/{report_id}",
    status_code=204,
    operation_id="delete_progress_report",
    responses=conflict("The report is submitted; submitted reports are never deleted"),
)
def delete_progress_report(
    who: StateMember, db: DbSession, report_id: uuid.UUID, if_match: IfMatch = None
) -> Response:
    """Delete a draft (`If-Match` required). A submitted report is never deleted: 409."""
    service.delete_report(db, who, service.get_own_report(db, who, report_id), if_match)
    return Response(status_code=204)


@router.get(
    "/{report_id}/revisions", response_model=RevisionPage, operation_id="list_progress_revisions"
)
def list_progress_revisions(who: Anyone, db: DbSession, report_id: uuid.UUID) -> RevisionPage:
    """Every revision, the original being 1. A draft correction is shown to its State only."""
    report = service.get_report(db, who, report_id)
    return RevisionPage(items=service.list_revisions(db, who, report), next_cursor=None)


@router.post(
    "/{report_id}/revisions",
    response_model=RevisionRead,
    status_code=201,
    operation_id="create_progress_revision",
    responses=conflict("The report is a draft (edit it in place) or has a correction pending"),
)
def create_progress_revision(
    who: StateMember,
    db: DbSession,
    report_id: uuid.UUID,
    body: RevisionCreate,
    request: Request,
    key: IdempotencyKey = None,
) -> Response:
    """Correct a submitted report: the given fields over the current revision, as a draft."""
    report = service.get_own_report(db, who, report_id)

    def create() -> tuple[BaseModel, str]:
        revision = service.create_revision(db, who, report, body)
        return service.revision_read(revision), f"{request.url.path}/{revision.number}"

    answer = create_once(
        db,
        owner=who.subject,
        key=key,
        create=create,
        request_fingerprint=fingerprint("POST", request.url.path, body),
    )
    answer.headers["ETag"] = etag_of(report.version)  # a revision is changed through its report
    return answer


@router.get(
    "/{report_id}/revisions/{number}",
    response_model=RevisionRead,
    operation_id="get_progress_revision",
)
def get_progress_revision(
    who: Anyone, db: DbSession, report_id: uuid.UUID, number: RevisionNumber, response: Response
) -> RevisionRead:
    report = service.get_report(db, who, report_id)
    set_etag(response, report.version)
    return service.revision_read(service.get_revision(db, who, report, number))


@router.patch(
    "/{report_id}/revisions/{number}",
    response_model=RevisionRead,
    operation_id="update_progress_revision",
    responses=conflict("The revision is submitted, or is revision 1 of a draft report"),
)
def update_progress_revision(
    who: StateMember,
    db: DbSession,
    report_id: uuid.UUID,
    number: RevisionNumber,
    body: RevisionFields,
    response: Response,
    if_match: IfMatch = None,
) -> RevisionRead:
    """Edit a correction still in draft; `If-Match` carries the report's ETag."""
    report = service.get_own_report(db, who, report_id)
    revision = service.update_revision(db, who, report, number, body, if_match)
    set_etag(response, report.version)
    return service.revision_read(revision)


def _present(db: DbSession, who: Principal, report: ProgressReport, _: Settings) -> ReportRead:
    return service.to_read(db, who, [report])[0]


add_verb_routes(
    router,
    service.PROGRESS_REPORT,
    id_param="report_id",
    load=service.get_own_report,
    present=_present,
    response_model=ReportRead,
    descriptions={
        "submit": "Submit the draft, or the pending correction, on behalf of the State. A "
        "correction to a published report stays OHCHR's until it is published. Focal points.",
        "publish": "Make a submitted report public (or its latest correction): anyone, "
        "anonymous callers included, may read it.",
        "unpublish": "Withdraw a report from public view; OHCHR still sees it.",
    },
)
