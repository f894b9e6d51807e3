"""Demand for technical assistance and OHCHR's response: what States asked for, what became of
it, how fast, and whether priority States came first (the report, paras. 46-47).

One query reads the requests the reader may see (submitted ones: a draft is not a request yet)
and one their moves; the figures are then computed in Python, where working days, medians and
service-target stays read as their definitions do (README, "Analytics").
"""

import datetime as dt
import math
import statistics
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlmodel import Session, col

from app.analytics.cells import Group, answered, grouped
from app.analytics.query import PLACE_DIMENSIONS, Question, place_values
from app.analytics.reader import Reader
from app.assistance.models import AssistanceRequest, RequestStage, RequestTransition
from app.assistance.queue import working_days_between
from app.core.models import utcnow
from app.lifecycle.visibility import visible
from app.states.models import State
from app.taxonomies.service import theme_codes

# Where a request stands, in the words of the report: its stage, with the triage loop as one.
OUTCOMES: dict[str, str] = {
    RequestStage.submitted: "waiting",
    RequestStage.in_triage: "in_triage",
    RequestStage.info_requested: "in_triage",
    RequestStage.accepted: "accepted",
    RequestStage.matched: "matched",
    RequestStage.in_delivery: "in_delivery",
    RequestStage.completed: "completed",
    RequestStage.declined: "declined",
    RequestStage.withdrawn: "withdrawn",
}
OUTCOME_NAMES = tuple(dict.fromkeys(OUTCOMES.values()))
TIMED_STAGES = ("in_triage", "accepted", "matched", "in_delivery", "completed")


