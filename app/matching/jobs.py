"""Matching runs as jobs: the request queues a `queued` run, and a worker computes it.

The worker marks the run `running` in a short transaction, then computes it in the job's last
transaction (`JobContext.finishing`): the proposals, the announcement and the job's success
commit together. The run weighs requests by their priority as OHCHR sees it, so it acts as the
officer who asked for it.
"""

import uuid
from collections.abc import Sequence

from sqlmodel import Session

from app.core.principal import Principal, PrincipalKind, Role
from app.jobs.models import Job
from app.jobs.queue import enqueue
from app.jobs.worker import FINISHED, JobContext, JobKind, followed_by
from app.matching import service
from app.matching.models import MatchingRun
from app.recommendations.jobs import on_behalf_of, requester

KIND = "matching_run.run"
MAX_ATTEMPTS = 3
DELAYS = (5.0, 30.0)


def queue_run(db: Session, who: Principal, request_ids: Sequence[uuid.UUID] | None) -> MatchingRun:
    """A `queued` run and the job that computes it, in the caller's transaction."""
    run = service.create_run(db, who, request_ids)
    enqueue(
        db,
        KIND,
        {"run_id": str(run.id), **on_behalf_of(who)},
        max_attempts=MAX_ATTEMPTS,
        subject=("matching_run", run.id),
        created_by_id=who.id,
    )
    db.flush()
    return run


def officer_of(payload: dict[str, object], run: MatchingRun) -> Principal:
    """Who asked for the run, as the request saw them; else its creator as an officer."""
    who = requester(payload)
    if who is not None:
        return who
    if run.created_by_id is None:
        raise ValueError(f"matching run {run.id} names nobody who asked for it")
    return Principal(run.created_by_id, PrincipalKind.user, Role.ohchr_officer, None)


def run(ctx: JobContext) -> None:
    run_id = uuid.UUID(ctx.payload["run_id"])
    with ctx.database.transaction() as db:
        if not _start(db, run_id):
            return
    with ctx.finishing() as db:
        matching_run = db.get(MatchingRun, run_id)
        assert matching_run is not None  # _start found it; runs are never deleted
        service.compute_run(db, officer_of(ctx.payload, matching_run), ctx.settings, matching_run)


def _start(db: Session, run_id: uuid.UUID) -> bool:
    """Mark the run `running`; False when there is nothing to compute (finished, or gone)."""
    matching_run = _locked(db, run_id)
    if matching_run is None or matching_run.status in FINISHED:
        return False
    service.start_run(matching_run)
    db.add(matching_run)
    return True


def _locked(db: Session, run_id: uuid.UUID) -> MatchingRun | None:
    return db.get(MatchingRun, run_id, with_for_update=True)


def _requeue(db: Session, matching_run: MatchingRun) -> None:
    matching_run.status, matching_run.error = "queued", None
    matching_run.started_at = matching_run.finished_at = None
    db.add(matching_run)


def _give_up(db: Session, job: Job, matching_run: MatchingRun) -> None:
    error = f"the matching run could not be computed: {job.last_error}"
    service.fail_run(db, requester(job.payload), matching_run, error)


on_failure, on_retry = followed_by(
    lambda db, job: _locked(db, uuid.UUID(job.payload["run_id"])), _requeue, _give_up
)


MATCHING_JOB = JobKind(
    name=KIND,
    run=run,
    max_attempts=MAX_ATTEMPTS,
    delays=DELAYS,
    on_failure=on_failure,
    on_retry=on_retry,
)
