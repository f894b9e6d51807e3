"""What the contract fuzzer found, pinned down one scenario at a time."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import Role
from app.core.settings import Settings
from tests.factories import auth, make_user

API = "/api/v1"


def _problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    return body


def test_nul_in_a_search_is_refused_not_sent_to_the_database(client: TestClient) -> None:
    body = _problem(client.get(f"{API}/recommendations", params={"q": "tor\x00ture"}), 422)
    assert body["errors"] == [
        {
            "loc": ["query", "q"],
            "msg": "text must not contain NUL characters",
            "type": "value_error",
        }
    ]


def test_nul_in_a_sign_in_form_is_refused(client: TestClient) -> None:
    form = {"grant_type": "password", "username": "a\x00@example.org", "password": "x" * 12}
    body = _problem(client.post(f"{API}/auth/token", data=form), 422)
    assert body["errors"][0]["loc"] == ["body", "username"]  # type: ignore[index]


def test_an_unknown_query_parameter_is_ignored_even_with_nul(client: TestClient) -> None:
    assert client.get("/healthz", params={"x": "\x00"}).status_code == 200


def test_admin_giving_an_account_an_unknown_state_is_422(
    client: TestClient, db: Session, settings: Settings
) -> None:
    admin = make_user(db, role=Role.ohchr_admin)
    user = make_user(db, role=Role.state_contributor, state="WSM")
    response = client.patch(
        f"{API}/users/{user.id}",
        json={"state_code": "cat"},
        headers=auth(settings, admin) | {"If-Match": "*"},
    )
    assert "unknown State code CAT" in str(_problem(response, 422)["detail"])


def test_null_role_is_refused(client: TestClient, db: Session, settings: Settings) -> None:
    admin = make_user(db, role=Role.ohchr_admin)
    user = make_user(db, role=Role.ohchr_officer)
    response = client.patch(
        f"{API}/users/{user.id}",
        json={"role": None},
        headers=auth(settings, admin) | {"If-Match": "*"},
    )
    assert "role cannot be null" in str(_problem(response, 422)["errors"])


@pytest.mark.parametrize(
    "flags",
    [{"particular_needs": 0}, {"particular_needs": "true"}, {"emerging_from_conflict": 1}],
)
def test_a_flag_is_true_or_false_not_a_number_or_text(
    client: TestClient, db: Session, settings: Settings, flags: dict[str, object]
) -> None:
    admin = auth(settings, make_user(db, role=Role.ohchr_admin))
    response = client.patch(f"{API}/states/NPL", json=flags, headers=admin | {"If-Match": "*"})
    _problem(response, 422)


@pytest.mark.parametrize("day", [0, "0", 1_700_000_000, "2025-01-01T00:00:00"])
def test_a_date_is_written_yyyy_mm_dd(
    client: TestClient, db: Session, settings: Settings, day: object
) -> None:
    officer = auth(settings, make_user(db, role=Role.ohchr_officer))
    body = {
        "name": "Adviser",
        "kind": "human_rights_adviser",
        "languages": ["en"],
        "modalities": ["remote"],
        "capacity": 1,
        "availability": [{"start": day, "end": "2030-12-31"}],
    }
    _problem(client.post(f"{API}/providers", json=body, headers=officer), 422)


def test_a_count_is_a_number_not_text(client: TestClient, db: Session, settings: Settings) -> None:
    officer = auth(settings, make_user(db, role=Role.ohchr_officer))
    body = {"name": "Adviser", "kind": "human_rights_adviser", "capacity": "2"}
    body |= {"languages": ["en"], "modalities": ["remote"]}
    _problem(client.post(f"{API}/providers", json=body, headers=officer), 422)


def test_since_is_a_time_not_a_number(client: TestClient, db: Session, settings: Settings) -> None:
    admin = auth(settings, make_user(db, role=Role.ohchr_admin))
    _problem(client.get(f"{API}/audit-events", params={"since": "0"}, headers=admin), 422)
    ok = client.get(f"{API}/audit-events", params={"since": "2025-01-01T00:00:00Z"}, headers=admin)
    assert ok.status_code == 200


def test_a_replayed_client_creation_keeps_to_its_schema(
    client: TestClient, db: Session, settings: Settings
) -> None:
    admin = auth(settings, make_user(db, role=Role.ohchr_admin)) | {"Idempotency-Key": "k-1"}
    body = {"name": "Portal", "role": "ohchr_officer"}
    first = client.post(f"{API}/api-clients", json=body, headers=admin)
    again = client.post(f"{API}/api-clients", json=body, headers=admin)
    assert first.status_code == again.status_code == 201
    assert first.json()["client_secret"]
    assert "client_secret" not in again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