@dataclass
class RequestFact:
    """One submitted request as analytics reads it."""

    id: uuid.UUID
    state: State
    foreign: bool
    stage: str
    submitted_at: dt.datetime
    budget: float | None
    co_funding: float | None
    assistance_type: str
    themes: list[str]
    sdg_targets: list[str]
    languages: list[str]
    moves: list[tuple[str, str, dt.datetime]] = field(default_factory=list)
    """(from, to, at), oldest first."""
    entered: dict[str, dt.datetime] = field(default_factory=dict)
    """When it first entered each stage it reached."""

    def moved(self, source: str, target: str, at: dt.datetime) -> None:
        self.moves.append((source, target, at))
        self.entered.setdefault(target, at)

    @property
    def outcome(self) -> str:
        return OUTCOMES[self.stage]

    def first_entry(self, stage: str) -> dt.datetime | None:
        return self.entered.get(stage)

    def reached(self, stage: str) -> bool:
        return stage == RequestStage.submitted or stage in self.entered

    def stays(self, stage: str, as_of: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
        """Each continuous stay at `stage`: from a move into it to the next move out of it, or
        to `as_of` while it is still there. A stay as submitted starts at submission."""
        stays: list[tuple[dt.datetime, dt.datetime]] = []
        start = self.submitted_at if stage == RequestStage.submitted else None
        for source, target, at in self.moves:
            if target == stage and start is None:
                start = at
            elif source == stage and target != stage and start is not None:
                stays.append((start, at))
                start = None
        if start is not None:
            stays.append((start, as_of))
        return stays


def _period_clause(question: Question) -> list[ColumnElement[bool]]:
    submitted = col(AssistanceRequest.submitted_at)
    clauses: list[ColumnElement[bool]] = [submitted.is_not(None)]
    if question.start is not None:
        clauses.append(submitted >= dt.datetime.combine(question.start, dt.time(), dt.UTC))
    if question.end is not None:
        after_end = question.end + dt.timedelta(days=1)
        clauses.append(submitted < dt.datetime.combine(after_end, dt.time(), dt.UTC))
    return clauses


def load_facts(
    db: Session, reader: Reader, question: Question, *extra: ColumnElement[bool]
) -> list[RequestFact]:
    """The submitted requests the reader sees that the question is about, with their moves."""
    states = {state.code: state for state in db.scalars(select(State))}
    request = AssistanceRequest
    clauses = [visible(request, reader.who), *_period_clause(question), *extra]
    in_place = question.place.states_clause(col(request.state_code))
    if in_place is not None:
        clauses.append(in_place)
    if question.assistance_type is not None:
        clauses.append(col(request.assistance_type) == question.assistance_type)
    rows = db.execute(
        select(
            col(request.id),
            col(request.state_code),
            col(request.stage),
            col(request.submitted_at),
            col(request.budget_estimate_usd),
            col(request.co_funding_usd),
            col(request.assistance_type),
            col(request.themes),
            col(request.sdg_targets),
            col(request.languages),
        ).where(*clauses)
    ).all()
    codes = _ThemeCodes(db)
    facts = {
        row[0]: RequestFact(
            id=row[0],
            state=states[row[1]],
            foreign=reader.foreign(row[1]),
            stage=str(row[2]),
            submitted_at=row[3],
            budget=row[4],
            co_funding=row[5],
            assistance_type=str(row[6]),
            themes=codes.of(row[7]),
            sdg_targets=list(row[8]),
            languages=list(row[9]),
        )
        for row in rows
        if question.about_sdg(row[8])
    }
    if question.theme is not None:
        facts = {key: fact for key, fact in facts.items() if question.theme in fact.themes}
    _attach_moves(db, facts, clauses)
    return list(facts.values())


class _ThemeCodes:
    """Themes as UHRI codes, however a request names them (`theme_codes`), each term once."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self.known: dict[str, set[str]] = {}

    def of(self, terms: list[str]) -> list[str]:
        codes: set[str] = set()
        for term in terms:
            if term not in self.known:
                self.known[term] = theme_codes(self.db, [term])
            codes |= self.known[term]
        return sorted(codes)


def _attach_moves(
    db: Session, facts: dict[uuid.UUID, RequestFact], clauses: list[ColumnElement[bool]]
) -> None:
    if not facts:
        return
    moves = RequestTransition
    chosen = select(col(AssistanceRequest.id)).where(*clauses)
    rows = db.execute(
        select(col(moves.request_id), col(moves.from_stage), col(moves.to_stage), col(moves.at))
        .where(col(moves.request_id).in_(chosen))
        .order_by(col(moves.request_id), col(moves.at), col(moves.id))
    ).all()
    for request_id, source, target, at in rows:
        fact = facts.get(request_id)
        if fact is not None:
            fact.moved(source, target, at)


def dimension_values(fact: RequestFact, dimension: str) -> list[str | None]:
    if dimension in PLACE_DIMENSIONS or dimension == "priority":
        return place_values(fact.state, dimension)
    if dimension == "theme":
        return list(fact.themes) or [None]
    if dimension == "sdg":
        return list(dict.fromkeys(t.split(".")[0] for t in fact.sdg_targets)) or [None]
    if dimension == "language":
        return list(fact.languages) or [None]
    if dimension == "quarter":
        return [_quarter(fact.submitted_at)]
    if dimension == "year":
        return [str(fact.submitted_at.year)]
    return [fact.assistance_type]


def _quarter(moment: dt.datetime) -> str:
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


def _foreign(facts: Sequence[RequestFact]) -> int:
    return sum(fact.foreign for fact in facts)


def _money(facts: Sequence[RequestFact]) -> dict[str, Any]:
    return {
        "requests": len(facts),
        "budget_estimate_usd": math.fsum(f.budget for f in facts if f.budget is not None),
        "co_funding_usd": math.fsum(f.co_funding for f in facts if f.co_funding is not None),
    }


def p90(values: Sequence[float]) -> float:
    """The 90th percentile, interpolated linearly between the closest ranks."""
    ordered = sorted(values)
    position = 0.9 * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _rate(part: Sequence[RequestFact], whole: Sequence[RequestFact]) -> float | None:
    return len(part) / len(whole) if whole else None


def figures(
    group: Group, facts: Sequence[RequestFact], targets: dict[str, int], as_of: dt.datetime
) -> Group:
    group.add("", _money(facts), _foreign(facts), whole=True)
    by_outcome: dict[str, list[RequestFact]] = defaultdict(list)
    for fact in facts:
        by_outcome[fact.outcome].append(fact)
    for outcome in OUTCOME_NAMES:
        members = by_outcome[outcome]
        group.add(f"outcomes.{outcome}", _money(members), _foreign(members), "outcomes")
    _rates(group, facts)
    for stage in TIMED_STAGES:
        days = [
            working_days_between(f.submitted_at.date(), entered.date())
            for f in facts
            if (entered := f.first_entry(stage)) is not None
        ]
        reached = [f for f in facts if f.reached(stage)]
        group.add(
            f"time_to_stage.{stage}",
            {
                "requests": len(days),
                "median_working_days": float(statistics.median(days)) if days else None,
                "p90_working_days": p90(days) if days else None,
            },
            _foreign(reached),
        )
    for stage, target in targets.items():
        _past_target(group, facts, stage, target, as_of)
    return group


def _rates(group: Group, facts: Sequence[RequestFact]) -> None:
    accepted = [f for f in facts if f.reached("accepted")]
    decided = [f for f in facts if f.reached("accepted") or f.reached("declined")]
    matched = [f for f in accepted if f.reached("matched")]
    completed = [f for f in accepted if f.reached("completed")]
    group.add("acceptance_rate", {"": _rate(accepted, decided)}, _foreign(decided))
    group.add("matching_rate", {"": _rate(matched, accepted)}, _foreign(accepted))
    group.add("completion_rate", {"": _rate(completed, accepted)}, _foreign(accepted))


def _past_target(
    group: Group, facts: Sequence[RequestFact], stage: str, target: int, as_of: dt.datetime
) -> None:
    stayed = [(f, f.stays(stage, as_of)) for f in facts]
    entered = [(f, stays) for f, stays in stayed if stays]
    past = [
        f
        for f, stays in entered
        if any(working_days_between(s.date(), e.date()) > target for s, e in stays)
    ]
    share = len(past) / len(entered) if entered else None
    group.add(
        f"past_target.{stage}",
        {"requests": len(entered), "past": len(past), "share": share},
        _foreign([f for f, _ in entered]),
    )


def answer(
    db: Session, reader: Reader, question: Question, targets: dict[str, int]
) -> dict[str, Any]:
    """`GET /analytics/assistance`: demand, response and timing, by the question's groups."""
    as_of = utcnow()
    facts = load_facts(db, reader, question)
    groups = [
        figures(Group(key), members, targets, as_of)
        for key, members in grouped(facts, question.group_by, dimension_values)
    ]
    return answered(reader, question.group_by, groups, as_of=as_of)
