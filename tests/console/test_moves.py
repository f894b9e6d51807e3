"""Moving a request and writing on it from its page: through the page's own forms, on the version
the officer was looking at. A move someone else made first, or a form missing what the move
needs, changes nothing and the page says why."""

import re
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.assistance.lifecycle import Verb
from app.assistance.models import RequestStage
from app.core.principal import Role
from app.core.settings import Settings
from tests.assistance.helpers import (
    REQUESTS,
    audit_of,
    event_of,
    make_request,
    messages_of,
    move,
    stored,
    transitions_of,
)
from tests.console.support import Form, form_to, forms, row_counts, signed_in, text_of
from tests.factories import auth, make_user

pytestmark = pytest.mark.usefixtures("quick_hashing")

MOVED = "Someone else changed this request before you."
INVALID = "That could not be done: a required message or reason was missing or too long."


def page_of(client: TestClient, request_id: object, query: str = "") -> str:
    response = client.get(f"/console/requests/{request_id}{query}")
    assert response.status_code == 200, response.text
    html: str = response.text
    return html


def verb_form(html: str, verb: str) -> Form:
    return form_to(html, f"/verbs/{verb}")


def send(client: TestClient, form: Form, **fields: str) -> str:
    """Send a page's form as the browser would; the notice the redirect names."""
    response = client.post(form.action, data={**form.fields, **fields}, follow_redirects=False)
    assert response.status_code == 303, response.text
    location: str = response.headers["location"]
    path, _, query = location.partition("?")
    assert form.action.startswith(path) and re.fullmatch(r"/console/requests/[0-9a-f-]{36}", path)
    return query.removeprefix("notice=")


def test_start_triage_then_accept_through_the_forms(client: TestClient, db: Session) -> None:
    officer, _ = signed_in(client, db)
    request = make_request(db, stage=RequestStage.submitted)

    first = send(client, verb_form(page_of(client, request.id), "start-triage"))
    after_first = page_of(client, request.id, f"?notice={first}")
    second = send(client, verb_form(after_first, "accept"))

    assert (first, second) == ("done-start-triage", "done-accept")
    assert "Done: Start triage. The request is now in triage." in text_of(after_first)
    after = stored(db, request.id)
    assert (after.stage, after.version) == (RequestStage.accepted, 3)
    moves = [(t.verb, t.from_stage, t.to_stage, t.actor_id) for t in transitions_of(db, request.id)]
    assert moves == [
        ("start-triage", "submitted", "in_triage", officer.id),
        ("accept", "in_triage", "accepted", officer.id),
    ]
    events = audit_of(db, request.id)
    assert [e.action for e in events] == [event_of(Verb.start_triage), event_of(Verb.accept)]
    assert {e.actor_id for e in events} == {officer.id}


