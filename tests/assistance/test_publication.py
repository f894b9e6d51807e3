"""A State publishes a submitted request to invite partners, and may take it back.

Only the State's focal point chooses; to another State a request is not found to publish or
unpublish, even when it reads it; a draft, a withdrawn or a declined request is never
published; readers see the State's view only. Publication verbs honour `If-Match` when sent
and never require it."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.assistance.models import RequestStage
from app.core.principal import Role
from app.core.settings import Settings
from app.events.types import Visibility
from tests.assistance.helpers import (
    ANONYMOUS,
    OFFICER_ONLY_KEYS,
    REQUESTS,
    audit_of,
    ids,
    make_cast,
    make_request,
    open_verbs,
    outbox_of,
    stored,
)
from tests.core.test_problems import assert_problem

PUBLISHED_STAGES = [
    RequestStage.submitted,
    RequestStage.in_triage,
    RequestStage.info_requested,
    RequestStage.accepted,
    RequestStage.matched,
    RequestStage.in_delivery,
    RequestStage.completed,
]


@pytest.mark.parametrize("stage", PUBLISHED_STAGES)
def test_the_focal_point_publishes_a_submitted_request_for_everyone(
    client: TestClient, db: Session, settings: Settings, stage: RequestStage
) -> None:
    cast = make_cast(db, settings)
    request = make_request(db, stage=stage)
    assert client.get(f"{REQUESTS}/{request.id}").status_code == 404

    response = client.post(f"{REQUESTS}/{request.id}/publish", headers=cast.focal)

    assert response.status_code == 200, response.text
    assert response.json()["published"] is True
    assert response.headers["etag"] == f'"{response.json()["version"]}"'
    shown = client.get(f"{REQUESTS}/{request.id}", headers=ANONYMOUS)
    assert shown.status_code == 200
    assert not OFFICER_ONLY_KEYS & shown.json().keys()
    assert ids(client.get(REQUESTS).json()) == [str(request.id)]
    assert [e.action for e in audit_of(db, request.id)] == ["assistance_request.published"]
    [event] = outbox_of(db, request.id, "assistance_request.published")
    assert event.visibility == "public"
    after = stored(db, request.id)
    assert (after.visibility, after.stage, after.version) == (Visibility.public, stage, 2)
    assert after.published_at is not None
    assert response.json()["visibility"] == "public"
    assert response.json()["published_at"] is not None


def test_unpublishing_hides_the_request_from_everyone_but_the_state_and_ohchr(
    client: TestClient, db: Session, settings: Settings
) -> None:
    cast = make_cast(db, settings)
    request = make_request(db, stage=RequestStage.accepted, published=True)

    response = client.post(f"{REQUESTS}/{request.id}/unpublish", headers=cast.focal)

    assert response.status_code == 200, response.text
    assert response.json()["published"] is False
    assert (response.json()["visibility"], response.json()["published_at"]) == ("ohchr", None)
    assert_problem(client.get(f"{REQUESTS}/{request.id}"), 404, "not-found")
    assert stored(db, request.id).visibility is Visibility.ohchr
    for headers in (cast.focal, cast.officer):
        assert client.get(f"{REQUESTS}/{request.id}", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("stage", "published", "verb", "allowed"),
    [
        (RequestStage.draft, False, "publish", ["submit", "withdraw"]),
        (RequestStage.withdrawn, False, "publish", []),
        (RequestStage.declined, False, "publish", []),
        (RequestStage.completed, True, "publish", ["unpublish"]),
        (RequestStage.accepted, True, "publish", ["unpublish", "withdraw"]),
        (RequestStage.accepted, False, "unpublish", ["publish", "withdraw"]),
        (RequestStage.in_delivery, False, "unpublish", ["publish"]),
        (RequestStage.draft, False, "unpublish", ["submit", "withdraw"]),
    ],
)
def test_a_move_not_open_is_409_with_the_moves_open_now_and_changes_nothing(
    client: TestClient,
    db: Session,
    settings: Settings,
    stage: RequestStage,
    published: bool,
    verb: str,
    allowed: list[str],
) -> None:
    cast = make_cast(db, settings)
    request = make_request(db, stage=stage, published=published)
    version = request.version

    response = client.post(f"{REQUESTS}/{request.id}/{verb}", headers=cast.focal)

    body = assert_problem(response, 409, "illegal-transition")
    # The verbs open now across both lifecycles: the stage's and the publication's.
    assert (
        body["allowed"]
        == allowed
        == sorted(open_verbs(stage, Role.state_focal_point, published=published))
    )
    after = stored(db, request.id)
    assert (after.visibility, after.version) == (request.visibility, version)
    assert audit_of(db, request.id) == []
    assert outbox_of(db, request.id) == []


@pytest.mark.parametrize(
    "role", [Role.state_contributor, Role.ohchr_officer, Role.ohchr_admin, Role.provider]
)
def test_only_the_focal_point_chooses_what_is_published(
    client: TestClient, db: Session, settings: Settings, role: Role
) -> None:
    cast = make_cast(db, settings)
    request = make_request(db, stage=RequestStage.accepted)
    for verb in ("publish", "unpublish"):
        response = client.post(f"{REQUESTS}/{request.id}/{verb}", headers=cast.headers[role])
        assert_problem(response, 403, "forbidden")
    assert_problem(client.post(f"{REQUESTS}/{request.id}/publish"), 401, "unauthorized")
    assert stored(db, request.id).visibility is Visibility.ohchr
    assert audit_of(db, request.id) == []


def test_another_states_request_is_not_found_to_publish_or_unpublish(
    client: TestClient, db: Session, settings: Settings
) -> None:
    """Another State reads a published request (test_cross_state) but never changes it."""
    other_state = make_cast(db, settings, state="FJI")
    request = make_request(db, stage=RequestStage.accepted)
    published = make_request(db, stage=RequestStage.accepted, published=True)

    assert_problem(
        client.post(f"{REQUESTS}/{request.id}/publish", headers=other_state.focal),
        404,
        "not-found",
    )
    assert_problem(
        client.post(f"{REQUESTS}/{published.id}/unpublish", headers=other_state.focal),
        404,
        "not-found",
    )
    assert stored(db, request.id).visibility is Visibility.ohchr
    assert stored(db, published.id).visibility is Visibility.public
    assert audit_of(db, request.id) == audit_of(db, published.id) == []


def test_a_stale_if_match_is_412(client: TestClient, db: Session, settings: Settings) -> None:
    cast = make_cast(db, settings)
    request = make_request(db, stage=RequestStage.accepted)
    stale = f'"{request.version + 1}"'

    response = client.post(
        f"{REQUESTS}/{request.id}/publish", headers={**cast.focal, "If-Match": stale}
    )

    assert_problem(response, 412, "precondition-failed")
    after = stored(db, request.id)
    assert (after.visibility, after.version, after.published_at) == (Visibility.ohchr, 1, None)
    assert audit_of(db, request.id) == []
    assert outbox_of(db, request.id) == []
