"""The lifecycle table, walked in full: every (stage, verb) pair for every role.

Cases are generated from `TRANSITIONS` and `ROLES`, so a change to the table changes what is
checked. Each case stores a fresh request at its stage directly and calls the verb over HTTP.
"""

import datetime as dt
import uuid

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.assistance.lifecycle import ROLES, TRANSITIONS, Verb
from app.assistance.models import AssistanceRequest, RequestStage
from app.assistance.service import ASSISTANCE_REQUEST
from app.core.errors import Forbidden
from app.core.models import utcnow
from app.core.principal import OHCHR_ROLES, Principal, PrincipalKind, Role
from app.core.settings import Settings
from tests.assistance.helpers import (
    REQUESTS,
    Headers,
    audit_of,
    event_of,
    make_cast,
    make_request,
    open_verbs,
    outbox_of,
    stored,
    transitions_of,
    verb_body,
)
from tests.core.test_problems import assert_problem

PAIRS = [(stage, verb) for stage in RequestStage for verb in Verb]
ROUTED = [pair for pair in PAIRS if ROLES[pair[1]]]
LEGAL = [pair for pair in ROUTED if pair in TRANSITIONS]
ILLEGAL = [pair for pair in ROUTED if pair not in TRANSITIONS]
PLATFORM_VERBS = [verb for verb in Verb if not ROLES[verb]]
LONG_AGO = dt.timedelta(days=3)


def _hidden_from(role: Role, stage: RequestStage) -> bool:
    """OHCHR never sees a draft, so a verb OHCHR has finds no draft to move (404)."""
    return role in OHCHR_ROLES and stage is RequestStage.draft


def _ids(pairs: list[tuple[RequestStage, Verb]]) -> list[str]:
    return [f"{stage}-{verb}" for stage, verb in pairs]


def _stored_at(db: Session, stage: RequestStage) -> AssistanceRequest:
    return make_request(db, stage=stage, stage_entered_at=utcnow() - LONG_AGO)


def _call(
    client: TestClient, request: AssistanceRequest, verb: Verb, headers: Headers
) -> httpx.Response:
    url = f"{REQUESTS}/{request.id}/{verb}"
    response: httpx.Response = client.post(url, json=verb_body(verb), headers=headers)
    return response


def _assert_untouched(db: Session, request_id: object, stage: RequestStage) -> None:
    after = stored(db, request_id)
    assert (after.stage, after.version) == (stage, 1)
    assert transitions_of(db, request_id) == []
    assert [e.action for e in audit_of(db, request_id)] == []
    assert outbox_of(db, request_id) == []


def test_the_generated_cases_cover_the_whole_table() -> None:
    assert len(LEGAL) + len(ILLEGAL) + len(PLATFORM_VERBS) * len(RequestStage) == len(PAIRS)
    assert {pair for pair in TRANSITIONS if ROLES[pair[1]]} == set(LEGAL)
    assert len(PAIRS) == len(RequestStage) * len(Verb)
    assert [Verb.match] == PLATFORM_VERBS


@pytest.mark.parametrize(("stage", "verb"), ROUTED, ids=_ids(ROUTED))
def test_a_verb_the_role_never_has_is_forbidden(
    client: TestClient, db: Session, settings: Settings, stage: RequestStage, verb: Verb
) -> None:
    """The route's guard admits only the roles the table names for the verb, before the
    request is looked up: so also on a draft that the refused role could not see."""
    cast = make_cast(db, settings)
    request = _stored_at(db, stage)
    roles = [r for r in Role if r not in ROLES[verb]]
    assert Role.provider in roles
    for role in roles:
        assert_problem(_call(client, request, verb, cast.headers[role]), 403, "forbidden")
    _assert_untouched(db, request.id, stage)


@pytest.mark.parametrize("stage", list(RequestStage))
def test_a_verb_only_the_platform_makes_has_no_route(
    client: TestClient, db: Session, settings: Settings, stage: RequestStage
) -> None:
    cast = make_cast(db, settings)
    request = _stored_at(db, stage)
    for verb in PLATFORM_VERBS:
        for headers in cast.headers.values():
            response = _call(client, request, verb, headers)
            assert response.status_code in (404, 405), response.text
    _assert_untouched(db, request.id, stage)


@pytest.mark.parametrize(("stage", "verb"), ILLEGAL, ids=_ids(ILLEGAL))
def test_a_verb_not_open_at_the_stage_is_409_naming_the_open_verbs(
    client: TestClient, db: Session, settings: Settings, stage: RequestStage, verb: Verb
) -> None:
    cast = make_cast(db, settings)
    request = _stored_at(db, stage)
    for role in [r for r in ROLES[verb] if not _hidden_from(r, stage)]:
        response = _call(client, request, verb, cast.headers[role])
        body = assert_problem(response, 409, "illegal-transition")
        assert body["allowed"] == sorted(open_verbs(stage, role)), role
    _assert_untouched(db, request.id, stage)


