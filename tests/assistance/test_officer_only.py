"""OHCHR's working data — priority, service targets, internal notes, the assigned officer and
internal messages — never reaches a State, through any response, the audit log or an event."""

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.assistance.lifecycle import Verb
from app.core.principal import Role
from app.core.settings import Settings
from app.events.models import OutboxEvent
from tests.assistance.helpers import (
    OFFICER_ONLY_KEYS,
    REQUESTS,
    Cast,
    create,
    keys_anywhere,
    make_cast,
    make_request,
    make_shortfall,
    messages_of,
    move,
    stored,
)
from tests.core.test_problems import assert_problem

SECRET_NOTE = "Officer note: the minister is unreliable"
SECRET_MESSAGE = "Internal: check with the regional office before answering"


@dataclass
class Triaged:
    """A request taken through triage with every kind of officer-only data set, and every
    answer the State received on the way."""

    cast: Cast
    request_id: str
    state_answers: dict[str, Any] = field(default_factory=dict)


def _triaged_with_secrets(client: TestClient, db: Session, settings: Settings) -> Triaged:
    cast = make_cast(db, settings)
    shortfall = make_shortfall(db)
    created = create(client, cast.contributor, shortfall_ids=[str(shortfall.id)])
    request_id = created["id"]
    seen = Triaged(cast, request_id, {"create": created})
    seen.state_answers["submit"] = move(client, request_id, Verb.submit, cast.focal)
    officer = cast.users[Role.ohchr_officer]
    assigned = client.patch(
        f"{REQUESTS}/{request_id}",
        json={"assigned_officer_id": str(officer.id), "internal_notes": SECRET_NOTE},
        headers={**cast.officer, "If-Match": '"2"'},
    )
    assert assigned.status_code == 200, assigned.text
    internal = client.post(
        f"{REQUESTS}/{request_id}/messages",
        json={"body": SECRET_MESSAGE, "internal": True},
        headers=cast.officer,
    )
    assert internal.status_code == 201, internal.text
    move(client, request_id, Verb.start_triage, cast.officer)
    move(client, request_id, Verb.request_info, cast.officer, message="Which ministry leads?")
    edited = client.patch(
        f"{REQUESTS}/{request_id}",
        json={"justification": "The Ministry of Justice leads."},
        headers={**cast.contributor, "If-Match": '"5"'},
    )
    assert edited.status_code == 200, edited.text
    seen.state_answers["patch"] = edited.json()
    answer = move(client, request_id, Verb.provide_info, cast.focal, message="Justice leads.")
    seen.state_answers["provide-info"] = answer
    return seen


def _assert_nothing_officer_only(label: str, value: Any) -> None:
    text = json.dumps(value)
    found = keys_anywhere(value) & OFFICER_ONLY_KEYS
    assert not found, f"{label} shows {found}"
    assert SECRET_NOTE not in text, label
    assert SECRET_MESSAGE not in text, label


@pytest.fixture
def triaged(client: TestClient, db: Session, settings: Settings) -> Triaged:
    return _triaged_with_secrets(client, db, settings)


def test_answers_to_the_states_own_writes_carry_no_officer_data(triaged: Triaged) -> None:
    assert set(triaged.state_answers) == {"create", "submit", "patch", "provide-info"}
    for label, answer in triaged.state_answers.items():
        _assert_nothing_officer_only(label, answer)


def test_the_states_reads_carry_no_officer_data(client: TestClient, triaged: Triaged) -> None:
    request_id, cast = triaged.request_id, triaged.cast
    for headers in (cast.contributor, cast.focal):
        reads = {
            "get": client.get(f"{REQUESTS}/{request_id}", headers=headers),
            "list": client.get(REQUESTS, headers=headers),
            "transitions": client.get(f"{REQUESTS}/{request_id}/transitions", headers=headers),
        }
        for label, response in reads.items():
            assert response.status_code == 200, response.text
            _assert_nothing_officer_only(label, response.json())


