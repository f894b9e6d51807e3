"""E-mail: one durable job per message, sent through the configured relay; off (and said so)
without one; retried while the relay is down, then kept dead for an administrator."""

import datetime as dt
import logging
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from app.core.models import utcnow
from app.core.principal import Role
from app.jobs.models import JobStatus
from app.jobs.queue import requeue
from app.reminders import mail
from app.reminders.mail import ATTEMPTS, EMAIL, MailRefused, Relay, compose, queue_mail
from app.worker import build_worker
from tests.conftest import make_settings
from tests.factories import make_user
from tests.jobs.support import run_jobs
from tests.reminders.support import (
    SENDER,
    SmtpServer,
    email_jobs,
    events,
    free_port,
    make_deadline,
    self_signed_tls,
    start_smtp_server,
)


def use_settings(app: FastAPI, database_url: str, **overrides: object) -> None:
    app.state.settings = make_settings(database_url, smtp_from=SENDER, **overrides)


def a_deadline_to_remind(db: Session) -> None:
    make_user(db, role=Role.state_focal_point, state="WSM")
    make_deadline(db, due_in_days=3)
    db.commit()


# -- off ---------------------------------------------------------------------------------------


def test_without_smtp_url_reminders_are_announced_and_no_mail_is_queued(
    app: FastAPI, db: Session, database_url: str
) -> None:
    use_settings(app, database_url, smtp_url=None)
    make_user(db, role=Role.state_focal_point, state="WSM")
    deadline = make_deadline(db, due_in_days=3)
    db.commit()

    run_jobs(app)

    assert len(events(db, "reporting_deadline.due_soon", deadline.id)) == 1
    assert email_jobs(db) == []


def test_a_worker_without_smtp_url_says_at_start_that_mail_is_off(
    app: FastAPI, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="app.reminders.mail"):
        build_worker(make_settings(database_url, smtp_url=None), app.state.database)

    assert "e-mail is off: SMTP_URL is not set" in caplog.messages


def test_a_worker_with_a_malformed_smtp_url_refuses_to_start(
    app: FastAPI, database_url: str
) -> None:
    settings = make_settings(database_url, smtp_url="http://relay.example.org")

    with pytest.raises(ValueError, match="smtp:// or smtps://"):
        build_worker(settings, app.state.database)


# -- on ----------------------------------------------------------------------------------------


def test_each_recipient_gets_one_plain_text_message_with_its_own_id(
    app: FastAPI, db: Session, database_url: str, smtp: SmtpServer
) -> None:
    use_settings(app, database_url, smtp_url=smtp.url)
    settings = app.state.settings
    queue_mail(
        db,
        settings,
        to=["a@example.org", "b@example.org", "a@example.org"],
        subject="Deadline\r\nBcc: everyone@example.org",
        body="Line one.\nLine two.\n",
        about=("reporting_deadline", "x"),
    )
    db.commit()

    assert run_jobs(app) == 3  # the day's reminders, then two messages

    assert smtp.inbox.recipients == [["a@example.org"], ["b@example.org"]]
    first, second = smtp.inbox.messages
    assert first["From"] == SENDER
    assert first["Subject"] == "Deadline Bcc: everyone@example.org"
    assert first["Bcc"] is None
    assert first.get_content_type() == "text/plain"
    assert first.get_content().replace("\r\n", "\n") == "Line one.\nLine two.\n"
    assert first["Date"]
    jobs = {str(job.payload["to"]): job for job in email_jobs(db)}
    assert first["Message-ID"] == f"<{jobs['a@example.org'].id}@item10.example.org>"
    assert first["Message-ID"] != second["Message-ID"]
    assert all(job.status is JobStatus.succeeded for job in jobs.values())


def test_an_address_that_reads_as_two_mailboxes_is_not_mailed(
    app: FastAPI, db: Session, database_url: str, smtp: SmtpServer
) -> None:
    """Account addresses may hold a comma; `x,attacker@evil.example` would be read as two
    recipients, so it gets no message, and the other addressees get theirs."""
    use_settings(app, database_url, smtp_url=smtp.url)
    queued = queue_mail(
        db,
        app.state.settings,
        to=["x,attacker@evil.example", "focal@example.org"],
        subject="Deadline",
        body="Text.\n",
        about=("reporting_deadline", "x"),
    )
    db.commit()

    run_jobs(app)

    assert queued == 1
    assert smtp.inbox.recipients == [["focal@example.org"]]


@pytest.fixture
def guarded_smtp() -> Iterator[SmtpServer]:
    server = start_smtp_server(login=("relay-user", "p@ss:word"))
    yield server
    server.stop()


def test_the_credentials_in_smtp_url_sign_in_to_the_relay(
    app: FastAPI, db: Session, database_url: str, guarded_smtp: SmtpServer
) -> None:
    url = f"smtp://relay-user:p%40ss%3Aword@127.0.0.1:{guarded_smtp.port}"
    use_settings(app, database_url, smtp_url=url)
    a_deadline_to_remind(db)

    run_jobs(app)

    assert guarded_smtp.inbox.logins == [("relay-user", "p@ss:word")]
    assert len(guarded_smtp.inbox.messages) == 1


