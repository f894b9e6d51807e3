"""Worker processes as production runs them (`python -m app worker`), killed and stopped.

A worker killed with SIGKILL in the middle of a webhook delivery loses the job to another
worker once its lease runs out: the event is delivered again, at least once and always under
the same `webhook-id`. SIGTERM lets a worker finish and exit cleanly.
"""

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
from sqlmodel import select

from app.core.db import Database
from app.events.outbox import emit
from app.events.types import EventType, Visibility
from app.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from app.webhooks.signing import new_secret
from tests.faults.live_server import REPO, server_environment
from tests.webhooks.receiver import Receiver

LEASE_SECONDS = 3


def worker_environment(database_url: str) -> dict[str, str]:
    # Development: the receiver is plain http on loopback, which production refuses.
    return server_environment(database_url) | {
        "ENVIRONMENT": "development",
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
        "WEBHOOK_TIMEOUT_SECONDS": "30",
        "WORKER_LEASE_SECONDS": str(LEASE_SECONDS),
        "WORKER_POLL_SECONDS": "0.1",
        "WORKER_CONCURRENCY": "1",
    }


@contextmanager
def worker_process(database_url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "worker"],
            cwd=REPO,
            env=worker_environment(database_url),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def subscribe_and_announce(database: Database, url: str) -> tuple[str, uuid.UUID]:
    """A portal's subscription, then one public event; its secret and the event's id."""
    secret = new_secret()
    with database.transaction() as db:
        db.add(
            WebhookSubscription(
                audience=Visibility.public,
                url=url,
                event_types=[EventType.progress_report_published.value],
                secret=secret,
            )
        )
    return secret, announce(database)


def announce(database: Database) -> uuid.UUID:
    """One public event, committed; its id."""
    with database.transaction() as db:
        event = emit(
            db,
            EventType.progress_report_published,
            resource_id=uuid.uuid4(),
            state_code="WSM",
            version=3,
            visibility=Visibility.public,
            payload={},
        )
    return event.id


def delivery_status(database: Database) -> DeliveryStatus | None:
    with database.session() as db:
        delivery = db.exec(select(WebhookDelivery)).first()
        return delivery.status if delivery else None


def test_a_worker_killed_mid_delivery_loses_it_to_another_same_webhook_id(
    fresh_database: str, tmp_path: Path, receiver: Receiver
) -> None:
    database = Database.from_url(fresh_database)
    try:
        receiver.hang_seconds = 60  # the first worker's request never comes back
        secret, event_id = subscribe_and_announce(database, receiver.url)
        log = tmp_path / "workers.log"
        with worker_process(fresh_database, log) as first:
            assert wait_for(lambda: len(receiver.received) == 1, 20), log.read_text()
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        receiver.hang_seconds = 0
        receiver.hanging.set()
        with worker_process(fresh_database, log):
            delivered = wait_for(
                lambda: delivery_status(database) is DeliveryStatus.succeeded,
                LEASE_SECONDS + 20,
            )
            assert delivered, log.read_text()
        assert len(receiver.received) >= 2
        assert set(receiver.ids()) == {str(event_id)}
        for request in receiver.received:
            assert request.verified(secret)["type"] == "progress_report.published"
    finally:
        database.dispose()


def test_sigterm_stops_a_worker_cleanly(fresh_database: str, tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    with worker_process(fresh_database, log) as worker:
        assert wait_for(lambda: "thread(s)" in log.read_text(), 20), log.read_text()
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=10) == 0, log.read_text()


def test_sigterm_lets_the_delivery_in_hand_finish_first(
    fresh_database: str, tmp_path: Path, receiver: Receiver
) -> None:
    database = Database.from_url(fresh_database)
    try:
        receiver.hang_seconds = 3  # the answer comes after the signal
        subscribe_and_announce(database, receiver.url)
        log = tmp_path / "worker.log"
        with worker_process(fresh_database, log) as worker:
            assert wait_for(lambda: len(receiver.received) == 1, 20), log.read_text()
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=20) == 0, log.read_text()
        assert delivery_status(database) is DeliveryStatus.succeeded
        assert len(receiver.received) == 1
    finally:
        database.dispose()
