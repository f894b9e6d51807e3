"""An import killed part-way (SIGKILL: no handler, no cleanup) leaves the catalogue as it was,
and running it again imports the whole file, once.

The command line imports in one transaction, so the only outcomes are nothing and everything.
A worker imports in the job's last transaction, which also marks the job done: once the dead
worker's lease runs out, another worker claims the job and imports the file whole. The kill
lands while the importer is still reading the file, which it streams as it writes.
"""

import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.audit.models import AuditEvent
from app.core.db import Database, write_intent
from app.jobs.models import Job, JobStatus
from app.recommendations.jobs import queue_import
from app.recommendations.models import (
    Recommendation,
    RecommendationImport,
    RecommendationImportFile,
    RecommendationTheme,
    RecommendingState,
)
from tests.faults.live_server import REPO, server_environment

UPR_INFO_CSV = REPO.parent / "shared" / "data" / "samples" / "upr-info" / "1-5.csv"
UPR_INFO_ROWS = 6094
# Past the importer's first read (512 KiB) and its next chunk: at least one batch is written.
MIDWAY_OFFSET = 640 * 1024
IMPORT_SECONDS = 300

pytestmark = [
    pytest.mark.skipif(not UPR_INFO_CSV.exists(), reason="shared samples not present"),
    pytest.mark.skipif(not Path("/proc/self/fdinfo").is_dir(), reason="reads /proc (Linux)"),
]

STORED = (Recommendation, RecommendingState, RecommendationTheme, RecommendationImport, AuditEvent)
# A dead worker's job is claimed again this long after its last renewal.
LEASE_SECONDS = 2


