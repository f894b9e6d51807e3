"""Several workers on one database, each with several threads, on real connections: no job is
run twice at once, none is left behind, and a lease that is renewed is never taken over."""

import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlmodel import col, select

from app.core.db import Database
from app.jobs import queue
from app.jobs.models import Job, JobStatus
from app.jobs.worker import JobContext, JobKind, Worker
from tests.conftest import make_settings
from tests.databases import is_postgres

JOBS = 120


class Ledger:
    """Who ran what, and whether any job was ever being run by two at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.lock = threading.Lock()
        self.running: set[str] = set()
        self.overlaps: list[str] = []
        self.runs: Counter[str] = Counter()
        self.by_worker: Counter[str] = Counter()

    def run(self, context: JobContext) -> None:
        job_id = str(context.job.id)
        with self.lock:
            if job_id in self.running:
                self.overlaps.append(job_id)
            self.running.add(job_id)
            self.runs[job_id] += 1
            self.by_worker[context.worker_id.rsplit(":", 2)[0]] += 1
        time.sleep(self.seconds)
        with self.lock:
            self.running.discard(job_id)


@pytest.fixture
def database(fresh_database: str) -> Iterator[Database]:
    database = Database.from_url(fresh_database)
    yield database
    database.dispose()


def _workers(database: Database, ledger: Ledger, count: int, **settings: object) -> list[Worker]:
    kind = JobKind("test.ledger", ledger.run, max_attempts=1)
    configured = make_settings(str(database.engine.url), **settings)
    return [
        Worker(database, configured, {kind.name: kind}, name=f"worker-{n}") for n in range(count)
    ]


def _serve_until_done(workers: list[Worker], database: Database, timeout: float = 60) -> None:
    threads = [threading.Thread(target=w.serve) for w in workers]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with database.session() as db:
                left = db.exec(select(Job.id).where(col(Job.status) != JobStatus.succeeded)).first()
            if left is None:
                return
            time.sleep(0.05)
        raise AssertionError("jobs were left undone")
    finally:
        for worker in workers:
            worker.stop.set()
        for thread in threads:
            thread.join(30)


def test_many_workers_run_every_job_exactly_once(database: Database) -> None:
    with database.transaction() as db:
        for n in range(JOBS):
            queue.enqueue(db, "test.ledger", {"n": n}, max_attempts=1)
    ledger = Ledger(seconds=0.005)
    # SQLite has one writer: two workers of one thread each; PostgreSQL: two of four threads.
    threads = 4 if is_postgres() else 1
    workers = _workers(database, ledger, 2, worker_concurrency=threads, worker_poll_seconds=0.05)
    _serve_until_done(workers, database)
    assert ledger.overlaps == []
    assert len(ledger.runs) == JOBS and set(ledger.runs.values()) == {1}
    if is_postgres():
        assert set(ledger.by_worker) == {"worker-0", "worker-1"}


def test_a_renewed_lease_is_not_taken_over(database: Database) -> None:
    """The job outlasts its lease three times over; the holder keeps renewing it."""
    with database.transaction() as db:
        queue.enqueue(db, "test.ledger", {}, max_attempts=3)
    ledger = Ledger(seconds=3.0)
    workers = _workers(
        database,
        ledger,
        2,
        worker_concurrency=1,
        worker_poll_seconds=0.05,
        worker_lease_seconds=1.0,
    )
    _serve_until_done(workers, database)
    assert ledger.overlaps == [] and list(ledger.runs.values()) == [1]
    with database.session() as db:
        job = db.exec(select(Job)).one()
    assert (job.status, job.attempts) == (JobStatus.succeeded, 1)
