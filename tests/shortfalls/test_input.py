"""What a shortfall refuses: fields the server owns, another State's recommendations, and bad
input of every kind. Each refusal is a 422 problem and writes nothing."""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from tests.core.test_problems import assert_problem
from tests.progress.support import (
    SHORTFALL,
    caller,
    make_bare_recommendation,
    make_owned,
    shortfall_body,
    stored,
)

SERVER_OWNED = {
    "state_code": "NPL",
    "stage": "submitted",
    "visibility": "public",
    "version": 9,
    "created_at": "2020-01-01T00:00:00Z",
    "id": "00000000-0000-4000-8000-000000000001",
    "resolved_on": "2024-01-01",
}


def _locations(body: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {tuple(error["loc"]) for error in body["errors"]}


def test_a_new_shortfall_refuses_every_field_the_server_owns(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    body = shortfall_body(make_bare_recommendation(db).id, **SERVER_OWNED)
    before = stored(db)

    response = client.post(SHORTFALL.url, json=body, headers=focal)

    problem = assert_problem(response, 422, "validation-error")
    assert _locations(problem) == {("body", name) for name in SERVER_OWNED}
    assert stored(db) == before


def test_an_edit_refuses_every_field_the_server_owns(
    client: TestClient, db: Session, settings: Settings
) -> None:
    draft = make_owned(db, settings, SHORTFALL)
    before = stored(db)

    response = client.patch(
        draft.url,
        json={"severity": "low", **SERVER_OWNED},
        headers={**draft.focal, "If-Match": '"1"'},
    )

    problem = assert_problem(response, 422, "validation-error")
    assert _locations(problem) == {("body", name) for name in SERVER_OWNED}
    assert stored(db) == before


def test_a_shortfall_on_another_states_recommendation_is_refused(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = caller(db, settings, Role.state_focal_point, "WSM")
    own, foreign = (
        make_bare_recommendation(db, state="WSM"),
        make_bare_recommendation(db, state="NPL"),
    )
    before = stored(db)

    response = client.post(SHORTFALL.url, json=shortfall_body(own.id, foreign.id), headers=focal)

    problem = assert_problem(response, 422, "validation-error")
    assert [(e["loc"], e["msg"]) for e in problem["errors"]] == [
        (["body", "recommendation_ids"], f"not found: {foreign.id}")
    ]
    assert stored(db) == before


def test_an_edit_to_another_states_recommendation_is_refused(
    client: TestClient, db: Session, settings: Settings
) -> None:
    draft = make_owned(db, settings, SHORTFALL, state="WSM")
    foreign = make_bare_recommendation(db, state="NPL")
    before = stored(db)

    response = client.patch(
        draft.url,
        json={"recommendation_ids": [str(foreign.id)]},
        headers={**draft.focal, "If-Match": '"1"'},
    )

    assert_problem(response, 422, "validation-error")
    assert stored(db) == before


def test_the_shortfall_belongs_to_the_callers_state(
    client: TestClient, db: Session, settings: Settings
) -> None:
    nepal = caller(db, settings, Role.state_contributor, "NPL")

    response = client.post(
        SHORTFALL.url,
        json=shortfall_body(make_bare_recommendation(db, state="NPL").id),
        headers=nepal,
    )

    assert response.status_code == 201, response.text
    assert response.json()["state_code"] == "NPL"


BAD_NEW_SHORTFALLS: dict[str, tuple[dict[str, Any], tuple[Any, ...] | None]] = {
    "unknown-barrier": ({"barrier_type": "money"}, ("body", "barrier_type")),
    "unknown-severity": ({"severity": "extreme"}, ("body", "severity")),
    "severity-null": ({"severity": None}, ("body", "severity")),
    "empty-description": ({"description": ""}, ("body", "description")),
    "description-too-long": ({"description": "x" * 20_001}, ("body", "description")),
    "no-recommendations": ({"recommendation_ids": []}, ("body", "recommendation_ids")),
    "too-many-recommendations": (
        {"recommendation_ids": [str(uuid.uuid4()) for _ in range(1001)]},
        ("body", "recommendation_ids"),
    ),
    "recommendation-not-a-uuid": (
        {"recommendation_ids": ["186.28"]},
        ("body", "recommendation_ids", 0),
    ),
    "unknown-recommendation": (
        {"recommendation_ids": [str(uuid.uuid4())]},
        ("body", "recommendation_ids"),
    ),
    "unknown-field": ({"colour": "blue"}, ("body", "colour")),
}


@pytest.mark.parametrize(
    ("change", "location"), BAD_NEW_SHORTFALLS.values(), ids=BAD_NEW_SHORTFALLS.keys()
)
def test_a_bad_new_shortfall_is_422_and_nothing_is_written(
    client: TestClient,
    db: Session,
    settings: Settings,
    change: dict[str, Any],
    location: tuple[Any, ...],
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    body = shortfall_body(make_bare_recommendation(db).id) | change
    before = stored(db)

    response = client.post(SHORTFALL.url, json=body, headers=focal)

    problem = assert_problem(response, 422, "validation-error")
    assert location in _locations(problem)
    assert stored(db) == before


def test_a_body_that_is_not_json_is_422_and_nothing_is_written(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    before = stored(db)

    response = client.post(
        SHORTFALL.url,
        content=b'{"barrier_type": "financial",',
        headers={**focal, "content-type": "application/json"},
    )

    problem = assert_problem(response, 422, "validation-error")
    assert problem["detail"] == "the request body is not valid JSON"
    assert stored(db) == before


def test_a_description_with_a_nul_character_is_422_on_every_database(
    client: TestClient, db: Session, settings: Settings
) -> None:
    """PostgreSQL cannot store U+0000 in text; SQLite can. Both must give the same answer."""
    focal = caller(db, settings, Role.state_focal_point)
    body = shortfall_body(make_bare_recommendation(db).id, description="No budget\x00 at all")
    before = stored(db)

    response = client.post(SHORTFALL.url, json=body, headers=focal)

    assert_problem(response, 422, "validation-error")
    assert stored(db) == before


BAD_EDITS: dict[str, dict[str, Any]] = {
    "unknown-barrier": {"barrier_type": "money"},
    "unknown-severity": {"severity": "extreme"},
    "empty-description": {"description": ""},
    "no-recommendations": {"recommendation_ids": []},
    "unknown-field": {"colour": "blue"},
    "severity-null": {"severity": None},
    "description-null": {"description": None},
}


@pytest.mark.parametrize("change", BAD_EDITS.values(), ids=BAD_EDITS.keys())
def test_a_bad_edit_is_422_and_the_draft_is_unchanged(
    client: TestClient, db: Session, settings: Settings, change: dict[str, Any]
) -> None:
    draft = make_owned(db, settings, SHORTFALL)
    before = stored(db)

    response = client.patch(draft.url, json=change, headers={**draft.focal, "If-Match": '"1"'})

    assert_problem(response, 422, "validation-error")
    assert stored(db) == before


@pytest.mark.parametrize(
    "query", ["barrier_type=money", "severity=extreme", "stage=archived", "resolved=perhaps"]
)
def test_a_list_filter_outside_its_vocabulary_is_422(client: TestClient, query: str) -> None:
    assert_problem(client.get(f"{SHORTFALL.url}?{query}"), 422, "validation-error")


def test_an_empty_edit_changes_nothing_not_even_the_version(
    client: TestClient, db: Session, settings: Settings
) -> None:
    draft = make_owned(db, settings, SHORTFALL)
    before = stored(db)

    response = client.patch(draft.url, json={}, headers={**draft.focal, "If-Match": '"1"'})

    assert response.status_code == 200, response.text
    assert response.json()["version"] == 1
    assert response.headers["etag"] == '"1"'
    assert stored(db) == before
