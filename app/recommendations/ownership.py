"""Links from a State's objects to the catalogue: only the State's own recommendations."""

import uuid
from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.core.errors import UnprocessableContent
from app.recommendations.models import ClusterMember, Recommendation, RecommendationCluster


def own_recommendation_ids(
    db: Session,
    state_code: str,
    ids: Sequence[uuid.UUID],
    cluster_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """The given recommendations plus the cluster's members, in order, without repeats.

    Every one must be addressed to `state_code`, and the cluster must be the State's own;
    anything else is 422 naming what was refused (a foreign id is reported like a missing one).
    """
    wanted = list(ids)
    if cluster_id is not None:
        cluster = db.get(RecommendationCluster, cluster_id)
        if cluster is None or cluster.state_code != state_code:
            raise _refused("cluster_id", [str(cluster_id)])
        wanted += db.exec(
            select(ClusterMember.recommendation_id).where(ClusterMember.cluster_id == cluster_id)
        ).all()
    wanted = list(dict.fromkeys(wanted))
    found = set(
        db.exec(
            select(Recommendation.id).where(
                col(Recommendation.id).in_(wanted), Recommendation.state_code == state_code
            )
        ).all()
    )
    missing = [str(rid) for rid in wanted if rid not in found]
    if missing:
        raise _refused("recommendation_ids", missing)
    return wanted


def _refused(field: str, values: list[str]) -> UnprocessableContent:
    return UnprocessableContent(
        f"{field} must name recommendations addressed to your State",
        errors=[
            {"loc": ["body", field], "msg": f"not found: {value}", "type": "value_error"}
            for value in values[:20]
        ],
    )
