"""Action verbs honour `If-Match` when it is sent and never require it (API.md).

A stale `If-Match` is 412 and nothing is written: no move, no stamp, no history row, no audit
event, no outbox row. Without `If-Match` the verb is made (never 428), publication included.
"""

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.assistance.lifecycle import ROLES, TRANSITIONS, Verb
from app.assistance.models import RequestStage
from app.core.principal import Role
from app.core.settings import Settings
from app.events.types import Visibility
from tests.assistance.helpers import (
    REQUESTS,
    Headers,
    audit_of,
    event_of,
    make_cast,
    make_request,
    messages_of,
    outbox_of,
    stored,
    transitions_of,
    verb_body,
)
from tests.core.test_problems import assert_problem

# Every move a role makes over HTTP, with one role the table gives it.
MOVES = [
    (RequestStage(stage), Verb(verb), min(ROLES[verb]))
    for (stage, verb) in TRANSITIONS
    if ROLES[verb]
]
STALE = ['"2"', '"0"', 'W/"9"', '"2", "3"']


def _ids(moves: list[tuple[RequestStage, Verb, Role]]) -> list[str]:
    return [f"{stage}-{verb}" for stage, verb, _ in moves]


def _post(
    client: TestClient, request_id: object, verb: str, headers: Headers, **body: str
) -> httpx.Response:
    response: httpx.Response = client.post(
        f"{REQUESTS}/{request_id}/{verb}", json=body, headers=headers
    )
    return response


def _assert_nothing_written(
    db: Session, request_id: object, stage: RequestStage, visibility: Visibility
) -> None:
    after = stored(db, request_id)
    assert (after.stage, after.visibility, after.version) == (stage, visibility, 1)
    assert (after.published_at, after.decline_reason) == (None, None)
    assert transitions_of(db, request_id) == []
    assert messages_of(db, request_id) == []
    assert audit_of(db, request_id) == []
    assert outbox_of(db, request_id) == []


def test_every_move_of_the_table_is_checked_here() -> None:
    assert {(stage, verb) for stage, verb, _ in MOVES} == {
        pair for pair in TRANSITIONS if ROLES[pair[1]]
    }
    assert len(MOVES) >= 14


@pytest.mark.parametrize(("stage", "verb", "role"), MOVES, ids=_ids(MOVES))
def test_a_stage_verb_with_a_stale_if_match_is_412_and_writes_nothing(
    client: TestClient,
    db: Session,
    settings: Settings,
    stage: RequestStage,
    verb: Verb,
    role: Role,
) -> None:
    cast = make_cast(db, settings)
    request = make_request(db, stage=stage)
    visibility = request.visibility

    for stale in STALE:
        response = _post(
            client,
            request.id,
            verb,
            {**cast.headers[role], "If-Match": stale},
            **verb_body(verb),
        )
        problem = assert_problem(response, 412, "precondition-failed")
        assert problem["current_etag"] == '"1"'

    _assert_nothing_written(db, request.id, stage, visibility)


@pytest.mark.parametrize(("stage", "verb", "role"), MOVES, ids=_ids(MOVES))
def test_a_stage_verb_is_made_with_the_current_etag_or_without_any(
    client: TestClient,
    db: Session,
    settings: Settings,
    stage: RequestStage,
    verb: Verb,
    role: Role,
) -> None:
    cast = make_cast(db, settings)
    for precondition in ({"If-Match": '"1"'}, {"If-Match": 'W/"1"'}, {"If-Match": "*"}, {}):
        request = make_request(db, stage=stage)

        response = _post(
            client, request.id, verb, {**cast.headers[role], **precondition}, **verb_body(verb)
        )

        assert response.status_code == 200, (precondition, response.text)
        assert response.headers["etag"] == '"2"'
        after = stored(db, request.id)
        assert (after.stage, after.version) == (TRANSITIONS[(stage, verb)], 2)
        assert [e.action for e in audit_of(db, request.id)] == [event_of(verb)]
        assert [e.type for e in outbox_of(db, request.id)] == [event_of(verb)]


@pytest.mark.parametrize(
    ("published", "verb"), [(False, "publish"), (True, "unpublish")], ids=["publish", "unpublish"]
)
def test_publication_with_a_stale_if_match_is_412_and_writes_nothing(
    client: TestClient, db: Session, settings: Settings, published: bool, verb: str
) -> None:
    cast = make_cast(db, settings)
    request = make_request(db, stage=RequestStage.accepted, published=published)
    visibility = request.visibility
    published_at = request.published_at

    for stale in STALE:
        response = _post(client, request.id, verb, {**cast.focal, "If-Match": stale})
        problem = assert_problem(response, 412, "precondition-failed")
        assert problem["current_etag"] == '"1"'

    after = stored(db, request.id)
    assert (after.stage, after.visibility, after.version) == (
        RequestStage.accepted,
        visibility,
        1,
    )
    assert after.published_at == published_at
    assert transitions_of(db, request.id) == []
    assert audit_of(db, request.id) == []
    assert outbox_of(db, request.id) == []


def test_publish_without_if_match_is_made_never_428(
    client: TestClient, db: Session, settings: Settings
) -> None:
    cast = make_cast(db, settings)
    request = make_request(db, stage=RequestStage.submitted)

    published = _post(client, request.id, "publish", cast.focal)

    assert published.status_code == 200, published.text
    assert (published.json()["visibility"], published.json()["published"]) == ("public", True)
    assert published.headers["etag"] == '"2"'
    after = stored(db, request.id)
    assert (after.visibility, after.version) == (Visibility.public, 2)
    assert after.published_at is not None
    assert [e.action for e in audit_of(db, request.id)] == ["assistance_request.published"]
    (event,) = outbox_of(db, request.id)
    assert (event.type, event.visibility, event.version) == (
        "assistance_request.published",
        "public",
        2,
    )

    unpublished = _post(client, request.id, "unpublish", cast.focal)

    assert unpublished.status_code == 200, unpublished.text
    assert unpublished.json()["visibility"] == "ohchr"
    after = stored(db, request.id)
    assert (after.visibility, after.version, after.published_at) == (Visibility.ohchr, 3, None)
    assert [e.type for e in outbox_of(db, request.id)] == [
        "assistance_request.published",
        "assistance_request.unpublished",
    ]


def test_a_verb_with_the_etag_just_read_after_another_move_is_412(
    client: TestClient, db: Session, settings: Settings
) -> None:
    """The lost-update case If-Match exists for: an officer read version 1, the State moved
    the request meanwhile, and the officer's accept with the old ETag is refused."""
    cast = make_cast(db, settings)
    request = make_request(db, stage=RequestStage.in_triage)
    read = client.get(f"{REQUESTS}/{request.id}", headers=cast.officer)
    published = _post(client, request.id, "publish", cast.focal)
    assert published.status_code == 200, published.text

    response = _post(
        client, request.id, "accept", {**cast.officer, "If-Match": read.headers["etag"]}
    )

    assert assert_problem(response, 412, "precondition-failed")["current_etag"] == '"2"'
    after = stored(db, request.id)
    assert (after.stage, after.visibility, after.version) == (
        RequestStage.in_triage,
        Visibility.public,
        2,
    )
    assert transitions_of(db, request.id) == []
    assert [e.type for e in outbox_of(db, request.id)] == ["assistance_request.published"]
