"""A State's overview, computed in SQL over what the caller may see.

The State itself and OHCHR see everything they are entitled to (the State its drafts too,
OHCHR what was submitted); everyone else sees figures built from published data only.
"""

from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Uuid, and_, bindparam, cast, func, select, true, union_all
from sqlmodel import Session, col

from app.core.deps import DbSession
from app.core.guards import Anyone
from app.core.routing import api_router
from app.events.types import Visibility
from app.lifecycle.visibility import audience_of, seen_by
from app.progress.models import ProgressReport, ProgressReportRecommendation, ProgressRevision
from app.recommendations.models import Recommendation, RecommendationSdg, RecommendationTheme
from app.shortfalls.models import Shortfall
from app.states.service import get_state
from app.taxonomies.models import Theme

router = api_router("/states", tags=["states"])
NOT_REPORTED = "no_report"
UNREPORTED_SAMPLE = 50
STATE_CODE = "state_code"  # the bound parameter of every overview query


class ThemeCount(BaseModel):
    code: str | None
    name: str
    count: int


class UnreportedExample(BaseModel):
    """A recommendation without a report, readable without a second request."""

    id: str
    document_symbol: str | None
    paragraph: str | None
    text: str


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
    """Ids of up to 50 recommendations without a report (the oldest first)."""
    without_report_examples: list[UnreportedExample]
    """The same recommendations as `without_report_sample`, with their symbol, paragraph and
    text."""
    open_shortfalls_by_barrier: dict[str, int]


def build_overview(db: Session, state_code: str, scope: Visibility) -> Overview:
    queries = _queries(db.get_bind().dialect.name, scope)
    connection = db.connection()

    def rows(statement: Any) -> list[Any]:
        return list(connection.execute(statement, {STATE_CODE: state_code}).all())

    latest = _counts(rows(queries.latest_status))
    total = int(rows(queries.total)[0][0])
    unreported = total - sum(latest.values())
    examples = [
        UnreportedExample(id=str(rid), document_symbol=symbol, paragraph=paragraph, text=text)
        for rid, symbol, paragraph, text in rows(queries.unreported_sample)
    ]
    return Overview(
        state_code=state_code,
        scope=scope.value,
        recommendations=total,
        by_mechanism=_counts(rows(queries.by_mechanism)),
        by_theme=[
            ThemeCount(code=code, name=name, count=count)
            for code, name, count in rows(queries.theme_counts)
        ],
        by_sdg_goal=_counts(rows(queries.by_sdg_goal)),
        by_latest_status=latest | {NOT_REPORTED: unreported},
        without_report=unreported,
        without_report_sample=[example.id for example in examples],
        without_report_examples=examples,
        open_shortfalls_by_barrier=_counts(rows(queries.open_shortfalls)),
    )


def _counts(rows: list[Any]) -> dict[str, int]:
    """(key, count) rows, which their statements order by key: an answer does not change its
    order with the database's plan."""
    return {str(key): int(count) for key, count in rows}


@dataclass(frozen=True)
class _Queries:
    """The overview's statements for one scope, the State bound as `STATE_CODE`."""

    latest_status: Any
    total: Any
    unreported_sample: Any
    by_mechanism: Any
    theme_counts: Any
    by_sdg_goal: Any
    open_shortfalls: Any


@cache
def _queries(dialect: str, scope: Visibility) -> _Queries:
    """Built once per database and scope: building SQLAlchemy statements costs more CPU than
    the database spends answering these."""
    mine = col(Recommendation.state_code) == bindparam(STATE_CODE)
    reports = col(ProgressReport.state_code) == bindparam(STATE_CODE)
    return _Queries(
        latest_status=_latest_status(dialect, scope, reports),
        total=select(func.count()).where(mine),
        unreported_sample=_unreported_sample(dialect, scope, reports, mine),
        by_mechanism=_by_mechanism(mine),
        theme_counts=_theme_counts(mine),
        by_sdg_goal=_by_sdg_goal(mine),
        open_shortfalls=_open_shortfalls(scope),
    )


def _by_mechanism(mine: ColumnElement[bool]) -> Any:
    mechanism = col(Recommendation.mechanism)
    return select(mechanism, func.count()).where(mine).group_by(mechanism).order_by(mechanism)


def _by_sdg_goal(mine: ColumnElement[bool]) -> Any:
    goal, recommendation = col(RecommendationSdg.goal), col(RecommendationSdg.recommendation_id)
    return (
        select(goal, func.count(func.distinct(recommendation)))
        .join(Recommendation, col(Recommendation.id) == recommendation)
        .where(mine)
        .group_by(goal)
        .order_by(goal)
    )


