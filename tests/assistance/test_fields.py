"""Who writes which field, when: the State its request while it is a draft (or while OHCHR
asks for information), officers the assignment and their notes; nothing else, ever."""

import uuid
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.assistance.models import RequestStage
from app.core.principal import Role
from app.core.settings import Settings
from app.events.types import Visibility
from tests.assistance.helpers import (
    REQUESTS,
    Cast,
    audit_of,
    create,
    make_cast,
    make_request,
    open_verbs,
    outbox_of,
    request_body,
    requests_of,
    stored,
)
from tests.core.test_problems import assert_problem
from tests.factories import make_user

STATE_EDITABLE = [RequestStage.draft, RequestStage.info_requested]
NOT_STATE_EDITABLE = [s for s in RequestStage if s not in STATE_EDITABLE]


def _patch(
    client: TestClient, request_id: object, headers: dict[str, str], body: Any, etag: str = '"1"'
) -> httpx.Response:
    response: httpx.Response = client.patch(
        f"{REQUESTS}/{request_id}", json=body, headers={**headers, "If-Match": etag}
    )
    return response


def _assert_unchanged(db: Session, request_id: object) -> None:
    after = stored(db, request_id)
    assert after.version == 1
    assert (after.assigned_officer_id, after.internal_notes) == (None, "")
    assert after.title == "Support for the national mechanism"
    assert audit_of(db, request_id) == []


@pytest.mark.parametrize("stage", STATE_EDITABLE)
@pytest.mark.parametrize(
    "body",
    [{"internal_notes": "mine now"}, {"assigned_officer_id": None}, "assign", "mixed"],
    ids=["internal_notes", "unassign", "assign", "with-a-state-field"],
)
def test_a_state_setting_an_officer_field_is_forbidden(
    client: TestClient, db: Session, settings: Settings, stage: RequestStage, body: Any
) -> None:
    cast = make_cast(db, settings)
    officer_id = str(cast.users[Role.ohchr_officer].id)
    if body == "assign":
        body = {"assigned_officer_id": officer_id}
    elif body == "mixed":
        body = {"title": "Renamed", "assigned_officer_id": officer_id}
    request = make_request(db, stage=stage)

    for headers in (cast.contributor, cast.focal):
        assert_problem(_patch(client, request.id, headers, body), 403, "forbidden")

    _assert_unchanged(db, request.id)


@pytest.mark.parametrize(
    "body",
    [
        {"title": "Rewritten by OHCHR"},
        {"urgency": "critical"},
        {"shortfall_ids": []},
        {"internal_notes": "ok", "justification": "not ok"},
    ],
    ids=["title", "urgency", "links", "with-an-officer-field"],
)
def test_an_officer_editing_a_state_field_is_forbidden(
    client: TestClient, db: Session, settings: Settings, body: dict[str, Any]
) -> None:
    cast = make_cast(db, settings)
    request = make_request(db, stage=RequestStage.info_requested)

    for headers in (cast.officer, cast.admin):
        assert_problem(_patch(client, request.id, headers, body), 403, "forbidden")

    _assert_unchanged(db, request.id)


@pytest.mark.parametrize("stage", NOT_STATE_EDITABLE)
def test_a_state_editing_outside_draft_or_information_request_is_409(
    client: TestClient, db: Session, settings: Settings, stage: RequestStage
) -> None:
    cast = make_cast(db, settings)
    request = make_request(db, stage=stage)

    for role in (Role.state_contributor, Role.state_focal_point):
        response = _patch(client, request.id, cast.headers[role], {"title": "Too late"})
        body = assert_problem(response, 409, "illegal-transition")
        assert body["allowed"] == sorted(open_verbs(stage, role))

    _assert_unchanged(db, request.id)


@pytest.mark.parametrize("stage", STATE_EDITABLE)
def test_a_state_edits_its_draft_or_its_answer_to_a_request_for_information(
    client: TestClient, db: Session, settings: Settings, stage: RequestStage
) -> None:
    cast = make_cast(db, settings)
    request = make_request(db, stage=stage)

    response = _patch(client, request.id, cast.contributor, {"title": "Sharper title"})

    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"'
    assert (stored(db, request.id).title, stored(db, request.id).version) == ("Sharper title", 2)
    assert [e.action for e in audit_of(db, request.id)] == ["assistance_request.updated"]


def _callers(cast: Cast, stage: RequestStage) -> list[tuple[dict[str, str], dict[str, Any]]]:
    officer_body = {"internal_notes": "Follow up"}
    state_body = {"title": "Renamed"}
    pairs = [(cast.officer, officer_body)] if stage is not RequestStage.draft else []
    if stage in STATE_EDITABLE:
        pairs.append((cast.contributor, state_body))
    return pairs


@pytest.mark.parametrize("stage", STATE_EDITABLE)
def test_a_patch_without_if_match_is_428(
    client: TestClient, db: Session, settings: Settings, stage: RequestStage
) -> None:
    cast = make_cast(db, settings)
    request = make_request(db, stage=stage)

    for headers, body in _callers(cast, stage):
        response = client.patch(f"{REQUESTS}/{request.id}", json=body, headers=headers)
        assert_problem(response, 428, "precondition-required")

    _assert_unchanged(db, request.id)


