"""`GET /analytics/assistance/overview.docx?year=`: OHCHR's technical cooperation overview for a
year, read back with python-docx and compared with the analytics answers read through the API
and with counts made here over the requests read through the API.

The data is the assistance analytics' (tests/analytics/support.py): 25 submitted requests of six
States, submitted over the last 400 days, so in two calendar years."""

import datetime as dt
import io
from typing import Any

import docx
import pytest
from docx.document import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.table import Table
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.models import utcnow
from app.core.settings import Settings
from tests.analytics import support
from tests.analytics.support import API, Dataset, Headers, Json, Observed, analytics, get_json
from tests.factories import make_recommendation
from tests.jobs.support import run_jobs
from tests.matching.support import RUNS, accepted_request

connection = support.module_connection
built = support.built_once
rolled_back_each_test = support.savepoint_per_test

OVERVIEW = f"{API}/analytics/assistance/overview.docx"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PNG = b"\x89PNG\r\n\x1a\n"
OUTCOME_ROWS = {
    "waiting": "Waiting",
    "in_triage": "In triage",
    "accepted": "Accepted",
    "matched": "Matched",
    "in_delivery": "In delivery",
    "completed": "Completed",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
}
EMPTY_YEAR = 2001


def overview(client: TestClient, headers: Headers, year: int) -> Document:
    response = client.get(OVERVIEW, params={"year": year}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == DOCX
    return docx.Document(io.BytesIO(response.content))


def years_of(seen: Observed) -> list[int]:
    """The calendar years the requests were submitted in, each once."""
    return sorted({dt.datetime.fromisoformat(r["submitted_at"]).year for r in seen.requests})


def submitted_in(seen: Observed, year: int) -> int:
    return sum(
        1 for r in seen.requests if dt.datetime.fromisoformat(r["submitted_at"]).year == year
    )


def headings(document: Document) -> list[str]:
    return [
        p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 1"
    ]


def text_of(document: Document) -> list[str]:
    return [p.text for p in document.paragraphs]


def table_headed(document: Document, first_header: str) -> Table:
    found = [t for t in document.tables if t.rows[0].cells[0].text == first_header]
    assert len(found) == 1, [t.rows[0].cells[0].text for t in document.tables]
    return found[0]


def rows_of(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows[1:]]


def money_cells(figures: Json) -> list[str]:
    return [
        f"{figures['requests']:,}",
        f"{figures['budget_estimate_usd']:,.0f}",
        f"{figures['co_funding_usd']:,.0f}",
    ]


def test_the_data_spans_two_years(built: tuple[Dataset, Observed]) -> None:
    """So that the year tests below tell one year's requests from the other's."""
    years = years_of(built[1])
    assert len(years) == 2
    assert all(submitted_in(built[1], year) > 0 for year in years)


def test_the_headings_are_the_six_sections(
    client: TestClient, built: tuple[Dataset, Observed]
) -> None:
    year = years_of(built[1])[-1]
    document = overview(client, built[0].officer, year)
    assert headings(document) == [
        f"Demand and response in {year}",
        "By region",
        "Priority States first?",
        "How fast",
        "Where demand outruns supply",
        "Barriers",
    ]


def test_the_core_properties_name_the_year(
    client: TestClient, built: tuple[Dataset, Observed]
) -> None:
    year = years_of(built[1])[-1]
    properties = overview(client, built[0].officer, year).core_properties
    assert properties.title == f"Technical cooperation overview {year}"
    assert str(year) in properties.subject
    assert "technical cooperation" in properties.subject


def test_the_outcomes_table_holds_the_figures_of_the_assistance_answer(
    client: TestClient, built: tuple[Dataset, Observed]
) -> None:
    for year in years_of(built[1]):
        figures = analytics(client, built[0].officer, year=str(year))["groups"][0]
        table = table_headed(overview(client, built[0].officer, year), "Outcome")
        want = [[OUTCOME_ROWS[o], *money_cells(figures["outcomes"][o])] for o in OUTCOME_ROWS]
        assert rows_of(table) == [*want, ["All requests", *money_cells(figures)]], year


def test_a_sentence_states_the_request_count_and_acceptance_rate_of_the_answer(
    client: TestClient, built: tuple[Dataset, Observed]
) -> None:
    year = years_of(built[1])[-1]
    figures = analytics(client, built[0].officer, year=str(year))["groups"][0]
    assert figures["acceptance_rate"] is not None
    count, rate = (
        f"{figures['requests']:,} assistance requests",
        f"{figures['acceptance_rate']:.1%}",
    )
    document = overview(client, built[0].officer, year)
    stating = [p for p in text_of(document) if count in p and rate in p]
    assert len(stating) == 1, text_of(document)
    assert f"In {year}, " in stating[0]


def test_only_the_years_requests_count(client: TestClient, built: tuple[Dataset, Observed]) -> None:
    counts = {}
    for year in years_of(built[1]):
        all_requests = rows_of(table_headed(overview(client, built[0].officer, year), "Outcome"))
        counts[year] = int(all_requests[-1][1].replace(",", ""))
    assert counts == {year: submitted_in(built[1], year) for year in years_of(built[1])}
    assert sum(counts.values()) == len(built[1].requests)


def test_the_region_table_adds_up_to_the_years_requests(
    client: TestClient, built: tuple[Dataset, Observed]
) -> None:
    year = years_of(built[1])[-1]
    rows = rows_of(table_headed(overview(client, built[0].officer, year), "Region"))
    regions = {built[1].states[r["state_code"]]["region"] for r in built[1].requests}
    answer = analytics(client, built[0].officer, year=str(year), group_by="region")
    assert [row[0] for row in rows] == [group["key"]["region"] for group in answer["groups"]]
    assert {row[0] for row in rows} <= regions
    assert sum(int(row[1]) for row in rows) == submitted_in(built[1], year)


def test_the_priority_sentence_states_both_rates_and_their_difference(
    client: TestClient, built: tuple[Dataset, Observed]
) -> None:
    year = years_of(built[1])[-1]
    answer = analytics(client, built[0].officer, year=str(year), group_by="priority")
    sides = {group["key"]["priority"]: group for group in answer["groups"]}
    first, other = sides["priority"]["acceptance_rate"], sides["other"]["acceptance_rate"]
    assert first is not None and other is not None and first != other
    direction = "higher" if first > other else "lower"
    said = (
        f"Acceptance rate: {first:.1%} for priority States and {other:.1%} for the others, "
        f"{abs(first - other) * 100:.1f} percentage points {direction} for priority States"
    )
    text = text_of(overview(client, built[0].officer, year))
    assert any(said in paragraph for paragraph in text), text
    assert not any("came first" in paragraph for paragraph in text)


def test_the_timing_table_holds_median_and_p90_per_quarter_and_stage(
    client: TestClient, built: tuple[Dataset, Observed]
) -> None:
    year = years_of(built[1])[-1]
    answer = analytics(client, built[0].officer, year=str(year), group_by="quarter")
    rows = rows_of(table_headed(overview(client, built[0].officer, year), "Quarter submitted"))
    stages = ("Triage", "Acceptance", "Matching", "Delivery", "Completion")
    assert [(row[0], row[1]) for row in rows] == [
        (group["key"]["quarter"], stage) for group in answer["groups"] for stage in stages
    ]
    reached = [
        (group["key"]["quarter"], timing)
        for group in answer["groups"]
        for timing in group["time_to_stage"].values()
    ]
    assert [int(row[2]) for row in rows] == [timing["requests"] for _, timing in reached]
    for row, (_, timing) in zip(rows, reached, strict=True):
        if timing["median_working_days"] is None:
            assert row[3:] == ["no figure", "no figure"]
        else:
            assert float(row[3]) == pytest.approx(timing["median_working_days"], abs=0.05)
            assert float(row[4]) == pytest.approx(timing["p90_working_days"], abs=0.05)


def test_the_gap_table_lists_the_largest_gaps_as_of_today(
    client: TestClient, built: tuple[Dataset, Observed]
) -> None:
    year = years_of(built[1])[-1]
    gap = get_json(client, f"{API}/analytics/assistance/gap", built[0].officer)
    assert gap["groups"]
    largest = sorted(gap["groups"], key=lambda group: -group["gap"])[:10]
    document = overview(client, built[0].officer, year)
    rows = rows_of(table_headed(document, "Theme"))
    want = [
        [str(g["demand_requests"]), str(g["supply_free_capacity"]), str(g["gap"])] for g in largest
    ]
    assert [[row[4], row[7], row[8]] for row in rows] == want
    today = utcnow().date()
    assert any(f"As of {today.day} {today:%B %Y}, " in p for p in text_of(document))


def test_the_latest_matching_runs_unmatched_requests_are_counted_by_reason(
    client: TestClient, db: Session, settings: Settings, built: tuple[Dataset, Observed]
) -> None:
    """No provider of the data works in Arabic: a request in Arabic stays unmatched."""
    officer = built[0].officer
    accepted_request(client, db, settings, officer, state="WSM", languages=["ar"])
    run = client.post(RUNS, json=None, headers=officer)
    assert run.status_code == 202, run.text
    run_jobs(client.app)  # type: ignore[arg-type]
    unmatched = get_json(client, f"{API}/analytics/assistance/gap", officer)["unmatched"]
    assert unmatched["by_reason"] == {"no_provider_with_language": 1}
    document = overview(client, officer, years_of(built[1])[-1])
    assert rows_of(table_headed(document, "Why left unmatched")) == [
        ["no provider works in the language", "1"]
    ]
    finished = dt.datetime.fromisoformat(unmatched["finished_at"]).date()
    said = (
        f"The latest matching run, finished on {finished.day} {finished:%B %Y}, left 1 request "
        "unmatched: 1 because no provider works in the language."
    )
    assert any(said in paragraph for paragraph in text_of(document)), text_of(document)


def test_the_charts_are_embedded_as_png(
    client: TestClient, built: tuple[Dataset, Observed]
) -> None:
    """By region, time to each stage by quarter and the gap; no shortfall, so no barriers
    chart."""
    document = overview(client, built[0].officer, years_of(built[1])[-1])
    shapes = list(document.inline_shapes)
    assert len(shapes) == 3
    images = [rel.target_part for rel in document.part.rels.values() if rel.reltype == RT.IMAGE]
    assert len(images) == 3
    assert {part.content_type for part in images} == {"image/png"}
    assert all(part.blob.startswith(PNG) for part in images)
    page = document.sections[0]
    assert page.page_width and page.left_margin and page.right_margin
    text_width = page.page_width - page.left_margin - page.right_margin
    assert all(0 < shape.width <= text_width for shape in shapes)
    assert all(shape._inline.docPr.get("descr") for shape in shapes)


def test_the_barriers_table_counts_the_shortfalls_submitted_in_the_year(
    client: TestClient, db: Session, built: tuple[Dataset, Observed]
) -> None:
    data, year = built[0], utcnow().year
    recommendation = make_recommendation(db, state="NPL")
    for barrier, severity in (("financial", "high"), ("financial", "low"), ("legislative", "high")):
        body = {
            "recommendation_ids": [str(recommendation.id)],
            "barrier_type": barrier,
            "severity": severity,
            "description": "No budget line for the national mechanism.",
        }
        created = support.post_ok(client, f"{API}/shortfalls", data.focal["NPL"], body)
        support.post_ok(client, f"{API}/shortfalls/{created['id']}/submit", data.focal["NPL"])
    answer = get_json(
        client,
        f"{API}/analytics/implementation/shortfalls",
        data.officer,
        {"from": f"{year}-01-01", "to": f"{year}-12-31", "group_by": "barrier_type"},
    )
    document = overview(client, data.officer, year)
    rows = rows_of(table_headed(document, "Barrier type"))
    assert [row[1:] for row in rows] == [barrier_cells(group) for group in answer["groups"]]
    assert [row[1] for row in rows] == ["2", "1"]
    assert any(f"In {year}, States submitted 3 shortfalls" in p for p in text_of(document))


def barrier_cells(group: Json) -> list[str]:
    severities = [str(group["by_severity"][s]) for s in ("critical", "high", "medium", "low")]
    return [str(group["shortfalls"]), str(group["open"]), str(group["resolved"]), *severities]


def test_a_year_without_requests_says_so(
    client: TestClient, built: tuple[Dataset, Observed]
) -> None:
    document = overview(client, built[0].officer, EMPTY_YEAR)
    text = text_of(document)
    assert f"No assistance requests were submitted in {EMPTY_YEAR}." in text
    assert f"No shortfall was submitted in {EMPTY_YEAR}." in text
    assert len(headings(document)) == 6
    assert rows_of(table_headed(document, "Outcome"))[-1] == ["All requests", "0", "0", "0"]
    assert [t.rows[0].cells[0].text for t in document.tables] == ["Outcome", "Theme"]


def test_an_administrator_may_read_it(client: TestClient, built: tuple[Dataset, Observed]) -> None:
    document = overview(client, built[0].admin, years_of(built[1])[-1])
    assert len(headings(document)) == 6


@pytest.mark.parametrize(("who", "status"), [("focal point", 403), ("anonymous", 401)])
def test_only_officers_and_administrators_may_read_it(
    client: TestClient, built: tuple[Dataset, Observed], who: str, status: int
) -> None:
    headers: dict[str, Any] = built[0].focal["NPL"] if who == "focal point" else {}
    response = client.get(OVERVIEW, params={"year": years_of(built[1])[-1]}, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
