"""Who sees which request: a State its own, OHCHR every submitted one, others what is published.

Another State's request is not found on every route — its existence is never disclosed — and a
State links only its own recommendations and its own submitted shortfalls.
"""

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.assistance.lifecycle import Verb
from app.assistance.models import RequestRecommendation, RequestShortfall, RequestStage
from app.assistance.service import ASSISTANCE_REQUEST
from app.audit.models import AuditEvent
from app.core.guards import PublicAccess, RoleGuard
from app.core.principal import Role
from app.core.settings import Settings
from app.shortfalls.models import Severity
from tests.assistance.helpers import (
    ANONYMOUS,
    OFFICER_ONLY_KEYS,
    REQUESTS,
    audit_of,
    create,
    ids,
    make_cast,
    make_request,
    make_shortfall,
    messages_of,
    move,
    outbox_of,
    request_body,
    requests_of,
    state_headers,
    stored,
    transitions_of,
    verb_body,
)
from tests.core.test_problems import assert_problem
from tests.factories import make_recommendation

ONE = "/api/v1/assistance-requests/{request_id}"


def _admits(dependant: Dependant, role: Role) -> bool | None:
    """Whether the route's guard lets this role in at all (None: no guard found here)."""
    for sub in dependant.dependencies:
        if isinstance(sub.call, RoleGuard):
            return role in sub.call.roles
        if isinstance(sub.call, PublicAccess):
            return True
        found = _admits(sub, role)
        if found is not None:
            return found
    return None


def _calls_on_one_request(
    app: FastAPI, request_id: object, role: Role
) -> list[tuple[str, str, Any]]:
    """Every (method, url, body) the app serves for one request to this role, read from its
    routes. Routes whose guard refuses the role outright answer 403 for any id, which
    discloses nothing; those are left out."""
    calls: list[tuple[str, str, Any]] = []
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.path.startswith(ONE):
            continue
        if not _admits(route.dependant, role):
            continue
        path = route.path.replace("{request_id}", str(request_id))
        last = path.rsplit("/", 1)[-1]
        for method in sorted(route.methods):
            if method == "POST" and last in ASSISTANCE_REQUEST.verbs:
                calls.append((method, path, _least_body(last)))
            elif method == "PATCH":
                calls.append((method, path, {"title": "Taken over"}))
            elif method == "POST" and path.endswith("/messages"):
                calls.append((method, path, {"body": "Hello from elsewhere"}))
            else:
                calls.append((method, path, None))
    return calls


def _least_body(verb: str) -> dict[str, str]:
    """A body the verb accepts, so that the answer is about the request, not the body."""
    return verb_body(Verb(verb)) if verb in set(Verb) else {}


def _verbs_of(role: Role) -> set[str]:
    """The verbs the lifecycle tables give this role, publication included."""
    return {
        verb
        for lifecycle in ASSISTANCE_REQUEST.lifecycles
        for verb in lifecycle.verbs
        if role in lifecycle.roles[verb]
    }


@pytest.mark.parametrize("stage", [RequestStage.draft, RequestStage.info_requested])
@pytest.mark.parametrize("role", [Role.state_contributor, Role.state_focal_point])
def test_another_states_request_is_404_on_every_route(
    app: FastAPI,
    client: TestClient,
    db: Session,
    settings: Settings,
    stage: RequestStage,
    role: Role,
) -> None:
    request = make_request(db, state="WSM", stage=stage)
    stranger = state_headers(db, settings, "FJI", role)
    calls = _calls_on_one_request(app, request.id, role)
    assert {method for method, _, _ in calls} == {"GET", "PATCH", "POST"}
    verb_calls = {url.rsplit("/", 1)[-1] for _, url, _ in calls} & set(ASSISTANCE_REQUEST.verbs)
    assert verb_calls == _verbs_of(role)
    assert "provide-info" in verb_calls
    if role is Role.state_focal_point:
        assert {"submit", "withdraw", "publish", "unpublish"} <= verb_calls

    for method, url, body in calls:
        headers = {**stranger, "If-Match": '"1"'} if method == "PATCH" else stranger
        response = client.request(method, url, json=body, headers=headers)
        assert_problem(response, 404, "not-found")

    after = stored(db, request.id)
    assert (after.stage, after.version, after.title) == (stage, 1, request.title)
    assert transitions_of(db, request.id) == []
    assert messages_of(db, request.id) == []
    assert audit_of(db, request.id) == []


