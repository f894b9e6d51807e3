"""Who may write, for progress reports and shortfalls alike: a State's contributors draft, edit
and delete; only its focal points submit, publish, unpublish and resolve; OHCHR and providers
never write a State's objects; anonymous callers are asked to sign in."""

import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from app.progress.models import ProgressReportRecommendation, ProgressRevision
from app.shortfalls.models import ShortfallRecommendation
from tests.core.test_problems import assert_problem
from tests.progress.support import (
    KINDS,
    REPORT,
    VERB_IDS,
    VERBS,
    Kind,
    Verb,
    answer,
    audit_actions,
    caller,
    count,
    created,
    make_bare_recommendation,
    make_owned,
    model_of,
    row,
    stored,
    write_calls,
)


def _kind_id(kind: Kind) -> str:
    return kind.name


@pytest.mark.parametrize("kind", KINDS, ids=_kind_id)
def test_contributor_drafts_an_object_for_its_own_state(
    client: TestClient, db: Session, settings: Settings, kind: Kind
) -> None:
    contributor = caller(db, settings, Role.state_contributor, "WSM")
    recommendation = make_bare_recommendation(db, state="WSM")

    body = created(client.post(kind.url, json=kind.body(recommendation.id), headers=contributor))

    assert (body["state_code"], body["stage"], body["visibility"]) == ("WSM", "draft", "state")
    stored_row = row(db, model_of(kind), body["id"])
    assert (stored_row.state_code, stored_row.stage) == ("WSM", "draft")


@pytest.mark.parametrize("kind", KINDS, ids=_kind_id)
def test_contributor_edits_a_draft(
    client: TestClient, db: Session, settings: Settings, kind: Kind
) -> None:
    draft = make_owned(db, settings, kind)
    contributor = caller(db, settings, Role.state_contributor, "WSM")
    change = {"summary": "Edited"} if kind is REPORT else {"description": "Edited"}

    response = client.patch(draft.url, json=change, headers={**contributor, "If-Match": '"1"'})

    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    stored_row = row(db, model_of(kind), draft.id)
    assert (getattr(stored_row, next(iter(change))), stored_row.version) == ("Edited", 2)


@pytest.mark.parametrize("kind", KINDS, ids=_kind_id)
def test_contributor_deletes_a_draft(
    client: TestClient, db: Session, settings: Settings, kind: Kind
) -> None:
    draft = make_owned(db, settings, kind)
    contributor = caller(db, settings, Role.state_contributor, "WSM")

    response = client.delete(draft.url, headers={**contributor, "If-Match": '"1"'})

    assert response.status_code == 204, response.text
    assert row(db, model_of(kind), draft.id) is None
    assert count(db, ProgressRevision, ProgressRevision.report_id == uuid.UUID(draft.id)) == 0
    assert count(db, ProgressReportRecommendation) == count(db, ShortfallRecommendation) == 0
    assert client.get(draft.url, headers=draft.focal).status_code == 404


@pytest.mark.parametrize("verb", VERBS, ids=VERB_IDS)
def test_contributor_may_not_make_a_focal_point_move(
    client: TestClient, db: Session, settings: Settings, verb: Verb
) -> None:
    target = make_owned(db, settings, verb.kind, stage=verb.stage)
    contributor = caller(db, settings, Role.state_contributor, "WSM")
    before = stored(db)

    response = client.post(f"{target.url}/{verb.name}", json=verb.body, headers=contributor)

    assert_problem(response, 403, "forbidden")
    assert stored(db) == before


@pytest.mark.parametrize("verb", VERBS, ids=VERB_IDS)
def test_focal_point_makes_the_move(
    client: TestClient, db: Session, settings: Settings, verb: Verb
) -> None:
    """Any focal point of the State, not only the one who wrote the object."""
    target = make_owned(db, settings, verb.kind, stage=verb.stage)
    focal = caller(db, settings, Role.state_focal_point, "WSM")

    response = client.post(f"{target.url}/{verb.name}", json=verb.body, headers=focal)

    assert response.status_code == 200, response.text
    assert (response.json()["stage"], response.json()["visibility"]) == verb.after
    stored_row = row(db, model_of(verb.kind), target.id)
    assert (stored_row.stage, stored_row.visibility) == verb.after
    assert audit_actions(db, target.id)[-1] == verb.event


@pytest.mark.parametrize("role", [Role.ohchr_officer, Role.ohchr_admin, Role.provider])
@pytest.mark.parametrize("verb", VERBS, ids=VERB_IDS)
def test_a_verb_refused_to_a_role_is_403_even_where_it_is_open(
    client: TestClient, db: Session, settings: Settings, verb: Verb, role: Role
) -> None:
    """The guard of a verb route admits the verb's roles only: the State's focal points."""
    target = make_owned(db, settings, verb.kind, stage=verb.stage)
    before = stored(db)

    response = client.post(
        f"{target.url}/{verb.name}", json=verb.body, headers=caller(db, settings, role)
    )

    assert_problem(response, 403, "forbidden")
    assert stored(db) == before


@pytest.mark.parametrize("role", [Role.ohchr_officer, Role.ohchr_admin, Role.provider])
@pytest.mark.parametrize("kind", KINDS, ids=_kind_id)
def test_ohchr_and_providers_write_nothing(
    app: FastAPI, client: TestClient, db: Session, settings: Settings, kind: Kind, role: Role
) -> None:
    """On a published object, which they can read, every writing operation is refused."""
    target = make_owned(db, settings, kind, stage="published", pending_revision=kind is REPORT)
    outsider = caller(db, settings, role)
    new = kind.body(target.recommendation_id)
    before = stored(db)

    answers = {
        (call.method, call.path): answer(call.send(client, outsider))
        for call in write_calls(app, kind, target.id, new)
    }

    assert set(answers.values()) == {(403, "/problems/forbidden")}, answers
    assert stored(db) == before


@pytest.mark.parametrize("kind", KINDS, ids=_kind_id)
def test_anonymous_caller_is_asked_to_sign_in_for_every_write(
    app: FastAPI, client: TestClient, db: Session, settings: Settings, kind: Kind
) -> None:
    target = make_owned(db, settings, kind, stage="published", pending_revision=kind is REPORT)
    new = kind.body(target.recommendation_id)
    before = stored(db)

    answers = {
        (call.method, call.path): answer(call.send(client, {}))
        for call in write_calls(app, kind, target.id, new)
    }

    assert set(answers.values()) == {(401, "/problems/unauthorized")}, answers
    assert stored(db) == before
