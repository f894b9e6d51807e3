"""The report list reads rows, not models: each caller must find there exactly the reports it
may see, each exactly as `GET /progress-reports/{id}` shows it to that caller (which reads the
models), in one order, page after page.

Samoa (WSM) has a report in every stage: a draft, a submitted one, a submitted one with a
correction being drafted, a published one, a published one with a correction being drafted and
a published one whose correction is submitted but not yet published (everyone else still reads
revision 1). Nepal (NPL) has a submitted report and a published one.
"""

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core.principal import Role
from app.core.settings import Settings
from app.progress.models import ProgressReport
from tests.progress.support import (
    REPORT,
    Headers,
    Owned,
    caller,
    make_bare_recommendation,
    make_owned,
)

PUBLISHED = {"published", "published+pending", "published+corrected", "npl published"}
ALL_WSM = {"draft", "submitted", "submitted+pending"} | PUBLISHED - {"npl published"}
ALL_NPL = {"npl submitted", "npl published"}


@pytest.fixture
def reports(db: Session, settings: Settings) -> dict[str, Owned]:
    """The scenario above, by name."""
    return {
        "draft": make_owned(db, settings, REPORT),
        "submitted": make_owned(db, settings, REPORT, stage="submitted"),
        "submitted+pending": make_owned(
            db, settings, REPORT, stage="submitted", pending_revision=True
        ),
        "published": make_owned(db, settings, REPORT, stage="published"),
        "published+pending": make_owned(
            db, settings, REPORT, stage="published", pending_revision=True
        ),
        "published+corrected": make_owned(db, settings, REPORT, stage="published", corrected=True),
        "npl submitted": make_owned(db, settings, REPORT, state="NPL", stage="submitted"),
        "npl published": make_owned(db, settings, REPORT, state="NPL", stage="published"),
    }


def _readers(db: Session, settings: Settings) -> dict[str, tuple[Headers, set[str]]]:
    """Each reader's headers and the reports it may see."""
    samoa = ALL_WSM | PUBLISHED
    return {
        "WSM focal point": (caller(db, settings, Role.state_focal_point), samoa),
        "WSM contributor": (caller(db, settings, Role.state_contributor), samoa),
        "NPL focal point": (
            caller(db, settings, Role.state_focal_point, state="NPL"),
            ALL_NPL | PUBLISHED,
        ),
        "OHCHR": (caller(db, settings, Role.ohchr_officer), ALL_WSM - {"draft"} | ALL_NPL),
        "anonymous": (caller(db, settings, None), PUBLISHED),
    }


def _in_order(db: Session, ids: list[str]) -> list[str]:
    """The reports' ids in the list's order: creation, then id."""
    report = ProgressReport
    wanted = [uuid.UUID(i) for i in ids]
    statement = (
        select(report.id)
        .where(col(report.id).in_(wanted))
        .order_by(col(report.created_at), col(report.id))
    )
    return [str(i) for i in db.exec(statement).all()]


def _pages(client: TestClient, headers: Headers, limit: int) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    url = f"{REPORT.url}?limit={limit}"
    while True:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        url = f"{REPORT.url}?limit={limit}&cursor={page['next_cursor']}"


def test_each_reader_lists_what_it_may_see_as_it_reads_each_report(
    client: TestClient, db: Session, settings: Settings, reports: dict[str, Owned]
) -> None:
    for name, (headers, expected) in _readers(db, settings).items():
        listed = _pages(client, headers, limit=200)

        wanted = _in_order(db, [reports[report].id for report in expected])
        assert [item["id"] for item in listed] == wanted, name
        for item in listed:
            shown = client.get(f"{REPORT.url}/{item['id']}", headers=headers).json()
            assert item == shown, name


def test_pages_of_the_list_add_up_to_the_whole_list(
    client: TestClient, db: Session, settings: Settings, reports: dict[str, Owned]
) -> None:
    for name, (headers, _) in _readers(db, settings).items():
        assert _pages(client, headers, limit=2) == _pages(client, headers, limit=200), name


def test_a_listed_report_shows_every_recommendation_it_covers_in_order(
    client: TestClient, db: Session, settings: Settings
) -> None:
    covered = sorted(str(make_bare_recommendation(db).id) for _ in range(4))
    report = make_owned(db, settings, REPORT, recommendation_ids=covered[::-1])
    uncovered = make_owned(db, settings, REPORT)

    listed = {item["id"]: item for item in _pages(client, report.focal, limit=200)}

    assert listed[report.id]["recommendation_ids"] == covered
    assert listed[uncovered.id]["recommendation_ids"] == [str(uncovered.recommendation_id)]
