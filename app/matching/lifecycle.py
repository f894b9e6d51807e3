"""An assignment's lifecycle, as data.

    proposed -accept (the provider)-> accepted      the request becomes `matched`
    proposed -decline (the provider)-> declined     the capacity is freed
    proposed|accepted -complete-> completed         moved by the platform when the request
    proposed|accepted -withdraw-> withdrawn         is completed or withdrawn

Events about assignments are OHCHR's (they name no State).
"""

from sqlmodel import Session, col, select

from app.assistance.models import AssistanceRequest
from app.assistance.service import ASSISTANCE_REQUEST
from app.core.principal import Role
from app.events.types import EventType, Visibility
from app.expertise.models import OCCUPYING, Assignment
from app.expertise.models import AssignmentStatus as A
from app.lifecycle.engine import PLATFORM, Kind, Lifecycle, Move
from app.matching.schemas import AssignmentRead

PROVIDER = frozenset({Role.provider})


def _answered(move: Move[Assignment]) -> None:
    move.obj.responded_at = move.at
    if move.verb == "decline":
        move.obj.decline_reason = move.body.reason


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
    roles={"accept": PROVIDER, "decline": PROVIDER, "complete": PLATFORM, "withdraw": PLATFORM},
    events={
        "accept": EventType.assignment_accepted,
        "decline": EventType.assignment_declined,
        "complete": EventType.assignment_completed,
        "withdraw": EventType.assignment_withdrawn,
    },
    stamps={"accept": _answered, "decline": _answered},
    effects={"accept": [_request_matched]},
)


def assignment_read(assignment: Assignment) -> AssignmentRead:
    return AssignmentRead.model_validate(assignment, from_attributes=True)


ASSIGNMENT: Kind[Assignment] = Kind(
    name="assignment",
    model=Assignment,
    lifecycles=(STATUS,),
    show=lambda db, audience, assignment: assignment_read(assignment),
    audience=lambda assignment: Visibility.ohchr,
    state_code=lambda assignment: None,
)


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