def test_a_states_list_holds_only_its_own_requests(
    client: TestClient, db: Session, settings: Settings
) -> None:
    samoa = [make_request(db, state="WSM", stage=stage) for stage in RequestStage]
    fiji = make_request(db, state="FJI", stage=RequestStage.draft)
    samoa_headers = state_headers(db, settings, "WSM", Role.state_contributor)
    fiji_headers = state_headers(db, settings, "FJI", Role.state_focal_point)

    assert ids(client.get(REQUESTS, headers=fiji_headers).json()) == [str(fiji.id)]
    asked_for_samoa = client.get(REQUESTS, params={"state": "WSM"}, headers=fiji_headers)
    assert asked_for_samoa.json() == {"items": [], "next_cursor": None}
    own = client.get(REQUESTS, params={"limit": 200}, headers=samoa_headers).json()
    assert sorted(ids(own)) == sorted(str(r.id) for r in samoa)


def test_ohchr_never_sees_a_draft(client: TestClient, db: Session, settings: Settings) -> None:
    cast = make_cast(db, settings)
    draft = make_request(db, stage=RequestStage.draft)
    submitted = make_request(db, stage=RequestStage.submitted)

    for headers in (cast.officer, cast.admin):
        assert ids(client.get(REQUESTS, headers=headers).json()) == [str(submitted.id)]
        assert_problem(client.get(f"{REQUESTS}/{draft.id}", headers=headers), 404, "not-found")
        listed = client.get(REQUESTS, params={"stage": "draft"}, headers=headers)
        assert listed.json()["items"] == []
        for suffix in ("messages", "transitions"):
            response = client.get(f"{REQUESTS}/{draft.id}/{suffix}", headers=headers)
            assert_problem(response, 404, "not-found")


def test_providers_and_anonymous_callers_see_no_request_by_default(
    client: TestClient, db: Session, settings: Settings
) -> None:
    cast = make_cast(db, settings)
    requests = [make_request(db, stage=stage) for stage in RequestStage]

    for headers in (cast.provider, ANONYMOUS):
        assert client.get(REQUESTS, headers=headers).json() == {"items": [], "next_cursor": None}
        for request in requests:
            response = client.get(f"{REQUESTS}/{request.id}", headers=headers)
            assert_problem(response, 404, "not-found")


def test_providers_and_anonymous_callers_see_published_requests_as_the_state_does(
    client: TestClient, db: Session, settings: Settings
) -> None:
    cast = make_cast(db, settings)
    published = make_request(db, stage=RequestStage.accepted, published=True)
    make_request(db, stage=RequestStage.accepted)
    make_request(db, stage=RequestStage.draft, published=True)

    for headers in (cast.provider, ANONYMOUS):
        page = client.get(REQUESTS, headers=headers).json()
        assert ids(page) == [str(published.id)]
        shown = client.get(f"{REQUESTS}/{published.id}", headers=headers)
        assert shown.status_code == 200
        assert not OFFICER_ONLY_KEYS & (shown.json().keys() | page["items"][0].keys())


def _create_refused(client: TestClient, db: Session, headers: dict[str, str], **links: Any) -> None:
    response = client.post(REQUESTS, json=request_body(**links), headers=headers)
    body = assert_problem(response, 422, "validation-error")
    assert {tuple(e["loc"]) for e in body["errors"]} == {("body", next(iter(links)))}
    created = select(AuditEvent).where(AuditEvent.action == "assistance_request.created")
    assert db.exec(created).all() == []