def _open_shortfalls(scope: Visibility) -> Any:
    barrier = col(Shortfall.barrier_type)
    return (
        select(barrier, func.count())
        .where(
            col(Shortfall.state_code) == bindparam(STATE_CODE),
            col(Shortfall.resolved_on).is_(None),
            seen_by(Shortfall, scope),
        )
        .group_by(barrier)
        .order_by(barrier)
    )


def coverage_parts(db: Session, scope: Visibility, *where: ColumnElement[bool]) -> list[Any]:
    """SELECTs of (recommendation_id, status, period_end, updated_at) for every recommendation of
    every report the scope sees among those `where` admits, as the scope sees the report.
    Outside the State and OHCHR that is the published revision: a correction awaiting
    publication counts for nobody else. Several readers' parts make one union (analytics)."""
    return _coverage_parts(db.get_bind().dialect.name, scope, *where)


def _coverage_parts(dialect: str, scope: Visibility, *where: ColumnElement[bool]) -> list[Any]:
    link = ProgressReportRecommendation
    current: Any = (
        select(
            col(link.recommendation_id).label("recommendation_id"),
            col(ProgressReport.status).label("status"),
            col(ProgressReport.period_end).label("period_end"),
            col(ProgressReport.updated_at).label("updated_at"),
        )
        .join(ProgressReport, col(ProgressReport.id) == link.report_id)
        .where(seen_by(ProgressReport, scope), *where)
    )
    if scope is not Visibility.public:
        return [current]
    published_revision = col(ProgressReport.published_revision)
    lagging = and_(published_revision.is_not(None), published_revision != ProgressReport.revision)
    recommendation_id, elements = _json_elements(dialect, col(ProgressRevision.recommendation_ids))
    published = (
        select(
            recommendation_id,
            col(ProgressRevision.status),
            col(ProgressRevision.period_end),
            col(ProgressReport.updated_at),
        )
        .select_from(ProgressReport)
        .join(
            ProgressRevision,
            and_(
                col(ProgressRevision.report_id) == ProgressReport.id,
                col(ProgressRevision.number) == published_revision,
            ),
        )
        .join(elements, true())
        .where(seen_by(ProgressReport, scope), lagging, *where)
    )
    return [current.where(~lagging), published]


def _coverage(dialect: str, scope: Visibility, reports: ColumnElement[bool]) -> Any:
    return union_all(*_coverage_parts(dialect, scope, reports)).subquery()


def _json_elements(dialect: str, ids: Any) -> tuple[Any, Any]:
    """The recommendation ids of a revision's JSON list, one row each, typed as the links'."""
    if dialect == "postgresql":
        elements = func.jsonb_array_elements_text(ids).table_valued("value")
        return cast(elements.c.value, Uuid), elements
    # SQLite keeps a UUID as its 32 hex digits.
    elements = func.json_each(ids).table_valued("value")
    return func.replace(elements.c.value, "-", ""), elements


def latest_reports(coverage: Any) -> Any:
    """(recommendation_id, status) of the latest report seen of each recommendation: by period
    end, then by the last change."""
    rank = func.row_number().over(
        partition_by=coverage.c.recommendation_id,
        order_by=(coverage.c.period_end.desc(), coverage.c.updated_at.desc()),
    )
    ranked = select(coverage.c.recommendation_id, coverage.c.status, rank.label("rank")).subquery()
    return select(ranked.c.recommendation_id, ranked.c.status).where(ranked.c.rank == 1).subquery()


def _latest_status(dialect: str, scope: Visibility, reports: ColumnElement[bool]) -> Any:
    latest = latest_reports(_coverage(dialect, scope, reports))
    status = latest.c.status
    return select(status, func.count()).group_by(status).order_by(status)


def _unreported_sample(
    dialect: str, scope: Visibility, reports: ColumnElement[bool], mine: ColumnElement[bool]
) -> Any:
    coverage = _coverage(dialect, scope, reports)
    reported = (
        select(coverage.c.recommendation_id)
        .where(coverage.c.recommendation_id == Recommendation.id)
        .exists()
    )
    return (
        select(
            col(Recommendation.id),
            col(Recommendation.document_symbol),
            col(Recommendation.paragraph),
            col(Recommendation.text),
        )
        .where(mine, ~reported)
        .order_by(col(Recommendation.created_at), col(Recommendation.id))
        .limit(UNREPORTED_SAMPLE)
    )


def _theme_counts(mine: ColumnElement[bool]) -> Any:
    return (
        select(col(Theme.code), col(Theme.name), func.count())
        .join(RecommendationTheme, col(RecommendationTheme.theme_id) == Theme.id)
        .join(Recommendation, col(Recommendation.id) == RecommendationTheme.recommendation_id)
        .where(mine)
        .group_by(col(Theme.id), col(Theme.code), col(Theme.name))
        .order_by(func.count().desc(), col(Theme.name))
    )


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
