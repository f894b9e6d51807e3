"""The engine's order of checks, the same for every lifecycle: role (403), `If-Match` when sent
(412), the table (409 naming the verbs open now), the body (422); and its registry of effects."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.assistance.service import STAGE
from app.core.principal import Role
from app.core.settings import Settings
from app.lifecycle.engine import Move
from tests.core.test_problems import assert_problem
from tests.factories import auth, make_recommendation, make_user

API = "/api/v1"


def _submitted_shortfall(
    client: TestClient, db: Session, settings: Settings
) -> tuple[str, dict[str, str]]:
    focal = auth(settings, make_user(db, role=Role.state_focal_point, state="WSM"))
    recommendation = str(make_recommendation(db, state="WSM").id)
    created = client.post(
        f"{API}/shortfalls",
        json={
            "recommendation_ids": [recommendation],
            "barrier_type": "financial",
            "severity": "high",
            "description": "No budget line",
        },
        headers=focal,
    ).json()
    url = f"{API}/shortfalls/{created['id']}"
    assert client.post(f"{url}/submit", headers=focal).status_code == 200
    return url, focal


def test_the_role_is_checked_before_if_match(
    client: TestClient, db: Session, settings: Settings
) -> None:
    url, _ = _submitted_shortfall(client, db, settings)
    contributor = auth(settings, make_user(db, role=Role.state_contributor, state="WSM"))
    stale = {**contributor, "If-Match": '"99"'}
    assert_problem(client.post(f"{url}/publish", headers=stale), 403, "forbidden")


def test_if_match_is_checked_before_the_table(
    client: TestClient, db: Session, settings: Settings
) -> None:
    url, focal = _submitted_shortfall(client, db, settings)
    stale = {**focal, "If-Match": '"1"'}
    response = client.post(f"{url}/submit", headers=stale)
    assert_problem(response, 412, "precondition-failed")


def test_a_move_not_open_names_the_verbs_open_now_across_lifecycles(
    client: TestClient, db: Session, settings: Settings
) -> None:
    url, focal = _submitted_shortfall(client, db, settings)
    current = {**focal, "If-Match": client.get(url, headers=focal).headers["etag"]}
    body = assert_problem(client.post(f"{url}/submit", headers=current), 409, "illegal-transition")
    assert body["allowed"] == ["publish", "resolve"]


def test_the_table_is_checked_before_the_body(
    client: TestClient, db: Session, settings: Settings
) -> None:
    """`resolve` needs a date; on a draft it is not open at all, whatever the body."""
    focal = auth(settings, make_user(db, role=Role.state_focal_point, state="WSM"))
    recommendation = str(make_recommendation(db, state="WSM").id)
    created = client.post(
        f"{API}/shortfalls",
        json={
            "recommendation_ids": [recommendation],
            "barrier_type": "legislative",
            "severity": "low",
            "description": "No law yet",
        },
        headers=focal,
    ).json()
    response = client.post(
        f"{API}/shortfalls/{created['id']}/resolve",
        json={"resolved_on": "2026-01-01"},
        headers=focal,
    )
    assert assert_problem(response, 409, "illegal-transition")["allowed"] == ["submit"]


def test_an_effect_is_registered_once_however_often_the_app_is_wired() -> None:
    calls: list[Any] = []

    def effect(move: Move[Any]) -> None:
        calls.append(move)

    try:
        STAGE.on("complete", effect)
        STAGE.on("complete", effect)
        assert STAGE.effects["complete"].count(effect) == 1
    finally:
        STAGE.effects["complete"].remove(effect)


def test_an_effect_on_a_verb_the_table_does_not_have_is_refused() -> None:
    with pytest.raises(ValueError, match="no verb"):
        STAGE.on("publish", lambda move: None)
