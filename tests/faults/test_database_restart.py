"""PostgreSQL stopped and started again under a running server: while it is down every request
is a prompt 503 with Retry-After (no hang, no 500); once it is back the same server process
serves again.

This stops the whole local PostgreSQL server, so it runs only where the suite may do that: the
database of TEST_DATABASE_URL is on this machine, the server is a Debian cluster that
`pg_ctlcluster` controls, and we are root (as in CI). Each outage lasts a few seconds and the
cluster is started again whatever happens. `-m 'not restarts_database'` leaves it out.
"""

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url

from app.core.db import Database
from tests.databases import POSTGRES_URL
from tests.faults.conftest import SHORTFALLS, StateMember, assert_retry_shortly, seed_state_members
from tests.faults.live_server import LiveServer, live_server
from tests.faults.test_worker_killed import (
    announce,
    subscribe_and_announce,
    wait_for,
    worker_process,
)
from tests.webhooks.receiver import Receiver

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Refused connections are immediate; this leaves room for a loaded machine, and stays well
# under the client timeout below, which is what a hang would run into.
PROMPT_SECONDS = 4.0
CLIENT_TIMEOUT_SECONDS = 20.0
RECOVERY_SECONDS = 15.0


def controllable_cluster() -> tuple[str, str] | None:
    """(version, name) of the local cluster serving TEST_DATABASE_URL, if we may restart it."""
    if POSTGRES_URL is None or shutil.which("pg_ctlcluster") is None or os.geteuid() != 0:
        return None
    url = make_url(POSTGRES_URL)
    if url.host not in LOCAL_HOSTS:
        return None
    listing = subprocess.run(
        ["pg_lsclusters", "--no-header"],  # noqa: S607 - the tool that pg_ctlcluster comes with
        capture_output=True,
        text=True,
        check=False,
    )
    for line in listing.stdout.splitlines():
        version, name, port, status, *_ = line.split()
        if int(port) == (url.port or 5432) and status == "online":
            return version, name
    return None


CLUSTER = controllable_cluster()
pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.restarts_database,
    pytest.mark.skipif(
        CLUSTER is None,
        reason="needs a local PostgreSQL cluster that pg_ctlcluster controls, as root",
    ),
]


def pg_ctlcluster(action: str) -> None:
    assert CLUSTER is not None
    subprocess.run(  # noqa: S603 - fixed arguments
        ["pg_ctlcluster", "--skip-systemctl-redirect", *CLUSTER, action],  # noqa: S607
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def member(fresh_database: str) -> StateMember:
    return seed_state_members(fresh_database)[0]


@pytest.fixture
def server(fresh_database: str, tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(fresh_database, tmp_path) as server:
        yield server


Send = Callable[[httpx.Client], httpx.Response]


def requests_of(member: StateMember) -> dict[str, Send]:
    """A readiness probe, a public read, an authenticated read and a write."""
    return {
        "readiness": lambda client: client.get("/readyz"),
        "public read": lambda client: client.get("/api/v1/states/WSM"),
        "own list": lambda client: client.get(SHORTFALLS, headers=member.headers),
        "write": lambda client: client.post(
            SHORTFALLS, json=member.shortfall(), headers=member.headers
        ),
    }


def answered_while_down(
    client: httpx.Client, sends: dict[str, Send]
) -> dict[str, tuple[httpx.Response, float]]:
    """Each request's answer and how long it took, with PostgreSQL stopped; started again after."""
    answers: dict[str, tuple[httpx.Response, float]] = {}
    try:
        pg_ctlcluster("stop")
        for name, send in sends.items():
            started = time.monotonic()
            answers[name] = (send(client), time.monotonic() - started)
    finally:
        pg_ctlcluster("start")
    return answers


def answer_after_recovery(client: httpx.Client, send: Send) -> httpx.Response:
    """The first answer that is not a 503; the server may need a moment to see the database."""
    deadline = time.monotonic() + RECOVERY_SECONDS
    while True:
        response = send(client)
        if response.status_code != 503 or time.monotonic() > deadline:
            return response
        assert_retry_shortly(response)
        time.sleep(0.5)


def test_postgres_down_is_a_prompt_503_and_the_same_server_serves_once_it_is_back(
    server: LiveServer, member: StateMember
) -> None:
    sends = requests_of(member)
    pid = server.process.pid
    with server.client(timeout=CLIENT_TIMEOUT_SECONDS) as client:
        # Warm: the pool holds connections that the restart will kill under it.
        assert [send(client).status_code for send in sends.values()] == [200, 200, 200, 201]

        down = answered_while_down(client, sends)

        for name, (response, seconds) in down.items():
            assert_retry_shortly(response)
            assert seconds < PROMPT_SECONDS, (
                f"{name} took {seconds:.1f} s while the database was down"
            )
        recovered = {name: answer_after_recovery(client, send) for name, send in sends.items()}
        assert {name: r.status_code for name, r in recovered.items()} == {
            "readiness": 200,
            "public read": 200,
            "own list": 200,
            "write": 201,
        }, server.log_tail()
        listed = client.get(SHORTFALLS, headers=member.headers).json()["items"]
    assert server.process.poll() is None and server.process.pid == pid
    # The write before the outage and the one after it; the one refused during it left nothing.
    assert len(listed) == 2


def test_a_worker_carries_on_after_postgres_restarts(fresh_database: str, tmp_path: Path) -> None:
    """Down for a few seconds under a running worker: the worker process survives, reconnects,
    and delivers an event written after the restart (and the one from before)."""
    receiver = Receiver().start()
    database = Database.from_url(fresh_database)
    log = tmp_path / "worker.log"
    try:
        secret, before = subscribe_and_announce(database, receiver.url)
        with worker_process(fresh_database, log) as worker:
            assert wait_for(lambda: receiver.ids() == [str(before)], 20), log.read_text()
            try:
                pg_ctlcluster("stop")
                time.sleep(3)  # the worker's polls fail meanwhile
            finally:
                pg_ctlcluster("start")
            database.dispose()  # this test's own pool held connections the restart killed
            after = announce(database)
            assert wait_for(lambda: str(after) in receiver.ids(), RECOVERY_SECONDS + 20), (
                log.read_text()
            )
            assert worker.poll() is None
        for request in receiver.received:
            request.verified(secret)
    finally:
        receiver.stop()
        database.dispose()
