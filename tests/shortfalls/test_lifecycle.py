"""A shortfall's lifecycle: draft, submitted, published, and resolution once overcome. Every
refused move is a 409 naming the moves open to the caller, and changes nothing."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from app.shortfalls.models import Shortfall
from tests.core.test_problems import assert_problem
from tests.progress.support import (
    SHORTFALL,
    caller,
    listed_ids,
    make_owned,
    moved,
    row,
    stored,
)

RESOLUTION = {"resolved_on": "2024-06-30"}

# (stage, resolved already, verb, the verbs open instead)
ILLEGAL_MOVES = [
    ("draft", False, "publish", ["submit"]),
    ("draft", False, "unpublish", ["submit"]),
    ("draft", False, "resolve", ["submit"]),
    ("submitted", False, "submit", ["publish", "resolve"]),
    ("submitted", False, "unpublish", ["publish", "resolve"]),
    ("published", False, "publish", ["resolve", "unpublish"]),
    ("submitted", True, "resolve", ["publish"]),
    ("published", True, "resolve", ["unpublish"]),
]


@pytest.mark.parametrize(
    ("stage", "resolved", "verb", "allowed"),
    ILLEGAL_MOVES,
    ids=[f"{verb}-{stage}{'-resolved' if r else ''}" for stage, r, verb, _ in ILLEGAL_MOVES],
)
def test_a_move_not_open_is_409_naming_the_open_ones(
    client: TestClient,
    db: Session,
    settings: Settings,
    stage: str,
    resolved: bool,
    verb: str,
    allowed: list[str],
) -> None:
    shortfall = make_owned(db, settings, SHORTFALL, stage=stage)
    if resolved:
        moved(client.post(f"{shortfall.url}/resolve", json=RESOLUTION, headers=shortfall.focal))
    before = stored(db)

    response = client.post(
        f"{shortfall.url}/{verb}",
        json=RESOLUTION if verb == "resolve" else None,
        headers=shortfall.focal,
    )

    assert assert_problem(response, 409, "illegal-transition")["allowed"] == allowed
    assert stored(db) == before


@pytest.mark.parametrize("stage", ["submitted", "published"])
@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_a_submitted_shortfall_is_never_changed_in_place(
    client: TestClient, db: Session, settings: Settings, method: str, stage: str
) -> None:
    shortfall = make_owned(db, settings, SHORTFALL, stage=stage)
    current = client.get(shortfall.url, headers=shortfall.focal).headers["etag"]
    before = stored(db)

    response = client.request(
        method,
        shortfall.url,
        json={"description": "Rewritten"} if method == "PATCH" else None,
        headers={**shortfall.focal, "If-Match": current},
    )

    assert_problem(response, 409, "conflict")
    assert stored(db) == before


def test_resolving_records_the_date_and_keeps_the_shortfall_visible(
    client: TestClient, db: Session, settings: Settings
) -> None:
    shortfall = make_owned(db, settings, SHORTFALL, state="NPL", stage="published")

    resolved = moved(
        client.post(f"{shortfall.url}/resolve", json=RESOLUTION, headers=shortfall.focal)
    )

    assert (resolved["resolved_on"], resolved["stage"], resolved["visibility"]) == (
        "2024-06-30",
        "submitted",
        "public",
    )
    assert str(row(db, Shortfall, shortfall.id).resolved_on) == "2024-06-30"
    assert client.get(shortfall.url).json()["resolved_on"] == "2024-06-30"
    assert listed_ids(client, f"{SHORTFALL.url}?resolved=true", {}) == [shortfall.id]
    assert listed_ids(client, f"{SHORTFALL.url}?resolved=false", {}) == []


def test_resolving_needs_a_date(client: TestClient, db: Session, settings: Settings) -> None:
    shortfall = make_owned(db, settings, SHORTFALL, stage="submitted")
    before = stored(db)

    for body in (None, {}, {"resolved_on": "soon"}, {"resolved_on": "2024-06-30", "by": "us"}):
        response = client.post(f"{shortfall.url}/resolve", json=body, headers=shortfall.focal)
        assert_problem(response, 422, "validation-error")
    assert stored(db) == before


def test_anonymous_reads_a_published_shortfall_through_the_same_endpoints(
    client: TestClient, db: Session, settings: Settings
) -> None:
    shortfall = make_owned(db, settings, SHORTFALL, state="NPL", stage="submitted")
    assert_problem(client.get(shortfall.url), 404, "not-found")

    published = moved(client.post(f"{shortfall.url}/publish", headers=shortfall.focal))

    assert (published["visibility"], published["published_at"] is not None) == ("public", True)
    assert (
        client.get(shortfall.url).json()
        == client.get(shortfall.url, headers=shortfall.focal).json()
    )
    assert listed_ids(client, SHORTFALL.url, {}) == [shortfall.id]


def test_after_unpublish_the_public_loses_the_shortfall_and_ohchr_keeps_it(
    client: TestClient, db: Session, settings: Settings
) -> None:
    shortfall = make_owned(db, settings, SHORTFALL, state="NPL", stage="published")
    officer = caller(db, settings, Role.ohchr_officer)
    provider = caller(db, settings, Role.provider)

    unpublished = moved(client.post(f"{shortfall.url}/unpublish", headers=shortfall.focal))

    assert (unpublished["visibility"], unpublished["published_at"]) == ("ohchr", None)
    for reader in ({}, provider):
        assert_problem(client.get(shortfall.url, headers=reader), 404, "not-found")
        assert listed_ids(client, SHORTFALL.url, reader) == []
    assert client.get(shortfall.url, headers=officer).json()["visibility"] == "ohchr"
    stored_shortfall = row(db, Shortfall, shortfall.id)
    assert (stored_shortfall.visibility, stored_shortfall.published_at) == ("ohchr", None)