@pytest.mark.parametrize(("stage", "verb"), LEGAL, ids=_ids(LEGAL))
def test_a_legal_move_lands_with_its_transition_audit_event_and_outbox_row(
    client: TestClient, db: Session, settings: Settings, stage: RequestStage, verb: Verb
) -> None:
    target = TRANSITIONS.get((stage, verb))
    assert target is not None
    cast = make_cast(db, settings)
    for role in ROLES[verb]:
        started = utcnow()
        request = _stored_at(db, stage)

        response = _call(client, request, verb, cast.headers[role])

        assert response.status_code == 200, (role, response.text)
        assert response.json()["stage"] == target
        assert response.headers["etag"] == '"2"'
        after = stored(db, request.id)
        assert (after.stage, after.version) == (target, 2)
        assert after.stage_entered_at >= started
        (transition,) = transitions_of(db, request.id)
        assert (transition.verb, transition.from_stage, transition.to_stage) == (
            verb.value,
            stage.value,
            target.value,
        )
        assert (transition.actor_id, transition.actor_role) == (cast.users[role].id, role.value)
        (event,) = audit_of(db, request.id, event_of(verb))
        assert event.actor_id == cast.users[role].id
        assert (event.before or {})["stage"] == stage
        assert (event.after or {})["stage"] == target
        assert [e.action for e in audit_of(db, request.id)] == [event_of(verb)]
        (outbox,) = outbox_of(db, request.id)
        assert outbox.type == event_of(verb)
        assert outbox.payload["stage"] == target
        assert (outbox.state_code, outbox.version) == (after.state_code, 2)
        assert outbox.visibility == after.visibility


@pytest.mark.parametrize("path", ["teleport", "Submit", "start_triage", "submit/now"])
def test_a_verb_no_lifecycle_has_is_not_routed(
    client: TestClient, db: Session, settings: Settings, path: str
) -> None:
    cast = make_cast(db, settings)
    request = _stored_at(db, RequestStage.in_triage)
    for headers in (*cast.headers.values(), {}):
        response = client.post(f"{REQUESTS}/{request.id}/{path}", json={}, headers=headers)
        assert response.status_code in (404, 405), response.text
    _assert_untouched(db, request.id, RequestStage.in_triage)


OHCHR_VERBS = [verb for verb in Verb if ROLES[verb] and ROLES[verb] <= OHCHR_ROLES]


@pytest.mark.parametrize("verb", OHCHR_VERBS)
def test_officers_find_no_draft_to_move(
    client: TestClient, db: Session, settings: Settings, verb: Verb
) -> None:
    """A verb OHCHR has, called on a draft: the draft is not OHCHR's to see (404)."""
    cast = make_cast(db, settings)
    request = _stored_at(db, RequestStage.draft)
    for role in sorted(OHCHR_ROLES):
        assert _hidden_from(role, RequestStage.draft)
        assert_problem(_call(client, request, verb, cast.headers[role]), 404, "not-found")
    _assert_untouched(db, request.id, RequestStage.draft)


def test_every_verb_a_role_may_make_is_either_ohchrs_or_the_states() -> None:
    """So that the two tests above, 403 at the guard and 404 on a draft, cover every verb."""
    state_verbs = [verb for verb in Verb if ROLES[verb] and not ROLES[verb] & OHCHR_ROLES]
    assert sorted(OHCHR_VERBS + state_verbs) == sorted(v for v in Verb if ROLES[v])
    assert len(OHCHR_VERBS) >= 6


def test_submit_stamps_the_submission_time(
    client: TestClient, db: Session, settings: Settings
) -> None:
    cast = make_cast(db, settings)
    request = _stored_at(db, RequestStage.draft)
    started = utcnow()

    response = _call(client, request, Verb.submit, cast.focal)

    assert response.status_code == 200, response.text
    submitted_at = stored(db, request.id).submitted_at
    assert submitted_at is not None and submitted_at >= started
    assert dt.datetime.fromisoformat(response.json()["submitted_at"]) == submitted_at


def test_match_is_a_move_only_the_platform_makes(db: Session) -> None:
    assert ROLES[Verb.match] == frozenset()
    request = make_request(db, stage=RequestStage.accepted)
    for role in Role:
        caller = Principal(uuid.uuid4(), PrincipalKind.user, role, None)
        with pytest.raises(Forbidden):
            ASSISTANCE_REQUEST.apply(db, caller, request, Verb.match)
    assert stored(db, request.id).stage is RequestStage.accepted

    ASSISTANCE_REQUEST.apply(db, None, request, Verb.match)
    db.flush()

    after = stored(db, request.id)
    assert after.stage is RequestStage.matched
    (transition,) = transitions_of(db, request.id)
    assert transition.verb == "match"
    assert (transition.actor_id, transition.actor_role) == (None, "system")
    (event,) = audit_of(db, request.id, "assistance_request.matched")
    assert (event.actor_id, event.actor_type) == (None, "system")
    assert len(outbox_of(db, request.id, "assistance_request.matched")) == 1
