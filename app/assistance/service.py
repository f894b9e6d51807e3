"""Assistance requests: a State asks for help; OHCHR triages, decides and follows through.

Every query starts from `_visible(who)`: a State sees its own requests, OHCHR every submitted
one, and others only what a State published. Officer-only fields (priority, internal notes,
the assigned officer, internal messages) never reach a State's view.
"""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.assistance.lifecycle import (
    EVENTS,
    FINAL,
    NEEDS_MESSAGE,
    NEEDS_REASON,
    PUBLISHABLE,
    ROLES,
    TRANSITIONS,
)
from app.assistance.models import (
    AssistanceRequest,
    RequestMessage,
    RequestRecommendation,
    RequestShortfall,
    RequestStage,
    RequestTransition,
)
from app.assistance.priority import PriorityInputs, priority, score
from app.assistance.queue import is_overdue
from app.assistance.schemas import (
    AnyRequestView,
    AssignedProvider,
    MessageCreate,
    MessageRead,
    OfficerRequestView,
    RequestCreate,
    RequestFields,
    RequestView,
    TransitionRead,
)
from app.auth.models import User
from app.core.concurrency import require_match
from app.core.db import forget, remember, remembered
from app.core.errors import Forbidden, IllegalTransition, NotFound, UnprocessableContent
from app.core.models import utcnow
from app.core.pagination import (
    aware_datetime,
    issue_cursor,
    non_negative_int,
    paginate,
    read_cursor,
)
from app.core.principal import Principal, Role
from app.core.read_models import among_ids, json_list
from app.core.settings import Settings, get_settings
from app.events.types import EventType, Visibility
from app.expertise.models import Assignment, AssignmentStatus, Provider
from app.lifecycle.announce import announce
from app.lifecycle.drafts import NO_LINKS, Links, filtered, publication, submitted
from app.lifecycle.engine import Kind, Lifecycle, Move
from app.lifecycle.visibility import Stage, parties, visible
from app.recommendations.ownership import own_recommendation_ids
from app.shortfalls import service as shortfall_visibility
from app.shortfalls.models import Shortfall
from app.states.models import State
from app.taxonomies.service import term_errors

STATE_FIELDS = frozenset(RequestCreate.model_fields) - {"recommendation_ids", "shortfall_ids"}
OFFICER_FIELDS = frozenset({"assigned_officer_id", "internal_notes"})
STATE_EDITABLE_STAGES = frozenset({RequestStage.draft, RequestStage.info_requested})
MAX_COMPUTED_SORT = 10_000
# Names that bind a cursor to its list (the operations' ids).
LIST_REQUESTS = "list_assistance_requests"
LIST_MESSAGES = "list_assistance_messages"
RECOMMENDATIONS = Links(RequestRecommendation, "request_id", "recommendation_id")
SHORTFALLS = Links(RequestShortfall, "request_id", "shortfall_id")


class PriorityGroup(StrEnum):
    """The groups of States that raise a request's priority, each one flag of the State."""

    ldc = "ldc"
    lldc = "lldc"
    sids = "sids"
    conflict = "conflict"
    particular_needs = "particular_needs"


PRIORITY_GROUP_FLAGS = {
    PriorityGroup.ldc: State.is_ldc,
    PriorityGroup.lldc: State.is_lldc,
    PriorityGroup.sids: State.is_sids,
    PriorityGroup.conflict: State.emerging_from_conflict,
    PriorityGroup.particular_needs: State.particular_needs,
}


def _declined(move: Move[AssistanceRequest]) -> None:
    move.obj.decline_reason = move.body.reason


def _recorded(move: Move[AssistanceRequest]) -> None:
    """The request's history: when it entered its stage, the move, and what was said."""
    request = move.obj
    request.stage_entered_at = move.at
    move.db.add(
        RequestTransition(
            request_id=request.id,
            verb=move.verb,
            from_stage=move.source,
            to_stage=move.target,
            actor_id=move.who.id if move.who else None,
            actor_role=move.who.role.value if move.who else "system",
            at=move.at,
            note=move.body.message or move.body.reason,
        )
    )
    if move.body.message and move.who is not None:
        _add_message(move.db, move.who, request, move.body.message, internal=False)


