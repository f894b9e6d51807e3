"""The audit log: written with every change, rolled back with it, read only by those entitled."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.audit.service import record
from app.auth.models import User
from app.auth.schemas import UserCreate
from app.auth.service import create_user
from app.core.principal import Role
from app.core.settings import Settings
from tests.core.test_problems import assert_problem
from tests.factories import auth, make_user


def _event(db: Session, *, state: str | None, action: str = "thing.change") -> AuditEvent:
    event = record(db, None, action, resource_type="thing", resource_id="t-1", state_code=state)
    db.flush()
    return event


def test_a_change_and_its_audit_event_roll_back_together(app: FastAPI, db: Session) -> None:
    body = UserCreate(
        email="rolled.back@example.org", name="R", role=Role.ohchr_officer, password="x" * 12
    )
    with pytest.raises(RuntimeError), app.state.database.transaction() as session:
        create_user(session, None, body)
        session.flush()
        raise RuntimeError("the request fails after the change")
    assert db.exec(select(User).where(User.email == body.email)).first() is None
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "user.create")).all() == []


def test_admin_reads_every_event_newest_first(
    client: TestClient, db: Session, settings: Settings
) -> None:
    admin = make_user(db, role=Role.ohchr_admin)
    first = _event(db, state="WSM")
    second = _event(db, state="NPL")
    response = client.get("/api/v1/audit-events", headers=auth(settings, admin))
    assert response.status_code == 200
    ids = [item["id"] for item in response.json()["items"]]
    assert ids.index(str(second.id)) < ids.index(str(first.id))


def test_focal_point_reads_only_its_own_states_events(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = make_user(db, role=Role.state_focal_point, state="WSM")
    own = _event(db, state="WSM")
    _event(db, state="NPL")
    _event(db, state=None)
    response = client.get("/api/v1/audit-events", headers=auth(settings, focal))
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [str(own.id)]


def test_filters_narrow_the_log(client: TestClient, db: Session, settings: Settings) -> None:
    admin = make_user(db, role=Role.ohchr_admin)
    target = make_user(db, role=Role.ohchr_officer)
    client.patch(
        f"/api/v1/users/{target.id}",
        json={"name": "Renamed"},
        headers={**auth(settings, admin), "If-Match": '"1"'},
    )
    _event(db, state=None)
    headers = auth(settings, admin)
    by_resource = client.get(
        "/api/v1/audit-events",
        params={"resource_type": "user", "resource_id": str(target.id)},
        headers=headers,
    ).json()["items"]
    assert [e["action"] for e in by_resource] == ["user.update"]
    by_actor = client.get(
        "/api/v1/audit-events", params={"actor_id": str(admin.id)}, headers=headers
    ).json()["items"]
    assert {e["actor_id"] for e in by_actor} == {str(admin.id)}
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    later = client.get("/api/v1/audit-events", params={"since": future}, headers=headers)
    assert later.json()["items"] == []


def test_since_without_a_timezone_is_422(
    client: TestClient, db: Session, settings: Settings
) -> None:
    admin = make_user(db, role=Role.ohchr_admin)
    response = client.get(
        "/api/v1/audit-events",
        params={"since": "2026-01-01T00:00:00"},
        headers=auth(settings, admin),
    )
    assert_problem(response, 422, "validation-error")


def test_the_service_offers_no_way_to_change_an_event(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    methods = {method for path, ops in spec["paths"].items() if "audit" in path for method in ops}
    assert methods == {"get"}
