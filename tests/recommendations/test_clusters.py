"""Clusters: a focal point groups its own State's recommendations; nobody else sees them."""

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.core.principal import Role
from app.core.settings import Settings
from app.recommendations.models import ClusterMember, RecommendationCluster
from tests.core.test_problems import assert_problem
from tests.factories import auth, make_recommendation, make_user

CLUSTERS = "/api/v1/recommendation-clusters"


def _create(client: TestClient, headers: dict[str, str], **body: object) -> dict[str, object]:
    response = client.post(CLUSTERS, json={"name": "Torture prevention", **body}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_focal_point_groups_its_own_recommendations(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = make_user(db, role=Role.state_focal_point, state="WSM")
    first, second = make_recommendation(db, state="WSM"), make_recommendation(db, state="WSM")
    created = _create(
        client, auth(settings, focal), recommendation_ids=[str(first.id), str(second.id)]
    )
    assert created["state_code"] == "WSM"
    assert set(created["recommendation_ids"]) == {str(first.id), str(second.id)}  # type: ignore[arg-type]
    contributor = make_user(db, role=Role.state_contributor, state="WSM")
    listed = client.get(CLUSTERS, headers=auth(settings, contributor)).json()["items"]
    assert [c["id"] for c in listed] == [created["id"]]


def test_another_states_recommendation_cannot_join_a_cluster(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = make_user(db, role=Role.state_focal_point, state="WSM")
    foreign = make_recommendation(db, state="NPL")
    response = client.post(
        CLUSTERS,
        json={"name": "Mixed", "recommendation_ids": [str(foreign.id)]},
        headers=auth(settings, focal),
    )
    assert_problem(response, 422, "validation-error")
    assert (
        db.exec(select(RecommendationCluster).where(RecommendationCluster.name == "Mixed")).first()
        is None
    )


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_another_states_cluster_is_404(
    client: TestClient, db: Session, settings: Settings, method: str
) -> None:
    owner = make_user(db, role=Role.state_focal_point, state="NPL")
    cluster = _create(client, auth(settings, owner))
    intruder = make_user(db, role=Role.state_focal_point, state="WSM")
    response = client.request(
        method,
        f"{CLUSTERS}/{cluster['id']}",
        json={"name": "Taken over"},
        headers={**auth(settings, intruder), "If-Match": '"1"'},
    )
    assert_problem(response, 404, "not-found")
    assert client.get(CLUSTERS, headers=auth(settings, intruder)).json()["items"] == []
    stored = db.get(RecommendationCluster, uuid.UUID(str(cluster["id"])))
    assert stored is not None
    assert stored.name == "Torture prevention"


def test_contributor_reads_but_cannot_change_clusters(
    client: TestClient, db: Session, settings: Settings
) -> None:
    contributor = make_user(db, role=Role.state_contributor, state="WSM")
    response = client.post(CLUSTERS, json={"name": "Mine"}, headers=auth(settings, contributor))
    assert_problem(response, 403, "forbidden")


def test_update_replaces_members_with_if_match(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = make_user(db, role=Role.state_focal_point, state="WSM")
    headers = auth(settings, focal)
    first, second = make_recommendation(db, state="WSM"), make_recommendation(db, state="WSM")
    cluster = _create(client, headers, recommendation_ids=[str(first.id)])
    url = f"{CLUSTERS}/{cluster['id']}"
    assert_problem(
        client.patch(url, json={"name": "X"}, headers=headers), 428, "precondition-required"
    )
    changed = client.patch(
        url,
        json={"name": "Renamed", "recommendation_ids": [str(second.id)]},
        headers={**headers, "If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    assert changed.json()["recommendation_ids"] == [str(second.id)]
    stale = client.patch(url, json={"name": "Late"}, headers={**headers, "If-Match": '"1"'})
    assert_problem(stale, 412, "precondition-failed")


def test_duplicate_name_in_one_state_is_409(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = make_user(db, role=Role.state_focal_point, state="WSM")
    _create(client, auth(settings, focal))
    again = client.post(
        CLUSTERS, json={"name": "Torture prevention"}, headers=auth(settings, focal)
    )
    assert_problem(again, 409, "conflict")
    other = make_user(db, role=Role.state_focal_point, state="NPL")
    _create(client, auth(settings, other))


def test_delete_removes_the_cluster_not_the_recommendations_and_is_audited(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = make_user(db, role=Role.state_focal_point, state="WSM")
    recommendation = make_recommendation(db, state="WSM")
    cluster = _create(client, auth(settings, focal), recommendation_ids=[str(recommendation.id)])
    response = client.delete(
        f"{CLUSTERS}/{cluster['id']}", headers={**auth(settings, focal), "If-Match": '"1"'}
    )
    assert response.status_code == 204
    assert db.exec(select(ClusterMember)).all() == []
    assert client.get(f"/api/v1/recommendations/{recommendation.id}").status_code == 200
    actions = db.exec(
        select(AuditEvent.action).where(AuditEvent.resource_id == str(cluster["id"]))
    ).all()
    assert sorted(actions) == ["recommendation_cluster.create", "recommendation_cluster.delete"]
