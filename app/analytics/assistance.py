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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, String, select, type_coerce
from sqlmodel import Session, col

from app.analytics.cells import Group, answered, grouped
from app.analytics.histories import summaries, weekdays_through
from app.analytics.query import PLACE_DIMENSIONS, Question, place_values
from app.analytics.reader import Reader
from app.assistance import queue
from app.assistance.models import AssistanceRequest, RequestStage
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
TIMED = ("in_triage", "accepted", "matched", "in_delivery", "completed")
RECORDED = (*TIMED, "declined")
SUBMITTED = RequestStage.submitted.value  # the stages whose first entry each fact keeps


@dataclass(slots=True)
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
    themes: list[str] = field(default_factory=list)
    sdg_targets: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    days_to: dict[str, int] = field(default_factory=dict)
    """Working days from submission to its first entry into each stage it reached."""
    past_target: dict[str, bool] = field(default_factory=dict)
    """For each stage with a service target where it stayed: whether a stay outlasted it."""

    @property
    def outcome(self) -> str:
        return OUTCOMES[self.stage]

    def reached(self, stage: str) -> bool:
        return stage == RequestStage.submitted or stage in self.days_to


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
    db: Session,
    reader: Reader,
    question: Question,
    *extra: ColumnElement[bool],
    targets: dict[str, int] | None = None,
    lists: Iterable[str] = (),
    as_of: dt.datetime | None = None,
) -> list[RequestFact]:
    """The submitted requests the reader sees that the question is about, each with how long
    it took to reach each stage and, for `targets`, whether it stayed past them. Of their
    `themes`, `sdg_targets` and `languages`, those in `lists` or asked about are read (each
    is a JSON list to parse)."""
    request = AssistanceRequest
    clauses = [visible(request, reader.who), *_period_clause(question), *extra]
    in_place = question.place.states_clause(col(request.state_code))
    if in_place is not None:
        clauses.append(in_place)
    if question.assistance_type is not None:
        clauses.append(col(request.assistance_type) == question.assistance_type)
    read_lists = sorted(question.lists_needed | set(lists))
    later = [stage for stage in (targets or {}) if stage != RequestStage.submitted]
    history = summaries(db, select(col(request.id)).where(*clauses), RECORDED, later)
    statement = (
        select(
            col(request.id),
            col(request.state_code),
            type_coerce(col(request.stage), String).label("stage"),
            col(request.submitted_at),
            col(request.budget_estimate_usd),
            col(request.co_funding_usd),
            type_coerce(col(request.assistance_type), String).label("assistance_type"),
            weekdays_through(db, col(request.submitted_at)).label("submitted_day"),
            history,
            *(col(getattr(request, name)) for name in read_lists),
        )
        .outerjoin(history, history.c.request_id == request.id)
        .where(*clauses)
    )
    states = {state.code: state for state in db.scalars(select(State))}
    today = queue.weekdays_through((as_of or utcnow()).date())
    result = db.connection().execute(statement)
    at = {name: index for index, name in enumerate(result.keys())}
    read = _Reader(_ThemeCodes(db), reader, states, targets or {}, later, read_lists, today, at)
    facts = [read.fact(row) for row in result.all()]
    return [fact for fact in facts if _about(question, fact)]


def _about(question: Question, fact: RequestFact) -> bool:
    theme = question.theme is None or question.theme in fact.themes
    return theme and question.about_sdg(fact.sdg_targets)


