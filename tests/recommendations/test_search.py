"""Finding recommendations: every filter, combined, and full text on both databases."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.recommendations.models import Recommendation
from tests.core.test_problems import assert_problem
from tests.factories import make_recommendation


def _ids(client: TestClient, **params: object) -> set[str]:
    response = client.get("/api/v1/recommendations", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


@pytest.fixture
def catalogue(db: Session) -> dict[str, Recommendation]:
    return {
        "torture": make_recommendation(
            db,
            state="WSM",
            text="Ratify the Optional Protocol to the Convention against Torture",
            recommending=("NZL", "AUS"),
            position="supported",
            cycle=2,
            session=25,
            themes=(("A12", "Acceptance of international norms"), ("D25", "Torture")),
            persons=("persons deprived of their liberty",),
            sdgs=("16.3",),
            document_symbol="A/HRC/33/6",
            paragraph="110.12",
        ),
        "girls": make_recommendation(
            db,
            state="WSM",
            text="Strengthen measures to keep girls in secondary schools",
            recommending=("FRA",),
            position="noted",
            cycle=3,
            session=39,
            themes=((None, "Right to education"),),
            persons=("women and girls",),
            sdgs=("4", "5.1"),
            document_symbol="A/HRC/48/12",
            paragraph="110.12",
        ),
        "crc": make_recommendation(
            db,
            state="NPL",
            text="Raise the minimum age of criminal responsibility",
            mechanism="crc",
            body="CRC",
            cycle=None,
            session=None,
            position=None,
            recommending=(),
            themes=(("D51", "Administration of justice"),),
            persons=("children",),
            sdgs=("16.2", "16.3"),
        ),
    }


def test_anonymous_callers_read_the_catalogue(
    client: TestClient, catalogue: dict[str, Recommendation]
) -> None:
    one = client.get(f"/api/v1/recommendations/{catalogue['torture'].id}")
    assert one.status_code == 200
    body = one.json()
    assert body["recommending_states"] == ["AUS", "NZL"]
    assert {
        "code": "A12",
        "name": "Acceptance of international norms",
        "source_label": None,
    } in body["themes"]
    assert body["sdg_targets"] == ["16.3"]
    assert body["affected_persons"] == ["persons deprived of their liberty"]
    assert body["source"]["format"] == "test"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"state": "WSM"}, {"torture", "girls"}),
        ({"state": "npl"}, {"crc"}),
        ({"mechanism": "crc"}, {"crc"}),
        ({"body": "upr"}, {"torture", "girls"}),
        ({"cycle": 3}, {"girls"}),
        ({"session": 25}, {"torture"}),
        ({"position": "noted"}, {"girls"}),
        ({"theme": "A12"}, {"torture"}),
        ({"theme": "right to EDUCATION"}, {"girls"}),
        ({"affected_person": "Children"}, {"crc"}),
        ({"sdg": "16"}, {"torture", "crc"}),
        ({"sdg": "16.2"}, {"crc"}),
        ({"sdg": "4"}, {"girls"}),
        ({"sdg": "5"}, {"girls"}),
        ({"recommending_state": "AUS"}, {"torture"}),
        ({"state": "WSM", "position": "supported", "theme": "D25"}, {"torture"}),
        ({"state": "NPL", "sdg": "4"}, set()),
        ({"document_symbol": "A/HRC/33/6"}, {"torture"}),
        ({"document_symbol": "A/HRC/33"}, set()),
        ({"paragraph": "110.12"}, {"torture", "girls"}),
        ({"paragraph": "110.1"}, set()),
        ({"document_symbol": "A/HRC/48/12", "paragraph": "110.12"}, {"girls"}),
        ({"state": "NPL", "paragraph": "110.12"}, set()),
    ],
)
def test_filters_select_exactly_the_matching_recommendations(
    client: TestClient,
    catalogue: dict[str, Recommendation],
    params: dict[str, object],
    expected: set[str],
) -> None:
    assert _ids(client, **params) == {str(catalogue[name].id) for name in expected}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("torture", {"torture"}),
        ("ratifying protocols", {"torture"}),
        ("girls school", {"girls"}),
        ("criminal age", {"crc"}),
        ("girls torture", set()),
        ('"minimum age"', {"crc"}),
        ("%_*'", set()),
    ],
)
def test_full_text_matches_every_word_stemmed(
    client: TestClient, catalogue: dict[str, Recommendation], query: str, expected: set[str]
) -> None:
    assert _ids(client, q=query) == {str(catalogue[name].id) for name in expected}


def test_full_text_combines_with_filters(
    client: TestClient, catalogue: dict[str, Recommendation]
) -> None:
    assert _ids(client, q="ratify", state="NPL") == set()
    assert _ids(client, q="ratify", state="WSM") == {str(catalogue["torture"].id)}


def test_pages_walk_the_whole_result(client: TestClient, db: Session) -> None:
    made = {str(make_recommendation(db, text=f"Recommendation number {i}").id) for i in range(7)}
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, "q": "recommendation number"} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/recommendations", params=params).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == made


@pytest.mark.parametrize(
    "params",
    [
        {"mechanism": "unknown"},
        {"position": "accepted"},
        {"sdg": "16.x9"},
        {"cycle": 0},
        {"state": "TOOLONG"},
        {"q": "x" * 501},
        {"paragraph": ""},
        {"paragraph": "1" * 21},
        {"document_symbol": "A" * 81},
    ],
)
def test_bad_filters_are_422(client: TestClient, params: dict[str, object]) -> None:
    assert_problem(client.get("/api/v1/recommendations", params=params), 422, "validation-error")


def test_unknown_recommendation_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/recommendations/00000000-0000-0000-0000-000000000000")
    assert_problem(response, 404, "not-found")
