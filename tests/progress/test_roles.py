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
    SHORTFALL,
    Kind,
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

# (kind, verb, the stage where the verb is open, what the object is after it)
FOCAL_POINT_MOVES = [
    (REPORT, "submit", "draft", ("submitted", "ohchr")),
    (REPORT, "publish", "submitted", ("submitted", "public")),
    (REPORT, "unpublish", "published", ("submitted", "ohchr")),
    (SHORTFALL, "submit", "draft", ("submitted", "ohchr")),
    (SHORTFALL, "publish", "submitted", ("submitted", "public")),
    (SHORTFALL, "unpublish", "published", ("submitted", "ohchr")),
    (SHORTFALL, "resolve", "submitted", ("submitted", "ohchr")),
]
MOVE_IDS = [f"{kind.name}-{verb}" for kind, verb, _, _ in FOCAL_POINT_MOVES]
RESOLUTION = {"resolved_on": "2024-06-30"}


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


@pytest.mark.parametrize(("kind", "verb", "stage", "after"), FOCAL_POINT_MOVES, ids=MOVE_IDS)
def test_contributor_may_not_make_a_focal_point_move(
    client: TestClient,
    db: Session,
    settings: Settings,
    kind: Kind,
    verb: str,
    stage: str,
    after: tuple[str, str],
) -> None:
    target = make_owned(db, settings, kind, stage=stage)
    contributor = caller(db, settings, Role.state_contributor, "WSM")
    before = stored(db)

    response = client.post(
        f"{target.url}/{verb}", json=RESOLUTION if verb == "resolve" else None, headers=contributor
    )

    assert_problem(response, 403, "forbidden")
    assert stored(db) == before


@pytest.mark.parametrize(("kind", "verb", "stage", "after"), FOCAL_POINT_MOVES, ids=MOVE_IDS)
def test_focal_point_makes_the_move(
    client: TestClient,
    db: Session,
    settings: Settings,
    kind: Kind,
    verb: str,
    stage: str,
    after: tuple[str, str],
) -> None:
    target = make_owned(db, settings, kind, stage=stage)
    focal = caller(db, settings, Role.state_focal_point, "WSM")

    response = client.post(
        f"{target.url}/{verb}", json=RESOLUTION if verb == "resolve" else None, headers=focal
    )

    assert response.status_code == 200, response.text
    assert (response.json()["stage"], response.json()["visibility"]) == after
    stored_row = row(db, model_of(kind), target.id)
    assert (stored_row.stage, stored_row.visibility) == after
    assert audit_actions(db, target.id)[-1] == f"{kind.name}.{verb}"


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
