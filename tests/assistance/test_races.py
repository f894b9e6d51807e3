"""Two officers moving one request at the same moment, with real commits: one move lands.

Runs on a private copy of the migrated database (SQLite or PostgreSQL, as the suite), each
request on its own connection and transaction, as in production.
"""

from collections.abc import Iterator

import pytest
from sqlmodel import select

from app.assistance.lifecycle import TRANSITIONS, Verb
from app.assistance.models import AssistanceRequest, RequestStage, RequestTransition
from app.audit.models import AuditEvent
from app.core.db import Database
from app.core.principal import Role
from app.events.models import OutboxEvent
from app.main import create_app
from tests.assistance.helpers import REQUESTS, make_request
from tests.conftest import make_settings
from tests.core.test_concurrency import Live
from tests.core.test_problems import assert_problem
from tests.factories import auth, make_user

ROUNDS = 3
LOSER = {409: "illegal-transition", 412: "precondition-failed"}


@pytest.fixture
def live(fresh_database: str) -> Iterator[Live]:
    settings = make_settings(fresh_database)
    app_database = Database.from_url(fresh_database)
    database = Database.from_url(fresh_database)
    try:
        yield Live(create_app(settings, app_database), settings, database)
    finally:
        app_database.dispose()
        database.dispose()


@pytest.mark.parametrize(
    ("verb", "stage"),
    [(Verb.accept, RequestStage.in_triage), (Verb.start_triage, RequestStage.submitted)],
    ids=["accept", "start-triage"],
)
@pytest.mark.parametrize("if_match", [False, True], ids=["no-if-match", "if-match"])
def test_two_officers_moving_one_request_at_once_apply_it_once(
    live: Live, verb: Verb, stage: RequestStage, if_match: bool
) -> None:
    target = TRANSITIONS.get((stage, verb))
    with live.database.transaction() as db:
        officers = [make_user(db, role=Role.ohchr_officer), make_user(db, role=Role.ohchr_admin)]
        headers = [auth(live.settings, officer) for officer in officers]
        requests = [make_request(db, stage=stage).id for _ in range(ROUNDS)]
    precondition = {"If-Match": '"1"'} if if_match else {}

    for request_id in requests:
        responses = live.send_all(
            [
                {
                    "method": "POST",
                    "url": f"{REQUESTS}/{request_id}/{verb}",
                    "json": {},
                    "headers": {**caller, **precondition},
                }
                for caller in headers
            ]
        )

        statuses = sorted(r.status_code for r in responses)
        assert statuses in ([200, 409], [200, 412]), [r.text for r in responses]
        winner = next(r for r in responses if r.status_code == 200)
        loser = next(r for r in responses if r.status_code != 200)
        assert_problem(loser, loser.status_code, LOSER[loser.status_code])
        assert winner.json()["stage"] == target
        with live.database.session() as db:
            stored = db.get(AssistanceRequest, request_id)
            assert stored is not None
            assert (stored.stage, stored.version) == (target, 2)
            moves = db.exec(
                select(RequestTransition).where(RequestTransition.request_id == request_id)
            ).all()
            assert [(m.verb, m.actor_id) for m in moves] == [
                (verb.value, officers[responses.index(winner)].id)
            ]
            action = f"assistance_request.{verb}"
            events = db.exec(
                select(AuditEvent).where(
                    AuditEvent.resource_id == str(request_id), AuditEvent.action == action
                )
            ).all()
            assert len(events) == 1
            outbox = db.exec(
                select(OutboxEvent).where(
                    OutboxEvent.resource_id == str(request_id), OutboxEvent.type == action
                )
            ).all()
            assert len(outbox) == 1
