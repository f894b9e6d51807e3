"""A request's page: the request, the State's card, the recommendations it is about with the
State's latest progress and shortfalls on each, the thread with internal notes marked, the
history, and exactly the moves the lifecycle table opens to the officer now."""

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.assistance.lifecycle import Verb
from app.assistance.models import (
    AssistanceRequest,
    RequestMessage,
    RequestRecommendation,
    RequestStage,
)
from app.core.principal import Role
from app.core.settings import Settings
from tests.assistance.helpers import REQUESTS, create, make_request, move, open_verbs
from tests.console.support import forms, read, signed_in, table_captioned, text_of
from tests.factories import auth, make_user
from tests.progress.support import (
    REPORT,
    SHORTFALL,
    make_bare_recommendation,
    principal_of,
    report_body,
    shortfall_body,
    write,
)

pytestmark = pytest.mark.usefixtures("quick_hashing")

SHOWN_STAGES = [s for s in RequestStage if s is not RequestStage.draft]


def page_of(client: TestClient, request_id: object) -> str:
    response = client.get(f"/console/requests/{request_id}")
    assert response.status_code == 200, response.text
    html: str = response.text
    return html


def verbs_offered(html: str) -> list[str]:
    """The verbs of the page's move forms, in the page's order."""
    return [f.action.rsplit("/verbs/", 1)[1] for f in forms(html) if "/verbs/" in f.action]


