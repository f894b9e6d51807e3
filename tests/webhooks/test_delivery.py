"""Deliveries to a real receiver on 127.0.0.1: who is told what, the thin signed body (checked
with the `standardwebhooks` library), one `webhook-id` per event across retries, the retry
schedule, giving up, disabling, timeouts, addresses refused at delivery time, a receiver down
for a while, manual retries and test pings."""

import datetime as dt
import socket
import uuid
from collections import Counter
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core.models import utcnow
from app.core.principal import Role
from app.core.settings import Settings
from app.events.models import OutboxEvent
from app.events.outbox import emit
from app.events.types import EventType, Visibility
from app.jobs.models import Job, JobStatus
from app.webhooks.delivery import DELAYS, DELIVER, MAX_ATTEMPTS
from app.webhooks.models import DeliveryStatus, SubscriptionStatus
from tests.conftest import make_settings
from tests.core.test_problems import assert_problem
from tests.jobs.support import run_jobs
from tests.progress.support import make_bare_recommendation, report_body
from tests.webhooks.conftest import TIMEOUT_S, make_jobs_due
from tests.webhooks.receiver import Receiver
from tests.webhooks.support import (
    REPORT_EVENTS,
    SUBSCRIPTIONS,
    caller,
    deliveries,
    job_of,
    subscribe,
    subscription,
)

REPORTS = "/api/v1/progress-reports"
JITTER = 0.2


def events(db: Session) -> list[OutboxEvent]:
    db.expire_all()
    return list(db.exec(select(OutboxEvent).order_by(col(OutboxEvent.seq))).all())


def event_ids(db: Session, event_type: str) -> list[str]:
    return [str(e.id) for e in events(db) if e.type.value == event_type]


def no_state_event(db: Session) -> OutboxEvent:
    """An event that names no State (a matching run's): OHCHR's alone."""
    event = emit(
        db,
        EventType.matching_run_succeeded,
        resource_id=uuid.uuid4(),
        state_code=None,
        version=None,
        visibility=Visibility.ohchr,
        payload={},
    )
    db.flush()
    return event


def public_event(db: Session) -> OutboxEvent:
    event = emit(
        db,
        EventType.shortfall_published,
        resource_id=uuid.uuid4(),
        state_code="WSM",
        version=3,
        visibility=Visibility.public,
        payload={"description": "content never sent"},
    )
    db.flush()
    return event


class Report:
    """A WSM focal point's progress report, moved through the API."""

    def __init__(self, client: TestClient, headers: dict[str, str], db: Session) -> None:
        self.client, self.headers = client, headers
        recommendation = make_bare_recommendation(db, state="WSM")
        response = client.post(REPORTS, json=report_body(recommendation.id), headers=headers)
        assert response.status_code == 201, response.text
        self.id = response.json()["id"]

    def move(self, verb: str) -> None:
        response = self.client.post(f"{REPORTS}/{self.id}/{verb}", headers=self.headers)
        assert response.status_code == 200, response.text


@pytest.fixture
def focal(db: Session, settings: Settings) -> dict[str, str]:
    return caller(db, settings, Role.state_focal_point, "WSM")


@pytest.fixture
def admin(db: Session, settings: Settings) -> dict[str, str]:
    return caller(db, settings, Role.ohchr_admin)


def by_path(receiver: Receiver) -> dict[str, list[str]]:
    """The event types each path received, in order."""
    seen: dict[str, list[str]] = {}
    for request in receiver.received:
        seen.setdefault(request.path, []).append(request.json()["type"])
    return seen


