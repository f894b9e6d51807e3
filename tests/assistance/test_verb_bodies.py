"""What a verb must carry, and where it goes: messages into the thread, the reason to the State."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.assistance.lifecycle import Verb
from app.assistance.models import RequestStage
from app.core.principal import Role
from app.core.settings import Settings
from tests.assistance.helpers import (
    REQUESTS,
    Cast,
    audit_of,
    create,
    make_cast,
    make_request,
    messages_of,
    move,
    outbox_of,
    stored,
    transitions_of,
)
from tests.core.test_problems import assert_problem

REASON = "The request falls outside OHCHR's mandate for this biennium."


@pytest.mark.parametrize(
    ("stage", "verb", "role", "body"),
    [
        (RequestStage.in_triage, Verb.request_info, Role.ohchr_officer, {}),
        (RequestStage.in_triage, Verb.request_info, Role.ohchr_officer, {"message": "   "}),
        (RequestStage.in_triage, Verb.request_info, Role.ohchr_officer, {"reason": "no"}),
        (RequestStage.info_requested, Verb.provide_info, Role.state_contributor, {}),
        (RequestStage.info_requested, Verb.provide_info, Role.state_focal_point, {"message": ""}),
        (RequestStage.in_triage, Verb.decline, Role.ohchr_officer, {}),
        (RequestStage.in_triage, Verb.decline, Role.ohchr_admin, {"message": "no reason"}),
    ],
    ids=[
        "request-info-empty",
        "request-info-blank-message",
        "request-info-reason-only",
        "provide-info-empty",
        "provide-info-empty-message",
        "decline-empty",
        "decline-message-only",
    ],
)
def test_a_verb_without_its_required_text_is_422_and_moves_nothing(
    client: TestClient,
    db: Session,
    settings: Settings,
    stage: RequestStage,
    verb: Verb,
    role: Role,
    body: dict[str, str],
) -> None:
    cast = make_cast(db, settings)
    request = make_request(db, stage=stage)

    response = client.post(f"{REQUESTS}/{request.id}/{verb}", json=body, headers=cast.headers[role])

    assert_problem(response, 422, "validation-error")
    after = stored(db, request.id)
    assert (after.stage, after.version, after.decline_reason) == (stage, 1, None)
    assert transitions_of(db, request.id) == []
    assert messages_of(db, request.id) == []
    assert audit_of(db, request.id) == []


def _in_triage(client: TestClient, db: Session, settings: Settings) -> tuple[Cast, str]:
    cast = make_cast(db, settings)
    created = create(client, cast.contributor)
    move(client, created["id"], Verb.submit, cast.focal)
    move(client, created["id"], Verb.start_triage, cast.officer)
    return cast, created["id"]


def test_decline_reason_is_shown_to_the_state(
    client: TestClient, db: Session, settings: Settings
) -> None:
    cast, request_id = _in_triage(client, db, settings)

    declined = move(client, request_id, Verb.decline, cast.officer, reason=REASON)

    assert (declined["stage"], declined["decline_reason"]) == ("declined", REASON)
    for headers in (cast.contributor, cast.focal):
        shown = client.get(f"{REQUESTS}/{request_id}", headers=headers).json()
        assert shown["decline_reason"] == REASON
        (listed,) = client.get(REQUESTS, headers=headers).json()["items"]
        assert listed["decline_reason"] == REASON
    assert stored(db, request_id).decline_reason == REASON
    (transition,) = [t for t in transitions_of(db, request_id) if t.verb == "decline"]
    assert transition.note == REASON


def test_decline_event_tells_the_state_the_reason(
    client: TestClient, db: Session, settings: Settings
) -> None:
    """The State learns of a decline from the webhook and the audit log, not only by polling."""
    cast, request_id = _in_triage(client, db, settings)

    move(client, request_id, Verb.decline, cast.officer, reason=REASON)

    (outbox,) = outbox_of(db, request_id, "assistance_request.declined")
    assert outbox.payload["decline_reason"] == REASON
    (event,) = audit_of(db, request_id, "assistance_request.declined")
    assert (event.before or {})["decline_reason"] is None
    assert (event.after or {})["decline_reason"] == REASON
    page = client.get(
        "/api/v1/audit-events",
        params={"resource_id": request_id, "resource_type": "assistance_request"},
        headers=cast.focal,
    ).json()
    (seen,) = [e for e in page["items"] if e["action"] == "assistance_request.declined"]
    assert seen["after"]["decline_reason"] == REASON


def test_request_info_message_lands_in_the_states_thread(
    client: TestClient, db: Session, settings: Settings
) -> None:
    cast, request_id = _in_triage(client, db, settings)
    question = "Please attach the draft law you want reviewed."

    move(client, request_id, Verb.request_info, cast.officer, message=question)

    (message,) = messages_of(db, request_id)
    assert (message.body, message.internal, message.author_role) == (
        question,
        False,
        "ohchr_officer",
    )
    assert message.author_id == cast.users[Role.ohchr_officer].id
    thread = client.get(f"{REQUESTS}/{request_id}/messages", headers=cast.contributor).json()
    assert [(m["body"], m["internal"]) for m in thread["items"]] == [(question, False)]


def test_provide_info_message_lands_in_the_thread(
    client: TestClient, db: Session, settings: Settings
) -> None:
    cast, request_id = _in_triage(client, db, settings)
    move(client, request_id, Verb.request_info, cast.officer, message="Which ministry leads?")
    answer = "The Ministry of Justice leads; the draft law is attached."

    moved = move(client, request_id, Verb.provide_info, cast.contributor, message=answer)

    assert moved["stage"] == "in_triage"
    bodies = {m.body: m for m in messages_of(db, request_id)}
    assert bodies[answer].internal is False
    assert bodies[answer].author_role == "state_contributor"
    for headers in (cast.officer, cast.focal):
        thread = client.get(f"{REQUESTS}/{request_id}/messages", headers=headers).json()
        assert answer in [m["body"] for m in thread["items"]]
