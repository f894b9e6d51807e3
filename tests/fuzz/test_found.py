"""What the contract fuzzer found, pinned down one scenario at a time."""

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.fuzz.world import World

API = "/api/v1"


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def test_nul_in_a_search_is_refused_not_sent_to_the_database(fuzz_client: TestClient) -> None:
    response = fuzz_client.get(f"{API}/recommendations", params={"q": "tor\x00ture"})
    assert _problem(response, 422)["errors"] == [
        {
            "loc": ["query", "q"],
            "msg": "text must not contain NUL characters",
            "type": "value_error",
        },
    ]


def test_nul_in_a_sign_in_form_is_refused(fuzz_client: TestClient) -> None:
    form = {"grant_type": "password", "username": "a\x00@example.org", "password": "x" * 12}
    body = _problem(fuzz_client.post(f"{API}/auth/token", data=form), 422)
    assert body["errors"][0]["loc"] == ["body", "username"]


def test_an_unknown_query_parameter_is_refused_as_unknown_even_with_nul(
    fuzz_client: TestClient,
) -> None:
    body = _problem(fuzz_client.get("/healthz", params={"x": "\x00"}), 422)
    assert body["errors"] == [
        {"loc": ["query", "x"], "msg": "unknown query parameter", "type": "extra_forbidden"}
    ]


def test_admin_giving_an_account_an_unknown_state_is_422(
    fuzz_client: TestClient, world: World
) -> None:
    response = fuzz_client.patch(
        f"{API}/users/{world.users['state_contributor']}",
        json={"state_code": "cat"},
        headers=world.headers("ohchr_admin") | {"If-Match": "*"},
    )
    assert "unknown State code CAT" in _problem(response, 422)["detail"]


def test_null_role_is_refused(fuzz_client: TestClient, world: World) -> None:
    response = fuzz_client.patch(
        f"{API}/users/{world.users['ohchr_officer']}",
        json={"role": None},
        headers=world.headers("ohchr_admin") | {"If-Match": "*"},
    )
    assert "role cannot be null" in str(_problem(response, 422)["errors"])


@pytest.mark.parametrize(
    "flags",
    [{"particular_needs": 0}, {"particular_needs": "true"}, {"emerging_from_conflict": 1}],
)
def test_a_flag_is_true_or_false_not_a_number_or_text(
    fuzz_client: TestClient, world: World, flags: dict[str, object]
) -> None:
    admin = world.headers("ohchr_admin") | {"If-Match": "*"}
    _problem(fuzz_client.patch(f"{API}/states/NPL", json=flags, headers=admin), 422)


def _provider(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": "Adviser",
        "kind": "human_rights_adviser",
        "languages": ["en"],
        "modalities": ["remote"],
    }
    return body | overrides


@pytest.mark.parametrize("day", [0, "0", 1_700_000_000, "2025-01-01T00:00:00"])
def test_a_date_is_written_yyyy_mm_dd(fuzz_client: TestClient, world: World, day: object) -> None:
    body = _provider(availability=[{"start": day, "end": "2030-12-31"}])
    officer = world.headers("ohchr_officer")
    _problem(fuzz_client.post(f"{API}/providers", json=body, headers=officer), 422)


def test_a_count_is_a_number_not_text(fuzz_client: TestClient, world: World) -> None:
    officer = world.headers("ohchr_officer")
    response = fuzz_client.post(f"{API}/providers", json=_provider(capacity="2"), headers=officer)
    _problem(response, 422)


def test_since_is_a_time_not_a_number(fuzz_client: TestClient, world: World) -> None:
    admin = world.headers("ohchr_admin")
    events = f"{API}/audit-events"
    _problem(fuzz_client.get(events, params={"since": "0"}, headers=admin), 422)
    since = {"since": "2025-01-01T00:00:00Z"}
    assert fuzz_client.get(events, params=since, headers=admin).status_code == 200


def test_a_replayed_client_creation_keeps_to_its_schema(
    fuzz_client: TestClient, world: World
) -> None:
    admin = world.headers("ohchr_admin") | {"Idempotency-Key": "k-1"}
    body = {"name": "Portal", "role": "ohchr_officer"}
    first = fuzz_client.post(f"{API}/api-clients", json=body, headers=admin)
    again = fuzz_client.post(f"{API}/api-clients", json=body, headers=admin)
    assert first.status_code == again.status_code == 201
    assert first.json()["client_secret"]
    assert "client_secret" not in again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
