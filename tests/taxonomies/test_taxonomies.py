"""Vocabularies: fixed lists from the design, and the SDGs in the six UN languages."""

import pytest
from fastapi.testclient import TestClient

from app.taxonomies.service import negotiate_language
from tests.core.test_problems import assert_problem


def _items(client: TestClient, kind: str, **headers: str) -> list[dict[str, str]]:
    response = client.get(f"/api/v1/taxonomies/{kind}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def test_all_169_targets_and_17_goals_are_served(client: TestClient) -> None:
    targets = _items(client, "sdg-targets")
    assert len(targets) == 169
    assert targets[0]["code"] == "1.1"
    assert targets[-1]["code"] == "17.19"
    assert len(_items(client, "sdg-goals")) == 17


@pytest.mark.parametrize(
    ("accept_language", "expected_start"),
    [
        (None, "Promote the rule of law"),
        ("fr-CH, fr;q=0.9", "Promouvoir l"),
        ("de, es;q=0.5", "Promover el estado de derecho"),
        ("zh-Hans", "在国家和国际层面促进法治"),
    ],
)
def test_targets_come_in_the_requested_language(
    client: TestClient, accept_language: str | None, expected_start: str
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = client.get("/api/v1/taxonomies/sdg-targets", headers=headers)
    target = next(t for t in response.json()["items"] if t["code"] == "16.3")
    assert target["name"].startswith(expected_start)
    assert target["goal"] == "16"


def test_language_negotiation_honours_weights_and_falls_back_to_english() -> None:
    assert negotiate_language("ru;q=0.4, ar;q=0.8") == "ar"
    assert negotiate_language("de-DE, ja") == "en"
    assert negotiate_language("es;q=0") == "en"


def test_closed_vocabularies_match_the_design(client: TestClient) -> None:
    assert len(_items(client, "mechanisms")) == 12
    assert "conflict_or_insecurity" in {t["code"] for t in _items(client, "barrier-types")}
    assert "nmrf_support" in {t["code"] for t in _items(client, "assistance-types")}


def test_unknown_taxonomy_is_422(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/taxonomies/colours"), 422, "validation-error")