STAGE: Lifecycle[AssistanceRequest] = Lifecycle(
    name="assistance_request.stage",
    field="stage",
    table=TRANSITIONS,
    roles=ROLES,
    events=EVENTS,
    needs_message=NEEDS_MESSAGE,
    needs_reason=NEEDS_REASON,
    stamps={"submit": submitted, "decline": _declined},
    history=_recorded,
)


def _state_view(db: Session, audience: Visibility, request: AssistanceRequest) -> RequestView:
    """What events carry and the audit log keeps: the State's view, never OHCHR's own data."""
    view_ = view(db, None, [request])[0]
    assert isinstance(view_, RequestView)
    return view_


ASSISTANCE_REQUEST: Kind[AssistanceRequest] = Kind(
    name="assistance_request",
    model=AssistanceRequest,
    lifecycles=(
        STAGE,
        publication("assistance_request", publishable=lambda r: r.stage in PUBLISHABLE),
    ),
    show=_state_view,
    audience=lambda r: r.visibility,
    state_code=lambda r: r.state_code,
)


def _offered_to(who: Principal) -> SelectOfScalar[uuid.UUID]:
    """The requests offered to the provider account `who`."""
    return (
        select(Assignment.request_id)
        .join(Provider, col(Provider.id) == Assignment.provider_id)
        .where(Provider.user_id == who.id)
    )


def _visible_clause(who: Principal | None) -> ColumnElement[bool]:
    """A provider also sees the requests offered to it."""
    offers: list[ColumnElement[bool]] = []
    if who is not None and who.role is Role.provider:
        offers.append(col(AssistanceRequest.id).in_(_offered_to(who)))
    return visible(AssistanceRequest, who, *offers)


def _shortfalls_of_offers(who: Principal) -> ColumnElement[bool] | None:
    """A provider also reads the shortfalls linked to the requests offered to it."""
    if who.role is not Role.provider:
        return None
    linked = select(RequestShortfall.shortfall_id).where(
        col(RequestShortfall.request_id).in_(_offered_to(who))
    )
    return col(Shortfall.id).in_(linked)


shortfall_visibility.also_seen(_shortfalls_of_offers)


def _visible(who: Principal | None) -> SelectOfScalar[AssistanceRequest]:
    return select(AssistanceRequest).where(_visible_clause(who))


def get_request(
    db: Session, who: Principal | None, request_id: uuid.UUID, *, as_party: bool = False
) -> AssistanceRequest:
    """The request, with its State read alongside (its priority needs the State's flags).
    `as_party`: only the State's own or, for OHCHR, a submitted one: what the caller may
    change, and the thread and history between the State and OHCHR."""
    scope = parties(AssistanceRequest, who) if as_party else _visible_clause(who)
    found = db.exec(
        select(AssistanceRequest, State)
        .join(State, col(State.code) == AssistanceRequest.state_code)
        .where(scope, col(AssistanceRequest.id) == request_id)
    ).first()
    if found is None:
        raise NotFound(f"no assistance request {request_id}")
    request, state = found
    remember(db, State, state.code, state)
    return request


def create_request(db: Session, who: Principal, body: RequestCreate) -> AssistanceRequest:
    """A draft for the caller's own State; links must be the State's own."""
    assert who.state_code is not None
    values = body.model_dump(include=set(STATE_FIELDS))
    _check_terms(db, values)
    recommendations = own_recommendation_ids(db, who.state_code, body.recommendation_ids)
    shortfalls = _own_submitted_shortfalls(db, who.state_code, body.shortfall_ids)
    request = AssistanceRequest(state_code=who.state_code, created_by_id=who.id, **values)
    db.add(request)
    db.flush()
    RECOMMENDATIONS.first(db, request.id, recommendations)
    SHORTFALLS.first(db, request.id, shortfalls)
    ASSISTANCE_REQUEST.announce(db, who, request, EventType.assistance_request_created)
    return request


