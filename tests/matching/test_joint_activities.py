"""`GET /joint-activity-proposals`: one regional activity instead of separate missions when
States of one area ask for the same help, at the same time, in a language they share."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from tests.core.test_problems import assert_problem
from tests.matching.support import (
    ASSIGNMENTS,
    JOINT,
    Headers,
    Json,
    create_provider,
    headers_for,
    offer,
    officer,
    provider_account,
    stored_request,
)

Q1: Json = {"window_start": "2030-01-01", "window_end": "2030-03-31"}
FEB_TO_APRIL: Json = {"window_start": "2030-02-01", "window_end": "2030-04-30"}
SUMMER: Json = {"window_start": "2030-06-01", "window_end": "2030-08-31"}


def proposals(client: TestClient, headers: Headers) -> list[Json]:
    response = client.get(JOINT, headers=headers)
    assert response.status_code == 200, response.text
    items: list[Json] = response.json()["items"]
    return items


def groups(client: TestClient, headers: Headers) -> list[set[str]]:
    return [{str(r) for r in item["request_ids"]} for item in proposals(client, headers)]


def test_states_of_one_subregion_asking_alike_form_one_group(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    nepal = stored_request(db, state="NPL", languages=["en", "ne"])
    bangladesh = stored_request(db, state="BGD", languages=["bn", "en"], **FEB_TO_APRIL)
    everyone = create_provider(client, caller)
    not_this_type = create_provider(client, caller, assistance_types=["legislative_review"])
    nepal_itself = create_provider(client, caller, kind="peer_state", home_state_code="NPL")
    only_april = create_provider(
        client, caller, availability=[{"start": "2030-04-01", "end": "2030-04-30"}]
    )

    found = proposals(client, caller)

    assert len(found) == 1
    group = found[0]
    assert set(group["request_ids"]) == {nepal, bangladesh}
    assert group["state_codes"] == ["BGD", "NPL"]
    assert (group["region"], group["assistance_type"]) == ("Southern Asia", "training_of_officials")
    assert (group["window_start"], group["window_end"]) == ("2030-02-01", "2030-03-31")
    assert group["languages"] == ["en"]
    assert everyone["id"] in group["provider_ids"]
    for unable in (not_this_type, nepal_itself, only_april):
        assert unable["id"] not in group["provider_ids"]


def test_requests_of_one_state_alone_are_not_a_joint_activity(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    for _ in range(2):
        stored_request(db, state="NPL")
    assert proposals(client, caller) == []


def test_windows_that_do_not_overlap_are_not_joined(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    stored_request(db, state="NPL", **Q1)
    stored_request(db, state="BGD", **SUMMER)
    assert proposals(client, caller) == []


def test_requests_without_a_shared_language_are_not_joined(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    stored_request(db, state="NPL", languages=["en"])
    stored_request(db, state="BGD", languages=["bn"])
    assert proposals(client, caller) == []


def test_a_different_assistance_type_does_not_join(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    nepal = stored_request(db, state="NPL")
    stored_request(db, state="BGD", assistance_type="legislative_review")
    india = stored_request(db, state="IND")
    assert groups(client, caller) == [{nepal, india}]


def test_matched_requests_are_left_out(client: TestClient, db: Session, settings: Settings) -> None:
    caller = officer(db, settings)
    account, account_headers = provider_account(db, settings)
    provider = create_provider(client, caller, user_id=str(account.id))
    stored_request(db, state="NPL")
    bangladesh = stored_request(db, state="BGD")
    assert len(proposals(client, caller)) == 1
    assignment = offer(client, caller, bangladesh, provider["id"])
    url = f"{ASSIGNMENTS}/{assignment['id']}/accept"
    assert client.post(url, json={}, headers=account_headers).status_code == 200
    assert proposals(client, caller) == []


def test_states_of_different_subregions_group_at_region_level(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    nepal = stored_request(db, state="NPL")  # Southern Asia
    china = stored_request(db, state="CHN")  # Eastern Asia
    stored_request(db, state="WSM")  # Oceania: not joined
    found = proposals(client, caller)
    assert [(set(g["request_ids"]), g["region"]) for g in found] == [({nepal, china}, "Asia")]


def test_a_subregion_group_is_preferred_to_a_region_group(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    nepal = stored_request(db, state="NPL")
    india = stored_request(db, state="IND")
    china = stored_request(db, state="CHN")
    mongolia = stored_request(db, state="MNG")
    found = {frozenset(g["request_ids"]): g["region"] for g in proposals(client, caller)}
    assert found == {
        frozenset({nepal, india}): "Southern Asia",
        frozenset({china, mongolia}): "Eastern Asia",
    }


def test_a_request_in_another_language_does_not_split_a_group(
    client: TestClient, db: Session, settings: Settings
) -> None:
    """Bug: `_overlapping_groups` sweeps by window start and restarts the group at the first
    request that shares no language with it: a Bengali-only request from Bangladesh starting
    between two English requests from Nepal and India breaks them apart, and no group is
    proposed although Nepal and India share English and a window
    (app/matching/service.py, `_overlapping_groups`)."""
    caller = officer(db, settings)
    nepal = stored_request(db, state="NPL", window_start="2030-01-01")
    stored_request(db, state="BGD", languages=["bn"], window_start="2030-01-10")
    india = stored_request(db, state="IND", window_start="2030-01-20")
    assert groups(client, caller) == [{nepal, india}]


def test_only_ohchr_reads_joint_activity_proposals(
    client: TestClient, db: Session, settings: Settings
) -> None:
    for role in (Role.state_focal_point, Role.provider):
        caller = headers_for(db, settings, role, "NPL")
        assert_problem(client.get(JOINT, headers=caller), 403, "forbidden")
