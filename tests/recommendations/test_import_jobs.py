"""Imports leave the request: `202` with a `queued` report and its `Location`, then a worker
runs the import (`running`, then `succeeded` or `failed`); the upload is kept until then, so
any worker may run it, and the command line runs the same import in the foreground with its
progress on standard error."""

import csv
import dataclasses
import hashlib
import io
import os
import pty
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from app.__main__ import ImportProgress
from app.audit.models import AuditEvent
from app.core.db import Database
from app.core.principal import Role
from app.core.settings import Settings
from app.events.models import OutboxEvent
from app.jobs.models import Job, JobStatus
from app.recommendations import importing
from app.recommendations import jobs as import_jobs
from app.recommendations.models import (
    Recommendation,
    RecommendationImport,
    RecommendationImportFile,
)
from app.worker import build_worker
from tests.conftest import make_settings
from tests.core.test_problems import assert_problem
from tests.factories import auth, make_user
from tests.faults.live_server import REPO, server_environment
from tests.jobs.support import run_jobs

IMPORTS = "/api/v1/recommendation-imports"
HEADER = [
    "To",
    "To-Rgrp",
    "To-Org",
    "Text",
    "From",
    "From-Rgrp",
    "From-Org",
    "Response",
    "Action",
    "Issue",
    "Session",
]
Json = dict[str, object]


def upr_info_csv(rows: int, *, to: str = "Samoa", extra: list[list[str]] | None = None) -> bytes:
    """A UPR Info export of `rows` distinct recommendations to `to` (then `extra` rows)."""
    table = [HEADER]
    for n in range(rows):
        text = f"Ratify convention number {n} on the rights of persons with disabilities."
        table.append([to, "Asia", "", text, "Fiji", "Asia", "", "Accepted", "4", "Justice", "11"])
    table += extra or []
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table)
    return buffer.getvalue().encode()


@pytest.fixture
def admin(db: Session, settings: Settings) -> dict[str, str]:
    return auth(settings, make_user(db, role=Role.ohchr_admin))


def queue(client: TestClient, headers: dict[str, str], content: bytes, **form: str) -> Json:
    response = client.post(
        IMPORTS, files={"file": ("export.csv", content)}, data=form, headers=headers
    )
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"{IMPORTS}/{response.json()['id']}"
    queued: Json = response.json()
    return queued


def report_of(client: TestClient, headers: dict[str, str], import_id: object) -> Json:
    response = client.get(f"{IMPORTS}/{import_id}", headers=headers)
    assert response.status_code == 200, response.text
    report: Json = response.json()
    return report


def count(db: Session, model: type, *where: object) -> int:
    db.expire_all()
    return int(db.exec(select(func.count()).select_from(model).where(*where)).one())  # type: ignore[arg-type]


def import_jobs_of(db: Session, import_id: object) -> list[Job]:
    db.expire_all()
    return list(
        db.exec(
            select(Job).where(Job.kind == import_jobs.KIND, Job.subject_id == str(import_id))
        ).all()
    )


# --- queued, then run by a worker ------------------------------------------------------------