def update_request(
    db: Session,
    who: Principal,
    request: AssistanceRequest,
    body: RequestFields,
    if_match: str | None,
) -> AssistanceRequest:
    """States edit their draft (or answer a request for information); officers set the
    assigned officer and internal notes. Neither may set the other's fields."""
    changes = body.model_dump(exclude_unset=True)
    own_fields, links = _editable(who, request, changes)
    require_match(if_match, request.version)
    officer_only = bool(OFFICER_FIELDS & changes.keys())
    before = (
        view(db, who, [request])[0] if officer_only else _state_view(db, Visibility.state, request)
    )
    if "window_start" in own_fields or "window_end" in own_fields:
        start = own_fields.get("window_start", request.window_start)
        end = own_fields.get("window_end", request.window_end)
        if start is None or end is None or start > end:
            raise UnprocessableContent("window_start must not be after window_end")
    _check_terms(db, own_fields)
    if own_fields.get("assigned_officer_id"):
        _check_officer(db, own_fields["assigned_officer_id"])
    request.touch()
    for field, value in own_fields.items():
        if value is not None or field in {
            "assigned_officer_id",
            "budget_estimate_usd",
            "co_funding_usd",
        }:
            setattr(request, field, value)
    db.add(request)
    if links:
        assert request.state_code is not None
        recommendations = (
            own_recommendation_ids(db, request.state_code, body.recommendation_ids)
            if body.recommendation_ids is not None
            else None
        )
        shortfalls = (
            _own_submitted_shortfalls(db, request.state_code, body.shortfall_ids)
            if body.shortfall_ids is not None
            else None
        )
        _link(db, request.id, recommendations, shortfalls)
    if officer_only:
        _announce_to_ohchr(db, who, request, before)
    else:
        ASSISTANCE_REQUEST.announce(
            db, who, request, EventType.assistance_request_updated, before=before
        )
    return request


def _announce_to_ohchr(
    db: Session, who: Principal, request: AssistanceRequest, before: AnyRequestView
) -> None:
    """A change to officer-only fields is told to OHCHR alone (an event naming no State)."""
    db.flush()
    announce(
        db,
        who,
        EventType.assistance_request_updated,
        resource_id=request.id,
        state_code=None,
        version=request.version,
        visibility=Visibility.ohchr,
        shown=view(db, who, [request])[0],
        before=before,
    )


def _editable(
    who: Principal, request: AssistanceRequest, changes: dict[str, Any]
) -> tuple[dict[str, Any], bool]:
    officer_changes = OFFICER_FIELDS & changes.keys()
    state_changes = changes.keys() - OFFICER_FIELDS
    if who.is_state and officer_changes:
        raise Forbidden(f"only OHCHR officers set {', '.join(sorted(officer_changes))}")
    if who.is_ohchr and state_changes:
        raise Forbidden(f"only the requesting State sets {', '.join(sorted(state_changes))}")
    if who.is_state and request.stage not in STATE_EDITABLE_STAGES:
        raise IllegalTransition(
            f"a request at stage {request.stage} is no longer edited by the State",
            allowed=ASSISTANCE_REQUEST.open_verbs(request, who),
        )
    links = bool({"recommendation_ids", "shortfall_ids"} & changes.keys())
    fields = {k: v for k, v in changes.items() if k not in {"recommendation_ids", "shortfall_ids"}}
    return fields, links


def transitions(db: Session, request: AssistanceRequest) -> list[TransitionRead]:
    rows = db.exec(
        select(RequestTransition)
        .where(RequestTransition.request_id == request.id)
        .order_by(col(RequestTransition.at), col(RequestTransition.id))
    ).all()
    return [TransitionRead.model_validate(row, from_attributes=True) for row in rows]


