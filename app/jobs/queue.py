"""Putting jobs in, claiming them under a lease, and recording how each attempt ended.

Claiming locks the row and skips rows another worker holds (`FOR UPDATE SKIP LOCKED`), so many
workers on many machines share one PostgreSQL without running a job twice at once; on SQLite
the single writer serialises claims. A claim is a lease: a worker that dies stops renewing it,
and once it runs out any worker may claim the job again.
"""

import datetime as dt
import random
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.models import utcnow
from app.jobs.models import Job, JobStatus

JITTER = 0.2  # each delay is stretched or shrunk by up to this share, so retries do not stampede


class LeaseLost(RuntimeError):
    """Another worker claimed the job after this one's lease ran out: its work must not land."""


def enqueue(
    db: Session,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    max_attempts: int,
    subject: tuple[str, object] | None = None,
    run_at: dt.datetime | None = None,
    created_by_id: uuid.UUID | None = None,
) -> Job:
    """Queue a job in the caller's transaction: it exists exactly when the change commits."""
    job = Job(
        kind=kind,
        payload=payload or {},
        max_attempts=max_attempts,
        subject_type=subject[0] if subject else None,
        subject_id=str(subject[1]) if subject else None,
        run_at=run_at or utcnow(),
        created_by_id=created_by_id,
    )
    db.add(job)
    return job


def enqueue_once(
    db: Session, kind: str, dedupe_key: str, *, max_attempts: int, run_at: dt.datetime
) -> bool:
    """Queue the job unless one with `dedupe_key` was ever queued, by any worker; whether this
    call queued it. The unique key decides, so two workers racing queue it once."""
    if db.exec(select(Job.id).where(col(Job.dedupe_key) == dedupe_key)).first() is not None:
        return False
    try:
        with db.begin_nested():
            db.add(Job(kind=kind, dedupe_key=dedupe_key, max_attempts=max_attempts, run_at=run_at))
    except IntegrityError:
        return False
    return True


def claim(db: Session, worker_id: str, kinds: Sequence[str], lease: dt.timedelta) -> Job | None:
    """The next job due (or whose lease ran out), now held by `worker_id`; the caller commits."""
    now = utcnow()
    due = or_(
        and_(col(Job.status) == JobStatus.queued, col(Job.run_at) <= now),
        and_(col(Job.status) == JobStatus.running, col(Job.locked_until) < now),
    )
    job = db.exec(
        select(Job)
        .where(due, col(Job.kind).in_(kinds))
        .order_by(col(Job.run_at))
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if job is None:
        return None
    job.status = JobStatus.running
    job.attempts += 1
    job.locked_by = worker_id
    job.locked_until = now + lease
    job.started_at = job.started_at or now
    job.updated_at = now
    db.add(job)
    db.flush()
    return job


def _held(job_id: uuid.UUID, worker_id: str) -> Any:
    return and_(
        col(Job.id) == job_id,
        col(Job.locked_by) == worker_id,
        col(Job.status) == JobStatus.running,
    )


def renew(db: Session, job_id: uuid.UUID, worker_id: str, lease: dt.timedelta) -> bool:
    """Extend the lease; False when the job is no longer this worker's."""
    now = utcnow()
    result = db.execute(
        update(Job).where(_held(job_id, worker_id)).values(locked_until=now + lease, updated_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def hold(db: Session, job_id: uuid.UUID, worker_id: str) -> None:
    """Lock the job's row for the caller's transaction if it is still `worker_id`'s; LeaseLost
    otherwise, so that what the transaction was to record is not written."""
    held = db.exec(select(Job.id).where(_held(job_id, worker_id)).with_for_update()).first()
    if held is None:
        raise LeaseLost(f"job {job_id} is no longer held by {worker_id}")


def succeed(db: Session, job_id: uuid.UUID, worker_id: str) -> None:
    """Mark the job done in the transaction of its work; LeaseLost (so the work rolls back) if
    another worker holds it now."""
    now = utcnow()
    result = db.execute(
        update(Job)
        .where(_held(job_id, worker_id))
        .values(
            status=JobStatus.succeeded,
            locked_by=None,
            locked_until=None,
            last_error=None,
            finished_at=now,
            updated_at=now,
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise LeaseLost(f"job {job_id} is no longer held by {worker_id}")


def fail(
    db: Session, job: Job, worker_id: str, error: str, delays: Sequence[float]
) -> dt.datetime | None:
    """Record a failed attempt: queued again after the next delay (with jitter), or `dead` after
    the last attempt. Returns when it runs again, None when dead or no longer ours."""
    now = utcnow()
    if job.locked_by != worker_id or job.status is not JobStatus.running:
        return None
    job.last_error = error[:4000]
    job.locked_by = None
    job.locked_until = None
    job.updated_at = now
    if job.attempts >= job.max_attempts:
        job.status = JobStatus.dead
        job.finished_at = now
        db.add(job)
        return None
    job.status = JobStatus.queued
    job.run_at = now + dt.timedelta(seconds=backoff(delays, job.attempts))
    db.add(job)
    return job.run_at


def backoff(delays: Sequence[float], attempts: int) -> float:
    """Seconds before the next attempt after `attempts` failed ones: the schedule's entry (its
    last one repeated), jittered by up to JITTER either way."""
    base = delays[min(attempts, len(delays)) - 1] if delays else 1.0
    return base * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 (timing, not secrecy)


def exponential(first: float, attempts: int, factor: float = 4.0) -> tuple[float, ...]:
    """A schedule of `attempts - 1` delays growing by `factor` from `first` seconds."""
    return tuple(first * factor**n for n in range(max(attempts - 1, 1)))


def release(db: Session, job: Job, worker_id: str) -> None:
    """Give the job back unrun (the worker is stopping): queued now, the attempt not counted."""
    if job.locked_by != worker_id or job.status is not JobStatus.running:
        return
    job.status = JobStatus.queued
    job.attempts = max(job.attempts - 1, 0)
    job.locked_by = None
    job.locked_until = None
    job.run_at = job.updated_at = utcnow()
    db.add(job)


def requeue(db: Session, job: Job) -> Job:
    """Run a dead (or waiting) job again now, with its attempts counted afresh."""
    now = utcnow()
    job.status = JobStatus.queued
    job.attempts = 0
    job.run_at = job.updated_at = now
    job.finished_at = None
    job.locked_by = None
    job.locked_until = None
    db.add(job)
    return job