def test_an_upload_is_answered_202_queued_and_kept_for_a_worker(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    content = upr_info_csv(12)

    queued = queue(client, admin, content)

    assert queued["status"] == "queued"
    assert (queued["format"], queued["rows_read"], queued["created"]) == ("upr_info", 0, 0)
    assert queued["rejected"] == [] and queued["finished_at"] is None
    stored = db.get(RecommendationImportFile, uuid.UUID(str(queued["id"])))
    assert stored is not None and stored.content == content
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    (job,) = import_jobs_of(db, queued["id"])
    assert (job.status, job.subject_type) == (JobStatus.queued, "recommendation_import")
    assert count(db, Recommendation) == 0
    assert report_of(client, admin, queued["id"])["status"] == "queued"


def test_the_worker_imports_the_file_once_and_drops_the_stored_copy(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    bad = ["Atlantis", "Asia", "", "About nowhere.", "Fiji", "Asia", "", "Accepted", "4", "", "11"]
    queued = queue(client, admin, upr_info_csv(12, extra=[bad]))

    assert run_jobs(client.app) >= 1  # type: ignore[arg-type]

    report = report_of(client, admin, queued["id"])
    assert report["status"] == "succeeded" and report["error"] is None
    assert (report["rows_read"], report["created"], report["unchanged"]) == (13, 12, 0)
    assert report["rejected"] == [
        {"row": 14, "reason": "unknown State name 'Atlantis' (State under review)"}
    ]
    assert report["finished_at"] is not None
    assert count(db, Recommendation, col(Recommendation.state_code) == "WSM") == 12
    assert db.get(RecommendationImportFile, uuid.UUID(str(queued["id"]))) is None
    (job,) = import_jobs_of(db, queued["id"])
    assert (job.status, job.attempts) == (JobStatus.succeeded, 1)
    assert run_jobs(client.app) == 0  # type: ignore[arg-type]
    assert count(db, Recommendation, col(Recommendation.state_code) == "WSM") == 12


def test_the_end_of_an_import_is_announced_once_to_ohchr(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    queued = queue(client, admin, upr_info_csv(3))
    run_jobs(client.app)  # type: ignore[arg-type]

    events = db.exec(select(OutboxEvent).where(OutboxEvent.resource_id == queued["id"])).all()
    assert [(e.type.value, e.state_code, e.visibility.value) for e in events] == [
        ("recommendation_import.succeeded", None, "ohchr")
    ]
    (record,) = db.exec(select(AuditEvent).where(AuditEvent.resource_id == queued["id"])).all()
    assert record.action == "recommendation_import.succeeded"
    assert record.actor_type == "user" and record.actor_id is not None
    assert record.after is not None and record.after["created"] == 3


def test_while_it_runs_the_report_is_running_and_rows_read_advances_where_it_can(
    client: TestClient,
    db: Session,
    admin: dict[str, str],
    app: FastAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On PostgreSQL a side transaction moves `rows_read` while the import's own is open; on
    SQLite that transaction holds the one write lock, so the figures appear at the end."""
    monkeypatch.setattr(importing, "CHUNK_SIZE", 10)
    monkeypatch.setattr(import_jobs, "PROGRESS_ROWS", 10)
    queued = queue(client, admin, upr_info_csv(50))
    import_id = uuid.UUID(str(queued["id"]))
    seen: list[tuple[str, int]] = []
    real_apply = importing._apply

    def watched_apply(*args, **kwargs):  # type: ignore[no-untyped-def]
        with app.state.database.session() as other:
            report = other.get(RecommendationImport, import_id)
            seen.append((report.status, report.rows_read))
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(importing, "_apply", watched_apply)
    run_jobs(app)

    assert {status for status, _ in seen} == {"running"}
    figures = [rows for _, rows in seen]
    if app.state.database.engine.dialect.name == "sqlite":
        assert set(figures) == {0}
    else:
        assert figures == sorted(figures) and figures[0] > 0 and figures[-1] > figures[0]
    assert report_of(client, admin, import_id)["rows_read"] == 50


def test_a_worker_told_to_stop_gives_the_import_back_and_nothing_lands(
    client: TestClient,
    db: Session,
    admin: dict[str, str],
    app: FastAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importing, "CHUNK_SIZE", 10)
    queued = queue(client, admin, upr_info_csv(40))
    worker = build_worker(app.state.settings, app.state.database, heartbeats=False)
    real_apply = importing._apply

    def stop_after_one_chunk(*args, **kwargs):  # type: ignore[no-untyped-def]
        worker.stop.set()
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(importing, "_apply", stop_after_one_chunk)
    assert worker.run_one("stopping-worker")

    assert count(db, Recommendation) == 0
    (job,) = import_jobs_of(db, queued["id"])
    assert (job.status, job.attempts) == (JobStatus.queued, 0)
    assert report_of(client, admin, queued["id"])["status"] == "queued"
    worker.stop.clear()
    monkeypatch.setattr(importing, "_apply", real_apply)
    assert worker.run_one("next-worker")
    assert report_of(client, admin, queued["id"])["created"] == 40


def test_the_web_process_own_worker_completes_imports_and_matching_runs(
    fresh_database: str,
) -> None:
    """The development default (`WORKER_IN_PROCESS`): the one serve command is the whole
    platform, imports and matching runs included."""
    from app.main import create_app

    settings = make_settings(fresh_database, worker_in_process=True, worker_poll_seconds=0.1)
    database = Database.from_url(fresh_database)
    with database.transaction() as db:
        headers = auth(settings, make_user(db, role=Role.ohchr_admin))
    with TestClient(create_app(settings, database)) as client:
        queued = queue(client, headers, upr_info_csv(7))
        run = client.post("/api/v1/matching-runs", json={}, headers=headers)
        assert run.status_code == 202, run.text
        report = until(lambda: report_of(client, headers, queued["id"]), "status", "succeeded")
        done = until(
            lambda: client.get(run.headers["location"], headers=headers).json(),
            "status",
            "succeeded",
        )
    assert (report["status"], report["created"]) == ("succeeded", 7)
    assert (done["status"], done["proposals"]) == ("succeeded", [])


def until(read: Callable[[], Json], key: str, wanted: object, seconds: float = 30) -> Json:
    deadline = time.monotonic() + seconds
    while (value := read())[key] != wanted and time.monotonic() < deadline:
        time.sleep(0.1)
    return value


# --- failures ---------------------------------------------------------------------------------


def test_a_file_whose_every_row_is_rejected_is_a_failed_report_not_a_retried_job(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    queued = queue(client, admin, upr_info_csv(5, to="Atlantis"))
    run_jobs(client.app)  # type: ignore[arg-type]

    report = report_of(client, admin, queued["id"])
    assert report["status"] == "failed"
    assert report["error"] == "every row was rejected; nothing was imported"
    assert (report["rows_read"], len(report["rejected"])) == (5, 5)  # type: ignore[arg-type]
    (job,) = import_jobs_of(db, queued["id"])
    assert (job.status, job.attempts) == (JobStatus.succeeded, 1)
    events = db.exec(select(OutboxEvent.type).where(OutboxEvent.resource_id == queued["id"])).all()
    assert [e.value for e in events] == ["recommendation_import.failed"]


def test_a_file_found_unreadable_part_way_is_a_failed_report_with_nothing_imported(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    """The header is fine, so the upload is accepted; a field past the CSV reader's limit
    further down is found by the worker, and nothing of the file lands."""
    huge = ["Samoa", "Asia", "", "x" * 200_000, "Fiji", "Asia", "", "Accepted", "4", "", "11"]
    queued = queue(client, admin, upr_info_csv(20, extra=[huge]))
    run_jobs(client.app)  # type: ignore[arg-type]

    report = report_of(client, admin, queued["id"])
    assert report["status"] == "failed"
    assert "cannot be read" in str(report["error"]) and "nothing was imported" in str(
        report["error"]
    )
    assert count(db, Recommendation) == 0
    (job,) = import_jobs_of(db, queued["id"])
    assert job.status is JobStatus.succeeded


def _database_gone(*_args: object, **_kwargs: object) -> None:
    raise OperationalError(
        "INSERT INTO recommendations", {}, Exception("server closed the connection")
    )


def test_an_attempt_the_database_broke_is_retried_later_and_the_report_is_queued_again(
    client: TestClient, db: Session, admin: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_jobs, "run_import", _database_gone)
    queued = queue(client, admin, upr_info_csv(3))
    run_jobs(client.app)  # type: ignore[arg-type]

    (job,) = import_jobs_of(db, queued["id"])
    assert (job.status, job.attempts) == (JobStatus.queued, 1)
    assert "server closed the connection" in str(job.last_error)
    assert report_of(client, admin, queued["id"])["status"] == "queued"
    assert db.get(RecommendationImportFile, uuid.UUID(str(queued["id"]))) is not None


def test_a_dead_import_job_fails_its_report_and_an_administrators_retry_imports_it(
    client: TestClient, db: Session, admin: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "app.worker.IMPORT_JOB", dataclasses.replace(import_jobs.IMPORT_JOB, delays=(0.0,))
    )
    monkeypatch.setattr(import_jobs, "run_import", _database_gone)
    queued = queue(client, admin, upr_info_csv(4))
    run_jobs(client.app)  # type: ignore[arg-type]

    (job,) = import_jobs_of(db, queued["id"])
    assert (job.status, job.attempts) == (JobStatus.dead, import_jobs.MAX_ATTEMPTS)
    failed = report_of(client, admin, queued["id"])
    assert failed["status"] == "failed"
    assert str(failed["error"]).startswith("the import could not be run: OperationalError")
    events = db.exec(select(OutboxEvent.type).where(OutboxEvent.resource_id == queued["id"])).all()
    assert [e.value for e in events] == ["recommendation_import.failed"]

    monkeypatch.undo()
    retried = client.post(f"/api/v1/jobs/{job.id}/retry", headers=admin)
    assert retried.status_code == 200, retried.text
    again = report_of(client, admin, queued["id"])
    assert (again["status"], again["error"], again["finished_at"]) == ("queued", None, None)
    run_jobs(client.app)  # type: ignore[arg-type]

    done = report_of(client, admin, queued["id"])
    assert (done["status"], done["created"]) == ("succeeded", 4)
    assert count(db, Recommendation) == 4


# --- what the request itself decides ----------------------------------------------------------


def test_one_idempotency_key_replays_the_202_and_queues_no_second_job(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    headers = {**admin, "Idempotency-Key": "import-once"}
    content = upr_info_csv(6)
    first = client.post(IMPORTS, files={"file": ("a.csv", content)}, headers=headers)
    second = client.post(IMPORTS, files={"file": ("a.csv", content)}, headers=headers)

    assert first.status_code == second.status_code == 202
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["location"] == first.headers["location"]
    assert second.json() == first.json()
    assert count(db, RecommendationImport) == 1
    assert len(import_jobs_of(db, first.json()["id"])) == 1
    assert count(db, Job, col(Job.kind) == import_jobs.KIND) == 1


@pytest.mark.parametrize(
    ("content", "form", "slug"),
    [
        (b"Name,Colour\nA,red\n", {}, "unreadable-file"),
        (upr_info_csv(2), {"state": "XXX"}, "validation-error"),
        (b"PK\x03\x04 not really a zip", {}, "unreadable-file"),
    ],
)
def test_a_refused_upload_leaves_no_report_no_file_and_no_job(
    client: TestClient,
    db: Session,
    admin: dict[str, str],
    content: bytes,
    form: dict[str, str],
    slug: str,
) -> None:
    response = client.post(IMPORTS, files={"file": ("f.csv", content)}, data=form, headers=admin)
    assert_problem(response, 422, slug)
    assert count(db, RecommendationImport) == 0
    assert count(db, RecommendationImportFile) == 0
    assert count(db, Job) == 0


def test_a_matrix_that_names_no_state_is_refused_at_once(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    """What the worker would find first is checked in the request: the State under review."""
    matrix = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "samples"
    matrix = matrix / "ohchr-matrices" / "China_UPR_matrix_2013_cycle2.docx"
    if not matrix.exists():
        pytest.skip("shared samples not present")
    response = client.post(
        IMPORTS,
        files={"file": ("m.docx", matrix.read_bytes())},
        data={"state": "WSM"},
        headers=admin,
    )
    body = assert_problem(response, 422, "unreadable-file")
    assert "CHN" in body["detail"]
    assert count(db, Job) == 0


@pytest.mark.parametrize("role", [Role.ohchr_officer, Role.state_focal_point, Role.provider])
def test_only_administrators_queue_and_read_imports(
    client: TestClient, db: Session, settings: Settings, admin: dict[str, str], role: Role
) -> None:
    queued = queue(client, admin, upr_info_csv(1))
    caller = auth(settings, make_user(db, role=role, state="WSM" if role.is_state_role else None))
    refused = client.post(IMPORTS, files={"file": ("a.csv", upr_info_csv(1))}, headers=caller)
    assert_problem(refused, 403, "forbidden")
    assert_problem(client.get(f"{IMPORTS}/{queued['id']}", headers=caller), 403, "forbidden")
    assert count(db, Job, col(Job.kind) == import_jobs.KIND) == 1


# --- the command line's progress ---------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_off_a_terminal_is_a_plain_line_every_five_seconds() -> None:
    stream, clock = io.StringIO(), FakeClock()
    progress = ImportProgress(stream, clock)
    for rows in range(250, 30_001, 250):
        clock.now += 0.25  # 1,000 rows a second
        progress(rows)
    progress.finish(30_000)

    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert lines[:2] == [
        "import importing: 5,000 rows  1,000 rows/s  0:05",
        "import importing: 10,000 rows  1,000 rows/s  0:10",
    ]
    assert len(lines) == 7
    assert lines[-1] == "import done: 30,000 rows  1,000 rows/s  0:30"


def test_progress_on_a_terminal_is_one_bar_redrawn_in_place() -> None:
    stream, clock = Terminal(), FakeClock()
    progress = ImportProgress(stream, clock)
    for rows in range(25, 1001, 25):
        clock.now += 0.0625  # 400 rows a second
        progress(rows)
    progress.finish(1000)

    drawn = stream.getvalue()
    frames = drawn.split("\r")[1:]
    assert len(frames) > 10 and drawn.count("\n") == 1 and drawn.endswith("\n")
    assert {len(frame.rstrip("\n")) for frame in frames} == {len(frames[0])}
    assert len({frame[: ImportProgress.BAR + 2] for frame in frames[:-1]}) > 5  # it sweeps
    assert frames[-1].startswith("[" + "=" * ImportProgress.BAR + "] 1,000 rows  400 rows/s  0:02")


def _cli(database_url: str, path: Path, **streams: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "app", "import-recommendations", str(path)],
        cwd=REPO,
        env=server_environment(database_url),
        **streams,  # type: ignore[call-overload]
    )


def test_the_command_line_imports_in_the_foreground_with_plain_progress_lines(
    fresh_database: str, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(upr_info_csv(25))
    process = _cli(fresh_database, path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=120)

    assert process.returncode == 0, err.decode()
    assert "created 25, updated 0, unchanged 0" in out.decode()
    progress = err.decode()
    assert "\r" not in progress
    assert progress.splitlines()[-1].startswith("import done: 25 rows  ")
    assert progress.splitlines()[-1].count("rows/s") == 1


def test_the_command_line_draws_a_progress_bar_on_a_terminal(
    fresh_database: str, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(upr_info_csv(25))
    leader, follower = pty.openpty()
    process = _cli(fresh_database, path, stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    out = process.communicate(timeout=120)[0]

    assert process.returncode == 0, drawn.decode(errors="replace")
    assert "created 25," in out.decode()
    screen = drawn.decode()
    assert "\r[" + "=" * ImportProgress.BAR + "] 25 rows  " in screen
    assert "rows/s" in screen
