"""The daily reminders, each said once for its due date.

- An assistance request past its service target (per stage, in working days, exactly as the
  officers' queue computes `overdue`): `assistance_request.overdue`, OHCHR's alone, once per
  (request, stage, day the stage was entered); e-mailed to the assigned officer, or to every
  active officer while none is assigned.
- An offer a provider has not answered by its `respond_by`: `assignment.overdue` (announced
  once by the matching domain); e-mailed to the provider's account, if it has one, and to the
  officer who made the offer.
- A reporting deadline within `REPORTING_DEADLINE_NOTICE_DAYS`, or passed, unless the State has
  reported on it since setting it: `reporting_deadline.due_soon` / `.passed`, told to the State
  and OHCHR, once per due date (a moved date is reminded again); e-mailed to the State's
  active focal points.

Once means a row in `reminders_sent`, inserted before anything is announced: a reminder whose
row exists is skipped, and two workers racing insert it once (the primary key decides).
"""

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.assistance.models import AssistanceRequest, RequestStage
from app.assistance.queue import is_overdue
from app.auth.models import User
from app.core.principal import Role
from app.core.settings import Settings
from app.events.types import EventType, Visibility
from app.expertise.models import Assignment, Provider
from app.lifecycle.announce import announce
from app.matching.lifecycle import mark_overdue_offers, overdue_clause
from app.progress.deadlines import announce_reminder, reported_since_set
from app.progress.models import ReportingDeadline
from app.recommendations.models import Recommendation, RecommendationCluster
from app.reminders.mail import queue_mail
from app.reminders.models import ReminderSent
from app.reminders.schemas import OverdueRequest
from app.states.models import State
from app.webhooks.audience import resource_url

log = logging.getLogger(__name__)

QUOTED_TEXT_CHARS = 160


@dataclass
class Reminded:
    """How many reminders one run said, by kind, and the e-mails it queued."""

    assistance_requests: int = 0
    assignments: int = 0
    reporting_deadlines: int = 0
    emails: int = 0


def remind(db: Session, settings: Settings, now: dt.datetime) -> Reminded:
    """Every reminder due at `now` and not said before, in the caller's transaction."""
    done = Reminded()
    remind_overdue_requests(db, settings, now, done)
    remind_unanswered_offers(db, settings, now, done)
    remind_reporting_deadlines(db, settings, now, done)
    return done


def first_time(db: Session, kind: str, subject_id: object, due_key: str) -> bool:
    """Record that the reminder is said now; False when it was said before (or is being said
    by another worker, whose row wins)."""
    key = (kind, str(subject_id), due_key)
    if db.get(ReminderSent, key) is not None:
        return False
    try:
        with db.begin_nested():
            db.add(ReminderSent(kind=kind, subject_id=key[1], due_key=due_key))
    except IntegrityError:
        return False
    return True


# -- assistance requests past their service target ---------------------------------------------


def remind_overdue_requests(
    db: Session, settings: Settings, now: dt.datetime, done: Reminded
) -> None:
    targets = settings.service_targets
    stages = [stage for stage in RequestStage if stage.value in targets]
    waiting = db.exec(
        select(AssistanceRequest)
        .where(col(AssistanceRequest.stage).in_(stages))
        .order_by(col(AssistanceRequest.stage_entered_at), col(AssistanceRequest.id))
    ).all()
    for request in waiting:
        stage = request.stage.value
        if not is_overdue(stage, request.stage_entered_at, now, targets):
            continue
        due_key = f"{stage}:{request.stage_entered_at.date().isoformat()}"
        if not first_time(db, EventType.assistance_request_overdue, request.id, due_key):
            continue
        _announce_overdue_request(db, request, targets[stage])
        done.assistance_requests += 1
        done.emails += queue_mail(
            db,
            settings,
            to=_officers_of(db, request),
            about=("assistance_request", request.id),
            **_overdue_request_mail(db, settings, request, targets[stage]),
        )