def test_the_done_notice_names_the_move_and_the_new_stage(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    request = make_request(db, stage=RequestStage.in_triage)

    notice = send(client, verb_form(page_of(client, request.id), "accept"))

    assert "Done: Accept. The request is now accepted." in text_of(
        page_of(client, request.id, f"?notice={notice}")
    )


def test_a_move_made_first_through_the_api_turns_the_stale_form_away(
    client: TestClient, db: Session, settings: Settings
) -> None:
    signed_in(client, db)
    request = make_request(db, stage=RequestStage.in_triage)
    stale = verb_form(page_of(client, request.id), "decline")
    colleague = make_user(db, role=Role.ohchr_officer)
    move(client, request.id, Verb.accept, auth(settings, colleague))
    before = row_counts(db)

    notice = send(client, stale, reason="Out of scope.")

    assert notice == "moved"
    assert row_counts(db) == before
    after = stored(db, request.id)
    assert (after.stage, after.version, after.decline_reason) == (RequestStage.accepted, 2, None)
    assert [t.verb for t in transitions_of(db, request.id)] == ["accept"]
    assert [t.actor_id for t in transitions_of(db, request.id)] == [colleague.id]


def test_the_page_after_a_stale_form_says_so_and_shows_the_fresh_stage(
    client: TestClient, db: Session, settings: Settings
) -> None:
    signed_in(client, db)
    request = make_request(db, stage=RequestStage.in_triage)
    stale = verb_form(page_of(client, request.id), "request-info")
    move(client, request.id, Verb.accept, auth(settings, make_user(db, role=Role.ohchr_officer)))

    notice = send(client, stale, message="Please send the budget.")
    html = page_of(client, request.id, f"?notice={notice}")

    words = text_of(html)
    assert MOVED in words
    assert "The page now shows the request as it is: it is accepted." in words
    assert "Stage accepted" in words
    assert {f.fields.get("version") for f in forms(html) if "version" in f.fields} == {"2"}


def test_a_stale_version_at_the_same_stage_changes_nothing(
    client: TestClient, db: Session, settings: Settings
) -> None:
    """Someone edited the request (version 2) without moving it: the form's version 1 loses."""
    signed_in(client, db)
    request = make_request(db, stage=RequestStage.in_triage)
    stale = verb_form(page_of(client, request.id), "accept")
    officer = auth(settings, make_user(db, role=Role.ohchr_officer))
    etag = client.get(f"{REQUESTS}/{request.id}", headers=officer).headers["etag"]
    edit = client.patch(
        f"{REQUESTS}/{request.id}",
        json={"internal_notes": "Budget to check."},
        headers={**officer, "If-Match": etag},
    )
    assert edit.status_code == 200, edit.text

    notice = send(client, stale)

    assert notice == "moved"
    after = stored(db, request.id)
    assert (after.stage, after.version) == (RequestStage.in_triage, 2)
    assert transitions_of(db, request.id) == []


def test_decline_without_a_reason_is_invalid_and_changes_nothing(
    client: TestClient, db: Session
) -> None:
    signed_in(client, db)
    request = make_request(db, stage=RequestStage.in_triage)
    before = row_counts(db)

    notice = send(client, verb_form(page_of(client, request.id), "decline"), reason="")

    assert notice == "invalid"
    assert INVALID in text_of(page_of(client, request.id, "?notice=invalid"))
    assert row_counts(db) == before
    after = stored(db, request.id)
    assert (after.stage, after.version, after.decline_reason) == (RequestStage.in_triage, 1, None)
    assert transitions_of(db, request.id) == []
    assert audit_of(db, request.id) == []


def test_request_info_without_a_message_is_invalid_and_changes_nothing(
    client: TestClient, db: Session
) -> None:
    signed_in(client, db)
    request = make_request(db, stage=RequestStage.in_triage)

    notice = send(client, verb_form(page_of(client, request.id), "request-info"), message="")

    assert notice == "invalid"
    assert stored(db, request.id).stage is RequestStage.in_triage
    assert messages_of(db, request.id) == []


def test_decline_with_a_reason_stores_it(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    request = make_request(db, stage=RequestStage.in_triage)

    notice = send(client, verb_form(page_of(client, request.id), "decline"), reason="Out of scope.")

    assert notice == "done-decline"
    after = stored(db, request.id)
    assert (after.stage, after.decline_reason) == (RequestStage.declined, "Out of scope.")


def test_assign_to_me_assigns_the_request_to_the_officer(client: TestClient, db: Session) -> None:
    officer, _ = signed_in(client, db)
    request = make_request(db, stage=RequestStage.in_triage)

    notice = send(client, form_to(page_of(client, request.id), "/assign"))

    assert notice == "done-assign"
    after = stored(db, request.id)
    assert (after.assigned_officer_id, after.version) == (officer.id, 2)


def test_an_internal_note_is_stored_internal_and_the_state_never_reads_it(
    client: TestClient, db: Session, settings: Settings
) -> None:
    signed_in(client, db)
    request = make_request(db, stage=RequestStage.in_triage)
    html = page_of(client, request.id)
    thread = form_to(html, "/messages")

    notices = [
        send(client, thread, body="Check the budget with the desk.", internal="1"),
        send(client, thread, body="Please send the budget."),
    ]

    assert notices == ["done-message", "done-message"]
    kept = {m.body: m.internal for m in messages_of(db, request.id)}
    assert kept == {"Check the budget with the desk.": True, "Please send the budget.": False}
    focal = auth(settings, make_user(db, role=Role.state_focal_point, state=request.state_code))
    seen = client.get(f"{REQUESTS}/{request.id}/messages", headers=focal)
    assert seen.status_code == 200, seen.text
    assert [m["body"] for m in seen.json()["items"]] == ["Please send the budget."]


def test_an_empty_message_is_invalid_and_stores_nothing(client: TestClient, db: Session) -> None:
    signed_in(client, db)
    request = make_request(db, stage=RequestStage.in_triage)

    notice = send(client, form_to(page_of(client, request.id), "/messages"), body="")

    assert notice == "invalid"
    assert messages_of(db, request.id) == []


def test_a_move_on_an_unknown_request_is_not_found(client: TestClient, db: Session) -> None:
    _, token = signed_in(client, db)

    response = client.post(
        f"/console/requests/{uuid.uuid4()}/verbs/accept",
        data={"csrf_token": token, "version": "1"},
        follow_redirects=False,
    )

    assert response.status_code == 404
    assert "The console could not do this" in text_of(response.text)