@dataclass
class _Reader:
    """Turns a row of `load_facts` into a fact."""

    codes: "_ThemeCodes"
    reader: Reader
    states: dict[str, State]
    targets: dict[str, int]
    later: list[str]
    lists: list[str]
    today: int
    """`weekdays_through` of the day stays still open are counted to."""
    at: dict[str, int]
    """Where each column is in a row (rows are read as tuples: 20,000 of them, quickly)."""
    _later: list[tuple[str, int, int, int]] | None = None

    def fact(self, row: Any) -> RequestFact:
        at, state_code = self.at, row[self.at["state_code"]]
        fact = RequestFact(
            id=row[at["id"]],
            state=self.states[state_code],
            foreign=self.reader.foreign(state_code),
            stage=row[at["stage"]],
            submitted_at=row[at["submitted_at"]],
            budget=row[at["budget_estimate_usd"]],
            co_funding=row[at["co_funding_usd"]],
            assistance_type=row[at["assistance_type"]],
        )
        for name in self.lists:
            terms = list(row[at[name]])
            setattr(fact, name, self.codes.of(terms) if name == "themes" else terms)
        submitted = row[at["submitted_day"]]
        for stage in RECORDED:
            entered = row[at[f"entered_{stage}"]]
            if entered is not None:
                fact.days_to[stage] = max(0, entered - submitted)
        self._stays(fact, row, submitted)
        return fact

    def _stays(self, fact: RequestFact, row: Any, submitted: int) -> None:
        target = self.targets.get(SUBMITTED)
        if target is not None:
            left = row[self.at["left_submitted"]]
            fact.past_target[SUBMITTED] = (
                self.today if left is None else left
            ) - submitted > target
        for stage, stays, since, closed in self.later_columns:
            if row[stays]:
                open_for = 0 if row[since] is None else self.today - row[since]
                fact.past_target[stage] = max(row[closed] or 0, open_for) > self.targets[stage]

    @property
    def later_columns(self) -> list[tuple[str, int, int, int]]:
        """Per later stage with a target: where its stays, open stay and longest stay are."""
        if self._later is None:
            self._later = [
                (stage, self.at[f"stays_{i}"], self.at[f"open_{i}"], self.at[f"closed_{i}"])
                for i, stage in enumerate(self.later)
            ]
        return self._later


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


def figures(group: Group, facts: Sequence[RequestFact], targets: dict[str, int]) -> Group:
    group.add("", _money(facts), _foreign(facts), whole=True)
    by_outcome: dict[str, list[RequestFact]] = defaultdict(list)
    for fact in facts:
        by_outcome[fact.outcome].append(fact)
    for outcome in OUTCOME_NAMES:
        members = by_outcome[outcome]
        group.add(f"outcomes.{outcome}", _money(members), _foreign(members), "outcomes")
    _rates(group, facts)
    for stage in TIMED:
        reached = [f for f in facts if stage in f.days_to]
        days = [f.days_to[stage] for f in reached]
        group.add(
            f"time_to_stage.{stage}",
            {
                "requests": len(days),
                "median_working_days": float(statistics.median(days)) if days else None,
                "p90_working_days": p90(days) if days else None,
            },
            _foreign(reached),
        )
    for stage in targets:
        _past_target(group, facts, stage)
    return group


def _rates(group: Group, facts: Sequence[RequestFact]) -> None:
    accepted = [f for f in facts if f.reached("accepted")]
    decided = [f for f in facts if f.reached("accepted") or f.reached("declined")]
    matched = [f for f in accepted if f.reached("matched")]
    completed = [f for f in accepted if f.reached("completed")]
    group.add("acceptance_rate", {"": _rate(accepted, decided)}, _foreign(decided))
    group.add("matching_rate", {"": _rate(matched, accepted)}, _foreign(accepted))
    group.add("completion_rate", {"": _rate(completed, accepted)}, _foreign(accepted))


def _past_target(group: Group, facts: Sequence[RequestFact], stage: str) -> None:
    stayed = [f for f in facts if stage in f.past_target]
    past = [f for f in stayed if f.past_target[stage]]
    group.add(
        f"past_target.{stage}",
        {
            "requests": len(stayed),
            "past": len(past),
            "share": len(past) / len(stayed) if stayed else None,
        },
        _foreign(stayed),
    )


def answer(
    db: Session, reader: Reader, question: Question, targets: dict[str, int]
) -> dict[str, Any]:
    """`GET /analytics/assistance`: demand, response and timing, by the question's groups."""
    as_of = utcnow()
    facts = load_facts(db, reader, question, targets=targets, as_of=as_of)
    groups = [
        figures(Group(key), members, targets)
        for key, members in grouped(facts, question.group_by, dimension_values)
    ]
    return answered(reader, question.group_by, groups, as_of=as_of)