def list_messages(
    db: Session,
    who: Principal,
    request: AssistanceRequest,
    *,
    limit: int,
    cursor: str | None,
    settings: Settings,
) -> tuple[list[MessageRead], str | None]:
    statement = select(RequestMessage).where(RequestMessage.request_id == request.id)
    if not who.is_ohchr:
        statement = statement.where(col(RequestMessage.internal).is_(False))
    keys = [RequestMessage.created_at, RequestMessage.id]
    rows, next_cursor = paginate(
        db, statement, keys, limit=limit, cursor=cursor, settings=settings, list_name=LIST_MESSAGES
    )
    return [MessageRead.model_validate(r, from_attributes=True) for r in rows], next_cursor


def post_message(
    db: Session, who: Principal, request: AssistanceRequest, body: MessageCreate
) -> RequestMessage:
    if body.internal and not who.is_ohchr:
        raise Forbidden("only OHCHR officers write internal messages")
    return _add_message(db, who, request, body.body, internal=body.internal)


def _add_message(
    db: Session, who: Principal, request: AssistanceRequest, text: str, *, internal: bool
) -> RequestMessage:
    message = RequestMessage(
        request_id=request.id,
        author_id=who.id,
        author_role=who.role.value,
        body=text,
        internal=internal,
    )
    db.add(message)
    # An internal message is told to OHCHR alone: no State is named.
    announce(
        db,
        who,
        EventType.assistance_message_created,
        resource_id=message.id,
        state_code=None if internal else request.state_code,
        version=None,
        visibility=Visibility.ohchr,
        shown=MessageRead.model_validate(message, from_attributes=True),
    )
    return message


def list_requests(
    db: Session,
    who: Principal | None,
    settings: Settings,
    *,
    stage: RequestStage | None = None,
    region: str | None = None,
    priority_group: PriorityGroup | None = None,
    state: str | None = None,
    recommendation: uuid.UUID | None = None,
    visibility: Visibility | None = None,
    assistance_type: str | None = None,
    assigned_officer_id: uuid.UUID | None = None,
    overdue: bool | None = None,
    open_only: bool = False,
    sort: str = "created",
    limit: int,
    cursor: str | None,
) -> tuple[list[AnyRequestView], str | None]:
    """`open_only`: leave out completed, declined and withdrawn requests."""
    officer = who is not None and who.is_ohchr
    if (sort.lstrip("-") == "priority" or overdue is not None) and not officer:
        raise Forbidden("priority and service targets are OHCHR's working data")
    statement = filtered(
        _visible(who),
        AssistanceRequest,
        state=state,
        stage=stage,
        visibility=visibility,
        assistance_type=assistance_type,
    )
    if recommendation is not None:
        statement = statement.where(
            col(AssistanceRequest.id).in_(RECOMMENDATIONS.having(recommendation))
        )
    if open_only:
        statement = statement.where(col(AssistanceRequest.stage).not_in(FINAL))
    if assigned_officer_id is not None and officer:
        statement = statement.where(AssistanceRequest.assigned_officer_id == assigned_officer_id)
    if region is not None:
        in_region = select(State.code).where(
            or_(col(State.region) == region, col(State.sub_region) == region)
        )
        statement = statement.where(col(AssistanceRequest.state_code).in_(in_region))
    if priority_group is not None:
        in_group = select(State.code).where(col(PRIORITY_GROUP_FLAGS[priority_group]).is_(True))
        statement = statement.where(col(AssistanceRequest.state_code).in_(in_group))
    if sort == "created" and overdue is None:
        keys = [AssistanceRequest.created_at, AssistanceRequest.id]
        rows, next_cursor = paginate(
            db,
            statement,
            keys,
            limit=limit,
            cursor=cursor,
            settings=settings,
            list_name=LIST_REQUESTS,
        )
        return view(db, who, rows, settings=settings), next_cursor
    return _computed_page(db, who, settings, statement, sort, overdue, limit, cursor)


