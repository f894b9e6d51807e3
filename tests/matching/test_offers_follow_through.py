"""Offers that move: an officer records the answer of a provider without an account, offers are
due by a deadline and announced once when overdue, the State learns who serves its request,
and a provider reads what the request offered to it is linked to."""

import datetime as dt
import uuid

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.core.models import utcnow
from app.core.principal import Role
from app.core.settings import Settings
from app.events.models import OutboxEvent
from app.expertise.models import Assignment
from app.matching.lifecycle import mark_overdue_offers
from tests.assistance.helpers import make_shortfall
from tests.core.test_problems import assert_problem
from tests.factories import auth, make_recommendation, make_user
from tests.matching.support import (
    ASSIGNMENTS,
    REQUESTS,
    Headers,
    Json,
    accepted_request,
    active_assignments,
    assignment_events,
    create_provider,
    headers_for,
    offer,
    provider_account,
    stage_of,
)

API = "/api/v1"
NOTE = "Accepted by telephone on 3 December; confirmed by e-mail."


def officer_with_id(db: Session, settings: Settings) -> tuple[uuid.UUID, Headers]:
    user = make_user(db, role=Role.ohchr_officer)
    return user.id, auth(settings, user)


def offered(
    client: TestClient, db: Session, settings: Settings, caller: Headers, **provider: object
) -> tuple[str, Json, Json]:
    """An accepted request of Nepal offered to a new provider: (request id, provider, offer)."""
    request_id = accepted_request(client, db, settings, caller, state="NPL")
    created = create_provider(client, caller, **provider)
    return request_id, created, offer(client, caller, request_id, created["id"])


def stored(db: Session, assignment_id: str) -> Assignment:
    db.expire_all()
    assignment = db.get(Assignment, uuid.UUID(assignment_id))
    assert assignment is not None
    return assignment


