"""An import killed part-way (SIGKILL: no handler, no cleanup) leaves the catalogue as it was,
and running it again imports the whole file.

The command line imports in one transaction, so the only outcomes are nothing and everything.
The kill lands while the importer is still reading the file, which it streams as it writes.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.audit.models import AuditEvent
from app.core.db import Database
from app.recommendations.models import (
    Recommendation,
    RecommendationImport,
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
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                fields = Path(f"/proc/{pid}/fdinfo/{fd}").read_text().split()
                return int(fields[fields.index("pos:") + 1])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass  # the descriptor closed, or the process ended, while we looked
    return None


def kill_midway(process: subprocess.Popen[bytes]) -> int:
    """SIGKILL once the importer has read well into the file; returns how far it had read."""
    size = UPR_INFO_CSV.stat().st_size
    deadline = time.monotonic() + IMPORT_SECONDS
    while process.poll() is None and time.monotonic() < deadline:
        offset = read_offset(process.pid, UPR_INFO_CSV)
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
