"""Every change to a progress report or a shortfall writes one audit event and one outbox event,
of the same past-tense type, in the change's own transaction; a refused change writes neither.
The outbox event names the object's version after the change and who may be told of it."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.core.principal import Role
from app.core.settings import Settings
from app.events.models import OutboxEvent
from app.events.types import EventType
from app.progress import service
from app.progress.schemas import ReportCreate
from tests.core.test_problems import assert_problem
from tests.factories import make_user
from tests.progress.support import (
    KINDS,
    REPORT,
    SHORTFALL,
    VERBS,
    Kind,
    Owned,
    Verb,
    audit_actions,
    caller,
    count,
    etag,
    kind_id,
    make_bare_recommendation,
    make_owned,
    outbox_events,
    outbox_rows,
    principal_of,
    report_body,
)

Send = Callable[[TestClient, Owned], httpx.Response]


def _request(method: str, path: str = "", body: Any = None, if_match: bool = False) -> Send:
    def send(client: TestClient, owned: Owned) -> httpx.Response:
        headers = {**owned.focal, "If-Match": etag(client, owned)} if if_match else owned.focal
        return client.request(method, owned.url + path, json=body, headers=headers)

    return send


@dataclass(frozen=True)
class Change:
    """A change made over HTTP to an object set up as described, and the event it announces."""

    kind: Kind
    name: str
    stage: str
    send: Send
    event: str
    visibility: str
    pending_revision: bool = False
    corrected: bool = False

    @property
    def id(self) -> str:
        return f"{self.kind.name}-{self.name}"


def _edits(kind: Kind) -> list[Change]:
    edit = _request("PATCH", "", {kind.text_field: "Edited"}, if_match=True)
    delete = _request("DELETE", "", None, if_match=True)
    return [
        Change(kind, "update", "draft", edit, kind.event("updated"), "state"),
        Change(kind, "delete", "draft", delete, kind.event("deleted"), "state"),
    ]


def _move(verb: Verb) -> Change:
    send = _request("POST", f"/{verb.name}", verb.body)
    return Change(verb.kind, verb.name, verb.stage, send, verb.event, verb.after[1])


CORRECTION = {"status": "fully_implemented", "reason": "Revised figures"}
CHANGES = [
    *_edits(REPORT),
    *_edits(SHORTFALL),
    *(_move(verb) for verb in VERBS),
    Change(
        SHORTFALL,
        "resolve-published",
        "published",
        _request("POST", "/resolve", {"resolved_on": "2024-06-30"}),
        "shortfall.resolved",
        "public",
    ),
    Change(
        REPORT,
        "revision-create",
        "published",
        _request("POST", "/revisions", CORRECTION),
        "progress_report.revision_drafted",
        "state",
    ),
    Change(
        REPORT,
        "revision-update",
        "published",
        _request("PATCH", "/revisions/2", {"summary": "y"}, if_match=True),
        "progress_report.revision_updated",
        "state",
        pending_revision=True,
    ),
    # A correction's submit is `revised`, and OHCHR's alone even on a published report.
    Change(
        REPORT,
        "revision-submit-submitted",
        "submitted",
        _request("POST", "/submit"),
        "progress_report.revised",
        "ohchr",
        pending_revision=True,
    ),
    Change(
        REPORT,
        "revision-submit-published",
        "published",
        _request("POST", "/submit"),
        "progress_report.revised",
        "ohchr",
        pending_revision=True,
    ),
    Change(
        REPORT,
        "correction-publish",
        "published",
        _request("POST", "/publish"),
        "progress_report.published",
        "public",
        corrected=True,
    ),
]


def _audit_event(db: Session, resource_id: str) -> AuditEvent:
    db.expire_all()
    return db.exec(
        select(AuditEvent)
        .where(AuditEvent.resource_id == resource_id)
        .order_by(AuditEvent.seq.desc())  # type: ignore[union-attr]
    ).first()  # type: ignore[return-value]


def test_every_event_type_used_here_is_one_of_the_typed_events() -> None:
    """The names these tests expect are the public vocabulary, not strings of their own."""
    used = {change.event for change in CHANGES} | {k.event("created") for k in KINDS}

    assert used <= {event.value for event in EventType}


@pytest.mark.parametrize("kind", KINDS, ids=kind_id)
def test_creating_an_object_writes_its_audit_and_outbox_events(
    client: TestClient, db: Session, settings: Settings, kind: Kind
) -> None:
    focal = caller(db, settings, Role.state_focal_point)

    response = client.post(kind.url, json=kind.body(make_bare_recommendation(db).id), headers=focal)

    created = response.json()
    assert audit_actions(db, created["id"]) == [kind.event("created")]
    assert outbox_rows(db, created["id"]) == [(kind.event("created"), "state", 1)]
    event = _audit_event(db, created["id"])
    assert (event.before, event.after["version"]) == (None, 1)  # type: ignore[index]
    assert event.request_id == response.headers["x-request-id"]


@pytest.mark.parametrize("change", CHANGES, ids=[change.id for change in CHANGES])
def test_every_change_writes_one_audit_event_and_one_outbox_event(
    client: TestClient, db: Session, settings: Settings, change: Change
) -> None:
    """The outbox event is typed as the audit action is, and carries the version after the
    change (a deleted object's last version)."""
    owned = make_owned(
        db,
        settings,
        change.kind,
        stage=change.stage,
        pending_revision=change.pending_revision,
        corrected=change.corrected,
    )
    audited, queued = audit_actions(db, owned.id), outbox_rows(db, owned.id)
    version = int(etag(client, owned).strip('"'))

    response = change.send(client, owned)

    assert response.status_code in (200, 201, 204), response.text
    after = version if change.name == "delete" else version + 1
    assert audit_actions(db, owned.id) == [*audited, change.event]
    assert outbox_rows(db, owned.id) == [*queued, (change.event, change.visibility, after)]
    assert _audit_event(db, owned.id).request_id == response.headers["x-request-id"]


def test_a_published_report_tells_the_public_of_its_correction_only_when_published(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, stage="published")
    queued = outbox_events(db, report.id)

    for step in (
        client.post(f"{report.url}/revisions", json=CORRECTION, headers=report.focal),
        client.post(f"{report.url}/submit", headers=report.focal),
        client.post(f"{report.url}/publish", headers=report.focal),
    ):
        assert step.status_code in (200, 201), step.text

    assert outbox_events(db, report.id) == [
        *queued,
        ("progress_report.revision_drafted", "state"),
        ("progress_report.revised", "ohchr"),
        ("progress_report.published", "public"),
    ]


REFUSED = [
    (REPORT, "draft", "publish"),
    (REPORT, "submitted", "submit"),
    (REPORT, "draft", "unpublish"),
    (SHORTFALL, "draft", "publish"),
    (SHORTFALL, "draft", "resolve"),
    (SHORTFALL, "submitted", "submit"),
]


@pytest.mark.parametrize(
    ("kind", "stage", "verb"), REFUSED, ids=[f"{k.name}-{v}-{s}" for k, s, v in REFUSED]
)
def test_a_refused_move_writes_no_event(
    client: TestClient, db: Session, settings: Settings, kind: Kind, stage: str, verb: str
) -> None:
    owned = make_owned(db, settings, kind, stage=stage)
    audited, queued = count(db, AuditEvent), count(db, OutboxEvent)

    response = client.post(
        f"{owned.url}/{verb}",
        json={"resolved_on": "2024-06-30"} if verb == "resolve" else None,
        headers=owned.focal,
    )

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
