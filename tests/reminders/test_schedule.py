"""The daily schedule: every worker ticks, and each UTC day's reminders are queued once across
all of them."""

import threading
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, func, select

from app.assistance.models import RequestStage
from app.core.db import Database
from app.core.models import utcnow
from app.core.principal import Role
from app.jobs.models import Job
from app.jobs.worker import Tick
from app.reminders.daily import DAILY, DAILY_JOB, daily_key, queue_today
from app.reminders.service import Reminded, remind
from app.worker import build_worker, job_kinds, ticks
from tests.assistance.helpers import at_noon, make_request, working_days_ago
from tests.conftest import make_settings
from tests.factories import make_user
from tests.reminders.support import daily_jobs, email_jobs, events, make_deadline, make_officer

WORKERS = 6


def daily_tick() -> Tick:
    [tick] = [tick for tick in ticks() if tick.name == DAILY]
    return tick


def test_the_worker_knows_the_daily_job_and_ticks_every_minute() -> None:
    assert job_kinds()[DAILY] is DAILY_JOB
    assert daily_tick().every == 60
    assert 1 < DAILY_JOB.max_attempts <= 5


def test_two_workers_ticking_queue_the_days_job_once(app: FastAPI, db: Session) -> None:
    workers = [build_worker(app.state.settings, app.state.database) for _ in range(2)]

    queued = [daily_tick().run(worker.database, worker.settings) for worker in workers * 2]

    assert queued == [1, 0, 0, 0]
    [job] = daily_jobs(db)
    assert job.dedupe_key == daily_key(utcnow().date())
    assert job.status == "queued"


def test_a_tick_once_the_day_is_queued_only_reads(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    database: Database = app.state.database
    assert queue_today(database, app.state.settings) == 1

    def no_writes() -> None:
        raise AssertionError("the tick opened a write transaction")

    monkeypatch.setattr(database, "transaction", no_writes)

    assert queue_today(database, app.state.settings) == 0


@pytest.fixture
def databases(fresh_database: str) -> Iterator[list[Database]]:
    """One engine per worker, as separate processes would have."""
    opened = [Database.from_url(fresh_database) for _ in range(WORKERS)]
    yield opened
    for database in opened:
        database.dispose()


def test_workers_racing_on_real_connections_queue_the_days_job_once(
    databases: list[Database], fresh_database: str
) -> None:
    settings = make_settings(fresh_database)
    start = threading.Barrier(len(databases))
    queued: list[int] = []

    def tick(database: Database) -> None:
        start.wait()
        queued.append(queue_today(database, settings))

    threads = [threading.Thread(target=tick, args=(database,)) for database in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(queued) == [0] * (WORKERS - 1) + [1]
    with databases[0].session() as db:
        count = db.exec(select(func.count()).select_from(Job).where(col(Job.kind) == DAILY)).one()
    assert count == 1


def test_two_workers_reminding_at_once_say_each_reminder_once(
    databases: list[Database], fresh_database: str
) -> None:
    """Should two runs overlap (a job taken over, a retry), the primary key of
    `reminders_sent` decides: the second run skips what the first is saying."""
    settings = make_settings(fresh_database, smtp_url="smtp://127.0.0.1:1")
    with databases[0].transaction() as db:
        make_user(db, role=Role.state_focal_point, state="WSM")
        make_officer(db)
        request = make_request(
            db, stage=RequestStage.in_triage, stage_entered_at=at_noon(working_days_ago(20))
        )
        deadline = make_deadline(db, due_in_days=4)
        subjects = {
            "assistance_request.overdue": request.id,
            "reporting_deadline.due_soon": deadline.id,
        }
    start = threading.Barrier(2)
    said: list[Reminded] = []

    def run(database: Database) -> None:
        start.wait()
        with database.transaction() as db:
            said.append(remind(db, settings, utcnow()))

    threads = [threading.Thread(target=run, args=(database,)) for database in databases[:2]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(r.assistance_requests + r.reporting_deadlines for r in said) == [0, 2]
    with databases[0].session() as db:
        for kind, subject in subjects.items():
            assert len(events(db, kind, subject)) == 1
        assert len(email_jobs(db)) == 2
