"""`GET /states/{code}/report-draft.docx`: the Word document a delegation edits into its
mid-term implementation report, read back with python-docx.

The scenario, for Samoa (WSM), by paragraph:

    paragraph  mechanism, cycle  themes                    position            reports
    186.28     upr 2             A12                       supported           2022 not started,
                                                                               2023 in progress
    186.3      upr 2             A12, A3                   supported in part   2024 draft
    42         crc 1             B31                       -                   -, a draft shortfall
    120.5      upr 3             Rights of older persons   noted               -
    186.40     upr 2             -                         supported           -

186.28 also has a resolved shortfall and a submitted assistance request with an accepted and a
proposed assignment, plus a request never submitted. Nepal has a recommendation of its own.
"""

import datetime as dt
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import docx
import pytest
from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.table import Table
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.assistance.lifecycle import Verb
from app.core.principal import Principal, Role
from app.core.settings import Settings
from app.expertise.models import Assignment, AssignmentStatus, Provider, ProviderKind
from app.lifecycle.engine import apply
from app.recommendations.models import Recommendation
from app.shortfalls.schemas import ShortfallResolve
from tests.assistance.helpers import create, move
from tests.core.test_problems import assert_problem
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

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
URL = "/api/v1/states/WSM/report-draft.docx"
TITLE = "Samoa: implementation of the recommendations received — draft"
A3 = ("A3", "Inter-State cooperation & development assistance")
A12 = ("A12", "Acceptance of international norms")
B31 = ("B31", "Equality & non-discrimination")
OLDER = (None, "Rights of older persons")
UNSUBMITTED_SHORTFALL = {
    "barrier_type": "legislative",
    "severity": "medium",
    "description": "The equality bill awaits a second reading.",
}
INDICATOR = {
    "name": "Officials trained",
    "value": 40,
    "unit": "persons",
    "date": "2023-11-30",
    "disaggregation": {"sex": "female", "age": "15-24"},
}


def _recommendation(db: Session, paragraph: str, **fields: Any) -> Recommendation:
    return make_recommendation(
        db,
        paragraph=paragraph,
        document_symbol="A/HRC/25/5",
        text=f"Text of {paragraph}.",
        **fields,
    )


@pytest.fixture
def samoa(client: TestClient, db: Session, settings: Settings) -> Headers:
    """The scenario above, written by Samoa's focal point; its headers."""
    ratify = _recommendation(db, "186.28", themes=(A12,), recommending=("NZL", "AUS"))
    cooperate = _recommendation(db, "186.3", themes=(A12, A3), position="supported_in_part")
    equality = _recommendation(
        db, "42", mechanism="crc", body="CRC", cycle=1, session=None, themes=(B31,), position=None
    )
    _recommendation(db, "120.5", cycle=3, session=35, themes=(OLDER,), position="noted")
    _recommendation(db, "186.40", themes=())
    make_recommendation(db, state="NPL", paragraph="99.1", themes=(A12,))

    focal = principal_of(make_user(db, role=Role.state_focal_point, state="WSM"))
    _report(db, focal, ratify, 2022, "not_started", "submitted")
    _report(
        db,
        focal,
        ratify,
        2023,
        "in_progress",
        "submitted",
        measures=("Bill tabled in parliament", "Consultation held"),
        indicators=(INDICATOR,),
    )
    _report(db, focal, cooperate, 2024, "partially_implemented", "draft")
    shortfall = write(db, focal, SHORTFALL, shortfall_body(ratify.id), stage="submitted")
    apply(db, focal, shortfall, "resolve", ShortfallResolve(resolved_on=dt.date(2024, 3, 1)))
    write(db, focal, SHORTFALL, shortfall_body(equality.id, **UNSUBMITTED_SHORTFALL))

    headers = caller(db, settings, Role.state_focal_point, "WSM")
    request = create(
        client,
        headers,
        title="Support to draft the accession bill",
        assistance_type="legislative_review",
        recommendation_ids=[str(ratify.id)],
    )
    move(client, request["id"], Verb.submit, headers)
    create(client, headers, title="Never submitted", recommendation_ids=[str(ratify.id)])
    _assign(db, request["id"], "Jane Adviser", "UNDP", AssignmentStatus.accepted)
    _assign(db, request["id"], "Pending Expert", "OHCHR", AssignmentStatus.proposed)
    return headers


