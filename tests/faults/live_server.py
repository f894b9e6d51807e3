"""The service as it runs in production: a uvicorn process of its own, on a database of its own.

Fault tests need what an in-process app cannot give: a server that keeps running while its
database goes away, and requests that really wait on sockets and locks.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import TEST_SECRET

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30


@dataclass
class LiveServer:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def client(self, **options: object) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, **options)  # type: ignore[arg-type]

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_environment(database_url: str) -> dict[str, str]:
    """Production settings; no rate limit, since these tests are the burst."""
    return os.environ | {
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "production",
        "JWT_SECRET": TEST_SECRET,
        "RATE_LIMIT_PER_MINUTE": "0",
        "LOG_LEVEL": "WARNING",
    }


@contextmanager
def live_server(database_url: str, workdir: Path) -> Iterator[LiveServer]:
    """`uvicorn app.main:app` with the flags of the README, stopped (and waited for) on exit."""
    port = _free_port()
    log = workdir / f"uvicorn-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-server-header",
                "--log-level",
                "warning",
            ],
            cwd=REPO,
            env=server_environment(database_url),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_until_up(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(server: LiveServer) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    with server.client(timeout=2) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"the server exited at startup:\n{server.log_tail()}")
            try:
                if client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"the server did not start in {STARTUP_SECONDS} s:\n{server.log_tail()}")