def _announce_overdue_request(db: Session, request: AssistanceRequest, target: int) -> None:
    # OHCHR's alone (no State named), as every event about OHCHR's own follow-up is.
    announce(
        db,
        None,
        EventType.assistance_request_overdue,
        resource_id=request.id,
        state_code=None,
        version=request.version,
        visibility=Visibility.ohchr,
        shown=OverdueRequest(
            id=request.id,
            state_code=request.state_code,
            title=request.title,
            stage=request.stage.value,
            stage_entered_at=request.stage_entered_at,
            service_target_working_days=target,
            assigned_officer_id=request.assigned_officer_id,
        ),
    )


def _officers_of(db: Session, request: AssistanceRequest) -> list[str]:
    """The assigned officer; every active officer while none is (or the one assigned left)."""
    if request.assigned_officer_id is not None:
        assigned = _active_addresses(db, col(User.id) == request.assigned_officer_id)
        if assigned:
            return assigned
    return _active_addresses(db, col(User.role) == Role.ohchr_officer)


def _overdue_request_mail(
    db: Session, settings: Settings, request: AssistanceRequest, target: int
) -> dict[str, str]:
    state = _state_name(db, request.state_code)
    stage = request.stage.value.replace("_", " ")
    since = request.stage_entered_at.date().isoformat()
    return {
        "subject": f"Overdue: assistance request from {state} waiting at {stage} since {since}",
        "body": (
            f'The assistance request "{request.title}" from {state} has been at the stage '
            f'"{stage}" since {since}, longer than its service target of {target} working '
            "days.\n\n"
            f"Read it at {_url('assistance_request', request.id, settings)}\n"
        ),
    }


# -- offers a provider has not answered --------------------------------------------------------


def remind_unanswered_offers(
    db: Session, settings: Settings, now: dt.datetime, done: Reminded
) -> None:
    """`mark_overdue_offers` announces each offer once; the offers it marked now are e-mailed."""
    unannounced = db.exec(
        select(Assignment.id).where(
            overdue_clause(now), col(Assignment.overdue_announced_at).is_(None)
        )
    ).all()
    mark_overdue_offers(db, now)
    if not unannounced:
        return
    marked = db.exec(select(Assignment).where(col(Assignment.id).in_(unannounced))).all()
    for assignment in marked:
        if assignment.overdue_announced_at != now or assignment.respond_by is None:
            continue  # announced meanwhile by another run
        due_key = assignment.respond_by.date().isoformat()
        if not first_time(db, EventType.assignment_overdue, assignment.id, due_key):
            continue
        done.assignments += 1
        done.emails += queue_mail(
            db,
            settings,
            to=_told_of_offer(db, assignment),
            about=("assignment", assignment.id),
            **_unanswered_offer_mail(db, settings, assignment),
        )


def _told_of_offer(db: Session, assignment: Assignment) -> list[str]:
    provider = db.get(Provider, assignment.provider_id)
    ids = [provider.user_id if provider else None, assignment.offered_by_id]
    known = [user_id for user_id in ids if user_id is not None]
    return _active_addresses(db, col(User.id).in_(known)) if known else []


def _unanswered_offer_mail(
    db: Session, settings: Settings, assignment: Assignment
) -> dict[str, str]:
    assert assignment.respond_by is not None
    provider = db.get(Provider, assignment.provider_id)
    request = db.get(AssistanceRequest, assignment.request_id)
    assert provider is not None
    assert request is not None
    due = assignment.respond_by.date().isoformat()
    return {
        "subject": f"Unanswered offer: {provider.name}, answer due {due}",
        "body": (
            f'{provider.name} was offered the assistance request "{request.title}" from '
            f"{_state_name(db, request.state_code)} and has not answered; the answer was due "
            f"on {due}.\n\n"
            "Accept or decline the offer (POST .../accept or .../decline) at "
            f"{_url('assignment', assignment.id, settings)}\n"
            f"The request: {_url('assistance_request', request.id, settings)}\n"
        ),
    }


