"""Cursor pagination and `If-Match`, on the public list of the 195 States and its admin PATCH."""

import base64
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from app.states.models import State
from tests.core.test_problems import assert_problem
from tests.factories import auth, make_user

STATES = "/api/v1/states"


def walk(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    """Every page of `/states` from the first, following `next_cursor`; the pages in order."""
    pages: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(STATES, params=query)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        cursor = pages[-1]["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100, "the cursor never ends"


def codes_of(pages: list[dict[str, Any]]) -> list[str]:
    return [state["code"] for page in pages for state in page["items"]]


def cursor_of(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_walking_pages_of_50_returns_all_195_states_once_in_order(client: TestClient) -> None:
    pages = walk(client, limit=50)

    codes = codes_of(pages)
    assert len(codes) == 195
    assert codes == sorted(set(codes))
    assert [len(page["items"]) for page in pages] == [50, 50, 50, 45]


def test_the_last_page_has_no_next_cursor(client: TestClient) -> None:
    pages = walk(client, limit=50)

    assert [page["next_cursor"] is None for page in pages] == [False, False, False, True]


def test_the_default_page_size_is_50(client: TestClient) -> None:
    response = client.get(STATES)

    assert len(response.json()["items"]) == 50
    assert response.json()["next_cursor"] is not None


def test_limit_200_is_allowed_and_fits_every_state_on_one_page(client: TestClient) -> None:
    response = client.get(STATES, params={"limit": 200})

    assert response.status_code == 200
    assert len(response.json()["items"]) == 195
    assert response.json()["next_cursor"] is None


@pytest.mark.parametrize("limit", ["0", "201", "-1", "abc"])
def test_a_limit_out_of_range_or_not_a_number_is_422(client: TestClient, limit: str) -> None:
    body = assert_problem(client.get(STATES, params={"limit": limit}), 422, "validation-error")

    assert ["query", "limit"] in [error["loc"] for error in body["errors"]]


@pytest.mark.parametrize(
    ("cursor", "slug"),
    [
        pytest.param("not a cursor!", "invalid-cursor", id="garbage"),
        pytest.param("%%%", "invalid-cursor", id="not-base64"),
        pytest.param(cursor_of([1, 2]), "invalid-cursor", id="two-keys-for-one"),
        pytest.param(cursor_of({"code": "AFG"}), "invalid-cursor", id="object"),
        pytest.param(cursor_of([7]), "invalid-cursor", id="number-for-a-code"),
        pytest.param("x" * 600, "validation-error", id="too-long"),
    ],
)
def test_a_malformed_cursor_is_422_naming_the_cursor(
    client: TestClient, cursor: str, slug: str
) -> None:
    body = assert_problem(client.get(STATES, params={"cursor": cursor}), 422, slug)

    assert ["query", "cursor"] in [error["loc"] for error in body["errors"]]


def test_a_hand_made_cursor_of_the_right_shape_is_refused(client: TestClient) -> None:
    response = client.get(STATES, params={"cursor": cursor_of(["ZAF"]), "limit": 5})

    assert_problem(response, 422, "invalid-cursor")


def test_a_cursor_walks_a_list_ordered_by_time_and_id(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    for _ in range(4):
        make_user(db)
    whole = client.get("/api/v1/users", params={"limit": 200}, headers=admin_headers).json()

    ids: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/v1/users", params=params, headers=admin_headers)
        assert response.status_code == 200, response.text
        ids += [user["id"] for user in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break

    assert ids == [user["id"] for user in whole["items"]]
    assert len(ids) == len(set(ids)) >= 5


def test_is_member_true_lists_the_193_member_states(client: TestClient) -> None:
    pages = walk(client, is_member="true", limit=200)

    assert len(codes_of(pages)) == 193
    assert all(state["is_member"] for page in pages for state in page["items"])


def test_is_member_false_lists_the_two_observer_states(client: TestClient) -> None:
    pages = walk(client, is_member="false")

    assert codes_of(pages) == ["PSE", "VAT"]


def test_the_cursor_keeps_the_filter_across_pages(client: TestClient) -> None:
    whole = codes_of(walk(client, is_sids="true", limit=200))

    pages = walk(client, is_sids="true", limit=7)

    assert codes_of(pages) == whole
    assert len(pages) == -(-len(whole) // 7)
    assert all(len(page["items"]) <= 7 for page in pages)
    assert all(state["is_sids"] for page in pages for state in page["items"])


# If-Match on PATCH /states/{code}: 428 without it, 412 when stale, weak tags and `*` accepted.

FLAG = {"emerging_from_conflict": True}


@pytest.fixture
def admin_headers(db: Session, settings: Settings) -> dict[str, str]:
    return auth(settings, make_user(db, role=Role.ohchr_admin))


def stored(db: Session, code: str) -> State:
    db.expire_all()
    state = db.get(State, code)
    assert state is not None
    return state


def test_a_state_starts_at_etag_1(client: TestClient) -> None:
    assert client.get(f"{STATES}/SDN").headers["etag"] == '"1"'


def test_patch_without_if_match_is_428(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    response = client.patch(f"{STATES}/SDN", json=FLAG, headers=admin_headers)

    assert_problem(response, 428, "precondition-required")
    assert stored(db, "SDN").emerging_from_conflict is False


def test_patch_with_a_stale_etag_is_412(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    response = client.patch(
        f"{STATES}/SDN", json=FLAG, headers={**admin_headers, "If-Match": '"0"'}
    )

    body = assert_problem(response, 412, "precondition-failed")
    assert body["current_etag"] == '"1"'
    assert stored(db, "SDN").emerging_from_conflict is False
    assert stored(db, "SDN").version == 1


@pytest.mark.parametrize("if_match", ['W/"1"', "*", '"7", "1"'], ids=["weak", "star", "list"])
def test_patch_accepts_a_weak_tag_a_star_or_a_list(
    client: TestClient, db: Session, admin_headers: dict[str, str], if_match: str
) -> None:
    response = client.patch(
        f"{STATES}/SDN", json=FLAG, headers={**admin_headers, "If-Match": if_match}
    )

    assert response.status_code == 200, response.text
    assert response.json()["emerging_from_conflict"] is True
    assert stored(db, "SDN").emerging_from_conflict is True


def test_a_change_answers_with_the_next_etag(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = client.patch(
        f"{STATES}/SDN", json=FLAG, headers={**admin_headers, "If-Match": '"1"'}
    )

    assert response.headers["etag"] == '"2"'
    assert response.json()["version"] == 2


def test_get_after_a_change_shows_the_new_etag(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    client.patch(f"{STATES}/SDN", json=FLAG, headers={**admin_headers, "If-Match": '"1"'})

    assert client.get(f"{STATES}/SDN").headers["etag"] == '"2"'


def test_the_old_etag_is_stale_after_a_change(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    headers = {**admin_headers, "If-Match": '"1"'}
    client.patch(f"{STATES}/SDN", json=FLAG, headers=headers)

    response = client.patch(f"{STATES}/SDN", json={"particular_needs": True}, headers=headers)

    assert_problem(response, 412, "precondition-failed")
