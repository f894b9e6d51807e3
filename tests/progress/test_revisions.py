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


# --- a correction to a published report -----------------------------------------------------

REASON = "The ministry's figures were revised."


def _readers(db: Session, settings: Settings) -> dict[str, dict[str, str]]:
    """Everyone but the State and OHCHR: they read a published report as published."""
    return {
        "anonymous": {},
        "provider": caller(db, settings, Role.provider),
        "other-state-focal-point": caller(db, settings, Role.state_focal_point, "NPL"),
        "other-state-contributor": caller(db, settings, Role.state_contributor, "NPL"),
    }


def _read(client: TestClient, report: Owned, headers: dict[str, str]) -> tuple[Any, ...]:
    """What a reader sees of the report: its revision, content, and the revisions listed."""
    shown = client.get(report.url, headers=headers).json()
    (listed,) = client.get(REPORT.url, headers=headers).json()["items"]
    revisions = client.get(f"{report.url}/revisions", headers=headers).json()["items"]
    assert listed == shown
    return (
        shown["revision"],
        shown["status"],
        shown["summary"],
        [r["number"] for r in revisions],
    )


def test_a_correction_to_a_published_report_goes_public_only_when_published(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, stage="published")
    original = client.get(f"{report.url}/revisions/1").json()
    officer = caller(db, settings, Role.ohchr_officer)
    readers = _readers(db, settings)
    as_published = (1, "in_progress", original["summary"], [1])
    as_corrected = (2, "fully_implemented", CORRECTION["summary"], [1, 2])
    _correct(client, report, **CORRECTION, reason=REASON)

    submitted = moved(client.post(f"{report.url}/submit", headers=report.focal))

    assert (submitted["revision"], submitted["visibility"]) == (2, "public")
    for name, headers in readers.items():
        assert _read(client, report, headers) == as_published, name
        assert_problem(client.get(f"{report.url}/revisions/2", headers=headers), 404, "not-found")
        assert client.get(f"{report.url}/revisions/1", headers=headers).json() == original
    assert _read(client, report, officer) == as_corrected
    assert _read(client, report, report.focal) == as_corrected
    refused = client.post(f"{report.url}/submit", headers=report.focal)
    assert assert_problem(refused, 409, "illegal-transition")["allowed"] == ["publish", "unpublish"]

    republished = moved(client.post(f"{report.url}/publish", headers=report.focal))

    assert (republished["revision"], republished["visibility"]) == (2, "public")
    for name, headers in {**readers, "ohchr": officer, "own": report.focal}.items():
        assert _read(client, report, headers) == as_corrected, name
        second = client.get(f"{report.url}/revisions/2", headers=headers).json()
        assert (second["status"], second["reason"]) == ("fully_implemented", REASON), name
    refused = client.post(f"{report.url}/publish", headers=report.focal)
    assert assert_problem(refused, 409, "illegal-transition")["allowed"] == ["unpublish"]


def test_a_correction_submitted_while_unpublished_is_public_once_published(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, stage="published")
    moved(client.post(f"{report.url}/unpublish", headers=report.focal))
    _correct(client, report)
    moved(client.post(f"{report.url}/submit", headers=report.focal))
    assert_problem(client.get(report.url), 404, "not-found")

    moved(client.post(f"{report.url}/publish", headers=report.focal))

    shown = client.get(report.url).json()
    assert (shown["revision"], shown["status"]) == (2, "fully_implemented")
    numbers = [r["number"] for r in client.get(f"{report.url}/revisions").json()["items"]]
    assert numbers == [1, 2]


def test_unpublishing_a_corrected_report_hides_both_revisions_from_the_public(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, stage="published", corrected=True)

    moved(client.post(f"{report.url}/unpublish", headers=report.focal))

    for path in ("", "/revisions", "/revisions/1", "/revisions/2"):
        assert_problem(client.get(report.url + path), 404, "not-found")
    assert listed_ids(client, REPORT.url, {}) == []
    officer = caller(db, settings, Role.ohchr_officer)
    assert client.get(report.url, headers=officer).json()["revision"] == 2


def test_a_revision_shows_its_reason_to_whoever_may_read_it(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, stage="submitted")
    officer = caller(db, settings, Role.ohchr_officer)

    drafted = _correct(client, report, status="fully_implemented", reason=REASON)

    assert drafted["reason"] == REASON
    own = client.get(f"{report.url}/revisions/2", headers=report.focal).json()
    assert (own["stage"], own["reason"]) == ("draft", REASON)
    assert client.get(f"{report.url}/revisions/1", headers=report.focal).json()["reason"] is None
    edited = client.patch(
        f"{report.url}/revisions/2",
        json={"reason": "Figures from the 2024 census."},
        headers={**report.focal, "If-Match": etag(client, report)},
    )
    assert edited.status_code == 200, edited.text
    moved(client.post(f"{report.url}/submit", headers=report.focal))
    shown = client.get(f"{report.url}/revisions/2", headers=officer).json()
    assert (shown["stage"], shown["reason"]) == ("submitted", "Figures from the 2024 census.")
    listed = client.get(f"{report.url}/revisions", headers=officer).json()["items"]
    assert [r["reason"] for r in listed] == [None, "Figures from the 2024 census."]
    db.expire_all()
    stored_reason = db.exec(
        select(ProgressRevision.reason).where(
            ProgressRevision.report_id == uuid.UUID(report.id), ProgressRevision.number == 2
        )
    ).one()
    assert stored_reason == "Figures from the 2024 census."


def test_list_filters_match_what_each_reader_is_shown(
    client: TestClient, db: Session, settings: Settings
) -> None:
    """Revision 1 is `in_progress` on r1; the submitted, unpublished correction is
    `fully_implemented` on r2. Until it is published only the State and OHCHR find the report
    by the correction's content; everyone else finds it by revision 1's."""
    report = make_owned(db, settings, REPORT, stage="published")
    first, second = report.recommendation_id, make_bare_recommendation(db, state="WSM").id
    _correct(client, report, status="fully_implemented", recommendation_ids=[str(second)])
    moved(client.post(f"{report.url}/submit", headers=report.focal))
    filters = {
        "status=in_progress": "published",
        f"recommendation={first}": "published",
        f"status=in_progress&recommendation={first}": "published",
        "status=fully_implemented": "corrected",
        f"recommendation={second}": "corrected",
        f"status=fully_implemented&recommendation={second}": "corrected",
        f"status=in_progress&recommendation={second}": None,
    }
    officer = caller(db, settings, Role.ohchr_officer)
    everyone_else = _readers(db, settings)

    def found(headers: dict[str, str], query: str) -> bool:
        return listed_ids(client, f"{REPORT.url}?{query}", headers) == [report.id]

    for query, matches in filters.items():
        for name, headers in everyone_else.items():
            assert found(headers, query) == (matches == "published"), (name, query)
        for name, headers in (("ohchr", officer), ("own", report.focal)):
            assert found(headers, query) == (matches == "corrected"), (name, query)

    moved(client.post(f"{report.url}/publish", headers=report.focal))

    for query, matches in filters.items():
        for name, headers in everyone_else.items():
            assert found(headers, query) == (matches == "corrected"), (name, query)
