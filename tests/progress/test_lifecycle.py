"""A progress report's lifecycle: draft, submitted, published; every refused move is a 409 that
names the moves open to the caller, and changes nothing."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from app.progress.models import ProgressReport
from tests.core.test_problems import assert_problem
from tests.progress.support import (
    REPORT,
    caller,
    listed_ids,
    make_owned,
    moved,
    row,
    stored,
)

# (stage, a correction pending, verb, the verbs open instead)
ILLEGAL_MOVES = [
    ("draft", False, "publish", ["submit"]),
    ("draft", False, "unpublish", ["submit"]),
    ("submitted", False, "unpublish", ["publish"]),
    ("submitted", False, "submit", ["publish"]),
    ("published", False, "submit", ["unpublish"]),
    ("published", False, "publish", ["unpublish"]),
    ("published", True, "publish", ["submit", "unpublish"]),
]


@pytest.mark.parametrize(
    ("stage", "pending", "verb", "allowed"),
    ILLEGAL_MOVES,
    ids=[f"{verb}-{stage}{'-pending' if p else ''}" for stage, p, verb, _ in ILLEGAL_MOVES],
)
def test_a_move_not_open_is_409_naming_the_open_ones(
    client: TestClient,
    db: Session,
    settings: Settings,
    stage: str,
    pending: bool,
    verb: str,
    allowed: list[str],
) -> None:
    report = make_owned(db, settings, REPORT, stage=stage, pending_revision=pending)
    before = stored(db)

    response = client.post(f"{report.url}/{verb}", headers=report.focal)

    assert assert_problem(response, 409, "illegal-transition")["allowed"] == allowed
    assert stored(db) == before


@pytest.mark.parametrize("stage", ["submitted", "published"])
@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_a_submitted_report_is_never_changed_in_place(
    client: TestClient, db: Session, settings: Settings, method: str, stage: str
) -> None:
    report = make_owned(db, settings, REPORT, stage=stage)
    current = client.get(report.url, headers=report.focal).headers["etag"]
    before = stored(db)

    response = client.request(
        method,
        report.url,
        json={"summary": "Rewritten"} if method == "PATCH" else None,
        headers={**report.focal, "If-Match": current},
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


def test_submitting_makes_a_draft_visible_to_ohchr(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, state="NPL")
    officer = caller(db, settings, Role.ohchr_officer)
    assert client.get(report.url, headers=officer).status_code == 404

    submitted = moved(client.post(f"{report.url}/submit", headers=report.focal))

    assert (submitted["stage"], submitted["visibility"]) == ("submitted", "ohchr")
    assert submitted["submitted_at"] is not None
    assert client.get(report.url, headers=officer).json()["id"] == report.id
    assert client.get(report.url).status_code == 404


def test_anonymous_reads_a_published_report_through_the_same_endpoints(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, state="NPL", stage="submitted")

    published = moved(client.post(f"{report.url}/publish", headers=report.focal))

    assert (published["visibility"], published["published_at"] is not None) == ("public", True)
    shown = client.get(report.url)
    assert shown.status_code == 200
    assert shown.json() == client.get(report.url, headers=report.focal).json()
    assert listed_ids(client, REPORT.url, {}) == [report.id]
    assert [r["number"] for r in client.get(f"{report.url}/revisions").json()["items"]] == [1]
    assert client.get(f"{report.url}/revisions/1").json()["status"] == "in_progress"


def test_after_unpublish_the_public_loses_the_report_and_ohchr_keeps_it(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, state="NPL", stage="published")
    officer = caller(db, settings, Role.ohchr_officer)
    provider = caller(db, settings, Role.provider)

    unpublished = moved(client.post(f"{report.url}/unpublish", headers=report.focal))

    assert (unpublished["visibility"], unpublished["published_at"]) == ("ohchr", None)
    for reader in ({}, provider):
        assert_problem(client.get(report.url, headers=reader), 404, "not-found")
        assert_problem(client.get(f"{report.url}/revisions", headers=reader), 404, "not-found")
        assert listed_ids(client, REPORT.url, reader) == []
    assert client.get(report.url, headers=officer).json()["visibility"] == "ohchr"
    stored_report = row(db, ProgressReport, report.id)
    assert (stored_report.visibility, stored_report.published_at) == ("ohchr", None)