def test_each_subscriber_receives_only_the_events_it_may_see(
    client: TestClient,
    app: FastAPI,
    db: Session,
    settings: Settings,
    receiver: Receiver,
    focal: dict[str, str],
    admin: dict[str, str],
) -> None:
    wanted = [*REPORT_EVENTS, EventType.matching_run_succeeded.value]
    other = caller(db, settings, Role.state_focal_point, "NPL")
    secrets = {
        "/public": subscribe(client, admin, receiver.url + "/public", wanted)["secret"],
        "/ohchr": subscribe(client, admin, receiver.url + "/ohchr", wanted, audience="ohchr")[
            "secret"
        ],
        "/wsm": subscribe(client, focal, receiver.url + "/wsm", wanted)["secret"],
        "/npl": subscribe(client, other, receiver.url + "/npl", wanted)["secret"],
    }
    report = Report(client, focal, db)
    run_jobs(app)
    after_draft = by_path(receiver)
    report.move("submit")
    run_jobs(app)
    after_submit = by_path(receiver)
    report.move("publish")
    no_state_event(db)
    run_jobs(app)

    assert after_draft == {"/hooks/wsm": ["progress_report.created"]}
    assert after_submit == {
        "/hooks/wsm": ["progress_report.created", "progress_report.submitted"],
        "/hooks/ohchr": ["progress_report.submitted"],
    }
    created, submitted, published = REPORT_EVENTS
    assert by_path(receiver) == {
        "/hooks/wsm": [created, submitted, published],
        "/hooks/ohchr": [submitted, published, "matching_run.succeeded"],
        "/hooks/public": [published],
        "/hooks/npl": [published],
    }
    for request in receiver.received:
        assert request.verified(secrets[request.path.removeprefix("/hooks")])


def test_a_subscriber_receives_only_the_types_it_asked_for(
    client: TestClient,
    app: FastAPI,
    db: Session,
    receiver: Receiver,
    focal: dict[str, str],
) -> None:
    subscribe(client, focal, receiver.url, ["progress_report.submitted"])
    report = Report(client, focal, db)
    report.move("submit")
    report.move("publish")

    run_jobs(app)

    assert [r.json()["type"] for r in receiver.received] == ["progress_report.submitted"]


def test_the_body_is_thin_and_signed_with_the_event_id(
    client: TestClient,
    app: FastAPI,
    db: Session,
    receiver: Receiver,
    admin: dict[str, str],
) -> None:
    secret = subscribe(client, admin, receiver.url, ["shortfall.published"])["secret"]
    event = public_event(db)

    run_jobs(app)

    (request,) = receiver.received
    body = request.verified(secret)
    assert body == {
        "type": "shortfall.published",
        "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": {
            "id": event.resource_id,
            "resource_type": "shortfall",
            "state_code": "WSM",
            "version": 3,
            "url": f"https://item10.example.org/api/v1/shortfalls/{event.resource_id}",
            "visibility": "public",
        },
    }
    assert list(body) == ["type", "timestamp", "data"]
    assert request.webhook_id == str(event.id)
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("Item10-Webhooks/")
    assert abs(int(request.headers["webhook-timestamp"]) - utcnow().timestamp()) < 60
    assert request.headers["webhook-signature"].startswith("v1,")
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"


def test_a_tampered_body_fails_verification(
    client: TestClient, app: FastAPI, db: Session, receiver: Receiver, admin: dict[str, str]
) -> None:
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    secret = subscribe(client, admin, receiver.url, ["shortfall.published"])["secret"]
    public_event(db)
    run_jobs(app)
    (request,) = receiver.received

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(request.body.replace(b"WSM", b"NPL"), request.headers)


def assert_about(moment: dt.datetime | None, seconds: float, since: dt.datetime) -> None:
    assert moment is not None
    delay = (moment - since).total_seconds()
    assert seconds * (1 - JITTER) - 1 <= delay <= seconds * (1 + JITTER) + 1, (delay, seconds)


def test_a_failing_receiver_is_retried_on_schedule_then_given_up_with_the_log_kept(
    client: TestClient,
    app: FastAPI,
    db: Session,
    receiver: Receiver,
    admin: dict[str, str],
) -> None:
    receiver.status = 500
    receiver.answer = b"database exploded"
    created = subscribe(client, admin, receiver.url, ["shortfall.published"])
    event = public_event(db)

    for attempt in range(1, MAX_ATTEMPTS + 1):
        started = utcnow()
        make_jobs_due(db)
        run_jobs(app)
        (delivery,) = deliveries(db)
        assert delivery.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert delivery.status is DeliveryStatus.pending
            assert_about(delivery.next_attempt_at, DELAYS[attempt - 1], started)
            assert job_of(db, delivery).run_at == delivery.next_attempt_at

    assert delivery.status is DeliveryStatus.failed
    assert delivery.next_attempt_at is None
    assert job_of(db, delivery).status is JobStatus.dead
    assert [entry["response_status"] for entry in delivery.attempt_log] == [500] * MAX_ATTEMPTS
    assert all("database exploded" in entry["error"] for entry in delivery.attempt_log)
    assert receiver.ids() == [str(event.id)] * MAX_ATTEMPTS
    for request in receiver.received:
        request.verified(created["secret"])
    listed = client.get(f"{SUBSCRIPTIONS}/{created['id']}/deliveries", headers=admin).json()
    (item,) = listed["items"]
    assert (item["status"], item["attempts"], item["last_response_status"]) == (
        "failed",
        MAX_ATTEMPTS,
        500,
    )
    assert item["next_attempt_at"] is None
    assert item["event_id"] == str(event.id)
    assert len(item["attempt_log"]) == MAX_ATTEMPTS
    assert subscription(db, created["id"]).failing_since is not None