def test_another_states_recommendation_cannot_be_linked(
    client: TestClient, db: Session, settings: Settings
) -> None:
    cast = make_cast(db, settings)
    foreign = make_recommendation(db, state="FJI")
    own = make_recommendation(db, state="WSM")

    _create_refused(client, db, cast.contributor, recommendation_ids=[str(own.id), str(foreign.id)])

    assert requests_of(db, "WSM") == []


def test_another_states_shortfall_cannot_be_linked(
    client: TestClient, db: Session, settings: Settings
) -> None:
    cast = make_cast(db, settings)
    foreign = make_shortfall(db, state="FJI", submitted=True)

    _create_refused(client, db, cast.contributor, shortfall_ids=[str(foreign.id)])

    assert requests_of(db, "WSM") == []


def test_a_draft_shortfall_of_ones_own_cannot_be_linked(
    client: TestClient, db: Session, settings: Settings
) -> None:
    cast = make_cast(db, settings)
    draft = make_shortfall(db, state="WSM", submitted=False)

    _create_refused(client, db, cast.focal, shortfall_ids=[str(draft.id)])

    assert requests_of(db, "WSM") == []


def test_relinking_a_draft_to_another_states_shortfall_writes_nothing(
    client: TestClient, db: Session, settings: Settings
) -> None:
    cast = make_cast(db, settings)
    own = make_shortfall(db, state="WSM", severity=Severity.high)
    foreign = make_shortfall(db, state="FJI")
    created = create(client, cast.contributor, shortfall_ids=[str(own.id)])

    response = client.patch(
        f"{REQUESTS}/{created['id']}",
        json={"title": "Renamed", "shortfall_ids": [str(foreign.id)]},
        headers={**cast.contributor, "If-Match": '"1"'},
    )

    assert_problem(response, 422, "validation-error")
    after = stored(db, created["id"])
    assert (after.title, after.version) == (created["title"], 1)
    linked = select(RequestShortfall.shortfall_id).where(RequestShortfall.request_id == after.id)
    assert db.exec(linked).all() == [own.id]
    assert [e.action for e in audit_of(db, created["id"])] == ["assistance_request.created"]


def test_own_recommendations_and_submitted_shortfalls_are_linked(
    client: TestClient, db: Session, settings: Settings
) -> None:
    cast = make_cast(db, settings)
    recommendation = make_recommendation(db, state="WSM")
    shortfall = make_shortfall(db, state="WSM")

    created = create(
        client,
        cast.contributor,
        recommendation_ids=[str(recommendation.id)],
        shortfall_ids=[str(shortfall.id)],
    )

    assert created["recommendation_ids"] == [str(recommendation.id)]
    assert created["shortfall_ids"] == [str(shortfall.id)]
    link = db.get(RequestRecommendation, (uuid.UUID(created["id"]), recommendation.id))
    assert link is not None
    move(client, created["id"], Verb.submit, cast.focal)
    assert stored(db, created["id"]).stage is RequestStage.submitted


def test_ohchr_never_sees_a_draft_withdrawn_before_submission(
    client: TestClient, db: Session, settings: Settings
) -> None:
    """Withdrawing a draft does not hand it to OHCHR: it was never submitted."""
    cast = make_cast(db, settings)
    created = create(client, cast.contributor, title="Never meant for OHCHR")
    move(client, created["id"], Verb.withdraw, cast.focal)
    assert stored(db, created["id"]).stage is RequestStage.withdrawn

    for headers in (cast.officer, cast.admin):
        response = client.get(f"{REQUESTS}/{created['id']}", headers=headers)
        assert_problem(response, 404, "not-found")
        assert client.get(REQUESTS, headers=headers).json()["items"] == []
    (withdrawn,) = outbox_of(db, created["id"], "assistance_request.withdrawn")
    assert withdrawn.visibility == "state"