def _computed_page(
    db: Session,
    who: Principal | None,
    settings: Settings,
    statement: SelectOfScalar[AssistanceRequest],
    sort: str,
    overdue: bool | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[AnyRequestView], str | None]:
    """Orders that depend on the clock (priority grows with waiting): computed at one instant,
    carried in the cursor, so that every page of one walk agrees. The whole list is read as
    the few columns its order needs; only the page is read in full."""
    as_of, position = _decode_cursor(settings, sort, cursor)
    ranked = _ranked(db, settings, statement, sort, overdue, as_of)
    page = _read_views(db, who, ranked[position : position + limit], as_of, settings)
    more = position + limit < len(ranked)
    return page, _encode_cursor(settings, sort, as_of, position + limit) if more else None


SEVERITY_ORDER = ["low", "medium", "high", "critical"]

# What ordering and filtering a list by a computed field needs of each request: its priority's
# inputs and its stage's service target. The worst linked shortfall comes as its place in
# SEVERITY_ORDER (the database compares the places).
_WORST_SEVERITY_PLACE = (
    select(
        func.max(
            case({s: place for place, s in enumerate(SEVERITY_ORDER)}, value=Shortfall.severity)
        )
    )
    .select_from(RequestShortfall)
    .join(Shortfall, col(Shortfall.id) == RequestShortfall.shortfall_id)
    .where(RequestShortfall.request_id == AssistanceRequest.id)
    .scalar_subquery()
)
# The request's State under its own name: a list filter's subquery on `states` (by region, by
# priority group) must not be correlated to it.
_ITS_STATE = aliased(State, name="its_state")
_RANKED_COLUMNS: tuple[Any, ...] = (
    col(AssistanceRequest.id),
    col(AssistanceRequest.urgency),
    col(AssistanceRequest.stage),
    col(AssistanceRequest.stage_entered_at),
    col(AssistanceRequest.submitted_at),
    col(AssistanceRequest.created_at),
    col(_ITS_STATE.is_ldc),
    col(_ITS_STATE.is_lldc),
    col(_ITS_STATE.is_sids),
    col(_ITS_STATE.emerging_from_conflict),
    col(_ITS_STATE.particular_needs),
    _WORST_SEVERITY_PLACE.label("worst_severity_place"),
)


@dataclass(frozen=True)
class _Ranked:
    """A request of a list in a computed order, as far as the order knows it."""

    id: uuid.UUID
    stage: RequestStage
    stage_entered_at: dt.datetime
    moment: dt.datetime
    inputs: PriorityInputs


def _ranked(
    db: Session,
    settings: Settings,
    statement: SelectOfScalar[AssistanceRequest],
    sort: str,
    overdue: bool | None,
    as_of: dt.datetime,
) -> list[_Ranked]:
    """Every request of the list (up to MAX_COMPUTED_SORT) in the order `sort` gives at
    `as_of`, those `overdue` leaves out left out: Core rows, no ORM objects, and the priority's
    score alone (its explanation is for the page)."""
    rows = (
        db.connection()
        .execute(
            statement.with_only_columns(*_RANKED_COLUMNS)
            .join_from(
                AssistanceRequest, _ITS_STATE, col(_ITS_STATE.code) == AssistanceRequest.state_code
            )
            .limit(MAX_COMPUTED_SORT)
        )
        .all()
    )
    ranked = [
        _Ranked(
            id=row.id,
            stage=row.stage,
            stage_entered_at=row.stage_entered_at,
            moment=row.submitted_at or row.created_at,
            inputs=PriorityInputs(
                is_ldc=row.is_ldc,
                is_lldc=row.is_lldc,
                is_sids=row.is_sids,
                emerging_from_conflict=row.emerging_from_conflict,
                particular_needs=row.particular_needs,
                urgency=row.urgency.value,
                worst_shortfall_severity=_severity_at(row.worst_severity_place),
                submitted_at=row.submitted_at,
            ),
        )
        for row in rows
    ]
    targets = settings.service_targets
    if overdue is not None:
        ranked = [
            r
            for r in ranked
            if is_overdue(r.stage.value, r.stage_entered_at, as_of, targets) is overdue
        ]
    descending = sort.startswith("-")
    if sort.lstrip("-") == "priority":
        weights = settings.priority_weights
        scores = {r.id: score(r.inputs, weights, as_of) for r in ranked}
        ranked.sort(key=lambda r: (-scores[r.id] if descending else scores[r.id], str(r.id)))
    else:
        moments = {r.id: r.moment.timestamp() for r in ranked}
        ranked.sort(key=lambda r: (-moments[r.id] if descending else moments[r.id], str(r.id)))
    return ranked