@pytest.mark.parametrize("stage", STATE_EDITABLE)
def test_a_patch_with_a_stale_etag_is_412(
    client: TestClient, db: Session, settings: Settings, stage: RequestStage
) -> None:
    cast = make_cast(db, settings)
    request = make_request(db, stage=stage)

    for headers, body in _callers(cast, stage):
        for stale in ('"0"', '"2"', 'W/"7"'):
            response = _patch(client, request.id, headers, body, etag=stale)
            body_ = assert_problem(response, 412, "precondition-failed")
            assert body_["current_etag"] == '"1"'

    _assert_unchanged(db, request.id)


@pytest.mark.parametrize(
    "body",
    [
        {"title": "x", "colour": "blue"},
        {"state_code": "FRA"},
        {"stage": "accepted"},
        {"priority": {"score": 99, "parts": {}}},
        {"version": 9},
    ],
    ids=["unknown", "state_code", "stage", "priority", "version"],
)
def test_a_patch_with_a_field_nobody_writes_is_422(
    client: TestClient, db: Session, settings: Settings, body: dict[str, Any]
) -> None:
    cast = make_cast(db, settings)
    request = make_request(db, stage=RequestStage.info_requested)

    for headers in (cast.contributor, cast.officer):
        response = _patch(client, request.id, headers, body)
        problem = assert_problem(response, 422, "validation-error")
        unknown = (set(body) - {"title"}).pop()
        assert ("body", unknown) in {tuple(e["loc"]) for e in problem["errors"]}

    _assert_unchanged(db, request.id)


@pytest.mark.parametrize(
    "extra",
    [
        {"state_code": "FRA"},
        {"stage": "accepted"},
        {"priority": {"score": 99.0, "parts": {"ldc": 99.0}}},
        {"assigned_officer_id": str(uuid.uuid4())},
        {"internal_notes": "planted"},
        {"published": True},
        {"submitted_at": "2020-01-01T00:00:00Z"},
        {"colour": "blue"},
    ],
    ids=lambda extra: next(iter(extra)),
)
def test_a_create_body_naming_a_field_the_state_never_sets_is_422_and_writes_nothing(
    client: TestClient, db: Session, settings: Settings, extra: dict[str, Any]
) -> None:
    cast = make_cast(db, settings)

    response = client.post(REQUESTS, json=request_body(**extra), headers=cast.contributor)

    problem = assert_problem(response, 422, "validation-error")
    assert {tuple(e["loc"]) for e in problem["errors"]} == {("body", next(iter(extra)))}
    assert requests_of(db, "WSM") == []
    assert requests_of(db, "FRA") == []


@pytest.mark.parametrize(
    "who", ["state_focal_point", "provider", "inactive_officer", "nobody"], ids=str
)
def test_assigning_someone_who_is_not_an_active_officer_is_422(
    client: TestClient, db: Session, settings: Settings, who: str
) -> None:
    cast = make_cast(db, settings)
    if who == "inactive_officer":
        assignee_id = make_user(db, role=Role.ohchr_officer, active=False).id
    elif who == "nobody":
        assignee_id = uuid.uuid4()
    else:
        assignee_id = cast.users[Role(who)].id
    request = make_request(db, stage=RequestStage.submitted)

    response = _patch(client, request.id, cast.officer, {"assigned_officer_id": str(assignee_id)})

    assert_problem(response, 422, "validation-error")
    _assert_unchanged(db, request.id)


def test_an_officer_assigns_an_administrator_and_keeps_notes(
    client: TestClient, db: Session, settings: Settings
) -> None:
    cast = make_cast(db, settings)
    admin_id = cast.users[Role.ohchr_admin].id
    request = make_request(db, stage=RequestStage.submitted)

    response = _patch(
        client,
        request.id,
        cast.officer,
        {"assigned_officer_id": str(admin_id), "internal_notes": "Needs a gender adviser"},
    )

    assert response.status_code == 200, response.text
    after = stored(db, request.id)
    assert (after.assigned_officer_id, after.internal_notes, after.version) == (
        admin_id,
        "Needs a gender adviser",
        2,
    )
    (event,) = audit_of(db, request.id, "assistance_request.updated")
    assert event.state_code is None
    (outbox,) = outbox_of(db, request.id, "assistance_request.updated")
    assert (outbox.state_code, outbox.visibility, outbox.version) == (None, Visibility.ohchr, 2)


def test_language_codes_are_taken_in_either_case_and_kept_lower_case(
    client: TestClient, db: Session, settings: Settings
) -> None:
    cast = make_cast(db, settings)

    created = create(client, cast.focal, languages=["EN", "Fr"])

    assert created["languages"] == ["en", "fr"]
    for bad in (["eng"], ["e1"], [""]):
        response = client.post(REQUESTS, json=request_body(languages=bad), headers=cast.focal)
        assert_problem(response, 422, "validation-error")
