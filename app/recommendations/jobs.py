"""Imports as jobs: an upload is checked and stored with its `queued` report in the request's
transaction, and a worker on any machine imports it.

The worker marks the report `running` in a short transaction of its own, then imports in the
job's last transaction (`JobContext.finishing`): the catalogue's writes, the report's figures,
the deletion of the stored file, the announcement and the job's success commit together or not
at all, so an import killed part-way leaves nothing behind and the next worker imports the file
whole, once. Meanwhile `rows_read` advances from short side transactions, on PostgreSQL only:
on SQLite the import's own transaction holds the one write lock, so the figures appear when it
ends.
"""

import hashlib
import logging
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col

from app.core.models import utcnow
from app.core.principal import Principal, PrincipalKind, Role
from app.jobs.models import Job
from app.jobs.queue import enqueue
from app.jobs.worker import FINISHED, JobContext, JobKind, Released, followed_by
from app.recommendations.importing import (
    ImportStopped,
    Progress,
    announce_outcome,
    create_report,
    prepare,
    run_import,
    throttled,
)
from app.recommendations.models import RecommendationImport, RecommendationImportFile

log = logging.getLogger(__name__)

KIND = "recommendation_import.run"
MAX_ATTEMPTS = 3
DELAYS = (10.0, 60.0)
PROGRESS_ROWS = 1000
PROGRESS_SECONDS = 1.0


@contextmanager
def saved_upload(upload: BinaryIO) -> Iterator[tuple[Path, str]]:
    """An upload as a file on disk (importers stream from a path), and its SHA-256: the API
    and the console's import page take files through this."""
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(prefix="item10-import-", delete=False) as target:
        while chunk := upload.read(1024 * 1024):
            digest.update(chunk)
            target.write(chunk)
    try:
        yield Path(target.name), digest.hexdigest()
    finally:
        Path(target.name).unlink(missing_ok=True)


def queue_import(
    db: Session,
    who: Principal | None,
    path: Path,
    sha256: str,
    *,
    requested_format: str,
    filename: str | None,
    state: str | None,
    dry_run: bool,
) -> RecommendationImport:
    """Check the file as a whole (422 now rather than a failed job later), then keep it with a
    `queued` report and queue its import, all in the caller's transaction."""
    prepared = prepare(db, path, requested_format=requested_format, filename=filename, state=state)
    report = create_report(db, who, prepared, filename=filename, dry_run=dry_run, status="queued")
    db.add(RecommendationImportFile(import_id=report.id, content=path.read_bytes(), sha256=sha256))
    enqueue(
        db,
        KIND,
        {"import_id": str(report.id), **on_behalf_of(who)},
        max_attempts=MAX_ATTEMPTS,
        subject=("recommendation_import", report.id),
        created_by_id=who.id if who else None,
    )
    db.flush()
    return report


def on_behalf_of(who: Principal | None) -> dict[str, Any]:
    """What a job keeps of the caller who queued it, so that its work is recorded as theirs."""
    if who is None:
        return {}
    return {"requested_by": who.subject, "role": who.role.value, "state_code": who.state_code}


def requester(payload: dict[str, Any]) -> Principal | None:
    """The caller `on_behalf_of` kept (None: the system)."""
    subject = payload.get("requested_by")
    if not isinstance(subject, str):
        return None
    kind, _, key = subject.partition(":")
    return Principal(
        uuid.UUID(key), PrincipalKind(kind), Role(payload["role"]), payload.get("state_code")
    )


def run(ctx: JobContext) -> None:
    import_id = uuid.UUID(ctx.payload["import_id"])
    who = requester(ctx.payload)
    with ctx.database.transaction() as db:
        content = _start(db, who, import_id)
    if content is None:
        return
    with _spooled(content, import_id) as path:
        try:
            with ctx.finishing() as db:
                report = db.get(RecommendationImport, import_id)
                assert report is not None  # _start found it; reports are never deleted
                run_import(
                    db,
                    who,
                    report,
                    path,
                    progress=_progress(ctx, import_id),
                    should_stop=ctx.stopping,
                )
                db.execute(
                    delete(RecommendationImportFile).where(
                        col(RecommendationImportFile.import_id) == import_id
                    )
                )
        except ImportStopped:
            with ctx.database.transaction() as db:
                if (report := _locked(db, import_id)) is not None:
                    _requeue(db, report)
            raise Released(f"import {import_id} given back: the worker is stopping") from None


def _start(db: Session, who: Principal | None, import_id: uuid.UUID) -> bytes | None:
    """Mark the report `running` and return the file to import; None when there is nothing
    to run (the report is finished, or gone)."""
    report = _locked(db, import_id)
    if report is None or report.status in FINISHED:
        return None
    stored = db.get(RecommendationImportFile, import_id)
    if stored is None:
        _fail(db, report, "the uploaded file is no longer stored")
        announce_outcome(db, who, report)
        return None
    report.status, report.rows_read, report.error = "running", 0, None
    report.updated_at = utcnow()
    db.add(report)
    return stored.content


@contextmanager
def _spooled(content: bytes, import_id: uuid.UUID) -> Iterator[Path]:
    """The stored upload as a file again (importers stream from a path), named for its import
    so that an operator (or a test) can tell whose it is."""
    with tempfile.NamedTemporaryFile(prefix=f"item10-import-{import_id}-", delete=False) as file:
        file.write(content)
    try:
        yield Path(file.name)
    finally:
        Path(file.name).unlink(missing_ok=True)


def _progress(ctx: JobContext, import_id: uuid.UUID) -> Progress | None:
    """`rows_read` written from a side transaction every PROGRESS_ROWS rows or PROGRESS_SECONDS,
    where the database lets a second writer in while the import's transaction is open."""
    if not ctx.separate_writes:
        return None

    def write(rows: int) -> None:
        try:
            with ctx.database.transaction() as db:
                db.execute(
                    update(RecommendationImport)
                    .where(
                        col(RecommendationImport.id) == import_id,
                        col(RecommendationImport.status) == "running",
                    )
                    .values(rows_read=rows, updated_at=utcnow())
                )
        except DBAPIError:
            log.warning("could not show an import's progress", extra={"import_id": str(import_id)})

    return throttled(write, seconds=PROGRESS_SECONDS, rows=PROGRESS_ROWS)


def _locked(db: Session, import_id: uuid.UUID) -> RecommendationImport | None:
    return db.get(RecommendationImport, import_id, with_for_update=True)


def _requeue(db: Session, report: RecommendationImport) -> None:
    report.status, report.error, report.rows_read = "queued", None, 0
    report.finished_at, report.updated_at = None, utcnow()
    db.add(report)


def _fail(db: Session, report: RecommendationImport, error: str) -> None:
    report.status, report.error = "failed", error
    report.finished_at = report.updated_at = utcnow()
    db.add(report)


def _give_up(db: Session, job: Job, report: RecommendationImport) -> None:
    """The job is dead (a file that cannot be imported is a `failed` report, not a failed
    job): the report says so; the file is kept for an administrator's retry."""
    _fail(db, report, f"the import could not be run: {job.last_error}")
    announce_outcome(db, requester(job.payload), report)


on_failure, on_retry = followed_by(
    lambda db, job: _locked(db, uuid.UUID(job.payload["import_id"])), _requeue, _give_up
)


IMPORT_JOB = JobKind(
    name=KIND,
    run=run,
    max_attempts=MAX_ATTEMPTS,
    delays=DELAYS,
    on_failure=on_failure,
    on_retry=on_retry,
)
