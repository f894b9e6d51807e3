"""A State's overview, computed in SQL over what the caller may see.

The State itself and OHCHR see everything they are entitled to (the State its drafts too,
OHCHR what was submitted); everyone else sees figures built from published data only.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session, col

from app.core.deps import DbSession
from app.core.guards import Anyone
from app.events.types import Visibility
from app.lifecycle.visibility import audience_of, seen_by
from app.progress.models import ProgressReport, ProgressReportRecommendation
from app.recommendations.models import Recommendation, RecommendationSdg, RecommendationTheme
from app.shortfalls.models import Shortfall
from app.states.service import get_state
from app.taxonomies.models import Theme

router = APIRouter(prefix="/states", tags=["states"])
NOT_REPORTED = "no_report"
UNREPORTED_SAMPLE = 50


class ThemeCount(BaseModel):
    code: str | None
    name: str
    count: int


class Overview(BaseModel):
    state_code: str
    scope: str
    recommendations: int
    by_mechanism: dict[str, int]
    by_theme: list[ThemeCount]
    by_sdg_goal: dict[str, int]
    by_latest_status: dict[str, int]
    without_report: int
    without_report_sample: list[str]
    open_shortfalls_by_barrier: dict[str, int]


def build_overview(db: Session, state_code: str, scope: Visibility) -> Overview:
    latest = _latest_status(db, state_code, scope)
    total = int(db.execute(select(func.count()).where(_mine(state_code))).scalar_one())
    unreported = total - sum(latest.values())
    return Overview(
        state_code=state_code,
        scope=scope.value,
        recommendations=total,
        by_mechanism=_by_mechanism(db, state_code),
        by_theme=_theme_counts(db, state_code),
        by_sdg_goal=_by_sdg_goal(db, state_code),
        by_latest_status=latest | {NOT_REPORTED: unreported},
        without_report=unreported,
        without_report_sample=_unreported_sample(db, state_code, scope),
        open_shortfalls_by_barrier=_open_shortfalls(db, state_code, scope),
    )


def _mine(state_code: str) -> ColumnElement[bool]:
    return col(Recommendation.state_code) == state_code


def _by_mechanism(db: Session, state_code: str) -> dict[str, int]:
    mechanism = col(Recommendation.mechanism)
    statement = select(mechanism, func.count()).where(_mine(state_code)).group_by(mechanism)
    return _counts(db, statement)


def _by_sdg_goal(db: Session, state_code: str) -> dict[str, int]:
    goal, recommendation = col(RecommendationSdg.goal), col(RecommendationSdg.recommendation_id)
    statement = (
        select(goal, func.count(func.distinct(recommendation)))
        .join(Recommendation, col(Recommendation.id) == recommendation)
        .where(_mine(state_code))
        .group_by(goal)
    )
    return _counts(db, statement)


def _open_shortfalls(db: Session, state_code: str, scope: Visibility) -> dict[str, int]:
    barrier = col(Shortfall.barrier_type)
    statement = (
        select(barrier, func.count())
        .where(
            col(Shortfall.state_code) == state_code,
            col(Shortfall.resolved_on).is_(None),
            seen_by(Shortfall, scope),
        )
        .group_by(barrier)
    )
    return _counts(db, statement)


def _counts(db: Session, statement: Any) -> dict[Any, int]:
    return {str(key): int(count) for key, count in db.execute(statement).all()}


def _reports_seen(state_code: str, scope: Visibility) -> Any:
    """(recommendation, status, rank) per report seen; rank 1 is the latest."""
    recommendation = col(ProgressReportRecommendation.recommendation_id)
    rank = func.row_number().over(
        partition_by=recommendation,
        order_by=(col(ProgressReport.period_end).desc(), col(ProgressReport.updated_at).desc()),
    )
    return (
        select(recommendation, col(ProgressReport.status), rank.label("rank"))
        .join(ProgressReport, col(ProgressReport.id) == ProgressReportRecommendation.report_id)
        .where(col(ProgressReport.state_code) == state_code, seen_by(ProgressReport, scope))
        .subquery()
    )


def _latest_status(db: Session, state_code: str, scope: Visibility) -> dict[str, int]:
    ranked = _reports_seen(state_code, scope)
    statement = (
        select(ranked.c.status, func.count()).where(ranked.c.rank == 1).group_by(ranked.c.status)
    )
    return _counts(db, statement)


def _unreported_sample(db: Session, state_code: str, scope: Visibility) -> list[str]:
    link = ProgressReportRecommendation
    reported = (
        select(col(link.report_id))
        .join(ProgressReport, col(ProgressReport.id) == link.report_id)
        .where(col(link.recommendation_id) == Recommendation.id, seen_by(ProgressReport, scope))
        .exists()
    )
    statement = (
        select(col(Recommendation.id))
        .where(_mine(state_code), ~reported)
        .order_by(col(Recommendation.created_at), col(Recommendation.id))
        .limit(UNREPORTED_SAMPLE)
    )
    return [str(rid) for (rid,) in db.execute(statement).all()]


def _theme_counts(db: Session, state_code: str) -> list[ThemeCount]:
    statement = (
        select(col(Theme.code), col(Theme.name), func.count())
        .join(RecommendationTheme, col(RecommendationTheme.theme_id) == Theme.id)
        .join(Recommendation, col(Recommendation.id) == RecommendationTheme.recommendation_id)
        .where(_mine(state_code))
        .group_by(col(Theme.id), col(Theme.code), col(Theme.name))
        .order_by(func.count().desc(), col(Theme.name))
    )
    return [
        ThemeCount(code=code, name=name, count=count)
        for code, name, count in db.execute(statement).all()
    ]


@router.get("/{code}/overview", response_model=Overview, operation_id="get_state_overview")
def get_state_overview(
    who: Anyone,
    db: DbSession,
    code: Annotated[str, Path(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")],
) -> Overview:
    """A State's recommendations by latest reported status, mechanism, theme and SDG goal, the
    recommendations with no report yet, and open shortfalls by barrier. The State and OHCHR
    see their full view; everyone else, figures built from published data. Public."""
    state = get_state(db, code)
    return build_overview(db, state.code, audience_of(who, state.code))
