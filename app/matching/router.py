import uuid
from typing import Annotated

from fastapi import Body, Depends, Header, Query, Request, Response
from pydantic import BaseModel

from app.assistance import service as assistance
from app.core.concurrency import set_etag
from app.core.deps import AppSettings, DbSession
from app.core.guards import Officer, require
from app.core.idempotency import IdempotencyKey, create_once, fingerprint
from app.core.openapi import conflict, refusal
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.core.principal import OHCHR_ROLES, Principal, Role
from app.core.routing import api_router
from app.core.settings import Settings
from app.expertise.models import Assignment, AssignmentStatus
from app.lifecycle.routes import add_verb_routes
from app.matching import jobs, service
from app.matching.explain import language_of
from app.matching.lifecycle import ASSIGNMENT, assignment_read
from app.matching.schemas import (
    AssignmentCreate,
    AssignmentPage,
    AssignmentRead,
    CandidateList,
    JointActivityList,
    MatchingRunCreate,
    MatchingRunPage,
    MatchingRunRead,
)

candidates_router = api_router("/assistance-requests", tags=["matching"])
runs_router = api_router("/matching-runs", tags=["matching"])
assignments_router = api_router("/assignments", tags=["assignments"])
joint_router = api_router("/joint-activity-proposals", tags=["matching"])

OfficerOrProvider = Annotated[Principal, Depends(require(*OHCHR_ROLES, Role.provider))]


@candidates_router.get(
    "/{request_id}/candidates", response_model=CandidateList, operation_id="list_candidates"
)
def list_candidates(
    who: Officer,
    db: DbSession,
    settings: AppSettings,
    request_id: uuid.UUID,
    response: Response,
    accept_language: Annotated[str | None, Header(max_length=200)] = None,
) -> CandidateList:
    """Every provider that can serve the request at the minimum score or more, best first
    (ties: more places left, nearer coverage, then name); each factor's part in `reasons` and,
    in `explanation`, its weight, value, contribution and a sentence in the language of
    `Accept-Language` (English, or French)."""
    request = assistance.get_request(db, who, request_id)
    response.headers["Vary"] = "Accept-Language"
    lang = language_of(accept_language)
    return CandidateList(items=service.candidates(db, request, settings, lang))


@runs_router.post(
    "", response_model=MatchingRunRead, status_code=202, operation_id="create_matching_run"
)
def create_matching_run(
    who: Officer,
    db: DbSession,
    request: Request,
    body: Annotated[MatchingRunCreate | None, Body()] = None,
    key: IdempotencyKey = None,
    accept_language: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """Queue the optimal proposal over all accepted, unassigned requests (or the given ones):
    maximal total of priority x candidate score within every provider's capacity. The answer
    is `202` with the run, `queued`, and its `Location`: read it until its `status` is
    `succeeded` (with the proposals) or `failed`. Nothing is assigned until an officer offers
    the assignments."""
    options = body or MatchingRunCreate()

    def create() -> tuple[BaseModel, str]:
        run = jobs.queue_run(db, who, options.request_ids)
        shown = service.run_read(run, language_of(accept_language))
        return shown, f"{request.url.path}/{run.id}"

    return create_once(
        db,
        owner=who.subject,
        key=key,
        create=create,
        request_fingerprint=fingerprint("POST", request.url.path, options),
        status_code=202,
    )


@runs_router.get("", response_model=MatchingRunPage, operation_id="list_matching_runs")
def list_matching_runs(
    _who: Officer,
    db: DbSession,
    settings: AppSettings,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> MatchingRunPage:
    """Matching runs, newest first: who ran each, where it stands (`status`), its total and how
    many proposals and unmatched requests it has."""
    items, next_cursor = service.list_runs(db, limit=limit, cursor=cursor, settings=settings)
    return MatchingRunPage(items=items, next_cursor=next_cursor)


@runs_router.get("/{run_id}", response_model=MatchingRunRead, operation_id="get_matching_run")
def get_matching_run(
    _who: Officer,
    db: DbSession,
    run_id: uuid.UUID,
    accept_language: Annotated[str | None, Header(max_length=200)] = None,
) -> MatchingRunRead:
    """The run and, once it has `succeeded`, its proposals, each with why (English, or French
    by `Accept-Language`)."""
    return service.run_read(service.get_run(db, run_id), language_of(accept_language))


@joint_router.get("", response_model=JointActivityList, operation_id="list_joint_activities")
def list_joint_activities(_who: Officer, db: DbSession) -> JointActivityList:
    """Regional workshops instead of separate missions: accepted requests from different States
    of one region asking for the same help in overlapping windows, with who could serve all."""
    return JointActivityList(items=service.joint_activities(db))


@assignments_router.post(
    "",
    response_model=AssignmentRead,
    status_code=201,
    operation_id="create_assignment",
    responses={
        **conflict("The request is not accepted, already offered, or the provider cannot take it"),
        **refusal(404, "No such assistance request or matching run"),
    },
)
def create_assignment(
    who: Officer,
    db: DbSession,
    body: AssignmentCreate,
    request: Request,
    settings: AppSettings,
    key: IdempotencyKey = None,
) -> Response:
    """Offer an accepted request to a provider (409 beyond its capacity), to be answered by
    `respond_by` (`OFFER_RESPONSE_DAYS` from now)."""

    def create() -> tuple[BaseModel, str]:
        assignment = service.offer(
            db, who, body.request_id, body.provider_id, body.matching_run_id, settings
        )
        return assignment_read(assignment), f"{request.url.path}/{assignment.id}"

    return create_once(
        db,
        owner=who.subject,
        key=key,
        create=create,
        request_fingerprint=fingerprint("POST", request.url.path, body),
    )


@assignments_router.get("", response_model=AssignmentPage, operation_id="list_assignments")
def list_assignments(
    who: OfficerOrProvider,
    db: DbSession,
    settings: AppSettings,
    status: AssignmentStatus | None = None,
    request_id: uuid.UUID | None = None,
    overdue: Annotated[
        bool | None, Query(description="Still `proposed` past `respond_by` (or, false, not)")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> AssignmentPage:
    """Officers: every assignment. A provider: its own."""
    items, next_cursor = service.list_assignments(
        db,
        who,
        status=status,
        request_id=request_id,
        overdue=overdue,
        limit=limit,
        cursor=cursor,
        settings=settings,
    )
    return AssignmentPage(items=items, next_cursor=next_cursor)


@assignments_router.get(
    "/{assignment_id}", response_model=AssignmentRead, operation_id="get_assignment"
)
def get_assignment(
    who: OfficerOrProvider, db: DbSession, assignment_id: uuid.UUID, response: Response
) -> AssignmentRead:
    assignment = service.get_assignment(db, who, assignment_id)
    set_etag(response, assignment.version)
    return assignment_read(assignment)


ON_BEHALF_NOTE = (
    "An OHCHR officer records the answer of a provider without an account, with a `message` "
    "saying how it was received (403 for a provider that has one)."
)


def _present(db: DbSession, who: Principal, assignment: Assignment, _: Settings) -> AssignmentRead:
    return assignment_read(assignment)


add_verb_routes(
    assignments_router,
    ASSIGNMENT,
    id_param="assignment_id",
    load=service.get_assignment,
    present=_present,
    response_model=AssignmentRead,
    descriptions={
        "accept": "The provider takes the assignment; the request becomes `matched`. "
        + ON_BEHALF_NOTE,
        "decline": "The provider declines (`reason` optional); the capacity is freed and the "
        "request can be offered again. " + ON_BEHALF_NOTE,
    },
)
