"""The queue's rules: a job exists exactly when its change commits, a claim is a lease, a failed
attempt waits its (jittered) turn, the last failure leaves the job dead and visible, and an
administrator may run a dead job again."""

import datetime as dt
import threading
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core.models import utcnow
from app.core.principal import Role
from app.core.settings import Settings
from app.jobs import queue
from app.jobs.models import Job, JobStatus
from app.jobs.worker import JobContext, JobKind, Released, Worker
from tests.factories import auth, make_user

JOBS = "/api/v1/jobs"
LEASE = dt.timedelta(seconds=60)


class Recorder:
    """A kind of job for these tests: records each run, fails as told."""

    def __init__(self, failures: int = 0, delays: tuple[float, ...] = (10.0, 60.0)) -> None:
        self.runs: list[dict[str, Any]] = []
        self.failures = failures
        self.dead: list[str] = []
        self.kind = JobKind(
            "test.record", self.run, max_attempts=3, delays=delays, on_failure=self.failed
        )

    def run(self, context: JobContext) -> None:
        self.runs.append(dict(context.payload))
        if len(self.runs) <= self.failures:
            raise RuntimeError(f"failure {len(self.runs)}")

    def failed(self, _db: Session, job: Job, next_at: dt.datetime | None) -> None:
        if next_at is None:
            self.dead.append(str(job.id))


def worker_for(app: FastAPI, *kinds: JobKind) -> Worker:
    return Worker(
        app.state.database,
        app.state.settings,
        {kind.name: kind for kind in kinds},
        heartbeats=False,
    )


def make_due(db: Session) -> None:
    """Time passes: every queued job is due now."""
    for job in db.exec(select(Job).where(col(Job.status) == JobStatus.queued)).all():
        job.run_at = utcnow()
        db.add(job)
    db.commit()


def test_a_job_runs_once_and_succeeds(app: FastAPI, db: Session) -> None:
    recorder = Recorder()
    job = queue.enqueue(db, "test.record", {"n": 1}, max_attempts=3)
    db.commit()
    assert worker_for(app, recorder.kind).run_until_idle() == 1
    db.refresh(job)
    assert recorder.runs == [{"n": 1}]
    assert (job.status, job.attempts, job.locked_by) == (JobStatus.succeeded, 1, None)
    assert job.finished_at is not None
    assert worker_for(app, recorder.kind).run_until_idle() == 0


def test_a_rolled_back_change_leaves_no_job(app: FastAPI, db: Session) -> None:
    with pytest.raises(RuntimeError), db.begin_nested():
        queue.enqueue(db, "test.record", {"n": 1}, max_attempts=3)
        raise RuntimeError("the change failed")
    assert db.exec(select(Job)).all() == []


def test_failures_back_off_with_jitter_then_the_job_is_dead(app: FastAPI, db: Session) -> None:
    recorder = Recorder(failures=5, delays=(10.0, 60.0))
    job = queue.enqueue(db, "test.record", {}, max_attempts=3)
    db.commit()
    worker = worker_for(app, recorder.kind)
    waits = []
    for _ in range(2):
        before = utcnow()
        worker.run_until_idle()
        db.refresh(job)
        assert job.status is JobStatus.queued
        waits.append((job.run_at - before).total_seconds())
        make_due(db)
    assert 10 * 0.8 - 1 <= waits[0] <= 10 * 1.2 + 1
    assert 60 * 0.8 - 1 <= waits[1] <= 60 * 1.2 + 1
    worker.run_until_idle()
    db.refresh(job)
    assert (job.status, job.attempts) == (JobStatus.dead, 3)
    assert job.last_error == "RuntimeError: failure 3"
    assert recorder.dead == [str(job.id)]
    make_due(db)
    assert worker.run_until_idle() == 0  # dead stays dead


