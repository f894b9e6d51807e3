"""The daily reminders, run as a worker runs them (the tick queues the day's job, the job
announces and queues e-mails, the e-mail jobs reach a real SMTP server): each reminder is an
event for those who may be told and a message for the people who must act, said once for its
due date."""

import datetime as dt

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from app.assistance.models import AssistanceRequest, RequestStage
from app.auth.models import User
from app.core.models import utcnow
from app.core.principal import Role
from app.core.settings import Settings
from app.events.types import Visibility
from app.jobs import queue
from app.jobs import worker as jobs_worker
from app.lifecycle.engine import apply
from app.progress import service as progress_service
from app.progress.schemas import ReportCreate
from app.reminders import daily
from app.webhooks.audience import thin_event
from tests.assistance.helpers import at_noon, make_request, working_days_ago
from tests.factories import make_user
from tests.jobs.support import run_jobs
from tests.progress.support import principal_of, report_body
from tests.reminders.support import (
    PUBLIC_URL,
    SENDER,
    SmtpServer,
    cluster_members,
    daily_jobs,
    email_jobs,
    events,
    make_cluster,
    make_deadline,
    make_offer,
    make_officer,
)

pytestmark = pytest.mark.usefixtures("mail_settings")


def overdue_request(db: Session, officer: User | None = None) -> AssistanceRequest:
    """A request at `in_triage` (target 15 working days) for 16 working days."""
    request = make_request(
        db,
        stage=RequestStage.in_triage,
        stage_entered_at=at_noon(working_days_ago(16)),
        title="Training of prison staff",
    )
    request.assigned_officer_id = officer.id if officer else None
    db.add(request)
    db.flush()
    return request


def run_next_day(app: FastAPI, monkeypatch: pytest.MonkeyPatch, days: int = 1) -> int:
    """Run the worker as if it were `days` later: its tick queues that day's job."""
    later = utcnow() + dt.timedelta(days=days)
    for clock_of in (daily, queue, jobs_worker):
        monkeypatch.setattr(clock_of, "utcnow", lambda: later)
    return run_jobs(app)


# -- assistance requests past their service target ---------------------------------------------


def test_an_overdue_request_is_announced_to_ohchr_and_mailed_to_its_officer(
    app: FastAPI, db: Session, smtp: SmtpServer, mail_settings: Settings
) -> None:
    officer = make_officer(db)
    make_officer(db)  # another officer, not assigned: not told
    request = overdue_request(db, officer)
    db.commit()

    run_jobs(app)

    [event] = events(db, "assistance_request.overdue", request.id)
    assert event.state_code is None
    assert event.visibility is Visibility.ohchr
    thin = thin_event(event, mail_settings.public_url)
    assert thin["data"]["id"] == str(request.id)
    assert thin["data"]["url"] == f"{PUBLIC_URL}/api/v1/assistance-requests/{request.id}"
    [message] = smtp.inbox.messages
    assert message["To"] == officer.email
    assert message["From"] == SENDER
    assert message["Message-ID"].endswith("@item10.example.org>")
    assert "Overdue" in message["Subject"]
    body = message.get_content()
    assert "Training of prison staff" in body
    assert "Samoa (WSM)" in body
    assert "15 working days" in body
    assert f"{PUBLIC_URL}/api/v1/assistance-requests/{request.id}" in body


def test_an_overdue_request_nobody_holds_is_mailed_to_every_active_officer(
    app: FastAPI, db: Session, smtp: SmtpServer
) -> None:
    officers = [make_officer(db), make_officer(db)]
    make_officer(db, active=False)
    make_user(db, role=Role.ohchr_admin, state=None)
    overdue_request(db)
    db.commit()

    run_jobs(app)

    assert smtp.inbox.addressees() == sorted(officer.email for officer in officers)