def _report(
    db: Session,
    who: Principal,
    rec: Recommendation,
    year: int,
    status: str,
    stage: str,
    *,
    measures: tuple[str, ...] = (),
    indicators: tuple[dict[str, Any], ...] = (),
) -> None:
    period = {"period_start": f"{year}-01-01", "period_end": f"{year}-12-31"}
    body = report_body(
        rec.id, **period, status=status, measures=list(measures), indicators=list(indicators)
    )
    write(db, who, REPORT, body, stage=stage)


def _assign(
    db: Session, request_id: str, name: str, organization: str, status: AssignmentStatus
) -> None:
    provider = Provider(
        name=name, organization=organization, kind=ProviderKind.human_rights_adviser
    )
    db.add(provider)
    db.flush()
    db.add(Assignment(request_id=uuid.UUID(request_id), provider_id=provider.id, status=status))
    db.flush()


# --- reading the document back --------------------------------------------------------------


@dataclass
class Draft:
    document: Document
    summary: dict[str, str]
    sections: list[tuple[str, list[list[str]]]]
    """Each theme heading with the cell texts of its table's rows, header row left out."""

    def row(self, paragraph: str) -> list[str]:
        (found,) = [
            row for _, rows in self.sections for row in rows if _paragraph(row) == paragraph
        ]
        return found

    def paragraphs(self) -> list[list[str]]:
        return [[_paragraph(row) for row in rows] for _, rows in self.sections]


def _paragraph(row: list[str]) -> str:
    return row[0].split(" ", 1)[0]


def _rows(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows[1:]]


def _read(content: bytes) -> Draft:
    document = docx.Document(io.BytesIO(content))
    heading, tables = "", []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            tables.append((heading, _rows(block)))
        elif block.style is not None and block.style.name == "Heading 1":
            heading = block.text
    (summary_heading, summary), *sections = tables
    assert summary_heading == "Summary"
    return Draft(document, dict(summary), sections)


