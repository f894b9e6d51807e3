"""The console's pages and forms: HTTP only. Each reads or changes through the domain services,
as the API does, and answers a page (GET) or a redirect to one (POST, then GET)."""

import uuid
from collections.abc import Mapping
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, col, select

from app.assistance import service as assistance
from app.assistance.models import AssistanceRequest, RequestStage
from app.assistance.schemas import MessageCreate, RequestFields
from app.auth import tokens
from app.console import casefile, sessions
from app.console.forms import attempt, notice_after, see
from app.console.pages import page
from app.console.sessions import Desk, Officer, OfficerForm
from app.core.concurrency import etag_of
from app.core.deps import AppSettings, DbSession
from app.core.errors import OAuthError, Problem, TooManyRequests
from app.core.principal import OHCHR_ROLES
from app.core.routing import page_router
from app.lifecycle.schemas import VerbBody
from app.states.models import State
from app.taxonomies.vocabularies import AssistanceType

router = page_router("/console")

QUEUE_PAGE_SIZE = 25
ANY_STAGE = "any"  # the queue's stage filter: empty shows the open requests, "any" every one
Text = Annotated[str, Form(max_length=20_000)]
Choice = Annotated[str, Query(max_length=60)]


# Signing in and out


@router.get("", response_class=HTMLResponse)
def console_home() -> Response:
    return see("/console/queue")


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, settings: AppSettings, problem: Choice = "") -> Response:
    token = sessions.sign_in_token(request)
    response = page(request, "sign_in.html", problem=problem, csrf_token=token)
    sessions.keep_sign_in_token(response, settings, token)
    return response


