"""Corrections: a submitted report is never edited in place; a correction is a new revision,
drafted (seen by the State only), then submitted; every submitted revision stays readable."""

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.core.principal import Role
from app.core.settings import Settings
from app.progress.models import ProgressRevision
from tests.core.test_problems import assert_problem
from tests.progress.support import (
    REPORT,
    Owned,
    caller,
    created,
    etag,
    listed_ids,
    make_bare_recommendation,
    make_owned,
    moved,
    stored,
)

CONTENT = (
    "recommendation_ids",
    "cluster_id",
    "period_start",
    "period_end",
    "status",
    "summary",
    "measures",
    "evidence",
    "indicators",
    "responsible_entities",
)
CORRECTION = {"status": "fully_implemented", "summary": "Corrected figures."}


def _content(body: dict[str, Any]) -> dict[str, Any]:
    return {key: body[key] for key in CONTENT}


def _correct(client: TestClient, report: Owned, **change: Any) -> dict[str, Any]:
    return created(
        client.post(f"{report.url}/revisions", json=change or CORRECTION, headers=report.focal)
    )


def _stored_revisions(db: Session, report: Owned) -> list[tuple[int, str, str]]:
    db.expire_all()
    revisions = db.exec(
        select(ProgressRevision)
        .where(ProgressRevision.report_id == uuid.UUID(report.id))
        .order_by(ProgressRevision.number)  # type: ignore[arg-type]
    ).all()
    return [(r.number, r.stage, r.status) for r in revisions]


def test_a_correction_carries_over_the_fields_it_does_not_give(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, stage="submitted")
    original = client.get(f"{report.url}/revisions/1", headers=report.focal).json()

    revision = _correct(client, report, status="fully_implemented")

    assert (revision["number"], revision["stage"]) == (2, "draft")
    assert _content(revision) == _content(original) | {"status": "fully_implemented"}
    assert _stored_revisions(db, report) == [
        (1, "submitted", "in_progress"),
        (2, "draft", "fully_implemented"),
    ]


def test_a_correction_is_seen_by_its_state_only_until_submitted(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, stage="published")
    officer = caller(db, settings, Role.ohchr_officer)
    _correct(client, report)

    own = client.get(report.url, headers=report.focal).json()
    for reader in (officer, {}):
        shown = client.get(report.url, headers=reader).json()
        assert (shown["revision"], shown["status"], shown["pending_revision"]) == (
            1,
            "in_progress",
            None,
        )
        revisions = client.get(f"{report.url}/revisions", headers=reader).json()["items"]
        assert [r["number"] for r in revisions] == [1]
        assert_problem(client.get(f"{report.url}/revisions/2", headers=reader), 404, "not-found")
    assert (own["revision"], own["status"], own["pending_revision"]) == (1, "in_progress", 2)


def test_submitting_a_correction_makes_it_the_report_and_keeps_the_original(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, stage="submitted")
    original = client.get(f"{report.url}/revisions/1", headers=report.focal).json()
    _correct(client, report)
    second_focal = caller(db, settings, Role.state_focal_point, "WSM")

    submitted = moved(client.post(f"{report.url}/submit", headers=second_focal))

    assert (submitted["revision"], submitted["pending_revision"]) == (2, None)
    assert (submitted["status"], submitted["summary"]) == (
        "fully_implemented",
        CORRECTION["summary"],
    )
    officer = caller(db, settings, Role.ohchr_officer)
    assert client.get(report.url, headers=officer).json()["status"] == "fully_implemented"
    revisions = client.get(f"{report.url}/revisions", headers=officer).json()["items"]
    assert [(r["number"], r["stage"]) for r in revisions] == [(1, "submitted"), (2, "submitted")]
    first = client.get(f"{report.url}/revisions/1", headers=officer).json()
    assert first == original
    assert first["submitted_by_id"] is not None
    assert first["submitted_at"] is not None
    second = client.get(f"{report.url}/revisions/2", headers=officer).json()
    assert second["submitted_by_id"] != first["submitted_by_id"]
    assert _stored_revisions(db, report) == [
        (1, "submitted", "in_progress"),
        (2, "submitted", "fully_implemented"),
    ]


