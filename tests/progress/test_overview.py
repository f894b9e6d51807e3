"""`GET /states/{code}/overview` against figures computed by hand, for each of its scopes:
the State itself (its drafts included), OHCHR (what was submitted), everyone else (published).

The scenario, for Samoa (WSM). Reports A (2021, in_progress, published), B (2022,
fully_implemented, submitted), C (2023, partially_implemented, draft) and D (2020,
not_started, submitted, written last) cover:

    recommendation  mechanism  themes     SDGs        reports
    r1              upr        A12        16.3        A, D
    r2              upr        A12, B31   5.1, 16.3   A, B
    r3              crc        B31        4.1         C
    r4              cedaw      A12        5.1         D
    r5              upr        -          -           -

The latest period wins: r1 is A (2021) though D was written after it; r2 is B where B is
seen, A elsewhere. Shortfalls: financial submitted, financial published, legislative draft,
and two resolved ones that never count. Nepal's report and shortfall never count either.
"""

import datetime as dt
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.core.principal import Principal, Role
from app.core.settings import Settings
from app.lifecycle.engine import apply
from app.lifecycle.visibility import Visibility
from app.progress import service as progress_service
from app.progress.overview import build_overview
from app.progress.schemas import RevisionCreate
from app.recommendations.models import Recommendation
from app.shortfalls.schemas import ShortfallResolve
from tests.core.test_problems import assert_problem
from tests.databases import is_postgres
from tests.factories import make_recommendation, make_user
from tests.progress.support import (
    REPORT,
    SHORTFALL,
    Headers,
    caller,
    principal_of,
    report_body,
    shortfall_body,
    write,
)

A12 = ("A12", "Acceptance of international norms")
B31 = ("B31", "Equality & non-discrimination")


def _report(
    db: Session, who: Principal, recs: list[Any], year: int, status: str, stage: str
) -> None:
    body = report_body(
        *(r.id for r in recs),
        period_start=f"{year}-01-01",
        period_end=f"{year}-12-31",
        status=status,
    )
    write(db, who, REPORT, body, stage=stage)


def _shortfall(
    db: Session, who: Principal, rec: Any, barrier: str, stage: str, resolved: bool = False
) -> None:
    shortfall = write(db, who, SHORTFALL, shortfall_body(rec.id, barrier_type=barrier), stage=stage)
    if resolved:
        resolution = ShortfallResolve(resolved_on=dt.date(2024, 3, 1))
        apply(db, who, shortfall, "resolve", resolution)


@pytest.fixture
def samoa(db: Session) -> dict[str, str]:
    """The scenario above, written by the States' focal points; the recommendation ids."""
    r1 = make_recommendation(db, themes=(A12,), sdgs=("16.3",))
    r2 = make_recommendation(db, themes=(A12, B31), sdgs=("5.1", "16.3"))
    r3 = make_recommendation(db, mechanism="crc", body="CRC", themes=(B31,), sdgs=("4.1",))
    r4 = make_recommendation(db, mechanism="cedaw", body="CEDAW", themes=(A12,), sdgs=("5.1",))
    r5 = make_recommendation(db, themes=(), sdgs=())
    focal = principal_of(make_user(db, role=Role.state_focal_point, state="WSM"))
    _report(db, focal, [r1, r2], 2021, "in_progress", "published")
    _report(db, focal, [r2], 2022, "fully_implemented", "submitted")
    _report(db, focal, [r3], 2023, "partially_implemented", "draft")
    _report(db, focal, [r1, r4], 2020, "not_started", "submitted")
    _shortfall(db, focal, r1, "financial", "submitted")
    _shortfall(db, focal, r2, "financial", "published")
    _shortfall(db, focal, r3, "legislative", "draft")
    _shortfall(db, focal, r4, "technical_expertise", "submitted", resolved=True)
    _shortfall(db, focal, r5, "legislative", "published", resolved=True)

    nepal = principal_of(make_user(db, role=Role.state_focal_point, state="NPL"))
    npl = make_recommendation(db, state="NPL", mechanism="crc", body="CRC")
    _report(db, nepal, [npl], 2023, "fully_implemented", "published")
    _shortfall(db, nepal, npl, "financial", "published")
    return {
        name: str(r.id)
        for name, r in zip(("r1", "r2", "r3", "r4", "r5"), (r1, r2, r3, r4, r5), strict=True)
    }


CATALOGUE = {
    "state_code": "WSM",
    "recommendations": 5,
    "by_mechanism": {"upr": 3, "crc": 1, "cedaw": 1},
    "by_sdg_goal": {"16": 2, "5": 2, "4": 1},
}
THEMES = [("A12", 3), ("B31", 2)]