def test_the_schedule_spans_about_a_day() -> None:
    assert MAX_ATTEMPTS == 7
    assert 15 * 3600 < sum(DELAYS) < 30 * 3600


def test_410_gone_disables_the_subscription_without_retrying(
    client: TestClient, app: FastAPI, db: Session, receiver: Receiver, admin: dict[str, str]
) -> None:
    receiver.status = 410
    created = subscribe(client, admin, receiver.url, ["shortfall.published"])
    public_event(db)

    run_jobs(app)
    public_event(db)
    make_jobs_due(db)
    run_jobs(app)

    (delivery,) = deliveries(db)
    assert (delivery.status, delivery.attempts, delivery.last_response_status) == (
        DeliveryStatus.failed,
        1,
        410,
    )
    assert job_of(db, delivery).status is JobStatus.succeeded
    read = client.get(f"{SUBSCRIPTIONS}/{created['id']}", headers=admin).json()
    assert read["status"] == "disabled"
    assert read["disabled_reason"] == "the receiver answered 410 Gone"
    assert read["version"] == 2
    assert len(receiver.received) == 1


def test_a_subscription_failing_for_days_is_disabled_and_says_since_when(
    client: TestClient, app: FastAPI, db: Session, receiver: Receiver, admin: dict[str, str]
) -> None:
    receiver.status = 503
    created = subscribe(client, admin, receiver.url, ["shortfall.published"])
    stored = subscription(db, created["id"])
    stored.failing_since = utcnow() - dt.timedelta(days=4)
    db.add(stored)
    db.flush()
    public_event(db)

    run_jobs(app)

    stored = subscription(db, created["id"])
    assert stored.status is SubscriptionStatus.disabled
    assert stored.disabled_reason is not None
    assert stored.disabled_reason.startswith("every delivery has failed since ")
    assert "WEBHOOK_DISABLE_AFTER_DAYS" in stored.disabled_reason
    (delivery,) = deliveries(db)
    assert delivery.status is DeliveryStatus.failed
    assert delivery.last_error is not None and "subscription disabled" in delivery.last_error
    assert job_of(db, delivery).status is JobStatus.succeeded


def test_failing_since_is_set_by_a_failure_and_cleared_by_a_success(
    client: TestClient, app: FastAPI, db: Session, receiver: Receiver, admin: dict[str, str]
) -> None:
    receiver.status = 500
    created = subscribe(client, admin, receiver.url, ["shortfall.published"])
    public_event(db)
    run_jobs(app)
    failing = subscription(db, created["id"]).failing_since

    receiver.status = 204
    make_jobs_due(db)
    run_jobs(app)

    assert failing is not None
    stored = subscription(db, created["id"])
    assert stored.failing_since is None
    assert stored.version == 1  # the worker's bookkeeping is not a change of the subscription
    (delivery,) = deliveries(db)
    assert delivery.status is DeliveryStatus.succeeded
    assert delivery.delivered_at is not None
    assert [entry["response_status"] for entry in delivery.attempt_log] == [500, 204]


def test_a_hanging_receiver_is_cut_by_the_timeout(
    client: TestClient, app: FastAPI, db: Session, receiver: Receiver, admin: dict[str, str]
) -> None:
    receiver.hang_seconds = 30
    subscribe(client, admin, receiver.url, ["shortfall.published"])
    public_event(db)

    run_jobs(app)
    receiver.hanging.set()

    (delivery,) = deliveries(db)
    assert delivery.status is DeliveryStatus.pending
    assert delivery.last_response_status is None
    assert delivery.last_error is not None and "timed out" in delivery.last_error
    assert delivery.last_duration_ms is not None
    assert TIMEOUT_S * 1000 * 0.9 <= delivery.last_duration_ms < TIMEOUT_S * 1000 * 3


