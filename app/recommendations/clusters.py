"""Clusters: a State groups related recommendations of its own for joint reporting.

Only the State's own people see its clusters; another State's cluster is simply not found.
"""

import uuid
from collections.abc import Sequence

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.audit.service import record
from app.core.concurrency import require_match
from app.core.errors import Conflict, NotFound
from app.core.pagination import paginate
from app.core.principal import Principal
from app.core.settings import Settings
from app.recommendations.models import ClusterMember, RecommendationCluster
from app.recommendations.ownership import own_recommendation_ids
from app.recommendations.schemas import ClusterCreate, ClusterRead, ClusterUpdate


def _own(who: Principal) -> str:
    assert who.state_code is not None  # the route admits State roles only
    return who.state_code


def list_clusters(
    db: Session, who: Principal, *, limit: int, cursor: str | None, settings: Settings
) -> tuple[list[ClusterRead], str | None]:
    statement = select(RecommendationCluster).where(RecommendationCluster.state_code == _own(who))
    rows, next_cursor = paginate(
        db,
        statement,
        [RecommendationCluster.created_at, RecommendationCluster.id],
        limit=limit,
        cursor=cursor,
        settings=settings,
        list_name="list_recommendation_clusters",
    )
    return to_read(db, rows), next_cursor


def get_cluster(db: Session, who: Principal, cluster_id: uuid.UUID) -> RecommendationCluster:
    cluster = db.exec(
        select(RecommendationCluster).where(
            RecommendationCluster.id == cluster_id, RecommendationCluster.state_code == _own(who)
        )
    ).first()
    if cluster is None:
        raise NotFound(f"no recommendation cluster {cluster_id}")
    return cluster


def create_cluster(db: Session, who: Principal, body: ClusterCreate) -> RecommendationCluster:
    state = _own(who)
    _refuse_taken_name(db, state, body.name)
    members = own_recommendation_ids(db, state, body.recommendation_ids)
    cluster = RecommendationCluster(state_code=state, name=body.name, description=body.description)
    db.add(cluster)
    db.flush()
    _set_members(db, cluster.id, members)
    record(
        db,
        who,
        "recommendation_cluster.create",
        resource_type="recommendation_cluster",
        resource_id=cluster.id,
        state_code=state,
        after=to_read(db, [cluster])[0],
    )
    return cluster


def update_cluster(
    db: Session,
    who: Principal,
    cluster: RecommendationCluster,
    body: ClusterUpdate,
    if_match: str | None,
) -> RecommendationCluster:
    require_match(if_match, cluster.version)
    before = to_read(db, [cluster])[0]
    changes = body.model_dump(exclude_unset=True)
    if changes.get("name") and changes["name"] != cluster.name:
        _refuse_taken_name(db, cluster.state_code, changes["name"])
    members = (
        own_recommendation_ids(db, cluster.state_code, body.recommendation_ids)
        if body.recommendation_ids is not None
        else None
    )
    cluster.touch()
    if "name" in changes and changes["name"] is not None:
        cluster.name = changes["name"]
    if "description" in changes:
        cluster.description = changes["description"]
    db.add(cluster)
    db.flush()
    if members is not None:
        _set_members(db, cluster.id, members)
    record(
        db,
        who,
        "recommendation_cluster.update",
        resource_type="recommendation_cluster",
        resource_id=cluster.id,
        state_code=cluster.state_code,
        before=before,
        after=to_read(db, [cluster])[0],
    )
    return cluster


def delete_cluster(
    db: Session, who: Principal, cluster: RecommendationCluster, if_match: str | None
) -> None:
    require_match(if_match, cluster.version)
    before = to_read(db, [cluster])[0]
    db.execute(delete(ClusterMember).where(col(ClusterMember.cluster_id) == cluster.id))
    db.delete(cluster)
    db.flush()
    record(
        db,
        who,
        "recommendation_cluster.delete",
        resource_type="recommendation_cluster",
        resource_id=cluster.id,
        state_code=cluster.state_code,
        before=before,
    )


def _refuse_taken_name(db: Session, state: str, name: str) -> None:
    taken = db.exec(
        select(RecommendationCluster.id).where(
            RecommendationCluster.state_code == state, RecommendationCluster.name == name
        )
    ).first()
    if taken is not None:
        raise Conflict(f"your State already has a cluster named {name!r}")


def _set_members(db: Session, cluster_id: uuid.UUID, members: list[uuid.UUID]) -> None:
    db.execute(delete(ClusterMember).where(col(ClusterMember.cluster_id) == cluster_id))
    db.add_all(ClusterMember(cluster_id=cluster_id, recommendation_id=rid) for rid in members)
    db.flush()


def to_read(db: Session, clusters: Sequence[RecommendationCluster]) -> list[ClusterRead]:
    ids = [cluster.id for cluster in clusters]
    members: dict[uuid.UUID, list[uuid.UUID]] = {cid: [] for cid in ids}
    for cluster_id, recommendation_id in db.exec(
        select(ClusterMember.cluster_id, ClusterMember.recommendation_id).where(
            col(ClusterMember.cluster_id).in_(ids)
        )
    ).all():
        members[cluster_id].append(recommendation_id)
    return [
        ClusterRead(
            id=c.id,
            state_code=c.state_code,
            name=c.name,
            description=c.description,
            recommendation_ids=sorted(members[c.id], key=str),
            version=c.version,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )
        for c in clusters
    ]