def test_a_lapsed_lease_lets_another_worker_take_the_job(app: FastAPI, db: Session) -> None:
    job = queue.enqueue(db, "test.record", {}, max_attempts=3)
    db.commit()
    claimed = queue.claim(db, "worker-a", ["test.record"], LEASE)
    assert claimed is not None and claimed.id == job.id
    db.commit()
    assert queue.claim(db, "worker-b", ["test.record"], LEASE) is None  # held
    claimed.locked_until = utcnow() - dt.timedelta(seconds=1)  # worker-a died
    db.add(claimed)
    db.commit()
    taken = queue.claim(db, "worker-b", ["test.record"], LEASE)
    assert taken is not None and (taken.locked_by, taken.attempts) == ("worker-b", 2)
    db.commit()
    with pytest.raises(queue.LeaseLost):
        queue.succeed(db, job.id, "worker-a")  # the first worker's late work must not land
    queue.succeed(db, job.id, "worker-b")
    db.commit()
    db.refresh(job)
    assert job.status is JobStatus.succeeded


def test_a_job_whose_worker_died_on_its_last_attempt_is_dead(app: FastAPI, db: Session) -> None:
    recorder = Recorder()
    job = queue.enqueue(db, "test.record", {}, max_attempts=1)
    db.commit()
    assert queue.claim(db, "worker-a", ["test.record"], dt.timedelta(seconds=-1)) is not None
    db.commit()
    worker_for(app, recorder.kind).run_until_idle()
    db.refresh(job)
    assert job.status is JobStatus.dead
    assert job.last_error == "the worker running it stopped before it finished"
    assert recorder.runs == [] and recorder.dead == [str(job.id)]


def test_a_released_job_is_queued_again_without_counting_the_attempt(
    app: FastAPI, db: Session
) -> None:
    def stop_part_way(context: JobContext) -> None:
        raise Released()

    job = queue.enqueue(db, "test.stop", {}, max_attempts=2)
    db.commit()
    worker_for(app, JobKind("test.stop", stop_part_way)).run_one("worker-a")
    db.refresh(job)
    assert (job.status, job.attempts, job.locked_by) == (JobStatus.queued, 0, None)


def test_enqueue_once_queues_one_job_per_key(app: FastAPI, db: Session) -> None:
    now = utcnow()
    assert queue.enqueue_once(db, "test.record", "daily:2026-12-04", max_attempts=1, run_at=now)
    assert not queue.enqueue_once(db, "test.record", "daily:2026-12-04", max_attempts=1, run_at=now)
    assert queue.enqueue_once(db, "test.record", "daily:2026-12-05", max_attempts=1, run_at=now)
    assert len(db.exec(select(Job)).all()) == 2


def test_the_work_and_the_success_commit_together(app: FastAPI, db: Session) -> None:
    """A job that loses its lease mid-way writes nothing."""

    def write_then_lose_the_lease(context: JobContext) -> None:
        with context.finishing() as work:
            work.add(Job(kind="test.written", max_attempts=1))
            held = work.get(Job, context.job.id)
            assert held is not None
            held.locked_by = "someone-else"
            work.add(held)
            work.flush()

    queue.enqueue(db, "test.lose", {}, max_attempts=2)
    db.commit()
    worker_for(app, JobKind("test.lose", write_then_lose_the_lease)).run_one("worker-a")
    assert db.exec(select(Job).where(col(Job.kind) == "test.written")).all() == []


def test_what_an_attempt_records_lands_only_while_the_job_is_held(
    app: FastAPI, db: Session
) -> None:
    """A worker whose lease ran out (the job taken over) writes nothing more for it."""
    recorded: list[str] = []

    def record_then_fail(context: JobContext) -> None:
        with context.holding() as work:
            work.add(Job(kind=f"test.recorded-{context.worker_id}", max_attempts=1))
        recorded.append(context.worker_id)
        raise RuntimeError("the receiver answered 500")

    queue.enqueue(db, "test.attempt", {}, max_attempts=3)
    db.commit()
    worker_for(app, JobKind("test.attempt", record_then_fail)).run_one("worker-a")
    assert recorded == ["worker-a"]

    job = db.exec(select(Job).where(col(Job.kind) == "test.attempt")).one()
    make_due(db)
    claimed = queue.claim(db, "worker-b", ["test.attempt"], LEASE)
    assert claimed is not None
    db.commit()
    late = JobContext(
        claimed, app.state.database, app.state.settings, "worker-a", threading.Event()
    )
    with pytest.raises(queue.LeaseLost), late.holding() as work:
        work.add(Job(kind="test.recorded-late", max_attempts=1))
    assert db.exec(select(Job).where(col(Job.kind) == "test.recorded-late")).all() == []
    assert job.id == claimed.id


