"""Offers and their answers keep capacity right: an offer reserves a slot, an acceptance keeps
it until the request completes or is withdrawn, a decline gives it back."""

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from app.expertise.models import Assignment
from tests.core.test_problems import assert_problem
from tests.matching.support import (
    ASSIGNMENTS,
    REQUESTS,
    Headers,
    Json,
    accepted_request,
    active_assignments,
    assignment_events,
    assignment_statuses,
    create_provider,
    headers_for,
    move,
    offer,
    officer,
    provider_account,
    stage_of,
)


def linked_provider(
    client: TestClient, db: Session, settings: Settings, headers: Headers, **fields: object
) -> tuple[Json, Headers]:
    """A roster entry and the account that answers its offers."""
    account, account_headers = provider_account(db, settings)
    return create_provider(client, headers, user_id=str(account.id), **fields), account_headers


def answer(client: TestClient, headers: Headers, assignment_id: str, verb: str) -> Json:
    response = client.post(f"{ASSIGNMENTS}/{assignment_id}/{verb}", json={}, headers=headers)
    assert response.status_code == 200, response.text
    answered: Json = response.json()
    return answered


def test_an_offer_reserves_capacity_and_names_the_candidate_score(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    request_id = accepted_request(client, db, settings, caller, state="NPL")
    provider = create_provider(client, caller, capacity=2)
    created = client.post(
        ASSIGNMENTS, json={"request_id": request_id, "provider_id": provider["id"]}, headers=caller
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"].endswith(f"{ASSIGNMENTS}/{body['id']}")
    assert (body["status"], body["request_id"], body["provider_id"]) == (
        "proposed",
        request_id,
        provider["id"],
    )
    assert 0 < body["score"] <= 1
    assert active_assignments(client, caller, provider["id"]) == 1
    assert stage_of(db, request_id) == "accepted"
    assert db.get(Assignment, uuid.UUID(body["id"])) is not None


@pytest.mark.parametrize("stop_at", ["submit", "start-triage"])
def test_only_accepted_requests_are_offered(
    client: TestClient, db: Session, settings: Settings, stop_at: str
) -> None:
    caller = officer(db, settings)
    request_id = accepted_request(client, db, settings, caller, state="NPL", stop_at=stop_at)
    provider = create_provider(client, caller)
    response = client.post(
        ASSIGNMENTS, json={"request_id": request_id, "provider_id": provider["id"]}, headers=caller
    )
    assert_problem(response, 409, "conflict")
    assert assignment_statuses(db, request_id) == []
    assert active_assignments(client, caller, provider["id"]) == 0


def test_a_request_has_one_live_offer_at_a_time(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    request_id = accepted_request(client, db, settings, caller, state="NPL")
    first = create_provider(client, caller)
    second = create_provider(client, caller)
    offer(client, caller, request_id, first["id"])
    response = client.post(
        ASSIGNMENTS, json={"request_id": request_id, "provider_id": second["id"]}, headers=caller
    )
    assert_problem(response, 409, "conflict")
    assert assignment_statuses(db, request_id) == ["proposed"]
    assert active_assignments(client, caller, second["id"]) == 0


def test_offering_beyond_capacity_is_409(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    provider = create_provider(client, caller, capacity=2)
    requests = [accepted_request(client, db, settings, caller, state=s) for s in ("NPL", "BGD")]
    third = accepted_request(client, db, settings, caller, state="WSM")
    for request_id in requests:
        offer(client, caller, request_id, provider["id"])
    response = client.post(
        ASSIGNMENTS, json={"request_id": third, "provider_id": provider["id"]}, headers=caller
    )
    assert_problem(response, 409, "conflict")
    assert assignment_statuses(db, third) == []
    assert active_assignments(client, caller, provider["id"]) == 2


def test_a_provider_that_cannot_serve_is_not_offered(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    request_id = accepted_request(client, db, settings, caller, state="NPL")
    francophone = create_provider(client, caller, languages=["fr"])
    body = {"request_id": request_id, "provider_id": francophone["id"]}
    assert_problem(client.post(ASSIGNMENTS, json=body, headers=caller), 409, "conflict")
    unknown = {"request_id": request_id, "provider_id": str(uuid.uuid4())}
    assert_problem(client.post(ASSIGNMENTS, json=unknown, headers=caller), 422, "validation-error")
    assert assignment_statuses(db, request_id) == []


def test_a_decline_frees_the_capacity_and_the_request_can_be_offered_again(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    request_id = accepted_request(client, db, settings, caller, state="NPL")
    provider, account = linked_provider(client, db, settings, caller, capacity=1)
    assignment = offer(client, caller, request_id, provider["id"])
    assert active_assignments(client, caller, provider["id"]) == 1

    response = client.post(
        f"{ASSIGNMENTS}/{assignment['id']}/decline",
        json={"reason": "On mission until June"},
        headers=account,
    )

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["decline_reason"]) == (
        "declined",
        "On mission until June",
    )
    assert response.json()["responded_at"] is not None
    assert active_assignments(client, caller, provider["id"]) == 0
    assert stage_of(db, request_id) == "accepted"
    again = offer(client, caller, request_id, provider["id"])
    assert again["id"] != assignment["id"]
    assert assignment_statuses(db, request_id) == ["declined", "proposed"]


def test_an_acceptance_matches_the_request_and_completion_frees_the_capacity(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    request_id = accepted_request(client, db, settings, caller, state="NPL")
    provider, account = linked_provider(client, db, settings, caller, capacity=1)
    assignment = offer(client, caller, request_id, provider["id"])
    early = client.post(f"{REQUESTS}/{request_id}/start-delivery", json={}, headers=caller)
    assert_problem(early, 409, "illegal-transition")

    accepted = answer(client, account, assignment["id"], "accept")

    assert accepted["status"] == "accepted"
    assert stage_of(db, request_id) == "matched"
    assert active_assignments(client, caller, provider["id"]) == 1
    assert move(client, request_id, "start-delivery", caller)["stage"] == "in_delivery"
    assert active_assignments(client, caller, provider["id"]) == 1
    assert move(client, request_id, "complete", caller)["stage"] == "completed"
    assert assignment_statuses(db, request_id) == ["completed"]
    assert active_assignments(client, caller, provider["id"]) == 0
    shown = client.get(f"{ASSIGNMENTS}/{assignment['id']}", headers=account).json()
    assert shown["status"] == "completed"
    # Assignment events are OHCHR's: they name no State.
    assert assignment_events(db, assignment["id"]) == [
        ("assignment.offered", None, "ohchr"),
        ("assignment.accepted", None, "ohchr"),
        ("assignment.completed", None, "ohchr"),
    ]


@pytest.mark.parametrize("answered", [False, True])
def test_withdrawal_before_delivery_frees_the_capacity(
    client: TestClient, db: Session, settings: Settings, answered: bool
) -> None:
    caller = officer(db, settings)
    request_id = accepted_request(client, db, settings, caller, state="NPL")
    provider, account = linked_provider(client, db, settings, caller, capacity=1)
    assignment = offer(client, caller, request_id, provider["id"])
    if answered:
        answer(client, account, assignment["id"], "accept")
        assert stage_of(db, request_id) == "matched"
    focal = headers_for(db, settings, Role.state_focal_point, "NPL")

    assert move(client, request_id, "withdraw", focal)["stage"] == "withdrawn"

    assert assignment_statuses(db, request_id) == ["withdrawn"]
    assert active_assignments(client, caller, provider["id"]) == 0
    late = client.post(f"{ASSIGNMENTS}/{assignment['id']}/accept", json={}, headers=account)
    assert assert_problem(late, 409, "illegal-transition")["allowed"] == []
    assert assignment_statuses(db, request_id) == ["withdrawn"]
    expected = ["assignment.offered", "assignment.accepted", "assignment.withdrawn"]
    if not answered:
        expected.remove("assignment.accepted")
    assert assignment_events(db, assignment["id"]) == [(t, None, "ohchr") for t in expected]


def test_freed_capacity_serves_the_next_request(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    provider, account = linked_provider(client, db, settings, caller, capacity=1)
    first = accepted_request(client, db, settings, caller, state="NPL")
    second = accepted_request(client, db, settings, caller, state="BGD")
    assignment = offer(client, caller, first, provider["id"])
    blocked = client.post(
        ASSIGNMENTS, json={"request_id": second, "provider_id": provider["id"]}, headers=caller
    )
    assert_problem(blocked, 409, "conflict")
    answer(client, account, assignment["id"], "accept")
    move(client, first, "start-delivery", caller)
    move(client, first, "complete", caller)
    assert offer(client, caller, second, provider["id"])["status"] == "proposed"


@pytest.mark.parametrize("verb", ["accept", "decline"])
def test_an_answer_with_a_stale_if_match_is_412_and_changes_nothing(
    client: TestClient, db: Session, settings: Settings, verb: str
) -> None:
    caller = officer(db, settings)
    request_id = accepted_request(client, db, settings, caller, state="NPL")
    provider, account = linked_provider(client, db, settings, caller, capacity=1)
    assignment = offer(client, caller, request_id, provider["id"])
    url = f"{ASSIGNMENTS}/{assignment['id']}"
    etag = client.get(url, headers=account).headers["etag"]

    stale = client.post(f"{url}/{verb}", json={}, headers={**account, "If-Match": '"7"'})

    assert assert_problem(stale, 412, "precondition-failed")["current_etag"] == etag
    assert assignment_statuses(db, request_id) == ["proposed"]
    assert stage_of(db, request_id) == "accepted"
    assert assignment_events(db, assignment["id"]) == [("assignment.offered", None, "ohchr")]
    answered = client.post(f"{url}/{verb}", json={}, headers={**account, "If-Match": etag})
    assert answered.status_code == 200, answered.text
    assert answered.headers["etag"] != etag
    answered_status = {"accept": "accepted", "decline": "declined"}[verb]
    assert assignment_statuses(db, request_id) == [answered_status]
