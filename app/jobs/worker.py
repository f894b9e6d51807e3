"""The worker: claims due jobs and runs them, and keeps the platform's periodic duties (putting
events in order for subscribers, the daily reminders).

`python -m app worker` runs one in its own process; in development the web process runs one on
a background thread (`WORKER_IN_PROCESS`). Any number may run against one database.
"""

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from app.core.db import Database
from app.core.models import utcnow
from app.core.settings import Settings
from app.jobs import queue
from app.jobs.models import Job, JobStatus

log = logging.getLogger(__name__)

IDLE_BACKOFF_MAX_S = 30.0  # longest pause between tries while the database cannot be reached


class Released(Exception):
    """Raised by a job that stops part-way because the worker is stopping: it is queued again
    as if never claimed, and whatever it had written in its unfinished transaction rolls back."""


@dataclass
class JobContext:
    """What a running job sees: its row as claimed, the database, and whether to stop."""

    job: Job
    database: Database
    settings: Settings
    worker_id: str
    stop: threading.Event
    finished: bool = False

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload

    def stopping(self) -> bool:
        return self.stop.is_set()

    @contextmanager
    def finishing(self) -> Iterator[Session]:
        """The job's last transaction: its writes and the job's success commit together, and
        roll back together if another worker took the job over meanwhile (queue.LeaseLost)."""
        with self.database.transaction() as db:
            yield db
            queue.succeed(db, self.job.id, self.worker_id)
        self.finished = True

    @contextmanager
    def holding(self) -> Iterator[Session]:
        """A transaction that lands only while the job is still this worker's (what an attempt
        records before failing): queue.LeaseLost, and nothing written, once another worker
        has taken the job over."""
        with self.database.transaction() as db:
            queue.hold(db, self.job.id, self.worker_id)
            yield db

    @property
    def separate_writes(self) -> bool:
        """Whether a write in a second transaction can land while the job's own is open (not
        on SQLite, whose one writer is the job itself): how progress is shown as it happens."""
        return self.database.engine.dialect.name != "sqlite"


FailureHook = Callable[[Session, Job, dt.datetime | None], None]
RetryHook = Callable[[Session, Job], None]


@dataclass(frozen=True)
class JobKind:
    """A kind of job: what runs it, how often it is tried and how long to wait between tries.
    `on_failure(db, job, next_attempt_at)` runs in the transaction that records a failed
    attempt (`next_attempt_at` None: the job is dead), so the job's object can say so;
    `on_retry(db, job)` when an administrator queues a dead job again."""

    name: str
    run: Callable[[JobContext], None]
    max_attempts: int = 5
    delays: tuple[float, ...] = (10.0, 60.0, 600.0, 3600.0)
    on_failure: FailureHook | None = None
    on_retry: RetryHook | None = None
    # Failures that are part of the job's life (a receiver answering 500): logged as warnings,
    # without a traceback.
    expected: tuple[type[Exception], ...] = ()


FINISHED = ("succeeded", "failed")


class Followed(Protocol):
    """An object that shows how its job stands (an import report, a matching run)."""

    status: str


F = TypeVar("F", bound=Followed)


def followed_by(
    load: Callable[[Session, Job], F | None],
    requeue: Callable[[Session, F], None],
    give_up: Callable[[Session, Job, F], None],
) -> tuple[FailureHook, RetryHook]:
    """The `on_failure` and `on_retry` of a job whose object follows it: queued again for the
    next attempt or an administrator's retry, and given up (`failed`, with why) once the job
    is dead. `load` locks the object; one already finished is left as it is on failure."""

    def on_failure(db: Session, job: Job, next_attempt_at: dt.datetime | None) -> None:
        obj = load(db, job)
        if obj is None or obj.status in FINISHED:
            return
        if next_attempt_at is not None:
            requeue(db, obj)
        else:
            give_up(db, job, obj)

    def on_retry(db: Session, job: Job) -> None:
        obj = load(db, job)
        if obj is not None:
            requeue(db, obj)

    return on_failure, on_retry


@dataclass(frozen=True)
class Tick:
    """A periodic duty of every worker, run every `every` seconds; returns how much it did."""

    name: str
    run: Callable[[Database, Settings], int]
    every: float


