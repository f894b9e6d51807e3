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
from app.events.types import Visibility
from app.main import create_app
from tests.assistance.helpers import REQUESTS, event_of, make_request
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
            action = event_of(verb)
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


def _events(live: Live, request_id: object, event: str) -> tuple[int, int]:
    """How many audit events and outbox rows of type `event` the request has."""
    with live.database.session() as db:
        audit = db.exec(
            select(AuditEvent).where(
                AuditEvent.resource_id == str(request_id), AuditEvent.action == event
            )
        ).all()
        outbox = db.exec(
            select(OutboxEvent).where(
                OutboxEvent.resource_id == str(request_id), OutboxEvent.type == event
            )
        ).all()
        return len(audit), len(outbox)


@pytest.mark.parametrize("if_match", [False, True], ids=["no-if-match", "if-match"])
def test_two_focal_points_withdrawing_one_request_at_once_withdraw_it_once(
    live: Live, if_match: bool
) -> None:
    with live.database.transaction() as db:
        focal_points = [make_user(db, role=Role.state_focal_point, state="WSM") for _ in "ab"]
        headers = [auth(live.settings, focal) for focal in focal_points]
        requests = [make_request(db, stage=RequestStage.in_triage).id for _ in range(ROUNDS)]
    precondition = {"If-Match": '"1"'} if if_match else {}

    for request_id in requests:
        responses = live.send_all(
            [
                {
                    "method": "POST",
                    "url": f"{REQUESTS}/{request_id}/withdraw",
                    "headers": {**caller, **precondition},
                }
                for caller in headers
            ]
        )

        statuses = sorted(r.status_code for r in responses)
        assert statuses in ([200, 409], [200, 412]), [r.text for r in responses]
        winner = next(r for r in responses if r.status_code == 200)
        loser = next(r for r in responses if r.status_code != 200)
        problem = assert_problem(loser, loser.status_code, LOSER[loser.status_code])
        if loser.status_code == 409:
            assert problem["allowed"] == []  # withdrawn: final, and never published
        assert winner.json()["stage"] == "withdrawn"
        with live.database.session() as db:
            stored = db.get(AssistanceRequest, request_id)
            assert stored is not None
            assert (stored.stage, stored.version) == (RequestStage.withdrawn, 2)
            moves = db.exec(
                select(RequestTransition).where(RequestTransition.request_id == request_id)
            ).all()
            assert [(m.verb, m.actor_id) for m in moves] == [
                ("withdraw", focal_points[responses.index(winner)].id)
            ]
        assert _events(live, request_id, event_of(Verb.withdraw)) == (1, 1)


def test_publish_racing_withdraw_never_loses_a_move(live: Live) -> None:
    """Two verbs of the two lifecycles at once: each 200 is one version, one audit event and
    one outbox row; a refused one writes nothing; and a request withdrawn first is never
    published afterwards (whichever commits first, the other is 409, 412 or sees its move)."""
    with live.database.transaction() as db:
        focal_points = [make_user(db, role=Role.state_focal_point, state="WSM") for _ in "ab"]
        headers = [auth(live.settings, focal) for focal in focal_points]
        requests = [make_request(db, stage=RequestStage.in_triage).id for _ in range(ROUNDS)]
    verbs = ["withdraw", "publish"]

    for request_id in requests:
        responses = live.send_all(
            [
                {"method": "POST", "url": f"{REQUESTS}/{request_id}/{verb}", "headers": caller}
                for verb, caller in zip(verbs, headers, strict=True)
            ]
        )

        made = {verb for verb, r in zip(verbs, responses, strict=True) if r.status_code == 200}
        assert made, [r.text for r in responses]
        for response in responses:
            if response.status_code != 200:
                assert_problem(response, response.status_code, LOSER[response.status_code])
        withdrawn, published = responses
        if made == {"withdraw", "publish"}:
            # Both made only in this order: published while in triage, then withdrawn.
            assert published.json()["stage"] == "in_triage"
            assert withdrawn.json()["visibility"] == "public"
        with live.database.session() as db:
            stored = db.get(AssistanceRequest, request_id)
            assert stored is not None
            assert stored.version == 1 + len(made)
            assert (stored.stage is RequestStage.withdrawn) == ("withdraw" in made)
            assert (stored.visibility is Visibility.public) == ("publish" in made)
        events = {"withdraw": event_of(Verb.withdraw), "publish": "assistance_request.published"}
        for verb, event in events.items():
            assert _events(live, request_id, event) == ((1, 1) if verb in made else (0, 0))
