"""Two focal points racing one verb on one object, with real commits on real connections: one
move lands, the other is refused (409: no longer open, or 412: the version moved), and the
move is announced once. The same on SQLite and PostgreSQL."""

import pytest
from sqlmodel import func, select

from app.audit.models import AuditEvent
from app.core.principal import Role
from app.events.models import OutboxEvent
from tests.core.test_concurrency import ROUNDS, Live
from tests.factories import auth, make_recommendation, make_user

API = "/api/v1"
RESOURCES = {"/progress-reports": "progress_report", "/shortfalls": "shortfall"}
PAST = {"submit": "submitted", "publish": "published"}
BODIES = {
    "/progress-reports": {
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "status": "in_progress",
    },
    "/shortfalls": {"barrier_type": "financial", "severity": "high", "description": "No budget"},
}


def _count(live: Live, model: type, column: object, resource_id: str, value: str) -> int:
    with live.database.session() as db:
        return int(
            db.exec(
                select(func.count())
                .select_from(model)
                .where(column == value, model.resource_id == resource_id)  # type: ignore[attr-defined]
            ).one()
        )


@pytest.mark.parametrize("path", list(BODIES))
@pytest.mark.parametrize(("verb", "before"), [("submit", []), ("publish", ["submit"])])
def test_two_focal_points_racing_one_verb_let_exactly_one_move_land(
    live: Live, path: str, verb: str, before: list[str]
) -> None:
    with live.database.transaction() as db:
        first, second = (
            auth(live.settings, make_user(db, role=Role.state_focal_point, state="WSM"))
            for _ in range(2)
        )
        recommendation = str(make_recommendation(db, state="WSM").id)
    for _ in range(ROUNDS):
        body = {**BODIES[path], "recommendation_ids": [recommendation]}
        (created,) = live.send_all(
            [{"method": "POST", "url": f"{API}{path}", "json": body, "headers": first}]
        )
        object_id = created.json()["id"]
        for earlier in before:
            (moved,) = live.send_all(
                [{"method": "POST", "url": f"{API}{path}/{object_id}/{earlier}", "headers": first}]
            )
            assert moved.status_code == 200, moved.text

        answers = live.send_all(
            [
                {"method": "POST", "url": f"{API}{path}/{object_id}/{verb}", "headers": headers}
                for headers in (first, second)
            ]
        )

        event = f"{RESOURCES[path]}.{PAST[verb]}"
        codes = sorted(r.status_code for r in answers)
        assert codes in ([200, 409], [200, 412]), [r.text for r in answers]
        assert _count(live, AuditEvent, AuditEvent.action, object_id, event) == 1
        assert _count(live, OutboxEvent, OutboxEvent.type, object_id, event) == 1
