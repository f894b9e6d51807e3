"""Reporting deadlines: the date by which a State means to report on one of its recommendations
or clusters. The State's own people read them, its focal point sets them, OHCHR reads every
State's; the daily reminders (app/reminders) tell the State and OHCHR as each date nears and
once it has passed unreported.

Every query starts from `_readable(who)`, so another State's deadline is simply not found.
"""

import datetime as dt
import uuid

from sqlalchemy import ColumnElement, false, or_, true
from sqlmodel import Session, col, select

from app.core.concurrency import require_match
from app.core.errors import UnprocessableContent
from app.core.pagination import paginate
from app.core.principal import Principal
from app.core.settings import Settings
from app.events.types import EventType, Visibility
from app.lifecycle.announce import announce
from app.lifecycle.visibility import Stage, find
from app.progress.deadlines_schemas import DeadlineCreate, DeadlineRead, DeadlineUpdate
from app.progress.models import ProgressReport, ProgressReportRecommendation, ReportingDeadline
from app.recommendations.models import ClusterMember
from app.recommendations.ownership import own_recommendation_ids

LIST_DEADLINES = "list_reporting_deadlines"
# The State and OHCHR: a deadline is the State's commitment, which OHCHR follows up.
AUDIENCE = Visibility.ohchr


def _readable(who: Principal) -> ColumnElement[bool]:
    if who.is_ohchr:
        return true()
    if who.is_state:
        return col(ReportingDeadline.state_code) == who.state_code
    return false()


def list_deadlines(
    db: Session,
    who: Principal,
    *,
    state: str | None,
    due_after: dt.date | None,
    due_before: dt.date | None,
    limit: int,
    cursor: str | None,
    settings: Settings,
) -> tuple[list[DeadlineRead], str | None]:
    statement = select(ReportingDeadline).where(_readable(who))
    if state is not None:
        statement = statement.where(col(ReportingDeadline.state_code) == state)
    if due_after is not None:
        statement = statement.where(col(ReportingDeadline.due_on) >= due_after)
    if due_before is not None:
        statement = statement.where(col(ReportingDeadline.due_on) <= due_before)
    rows, next_cursor = paginate(
        db,
        statement,
        [ReportingDeadline.created_at, ReportingDeadline.id],
        limit=limit,
        cursor=cursor,
        settings=settings,
        list_name=LIST_DEADLINES,
    )
    return [to_read(row) for row in rows], next_cursor


def get_deadline(db: Session, who: Principal, deadline_id: uuid.UUID) -> ReportingDeadline:
    return find(db, ReportingDeadline, deadline_id, _readable(who), "reporting deadline")


def get_own_deadline(db: Session, who: Principal, deadline_id: uuid.UUID) -> ReportingDeadline:
    """A deadline to change: its own State's only."""
    own = col(ReportingDeadline.state_code) == who.state_code if who.is_state else false()
    return find(db, ReportingDeadline, deadline_id, own, "reporting deadline")


def create_deadline(db: Session, who: Principal, body: DeadlineCreate) -> ReportingDeadline:
    """A deadline of the caller's State, on one of its own recommendations or clusters (another
    State's is refused as progress reports refuse it: 422, as if it did not exist)."""
    assert who.state_code is not None  # the route admits State roles only
    _require_own_subject(db, who.state_code, body)
    deadline = ReportingDeadline(
        state_code=who.state_code,
        recommendation_id=body.recommendation_id,
        cluster_id=body.cluster_id,
        due_on=body.due_on,
        note=body.note,
        created_by_id=who.id,
    )
    db.add(deadline)
    db.flush()
    _announce(db, who, deadline, EventType.reporting_deadline_created)
    return deadline


def _require_own_subject(db: Session, state_code: str, body: DeadlineCreate) -> None:
    if body.cluster_id is not None:
        own_recommendation_ids(db, state_code, [], body.cluster_id)
        return
    assert body.recommendation_id is not None
    try:
        own_recommendation_ids(db, state_code, [body.recommendation_id])
    except UnprocessableContent as refused:
        raise UnprocessableContent(
            "recommendation_id must name a recommendation addressed to your State",
            errors=[
                {
                    "loc": ["body", "recommendation_id"],
                    "msg": f"not found: {body.recommendation_id}",
                    "type": "value_error",
                }
            ],
        ) from refused


def update_deadline(
    db: Session,
    who: Principal,
    deadline: ReportingDeadline,
    body: DeadlineUpdate,
    if_match: str | None,
) -> ReportingDeadline:
    require_match(if_match, deadline.version)
    changes = body.model_dump(exclude_unset=True)
    if all(getattr(deadline, field) == value for field, value in changes.items()):
        return deadline  # nothing changes, not even the version
    before = to_read(deadline)
    deadline.touch()
    for field, value in changes.items():
        setattr(deadline, field, value)
    db.add(deadline)
    db.flush()
    _announce(db, who, deadline, EventType.reporting_deadline_updated, before=before)
    return deadline


def delete_deadline(
    db: Session, who: Principal, deadline: ReportingDeadline, if_match: str | None
) -> None:
    require_match(if_match, deadline.version)
    before = to_read(deadline)
    db.delete(deadline)
    db.flush()
    announce(
        db,
        who,
        EventType.reporting_deadline_deleted,
        resource_id=deadline.id,
        state_code=deadline.state_code,
        version=deadline.version,
        visibility=AUDIENCE,
        shown=None,
        before=before,
    )


def _announce(
    db: Session,
    who: Principal | None,
    deadline: ReportingDeadline,
    event: EventType,
    before: DeadlineRead | None = None,
) -> None:
    announce(
        db,
        who,
        event,
        resource_id=deadline.id,
        state_code=deadline.state_code,
        version=deadline.version,
        visibility=AUDIENCE,
        shown=to_read(deadline),
        before=before,
    )


def announce_reminder(db: Session, deadline: ReportingDeadline, event: EventType) -> None:
    """`reporting_deadline.due_soon` or `.passed`, told to the State and OHCHR (the reminders'
    own once-only record decides whether to call this)."""
    _announce(db, None, deadline, event)


def reported_since_set(db: Session, deadline: ReportingDeadline) -> bool:
    """Whether the State submitted a progress report on what the deadline is about (the
    recommendation, or any of the cluster's, or the cluster itself) after setting it."""
    covered = select(ProgressReportRecommendation.report_id)
    on_cluster: ColumnElement[bool]
    if deadline.recommendation_id is not None:
        covered = covered.where(
            col(ProgressReportRecommendation.recommendation_id) == deadline.recommendation_id
        )
        on_cluster = false()
    else:
        members = select(ClusterMember.recommendation_id).where(
            col(ClusterMember.cluster_id) == deadline.cluster_id
        )
        covered = covered.where(col(ProgressReportRecommendation.recommendation_id).in_(members))
        on_cluster = col(ProgressReport.cluster_id) == deadline.cluster_id
    found = db.exec(
        select(ProgressReport.id)
        .where(
            col(ProgressReport.state_code) == deadline.state_code,
            col(ProgressReport.stage) == Stage.submitted,
            col(ProgressReport.submitted_at) > deadline.created_at,
            or_(col(ProgressReport.id).in_(covered), on_cluster),
        )
        .limit(1)
    ).first()
    return found is not None


def to_read(deadline: ReportingDeadline) -> DeadlineRead:
    return DeadlineRead.model_validate(deadline, from_attributes=True)
