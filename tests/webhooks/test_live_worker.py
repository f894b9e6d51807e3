"""The worker as it runs: its own threads, real commits, the API changing things meanwhile. A
receiver that is down when the first attempt comes gets the event on the retry."""

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from app.core.db import Database
from app.core.principal import Role
from app.core.settings import Settings
from app.jobs.worker import Worker
from app.main import create_app
from app.worker import build_worker
from tests.conftest import make_settings
from tests.factories import auth, make_user
from tests.progress.support import make_bare_recommendation, report_body
from tests.webhooks.conftest import TIMEOUT_S
from tests.webhooks.receiver import Receiver
from tests.webhooks.support import SUBSCRIPTIONS, subscribe

REPORTS = "/api/v1/progress-reports"


@dataclass
class Live:
    client: TestClient
    worker: Worker
    focal: dict[str, str]
    recommendation_id: str


@pytest.fixture
def live(fresh_database: str) -> Iterator[Live]:
    settings: Settings = make_settings(
        fresh_database,
        webhook_allow_private_addresses=True,
        webhook_timeout_seconds=TIMEOUT_S,
        worker_poll_seconds=0.05,
    )
    database = Database.from_url(fresh_database)
    with database.transaction() as db:
        focal = auth(settings, make_user(db, role=Role.state_focal_point, state="WSM"))
        recommendation_id = str(make_bare_recommendation(db, state="WSM").id)
    worker = build_worker(settings, database)
    app = create_app(settings, database)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Live(client, worker, focal, recommendation_id)
    worker.stop.set()
    database.dispose()


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def serve(worker: Worker) -> Callable[[], None]:
    thread = threading.Thread(target=worker.serve, daemon=True)
    thread.start()

    def stop() -> None:
        worker.stop.set()
        thread.join(timeout=10)

    return stop


def test_the_worker_delivers_what_the_api_committed(live: Live, receiver: Receiver) -> None:
    secret = subscribe(live.client, live.focal, receiver.url)["secret"]
    stop = serve(live.worker)
    try:
        created = live.client.post(
            REPORTS, json=report_body(live.recommendation_id), headers=live.focal
        )
        live.client.post(f"{REPORTS}/{created.json()['id']}/submit", headers=live.focal)
        delivered = wait_for(lambda: len(receiver.received) >= 2, 10)
    finally:
        stop()

    assert delivered, receiver.received
    types = [request.verified(secret)["type"] for request in receiver.received]
    # Deliveries run in parallel, so they may arrive in either order (the feed keeps order).
    assert sorted(types) == ["progress_report.created", "progress_report.submitted"]


def test_a_receiver_down_at_the_first_attempt_gets_the_event_on_the_retry(
    live: Live, receiver: Receiver
) -> None:
    created = subscribe(live.client, live.focal, receiver.url, ["progress_report.created"])
    receiver.stop()
    stop = serve(live.worker)
    try:
        live.client.post(REPORTS, json=report_body(live.recommendation_id), headers=live.focal)
        item = f"{SUBSCRIPTIONS}/{created['id']}/deliveries"

        def attempted() -> bool:
            items = live.client.get(item, headers=live.focal).json()["items"]
            return bool(items) and items[0]["attempts"] == 1

        first_failed = wait_for(attempted, 10)
        receiver.start()
        delivered = wait_for(lambda: len(receiver.received) == 1, 10)  # the retry: 5 s ± 20%
    finally:
        stop()

    assert first_failed and delivered
    (delivery,) = live.client.get(item, headers=live.focal).json()["items"]
    assert (delivery["status"], delivery["attempts"]) == ("succeeded", 2)
    assert delivery["attempt_log"][0]["response_status"] is None
    assert receiver.ids() == [delivery["event_id"]]