def test_a_relay_offering_starttls_gets_the_credentials_only_after_it(
    app: FastAPI,
    db: Session,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server_tls, certificate = self_signed_tls(tmp_path)
    relay = start_smtp_server(login=("relay-user", "secret"), tls=server_tls)
    trusting = ssl.create_default_context(cafile=str(certificate))
    monkeypatch.setattr(mail.ssl, "create_default_context", lambda: trusting)
    try:
        use_settings(app, database_url, smtp_url=f"smtp://relay-user:secret@{relay.host_port}")
        a_deadline_to_remind(db)

        run_jobs(app)
    finally:
        relay.stop()

    assert relay.inbox.logins == [("relay-user", "secret")]
    assert relay.inbox.encrypted == [True]
    assert email_jobs(db)[0].status is JobStatus.succeeded


def test_wrong_credentials_fail_the_job_without_showing_the_password(
    app: FastAPI, db: Session, database_url: str, guarded_smtp: SmtpServer
) -> None:
    url = f"smtp://relay-user:not-it@127.0.0.1:{guarded_smtp.port}"
    use_settings(app, database_url, smtp_url=url)
    a_deadline_to_remind(db)

    run_jobs(app)

    [job] = email_jobs(db)
    assert job.status is JobStatus.queued
    assert "SMTPAuthenticationError" in (job.last_error or "")
    assert "not-it" not in (job.last_error or "")
    assert guarded_smtp.inbox.messages == []


# -- the relay down ----------------------------------------------------------------------------


def test_while_the_relay_is_down_the_mail_is_retried_then_kept_dead(
    app: FastAPI, db: Session, database_url: str
) -> None:
    use_settings(app, database_url, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    a_deadline_to_remind(db)

    run_jobs(app)
    [job] = email_jobs(db)
    assert (job.status, job.attempts) == (JobStatus.queued, 1)
    assert job.run_at > utcnow() + dt.timedelta(seconds=30)  # backing off
    assert "ConnectionRefusedError" in (job.last_error or "")
    for _ in range(ATTEMPTS - 1):
        job.run_at = utcnow() - dt.timedelta(seconds=1)
        db.add(job)
        db.commit()
        run_jobs(app)
        [job] = email_jobs(db)

    assert (job.status, job.attempts) == (JobStatus.dead, ATTEMPTS)
    assert job.payload["to"].endswith("@example.org")


def test_a_dead_mail_sent_again_once_the_relay_is_back_is_delivered(
    app: FastAPI, db: Session, database_url: str, smtp: SmtpServer
) -> None:
    use_settings(app, database_url, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    a_deadline_to_remind(db)
    run_jobs(app)
    [job] = email_jobs(db)
    job.status, job.attempts = JobStatus.dead, ATTEMPTS
    db.add(job)
    db.commit()
    use_settings(app, database_url, smtp_url=smtp.url)

    requeue(db, job)
    db.commit()
    run_jobs(app)

    assert len(smtp.inbox.messages) == 1
    assert email_jobs(db)[0].status is JobStatus.succeeded


def test_a_mail_job_when_smtp_url_was_removed_fails_and_stays() -> None:
    settings = make_settings("sqlite://", smtp_url=None)
    assert EMAIL.max_attempts == ATTEMPTS
    assert len(EMAIL.delays) == ATTEMPTS - 1

    class Context:
        pass

    context = Context()
    context.settings = settings  # type: ignore[attr-defined]
    with pytest.raises(MailRefused, match="SMTP_URL is not set"):
        EMAIL.run(context)  # type: ignore[arg-type]


# -- SMTP_URL ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://relay.example.org", Relay("relay.example.org", 25, False, None, None)),
        ("smtp://u:p@relay.example.org:587", Relay("relay.example.org", 587, False, "u", "p")),
        ("smtps://relay.example.org", Relay("relay.example.org", 465, True, None, None)),
        ("smtp://a%40b:c%2Fd@127.0.0.1:2525", Relay("127.0.0.1", 2525, False, "a@b", "c/d")),
    ],
)
def test_smtp_url_is_read(url: str, expected: Relay) -> None:
    assert Relay.parse(url) == expected


@pytest.mark.parametrize(
    "url", ["http://relay.example.org", "relay.example.org:25", "smtp://", "smtp://host:99999"]
)
def test_a_malformed_smtp_url_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP_URL") as refused:
        Relay.parse(url.replace("relay", "u:secret@relay"))
    assert "secret" not in str(refused.value)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("localhost", True), ("relay.example.org", False)],
)
def test_credentials_go_in_clear_only_to_a_relay_on_this_machine(host: str, loopback: bool) -> None:
    assert Relay(host, 25, False, "u", "p").is_loopback is loopback


def test_compose_names_the_sender_domain_in_the_message_id() -> None:
    settings = make_settings("sqlite://", smtp_from="Item 10 <noreply@item10.example.org>")

    message = compose(settings, to="a@example.org", subject="s", body="b", message_id="abc")

    assert message["Message-ID"] == "<abc@item10.example.org>"
    assert message["From"] == "Item 10 <noreply@item10.example.org>"
