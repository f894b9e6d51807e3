"""Reporting deadlines: a State's focal point sets the date by which the State means to report
on one of its own recommendations or clusters; the State's people and OHCHR read them; another
State's deadline does not exist for a State caller."""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core.principal import Role
from app.core.settings import Settings
from app.events.models import OutboxEvent
from app.progress.models import ReportingDeadline
from tests.core.test_problems import assert_problem
from tests.progress.support import (
    ANONYMOUS,
    Headers,
    audit_actions,
    caller,
    make_bare_recommendation,
    outbox_rows,
    row,
)
from tests.reminders.support import make_cluster

DEADLINES = "/api/v1/reporting-deadlines"


def new_deadline(
    client: TestClient, focal: Headers, *, key: str | None = None, **body: Any
) -> dict[str, Any]:
    headers = {**focal, "Idempotency-Key": key} if key else focal
    response = client.post(DEADLINES, json={"due_on": "2030-06-30", **body}, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def on_recommendation(db: Session, state: str = "WSM") -> dict[str, Any]:
    return {"recommendation_id": str(make_bare_recommendation(db, state=state).id)}


def etag_of(client: TestClient, headers: Headers, deadline_id: str) -> str:
    response = client.get(f"{DEADLINES}/{deadline_id}", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.headers["etag"])


# -- creating ----------------------------------------------------------------------------------


def test_a_focal_point_sets_a_deadline_on_its_own_recommendation(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    subject = on_recommendation(db)

    response = client.post(
        DEADLINES,
        json={**subject, "due_on": "2030-06-30", "note": "  Mid-term report  "},
        headers=focal,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"{DEADLINES}/{body['id']}"
    assert response.headers["etag"] == '"1"'
    assert body["state_code"] == "WSM"
    assert body["recommendation_id"] == subject["recommendation_id"]
    assert body["cluster_id"] is None
    assert (body["due_on"], body["note"], body["version"]) == ("2030-06-30", "Mid-term report", 1)
    assert outbox_rows(db, body["id"]) == [("reporting_deadline.created", "ohchr", 1)]
    assert audit_actions(db, body["id"]) == ["reporting_deadline.created"]


def test_a_focal_point_sets_a_deadline_on_its_own_cluster(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    cluster = make_cluster(db)

    body = new_deadline(client, focal, cluster_id=str(cluster.id))

    assert (body["cluster_id"], body["recommendation_id"]) == (str(cluster.id), None)


def test_the_same_idempotency_key_replays_the_first_deadline(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    subject = on_recommendation(db)

    first = new_deadline(client, focal, key="deadline-1", **subject)
    again = client.post(
        DEADLINES,
        json={"due_on": "2030-06-30", **subject},
        headers={**focal, "Idempotency-Key": "deadline-1"},
    )

    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first["id"]
    assert len(outbox_rows(db, first["id"])) == 1


@pytest.mark.parametrize(
    "subject",
    [
        pytest.param("both", id="both"),
        pytest.param("neither", id="neither"),
    ],
)
def test_a_deadline_names_exactly_one_of_recommendation_and_cluster(
    client: TestClient, db: Session, settings: Settings, subject: str
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    body: dict[str, Any] = {"due_on": "2030-06-30"}
    if subject == "both":
        body |= {**on_recommendation(db), "cluster_id": str(make_cluster(db).id)}

    response = client.post(DEADLINES, json=body, headers=focal)

    problem = assert_problem(response, 422, "validation-error")
    assert "exactly one of recommendation_id and cluster_id" in str(problem["errors"])


@pytest.mark.parametrize(
    ("field", "make"),
    [
        pytest.param(
            "recommendation_id",
            lambda db: make_bare_recommendation(db, state="NPL").id,
            id="another-states-recommendation",
        ),
        pytest.param("recommendation_id", lambda db: uuid.uuid4(), id="no-such-recommendation"),
        pytest.param(
            "cluster_id", lambda db: make_cluster(db, state="NPL").id, id="another-states-cluster"
        ),
        pytest.param("cluster_id", lambda db: uuid.uuid4(), id="no-such-cluster"),
    ],
)
def test_a_deadline_on_what_is_not_the_states_own_is_refused_like_a_missing_one(
    client: TestClient, db: Session, settings: Settings, field: str, make: Any
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    foreign = str(make(db))

    response = client.post(DEADLINES, json={"due_on": "2030-06-30", field: foreign}, headers=focal)

    problem = assert_problem(response, 422, "validation-error")
    assert problem["errors"][0]["loc"] == ["body", field]
    assert foreign in problem["errors"][0]["msg"]
    assert db.exec(select(ReportingDeadline)).all() == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"due_on": "30/06/2030"}, id="date-not-iso"),
        pytest.param({"due_on": 1900000000}, id="number-for-a-date"),
        pytest.param({"due_on": "2030-06-30", "note": "x" * 501}, id="note-too-long"),
        pytest.param({"due_on": "2030-06-30", "state_code": "NPL"}, id="state-in-body"),
        pytest.param({"note": "no date"}, id="no-date"),
    ],
)
def test_bad_deadline_input_is_422(
    client: TestClient, db: Session, settings: Settings, body: dict[str, Any]
) -> None:
    focal = caller(db, settings, Role.state_focal_point)

    response = client.post(DEADLINES, json={**on_recommendation(db), **body}, headers=focal)

    assert_problem(response, 422, "validation-error")


# -- who may do what ---------------------------------------------------------------------------

READERS = {Role.state_contributor, Role.state_focal_point, Role.ohchr_officer, Role.ohchr_admin}
WRITERS = {Role.state_focal_point}
CALLERS = [*Role, None]


def _id(role: Role | None) -> str:
    return role.value if role else "anonymous"


def _refusal(role: Role | None) -> int:
    return 401 if role is None else 403


@pytest.mark.parametrize("role", CALLERS, ids=_id)
def test_reading_deadlines_is_for_the_states_people_and_ohchr(
    client: TestClient, db: Session, settings: Settings, role: Role | None
) -> None:
    deadline = new_deadline(
        client, caller(db, settings, Role.state_focal_point), **on_recommendation(db)
    )
    headers = caller(db, settings, role)

    listed = client.get(DEADLINES, headers=headers)
    one = client.get(f"{DEADLINES}/{deadline['id']}", headers=headers)

    if role in READERS:
        assert [item["id"] for item in listed.json()["items"]] == [deadline["id"]]
        assert one.status_code == 200
        assert one.headers["etag"] == '"1"'
    else:
        assert_problem(listed, _refusal(role), "unauthorized" if role is None else "forbidden")
        assert one.status_code == _refusal(role)


@pytest.mark.parametrize("role", CALLERS, ids=_id)
def test_setting_changing_and_dropping_deadlines_is_for_the_focal_point(
    client: TestClient, db: Session, settings: Settings, role: Role | None
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    deadline = new_deadline(client, focal, **on_recommendation(db))
    url = f"{DEADLINES}/{deadline['id']}"
    headers = caller(db, settings, role)
    match = {**headers, "If-Match": '"1"'}

    created = client.post(
        DEADLINES, json={"due_on": "2030-01-01", **on_recommendation(db)}, headers=headers
    )
    patched = client.patch(url, json={"note": "Changed"}, headers=match)
    deleted = client.delete(
        url, headers={**headers, "If-Match": patched.headers.get("etag", '"1"')}
    )

    if role in WRITERS:
        assert (created.status_code, patched.status_code, deleted.status_code) == (201, 200, 204)
    else:
        expected = _refusal(role)
        assert (created.status_code, patched.status_code, deleted.status_code) == (expected,) * 3
        assert row(db, ReportingDeadline, deadline["id"]).version == 1


@pytest.mark.parametrize("role", [Role.state_contributor, Role.state_focal_point], ids=_id)
def test_another_states_deadline_is_404_to_a_state_caller(
    client: TestClient, db: Session, settings: Settings, role: Role
) -> None:
    nepal = new_deadline(
        client, caller(db, settings, Role.state_focal_point, "NPL"), **on_recommendation(db, "NPL")
    )
    url = f"{DEADLINES}/{nepal['id']}"
    samoan = caller(db, settings, role, "WSM")

    assert_problem(client.get(url, headers=samoan), 404, "not-found")
    assert client.get(DEADLINES, headers=samoan).json()["items"] == []
    assert client.get(DEADLINES, params={"state": "NPL"}, headers=samoan).json()["items"] == []
    if role is Role.state_focal_point:
        match = {**samoan, "If-Match": '"1"'}
        assert_problem(client.patch(url, json={"note": "x"}, headers=match), 404, "not-found")
        assert_problem(client.delete(url, headers=match), 404, "not-found")
    assert row(db, ReportingDeadline, nepal["id"]).version == 1


@pytest.mark.parametrize("role", [Role.ohchr_officer, Role.ohchr_admin], ids=_id)
def test_ohchr_reads_every_states_deadlines_and_filters_them(
    client: TestClient, db: Session, settings: Settings, role: Role
) -> None:
    samoa = caller(db, settings, Role.state_focal_point, "WSM")
    nepal = caller(db, settings, Role.state_focal_point, "NPL")
    early = new_deadline(client, samoa, due_on="2030-01-15", **on_recommendation(db))
    late = new_deadline(client, samoa, due_on="2030-09-01", **on_recommendation(db))
    other = new_deadline(client, nepal, due_on="2030-05-01", **on_recommendation(db, "NPL"))
    officer = caller(db, settings, role)

    def ids(**params: str) -> list[str]:
        response = client.get(DEADLINES, params=params, headers=officer)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [early["id"], late["id"], other["id"]]
    assert ids(state="npl") == [other["id"]]
    assert ids(due_before="2030-05-01") == [early["id"], other["id"]]
    assert ids(due_after="2030-05-02") == [late["id"]]
    assert ids(state="WSM", due_after="2030-01-15", due_before="2030-01-15") == [early["id"]]
    assert client.get(f"{DEADLINES}/{other['id']}", headers=officer).status_code == 200


@pytest.mark.parametrize(
    "params",
    [{"due_before": "tomorrow"}, {"due_after": "1900000000"}, {"state": "XX"}, {"limit": "201"}],
)
def test_bad_list_filters_are_422(
    client: TestClient, db: Session, settings: Settings, params: dict[str, str]
) -> None:
    officer = caller(db, settings, Role.ohchr_officer)

    assert_problem(client.get(DEADLINES, params=params, headers=officer), 422, "validation-error")


# -- changing ----------------------------------------------------------------------------------


def test_moving_a_deadline_needs_its_etag(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    deadline = new_deadline(client, focal, note="First plan", **on_recommendation(db))
    url = f"{DEADLINES}/{deadline['id']}"

    assert_problem(
        client.patch(url, json={"due_on": "2031-01-01"}, headers=focal),
        428,
        "precondition-required",
    )
    moved = client.patch(
        url, json={"due_on": "2031-01-01", "note": None}, headers={**focal, "If-Match": '"1"'}
    )
    stale = client.patch(url, json={"note": "Late"}, headers={**focal, "If-Match": '"1"'})

    assert moved.status_code == 200, moved.text
    assert moved.headers["etag"] == '"2"'
    assert (moved.json()["due_on"], moved.json()["note"]) == ("2031-01-01", None)
    assert_problem(stale, 412, "precondition-failed")
    assert outbox_rows(db, deadline["id"]) == [
        ("reporting_deadline.created", "ohchr", 1),
        ("reporting_deadline.updated", "ohchr", 2),
    ]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"due_on": None}, id="date-cleared"),
        pytest.param({"cluster_id": str(uuid.uuid4())}, id="subject-changed"),
        pytest.param({"state_code": "NPL"}, id="state-changed"),
    ],
)
def test_what_a_deadline_is_about_and_its_date_cannot_be_cleared_or_changed(
    client: TestClient, db: Session, settings: Settings, body: dict[str, Any]
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    deadline = new_deadline(client, focal, **on_recommendation(db))

    response = client.patch(
        f"{DEADLINES}/{deadline['id']}", json=body, headers={**focal, "If-Match": '"1"'}
    )

    assert_problem(response, 422, "validation-error")
    assert row(db, ReportingDeadline, deadline["id"]).version == 1


def test_a_patch_that_changes_nothing_keeps_the_version(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    deadline = new_deadline(client, focal, **on_recommendation(db))

    response = client.patch(
        f"{DEADLINES}/{deadline['id']}",
        json={"due_on": deadline["due_on"]},
        headers={**focal, "If-Match": '"1"'},
    )

    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    assert len(outbox_rows(db, deadline["id"])) == 1


def test_dropping_a_deadline_needs_its_etag_and_is_announced(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    deadline = new_deadline(client, focal, **on_recommendation(db))
    url = f"{DEADLINES}/{deadline['id']}"
    client.patch(url, json={"note": "Moved"}, headers={**focal, "If-Match": '"1"'})

    assert_problem(client.delete(url, headers=focal), 428, "precondition-required")
    assert_problem(
        client.delete(url, headers={**focal, "If-Match": '"1"'}), 412, "precondition-failed"
    )
    assert (
        client.delete(
            url, headers={**focal, "If-Match": etag_of(client, focal, deadline["id"])}
        ).status_code
        == 204
    )

    assert row(db, ReportingDeadline, deadline["id"]) is None
    assert_problem(client.get(url, headers=focal), 404, "not-found")
    assert [event for event, _, _ in outbox_rows(db, deadline["id"])] == [
        "reporting_deadline.created",
        "reporting_deadline.updated",
        "reporting_deadline.deleted",
    ]
    assert audit_actions(db, deadline["id"])[-1] == "reporting_deadline.deleted"


def test_deadline_events_name_the_state_and_reach_ohchr_not_the_public(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    deadline = new_deadline(client, focal, **on_recommendation(db))

    [event] = db.exec(
        select(OutboxEvent).where(col(OutboxEvent.resource_id) == deadline["id"])
    ).all()

    assert (event.type, event.state_code, event.visibility) == (
        "reporting_deadline.created",
        "WSM",
        "ohchr",
    )
    assert event.resource_type == "reporting_deadline"
    assert client.get(DEADLINES, headers=ANONYMOUS).status_code == 401
