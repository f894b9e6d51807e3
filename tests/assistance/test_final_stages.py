"""Withdrawn and declined requests stay where they are; the State starts afresh with a new one."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.assistance.lifecycle import FINAL, PUBLISHABLE, ROLES, TRANSITIONS, Verb
from app.assistance.models import RequestStage
from app.core.principal import STATE_ROLES, Role
from app.core.settings import Settings
from tests.assistance.helpers import (
    REQUESTS,
    Cast,
    create,
    make_cast,
    move,
    open_verbs,
    stored,
    transitions_of,
    verb_body,
)
from tests.core.test_problems import assert_problem


def _withdrawn_from_triage(client: TestClient, cast: Cast) -> str:
    request_id: str = create(client, cast.contributor)["id"]
    move(client, request_id, Verb.submit, cast.focal)
    move(client, request_id, Verb.start_triage, cast.officer)
    move(client, request_id, Verb.withdraw, cast.focal)
    return request_id


def _withdrawn_as_draft(client: TestClient, cast: Cast) -> str:
    request_id: str = create(client, cast.contributor)["id"]
    move(client, request_id, Verb.withdraw, cast.focal)
    return request_id


def _declined(client: TestClient, cast: Cast) -> str:
    request_id: str = create(client, cast.contributor)["id"]
    move(client, request_id, Verb.submit, cast.focal)
    move(client, request_id, Verb.start_triage, cast.officer)
    move(client, request_id, Verb.decline, cast.admin, reason="Outside the mandate")
    return request_id


ENDINGS: dict[str, tuple[Callable[[TestClient, Cast], str], RequestStage]] = {
    "withdrawn-in-triage": (_withdrawn_from_triage, RequestStage.withdrawn),
    "withdrawn-as-draft": (_withdrawn_as_draft, RequestStage.withdrawn),
    "declined": (_declined, RequestStage.declined),
}


# A request withdrawn as a draft was never OHCHR's to see (test_isolation covers that).
SUBMITTED_ENDINGS = {"withdrawn-in-triage", "declined"}


def test_no_verb_leaves_a_final_stage_in_the_table() -> None:
    assert {RequestStage.withdrawn, RequestStage.declined} <= FINAL
    assert not [pair for pair in TRANSITIONS if pair[0] in FINAL]
    # A withdrawn or declined request invites nobody: not even publication stays open.
    assert all(open_verbs(stage, role) == [] for stage in FINAL - PUBLISHABLE for role in Role)
    # A completed one may still be published to show what was done, and nothing more.
    for stage in FINAL & PUBLISHABLE:
        for role in Role:
            assert open_verbs(stage, role) == (
                ["publish"] if role is Role.state_focal_point else []
            )
            assert open_verbs(stage, role, published=True) == (
                ["unpublish"] if role is Role.state_focal_point else []
            )


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_no_verb_is_open_to_anyone_after_the_end(
    client: TestClient, db: Session, settings: Settings, ending: str
) -> None:
    cast = make_cast(db, settings)
    reach, stage = ENDINGS[ending]
    request_id = reach(client, cast)
    moves = len(transitions_of(db, request_id))
    version = stored(db, request_id).version

    # Roles that never have a verb are 403 at every stage (test_lifecycle walks those).
    for verb in Verb:
        for role in ROLES[verb]:
            if role in STATE_ROLES or ending in SUBMITTED_ENDINGS:
                response = client.post(
                    f"{REQUESTS}/{request_id}/{verb}",
                    json=verb_body(verb),
                    headers=cast.headers[role],
                )
                body = assert_problem(response, 409, "illegal-transition")
                assert body["allowed"] == []
    # Nor may the State publish what it withdrew or OHCHR declined.
    for verb in ("publish", "unpublish"):
        response = client.post(f"{REQUESTS}/{request_id}/{verb}", headers=cast.focal)
        body = assert_problem(response, 409, "illegal-transition")
        assert body["allowed"] == []

    after = stored(db, request_id)
    assert (after.stage, after.version) == (stage, version)
    assert len(transitions_of(db, request_id)) == moves


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_the_state_can_ask_again_after_the_end(
    client: TestClient, db: Session, settings: Settings, ending: str
) -> None:
    cast = make_cast(db, settings)
    reach, stage = ENDINGS[ending]
    ended = reach(client, cast)

    again = create(client, cast.contributor, title="Second attempt, narrower scope")
    submitted = move(client, again["id"], Verb.submit, cast.focal)

    assert submitted["stage"] == "submitted"
    assert again["id"] != ended
    assert stored(db, ended).stage is stage
    assert stored(db, again["id"]).stage is RequestStage.submitted
