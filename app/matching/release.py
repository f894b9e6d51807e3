"""What a request's end means for its assignments: completion or withdrawal frees capacity."""

from sqlmodel import Session, col, select

from app.assistance.lifecycle import Verb
from app.assistance.models import AssistanceRequest
from app.expertise.models import OCCUPYING, Assignment, AssignmentStatus

RELEASED_AS = {Verb.complete: AssignmentStatus.completed, Verb.withdraw: AssignmentStatus.withdrawn}


def release_for_request(db: Session, request: AssistanceRequest, verb: Verb) -> None:
    if verb not in RELEASED_AS:
        return
    for assignment in db.exec(
        select(Assignment).where(
            Assignment.request_id == request.id, col(Assignment.status).in_(OCCUPYING)
        )
    ).all():
        assignment.touch()
        assignment.status = RELEASED_AS[verb]
        db.add(assignment)
