from typing import Annotated

from fastapi import Path, Query, Response

from app.core.concurrency import IfMatch, set_etag
from app.core.deps import AppSettings, DbSession
from app.core.guards import Admin, Anyone
from app.core.openapi import refusal
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.core.routing import api_router
from app.states import service
from app.states.schemas import StatePage, StateRead, StateUpdate

router = api_router("/states", tags=["states"])

StateCodePath = Annotated[str, Path(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")]


@router.get("", response_model=StatePage, operation_id="list_states")
def list_states(
    _who: Anyone,
    db: DbSession,
    settings: AppSettings,
    region: Annotated[str | None, Query(max_length=60)] = None,
    sub_region: Annotated[str | None, Query(max_length=60)] = None,
    regional_group: Annotated[str | None, Query(max_length=60)] = None,
    is_member: bool | None = None,
    is_ldc: bool | None = None,
    is_sids: bool | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> StatePage:
    """The 193 Member States and 2 observer States, by code. Public."""
    states, next_cursor = service.list_states(
        db,
        region=region,
        sub_region=sub_region,
        regional_group=regional_group,
        is_member=is_member,
        is_ldc=is_ldc,
        is_sids=is_sids,
        limit=limit,
        cursor=cursor,
        settings=settings,
    )
    return StatePage(items=[StateRead.model_validate(s) for s in states], next_cursor=next_cursor)


@router.get(
    "/resolve",
    response_model=StateRead,
    operation_id="resolve_state_name",
    responses=refusal(404, "Unknown or ambiguous name; `suggestions` lists close matches"),
)
def resolve_state_name(
    _who: Anyone,
    db: DbSession,
    response: Response,
    name: Annotated[str, Query(min_length=1, max_length=200)],
) -> StateRead:
    """The State a name refers to, as real files write it ("DPR Korea", "St Kitts & Nevis").

    An unknown or ambiguous name is 404 with `suggestions`. Public."""
    state = service.resolve_name(db, name)
    set_etag(response, state.version)
    return StateRead.model_validate(state)


@router.get("/{code}", response_model=StateRead, operation_id="get_state")
def get_state(_who: Anyone, db: DbSession, code: StateCodePath, response: Response) -> StateRead:
    """One State by ISO 3166-1 alpha-3 code. Public."""
    state = service.get_state(db, code)
    set_etag(response, state.version)
    return StateRead.model_validate(state)


@router.patch("/{code}", response_model=StateRead, operation_id="update_state")
def update_state(
    who: Admin,
    db: DbSession,
    code: StateCodePath,
    body: StateUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> StateRead:
    """Set `emerging_from_conflict` and `particular_needs`. Administrators; `If-Match` required."""
    state = service.update_state(db, who, service.get_state(db, code), body, if_match)
    set_etag(response, state.version)
    return StateRead.model_validate(state)