def test_a_correction_moves_the_reports_recommendations_only_when_submitted(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, stage="submitted")
    other = make_bare_recommendation(db, state="WSM")
    officer = caller(db, settings, Role.ohchr_officer)
    _correct(client, report, recommendation_ids=[str(other.id)])

    assert listed_ids(client, f"{REPORT.url}?recommendation={other.id}", officer) == []
    moved(client.post(f"{report.url}/submit", headers=report.focal))

    assert listed_ids(client, f"{REPORT.url}?recommendation={other.id}", officer) == [report.id]
    assert (
        listed_ids(client, f"{REPORT.url}?recommendation={report.recommendation_id}", officer) == []
    )


def test_a_pending_correction_is_edited_with_the_reports_etag(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, stage="submitted")
    _correct(client, report)
    current = etag(client, report)

    response = client.patch(
        f"{report.url}/revisions/2",
        json={"summary": "Corrected again."},
        headers={**report.focal, "If-Match": current},
    )

    assert response.status_code == 200, response.text
    assert response.json()["summary"] == "Corrected again."
    assert response.json()["status"] == "fully_implemented"
    assert response.headers["etag"] == etag(client, report) != current


def test_editing_a_pending_correction_with_a_stale_etag_is_412(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, stage="submitted")
    stale = etag(client, report)
    _correct(client, report)
    before = stored(db)

    response = client.patch(
        f"{report.url}/revisions/2",
        json={"summary": "Lost?"},
        headers={**report.focal, "If-Match": stale},
    )

    assert_problem(response, 412, "precondition-failed")
    assert stored(db) == before


def test_editing_a_pending_correction_without_if_match_is_428(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, stage="submitted", pending_revision=True)
    before = stored(db)

    response = client.patch(
        f"{report.url}/revisions/2", json={"summary": "Lost?"}, headers=report.focal
    )

    assert_problem(response, 428, "precondition-required")
    assert stored(db) == before


def test_a_submitted_revision_is_never_edited(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, stage="submitted", pending_revision=True)
    before = stored(db)

    response = client.patch(
        f"{report.url}/revisions/1",
        json={"summary": "Rewriting history"},
        headers={**report.focal, "If-Match": etag(client, report)},
    )

    assert_problem(response, 409, "conflict")
    assert stored(db) == before


def test_a_submitted_correction_is_never_edited(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, stage="submitted", pending_revision=True)
    moved(client.post(f"{report.url}/submit", headers=report.focal))
    before = stored(db)

    response = client.patch(
        f"{report.url}/revisions/2",
        json={"summary": "Rewriting history"},
        headers={**report.focal, "If-Match": etag(client, report)},
    )

    assert_problem(response, 409, "conflict")
    assert stored(db) == before


def test_editing_a_revision_that_does_not_exist_is_404(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, stage="submitted", pending_revision=True)
    before = stored(db)

    response = client.patch(
        f"{report.url}/revisions/9",
        json={"summary": "Nowhere"},
        headers={**report.focal, "If-Match": etag(client, report)},
    )

    assert_problem(response, 404, "not-found")
    assert stored(db) == before


def test_reading_a_revision_that_does_not_exist_is_404(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, stage="submitted")

    assert_problem(client.get(f"{report.url}/revisions/2", headers=report.focal), 404, "not-found")


def test_a_correction_is_checked_against_what_it_carries_over(
    client: TestClient, db: Session, settings: Settings
) -> None:
    """The report runs to 2023-12-31, so a correction starting after that is out of order."""
    report = make_owned(db, settings, REPORT, stage="submitted")
    before = stored(db)

    response = client.post(
        f"{report.url}/revisions", json={"period_start": "2024-06-01"}, headers=report.focal
    )

    assert_problem(response, 422, "validation-error")
    assert stored(db) == before


def test_a_contributor_drafts_a_correction_but_may_not_submit_it(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, stage="submitted")
    contributor = caller(db, settings, Role.state_contributor, "WSM")
    created(client.post(f"{report.url}/revisions", json=CORRECTION, headers=contributor))
    before = stored(db)

    response = client.post(f"{report.url}/submit", headers=contributor)

    assert_problem(response, 403, "forbidden")
    assert stored(db) == before
