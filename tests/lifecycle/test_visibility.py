"""Who sees what, as one matrix: for every kind of object a State submits, at every point of
its publication, for every kind of caller, a get and a list agree with the one rule
(DESIGN.md section 4), and no caller sees less than an anonymous one.

    own State (focal point, contributor): everything, drafts included
    OHCHR (officer, administrator):       submitted and published
    everyone else (another State, a provider, anonymous): published only
"""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from tests.factories import auth, make_recommendation, make_user

API = "/api/v1"
POINTS = ("draft", "submitted", "published")
CALLERS = (
    "own focal point",
    "own contributor",
    "another State",
    "officer",
    "administrator",
    "provider",
    "anonymous",
)
SEES = {
    "draft": {"own focal point", "own contributor"},
    "submitted": {"own focal point", "own contributor", "officer", "administrator"},
    "published": set(CALLERS),
}


def _report(recommendation: str) -> dict[str, Any]:
    return {
        "recommendation_ids": [recommendation],
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "status": "in_progress",
    }


def _shortfall(recommendation: str) -> dict[str, Any]:
    return {
        "recommendation_ids": [recommendation],
        "barrier_type": "financial",
        "severity": "high",
        "description": "No budget line",
    }


def _request(recommendation: str) -> dict[str, Any]:
    return {
        "title": "Training of officials",
        "recommendation_ids": [recommendation],
        "assistance_type": "training_of_officials",
        "languages": ["en"],
        "modality": "remote",
        "window_start": "2030-01-01",
        "window_end": "2030-06-30",
        "urgency": "high",
    }


KINDS: dict[str, tuple[str, Callable[[str], dict[str, Any]]]] = {
    "progress report": ("/progress-reports", _report),
    "shortfall": ("/shortfalls", _shortfall),
    "assistance request": ("/assistance-requests", _request),
}


def _callers(db: Session, settings: Settings) -> dict[str, dict[str, str]]:
    def user(role: Role, state: str | None = None) -> dict[str, str]:
        return auth(settings, make_user(db, role=role, state=state))

    return {
        "own focal point": user(Role.state_focal_point, "WSM"),
        "own contributor": user(Role.state_contributor, "WSM"),
        "another State": user(Role.state_focal_point, "NPL"),
        "officer": user(Role.ohchr_officer),
        "administrator": user(Role.ohchr_admin),
        "provider": user(Role.provider),
        "anonymous": {},
    }


@pytest.mark.parametrize("kind", list(KINDS))
def test_gets_and_lists_follow_the_one_rule_for_every_caller(
    client: TestClient, db: Session, settings: Settings, kind: str
) -> None:
    path, body = KINDS[kind]
    callers = _callers(db, settings)
    focal = callers["own focal point"]
    recommendation = str(make_recommendation(db, state="WSM").id)
    made: dict[str, str] = {}
    for point in POINTS:
        created = client.post(f"{API}{path}", json=body(recommendation), headers=focal)
        assert created.status_code == 201, created.text
        made[point] = created.json()["id"]
        verbs = {"draft": [], "submitted": ["submit"], "published": ["submit", "publish"]}[point]
        for verb in verbs:
            moved = client.post(f"{API}{path}/{made[point]}/{verb}", headers=focal)
            assert moved.status_code == 200, moved.text

    seen: dict[str, set[str]] = {}
    for caller, headers in callers.items():
        listed = client.get(f"{API}{path}", params={"state": "WSM", "limit": 200}, headers=headers)
        assert listed.status_code == 200, (caller, listed.text)
        in_list = {item["id"] for item in listed.json()["items"]}
        got = set()
        for point, object_id in made.items():
            status = client.get(f"{API}{path}/{object_id}", headers=headers).status_code
            assert status in (200, 404), (caller, point, status)
            if status == 200:
                got.add(point)
        assert {p for p, i in made.items() if i in in_list} == got, (caller, "get and list")
        assert got == {p for p in POINTS if caller in SEES[p]}, caller
        seen[caller] = got

    assert all(seen["anonymous"] <= points for points in seen.values())


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_public_filter_lists_what_everyone_sees(
    client: TestClient, db: Session, settings: Settings, kind: str
) -> None:
    """`?visibility=public` is the same list for every caller, signed in or not."""
    path, body = KINDS[kind]
    callers = _callers(db, settings)
    focal = callers["own focal point"]
    recommendation = str(make_recommendation(db, state="WSM").id)
    made = {}
    for point, verbs in (
        ("draft", []),
        ("submitted", ["submit"]),
        ("published", ["submit", "publish"]),
    ):
        made[point] = client.post(f"{API}{path}", json=body(recommendation), headers=focal).json()[
            "id"
        ]
        for verb in verbs:
            assert (
                client.post(f"{API}{path}/{made[point]}/{verb}", headers=focal).status_code == 200
            )

    for caller, headers in callers.items():
        listed = client.get(f"{API}{path}", params={"visibility": "public"}, headers=headers)
        assert listed.status_code == 200, (caller, listed.text)
        assert [item["id"] for item in listed.json()["items"]] == [made["published"]], caller


WRITES = {
    "progress report": ["submit", "publish", "unpublish"],
    "shortfall": ["submit", "publish", "unpublish", "resolve"],
    "assistance request": ["submit", "withdraw", "provide-info", "publish", "unpublish"],
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_another_states_published_object_is_read_only_to_it(
    client: TestClient, db: Session, settings: Settings, kind: str
) -> None:
    """Reading a published object is open to all; changing it stays its own State's: to any
    other State every write is 404, as if the object were not there, and nothing changes."""
    path, body = KINDS[kind]
    callers = _callers(db, settings)
    focal = callers["own focal point"]
    recommendation = str(make_recommendation(db, state="WSM").id)
    object_id = client.post(f"{API}{path}", json=body(recommendation), headers=focal).json()["id"]
    for verb in ("submit", "publish"):
        assert client.post(f"{API}{path}/{object_id}/{verb}", headers=focal).status_code == 200
    before = client.get(f"{API}{path}/{object_id}", headers=focal).json()
    other = callers["another State"]
    etag = {"If-Match": f'"{before["version"]}"'}

    answers = {
        "PATCH": client.patch(
            f"{API}{path}/{object_id}", json={}, headers={**other, **etag}
        ).status_code,
        **{
            verb: client.post(
                f"{API}{path}/{object_id}/{verb}",
                json={"message": "m", "reason": "r", "resolved_on": "2026-01-01"}
                if verb == "resolve"
                else {"message": "m", "reason": "r"},
                headers=other,
            ).status_code
            for verb in WRITES[kind]
        },
    }
    if kind != "assistance request":
        answers["DELETE"] = client.delete(
            f"{API}{path}/{object_id}", headers={**other, **etag}
        ).status_code

    assert answers == dict.fromkeys(answers, 404)
    assert client.get(f"{API}{path}/{object_id}", headers=focal).json() == before
