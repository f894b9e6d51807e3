"""Each filter of the roster selects exactly the providers it names, page by page."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.settings import Settings
from app.taxonomies.models import Theme, term_key
from tests.core.test_problems import assert_problem
from tests.matching.support import PROVIDERS, Headers, create_provider, officer

# Nigeria is in Western Africa (Africa); Nepal in Southern Asia (Asia).
ROSTER: dict[str, dict[str, Any]] = {
    "west-africa": {
        "languages": ["fr", "en"],
        "regions_covered": ["Western Africa"],
        "assistance_types": ["legislative_review"],
        "themes": ["F4"],
    },
    "africa": {
        "languages": ["en"],
        "regions_covered": ["Africa"],
        "themes": ["WOMEN'S RIGHTS"],
    },
    "nigeria": {
        "languages": ["ar"],
        "states_covered": ["NGA"],
        "themes": ["Acceptance of international norms"],
    },
    "nepal": {
        "languages": ["fr"],
        "regions_covered": ["Southern Asia"],
        "states_covered": ["NPL"],
        "assistance_types": ["legislative_review", "nmrf_support"],
        "themes": ["a12"],
    },
    "remote": {"languages": ["es"], "themes": ["Open data"]},
}


@pytest.fixture
def roster(client: TestClient, db: Session, settings: Settings) -> tuple[Headers, dict[str, str]]:
    db.add(Theme(code="F4", name="Women's rights", key=term_key("Women's rights")))
    name = "Acceptance of international norms"
    db.add(Theme(code="A12", name=name, key=term_key(name)))
    db.add(Theme(code=None, name="Open data", key=term_key("Open data")))
    db.flush()
    headers = officer(db, settings)
    ids = {
        name: create_provider(client, headers, **fields)["id"] for name, fields in ROSTER.items()
    }
    return headers, ids


def _selected(client: TestClient, headers: Headers, **params: Any) -> list[str]:
    response = client.get(PROVIDERS, params={"limit": 200, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return sorted(item["id"] for item in response.json()["items"])


def _label(value: object) -> str:
    if isinstance(value, dict):
        return "&".join(f"{k}={v}" for k, v in value.items())
    return ""


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"language": "fr"}, ["west-africa", "nepal"]),
        ({"language": "FR"}, ["west-africa", "nepal"]),
        ({"language": "en"}, ["west-africa", "africa"]),
        ({"language": "de"}, []),
        ({"region": "Western Africa"}, ["west-africa", "africa", "nigeria"]),
        ({"region": "Africa"}, ["west-africa", "africa", "nigeria"]),
        ({"region": "Southern Asia"}, ["nepal"]),
        ({"region": "Asia"}, ["nepal"]),
        ({"region": "Eastern Asia"}, []),
        ({"region": "Oceania"}, []),
        ({"region": "Atlantis"}, []),
        ({"assistance_type": "legislative_review"}, ["west-africa", "nepal"]),
        ({"assistance_type": "nmrf_support"}, ["nepal"]),
        ({"assistance_type": "treaty_reporting"}, []),
        ({"theme": "F4"}, ["west-africa", "africa"]),
        ({"theme": "f4"}, ["west-africa", "africa"]),
        ({"theme": "women's  Rights"}, ["west-africa", "africa"]),
        ({"theme": "A12"}, ["nigeria", "nepal"]),
        ({"theme": "acceptance of international norms"}, ["nigeria", "nepal"]),
        ({"theme": "open data"}, ["remote"]),
        ({"theme": "Torture"}, []),
        ({"language": "fr", "region": "Africa"}, ["west-africa"]),
        ({"language": "fr", "theme": "A12", "assistance_type": "nmrf_support"}, ["nepal"]),
    ],
    ids=_label,
)
def test_a_roster_filter_selects_exactly_its_providers(
    client: TestClient,
    roster: tuple[Headers, dict[str, str]],
    params: dict[str, str],
    expected: list[str],
) -> None:
    headers, ids = roster
    assert _selected(client, headers, **params) == sorted(ids[name] for name in expected)


def test_a_filtered_roster_pages_through_every_match_once(
    client: TestClient, roster: tuple[Headers, dict[str, str]]
) -> None:
    headers, ids = roster
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(5):
        params: dict[str, Any] = {"region": "Africa", "limit": 1}
        if cursor:
            params["cursor"] = cursor
        response = client.get(PROVIDERS, params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) == 1
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids[n] for n in ("west-africa", "africa", "nigeria"))


@pytest.mark.parametrize(
    "params",
    [
        {"language": "fra"},
        {"language": "f1"},
        {"assistance_type": "astrology"},
        {"theme": ""},
        {"region": ""},
    ],
    ids=_label,
)
def test_a_malformed_roster_filter_is_422(
    client: TestClient, db: Session, settings: Settings, params: dict[str, str]
) -> None:
    response = client.get(PROVIDERS, params=params, headers=officer(db, settings))
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["loc"] == ["query", next(iter(params))]