def _severity_at(place: int | None) -> str | None:
    return None if place is None else SEVERITY_ORDER[place]


# The columns of a request that its views show as they are: the State's view's, then OHCHR's.
_STATE_VIEW_NAMES = tuple(
    name for name in RequestView.model_fields if name in AssistanceRequest.model_fields
)
_OFFICER_NAMES = ("assigned_officer_id", "internal_notes")
_SHOWN_COLUMNS: tuple[Any, ...] = tuple(
    col(getattr(AssistanceRequest, name)) for name in (*_STATE_VIEW_NAMES, *_OFFICER_NAMES)
)


@cache
def _shown(dialect: str) -> Select[Any]:
    """The read model of the requests of `:ids`: the columns their views show and, as JSON
    arrays aggregated by the database, their recommendations' and shortfalls' ids. Built once
    (building a statement costs more than answering it); PostgreSQL takes the ids as one
    array, so it prepares the statement once for any number."""
    request = col(AssistanceRequest.id)

    def linked(target: Any, link: Any) -> Any:
        return (
            sa_select(json_list(dialect, target)).where(link.request_id == request)
        ).scalar_subquery()

    return sa_select(
        *_SHOWN_COLUMNS,
        linked(col(RequestRecommendation.recommendation_id), RequestRecommendation).label(
            "recommendation_ids"
        ),
        linked(col(RequestShortfall.shortfall_id), RequestShortfall).label("shortfall_ids"),
    ).where(among_ids(dialect, request))


def _read_views(
    db: Session,
    who: Principal | None,
    page: Sequence[_Ranked],
    as_of: dt.datetime,
    settings: Settings,
) -> list[AnyRequestView]:
    """The page's requests as `view` shows them, read as rows of the read model."""
    if not page:
        return []
    statement = _shown(db.get_bind().dialect.name)
    found = {
        row.id: row for row in db.connection().execute(statement, {"ids": [r.id for r in page]})
    }
    rows = [found[r.id] for r in page]
    assigned = _assigned_providers(
        db,
        [
            row.id
            for row in rows
            if row.stage in SERVED_STAGES and _told_who_serves(who, row.state_code)
        ],
    )
    officer = who is not None and who.is_ohchr
    views: list[AnyRequestView] = []
    for ranked, row in zip(page, rows, strict=True):
        columns = row._mapping
        shown = {name: columns[name] for name in _STATE_VIEW_NAMES}
        shown.update(
            published=row.visibility is Visibility.public,
            recommendation_ids=_sorted_ids(row.recommendation_ids),
            shortfall_ids=_sorted_ids(row.shortfall_ids),
            assigned_provider=assigned.get(row.id),
        )
        if not officer:
            views.append(RequestView(**shown))
            continue
        views.append(
            OfficerRequestView(
                **shown,
                priority=priority(ranked.inputs, settings.priority_weights, as_of),
                overdue=is_overdue(
                    row.stage.value, row.stage_entered_at, as_of, settings.service_targets
                ),
                assigned_officer_id=row.assigned_officer_id,
                internal_notes=row.internal_notes,
            )
        )
    return views


def _sorted_ids(linked: list[Any] | None) -> list[uuid.UUID]:
    """Linked ids as `Links.of` gives them: sorted as text."""
    return sorted((uuid.UUID(str(found)) for found in linked or ()), key=str)


# The computed orders' cursor: the instant the order was computed at, and the offset reached.
COMPUTED_CURSOR_FIELDS = (aware_datetime, non_negative_int)


