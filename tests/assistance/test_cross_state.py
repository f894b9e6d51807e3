"""What one State sees of another's requests: what that State published, like everyone else,
and nothing more. It reads the State's view of a published request, gets and lists it, but
never changes it, nor reads the thread and history between that State and OHCHR."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.assistance.models import RequestStage
from app.core.principal import Role
from app.core.settings import Settings
from app.events.types import Visibility
from tests.assistance.helpers import (
    OFFICER_ONLY_KEYS,
    REQUESTS,
    audit_of,
    ids,
    make_cast,
    make_request,
    messages_of,
    outbox_of,
    state_headers,
    stored,
    transitions_of,
)
from tests.core.test_problems import assert_problem

STATE_ROLES = [Role.state_focal_point, Role.state_contributor]


@pytest.mark.parametrize("role", STATE_ROLES)
def test_a_published_request_of_another_state_is_read_and_listed(
    client: TestClient, db: Session, settings: Settings, role: Role
) -> None:
    published = make_request(db, state="WSM", stage=RequestStage.accepted, published=True)
    unpublished = make_request(db, state="WSM", stage=RequestStage.accepted)
    draft = make_request(db, state="WSM", stage=RequestStage.draft)
    own = make_request(db, state="NPL", stage=RequestStage.draft)
    nepal = state_headers(db, settings, "NPL", role)

    shown = client.get(f"{REQUESTS}/{published.id}", headers=nepal)

    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert (body["state_code"], body["visibility"], body["published"]) == ("WSM", "public", True)
    assert not OFFICER_ONLY_KEYS & body.keys()
    assert shown.headers["etag"] == '"1"'
    assert sorted(ids(client.get(REQUESTS, headers=nepal).json())) == sorted(
        [str(published.id), str(own.id)]
    )
    samoa = client.get(REQUESTS, params={"state": "WSM"}, headers=nepal).json()
    assert ids(samoa) == [str(published.id)]
    assert not OFFICER_ONLY_KEYS & samoa["items"][0].keys()
    for hidden in (unpublished, draft):
        assert_problem(client.get(f"{REQUESTS}/{hidden.id}", headers=nepal), 404, "not-found")


def test_unpublishing_hides_it_from_the_other_state_again(
    client: TestClient, db: Session, settings: Settings
) -> None:
    cast = make_cast(db, settings, state="WSM")
    request = make_request(db, state="WSM", stage=RequestStage.in_triage, published=True)
    nepal = state_headers(db, settings, "NPL", Role.state_focal_point)
    assert client.get(f"{REQUESTS}/{request.id}", headers=nepal).status_code == 200

    response = client.post(f"{REQUESTS}/{request.id}/unpublish", headers=cast.focal)

    assert response.status_code == 200, response.text
    assert_problem(client.get(f"{REQUESTS}/{request.id}", headers=nepal), 404, "not-found")
    assert client.get(REQUESTS, headers=nepal).json() == {"items": [], "next_cursor": None}


def test_another_state_never_changes_a_published_request_nor_reads_its_thread(
    client: TestClient, db: Session, settings: Settings
) -> None:
    request = make_request(db, state="WSM", stage=RequestStage.info_requested, published=True)
    focal = state_headers(db, settings, "NPL", Role.state_focal_point)
    contributor = state_headers(db, settings, "NPL", Role.state_contributor)
    one = f"{REQUESTS}/{request.id}"

    refused = [
        client.patch(one, json={"title": "Taken over"}, headers={**focal, "If-Match": '"1"'}),
        client.post(f"{one}/messages", json={"body": "Hello from Nepal"}, headers=contributor),
        client.get(f"{one}/messages", headers=focal),
        client.get(f"{one}/transitions", headers=focal),
        client.post(f"{one}/provide-info", json={"message": "Ours now"}, headers=contributor),
        *(client.post(f"{one}/{verb}", headers=focal) for verb in ("withdraw", "unpublish")),
    ]

    for response in refused:
        assert_problem(response, 404, "not-found")
    after = stored(db, request.id)
    assert (after.stage, after.visibility, after.version) == (
        RequestStage.info_requested,
        Visibility.public,
        1,
    )
    assert after.title == request.title
    assert transitions_of(db, request.id) == []
    assert messages_of(db, request.id) == []
    assert audit_of(db, request.id) == []
    assert outbox_of(db, request.id) == []
