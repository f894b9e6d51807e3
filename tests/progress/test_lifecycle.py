"""The lifecycle progress reports and shortfalls share: draft, submitted, published. Every
refused move is a 409 that names the moves open to the caller now, across all the object's
lifecycles, and changes nothing. (A shortfall's resolution: tests/shortfalls.)"""

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from tests.core.test_problems import assert_problem
from tests.progress.support import (
    KINDS,
    REPORT,
    SHORTFALL,
    Kind,
    caller,
    kind_id,
    listed_ids,
    make_owned,
    model_of,
    moved,
    row,
    stored,
)


@dataclass(frozen=True)
class Illegal:
    """A verb not open at a stage, and the verbs open there instead (sorted)."""

    kind: Kind
    stage: str
    verb: str
    allowed: list[str]
    pending_revision: bool = False
    corrected: bool = False

    @property
    def id(self) -> str:
        extra = "-pending" if self.pending_revision else "-corrected" if self.corrected else ""
        return f"{self.kind.name}-{self.verb}-{self.stage}{extra}"


ILLEGAL_MOVES = [
    Illegal(REPORT, "draft", "publish", ["submit"]),
    Illegal(REPORT, "draft", "unpublish", ["submit"]),
    Illegal(REPORT, "submitted", "unpublish", ["publish"]),
    Illegal(REPORT, "submitted", "submit", ["publish"]),
    Illegal(REPORT, "published", "submit", ["unpublish"]),
    Illegal(REPORT, "published", "publish", ["unpublish"]),
    Illegal(REPORT, "published", "publish", ["submit", "unpublish"], pending_revision=True),
    Illegal(REPORT, "published", "submit", ["publish", "unpublish"], corrected=True),
    Illegal(REPORT, "submitted", "submit", ["publish"], corrected=True),
    Illegal(SHORTFALL, "draft", "publish", ["submit"]),
    Illegal(SHORTFALL, "draft", "unpublish", ["submit"]),
    Illegal(SHORTFALL, "submitted", "submit", ["publish", "resolve"]),
    Illegal(SHORTFALL, "submitted", "unpublish", ["publish", "resolve"]),
    Illegal(SHORTFALL, "published", "submit", ["resolve", "unpublish"]),
    Illegal(SHORTFALL, "published", "publish", ["resolve", "unpublish"]),
]


@pytest.mark.parametrize("move", ILLEGAL_MOVES, ids=[move.id for move in ILLEGAL_MOVES])
def test_a_move_not_open_is_409_naming_the_open_ones(
    client: TestClient, db: Session, settings: Settings, move: Illegal
) -> None:
    owned = make_owned(
        db,
        settings,
        move.kind,
        stage=move.stage,
        pending_revision=move.pending_revision,
        corrected=move.corrected,
    )
    before = stored(db)

    response = client.post(f"{owned.url}/{move.verb}", headers=owned.focal)

    assert assert_problem(response, 409, "illegal-transition")["allowed"] == move.allowed
    assert stored(db) == before


@pytest.mark.parametrize("stage", ["submitted", "published"])
@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
@pytest.mark.parametrize("kind", KINDS, ids=kind_id)
def test_a_submitted_object_is_never_changed_in_place(
    client: TestClient, db: Session, settings: Settings, kind: Kind, method: str, stage: str
) -> None:
    owned = make_owned(db, settings, kind, stage=stage)
    current = client.get(owned.url, headers=owned.focal).headers["etag"]
    before = stored(db)

    response = client.request(
        method,
        owned.url,
        json={kind.text_field: "Rewritten"} if method == "PATCH" else None,
        headers={**owned.focal, "If-Match": current},
    )

    assert_problem(response, 409, "conflict")
    assert stored(db) == before


def test_a_draft_is_not_corrected_by_a_revision(
    client: TestClient, db: Session, settings: Settings
) -> None:
    draft = make_owned(db, settings, REPORT)
    before = stored(db)

    response = client.post(f"{draft.url}/revisions", json={"summary": "x"}, headers=draft.focal)

    assert_problem(response, 409, "conflict")
    assert stored(db) == before


def test_a_second_correction_waits_for_the_first_to_be_submitted(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, stage="submitted", pending_revision=True)
    before = stored(db)

    response = client.post(f"{report.url}/revisions", json={"summary": "x"}, headers=report.focal)

    assert_problem(response, 409, "conflict")
    assert stored(db) == before


@pytest.mark.parametrize("kind", KINDS, ids=kind_id)
def test_submitting_makes_a_draft_visible_to_ohchr(
    client: TestClient, db: Session, settings: Settings, kind: Kind
) -> None:
    owned = make_owned(db, settings, kind, state="NPL")
    officer = caller(db, settings, Role.ohchr_officer)
    assert client.get(owned.url, headers=officer).status_code == 404

    submitted = moved(client.post(f"{owned.url}/submit", headers=owned.focal))

    assert (submitted["stage"], submitted["visibility"]) == ("submitted", "ohchr")
    assert submitted["submitted_at"] is not None
    assert client.get(owned.url, headers=officer).json()["id"] == owned.id
    assert_problem(client.get(owned.url), 404, "not-found")
    stored_row = row(db, model_of(kind), owned.id)
    assert (stored_row.stage, stored_row.visibility) == ("submitted", "ohchr")


@pytest.mark.parametrize("kind", KINDS, ids=kind_id)
def test_anonymous_reads_a_published_object_through_the_same_endpoints(
    client: TestClient, db: Session, settings: Settings, kind: Kind
) -> None:
    owned = make_owned(db, settings, kind, state="NPL", stage="submitted")
    assert_problem(client.get(owned.url), 404, "not-found")

    published = moved(client.post(f"{owned.url}/publish", headers=owned.focal))

    assert (published["visibility"], published["published_at"] is not None) == ("public", True)
    shown = client.get(owned.url)
    assert shown.status_code == 200
    assert shown.json() == client.get(owned.url, headers=owned.focal).json()
    assert listed_ids(client, kind.url, {}) == [owned.id]


def test_anonymous_reads_a_published_reports_revisions(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, state="NPL", stage="submitted")

    moved(client.post(f"{report.url}/publish", headers=report.focal))

    assert [r["number"] for r in client.get(f"{report.url}/revisions").json()["items"]] == [1]
    assert client.get(f"{report.url}/revisions/1").json()["status"] == "in_progress"


@pytest.mark.parametrize("kind", KINDS, ids=kind_id)
def test_after_unpublish_the_public_loses_the_object_and_ohchr_keeps_it(
    client: TestClient, db: Session, settings: Settings, kind: Kind
) -> None:
    owned = make_owned(db, settings, kind, state="NPL", stage="published")
    officer = caller(db, settings, Role.ohchr_officer)
    provider = caller(db, settings, Role.provider)
    other_state = caller(db, settings, Role.state_focal_point, "WSM")

    unpublished = moved(client.post(f"{owned.url}/unpublish", headers=owned.focal))

    assert (unpublished["visibility"], unpublished["published_at"]) == ("ohchr", None)
    for reader in ({}, provider, other_state):
        assert_problem(client.get(owned.url, headers=reader), 404, "not-found")
        assert listed_ids(client, kind.url, reader) == []
        if kind is REPORT:
            revisions = client.get(f"{owned.url}/revisions", headers=reader)
            assert_problem(revisions, 404, "not-found")
    assert client.get(owned.url, headers=officer).json()["visibility"] == "ohchr"
    stored_row = row(db, model_of(kind), owned.id)
    assert (stored_row.visibility, stored_row.published_at) == ("ohchr", None)
