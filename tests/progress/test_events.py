"""Every change to a progress report writes one audit event and one outbox event, in the
change's own transaction; a refused change writes neither."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.core.principal import Role
from app.core.settings import Settings
from app.events.models import OutboxEvent
from app.progress import service
from app.progress.schemas import ReportCreate
from tests.core.test_problems import assert_problem
from tests.factories import make_user
from tests.progress.support import (
    REPORT,
    Owned,
    audit_actions,
    caller,
    count,
    etag,
    make_bare_recommendation,
    make_owned,
    outbox_events,
    principal_of,
    report_body,
)

Change = Callable[[TestClient, Owned], httpx.Response]


def _request(method: str, path: str = "", body: Any = None, if_match: bool = False) -> Change:
    def send(client: TestClient, report: Owned) -> httpx.Response:
        headers = {**report.focal, "If-Match": etag(client, report)} if if_match else report.focal
        return client.request(method, report.url + path, json=body, headers=headers)

    return send


# name: (stage, correction pending, the change, audit action, outbox visibility)
CHANGES: dict[str, tuple[str, bool, Change, str, str]] = {
    "update": ("draft", False, _request("PATCH", "", {"summary": "x"}, True), "update", "state"),
    "delete": ("draft", False, _request("DELETE", "", None, True), "delete", "state"),
    "submit": ("draft", False, _request("POST", "/submit"), "submit", "ohchr"),
    "publish": ("submitted", False, _request("POST", "/publish"), "publish", "public"),
    "unpublish": ("published", False, _request("POST", "/unpublish"), "unpublish", "ohchr"),
    "revision-create": (
        "published",
        False,
        _request("POST", "/revisions", {"status": "fully_implemented"}),
        "revision.create",
        "state",
    ),
    "revision-update": (
        "published",
        True,
        _request("PATCH", "/revisions/2", {"summary": "y"}, True),
        "revision.update",
        "state",
    ),
    "revision-submit": ("published", True, _request("POST", "/submit"), "submit", "public"),
}


def _audit_event(db: Session, resource_id: str) -> AuditEvent:
    db.expire_all()
    return db.exec(
        select(AuditEvent)
        .where(AuditEvent.resource_id == resource_id)
        .order_by(AuditEvent.seq.desc())  # type: ignore[union-attr]
    ).first()  # type: ignore[return-value]


def test_creating_a_report_writes_its_audit_and_outbox_events(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = caller(db, settings, Role.state_focal_point)

    response = client.post(
        REPORT.url, json=report_body(make_bare_recommendation(db).id), headers=focal
    )

    report = response.json()
    assert audit_actions(db, report["id"]) == ["progress_report.create"]
    assert outbox_events(db, report["id"]) == [("progress_report.create", "state")]
    event = _audit_event(db, report["id"])
    assert (event.before, event.after["version"]) == (None, 1)  # type: ignore[index]
    assert event.request_id == response.headers["x-request-id"]


@pytest.mark.parametrize(
    ("stage", "pending", "change", "verb", "visibility"), CHANGES.values(), ids=CHANGES.keys()
)
def test_every_change_writes_one_audit_event_and_one_outbox_event(
    client: TestClient,
    db: Session,
    settings: Settings,
    stage: str,
    pending: bool,
    change: Change,
    verb: str,
    visibility: str,
) -> None:
    """The outbox event is named as the audit action is: `progress_report.<verb>`."""
    report = make_owned(db, settings, REPORT, stage=stage, pending_revision=pending)
    audited, queued = audit_actions(db, report.id), outbox_events(db, report.id)

    response = change(client, report)

    assert response.status_code in (200, 201, 204), response.text
    action = f"progress_report.{verb}"
    assert audit_actions(db, report.id) == [*audited, action]
    assert outbox_events(db, report.id) == [*queued, (action, visibility)]
    assert _audit_event(db, report.id).request_id == response.headers["x-request-id"]


@pytest.mark.parametrize(
    ("stage", "verb"), [("draft", "publish"), ("submitted", "submit"), ("draft", "unpublish")]
)
def test_a_refused_move_writes_no_event(
    client: TestClient, db: Session, settings: Settings, stage: str, verb: str
) -> None:
    report = make_owned(db, settings, REPORT, stage=stage)
    audited, queued = count(db, AuditEvent), count(db, OutboxEvent)

    response = client.post(f"{report.url}/{verb}", headers=report.focal)

    assert_problem(response, 409, "illegal-transition")
    assert (count(db, AuditEvent), count(db, OutboxEvent)) == (audited, queued)


def test_an_event_is_part_of_its_changes_transaction(db: Session) -> None:
    """Rolled back with the change, both events are gone: neither is committed on its own."""
    user = make_user(db, role=Role.state_focal_point, state="WSM")
    who = principal_of(user)
    body = ReportCreate.model_validate(report_body(make_bare_recommendation(db).id))
    audited, queued = count(db, AuditEvent), count(db, OutboxEvent)

    change = db.begin_nested()
    report = service.create_report(db, who, body)
    db.flush()
    assert count(db, AuditEvent, AuditEvent.resource_id == str(report.id)) == 1
    assert count(db, OutboxEvent, OutboxEvent.resource_id == str(report.id)) == 1
    change.rollback()

    assert (count(db, AuditEvent), count(db, OutboxEvent)) == (audited, queued)