def start_import(database_url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "app", "import-recommendations", str(UPR_INFO_CSV)],
        cwd=REPO,
        env=server_environment(database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def read_offset(pid: int, path: Path) -> int | None:
    """How far process `pid` has read into `path`, if it has it open."""
    target = str(path.resolve())  # /proc shows the real path, whatever links lead to it
    return reading_offset(pid, lambda name: name == target)


def reading_offset(pid: int, wanted: Callable[[str], bool]) -> int | None:
    """How far process `pid` has read into a file it holds open for reading only (not one it
    is writing) whose path is `wanted`."""
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            if wanted(os.readlink(f"/proc/{pid}/fd/{fd}")):
                fields = Path(f"/proc/{pid}/fdinfo/{fd}").read_text().split()
                if int(fields[fields.index("flags:") + 1], 8) & os.O_ACCMODE == os.O_RDONLY:
                    return int(fields[fields.index("pos:") + 1])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass  # the descriptor closed, or the process ended, while we looked
    return None


def kill_midway(
    process: subprocess.Popen[bytes], offset_of: Callable[[int], int | None] | None = None
) -> int:
    """SIGKILL once the importer has read well into the file; returns how far it had read."""
    size = UPR_INFO_CSV.stat().st_size
    deadline = time.monotonic() + IMPORT_SECONDS
    while process.poll() is None and time.monotonic() < deadline:
        if offset_of is None:
            offset = read_offset(process.pid, UPR_INFO_CSV)
        else:
            offset = offset_of(process.pid)
        if offset is not None and MIDWAY_OFFSET <= offset < size:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return offset
        time.sleep(0.002)
    raise AssertionError(f"the import ended before it could be killed:\n{output_of(process)}")


def output_of(process: subprocess.Popen[bytes]) -> str:
    assert process.stdout is not None
    return process.stdout.read().decode(errors="replace")


def counts(database_url: str) -> dict[str, int]:
    database = Database.from_url(database_url)
    try:
        with database.session() as db:
            return {
                model.__name__: int(db.exec(select(func.count()).select_from(model)).one())
                for model in STORED
            }
    finally:
        database.dispose()


@contextmanager
def running(process: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_an_import_killed_midway_leaves_nothing_and_the_rerun_imports_every_row(
    fresh_database: str,
) -> None:
    before = counts(fresh_database)
    assert before["Recommendation"] == 0

    with running(start_import(fresh_database)) as process:
        offset = kill_midway(process)
    assert process.returncode == -signal.SIGKILL
    assert 0 < offset < UPR_INFO_CSV.stat().st_size
    assert counts(fresh_database) == before

    with running(start_import(fresh_database)) as rerun:
        report = rerun.communicate(timeout=IMPORT_SECONDS)[0].decode(errors="replace")
    assert rerun.returncode == 0, report
    assert f"created {UPR_INFO_ROWS}," in report
    after = counts(fresh_database)
    assert after["Recommendation"] == UPR_INFO_ROWS
    assert after["RecommendationImport"] == before["RecommendationImport"] + 1


# --- the same upload run by workers -----------------------------------------------------------


def queue_upload(database_url: str) -> uuid.UUID:
    """The sample queued as `POST /recommendation-imports` queues it: report, file and job."""
    database = Database.from_url(database_url)
    try:
        with database.transaction() as db:
            report = queue_import(
                db,
                None,
                UPR_INFO_CSV,
                hashlib.sha256(UPR_INFO_CSV.read_bytes()).hexdigest(),
                requested_format="auto",
                filename=UPR_INFO_CSV.name,
                state=None,
                dry_run=False,
            )
            return report.id
    finally:
        database.dispose()


def start_worker(database_url: str) -> subprocess.Popen[bytes]:
    environment = server_environment(database_url) | {
        "WORKER_LEASE_SECONDS": str(LEASE_SECONDS),
        "WORKER_POLL_SECONDS": "0.1",
        "WORKER_CONCURRENCY": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "app", "worker"],
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def import_state(database_url: str, import_id: uuid.UUID) -> tuple[str, list[Job]]:
    database = Database.from_url(database_url)
    try:
        with database.session() as db:
            report = db.get(RecommendationImport, import_id)
            assert report is not None
            jobs = db.exec(select(Job).where(Job.subject_id == str(import_id))).all()
            return report.status, list(jobs)
    finally:
        database.dispose()


def wait_until_finished(
    database_url: str, import_id: uuid.UUID, worker: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + IMPORT_SECONDS
    while time.monotonic() < deadline:
        status, _ = import_state(database_url, import_id)
        if status in ("succeeded", "failed"):
            return
        assert worker.poll() is None, output_of(worker)
        time.sleep(0.2)
    raise AssertionError(f"the second worker did not finish the import:\n{output_of(worker)}")


def stop(worker: subprocess.Popen[bytes]) -> None:
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=60)


def test_a_worker_killed_midway_leaves_nothing_and_another_worker_imports_the_file_once(
    fresh_database: str,
) -> None:
    before = counts(fresh_database)
    import_id = queue_upload(fresh_database)
    spooled = f"item10-import-{import_id}-"

    with running(start_worker(fresh_database)) as first:
        offset = kill_midway(first, lambda pid: reading_offset(pid, lambda p: spooled in p))
    assert first.returncode == -signal.SIGKILL
    assert 0 < offset < UPR_INFO_CSV.stat().st_size
    halfway = counts(fresh_database)
    assert halfway["Recommendation"] == before["Recommendation"] == 0
    status, (job,) = import_state(fresh_database, import_id)
    assert (status, job.status, job.attempts) == ("running", JobStatus.running, 1)

    with running(start_worker(fresh_database)) as second:
        wait_until_finished(fresh_database, import_id, second)
        stop(second)

    status, (job,) = import_state(fresh_database, import_id)
    assert (status, job.status, job.attempts) == ("succeeded", JobStatus.succeeded, 2)
    after = counts(fresh_database)
    assert after["Recommendation"] == UPR_INFO_ROWS
    assert after["RecommendationImport"] == before["RecommendationImport"] + 1
    database = Database.from_url(fresh_database)
    try:
        with database.session() as db:
            report = db.get(RecommendationImport, import_id)
            assert report is not None and (report.created, report.rows_read) == (6094, 6094)
            assert db.get(RecommendationImportFile, import_id) is None
            announced = db.exec(
                select(AuditEvent.action).where(AuditEvent.resource_id == str(import_id))
            ).all()
            assert announced == ["recommendation_import.succeeded"]
    finally:
        database.dispose()


def read_report(database: Database, import_id: uuid.UUID) -> tuple[str, int]:
    """The report's status and rows read as a reader sees them (on SQLite, a read that waits
    for no writer)."""
    token = write_intent.set(False)
    try:
        with database.session() as db:
            report = db.get(RecommendationImport, import_id)
            assert report is not None
            return report.status, report.rows_read
    finally:
        write_intent.reset(token)


def test_while_a_worker_imports_readers_see_it_running_and_rows_read_advancing(
    fresh_database: str,
) -> None:
    """Progress is written from side transactions where the database lets a second writer in
    (PostgreSQL); on SQLite the import's transaction holds the one write lock, so the figures
    appear at the end."""
    import_id = queue_upload(fresh_database)
    seen: list[tuple[str, int]] = []
    database = Database.from_url(fresh_database)
    try:
        with running(start_worker(fresh_database)) as worker:
            deadline = time.monotonic() + IMPORT_SECONDS
            while time.monotonic() < deadline:
                seen.append(read_report(database, import_id))
                if seen[-1][0] in ("succeeded", "failed"):
                    break
                time.sleep(0.02)
            stop(worker)
        postgresql = database.engine.dialect.name == "postgresql"
    finally:
        database.dispose()
    assert seen[-1] == ("succeeded", UPR_INFO_ROWS)
    while_running = [rows for status, rows in seen if status == "running"]
    assert while_running, seen
    assert while_running == sorted(while_running)
    if postgresql:
        assert any(0 < rows < UPR_INFO_ROWS for rows in while_running), while_running
    else:
        assert set(while_running) == {0}
