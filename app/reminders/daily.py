"""The daily schedule: every worker ticks each minute, and the first tick of a UTC day queues
that day's `reminders.daily` job, once across all workers (its dedupe key is the day)."""

import datetime as dt
import logging

from sqlmodel import col, select

from app.core.db import Database
from app.core.models import utcnow
from app.core.settings import Settings
from app.jobs.models import Job
from app.jobs.queue import enqueue_once
from app.jobs.worker import JobContext, JobKind, Tick
from app.reminders.service import remind

log = logging.getLogger(__name__)

DAILY = "reminders.daily"
TICK_SECONDS = 60.0


def daily_key(day: dt.date) -> str:
    return f"reminders:{day.isoformat()}"


def queue_today(database: Database, settings: Settings) -> int:
    """Queue today's reminders unless some worker did; 1 when this call queued them. A read
    comes first, so that a tick on any day but the first writes nothing."""
    now = utcnow()
    key = daily_key(now.date())
    if _queued(database, key):
        return 0
    with database.transaction() as db:
        return int(enqueue_once(db, DAILY, key, max_attempts=DAILY_JOB.max_attempts, run_at=now))


def _queued(database: Database, key: str) -> bool:
    with database.reading() as db:
        found = db.exec(select(Job.id).where(col(Job.dedupe_key) == key)).first()
    return found is not None


def run_daily(ctx: JobContext) -> None:
    """Every reminder due now, with the e-mails they queue, in the job's last transaction: all
    of them land with the job's success, or none do and the job is tried again."""
    with ctx.finishing() as db:
        done = remind(db, ctx.settings, utcnow())
    log.info(
        "reminders sent",
        extra={
            "assistance_requests": done.assistance_requests,
            "assignments": done.assignments,
            "reporting_deadlines": done.reporting_deadlines,
            "emails": done.emails,
        },
    )


DAILY_JOB = JobKind(DAILY, run_daily, max_attempts=4, delays=(60.0, 600.0, 3600.0))
DAILY_TICK = Tick(DAILY, queue_today, every=TICK_SECONDS)
