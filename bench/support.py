"""What more than one benchmark needs beside the server it measures: `python -m app worker`
processes, as production runs them (`bench/load.py`, `bench/webhooks.py`), and a free port to
serve on, the wait until something listens there and the stop of a server's process group
(`bench/worker_memory.py`, `bench/public_cache.py`, `bench/fixed_cost.py`, `bench/load.py`,
`bench/reporting.py`)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0  # a worker asked to stop first finishes the job in hand
STARTED = "thread(s), jobs:"  # the line `python -m app worker` prints once it works


@contextlib.contextmanager
def workers(
    count: int, env: dict[str, str], logs: Path, label: str = "worker"
) -> Iterator[list[int]]:
    """`count` worker processes with exactly `env` (build it with load.py's
    `_server_environment`), each in its own process group and writing to `logs/LABEL-N.log`;
    their pids once every one has started. Stopped when the block ends, whatever happens:
    SIGTERM (each finishes or releases the job in hand), then SIGKILL if one lingers."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for n in range(1, count + 1):
            with (logs / f"{label}-{n}.log").open("wb") as output:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "app", "worker"],
                        cwd=ROOT,
                        env=env,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        for n, process in enumerate(processes, start=1):
            _wait_started(process, logs / f"{label}-{n}.log")
        yield [process.pid for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _wait_started(process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if STARTED in text:
            return
        if process.poll() is not None:
            raise RuntimeError(f"a worker exited as it started; its log ends:\n{text[-3000:]}")
        time.sleep(0.1)
    raise RuntimeError(f"a worker had not started after {READY_TIMEOUT_SECONDS:.0f} s ({log})")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop a server started in its own process group (`start_new_session=True`): asked first,
    killed after 15 s, and its group killed in any case, so that no uvicorn worker lingers."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    with contextlib.suppress(ProcessLookupError):  # a worker left behind
        os.killpg(process.pid, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listened on {port} within {timeout} s")