def test_a_host_that_resolves_to_a_private_address_at_delivery_time_is_not_called(
    client: TestClient,
    app: FastAPI,
    db: Session,
    receiver: Receiver,
    admin: dict[str, str],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The address checked at registration is not trusted later: DNS may answer otherwise."""
    app.state.settings = make_settings(database_url)  # private addresses refused
    answers = {"hooks.example.net": "93.184.215.14"}
    connected: list[Any] = []
    real_connect = socket.socket.connect

    def resolve(host: str, port: int, *args: object, **kwargs: object) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    def connect(sock: socket.socket, address: Any) -> None:
        connected.append(address)
        real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(socket.socket, "connect", connect)
    subscribe(
        client, admin, f"http://hooks.example.net:{receiver.port}/in", ["shortfall.published"]
    )
    answers["hooks.example.net"] = "127.0.0.1"  # rebound to the receiver on loopback
    public_event(db)

    run_jobs(app)

    (delivery,) = deliveries(db)
    assert delivery.status is DeliveryStatus.pending
    assert delivery.last_error == "refused: hooks.example.net resolves to a loopback address"
    assert receiver.received == []
    assert [a for a in connected if isinstance(a, tuple) and a[1] == receiver.port] == []


def test_a_receiver_down_for_a_while_gets_every_event_once_when_it_is_back(
    client: TestClient, app: FastAPI, db: Session, receiver: Receiver, focal: dict[str, str]
) -> None:
    receiver.stop()
    secret = subscribe(client, focal, receiver.url)["secret"]
    for _ in range(3):
        Report(client, focal, db).move("submit")
    run_jobs(app)
    down = deliveries(db)

    receiver.start()
    make_jobs_due(db)
    run_jobs(app)

    assert len(down) == 6
    assert all(d.attempts == 1 and d.status is DeliveryStatus.pending for d in down)
    assert all("could not connect" in (d.last_error or "") for d in down)
    sent = event_ids(db, "progress_report.created") + event_ids(db, "progress_report.submitted")
    assert Counter(receiver.ids()) == Counter(sent)
    assert all(d.status is DeliveryStatus.succeeded for d in deliveries(db))
    for request in receiver.received:
        request.verified(secret)


def test_a_failed_delivery_is_retried_by_hand_with_the_same_webhook_id(
    client: TestClient, app: FastAPI, db: Session, receiver: Receiver, focal: dict[str, str]
) -> None:
    receiver.status = 500
    created = subscribe(client, focal, receiver.url, ["progress_report.created"])
    Report(client, focal, db)
    for _ in range(MAX_ATTEMPTS):
        make_jobs_due(db)
        run_jobs(app)
    (delivery,) = deliveries(db)
    assert delivery.status is DeliveryStatus.failed
    retry = f"{SUBSCRIPTIONS}/{created['id']}/deliveries/{delivery.id}/retry"

    receiver.status = 200
    answer = client.post(retry, headers=focal)
    again = client.post(retry, headers=focal)
    run_jobs(app)

    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "pending"
    assert answer.headers["location"].endswith(f"/deliveries/{delivery.id}")
    assert_problem(again, 409, "conflict")
    (delivery,) = deliveries(db)
    assert delivery.status is DeliveryStatus.succeeded
    assert delivery.attempts == MAX_ATTEMPTS + 1
    assert set(receiver.ids()) == {str(delivery.event_id)}
    read = client.get(answer.headers["location"], headers=focal).json()
    assert read["status"] == "succeeded"


def test_a_dead_delivery_job_retried_by_an_administrator_is_pending_again(
    client: TestClient, app: FastAPI, db: Session, receiver: Receiver, admin: dict[str, str]
) -> None:
    receiver.status = 500
    subscribe(client, admin, receiver.url, ["shortfall.published"])
    public_event(db)
    for _ in range(MAX_ATTEMPTS):
        make_jobs_due(db)
        run_jobs(app)
    (delivery,) = deliveries(db)

    response = client.post(f"/api/v1/jobs/{delivery.job_id}/retry", headers=admin)

    assert response.status_code == 200, response.text
    (delivery,) = deliveries(db)
    assert delivery.status is DeliveryStatus.pending
    assert delivery.next_attempt_at is not None


def test_a_disabled_subscription_refuses_manual_retries_and_pings(
    client: TestClient, app: FastAPI, db: Session, receiver: Receiver, admin: dict[str, str]
) -> None:
    receiver.status = 410
    created = subscribe(client, admin, receiver.url, ["shortfall.published"])
    public_event(db)
    run_jobs(app)
    (delivery,) = deliveries(db)
    item = f"{SUBSCRIPTIONS}/{created['id']}"

    retry = client.post(f"{item}/deliveries/{delivery.id}/retry", headers=admin)
    ping = client.post(f"{item}/test", headers=admin)

    assert_problem(retry, 409, "conflict")
    assert_problem(ping, 409, "conflict")
    assert "disabled" in retry.json()["detail"]


def test_a_delivery_queued_before_the_subscription_was_disabled_fails_without_a_call(
    client: TestClient, app: FastAPI, db: Session, receiver: Receiver, admin: dict[str, str]
) -> None:
    created = subscribe(client, admin, receiver.url, ["shortfall.published"])
    public_event(db)
    run_jobs(app)  # the tick queues the delivery, and the receiver gets it
    public_event(db)
    from app.webhooks.dispatch import dispatch

    dispatch(app.state.database, app.state.settings)  # queued, not yet sent
    client.patch(
        f"{SUBSCRIPTIONS}/{created['id']}",
        json={"status": "disabled"},
        headers=admin | {"If-Match": '"1"'},
    )

    run_jobs(app)

    first, second = deliveries(db)
    assert first.status is DeliveryStatus.succeeded
    assert second.status is DeliveryStatus.failed
    assert second.last_error == "subscription disabled: disabled through the API"
    assert second.attempts == 0
    assert len(receiver.received) == 1


def test_a_ping_is_delivered_like_an_event(
    client: TestClient, app: FastAPI, db: Session, receiver: Receiver, focal: dict[str, str]
) -> None:
    created = subscribe(client, focal, receiver.url)

    answer = client.post(f"{SUBSCRIPTIONS}/{created['id']}/test", headers=focal)
    run_jobs(app)

    assert answer.status_code == 202, answer.text
    queued = answer.json()
    assert (queued["event_type"], queued["status"], queued["attempts"]) == (
        "webhook.test",
        "pending",
        0,
    )
    (request,) = receiver.received
    assert request.webhook_id == queued["event_id"]
    body = request.verified(created["secret"])
    assert body["type"] == "webhook.test"
    assert body["data"]["id"] == created["id"]
    assert body["data"]["resource_type"] == "webhook_subscription"
    assert body["data"]["state_code"] == "WSM"
    read = client.get(answer.headers["location"], headers=focal).json()
    assert (read["status"], read["last_response_status"]) == ("succeeded", 200)
    assert read["attempt_log"][0]["response_status"] == 200


def test_deliveries_are_listed_newest_first(
    client: TestClient, app: FastAPI, db: Session, receiver: Receiver, focal: dict[str, str]
) -> None:
    created = subscribe(client, focal, receiver.url)
    pings = [
        client.post(f"{SUBSCRIPTIONS}/{created['id']}/test", headers=focal).json()["id"]
        for _ in range(3)
    ]

    page = client.get(f"{SUBSCRIPTIONS}/{created['id']}/deliveries?limit=2", headers=focal)
    rest = client.get(
        f"{SUBSCRIPTIONS}/{created['id']}/deliveries",
        params={"cursor": page.json()["next_cursor"]},
        headers=focal,
    )

    listed = [item["id"] for item in page.json()["items"] + rest.json()["items"]]
    assert listed == pings[::-1]
    assert set(page.json()["items"][0]) >= {
        "id",
        "event_id",
        "event_type",
        "status",
        "attempts",
        "last_response_status",
        "next_attempt_at",
        "last_duration_ms",
        "last_error",
        "created_at",
        "delivered_at",
        "attempt_log",
    }


def test_a_deleted_subscriptions_queued_deliveries_go_with_it(
    client: TestClient, app: FastAPI, db: Session, receiver: Receiver, admin: dict[str, str]
) -> None:
    created = subscribe(client, admin, receiver.url, ["shortfall.published"])
    client.post(f"{SUBSCRIPTIONS}/{created['id']}/test", headers=admin)

    deleted = client.delete(f"{SUBSCRIPTIONS}/{created['id']}", headers=admin | {"If-Match": '"1"'})
    run_jobs(app)

    assert deleted.status_code == 204
    jobs = db.exec(select(Job).where(col(Job.kind) == DELIVER)).all()
    assert [job.status for job in jobs] == [JobStatus.succeeded]
    assert deliveries(db) == []
    assert receiver.received == []
