"""Every change to a shortfall writes one audit event and one outbox event, named alike, in the
change's own transaction; a refused change writes neither."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.core.principal import Role
from app.core.settings import Settings
from app.events.models import OutboxEvent
from tests.core.test_problems import assert_problem
from tests.progress.support import (
    SHORTFALL,
    audit_actions,
    caller,
    count,
    make_bare_recommendation,
    make_owned,
    outbox_events,
    shortfall_body,
)

# name: (stage, method, path, body, audit verb, outbox visibility)
CHANGES: dict[str, tuple[str, str, str, Any, str, str]] = {
    "update": ("draft", "PATCH", "", {"severity": "low"}, "update", "state"),
    "delete": ("draft", "DELETE", "", None, "delete", "state"),
    "submit": ("draft", "POST", "/submit", None, "submit", "ohchr"),
    "publish": ("submitted", "POST", "/publish", None, "publish", "public"),
    "unpublish": ("published", "POST", "/unpublish", None, "unpublish", "ohchr"),
    "resolve": (
        "published",
        "POST",
        "/resolve",
        {"resolved_on": "2024-06-30"},
        "resolve",
        "public",
    ),
}


def test_creating_a_shortfall_writes_its_audit_and_outbox_events(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = caller(db, settings, Role.state_focal_point)

    response = client.post(
        SHORTFALL.url, json=shortfall_body(make_bare_recommendation(db).id), headers=focal
    )

    shortfall_id = response.json()["id"]
    assert audit_actions(db, shortfall_id) == ["shortfall.create"]
    assert outbox_events(db, shortfall_id) == [("shortfall.create", "state")]


@pytest.mark.parametrize(
    ("stage", "method", "path", "body", "verb", "visibility"),
    CHANGES.values(),
    ids=CHANGES.keys(),
)
def test_every_change_writes_one_audit_event_and_one_outbox_event(
    client: TestClient,
    db: Session,
    settings: Settings,
    stage: str,
    method: str,
    path: str,
    body: Any,
    verb: str,
    visibility: str,
) -> None:
    shortfall = make_owned(db, settings, SHORTFALL, stage=stage)
    audited, queued = audit_actions(db, shortfall.id), outbox_events(db, shortfall.id)
    if_match = {"If-Match": "*"} if method in ("PATCH", "DELETE") else {}

    response = client.request(
        method, shortfall.url + path, json=body, headers={**shortfall.focal, **if_match}
    )

    assert response.status_code in (200, 204), response.text
    action = f"shortfall.{verb}"
    assert audit_actions(db, shortfall.id) == [*audited, action]
    assert outbox_events(db, shortfall.id) == [*queued, (action, visibility)]


@pytest.mark.parametrize(
    ("stage", "verb"), [("draft", "publish"), ("draft", "resolve"), ("submitted", "submit")]
)
def test_a_refused_move_writes_no_event(
    client: TestClient, db: Session, settings: Settings, stage: str, verb: str
) -> None:
    shortfall = make_owned(db, settings, SHORTFALL, stage=stage)
    audited, queued = count(db, AuditEvent), count(db, OutboxEvent)

    response = client.post(
        f"{shortfall.url}/{verb}",
        json={"resolved_on": "2024-06-30"} if verb == "resolve" else None,
        headers=shortfall.focal,
    )

    assert_problem(response, 409, "illegal-transition")
    assert (count(db, AuditEvent), count(db, OutboxEvent)) == (audited, queued)