def _draft(client: TestClient, headers: Headers, query: str = "") -> Draft:
    response = client.get(URL + query, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == DOCX
    return _read(response.content)


def _officer(db: Session, settings: Settings) -> Headers:
    return caller(db, settings, Role.ohchr_officer)


def _lines(cell: str) -> list[str]:
    return cell.split("\n")


def _texts(draft: Draft) -> Iterator[str]:
    for _, rows in draft.sections:
        for row in rows:
            yield from row


# --- what the document holds ----------------------------------------------------------------


def test_the_draft_opens_with_its_title_and_what_it_was_built_from(
    client: TestClient, db: Session, settings: Settings, samoa: Headers
) -> None:
    before = dt.datetime.now(dt.UTC).date()
    draft = _draft(client, samoa, "?mechanism=upr&cycle=2")
    after = dt.datetime.now(dt.UTC).date()
    title, built = draft.document.paragraphs[:2]
    assert (title.style.name if title.style else None, title.text) == ("Title", TITLE)
    assert built.text in {
        f"Built on {day.isoformat()} from what was recorded on the Item 10 Voluntary Platform "
        "(mechanism: Universal Periodic Review, cycle: 2; drafts included)."
        for day in (before, after)
    }
    assert draft.document.core_properties.title == TITLE
    assert draft.document.core_properties.subject == (
        "Implementation report draft: mechanism: Universal Periodic Review, cycle: 2; "
        "drafts included"
    )


def test_the_draft_is_on_landscape_pages_with_grid_tables(
    client: TestClient, samoa: Headers
) -> None:
    document = _draft(client, samoa).document
    section = document.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert section.page_width is not None and section.page_height is not None
    assert section.page_width > section.page_height
    styles = {table.style.name if table.style else None for table in document.tables}
    assert styles == {"Table Grid"}
    assert [cell.text for cell in document.tables[1].rows[0].cells] == [
        "Recommendation",
        "Position",
        "Progress",
        "Shortfalls",
        "Assistance",
    ]


def test_each_theme_has_a_table_in_the_natural_order_of_codes(
    client: TestClient, samoa: Headers
) -> None:
    """A3 before A12; a theme without a code after the codes; unthemed recommendations last."""
    draft = _draft(client, samoa)
    assert [heading for heading, _ in draft.sections] == [
        "A3 Inter-State cooperation & development assistance",
        "A12 Acceptance of international norms",
        "B31 Equality & non-discrimination",
        "Rights of older persons",
        "Other recommendations",
    ]
    assert draft.paragraphs() == [["186.3"], ["186.28"], ["42"], ["120.5"], ["186.40"]]


def test_a_recommendation_with_two_themes_appears_once_under_the_first(
    client: TestClient, samoa: Headers
) -> None:
    draft = _draft(client, samoa)
    placed = [
        heading for heading, rows in draft.sections for row in rows if row[0].startswith("186.3 ")
    ]
    assert placed == ["A3 Inter-State cooperation & development assistance"]


def test_a_row_holds_the_recommendation_its_recommending_states_and_position(
    client: TestClient, samoa: Headers
) -> None:
    draft = _draft(client, samoa)
    recommendation, position, *_ = draft.row("186.28")
    assert _lines(recommendation) == [
        "186.28 Text of 186.28. (Australia, New Zealand)",
        "Source: Universal Periodic Review, cycle 2, A/HRC/25/5",
    ]
    assert (position, draft.row("186.3")[1], draft.row("42")[1]) == (
        "supported",
        "supported in part",
        "—",
    )


def test_a_row_holds_the_latest_report_with_its_measures_and_disaggregated_indicators(
    client: TestClient, db: Session, settings: Settings, samoa: Headers
) -> None:
    """The 2023 report, not the 2022 one; disaggregation keys in alphabetical order."""
    progress = _draft(client, _officer(db, settings)).row("186.28")[2]
    assert _lines(progress) == [
        "In progress",
        "Period: 2023-01-01 to 2023-12-31",
        "Measures:",
        "• Bill tabled in parliament",
        "• Consultation held",
        "Indicators:",
        "• Officials trained: 40 persons (2023-11-30; age=15-24, sex=female)",
    ]


def test_the_state_sees_its_own_draft_report_marked_as_a_draft(
    client: TestClient, samoa: Headers
) -> None:
    progress = _draft(client, samoa).row("186.3")[2]
    assert _lines(progress)[:2] == [
        "Partially implemented (draft)",
        "Period: 2024-01-01 to 2024-12-31",
    ]


def test_ohchr_does_not_see_the_states_draft_report(
    client: TestClient, db: Session, settings: Settings, samoa: Headers
) -> None:
    draft = _draft(client, _officer(db, settings))
    assert draft.row("186.3")[2] == "No progress report"
    assert "submitted material only" in draft.document.paragraphs[1].text
    assert not any("(draft)" in text for text in _texts(draft))


def test_the_state_sees_its_own_draft_shortfall_marked_as_a_draft(
    client: TestClient, samoa: Headers
) -> None:
    shortfalls = _draft(client, samoa).row("42")[3]
    assert shortfalls == "Legislation, medium: The equality bill awaits a second reading. (draft)"


def test_a_shortfall_appears_with_its_resolution_date(
    client: TestClient, db: Session, settings: Settings, samoa: Headers
) -> None:
    shortfalls = _draft(client, _officer(db, settings)).row("186.28")[3]
    assert shortfalls == (
        "Financial resources, high: No budget line for the national preventive mechanism. "
        "(resolved on 2024-03-01)"
    )


def test_assistance_shows_submitted_requests_and_providers_of_accepted_assignments(
    client: TestClient, db: Session, settings: Settings, samoa: Headers
) -> None:
    """The proposed assignment's provider and the request never submitted are left out."""
    for headers in (samoa, _officer(db, settings)):
        assistance = _draft(client, headers).row("186.28")[4]
        assert _lines(assistance) == [
            "Support to draft the accession bill (Legislative review; submitted)",
            "Provider: Jane Adviser, UNDP",
        ]


def test_the_summary_counts_what_the_caller_sees(
    client: TestClient, db: Session, settings: Settings, samoa: Headers
) -> None:
    expected = {
        "Recommendations": "5",
        "With a progress report": "2",
        "Latest status: Fully implemented": "0",
        "Latest status: Partially implemented": "1",
        "Latest status: In progress": "1",
        "Latest status: Not started": "0",
        "Latest status: no progress report": "3",
        "Open shortfalls": "1",
        "Assistance requests": "1",
    }
    assert _draft(client, samoa).summary == expected
    ohchr = _draft(client, _officer(db, settings)).summary
    assert ohchr == expected | {
        "With a progress report": "1",
        "Latest status: Partially implemented": "0",
        "Latest status: no progress report": "4",
        "Open shortfalls": "0",
    }


def test_the_mechanism_filter_keeps_that_mechanisms_recommendations(
    client: TestClient, samoa: Headers
) -> None:
    draft = _draft(client, samoa, "?mechanism=crc")
    assert draft.paragraphs() == [["42"]]
    assert draft.summary["Recommendations"] == "1"


def test_the_cycle_filter_keeps_that_cycles_recommendations(
    client: TestClient, samoa: Headers
) -> None:
    assert _draft(client, samoa, "?cycle=2").paragraphs() == [["186.3"], ["186.28"], ["186.40"]]
    assert _draft(client, samoa, "?mechanism=upr&cycle=3").paragraphs() == [["120.5"]]


def test_an_unknown_mechanism_is_422(client: TestClient, samoa: Headers) -> None:
    assert_problem(client.get(URL + "?mechanism=nope", headers=samoa), 422, "validation-error")


def test_a_state_without_matching_recommendations_gets_an_empty_draft(
    client: TestClient, samoa: Headers
) -> None:
    draft = _draft(client, samoa, "?cycle=9")
    assert (draft.sections, draft.summary["Recommendations"]) == ([], "0")
    assert draft.document.paragraphs[-1].text == "No recommendation matches these filters."


# --- who may ask --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "state"),
    [
        (Role.state_contributor, "WSM"),
        (Role.state_focal_point, "WSM"),
        (Role.ohchr_officer, None),
        (Role.ohchr_admin, None),
    ],
)
def test_the_state_and_ohchr_get_the_draft(
    client: TestClient, db: Session, settings: Settings, role: Role, state: str | None
) -> None:
    response = client.get(URL, headers=caller(db, settings, role, state or "WSM"))
    assert response.status_code == 200, response.text
    assert _read(response.content).document.paragraphs[0].text == TITLE


def test_another_states_member_gets_404(
    client: TestClient, db: Session, settings: Settings
) -> None:
    headers = caller(db, settings, Role.state_focal_point, "NPL")
    assert_problem(client.get(URL, headers=headers), 404, "not-found")


def test_a_provider_gets_403(client: TestClient, db: Session, settings: Settings) -> None:
    headers = caller(db, settings, Role.provider)
    assert_problem(client.get(URL, headers=headers), 403, "forbidden")


def test_an_anonymous_caller_gets_401(client: TestClient) -> None:
    assert_problem(client.get(URL), 401, "unauthorized")


def test_an_unknown_state_is_404(client: TestClient, db: Session, settings: Settings) -> None:
    headers = _officer(db, settings)
    assert_problem(
        client.get("/api/v1/states/XXX/report-draft.docx", headers=headers), 404, "not-found"
    )
