"""One theme vocabulary over the real files: UPR Info issues crosswalked to UHRI codes, the
unknown-theme report, UPR Info's action category, paragraph numbers found by `q`."""

import csv
import io
import uuid
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from app.core.principal import Role
from app.core.settings import Settings
from app.recommendations.models import Recommendation
from tests.factories import auth, make_user
from tests.recommendations.test_imports import (
    CHINA_MATRIX,
    IMPORTS,
    UPR_INFO_CSV,
    _csv_bytes,
    _upload,
    _upr_info_rows,
    needs_samples,
)

CATALOGUE = "/api/v1/recommendations"


@pytest.fixture
def admin_headers(db: Session, settings: Settings) -> dict[str, str]:
    return auth(settings, make_user(db, role=Role.ohchr_admin))


def _ids(client: TestClient, **params: object) -> set[str]:
    found: set[str] = set()
    cursor = None
    while True:
        query = {"limit": 200, **params} | ({"cursor": cursor} if cursor else {})
        response = client.get(CATALOGUE, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        found |= {item["id"] for item in body["items"]}
        cursor = body["next_cursor"]
        if not cursor:
            return found


def _unknown(report: dict[str, object]) -> list[str]:
    names = report["unknown_themes"]
    assert isinstance(names, list)
    return sorted(names)


def _sample_rows() -> list[dict[str, str]]:
    text = UPR_INFO_CSV.read_bytes().decode("mac_roman")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@needs_samples
def test_a_code_and_its_crosswalked_upr_info_issue_find_the_same_recommendations(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    report = _upload(client, admin_headers, "1-5.csv", UPR_INFO_CSV.read_bytes())
    assert (report["created"], report["unknown_themes"]) == (6094, [])
    women = sum("Women's rights" in row["Issue"] for row in _sample_rows())
    by_code = _ids(client, theme="F13")
    assert len(by_code) == women  # only "Women's rights" is crosswalked to F13
    assert _ids(client, theme="Women's rights") == by_code
    assert _ids(client, theme="women's   RIGHTS") == by_code
    assert _ids(client, theme="Violence against women") == by_code  # F13's UHRI name
    assert _ids(client, theme="f13") == by_code

    death = _ids(client, theme="D23")
    assert len(death) == sum("Death penalty" in row["Issue"] for row in _sample_rows())
    assert _ids(client, theme="Death penalty") == death

    # the catalogue keeps the source's own label beside the code
    item = client.get(CATALOGUE, params={"theme": "NHRI", "limit": 1}).json()["items"][0]
    nhri = next(theme for theme in item["themes"] if theme["code"] == "A45")
    assert nhri == {
        "code": "A45",
        "name": "National Human Rights Institution (NHRI)",
        "source_label": "NHRI",
    }
    themes = client.get("/api/v1/taxonomies/themes").json()["items"]
    assert all(theme["code"] for theme in themes), "no uncoded theme left"


@needs_samples
def test_upr_info_action_category_is_kept(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    _upload(client, admin_headers, "1-5.csv", UPR_INFO_CSV.read_bytes())
    expected = Counter(int(row["Action"]) for row in _sample_rows())
    assert expected == {4: 2405, 5: 1840, 2: 993, 3: 649, 1: 207}
    stored = dict(
        db.exec(
            select(Recommendation.action_category, func.count()).group_by(
                Recommendation.action_category  # type: ignore[arg-type]
            )
        ).all()
    )
    assert stored == dict(expected)
    item = client.get(CATALOGUE, params={"limit": 1}).json()["items"][0]
    stored_one = db.get(Recommendation, uuid.UUID(item["id"]))
    assert stored_one is not None
    assert item["action_category"] == stored_one.action_category in expected


@needs_samples
def test_an_issue_the_crosswalk_does_not_know_is_reported(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    rows = _upr_info_rows(3)
    issue = rows[0].index("Issue")
    rows[1][issue] = "Space exploration,Women's rights"
    rows[2][issue] = "Death penalty"
    rows[3][issue] = "Space  exploration, Ocean governance"
    report = _upload(client, admin_headers, "few.csv", _csv_bytes(rows))
    assert report["created"] == 3
    assert _unknown(report) == ["Ocean governance", "Space exploration"]
    again = client.get(f"{IMPORTS}/{report['id']}", headers=admin_headers).json()
    assert sorted(again["unknown_themes"]) == ["Ocean governance", "Space exploration"]
    # kept, uncoded, and still found by their name
    assert len(_ids(client, theme="space exploration")) == 2
    themes = client.get("/api/v1/taxonomies/themes").json()["items"]
    assert {"Ocean governance", "Space exploration"} <= {
        t["name"] for t in themes if t["code"] is None
    }
    dry = _upload(client, admin_headers, "few.csv", _csv_bytes(rows), dry_run="true")
    assert _unknown(dry) == ["Ocean governance", "Space exploration"]


@needs_samples
def test_upr_info_action_outside_one_to_five_rejects_the_row(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    rows = _upr_info_rows(2)
    rows[2][rows[0].index("Action")] = "urgent"
    report = _upload(client, admin_headers, "few.csv", _csv_bytes(rows))
    assert report["created"] == 1
    assert report["rejected"] == [
        {"row": 3, "reason": "unknown action category 'urgent' (expected 1 to 5)"}
    ]


@needs_samples
def test_a_paragraph_number_is_found_by_q_and_by_paragraph(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    report = _upload(client, admin_headers, "matrix.docx", CHINA_MATRIX.read_bytes(), state="CHN")
    assert report["created"] == 252
    by_paragraph = _ids(client, paragraph="186.28")
    by_q = _ids(client, q="186.28")
    assert len(by_paragraph) == 1
    assert by_q == by_paragraph
    (found,) = client.get(CATALOGUE, params={"q": " 186.28 "}).json()["items"]
    assert (found["document_symbol"], found["paragraph"], found["state_code"]) == (
        "A/HRC/25/5",
        "186.28",
        "CHN",
    )
    assert "Mongolia" in found["text"] or found["recommending_states"] == ["MNG"]
    assert _ids(client, q="A/HRC/25/5", state="CHN") == _ids(client, state="CHN")
    # words still search the text
    assert by_paragraph <= _ids(client, q="efforts ratification", state="CHN")
