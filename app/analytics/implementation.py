"""Implementation across States: how many recommendations, how many with progress reported and
their latest status, by mechanism, body, cycle, theme, SDG and place. In SQL, over the catalogue
(public) and the reports the reader sees, as the State overview sees them
(`app/progress/overview.py`: one coverage rule for both)."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    distinct,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.analytics.cells import Group, answered
from app.analytics.query import NO_GROUP, PRIORITY_FLAGS, Question
from app.analytics.reader import Reader
from app.lifecycle.visibility import Visibility
from app.progress.models import ImplementationStatus, ProgressReport
from app.progress.overview import coverage_parts, latest_reports
from app.recommendations.models import Recommendation, RecommendationSdg, RecommendationTheme
from app.states.models import State
from app.taxonomies.models import Theme

STATUSES = tuple(status.value for status in ImplementationStatus)
R = Recommendation


def about_theme(theme: str, recommendation_id: Any) -> ColumnElement[bool]:
    """The recommendation carries the theme (by UHRI code)."""
    exists: ColumnElement[bool] = (
        select(col(RecommendationTheme.recommendation_id))
        .join(Theme, col(Theme.id) == RecommendationTheme.theme_id)
        .where(
            col(Theme.code) == theme,
            col(RecommendationTheme.recommendation_id) == recommendation_id,
        )
        .exists()
    )
    return exists


def about_sdg(sdg: str, recommendation_id: Any) -> ColumnElement[bool]:
    """The recommendation is linked to the target, or to the goal or any of its targets."""
    link = RecommendationSdg
    matches = col(link.code) == sdg if "." in sdg else col(link.goal) == int(sdg)
    exists: ColumnElement[bool] = (
        select(col(link.recommendation_id))
        .where(matches, col(link.recommendation_id) == recommendation_id)
        .exists()
    )
    return exists


def catalogue_clauses(question: Question, recommendation: Any = R) -> list[ColumnElement[bool]]:
    """The recommendations a question is about."""
    clauses: list[ColumnElement[bool]] = []
    in_place = question.place.states_clause(col(recommendation.state_code))
    if in_place is not None:
        clauses.append(in_place)
    for name in ("mechanism", "body", "cycle"):
        value = getattr(question, name)
        if value is not None:
            clauses.append(col(getattr(recommendation, name)) == value)
    if question.theme is not None:
        clauses.append(about_theme(question.theme, recommendation.id))
    if question.sdg is not None:
        clauses.append(about_sdg(question.sdg, recommendation.id))
    return clauses


def _coverage(db: Session, reader: Reader, question: Question) -> Any:
    """Every (recommendation, status, period end, update) of the reports the reader sees."""
    reported = col(ProgressReport.state_code)
    if reader.audience is Visibility.state:
        parts = [
            *coverage_parts(db, Visibility.state, reported == reader.own_state),
            *coverage_parts(db, Visibility.public, reported != reader.own_state),
        ]
    else:
        parts = coverage_parts(db, reader.audience)
    coverage = union_all(*parts).subquery()
    period: list[ColumnElement[bool]] = []
    if question.start is not None:
        period.append(coverage.c.period_end >= question.start)
    if question.end is not None:
        period.append(coverage.c.period_end <= question.end)
    if not period:
        return coverage
    return select(coverage).where(*period).subquery()


def _priority_groups() -> Any:
    """(code, group) for every State's priority groups; `none` for a State in none."""
    flags = [col(getattr(State, flag)).is_(True) for flag in PRIORITY_FLAGS.values()]
    parts: list[Any] = [
        select(col(State.code).label("code"), literal(group.value).label("name")).where(flag)
        for group, flag in zip(PRIORITY_FLAGS, flags, strict=True)
    ]
    parts.append(select(col(State.code), literal(NO_GROUP)).where(~or_(false(), *flags)))
    return union_all(*parts).subquery()


Join = Callable[[Any], Any]


def _dimension(name: str) -> tuple[Any, Join | None]:
    """The column a dimension groups by, and the join that brings it (None: on the catalogue)."""
    if name in ("mechanism", "body", "cycle", "position"):
        return getattr(R, name), None
    if name == "state":
        return R.state_code, None
    if name in ("region", "sub_region", "regional_group"):
        return getattr(State, name), None
    if name == "priority_group":
        groups = _priority_groups()
        return groups.c.name, lambda s: s.outerjoin(groups, groups.c.code == R.state_code)
    if name == "theme":
        link, theme = aliased(RecommendationTheme), aliased(Theme)
        return func.coalesce(theme.code, theme.name), lambda s: s.outerjoin(
            link, link.recommendation_id == R.id
        ).outerjoin(theme, theme.id == link.theme_id)
    link_sdg = aliased(RecommendationSdg)
    joined: Join = lambda s: s.outerjoin(link_sdg, link_sdg.recommendation_id == R.id)  # noqa: E731
    return (link_sdg.goal if name == "sdg" else link_sdg.code), joined


def _counted(condition: ColumnElement[bool], foreign: ColumnElement[bool]) -> list[Any]:
    """The distinct recommendations meeting `condition`, and those of them of other States."""
    return [
        func.count(distinct(case((condition, R.id)))),
        func.count(distinct(case((and_(condition, foreign), R.id)))),
    ]


def answer(db: Session, reader: Reader, question: Question) -> dict[str, Any]:
    """`GET /analytics/implementation`."""
    latest = latest_reports(_coverage(db, reader, question))
    foreign = col(R.state_code) != reader.own_state if reader.own_state else true()
    dimensions = [_dimension(name) for name in question.group_by]
    keys = [column for column, _ in dimensions]
    reported = latest.c.recommendation_id.is_not(None)
    measures = [
        func.count(distinct(col(R.id))),
        *_counted(reported, foreign),
        *[value for status in STATUSES for value in _counted(latest.c.status == status, foreign)],
    ]
    statement: Any = (
        select(*keys, *measures)
        .select_from(R)
        .join(State, col(State.code) == R.state_code)
        .outerjoin(latest, latest.c.recommendation_id == R.id)
    )
    for _, join in dimensions:
        if join is not None:
            statement = join(statement)
    statement = statement.where(*catalogue_clauses(question))
    if keys:
        statement = statement.group_by(*keys)
    groups = [_group(question, row, len(keys)) for row in db.execute(statement).all()]
    return answered(reader, question.group_by, groups)


def _group(question: Question, row: Any, width: int) -> Group:
    key = {
        name: None if v is None else str(v) for name, v in zip(question.group_by, row, strict=False)
    }
    total, reported, reported_foreign, *by_status = row[width:]
    group = Group(key)
    group.add("", {"recommendations": total}, 0, whole=True)
    group.add(
        "",
        {
            "with_progress": reported,
            "share_with_progress": reported / total if total else None,
            "latest_status.no_report": total - reported,
        },
        reported_foreign,
    )
    for status, count, count_foreign in zip(STATUSES, by_status[::2], by_status[1::2], strict=True):
        group.add(f"latest_status.{status}", {"": count}, count_foreign, family="latest_status")
    return group
