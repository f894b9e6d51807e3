"""Administrators' view of the jobs: list, read, and run a dead one again."""

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from app.core.errors import IllegalTransition, NotFound
from app.core.pagination import paginate
from app.core.settings import Settings
from app.jobs import queue
from app.jobs.models import Job, JobStatus

if TYPE_CHECKING:
    from app.jobs.worker import JobKind


def list_jobs(
    db: Session,
    *,
    kind: str | None,
    status: JobStatus | None,
    limit: int,
    cursor: str | None,
    settings: Settings,
) -> tuple[list[Job], str | None]:
    """Newest first."""
    statement = select(Job)
    if kind is not None:
        statement = statement.where(col(Job.kind) == kind)
    if status is not None:
        statement = statement.where(col(Job.status) == status)
    return paginate(
        db,
        statement,
        [col(Job.created_at), col(Job.id)],
        limit=limit,
        cursor=cursor,
        settings=settings,
        list_name="list_jobs",
        descending=True,
    )


def get_job(db: Session, job_id: uuid.UUID) -> Job:
    job = db.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job {job_id}")
    return job


def retry(db: Session, job: Job, kinds: Mapping[str, "JobKind"]) -> Job:
    """Queue a dead job again, its attempts counted afresh; its object says so too."""
    if job.status is not JobStatus.dead:
        raise IllegalTransition(
            f"only a dead job can be retried; this one is {job.status.value}", allowed=[]
        )
    queue.requeue(db, job)
    kind = kinds.get(job.kind)
    if kind is not None and kind.on_retry is not None:
        kind.on_retry(db, job)
    db.flush()
    return job
