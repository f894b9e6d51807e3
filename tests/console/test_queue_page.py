"""The triage queue's page: submitted requests, the most urgent first, each score told in words;
filters that narrow it; open requests unless asked otherwise; pages of 25."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.assistance.models import AssistanceRequest, RequestStage, Urgency
from app.core.models import utcnow
from app.taxonomies.vocabularies import AssistanceType
from tests.assistance.helpers import at_noon, make_request, working_days_ago
from tests.console.support import (
    QUEUE,
    link_with_rel,
    row_links,
    signed_in,
    table_rows,
    text_of,
)

pytestmark = pytest.mark.usefixtures("quick_hashing")

PAGE_SIZE = 25
OPEN = [s for s in RequestStage if s not in ("draft", "completed", "declined", "withdrawn")]
FINAL = [RequestStage.completed, RequestStage.declined, RequestStage.withdrawn]


def queue(client: TestClient, **params: str) -> str:
    response = client.get(QUEUE, params=params)
    assert response.status_code == 200, response.text
    html: str = response.text
    return html


def listed(html: str) -> list[str]:
    """The ids of the requests the page lists, in its order."""
    if "No request matches these filters." in text_of(html):
        return []
    prefix = "/console/requests/"
    return [
        next(href[len(prefix) :] for href in links if href.startswith(prefix))
        for links in row_links(html, "queue")
    ]


def waiting(db: Session, days: int, **fields: object) -> AssistanceRequest:
    """A request submitted `days` ago (and in its stage since then)."""
    since = utcnow() - dt.timedelta(days=days)
    stage = fields.pop("stage", RequestStage.submitted)
    return make_request(db, stage=stage, submitted_at=since, stage_entered_at=since, **fields)  # type: ignore[arg-type]


def ids_of(*requests: AssistanceRequest) -> list[str]:
    return [str(r.id) for r in requests]


def test_queue_lists_the_highest_score_first(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    # France: no special need, but critical and waiting long (1.5 + 2 = 3.5).
    france = waiting(db, 40, state="FRA", urgency=Urgency.critical)
    # Senegal: LDC, medium, ten days (3 + 0.5 + 0.5 = 4).
    senegal = waiting(db, 10, state="SEN", urgency=Urgency.medium)
    # Afghanistan: LDC and LLDC, low, today (3 + 2 = 5).
    afghanistan = waiting(db, 0, state="AFG", urgency=Urgency.low)

    html = queue(client)

    assert listed(html) == ids_of(afghanistan, senegal, france)
    scores = [float(row[0].split()[0]) for row in table_rows(html, "queue")]
    assert scores == [5, 4, 3.5]


def test_each_score_is_told_in_words(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    waiting(db, 10, state="SEN", urgency=Urgency.medium)

    (row,) = table_rows(queue(client), "queue")

    assert row[0] == "4 LDC +3, medium urgency +0.5, waiting 10 days +0.5"
    assert "Senegal SEN" in row[2]


def test_a_score_with_no_part_says_so(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    waiting(db, 0, state="FRA", urgency=Urgency.low)

    (row,) = table_rows(queue(client), "queue")

    assert row[0] == "0 no priority factor"


def test_open_requests_by_default_leave_out_completed_declined_and_withdrawn(
    client: TestClient, db: Session
) -> None:
    signed_in(client, db)
    shown = [waiting(db, 1, stage=stage) for stage in OPEN]
    for stage in FINAL:
        waiting(db, 1, stage=stage)

    html = queue(client)

    assert sorted(listed(html)) == sorted(ids_of(*shown))


def test_any_stage_lists_final_requests_too_but_never_drafts(
    client: TestClient, db: Session
) -> None:
    signed_in(client, db)
    every = [waiting(db, 1, stage=stage) for stage in [*OPEN, *FINAL]]
    make_request(db, stage=RequestStage.draft)

    html = queue(client, stage="any")

    assert sorted(listed(html)) == sorted(ids_of(*every))


def test_stage_filter_shows_only_that_stage(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    in_triage = waiting(db, 1, stage=RequestStage.in_triage)
    waiting(db, 1, stage=RequestStage.submitted)
    declined = waiting(db, 1, stage=RequestStage.declined)

    assert listed(queue(client, stage="in_triage")) == ids_of(in_triage)
    assert listed(queue(client, stage="declined")) == ids_of(declined)


def test_region_filter_takes_a_region_or_a_sub_region(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    senegal = waiting(db, 1, state="SEN")
    samoa = waiting(db, 1, state="WSM")

    assert listed(queue(client, region="Africa")) == ids_of(senegal)
    assert listed(queue(client, region="Polynesia")) == ids_of(samoa)


def test_state_filter_shows_only_that_states_requests(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    samoa = waiting(db, 1, state="WSM")
    waiting(db, 1, state="SEN")

    assert listed(queue(client, state="wsm")) == ids_of(samoa)


def test_assistance_type_filter_shows_only_that_type(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    training = waiting(db, 1, assistance_type=AssistanceType.training_of_officials)
    waiting(db, 1, assistance_type=AssistanceType.nmrf_support)

    html = queue(client, assistance_type="training_of_officials")

    assert listed(html) == ids_of(training)


def _overdue(db: Session) -> AssistanceRequest:
    """Submitted thirty working days ago: past the ten-day target."""
    entered = at_noon(working_days_ago(30))
    return make_request(
        db, stage=RequestStage.submitted, submitted_at=entered, stage_entered_at=entered
    )


def test_overdue_filter_shows_only_overdue_requests(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    late = _overdue(db)
    waiting(db, 0)

    assert listed(queue(client, overdue="1")) == ids_of(late)


def test_an_overdue_request_carries_the_overdue_badge(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    late = _overdue(db)
    fresh = waiting(db, 0)

    html = queue(client)

    stages = {rid: row[3] for rid, row in zip(listed(html), table_rows(html, "queue"), strict=True)}
    assert stages[str(late.id)] == "submitted overdue"
    assert stages[str(fresh.id)] == "submitted"


def test_mine_shows_only_the_requests_assigned_to_the_officer(
    client: TestClient, db: Session
) -> None:
    officer, _ = signed_in(client, db)
    mine = waiting(db, 1)
    mine.assigned_officer_id = officer.id
    waiting(db, 1)
    db.flush()

    html = queue(client, mine="1")

    assert listed(html) == ids_of(mine)
    assert table_rows(html, "queue")[0][3] == "submitted yours"


def test_no_match_says_so(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    waiting(db, 1, state="WSM")

    html = queue(client, state="SEN")

    assert "No request matches these filters." in text_of(html)


def test_a_filter_the_queue_does_not_know_is_refused_with_a_message(
    client: TestClient, db: Session
) -> None:
    signed_in(client, db)

    response = client.get(QUEUE, params={"stage": "teleported"})

    assert response.status_code == 422
    assert "These filters could not be applied." in text_of(response.text)


def test_more_than_a_page_links_to_the_next_page(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    made = [waiting(db, day) for day in range(PAGE_SIZE + 1)]

    first = queue(client, state="WSM")
    next_url = link_with_rel(first, "next")
    assert next_url is not None
    query = parse_qs(urlsplit(next_url).query)
    assert query["state"] == ["WSM"] and query["after"][0]
    second = client.get(next_url)

    assert second.status_code == 200
    assert len(listed(first)) == PAGE_SIZE
    assert sorted(listed(first) + listed(second.text)) == sorted(ids_of(*made))
    assert link_with_rel(second.text, "next") is None
    assert "First page" in text_of(second.text)


def test_a_single_page_has_no_next_link(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    for day in range(3):
        waiting(db, day)

    assert link_with_rel(queue(client), "next") is None


@pytest.mark.parametrize("after", ["garbage", "0fb26ba4-f832-49c7-b944-5a144b70e297"])
def test_a_broken_page_cursor_is_refused_with_a_message(
    client: TestClient, db: Session, after: str
) -> None:
    signed_in(client, db)

    response = client.get(QUEUE, params={"after": after})

    assert response.status_code == 422
    assert "These filters could not be applied." in text_of(response.text)
