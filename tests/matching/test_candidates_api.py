"""`GET /assistance-requests/{id}/candidates`: who can serve, best first, with the reasons."""

import math
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from app.matching.scoring import WEIGHTS
from tests.core.test_problems import assert_problem
from tests.matching.support import (
    REQUESTS,
    Headers,
    Json,
    create_provider,
    headers_for,
    offer,
    officer,
    stored_request,
)

# The request's window, 2030-01-01 to 2030-03-31, is 90 days.
HALF_THE_WINDOW = [{"start": "2029-06-01", "end": "2030-02-14"}]


def candidates(client: TestClient, headers: Headers, request_id: str) -> list[Json]:
    response = client.get(f"{REQUESTS}/{request_id}/candidates", headers=headers)
    assert response.status_code == 200, response.text
    items: list[Json] = response.json()["items"]
    return items


def test_candidates_are_ranked_with_their_reasons(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    request_id = stored_request(db, state="NPL")
    in_country = create_provider(client, caller, states_covered=["NPL"])
    regional = create_provider(
        client,
        caller,
        assistance_types=["legislative_review", "training_of_officials"],
        regions_covered=["Southern Asia"],
        availability=HALF_THE_WINDOW,
    )
    peer = create_provider(client, caller, kind="peer_state", home_state_code="IND")

    ranked = candidates(client, caller, request_id)

    assert [c["provider_id"] for c in ranked] == [in_country["id"], peer["id"], regional["id"]]
    for candidate in ranked:
        assert set(candidate["reasons"]) == set(WEIGHTS)
        assert math.isclose(candidate["score"], sum(candidate["reasons"].values()), abs_tol=1e-12)
        assert 0 <= candidate["score"] <= 1
    assert ranked[0]["score"] == pytest.approx(1.0)
    assert ranked[1]["reasons"]["geography"] == pytest.approx(0.15 * 0.3)  # remote only
    assert ranked[2]["reasons"] == pytest.approx(
        {
            "assistance_type": 0.2,
            "languages": 0.15,
            "thematic": 0.15,
            "sdg_targets": 0.1,
            "geography": 0.15 * 0.6,
            "availability": 0.1 * 0.5,
            "modality": 0.05,
            "capacity": 0.1,
        }
    )


def test_providers_breaking_a_hard_constraint_are_not_candidates(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    request_id = stored_request(db, state="NPL")
    other_request = stored_request(db, state="WSM")
    able = create_provider(client, caller)
    busy = create_provider(client, caller, capacity=1)
    offer(client, caller, other_request, busy["id"])
    excluded = {
        "wrong language": create_provider(client, caller, languages=["fr", "es"]),
        "wrong type": create_provider(client, caller, assistance_types=["nmrf_support"]),
        "no capacity": create_provider(client, caller, capacity=0),
        "capacity taken": busy,
        "window missed": create_provider(
            client, caller, availability=[{"start": "2030-04-01", "end": "2030-12-31"}]
        ),
        "modality": create_provider(client, caller, modalities=["remote", "regional"]),
        "peer State itself": create_provider(
            client, caller, kind="peer_state", home_state_code="NPL"
        ),
        "inactive": create_provider(client, caller, is_active=False),
    }

    ranked = {c["provider_id"] for c in candidates(client, caller, request_id)}

    assert able["id"] in ranked
    assert {name for name, p in excluded.items() if p["id"] in ranked} == set()


def test_a_peer_state_is_a_candidate_for_other_states(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    peer = create_provider(client, caller, kind="peer_state", home_state_code="NPL")
    own = stored_request(db, state="NPL")
    other = stored_request(db, state="BGD")
    assert peer["id"] not in {c["provider_id"] for c in candidates(client, caller, own)}
    assert peer["id"] in {c["provider_id"] for c in candidates(client, caller, other)}


@pytest.mark.parametrize("role", [Role.state_focal_point, Role.provider])
def test_only_ohchr_sees_candidates(
    client: TestClient, db: Session, settings: Settings, role: Role
) -> None:
    caller = officer(db, settings)
    request_id = stored_request(db, state="NPL")
    create_provider(client, caller)
    other = headers_for(db, settings, role, "NPL")
    response = client.get(f"{REQUESTS}/{request_id}/candidates", headers=other)
    assert_problem(response, 403, "forbidden")


def test_candidates_of_an_unknown_request_are_404(
    client: TestClient, db: Session, settings: Settings
) -> None:
    response = client.get(f"{REQUESTS}/{uuid.uuid4()}/candidates", headers=officer(db, settings))
    assert_problem(response, 404, "not-found")
