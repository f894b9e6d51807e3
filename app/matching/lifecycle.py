"""An assignment's lifecycle, as data.

    proposed -accept (the provider)-> accepted      the request becomes `matched`
    proposed -decline (the provider)-> declined     the capacity is freed
    proposed|accepted -complete-> completed         moved by the platform when the request
    proposed|accepted -withdraw-> withdrawn         is completed or withdrawn

A provider without an account cannot answer for itself: an OHCHR officer records its answer
(`accept` or `decline` with a `message` saying how the answer was received), and is the actor
of the move. A provider with an account always answers itself.

An offer is due by `respond_by` (`OFFER_RESPONSE_DAYS` after it was made); still proposed past
it, it is overdue, and `mark_overdue_offers` announces that once.

Events about assignments are OHCHR's (they name no State).
"""

import datetime as dt

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, col, select

from app.assistance.models import AssistanceRequest
from app.assistance.service import ASSISTANCE_REQUEST
from app.core.errors import Forbidden, UnprocessableContent
from app.core.models import utcnow
from app.core.principal import OHCHR_ROLES, Role
from app.core.settings import Settings
from app.events.types import EventType, Visibility
from app.expertise.models import OCCUPYING, Assignment, Provider
from app.expertise.models import AssignmentStatus as A
from app.lifecycle.engine import PLATFORM, Kind, Lifecycle, Move
from app.matching.schemas import AssignmentRead

PROVIDER = frozenset({Role.provider})
ON_BEHALF = OHCHR_ROLES
"""Who records the answer of a provider that has no account."""
ANSWERS = PROVIDER | ON_BEHALF


def _answered(move: Move[Assignment]) -> None:
    if move.who is not None and move.who.role in ON_BEHALF:
        _recorded_on_behalf(move)
    move.obj.responded_at = move.at
    if move.verb == "decline":
        move.obj.decline_reason = move.body.reason


def _recorded_on_behalf(move: Move[Assignment]) -> None:
    """An officer answers only for a provider without an account, and says how it answered."""
    assert move.who is not None
    provider = move.db.get(Provider, move.obj.provider_id)
    assert provider is not None
    if provider.user_id is not None:
        raise Forbidden(
            f"{provider.name} has an account and answers its offers itself; "
            "an officer records answers only for providers without one"
        )
    if not move.body.message:
        raise UnprocessableContent(
            f"an officer recording the provider's {move.verb} needs a message: "
            "how the answer was received",
            errors=[{"loc": ["body", "message"], "msg": "required", "type": "missing"}],
        )
    move.obj.recorded_by_id = move.who.id
    move.obj.response_note = move.body.message


def _request_matched(move: Move[Assignment]) -> None:
    request = move.db.get(AssistanceRequest, move.obj.request_id)
    assert request is not None
    ASSISTANCE_REQUEST.apply(move.db, None, request, "match")


STATUS: Lifecycle[Assignment] = Lifecycle(
    name="assignment.status",
    field="status",
    table={
        (A.proposed, "accept"): A.accepted,
        (A.proposed, "decline"): A.declined,
        **{(status, "complete"): A.completed for status in OCCUPYING},
        **{(status, "withdraw"): A.withdrawn for status in OCCUPYING},
    },
    roles={"accept": ANSWERS, "decline": ANSWERS, "complete": PLATFORM, "withdraw": PLATFORM},
    events={
        "accept": EventType.assignment_accepted,
        "decline": EventType.assignment_declined,
        "complete": EventType.assignment_completed,
        "withdraw": EventType.assignment_withdrawn,
    },
    stamps={"accept": _answered, "decline": _answered},
    effects={"accept": [_request_matched]},
)


def response_deadline(offered_at: dt.datetime, settings: Settings) -> dt.datetime:
    """When the provider's answer to an offer made at `offered_at` is due."""
    return offered_at + dt.timedelta(days=settings.offer_response_days)


def is_overdue(assignment: Assignment, now: dt.datetime) -> bool:
    return (
        assignment.status == A.proposed
        and assignment.respond_by is not None
        and assignment.respond_by < now
    )


def overdue_clause(now: dt.datetime, overdue: bool = True) -> ColumnElement[bool]:
    """The assignments that are (or, with `overdue=False`, are not) overdue at `now`."""
    late = and_(
        col(Assignment.status) == A.proposed,
        col(Assignment.respond_by).is_not(None),
        col(Assignment.respond_by) < now,
    )
    if overdue:
        return late
    return or_(
        col(Assignment.status) != A.proposed,
        col(Assignment.respond_by).is_(None),
        col(Assignment.respond_by) >= now,
    )


def assignment_read(assignment: Assignment, now: dt.datetime | None = None) -> AssignmentRead:
    values = {
        field: getattr(assignment, field)
        for field in AssignmentRead.model_fields
        if field != "overdue"
    }
    return AssignmentRead.model_validate(
        {**values, "overdue": is_overdue(assignment, now or utcnow())}
    )


ASSIGNMENT: Kind[Assignment] = Kind(
    name="assignment",
    model=Assignment,
    lifecycles=(STATUS,),
    show=lambda db, audience, assignment: assignment_read(assignment),
    audience=lambda assignment: Visibility.ohchr,
    state_code=lambda assignment: None,
)


def mark_overdue_offers(db: Session, now: dt.datetime) -> int:
    """Announce `assignment.overdue` once for each offer still proposed past its `respond_by`
    (for the reminders worker); returns how many were announced now."""
    late = db.exec(
        select(Assignment)
        .where(overdue_clause(now), col(Assignment.overdue_announced_at).is_(None))
        .order_by(col(Assignment.respond_by), col(Assignment.id))
    ).all()
    for assignment in late:
        assignment.overdue_announced_at = now
        db.add(assignment)
        ASSIGNMENT.announce(db, None, assignment, EventType.assignment_overdue)
    return len(late)


def release_assignments(move: Move[AssistanceRequest]) -> None:
    """A completed or withdrawn request frees the capacity its offers held (an effect the app
    registers on the request's `complete` and `withdraw`)."""
    db: Session = move.db
    for assignment in db.exec(
        select(Assignment).where(
            Assignment.request_id == move.obj.id, col(Assignment.status).in_(OCCUPYING)
        )
    ).all():
        ASSIGNMENT.apply(db, None, assignment, move.verb)