def test_the_page_shows_the_states_card(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    request = make_request(db, stage=RequestStage.submitted, state="HTI")

    words = text_of(page_of(client, request.id))

    assert "Haiti HTI" in words
    assert "Region Americas" in words
    assert "Sub-region Caribbean" in words
    assert (
        "Priority groups least developed country (LDC), small island developing State (SIDS)"
        in words
    )


def test_a_state_with_no_special_need_says_none(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    request = make_request(db, stage=RequestStage.submitted, state="FRA")

    words = text_of(page_of(client, request.id))

    assert "Priority groups none" in words
    assert "(LDC)" not in words


def test_each_recommendation_shows_the_latest_progress_and_its_shortfalls(
    client: TestClient, db: Session
) -> None:
    signed_in(client, db)
    focal = principal_of(make_user(db, role=Role.state_focal_point, state="WSM"))
    recommendation = make_bare_recommendation(db, state="WSM")
    older = report_body(
        recommendation.id,
        period_start="2021-01-01",
        period_end="2021-12-31",
        status="not_started",
        summary="Nothing yet in 2021.",
    )
    write(db, focal, REPORT, older, stage="submitted")
    write(db, focal, REPORT, report_body(recommendation.id), stage="submitted")
    shortfall = write(db, focal, SHORTFALL, shortfall_body(recommendation.id), stage="submitted")
    request = make_request(db, stage=RequestStage.submitted, shortfalls=(shortfall,))
    db.add(RequestRecommendation(request_id=request.id, recommendation_id=recommendation.id))
    db.flush()

    html = page_of(client, request.id)
    words = text_of(html)

    assert "Establish a national preventive mechanism." in words
    assert "Latest progress: in progress, Jan 1, 2023 to Dec 31, 2023." in words
    assert "A national action plan was adopted." in words
    assert "Nothing yet in 2021." not in words
    assert (
        "Shortfall, high: No budget line for the national preventive mechanism. financial" in words
    )
    assert "Other shortfalls the request names" not in words


def test_a_request_about_no_recommendation_says_so(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    request = make_request(db, stage=RequestStage.submitted)

    assert "The request names no recommendation." in text_of(page_of(client, request.id))


def _message(db: Session, request: AssistanceRequest, body: str, *, internal: bool) -> None:
    role = Role.ohchr_officer if internal else Role.state_focal_point
    db.add(
        RequestMessage(request_id=request.id, author_role=role.value, body=body, internal=internal)
    )
    db.flush()


def test_the_thread_marks_internal_notes(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    request = make_request(db, stage=RequestStage.in_triage)
    _message(db, request, "Here is the budget.", internal=False)
    _message(db, request, "Check the budget with the desk.", internal=True)

    html = page_of(client, request.id)

    thread = [item for item in read(html).items if "budget" in item.text]
    assert [item.classes for item in thread] == [[], ["internal"]]
    assert "Internal note: never shown to the State" not in thread[0].text
    assert thread[0].text.endswith("Here is the budget.")
    assert thread[1].text.startswith("Internal note: never shown to the State")
    assert thread[1].text.endswith("Check the budget with the desk.")


def test_the_history_lists_every_move_oldest_first(
    client: TestClient, db: Session, settings: Settings
) -> None:
    signed_in(client, db)
    focal = auth(settings, make_user(db, role=Role.state_focal_point, state="WSM"))
    officer = auth(settings, make_user(db, role=Role.ohchr_officer))
    created = create(client, focal)
    move(client, created["id"], Verb.submit, focal)
    move(client, created["id"], Verb.start_triage, officer)
    move(client, created["id"], Verb.decline, officer, reason="Out of the fund's scope.")

    html = page_of(client, created["id"])
    history = table_captioned(html, "Every move of the request")
    moves = [row[1:] for row in history.rows]

    assert moves == [
        ["Submit", "draft", "submitted", "State focal point", ""],
        ["Start triage", "submitted", "in triage", "OHCHR officer", ""],
        ["Decline", "in triage", "declined", "OHCHR officer", "Out of the fund's scope."],
    ]
    assert "Reason for declining Out of the fund's scope." in text_of(html)


def test_a_submitted_request_offers_start_triage_only(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    request = make_request(db, stage=RequestStage.submitted)

    assert verbs_offered(page_of(client, request.id)) == ["start-triage"]


def test_a_request_in_triage_offers_request_info_accept_and_decline(
    client: TestClient, db: Session
) -> None:
    signed_in(client, db)
    request = make_request(db, stage=RequestStage.in_triage)

    assert sorted(verbs_offered(page_of(client, request.id))) == [
        "accept",
        "decline",
        "request-info",
    ]


def test_the_decline_form_asks_for_a_reason_and_request_info_for_a_message(
    client: TestClient, db: Session
) -> None:
    signed_in(client, db)
    request = make_request(db, stage=RequestStage.in_triage)

    by_verb = {
        f.action.rsplit("/", 1)[1]: f
        for f in forms(page_of(client, request.id))
        if "/verbs/" in f.action
    }

    assert by_verb["decline"].textareas == ["reason"]
    assert by_verb["request-info"].textareas == ["message"]
    assert by_verb["accept"].textareas == []
    assert {f.fields["version"] for f in by_verb.values()} == {"1"}


@pytest.mark.parametrize("stage", SHOWN_STAGES, ids=str)
def test_the_page_offers_exactly_the_moves_the_lifecycle_table_opens(
    client: TestClient, db: Session, stage: RequestStage
) -> None:
    signed_in(client, db)
    request = make_request(db, stage=stage)

    html = page_of(client, request.id)

    assert sorted(verbs_offered(html)) == sorted(open_verbs(stage, Role.ohchr_officer))
    if not verbs_offered(html):
        assert "No move is open to you at this stage." in text_of(html)


def test_assign_to_me_is_offered_until_the_request_is_the_officers(
    client: TestClient, db: Session
) -> None:
    officer, _ = signed_in(client, db)
    request = make_request(db, stage=RequestStage.in_triage)
    assert any(f.action.endswith("/assign") for f in forms(page_of(client, request.id)))

    request.assigned_officer_id = officer.id
    db.flush()
    html = page_of(client, request.id)

    assert not any(f.action.endswith("/assign") for f in forms(html))
    assert "Assigned officer you" in text_of(html)


def test_another_states_draft_is_not_found(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    draft = make_request(db, stage=RequestStage.draft, state="SEN")

    response = client.get(f"/console/requests/{draft.id}")

    assert response.status_code == 404
    assert "The console could not do this" in text_of(response.text)
    assert draft.title not in response.text


def test_an_unknown_request_is_not_found(client: TestClient, db: Session) -> None:
    signed_in(client, db)

    response = client.get(f"/console/requests/{uuid.uuid4()}")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_a_request_id_that_is_no_uuid_is_answered_with_a_page(
    client: TestClient, db: Session
) -> None:
    signed_in(client, db)

    response = client.get("/console/requests/not-a-uuid")

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "The console could not do this" in text_of(response.text)


def test_the_api_still_answers_problem_documents(
    client: TestClient, db: Session, settings: Settings
) -> None:
    officer = auth(settings, make_user(db, role=Role.ohchr_officer))

    response = client.get(f"{REQUESTS}/{uuid.uuid4()}", headers=officer)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
