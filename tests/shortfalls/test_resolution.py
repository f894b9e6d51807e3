"""A shortfall's own lifecycle beside the one it shares with progress reports (tests/progress):
a submitted shortfall is resolved once, on a date, and stays as visible as it was. A refused
resolution is a 409 naming the verbs open to the caller, and changes nothing."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from app.shortfalls.models import Shortfall
from tests.core.test_problems import assert_problem
from tests.progress.support import (
    RESOLUTION,
    SHORTFALL,
    audit_actions,
    caller,
    make_owned,
    moved,
    outbox_events,
    row,
    stored,
)

# (stage, resolved already, the verbs open instead of resolve)
REFUSED_RESOLUTIONS = [
    ("draft", False, ["submit"]),
    ("submitted", True, ["publish"]),
    ("published", True, ["unpublish"]),
]


@pytest.mark.parametrize(
    ("stage", "resolved", "allowed"),
    REFUSED_RESOLUTIONS,
    ids=[f"{stage}{'-resolved' if r else ''}" for stage, r, _ in REFUSED_RESOLUTIONS],
)
def test_a_resolution_not_open_is_409_naming_the_open_moves(
    client: TestClient,
    db: Session,
    settings: Settings,
    stage: str,
    resolved: bool,
    allowed: list[str],
) -> None:
    shortfall = make_owned(db, settings, SHORTFALL, stage=stage)
    if resolved:
        moved(client.post(f"{shortfall.url}/resolve", json=RESOLUTION, headers=shortfall.focal))
    before = stored(db)

    response = client.post(
        f"{shortfall.url}/resolve", json={"resolved_on": "2025-01-31"}, headers=shortfall.focal
    )

    assert assert_problem(response, 409, "illegal-transition")["allowed"] == allowed
    assert stored(db) == before
    if resolved:
        assert str(row(db, Shortfall, shortfall.id).resolved_on) == RESOLUTION["resolved_on"]


@pytest.mark.parametrize("stage", ["submitted", "published"])
def test_resolving_records_the_date_and_keeps_the_shortfall_as_visible_as_it_was(
    client: TestClient, db: Session, settings: Settings, stage: str
) -> None:
    shortfall = make_owned(db, settings, SHORTFALL, state="NPL", stage=stage)
    visibility = "public" if stage == "published" else "ohchr"
    officer = caller(db, settings, Role.ohchr_officer)

    resolved = moved(
        client.post(f"{shortfall.url}/resolve", json=RESOLUTION, headers=shortfall.focal)
    )

    assert (resolved["resolved_on"], resolved["stage"], resolved["visibility"]) == (
        "2024-06-30",
        "submitted",
        visibility,
    )
    stored_row = row(db, Shortfall, shortfall.id)
    assert (str(stored_row.resolved_on), stored_row.visibility) == ("2024-06-30", visibility)
    assert audit_actions(db, shortfall.id)[-1] == "shortfall.resolved"
    assert outbox_events(db, shortfall.id)[-1] == ("shortfall.resolved", visibility)
    assert client.get(shortfall.url, headers=officer).json()["resolved_on"] == "2024-06-30"
    public = client.get(shortfall.url)
    if stage == "published":
        assert public.json()["resolved_on"] == "2024-06-30"
    else:
        assert_problem(public, 404, "not-found")


def test_resolving_needs_a_date(client: TestClient, db: Session, settings: Settings) -> None:
    shortfall = make_owned(db, settings, SHORTFALL, stage="submitted")
    before = stored(db)

    for body in (None, {}, {"resolved_on": "soon"}, {"resolved_on": "2024-06-30", "by": "us"}):
        response = client.post(f"{shortfall.url}/resolve", json=body, headers=shortfall.focal)
        assert_problem(response, 422, "validation-error")
    assert stored(db) == before


def test_resolving_takes_a_message_and_a_reason_beside_the_date(
    client: TestClient, db: Session, settings: Settings
) -> None:
    shortfall = make_owned(db, settings, SHORTFALL, stage="submitted")
    body = RESOLUTION | {"message": "Budget line adopted", "reason": "Finance Act 2024"}

    resolved = moved(client.post(f"{shortfall.url}/resolve", json=body, headers=shortfall.focal))

    assert resolved["resolved_on"] == "2024-06-30"
