"""What stops implementation, and where: the shortfalls the reader sees, by barrier, severity,
theme and place."""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session, col

from app.analytics.cells import Group, answered, grouped
from app.analytics.implementation import catalogue_clauses
from app.analytics.query import PLACE_DIMENSIONS, Place, Question, place_values
from app.analytics.reader import Reader
from app.lifecycle.visibility import visible
from app.recommendations.models import Recommendation, RecommendationTheme
from app.shortfalls.models import Severity, Shortfall, ShortfallRecommendation
from app.states.models import State
from app.taxonomies.models import Theme


@dataclass
class ShortfallFact:
    id: uuid.UUID
    state: State
    foreign: bool
    barrier_type: str
    severity: str
    resolved: bool
    recommendations: set[uuid.UUID] = field(default_factory=set)
    themes: set[str] = field(default_factory=set)


def _clauses(reader: Reader, question: Question) -> list[ColumnElement[bool]]:
    clauses = [visible(Shortfall, reader.who)]
    in_place = question.place.states_clause(col(Shortfall.state_code))
    if in_place is not None:
        clauses.append(in_place)
    # When it was declared: submitted, or for a State's own draft, written.
    declared = func.coalesce(col(Shortfall.submitted_at), col(Shortfall.created_at))
    if question.start is not None:
        clauses.append(declared >= dt.datetime.combine(question.start, dt.time(), dt.UTC))
    if question.end is not None:
        after_end = question.end + dt.timedelta(days=1)
        clauses.append(declared < dt.datetime.combine(after_end, dt.time(), dt.UTC))
    # About recommendations of a mechanism, theme or SDG: the place is the shortfall's own.
    about = catalogue_clauses(replace(question, place=Place()))
    if about:
        concerned = (
            select(col(ShortfallRecommendation.shortfall_id))
            .join(
                Recommendation, col(Recommendation.id) == ShortfallRecommendation.recommendation_id
            )
            .where(*about)
        )
        clauses.append(col(Shortfall.id).in_(concerned))
    return clauses


def load_facts(db: Session, reader: Reader, question: Question) -> list[ShortfallFact]:
    states = {state.code: state for state in db.scalars(select(State))}
    clauses = _clauses(reader, question)
    rows = db.execute(
        select(
            col(Shortfall.id),
            col(Shortfall.state_code),
            col(Shortfall.barrier_type),
            col(Shortfall.severity),
            col(Shortfall.resolved_on),
        ).where(*clauses)
    ).all()
    facts = {
        sid: ShortfallFact(
            sid,
            states[code],
            reader.foreign(code),
            str(barrier),
            str(severity),
            resolved is not None,
        )
        for sid, code, barrier, severity, resolved in rows
    }
    chosen = select(col(Shortfall.id)).where(*clauses)
    link = ShortfallRecommendation
    for sid, rid, theme in db.execute(
        select(
            col(link.shortfall_id),
            col(link.recommendation_id),
            func.coalesce(Theme.code, Theme.name),
        )
        .outerjoin(
            RecommendationTheme,
            col(RecommendationTheme.recommendation_id) == link.recommendation_id,
        )
        .outerjoin(Theme, col(Theme.id) == RecommendationTheme.theme_id)
        .where(col(link.shortfall_id).in_(chosen))
    ).all():
        fact = facts.get(sid)
        if fact is not None:
            fact.recommendations.add(rid)
            if theme is not None:
                fact.themes.add(theme)
    return list(facts.values())


def dimension_values(fact: ShortfallFact, dimension: str) -> list[str | None]:
    if dimension in PLACE_DIMENSIONS:
        return place_values(fact.state, dimension)
    if dimension == "theme":
        themes: list[str | None] = [*sorted(fact.themes)]
        return themes or [None]
    if dimension == "resolved":
        return ["resolved" if fact.resolved else "open"]
    return [getattr(fact, dimension)]


def _foreign(facts: Sequence[ShortfallFact]) -> int:
    return sum(fact.foreign for fact in facts)


def figures(group: Group, facts: Sequence[ShortfallFact]) -> Group:
    concerned = set().union(*(fact.recommendations for fact in facts)) if facts else set()
    group.add(
        "",
        {"shortfalls": len(facts), "recommendations": len(concerned)},
        _foreign(facts),
        whole=True,
    )
    open_, resolved = [f for f in facts if not f.resolved], [f for f in facts if f.resolved]
    group.add("", {"open": len(open_)}, _foreign(open_), "state")
    group.add("", {"resolved": len(resolved)}, _foreign(resolved), "state")
    by_severity: dict[str, list[ShortfallFact]] = defaultdict(list)
    for fact in facts:
        by_severity[fact.severity].append(fact)
    for severity in Severity:
        members = by_severity[severity.value]
        group.add(
            f"by_severity.{severity.value}", {"": len(members)}, _foreign(members), "severity"
        )
    return group


def answer(db: Session, reader: Reader, question: Question) -> dict[str, Any]:
    """`GET /analytics/implementation/shortfalls`."""
    facts = load_facts(db, reader, question)
    groups = [
        figures(Group(key), members)
        for key, members in grouped(facts, question.group_by, dimension_values)
    ]
    return answered(reader, question.group_by, groups)