def audit_of(db: Session, assignment_id: str, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(
        db.exec(
            select(AuditEvent).where(
                AuditEvent.resource_id == assignment_id, AuditEvent.action == action
            )
        ).all()
    )


# An officer records the answer of a provider without an account.


def test_an_officer_records_the_acceptance_of_a_provider_without_an_account(
    client: TestClient, db: Session, settings: Settings
) -> None:
    officer_id, caller = officer_with_id(db, settings)
    request_id, _, assignment = offered(client, db, settings, caller)

    response = client.post(
        f"{ASSIGNMENTS}/{assignment['id']}/accept", json={"message": NOTE}, headers=caller
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["recorded_by_id"], body["response_note"]) == (
        "accepted",
        str(officer_id),
        NOTE,
    )
    assert stage_of(db, request_id) == "matched"
    row = stored(db, assignment["id"])
    assert (row.recorded_by_id, row.response_note) == (officer_id, NOTE)
    (audited,) = audit_of(db, assignment["id"], "assignment.accepted")
    assert audited.actor_id == officer_id
    assert audited.after is not None and audited.after["response_note"] == NOTE
    assert audited.after["recorded_by_id"] == str(officer_id)
    assert ("assignment.accepted", None, "ohchr") in assignment_events(db, assignment["id"])


def test_an_officer_records_a_decline_and_the_capacity_is_freed(
    client: TestClient, db: Session, settings: Settings
) -> None:
    officer_id, caller = officer_with_id(db, settings)
    request_id, provider, assignment = offered(client, db, settings, caller)

    response = client.post(
        f"{ASSIGNMENTS}/{assignment['id']}/decline",
        json={"message": "Declined in a letter of 2 December.", "reason": "No availability"},
        headers=caller,
    )

    assert response.status_code == 200, response.text
    row = stored(db, assignment["id"])
    assert (row.status.value, row.recorded_by_id, row.decline_reason) == (
        "declined",
        officer_id,
        "No availability",
    )
    assert active_assignments(client, caller, provider["id"]) == 0
    assert stage_of(db, request_id) == "accepted"


def test_an_officer_recording_an_answer_must_say_how_it_was_received(
    client: TestClient, db: Session, settings: Settings
) -> None:
    _, caller = officer_with_id(db, settings)
    request_id, _, assignment = offered(client, db, settings, caller)

    response = client.post(f"{ASSIGNMENTS}/{assignment['id']}/accept", json={}, headers=caller)

    assert_problem(response, 422, "validation-error")
    assert response.json()["errors"][0]["loc"] == ["body", "message"]
    row = stored(db, assignment["id"])
    assert (row.status.value, row.recorded_by_id) == ("proposed", None)
    assert stage_of(db, request_id) == "accepted"
    assert audit_of(db, assignment["id"], "assignment.accepted") == []


def test_an_officer_cannot_answer_for_a_provider_with_an_account(
    client: TestClient, db: Session, settings: Settings
) -> None:
    _, caller = officer_with_id(db, settings)
    account, account_headers = provider_account(db, settings)
    request_id, _, assignment = offered(client, db, settings, caller, user_id=str(account.id))

    refused = client.post(
        f"{ASSIGNMENTS}/{assignment['id']}/accept", json={"message": NOTE}, headers=caller
    )

    assert_problem(refused, 403, "forbidden")
    assert "answers its offers itself" in refused.json()["detail"]
    assert stored(db, assignment["id"]).status.value == "proposed"
    assert stage_of(db, request_id) == "accepted"
    answered = client.post(
        f"{ASSIGNMENTS}/{assignment['id']}/accept", json={}, headers=account_headers
    )
    assert answered.status_code == 200, answered.text
    assert (answered.json()["recorded_by_id"], answered.json()["response_note"]) == (None, None)


# A deadline to answer, and what is overdue.


def test_an_offer_is_due_after_the_configured_days(
    client: TestClient, db: Session, settings: Settings
) -> None:
    settings.offer_response_days = 3
    _, caller = officer_with_id(db, settings)
    before = utcnow()
    _, _, assignment = offered(client, db, settings, caller)

    respond_by = dt.datetime.fromisoformat(assignment["respond_by"])
    assert before + dt.timedelta(days=3) <= respond_by <= utcnow() + dt.timedelta(days=3)
    assert assignment["overdue"] is False


def test_the_default_deadline_is_ten_days() -> None:
    assert Settings(_env_file=None).offer_response_days == 10


def lapse(db: Session, assignment_id: str) -> None:
    row = stored(db, assignment_id)
    row.respond_by = utcnow() - dt.timedelta(hours=1)
    db.add(row)
    db.flush()


def test_offers_past_their_deadline_are_listed_as_overdue(
    client: TestClient, db: Session, settings: Settings
) -> None:
    _, caller = officer_with_id(db, settings)
    _, _, late = offered(client, db, settings, caller)
    _, _, on_time = offered(client, db, settings, caller)
    _, _, answered = offered(client, db, settings, caller)
    client.post(f"{ASSIGNMENTS}/{answered['id']}/accept", json={"message": NOTE}, headers=caller)
    lapse(db, late["id"])
    lapse(db, answered["id"])

    overdue = client.get(ASSIGNMENTS, params={"overdue": "true"}, headers=caller)
    not_overdue = client.get(ASSIGNMENTS, params={"overdue": "false"}, headers=caller)

    assert overdue.status_code == 200, overdue.text
    assert [(i["id"], i["overdue"]) for i in overdue.json()["items"]] == [(late["id"], True)]
    assert {i["id"] for i in not_overdue.json()["items"]} >= {on_time["id"], answered["id"]}
    assert late["id"] not in {i["id"] for i in not_overdue.json()["items"]}
    shown = client.get(f"{ASSIGNMENTS}/{answered['id']}", headers=caller).json()
    assert shown["overdue"] is False


def test_an_overdue_offer_is_announced_once(
    client: TestClient, db: Session, settings: Settings
) -> None:
    _, caller = officer_with_id(db, settings)
    _, _, late = offered(client, db, settings, caller)
    _, _, on_time = offered(client, db, settings, caller)
    lapse(db, late["id"])

    first = mark_overdue_offers(db, utcnow())
    second = mark_overdue_offers(db, utcnow())

    assert (first, second) == (1, 0)
    overdue_events = [e for e in assignment_events(db, late["id"]) if e[0] == "assignment.overdue"]
    assert overdue_events == [("assignment.overdue", None, "ohchr")]
    assert not any(e[0] == "assignment.overdue" for e in assignment_events(db, on_time["id"]))
    assert stored(db, late["id"]).overdue_announced_at is not None
    payload = db.exec(
        select(OutboxEvent.payload).where(
            OutboxEvent.resource_id == late["id"], OutboxEvent.type == "assignment.overdue"
        )
    ).one()
    assert payload["overdue"] is True


# The State learns who serves its request.


def test_the_state_sees_the_assigned_provider_once_it_accepted(
    client: TestClient, db: Session, settings: Settings
) -> None:
    _, caller = officer_with_id(db, settings)
    request_id, provider, assignment = offered(
        client, db, settings, caller, name="Pacific Rights Network", kind="nhri_network"
    )
    state = headers_for(db, settings, Role.state_focal_point, "NPL")

    before = client.get(f"{REQUESTS}/{request_id}", headers=state)
    client.post(f"{ASSIGNMENTS}/{assignment['id']}/accept", json={"message": NOTE}, headers=caller)
    after = client.get(f"{REQUESTS}/{request_id}", headers=state)

    assert before.status_code == 200, before.text
    assert before.json()["assigned_provider"] is None
    assert after.status_code == 200, after.text
    assert after.json()["assigned_provider"] == {
        "name": "Pacific Rights Network",
        "kind": "nhri_network",
    }
    assert NOTE not in after.text and provider["id"] not in after.text


def test_another_state_never_learns_who_serves_a_published_request(
    client: TestClient, db: Session, settings: Settings
) -> None:
    _, caller = officer_with_id(db, settings)
    request_id, _, assignment = offered(client, db, settings, caller)
    client.post(f"{ASSIGNMENTS}/{assignment['id']}/accept", json={"message": NOTE}, headers=caller)
    state = headers_for(db, settings, Role.state_focal_point, "NPL")
    published = client.post(f"{REQUESTS}/{request_id}/publish", json={}, headers=state)
    assert published.status_code == 200, published.text

    other = client.get(
        f"{REQUESTS}/{request_id}", headers=headers_for(db, settings, Role.state_focal_point, "WSM")
    )

    assert other.status_code == 200, other.text
    assert other.json()["assigned_provider"] is None


# A provider reads what the request offered to it is linked to.


def test_a_provider_reads_the_shortfall_and_recommendation_of_an_offered_request(
    client: TestClient, db: Session, settings: Settings
) -> None:
    _, caller = officer_with_id(db, settings)
    linked = make_shortfall(db, state="NPL")
    unrelated = make_shortfall(db, state="NPL")
    recommendation = make_recommendation(db, state="NPL")
    request_id = accepted_request(
        client,
        db,
        settings,
        caller,
        state="NPL",
        shortfall_ids=[str(linked.id)],
        recommendation_ids=[str(recommendation.id)],
    )
    account, provider_headers = provider_account(db, settings)
    created = create_provider(client, caller, user_id=str(account.id))
    offer(client, caller, request_id, created["id"])

    shown = client.get(f"{API}/shortfalls/{linked.id}", headers=provider_headers)
    hidden = client.get(f"{API}/shortfalls/{unrelated.id}", headers=provider_headers)
    listed = client.get(f"{API}/shortfalls", params={"limit": 200}, headers=provider_headers)
    catalogue = client.get(f"{API}/recommendations/{recommendation.id}", headers=provider_headers)
    request = client.get(f"{REQUESTS}/{request_id}", headers=provider_headers)

    assert shown.status_code == 200, shown.text
    assert shown.json()["id"] == str(linked.id)
    assert_problem(hidden, 404, "not-found")
    assert [i["id"] for i in listed.json()["items"]] == [str(linked.id)]
    assert catalogue.status_code == 200, catalogue.text
    assert request.json()["shortfall_ids"] == [str(linked.id)]
    assert request.json()["recommendation_ids"] == [str(recommendation.id)]


def test_a_provider_reads_no_shortfall_of_a_request_offered_to_another(
    client: TestClient, db: Session, settings: Settings
) -> None:
    _, caller = officer_with_id(db, settings)
    linked = make_shortfall(db, state="NPL")
    request_id = accepted_request(
        client, db, settings, caller, state="NPL", shortfall_ids=[str(linked.id)]
    )
    offer(client, caller, request_id, create_provider(client, caller)["id"])
    _, bystander = provider_account(db, settings)

    assert_problem(client.get(f"{API}/shortfalls/{linked.id}", headers=bystander), 404, "not-found")
    assert db.exec(
        select(Assignment).where(col(Assignment.request_id) == uuid.UUID(request_id))
    ).first()