@router.post("/sign-in", response_class=HTMLResponse, dependencies=[sessions.SignInForm])
def sign_in(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    address = request.client.host if request.client else "unknown"
    try:
        user = tokens.sign_in(db, settings, email=email, password=password, address=address)
    except OAuthError:
        db.commit()  # the failed attempt counts, as at the token endpoint
        return see("/console/sign-in", problem="credentials")
    except TooManyRequests:
        return see("/console/sign-in", problem="throttled")
    if user.role not in OHCHR_ROLES:
        return page(request, "refused.html", status_code=403, role=user.role.value)
    response = see("/console/queue")
    sessions.open_session(db, settings, user, request, response)
    return response


@router.post("/sign-out", response_class=HTMLResponse)
def sign_out(db: DbSession, desk: OfficerForm) -> Response:
    response = see("/console/sign-in", problem="signed_out")
    sessions.end_session(db, desk, response)
    return response


# The triage queue


def _region_names(db: Session) -> list[str]:
    regions = db.exec(select(State.region).distinct()).all()
    sub_regions = db.exec(select(State.sub_region).distinct()).all()
    return sorted(set(regions) | set(sub_regions))


@router.get("/queue", response_class=HTMLResponse)
def queue_page(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    desk: Officer,
    stage: Choice = "",
    region: Choice = "",
    state: Choice = "",
    assistance_type: Choice = "",
    overdue: Choice = "",
    mine: Choice = "",
    after: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    filters = {
        "stage": stage,
        "region": region,
        "state": state,
        "assistance_type": assistance_type,
        "overdue": overdue,
        "mine": mine,
    }
    try:
        items, next_cursor = assistance.list_requests(
            db,
            desk.who,
            settings,
            stage=RequestStage(stage) if stage not in ("", ANY_STAGE) else None,
            open_only=not stage,
            region=region or None,
            state=state.upper() or None,
            assistance_type=AssistanceType(assistance_type) if assistance_type else None,
            assigned_officer_id=desk.who.id if mine else None,
            overdue=True if overdue else None,
            sort="-priority",
            limit=QUEUE_PAGE_SIZE,
            cursor=after or None,
        )
        bad_filter = False
    except (ValueError, Problem):  # a hand-edited address: say so, with the filters to redo
        items, next_cursor, bad_filter = [], None, True
    return page(
        request,
        "queue.html",
        status_code=422 if bad_filter else 200,
        desk=desk,
        filters=filters,
        items=items,
        states=assistance.states_of(db, sorted({item.state_code for item in items})),
        next_url=_queue_url({**filters, "after": next_cursor}) if next_cursor else None,
        first_url=_queue_url(filters) if after else None,
        bad_filter=bad_filter,
        stages=list(RequestStage),
        types=list(AssistanceType),
        regions=_region_names(db),
        all_states=_all_states(db),
    )


def _queue_url(query: dict[str, str]) -> str:
    return "/console/queue?" + urlencode({k: v for k, v in query.items() if v})


def _all_states(db: Session) -> list[State]:
    return list(db.exec(select(State).order_by(col(State.name))).all())


# A request


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def request_page(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    desk: Officer,
    request_id: uuid.UUID,
    notice: Choice = "",
) -> Response:
    _, case = casefile.case_file(db, desk.who, settings, request_id)
    return page(request, "request.html", desk=desk, case=case, notice=notice)


@router.post("/requests/{request_id}/verbs/{verb}", response_class=HTMLResponse)
def move_request(
    db: DbSession,
    desk: OfficerForm,
    request_id: uuid.UUID,
    verb: Annotated[str, Path(max_length=40)],
    version: Annotated[int, Form()],
    message: Text = "",
    reason: Text = "",
) -> Response:
    """A verb from the lifecycle table, made on the version the officer was looking at: if
    someone moved the request since, nothing is done and the page says so."""
    path = f"/console/requests/{request_id}"
    target = assistance.get_request(db, desk.who, request_id, as_party=True)

    def move() -> None:
        body = VerbBody(message=message or None, reason=reason or None)
        assistance.ASSISTANCE_REQUEST.apply(db, desk.who, target, verb, body, etag_of(version))

    refusal = attempt(db, move)
    if refusal is not None and _made_by(db, desk, target, verb):
        refusal = None  # the same form posted twice: the first made the move
    return see(path, notice=notice_after(refusal, f"done-{verb}"))


def _made_by(db: Session, desk: Desk, target: AssistanceRequest, verb: str) -> bool:
    """Whether the request's latest move is `verb`, made by this officer."""
    history = assistance.transitions(db, target)
    return bool(history) and history[-1].verb == verb and history[-1].actor_id == desk.who.id


@router.post("/requests/{request_id}/assign", response_class=HTMLResponse)
def assign_to_me(
    db: DbSession,
    desk: OfficerForm,
    request_id: uuid.UUID,
    version: Annotated[int, Form()],
) -> Response:
    change = {"assigned_officer_id": desk.who.id}
    return _edit(db, desk, request_id, version, change, "done-assign")


@router.post("/requests/{request_id}/notes", response_class=HTMLResponse)
def keep_notes(
    db: DbSession,
    desk: OfficerForm,
    request_id: uuid.UUID,
    version: Annotated[int, Form()],
    internal_notes: Text = "",
) -> Response:
    return _edit(db, desk, request_id, version, {"internal_notes": internal_notes}, "done-notes")


def _edit(
    db: Session,
    desk: Desk,
    request_id: uuid.UUID,
    version: int,
    change: Mapping[str, object],
    done: str,
) -> Response:
    """An officer's edit of the request (PATCH's rules), on the version the page showed."""
    target = assistance.get_request(db, desk.who, request_id, as_party=True)

    def edit() -> None:
        fields = RequestFields.model_validate(change)
        assistance.update_request(db, desk.who, target, fields, etag_of(version))

    refusal = attempt(db, edit)
    return see(f"/console/requests/{request_id}", notice=notice_after(refusal, done))


@router.post("/requests/{request_id}/messages", response_class=HTMLResponse)
def write_message(
    db: DbSession,
    desk: OfficerForm,
    request_id: uuid.UUID,
    body: Text = "",
    internal: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    target = assistance.get_request(db, desk.who, request_id, as_party=True)

    def post() -> None:
        written = MessageCreate(body=body, internal=bool(internal))
        assistance.post_message(db, desk.who, target, written)

    refusal = attempt(db, post)
    return see(f"/console/requests/{request_id}", notice=notice_after(refusal, "done-message"))