@dataclass
class Worker:
    database: Database
    settings: Settings
    kinds: Mapping[str, JobKind]
    ticks: Sequence[Tick] = ()
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    heartbeats: bool = True
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def lease(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.settings.worker_lease_seconds)

    # -- running ---------------------------------------------------------------------------

    def serve(self) -> None:
        """Work until `stop` is set: `WORKER_CONCURRENCY` threads claim jobs and one keeps the
        ticks, so that a long job never holds up the events' dispatch. The job each thread
        holds when asked to stop is finished (or, if it watches `stopping()`, released) before
        this returns."""
        threads = [
            threading.Thread(target=self._claim_loop, args=(n,), name=f"job-{n}", daemon=True)
            for n in range(1, self.settings.worker_concurrency)
        ]
        threads.append(threading.Thread(target=self._tick_loop, name="ticks", daemon=True))
        for thread in threads:
            thread.start()
        self._claim_loop(0)
        for thread in threads:
            thread.join()

    def run_until_idle(self, max_jobs: int = 100_000) -> int:
        """Every tick, then every job due now, until nothing is left (tests, one-off runs);
        how many jobs ran."""
        ran = 0
        while ran < max_jobs:
            ticked = sum(tick.run(self.database, self.settings) for tick in self.ticks)
            step = 0
            while ran < max_jobs and self.run_one(f"{self.name}:0"):
                ran += 1
                step += 1
            if not step and not ticked:
                break
        return ran

    def _claim_loop(self, index: int) -> None:
        worker_id = f"{self.name}:{index}:{uuid.uuid4().hex[:6]}"
        busy = False
        while not self.stop.is_set():
            try:
                # While jobs keep coming, claim straight away: the look first is for idle times.
                busy = self.run_one(worker_id, look_first=not busy)
            except Exception:
                busy = False
                log.exception("worker loop failed; trying again", extra={"worker": worker_id})
                self._pause_after_failure()
                continue
            if not busy:
                self.stop.wait(self.settings.worker_poll_seconds)

    def _tick_loop(self) -> None:
        last_tick: dict[str, float] = {}
        while not self.stop.is_set():
            now = time.monotonic()
            for tick in self.ticks:
                if now - last_tick.get(tick.name, -tick.every) < tick.every:
                    continue
                last_tick[tick.name] = now
                try:
                    tick.run(self.database, self.settings)
                except Exception:
                    log.exception("periodic duty failed; trying again", extra={"tick": tick.name})
                    self._pause_after_failure()
            self.stop.wait(self.settings.worker_poll_seconds)

    def _pause_after_failure(self) -> None:
        """A moment before trying again (the database may be restarting)."""
        self.stop.wait(min(max(self.settings.worker_poll_seconds, 0.5) * 2, IDLE_BACKOFF_MAX_S))

    # -- one job ---------------------------------------------------------------------------

    def run_one(self, worker_id: str, look_first: bool = True) -> bool:
        """Claim one due job and run it; False when none is due."""
        if look_first and not self._anything_due():
            return False
        with self.database.transaction() as db:
            job = queue.claim(db, worker_id, list(self.kinds), self.lease)
            if job is None:
                return False
            db.expunge(job)
        self._run(job, worker_id)
        return True

    def _anything_due(self) -> bool:
        """A read (no write lock on SQLite) before claiming, so an idle worker writes nothing."""
        now = utcnow()
        with self.database.reading() as db:
            found = db.exec(
                select(Job.id)
                .where(
                    or_(
                        and_(col(Job.status) == JobStatus.queued, col(Job.run_at) <= now),
                        and_(col(Job.status) == JobStatus.running, col(Job.locked_until) < now),
                    ),
                    col(Job.kind).in_(list(self.kinds)),
                )
                .limit(1)
            ).first()
        return found is not None

    def _run(self, job: Job, worker_id: str) -> None:
        kind = self.kinds[job.kind]
        context = JobContext(job, self.database, self.settings, worker_id, self.stop)
        started = time.monotonic()
        extra = {"job_id": str(job.id), "job_kind": job.kind, "attempt": job.attempts}
        if job.attempts > job.max_attempts:
            # It was claimed for its last attempt by a worker that stopped before finishing.
            self._failed(kind, job, worker_id, "the worker running it stopped before it finished")
            return
        with self._heartbeat(job, worker_id):
            try:
                kind.run(context)
                if not context.finished:
                    with self.database.transaction() as db:
                        queue.succeed(db, job.id, worker_id)
            except Released:
                with self.database.transaction() as db:
                    held = db.get(Job, job.id, with_for_update=True)
                    if held is not None:
                        queue.release(db, held, worker_id)
                log.info("job released: the worker is stopping", extra=extra)
                return
            except queue.LeaseLost:
                log.warning("job taken over by another worker; its work rolled back", extra=extra)
                return
            except Exception as exc:
                if isinstance(exc, kind.expected):
                    log.warning("job failed: %s", exc, extra=extra)
                else:
                    log.exception("job failed", extra=extra)
                self._failed(kind, job, worker_id, f"{type(exc).__name__}: {exc}")
                return
        extra["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
        log.info("job succeeded", extra=extra)

    def _failed(self, kind: JobKind, job: Job, worker_id: str, error: str) -> None:
        with self.database.transaction() as db:
            held = db.get(Job, job.id, with_for_update=True)
            if held is None or held.locked_by != worker_id:
                return
            next_at = queue.fail(db, held, worker_id, error, kind.delays)
            if kind.on_failure is not None:
                kind.on_failure(db, held, next_at)

    @contextmanager
    def _heartbeat(self, job: Job, worker_id: str) -> Iterator[None]:
        """Renew the lease while the job runs, so only a dead worker loses its jobs."""
        if not self.heartbeats:
            yield
            return
        done = threading.Event()
        every = max(self.lease.total_seconds() / 3, 0.1)

        def beat() -> None:
            while not done.wait(every):
                try:
                    with self.database.transaction() as db:
                        if not queue.renew(db, job.id, worker_id, self.lease):
                            return
                except Exception:
                    # On SQLite the job's own transaction may hold the one write lock; the
                    # lease then runs on, and no other writer could have taken the job anyway.
                    log.warning("could not renew a job's lease", extra={"job_id": str(job.id)})

        thread = threading.Thread(target=beat, name=f"lease-{job.id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()