def _computed_sort(sort: str) -> str:
    """Distinct from every keyset sort of the list, so neither cursor is read as the other."""
    return f"computed:{sort}"


def _encode_cursor(settings: Settings, sort: str, as_of: dt.datetime, position: int) -> str:
    return issue_cursor(settings, LIST_REQUESTS, _computed_sort(sort), [as_of, position])


def _decode_cursor(settings: Settings, sort: str, cursor: str | None) -> tuple[dt.datetime, int]:
    if cursor is None:
        return utcnow(), 0
    as_of, position = read_cursor(
        settings, LIST_REQUESTS, _computed_sort(sort), cursor, COMPUTED_CURSOR_FIELDS
    )
    return as_of, position


def view(
    db: Session,
    who: Principal | None,
    requests: Sequence[AssistanceRequest],
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> list[AnyRequestView]:
    """Each request as this caller may see it: OHCHR's view with priority, or the State's."""
    if not requests:
        return []
    ids = [r.id for r in requests]
    recommendations = RECOMMENDATIONS.of(db, ids)
    shortfalls = _linked_shortfalls(db, ids)
    assigned = _assigned_providers(
        db,
        [
            r.id
            for r in requests
            if r.stage in SERVED_STAGES and _told_who_serves(who, r.state_code)
        ],
    )
    base = [
        RequestView(
            **{field: getattr(r, field) for field in RequestView.model_fields if hasattr(r, field)},
            published=r.visibility is Visibility.public,
            recommendation_ids=recommendations[r.id],
            shortfall_ids=shortfalls[r.id],
            assigned_provider=assigned.get(r.id),
        )
        for r in requests
    ]
    if who is None or not who.is_ohchr:
        return list(base)
    settings_now = now or utcnow()
    inputs = _priority_inputs(db, requests)
    policy = settings or get_settings()
    weights, targets = policy.priority_weights, policy.service_targets
    return [
        OfficerRequestView(
            **shown.model_dump(),
            priority=priority(inputs[r.id], weights, settings_now),
            overdue=is_overdue(r.stage.value, r.stage_entered_at, settings_now, targets),
            assigned_officer_id=r.assigned_officer_id,
            internal_notes=r.internal_notes,
        )
        for r, shown in zip(requests, base, strict=True)
    ]


def _told_who_serves(who: Principal | None, state_code: str) -> bool:
    """The requesting State and OHCHR learn who serves a request of `state_code`; other
    readers do not."""
    if who is None:
        return False
    return who.is_ohchr or (who.is_state and who.state_code == state_code)


def _assigned_providers(db: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, AssignedProvider]:
    """The provider that accepted each request's offer (still serving it, or done)."""
    if not ids:
        return {}
    rows = db.exec(
        select(Assignment.request_id, Provider.name, Provider.kind)
        .join(Provider, col(Provider.id) == Assignment.provider_id)
        .where(
            col(Assignment.request_id).in_(ids),
            col(Assignment.status).in_(SERVED),
        )
    ).all()
    return {rid: AssignedProvider(name=name, kind=kind) for rid, name, kind in rows}


def _priority_inputs(
    db: Session, requests: Sequence[AssistanceRequest]
) -> dict[uuid.UUID, PriorityInputs]:
    states = states_of(db, [r.state_code for r in requests])
    worst = remembered(db, WORST_SEVERITY, [r.id for r in requests], _worst_severities(db), None)
    inputs = {}
    for r in requests:
        state = states[r.state_code]
        inputs[r.id] = PriorityInputs(
            is_ldc=state.is_ldc,
            is_lldc=state.is_lldc,
            is_sids=state.is_sids,
            emerging_from_conflict=state.emerging_from_conflict,
            particular_needs=state.particular_needs,
            urgency=r.urgency.value,
            worst_shortfall_severity=worst[r.id],
            submitted_at=r.submitted_at,
        )
    return inputs


def states_of(db: Session, codes: Sequence[str]) -> dict[str, State]:
    """The States of these codes, read once per request."""

    def load(unread: list[str]) -> dict[str, State | None]:
        return {s.code: s for s in db.exec(select(State).where(col(State.code).in_(unread)))}

    found = remembered(db, State, codes, load, None)
    return {code: state for code, state in found.items() if state is not None}


SERVED = (AssignmentStatus.accepted, AssignmentStatus.completed)
"""An assignment the provider accepted."""
SERVED_STAGES = (RequestStage.matched, RequestStage.in_delivery, RequestStage.completed)
"""The stages of a request a provider accepted to serve."""

WORST_SEVERITY = "worst shortfall severity"


def _linked_shortfalls(db: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The shortfalls of each request, read with their severities (the priority needs them)."""

    def load(unread: list[uuid.UUID]) -> dict[uuid.UUID, tuple[uuid.UUID, ...]]:
        linked: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        severities: dict[uuid.UUID, list[str]] = defaultdict(list)
        for request_id, shortfall_id, severity in db.exec(
            select(RequestShortfall.request_id, RequestShortfall.shortfall_id, Shortfall.severity)
            .join(Shortfall, col(Shortfall.id) == RequestShortfall.shortfall_id)
            .where(col(RequestShortfall.request_id).in_(unread))
        ).all():
            linked[request_id].append(shortfall_id)
            severities[request_id].append(str(severity))
        for request_id in unread:
            worst = max(severities[request_id], key=SEVERITY_ORDER.index, default=None)
            remember(db, WORST_SEVERITY, request_id, worst)
        return {rid: tuple(sorted(found, key=str)) for rid, found in linked.items()}

    return {
        rid: list(found) for rid, found in remembered(db, SHORTFALLS, ids, load, NO_LINKS).items()
    }


def _worst_severities(db: Session) -> Callable[[list[uuid.UUID]], dict[uuid.UUID, str]]:
    def load(request_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        severities: dict[uuid.UUID, list[str]] = defaultdict(list)
        for request_id, severity in db.exec(
            select(RequestShortfall.request_id, Shortfall.severity)
            .join(Shortfall, col(Shortfall.id) == RequestShortfall.shortfall_id)
            .where(col(RequestShortfall.request_id).in_(request_ids))
        ).all():
            severities[request_id].append(str(severity))
        return {rid: max(found, key=SEVERITY_ORDER.index) for rid, found in severities.items()}

    return load


def _link(
    db: Session,
    request_id: uuid.UUID,
    recommendations: list[uuid.UUID] | None,
    shortfalls: list[uuid.UUID] | None,
) -> None:
    if recommendations is not None:
        RECOMMENDATIONS.replace(db, request_id, recommendations)
    if shortfalls is not None:
        SHORTFALLS.replace(db, request_id, shortfalls)
        forget(db, WORST_SEVERITY, request_id)


def _own_submitted_shortfalls(
    db: Session, state_code: str, ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    wanted = list(dict.fromkeys(ids))
    found = set(
        db.exec(
            select(Shortfall.id).where(
                col(Shortfall.id).in_(wanted),
                Shortfall.state_code == state_code,
                Shortfall.stage == Stage.submitted,
            )
        ).all()
    )
    missing = [str(s) for s in wanted if s not in found]
    if missing:
        raise UnprocessableContent(
            "shortfall_ids must name your State's submitted shortfalls",
            errors=[
                {"loc": ["body", "shortfall_ids"], "msg": f"not found: {m}", "type": "value_error"}
                for m in missing[:20]
            ],
        )
    return wanted


def _check_terms(db: Session, values: dict[str, Any]) -> None:
    errors = term_errors(db, values)
    if errors:
        raise UnprocessableContent(
            "invalid input: " + "; ".join(e["msg"] for e in errors[:5]), errors=errors
        )


def _check_officer(db: Session, officer_id: uuid.UUID) -> None:
    user = db.get(User, officer_id)
    if (
        user is None
        or not user.is_active
        or user.role not in (Role.ohchr_officer, Role.ohchr_admin)
    ):
        raise UnprocessableContent("assigned_officer_id must name an active OHCHR officer")
