"""A provider sees its own offers and the requests behind them, nothing else, and never
OHCHR's working data; it answers only its own offers, once."""

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from tests.core.test_problems import assert_problem
from tests.matching.support import (
    ASSIGNMENTS,
    OFFICER_ONLY_KEYS,
    REQUESTS,
    Headers,
    Json,
    assignment_statuses,
    create_provider,
    headers_for,
    keys_anywhere,
    offer,
    officer,
    provider_account,
    stage_of,
    stored_request,
)


@dataclass
class Two:
    """Two providers with accounts, each offered one request; a third request offered to
    nobody."""

    officer: Headers
    mine: Headers
    theirs: Headers
    my_request: str
    their_request: str
    unoffered: str
    my_offer: Json
    their_offer: Json


@pytest.fixture
def two(client: TestClient, db: Session, settings: Settings) -> Two:
    caller = officer(db, settings)
    accounts = [provider_account(db, settings) for _ in range(2)]
    providers = [create_provider(client, caller, user_id=str(a.id)) for a, _ in accounts]
    requests = [stored_request(db, state=s) for s in ("NPL", "BGD")]
    unoffered = stored_request(db, state="WSM")
    offers = [offer(client, caller, r, p["id"]) for r, p in zip(requests, providers, strict=True)]
    return Two(
        officer=caller,
        mine=accounts[0][1],
        theirs=accounts[1][1],
        my_request=requests[0],
        their_request=requests[1],
        unoffered=unoffered,
        my_offer=offers[0],
        their_offer=offers[1],
    )


def listed(client: TestClient, url: str, headers: Headers) -> list[str]:
    response = client.get(url, params={"limit": 200}, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_a_provider_sees_only_its_own_assignments(client: TestClient, two: Two) -> None:
    assert listed(client, ASSIGNMENTS, two.mine) == [two.my_offer["id"]]
    assert listed(client, ASSIGNMENTS, two.theirs) == [two.their_offer["id"]]
    mine = client.get(f"{ASSIGNMENTS}/{two.my_offer['id']}", headers=two.mine)
    assert mine.status_code == 200 and mine.json()["request_id"] == two.my_request
    theirs = client.get(f"{ASSIGNMENTS}/{two.their_offer['id']}", headers=two.mine)
    assert_problem(theirs, 404, "not-found")


def test_officers_see_every_assignment_and_request(client: TestClient, two: Two) -> None:
    offers = {two.my_offer["id"], two.their_offer["id"]}
    assert offers <= set(listed(client, ASSIGNMENTS, two.officer))
    seen = client.get(f"{ASSIGNMENTS}/{two.their_offer['id']}", headers=two.officer)
    assert seen.status_code == 200
    every = set(listed(client, REQUESTS, two.officer))
    assert {two.my_request, two.their_request, two.unoffered} <= every
    shown = client.get(f"{REQUESTS}/{two.my_request}", headers=two.officer).json()
    assert "priority" in shown


def test_a_provider_reads_only_the_requests_offered_to_it(client: TestClient, two: Two) -> None:
    own = client.get(f"{REQUESTS}/{two.my_request}", headers=two.mine)
    assert own.status_code == 200, own.text
    assert keys_anywhere(own.json()) & OFFICER_ONLY_KEYS == set()
    for hidden in (two.their_request, two.unoffered):
        assert_problem(client.get(f"{REQUESTS}/{hidden}", headers=two.mine), 404, "not-found")
    assert listed(client, REQUESTS, two.mine) == [two.my_request]
    page = client.get(REQUESTS, headers=two.mine).json()
    assert keys_anywhere(page) & OFFICER_ONLY_KEYS == set()


def test_a_provider_cannot_answer_another_providers_offer(
    client: TestClient, db: Session, two: Two
) -> None:
    for verb in ("accept", "decline"):
        response = client.post(
            f"{ASSIGNMENTS}/{two.their_offer['id']}/{verb}", json={}, headers=two.mine
        )
        assert_problem(response, 404, "not-found")
    assert assignment_statuses(db, two.their_request) == ["proposed"]
    assert stage_of(db, two.their_request) == "accepted"


@pytest.mark.parametrize(("first", "second"), [("accept", "decline"), ("decline", "decline")])
def test_a_provider_answers_an_offer_once(
    client: TestClient, db: Session, two: Two, first: str, second: str
) -> None:
    url = f"{ASSIGNMENTS}/{two.my_offer['id']}"
    assert client.post(f"{url}/{first}", json={}, headers=two.mine).status_code == 200
    again = client.post(f"{url}/{second}", json={}, headers=two.mine)
    assert assert_problem(again, 409, "illegal-transition")["allowed"] == []
    expected = "accepted" if first == "accept" else "declined"
    assert assignment_statuses(db, two.my_request) == [expected]
    assert stage_of(db, two.my_request) == ("matched" if first == "accept" else "accepted")


def test_a_provider_account_with_no_roster_entry_sees_nothing(
    client: TestClient, db: Session, settings: Settings, two: Two
) -> None:
    _, stranger = provider_account(db, settings)
    assert listed(client, ASSIGNMENTS, stranger) == []
    assert listed(client, REQUESTS, stranger) == []
    response = client.get(f"{ASSIGNMENTS}/{two.my_offer['id']}", headers=stranger)
    assert_problem(response, 404, "not-found")


def test_only_provider_accounts_answer_offers_and_states_read_none(
    client: TestClient, db: Session, settings: Settings, two: Two
) -> None:
    url = f"{ASSIGNMENTS}/{two.my_offer['id']}"
    for role in (Role.ohchr_officer, Role.ohchr_admin, Role.state_focal_point):
        caller = headers_for(db, settings, role, "NPL")
        assert_problem(client.post(f"{url}/accept", json={}, headers=caller), 403, "forbidden")
    focal = headers_for(db, settings, Role.state_focal_point, "NPL")
    assert_problem(client.get(ASSIGNMENTS, headers=focal), 403, "forbidden")
    assert_problem(client.get(url, headers=focal), 403, "forbidden")
    assert assignment_statuses(db, two.my_request) == ["proposed"]