# -- the administrators' API -------------------------------------------------------------------


def test_administrators_list_filter_read_and_retry_dead_jobs(
    client: TestClient, app: FastAPI, db: Session, settings: Settings
) -> None:
    admin = auth(settings, make_user(db, role=Role.ohchr_admin))
    recorder = Recorder(failures=1)
    dead = queue.enqueue(db, "test.record", {"n": 1}, max_attempts=1)
    queue.enqueue(db, "test.other", {}, max_attempts=1)
    db.commit()
    worker_for(app, recorder.kind).run_until_idle()

    listed = client.get(JOBS, params={"status": "dead"}, headers=admin).json()["items"]
    assert [j["id"] for j in listed] == [str(dead.id)]
    assert listed[0]["last_error"] == "RuntimeError: failure 1"
    kinds = {
        j["kind"]
        for j in client.get(JOBS, params={"kind": "test.other"}, headers=admin).json()["items"]
    }
    assert kinds == {"test.other"}
    assert client.get(f"{JOBS}/{dead.id}", headers=admin).json()["status"] == "dead"

    retried = client.post(f"{JOBS}/{dead.id}/retry", headers=admin)
    assert retried.status_code == 200, retried.text
    assert (retried.json()["status"], retried.json()["attempts"]) == ("queued", 0)
    again = client.post(f"{JOBS}/{dead.id}/retry", headers=admin)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    worker_for(app, recorder.kind).run_until_idle()
    assert client.get(f"{JOBS}/{dead.id}", headers=admin).json()["status"] == "succeeded"


@pytest.mark.parametrize(
    "role", [Role.ohchr_officer, Role.state_focal_point, Role.state_contributor, Role.provider]
)
def test_only_administrators_see_jobs(
    client: TestClient, db: Session, settings: Settings, role: Role
) -> None:
    job = queue.enqueue(db, "test.record", {}, max_attempts=1)
    db.commit()
    headers = auth(settings, make_user(db, role=role))
    assert client.get(JOBS, headers=headers).status_code == 403
    assert client.get(f"{JOBS}/{job.id}", headers=headers).status_code == 403
    assert client.post(f"{JOBS}/{job.id}/retry", headers=headers).status_code == 403
    assert client.get(JOBS).status_code == 401


def test_an_unknown_job_is_not_found(client: TestClient, db: Session, settings: Settings) -> None:
    admin = auth(settings, make_user(db, role=Role.ohchr_admin))
    missing = "00000000-0000-4000-8000-000000000000"
    assert client.get(f"{JOBS}/{missing}", headers=admin).status_code == 404
    assert client.post(f"{JOBS}/{missing}/retry", headers=admin).status_code == 404
    assert client.get(JOBS, params={"status": "sleeping"}, headers=admin).status_code == 422


def test_stopping_ends_the_loop_after_the_job_in_hand(app: FastAPI, db: Session) -> None:
    started, finish = threading.Event(), threading.Event()
    ran: list[str] = []

    def slow(context: JobContext) -> None:
        started.set()
        finish.wait(5)
        ran.append(str(context.job.id))

    for _ in range(3):
        queue.enqueue(db, "test.slow", {}, max_attempts=1)
    db.commit()
    worker = worker_for(app, JobKind("test.slow", slow))
    # One thread: the test database is one connection (threads: tests/jobs/test_workers.py).
    worker.settings = worker.settings.model_copy(update={"worker_concurrency": 1})
    thread = threading.Thread(target=worker.serve)
    thread.start()
    assert started.wait(5)
    worker.stop.set()
    finish.set()
    thread.join(10)
    assert not thread.is_alive()
    assert len(ran) == 1  # the job in hand finished; no other was claimed
    statuses = sorted(j.status.value for j in db.exec(select(Job)).all())
    assert statuses == ["queued", "queued", "succeeded"]