# -- reporting deadlines -----------------------------------------------------------------------


def remind_reporting_deadlines(
    db: Session, settings: Settings, now: dt.datetime, done: Reminded
) -> None:
    today = now.date()
    horizon = today + dt.timedelta(days=settings.reporting_deadline_notice_days)
    near = db.exec(
        select(ReportingDeadline)
        .where(col(ReportingDeadline.due_on) <= horizon)
        .order_by(col(ReportingDeadline.due_on), col(ReportingDeadline.id))
    ).all()
    for deadline in near:
        event = (
            EventType.reporting_deadline_passed
            if deadline.due_on < today
            else EventType.reporting_deadline_due_soon
        )
        if reported_since_set(db, deadline):
            continue
        if not first_time(db, event, deadline.id, deadline.due_on.isoformat()):
            continue
        announce_reminder(db, deadline, event)
        done.reporting_deadlines += 1
        done.emails += queue_mail(
            db,
            settings,
            to=_active_addresses(
                db,
                col(User.role) == Role.state_focal_point,
                col(User.state_code) == deadline.state_code,
            ),
            about=("reporting_deadline", deadline.id),
            **_deadline_mail(db, settings, deadline, event, today),
        )


def _deadline_mail(
    db: Session,
    settings: Settings,
    deadline: ReportingDeadline,
    event: EventType,
    today: dt.date,
) -> dict[str, str]:
    state = _state_name(db, deadline.state_code)
    due = deadline.due_on.isoformat()
    if event is EventType.reporting_deadline_passed:
        headline = f"Reporting deadline passed: {state}, due {due}"
        status = (
            f"The deadline passed on {due}, and no progress report on it has been submitted "
            "since it was set."
        )
    else:
        when = _in_days((deadline.due_on - today).days)
        headline = f"Reporting deadline {when}: {state}, due {due}"
        status = f"It is due on {due}, {when}."
    note = f"Note: {deadline.note}\n" if deadline.note else ""
    return {
        "subject": headline,
        "body": (
            f"{state} set itself a deadline to report on {_deadline_subject(db, deadline)}.\n"
            f"{status}\n{note}\n"
            f"Read it at {_url('reporting_deadline', deadline.id, settings)}\n"
        ),
    }


def _in_days(days: int) -> str:
    if days == 0:
        return "today"
    return "tomorrow" if days == 1 else f"in {days} days"


def _deadline_subject(db: Session, deadline: ReportingDeadline) -> str:
    if deadline.cluster_id is not None:
        cluster = db.get(RecommendationCluster, deadline.cluster_id)
        return (
            f'the cluster of recommendations "{cluster.name if cluster else deadline.cluster_id}"'
        )
    recommendation = db.get(Recommendation, deadline.recommendation_id)
    if recommendation is None:
        return f"the recommendation {deadline.recommendation_id}"
    source = " ".join(filter(None, [recommendation.document_symbol, recommendation.paragraph]))
    text = recommendation.text
    if len(text) > QUOTED_TEXT_CHARS:
        text = text[: QUOTED_TEXT_CHARS - 1].rstrip() + "…"
    return f'the recommendation{f" {source}" if source else ""}: "{text}"'


# -- shared ------------------------------------------------------------------------------------


def _active_addresses(db: Session, *conditions: ColumnElement[bool]) -> list[str]:
    return list(
        db.exec(
            select(User.email)
            .where(col(User.is_active).is_(True), *conditions)
            .order_by(col(User.email))
        ).all()
    )


def _state_name(db: Session, code: str) -> str:
    state = db.get(State, code)
    return f"{state.name} ({code})" if state else code


def _url(resource_type: str, resource_id: Any, settings: Settings) -> str:
    return resource_url(resource_type, str(resource_id), settings.public_url) or ""