def _overview(client: TestClient, headers: Headers) -> dict[str, Any]:
    response = client.get("/api/v1/states/WSM/overview", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert {key: body[key] for key in CATALOGUE} == CATALOGUE
    assert [(theme["code"], theme["count"]) for theme in body["by_theme"]] == THEMES
    return body


def _figures(body: dict[str, Any]) -> tuple[Any, ...]:
    return (
        body["scope"],
        body["by_latest_status"],
        body["without_report"],
        sorted(body["without_report_sample"]),
        body["open_shortfalls_by_barrier"],
    )


def test_the_state_sees_its_drafts_in_its_overview(
    client: TestClient, db: Session, settings: Settings, samoa: dict[str, str]
) -> None:
    expected = (
        "state",
        {
            "in_progress": 1,
            "fully_implemented": 1,
            "partially_implemented": 1,
            "not_started": 1,
            "no_report": 1,
        },
        1,
        [samoa["r5"]],
        {"financial": 2, "legislative": 1},
    )
    for role in (Role.state_contributor, Role.state_focal_point):
        assert _figures(_overview(client, caller(db, settings, role, "WSM"))) == expected, role


def test_the_counts_come_in_the_order_of_their_keys(
    client: TestClient, db: Session, settings: Settings, samoa: dict[str, str]
) -> None:
    if is_postgres():
        # Counted by hashing where PostgreSQL may choose to, which gives no order of its own.
        db.execute(text("SET LOCAL enable_sort = off"))
        body = build_overview(db, "WSM", Visibility.state).model_dump()
    else:
        body = _overview(client, caller(db, settings, Role.state_focal_point, "WSM"))
    assert list(body["by_mechanism"]) == ["cedaw", "crc", "upr"]
    assert list(body["by_sdg_goal"]) == ["4", "5", "16"]
    reported = ["fully_implemented", "in_progress", "not_started", "partially_implemented"]
    assert list(body["by_latest_status"]) == [*reported, "no_report"]
    assert list(body["open_shortfalls_by_barrier"]) == ["financial", "legislative"]


def test_ohchr_sees_what_was_submitted_in_the_overview(
    client: TestClient, db: Session, settings: Settings, samoa: dict[str, str]
) -> None:
    expected = (
        "ohchr",
        {"in_progress": 1, "fully_implemented": 1, "not_started": 1, "no_report": 2},
        2,
        sorted([samoa["r3"], samoa["r5"]]),
        {"financial": 2},
    )
    for role in (Role.ohchr_officer, Role.ohchr_admin):
        assert _figures(_overview(client, caller(db, settings, role))) == expected, role


def test_everyone_else_sees_an_overview_built_from_published_data(
    client: TestClient, db: Session, settings: Settings, samoa: dict[str, str]
) -> None:
    """Anonymous callers, providers, and other States alike."""
    expected = (
        "public",
        {"in_progress": 2, "no_report": 3},
        3,
        sorted([samoa["r3"], samoa["r4"], samoa["r5"]]),
        {"financial": 1},
    )
    for role, state in ((None, "WSM"), (Role.provider, "WSM"), (Role.state_focal_point, "NPL")):
        assert _figures(_overview(client, caller(db, settings, role, state))) == expected, role


def test_the_overview_of_an_unknown_state_is_404(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/states/XXX/overview"), 404, "not-found")


def test_the_public_overview_shows_a_correction_only_once_it_is_published(
    client: TestClient, db: Session, settings: Settings
) -> None:
    """Revision 1 reports r1 `in_progress`; the submitted correction moves the report to r2,
    `fully_implemented`. Everyone but the State and OHCHR counts revision 1 until the focal
    point publishes the correction."""
    first, second = make_recommendation(db, state="TON"), make_recommendation(db, state="TON")
    focal = principal_of(make_user(db, role=Role.state_focal_point, state="TON"))
    report = write(db, focal, REPORT, report_body(first.id), stage="published")
    correction = {"status": "fully_implemented", "recommendation_ids": [str(second.id)]}
    progress_service.create_revision(db, focal, report, RevisionCreate.model_validate(correction))
    apply(db, focal, report, "submit")
    db.flush()
    as_published = ({"in_progress": 1, "no_report": 1}, [str(second.id)])
    as_corrected = ({"fully_implemented": 1, "no_report": 1}, [str(first.id)])

    def seen(role: Role | None) -> tuple[Any, ...]:
        response = client.get("/api/v1/states/TON/overview", headers=caller(db, settings, role))
        assert response.status_code == 200, response.text
        body = response.json()
        return body["by_latest_status"], body["without_report_sample"]

    for role in (None, Role.provider, Role.state_focal_point):
        assert seen(role) == as_published, role
    assert seen(Role.ohchr_officer) == as_corrected

    apply(db, focal, report, "publish")
    db.flush()

    for role in (None, Role.provider, Role.state_focal_point, Role.ohchr_officer):
        assert seen(role) == as_corrected, role


def test_the_examples_without_a_report_carry_their_text(
    client: TestClient, db: Session, settings: Settings, samoa: dict[str, str]
) -> None:
    """`without_report_examples` beside the ids: the same recommendations, readable at once."""
    body = _overview(client, caller(db, settings, None, "WSM"))
    examples = body["without_report_examples"]
    assert [example["id"] for example in examples] == body["without_report_sample"]
    assert sorted(body["without_report_sample"]) == sorted([samoa[r] for r in ("r3", "r4", "r5")])
    for example in examples:
        stored = db.get(Recommendation, uuid.UUID(example["id"]))
        assert stored is not None
        assert example == {
            "id": str(stored.id),
            "document_symbol": stored.document_symbol,
            "paragraph": stored.paragraph,
            "text": stored.text,
        }
        assert example["text"]