def test_a_request_within_its_target_is_not_reminded(
    app: FastAPI, db: Session, smtp: SmtpServer
) -> None:
    make_officer(db)
    request = make_request(
        db, stage=RequestStage.in_triage, stage_entered_at=at_noon(working_days_ago(15))
    )
    draft = make_request(
        db, stage=RequestStage.draft, stage_entered_at=at_noon(working_days_ago(90))
    )
    db.commit()

    run_jobs(app)

    assert events(db, "assistance_request.overdue", request.id) == []
    assert events(db, "assistance_request.overdue", draft.id) == []
    assert smtp.inbox.messages == []


def test_a_request_overdue_again_at_a_later_stage_is_reminded_again(
    app: FastAPI, db: Session, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_officer(db)
    request = overdue_request(db)
    db.commit()
    run_jobs(app)
    request.stage = RequestStage.accepted
    request.stage_entered_at = at_noon(working_days_ago(31))
    db.add(request)
    db.commit()

    run_next_day(app, monkeypatch)

    assert len(events(db, "assistance_request.overdue", request.id)) == 2
    assert len(smtp.inbox.messages) == 2


# -- offers a provider has not answered --------------------------------------------------------


def test_an_unanswered_offer_is_announced_and_mailed_to_provider_and_officer(
    app: FastAPI, db: Session, smtp: SmtpServer
) -> None:
    officer = make_officer(db)
    provider_user = make_user(db, role=Role.provider, state=None)
    request = make_request(db, stage=RequestStage.accepted, title="Data on disability")
    offer = make_offer(
        db,
        request.id,
        respond_by=utcnow() - dt.timedelta(days=2),
        provider_user=provider_user,
        offered_by=officer,
    )
    db.commit()

    run_jobs(app)

    [event] = events(db, "assignment.overdue", offer.id)
    assert event.state_code is None
    assert smtp.inbox.addressees() == sorted([officer.email, provider_user.email])
    body = smtp.inbox.to(provider_user.email)[0].get_content()
    assert "Data on disability" in body
    assert f"{PUBLIC_URL}/api/v1/assignments/{offer.id}" in body
    assert (utcnow() - dt.timedelta(days=2)).date().isoformat() in body


def test_an_offer_still_within_its_time_is_not_reminded(
    app: FastAPI, db: Session, smtp: SmtpServer
) -> None:
    officer = make_officer(db)
    request = make_request(db, stage=RequestStage.accepted)
    offer = make_offer(
        db, request.id, respond_by=utcnow() + dt.timedelta(days=1), offered_by=officer
    )
    db.commit()

    run_jobs(app)

    assert events(db, "assignment.overdue", offer.id) == []
    assert smtp.inbox.messages == []


def test_an_offer_to_a_provider_without_account_is_mailed_to_the_officer_alone(
    app: FastAPI, db: Session, smtp: SmtpServer
) -> None:
    officer = make_officer(db)
    request = make_request(db, stage=RequestStage.accepted)
    make_offer(db, request.id, respond_by=utcnow() - dt.timedelta(days=1), offered_by=officer)
    db.commit()

    run_jobs(app)

    assert smtp.inbox.addressees() == [officer.email]


# -- reporting deadlines -----------------------------------------------------------------------


def test_a_deadline_within_the_notice_is_due_soon_for_the_state_and_ohchr(
    app: FastAPI, db: Session, smtp: SmtpServer
) -> None:
    focal_points = [make_user(db, role=Role.state_focal_point, state="WSM") for _ in range(2)]
    make_user(db, role=Role.state_focal_point, state="WSM", active=False)
    make_user(db, role=Role.state_contributor, state="WSM")
    make_user(db, role=Role.state_focal_point, state="NPL")
    deadline = make_deadline(db, due_in_days=10, note="Before the mid-term report")
    db.commit()

    run_jobs(app)

    [event] = events(db, "reporting_deadline.due_soon", deadline.id)
    assert (event.state_code, event.visibility) == ("WSM", Visibility.ohchr)
    assert events(db, "reporting_deadline.passed", deadline.id) == []
    assert smtp.inbox.addressees() == sorted(user.email for user in focal_points)
    message = smtp.inbox.messages[0]
    due = deadline.due_on.isoformat()
    assert due in message["Subject"]
    body = message.get_content()
    assert "Samoa (WSM)" in body
    assert "in 10 days" in body
    assert "Before the mid-term report" in body
    assert "Establish a national preventive mechanism" in body
    assert f"{PUBLIC_URL}/api/v1/reporting-deadlines/{deadline.id}" in body


def test_a_passed_deadline_is_reminded_as_passed(
    app: FastAPI, db: Session, smtp: SmtpServer
) -> None:
    focal = make_user(db, role=Role.state_focal_point, state="WSM")
    cluster = make_cluster(db)
    deadline = make_deadline(db, due_in_days=-1, cluster_id=cluster.id)
    db.commit()

    run_jobs(app)

    [event] = events(db, "reporting_deadline.passed", deadline.id)
    assert event.state_code == "WSM"
    assert events(db, "reporting_deadline.due_soon", deadline.id) == []
    [message] = smtp.inbox.to(focal.email)
    assert "passed" in message["Subject"]
    assert cluster.name in message.get_content()


@pytest.mark.parametrize(("due_in_days", "reminded"), [(30, True), (31, False), (0, True)])
def test_only_deadlines_within_the_notice_are_reminded(
    app: FastAPI, db: Session, due_in_days: int, reminded: bool
) -> None:
    deadline = make_deadline(db, due_in_days=due_in_days)
    db.commit()

    run_jobs(app)

    assert bool(events(db, "reporting_deadline.due_soon", deadline.id)) is reminded


def _submit_report(db: Session, state: str, **body: object) -> None:
    focal = principal_of(make_user(db, role=Role.state_focal_point, state=state))
    report = progress_service.create_report(db, focal, ReportCreate.model_validate(body))
    apply(db, focal, report, "submit")
    db.commit()


def test_a_deadline_reported_on_since_it_was_set_is_not_reminded(
    app: FastAPI, db: Session, smtp: SmtpServer
) -> None:
    make_user(db, role=Role.state_focal_point, state="WSM")
    on_recommendation = make_deadline(db, due_in_days=-3)
    cluster = make_cluster(db)
    on_cluster = make_deadline(db, due_in_days=5, cluster_id=cluster.id)
    db.commit()
    _submit_report(db, "WSM", **report_body(on_recommendation.recommendation_id))
    first = cluster_members(db, cluster.id)[0]
    _submit_report(db, "WSM", **report_body(first))

    run_jobs(app)

    assert events(db, "reporting_deadline.passed", on_recommendation.id) == []
    assert events(db, "reporting_deadline.due_soon", on_cluster.id) == []
    assert smtp.inbox.messages == []


def test_a_report_from_before_the_deadline_was_set_does_not_count(
    app: FastAPI, db: Session
) -> None:
    deadline = make_deadline(db, due_in_days=5, created_days_ago=0)
    db.commit()
    _submit_report(db, "WSM", **report_body(deadline.recommendation_id))
    deadline.created_at = utcnow()  # set after the report was submitted
    db.add(deadline)
    db.commit()

    run_jobs(app)

    assert len(events(db, "reporting_deadline.due_soon", deadline.id)) == 1


def test_a_draft_report_does_not_count_as_reported(app: FastAPI, db: Session) -> None:
    deadline = make_deadline(db, due_in_days=5)
    focal = principal_of(make_user(db, role=Role.state_focal_point, state="WSM"))
    progress_service.create_report(
        db, focal, ReportCreate.model_validate(report_body(deadline.recommendation_id))
    )
    db.commit()

    run_jobs(app)

    assert len(events(db, "reporting_deadline.due_soon", deadline.id)) == 1


# -- once per due date -------------------------------------------------------------------------


def _one_of_each(db: Session) -> dict[str, object]:
    officer = make_officer(db)
    make_user(db, role=Role.state_focal_point, state="WSM")
    request = overdue_request(db)
    offer = make_offer(
        db,
        make_request(db, stage=RequestStage.accepted).id,
        respond_by=utcnow() - dt.timedelta(days=1),
        offered_by=officer,
    )
    soon = make_deadline(db, due_in_days=3)
    passed = make_deadline(db, due_in_days=-3)
    db.commit()
    return {
        "assistance_request.overdue": request.id,
        "assignment.overdue": offer.id,
        "reporting_deadline.due_soon": soon.id,
        "reporting_deadline.passed": passed.id,
    }


def _counts(db: Session, subjects: dict[str, object]) -> dict[str, int]:
    return {kind: len(events(db, kind, subject)) for kind, subject in subjects.items()}


def test_running_the_days_job_again_sends_nothing_twice(
    app: FastAPI, db: Session, smtp: SmtpServer
) -> None:
    subjects = _one_of_each(db)
    run_jobs(app)
    assert _counts(db, subjects) == dict.fromkeys(subjects, 1)
    assert len(smtp.inbox.messages) == 4
    [job] = daily_jobs(db)
    queue.requeue(db, job)
    db.commit()

    run_jobs(app)

    assert _counts(db, subjects) == dict.fromkeys(subjects, 1)
    assert len(smtp.inbox.messages) == 4
    assert len(email_jobs(db)) == 4


def test_the_next_days_job_sends_nothing_twice_for_the_same_due_dates(
    app: FastAPI, db: Session, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    subjects = _one_of_each(db)
    run_jobs(app)

    ran = run_next_day(app, monkeypatch)

    assert ran == 1  # the next day's job, which queued no e-mail
    assert len(daily_jobs(db)) == 2
    assert _counts(db, subjects) == dict.fromkeys(subjects, 1)
    assert len(smtp.inbox.messages) == 4


def test_a_moved_due_date_is_reminded_again(
    app: FastAPI, db: Session, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    focal = make_user(db, role=Role.state_focal_point, state="WSM")
    deadline = make_deadline(db, due_in_days=5)
    db.commit()
    run_jobs(app)
    deadline.due_on += dt.timedelta(days=14)
    db.add(deadline)
    db.commit()

    run_next_day(app, monkeypatch)

    assert len(events(db, "reporting_deadline.due_soon", deadline.id)) == 2
    subjects = [str(m["Subject"]) for m in smtp.inbox.to(focal.email)]
    assert len(subjects) == 2
    assert deadline.due_on.isoformat() in subjects[1]


def test_a_deadline_reminded_as_due_soon_is_reminded_once_more_when_it_passes(
    app: FastAPI, db: Session, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(db, role=Role.state_focal_point, state="WSM")
    deadline = make_deadline(db, due_in_days=1)
    db.commit()
    run_jobs(app)
    run_next_day(app, monkeypatch, days=2)
    run_next_day(app, monkeypatch, days=3)

    assert len(events(db, "reporting_deadline.due_soon", deadline.id)) == 1
    assert len(events(db, "reporting_deadline.passed", deadline.id)) == 1
    assert len(smtp.inbox.messages) == 2


def test_the_reminders_and_their_mail_land_with_the_job_or_not_at_all(
    app: FastAPI, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(db, role=Role.state_focal_point, state="WSM")
    deadline = make_deadline(db, due_in_days=2)
    db.commit()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the relay's address book is unreadable")

    monkeypatch.setattr("app.reminders.service.remind_reporting_deadlines", broken)
    run_jobs(app)

    [job] = daily_jobs(db)
    assert job.status == "queued"
    assert "unreadable" in (job.last_error or "")
    assert events(db, "reporting_deadline.due_soon", deadline.id) == []
    assert email_jobs(db) == []