def test_the_state_never_reads_an_internal_message(client: TestClient, triaged: Triaged) -> None:
    url = f"{REQUESTS}/{triaged.request_id}/messages"
    for headers in (triaged.cast.contributor, triaged.cast.focal):
        thread = client.get(url, headers=headers).json()
        _assert_nothing_officer_only("messages", thread)
        assert [m["internal"] for m in thread["items"]] == [False, False]


def test_officers_read_internal_messages_priority_and_notes(
    client: TestClient, triaged: Triaged
) -> None:
    request_id, cast = triaged.request_id, triaged.cast
    for headers in (cast.officer, cast.admin):
        thread = client.get(f"{REQUESTS}/{request_id}/messages", headers=headers).json()
        assert SECRET_MESSAGE in [m["body"] for m in thread["items"] if m["internal"]]
        shown = client.get(f"{REQUESTS}/{request_id}", headers=headers).json()
        assert shown.keys() >= OFFICER_ONLY_KEYS
        assert shown["internal_notes"] == SECRET_NOTE
        assert shown["assigned_officer_id"] == str(cast.users[Role.ohchr_officer].id)
        assert shown["priority"]["parts"]["shortfall_severity"] > 0


def test_the_audit_log_a_focal_point_reads_carries_no_officer_data(
    client: TestClient, triaged: Triaged
) -> None:
    page = client.get(
        "/api/v1/audit-events", params={"limit": 200}, headers=triaged.cast.focal
    ).json()
    actions = {e["action"] for e in page["items"]}
    assert {"assistance_request.triage_started", "assistance_message.created"} <= actions
    _assert_nothing_officer_only("audit-events", page)
    everything = client.get(
        "/api/v1/audit-events", params={"limit": 200}, headers=triaged.cast.admin
    ).text
    assert SECRET_NOTE in everything
    assert SECRET_MESSAGE in everything


def test_events_about_the_state_carry_no_officer_data(db: Session, triaged: Triaged) -> None:
    events = db.exec(select(OutboxEvent).where(OutboxEvent.state_code == triaged.cast.state)).all()
    types = {e.type for e in events}
    assert {"assistance_request.info_requested", "assistance_message.created"} <= types
    for event in events:
        _assert_nothing_officer_only(f"outbox {event.type}", event.payload)


def test_officer_only_changes_are_announced_to_ohchr_alone(db: Session, triaged: Triaged) -> None:
    """The officers' PATCH and internal message each queue one event that names no State."""
    ohchr_only = db.exec(
        select(OutboxEvent)
        .where(col(OutboxEvent.state_code).is_(None))
        .order_by(col(OutboxEvent.seq))
    ).all()
    updated = [e for e in ohchr_only if e.type == "assistance_request.updated"]
    internal = [e for e in ohchr_only if e.type == "assistance_message.created"]
    assert len(updated) == 1 and len(internal) == 1
    assert updated[0].resource_id == triaged.request_id
    assert (updated[0].visibility, updated[0].version) == ("ohchr", 3)
    assert updated[0].payload["internal_notes"] == SECRET_NOTE
    assert internal[0].visibility == "ohchr"
    assert internal[0].payload["body"] == SECRET_MESSAGE
    assert {e.type for e in ohchr_only} == {
        "assistance_request.updated",
        "assistance_message.created",
    }


def test_a_state_posting_an_internal_message_is_forbidden(
    client: TestClient, db: Session, settings: Settings
) -> None:
    cast = make_cast(db, settings)
    request = make_request(db)
    before = db.exec(select(OutboxEvent).order_by(col(OutboxEvent.seq).desc())).first()

    for headers in (cast.contributor, cast.focal):
        response = client.post(
            f"{REQUESTS}/{request.id}/messages",
            json={"body": "Let us keep this between us", "internal": True},
            headers=headers,
        )
        assert_problem(response, 403, "forbidden")

    assert messages_of(db, request.id) == []
    assert stored(db, request.id).version == 1
    after = db.exec(select(OutboxEvent).order_by(col(OutboxEvent.seq).desc())).first()
    assert (after and after.id) == (before and before.id)
