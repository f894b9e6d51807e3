"""Candidates for one request, the optimal proposal for all, assignments, joint activities."""

import datetime as dt
import uuid
from collections.abc import Sequence
from functools import partial
from itertools import groupby
from typing import TYPE_CHECKING, Any, cast

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.assistance import service as assistance
from app.assistance.models import AssistanceRequest, RequestStage
from app.assistance.schemas import OfficerRequestView
from app.core.errors import Conflict, NotFound, UnprocessableContent
from app.core.models import utcnow
from app.core.pagination import paginate
from app.core.principal import Principal
from app.core.settings import Settings, get_settings
from app.events.types import EventType, Visibility
from app.expertise.models import OCCUPYING, Assignment, AssignmentStatus, Provider
from app.lifecycle.announce import announce
from app.matching import explain, inputs, scoring
from app.matching.inputs import active_offers as active_offers  # app.analytics.gap reads it here
from app.matching.lifecycle import (
    ASSIGNMENT,
    assignment_read,
    overdue_clause,
    response_deadline,
)
from app.matching.models import MatchingRun
from app.matching.schemas import (
    AssignmentRead,
    CandidateRead,
    Explanation,
    JointActivity,
    MatchingRunRead,
    MatchingRunSummary,
    Proposal,
    RunStatus,
    UnmatchedReasons,
)

if TYPE_CHECKING:
    from app.matching.roster import Roster


def candidates(
    db: Session, request: AssistanceRequest, settings: Settings, lang: str = "en"
) -> list[CandidateRead]:
    """Who can serve, best first, each factor explained in `lang` (`en` or `fr`)."""
    from app.matching.roster import rank  # numpy, on first use

    need = inputs.needs_of(db, [request])[str(request.id)]
    offers = active_offers(db, [need.assistance_type])
    by_id = {o.id: o for o in offers}
    return [
        CandidateRead(
            provider_id=uuid.UUID(c.provider_id),
            provider_name=c.provider_name,
            score=c.score,
            reasons=c.reasons,
            explanation=[
                Explanation(**e)
                for e in explain.explanation(need, by_id[c.provider_id], c.reasons, lang)
            ],
        )
        for c in rank(need, offers, settings.matching_min_score)
    ]


def _open_requests(db: Session, request_ids: Sequence[uuid.UUID] | None) -> list[AssistanceRequest]:
    """Accepted requests with no offer pending or accepted (or the given ones among them)."""
    busy = select(Assignment.request_id).where(col(Assignment.status).in_(OCCUPYING))
    statement = select(AssistanceRequest).where(
        AssistanceRequest.stage == RequestStage.accepted, col(AssistanceRequest.id).not_in(busy)
    )
    if request_ids is not None:
        statement = statement.where(col(AssistanceRequest.id).in_(request_ids))
    return list(db.exec(statement.order_by(col(AssistanceRequest.id))).all())


def create_run(db: Session, who: Principal, request_ids: Sequence[uuid.UUID] | None) -> MatchingRun:
    """A `queued` run over the given requests (None: every accepted, unassigned one), to be
    computed by a worker (app/matching/jobs.py)."""
    run = MatchingRun(
        status="queued",
        created_by_id=who.id,
        requested_ids=None if request_ids is None else [str(i) for i in request_ids],
    )
    db.add(run)
    db.flush()
    return run


def start_run(run: MatchingRun) -> None:
    run.status, run.error = "running", None
    run.started_at, run.finished_at = utcnow(), None


def compute_run(db: Session, who: Principal, settings: Settings, run: MatchingRun) -> MatchingRun:
    """Fill the run with the assignment maximising the sum of `priority x candidate score`
    within capacities, and announce it. A proposal only: nothing is offered until an officer
    creates the assignments. `who` must see the requests as OHCHR does (their priority)."""
    requested = None if run.requested_ids is None else [uuid.UUID(i) for i in run.requested_ids]
    requests = _open_requests(db, requested)
    now = utcnow()
    views = assistance.view(db, who, requests, now=now, settings=settings)
    priorities = {str(v.id): v.priority.score for v in views if isinstance(v, OfficerRequestView)}
    needs = inputs.needs_of(db, requests)
    # numpy and SciPy, imported by the first run (a worker's), not by every web worker
    from app.matching.proposal import propose
    from app.matching.roster import Roster

    # The providers offering a requested type: the proposal and the reasons are the same as
    # over the whole roster, at the cost of the requests asked for.
    roster = Roster(active_offers(db, {n.assistance_type for n in needs.values()}))
    proposal = propose(needs, priorities, roster, settings.matching_min_score)
    offers = {o.id: o for o in roster.offers}
    run.proposals = [
        {
            **p,
            "provider_name": offers[p["provider_id"]].name,
            "request_title": needs[p["request_id"]].title,
            "state_code": needs[p["request_id"]].state_code,
            "explanation": _explained(needs[p["request_id"]], offers[p["provider_id"]]),
        }
        for p in proposal.proposals
    ]
    run.total_score = proposal.total
    # Each unmatched request with its reasons (runs before these held bare ids).
    run.unmatched = proposal.unmatched_reasons
    run.request_ids = sorted(needs)
    run.status, run.error, run.finished_at = "succeeded", None, utcnow()
    db.add(run)
    _announce(db, who, run, EventType.matching_run_succeeded)
    return run


def fail_run(db: Session, who: Principal | None, run: MatchingRun, error: str) -> MatchingRun:
    """The run could not be computed: `failed`, with why, and announced."""
    run.status, run.error, run.finished_at = "failed", error, utcnow()
    db.add(run)
    _announce(db, who, run, EventType.matching_run_failed)
    return run


def _announce(db: Session, who: Principal | None, run: MatchingRun, event: EventType) -> None:
    """OHCHR's alone (no State named): the one record of how the run ended."""
    db.flush()
    announce(
        db,
        who,
        event,
        resource_id=run.id,
        state_code=None,
        version=None,
        visibility=Visibility.ohchr,
        shown=run_summary(run),
    )


def _explained(need: scoring.RequestNeeds, offer: scoring.ProviderOffer) -> dict[str, Any]:
    """Every factor of a proposed pairing in words, kept with the run in both languages."""
    candidate = scoring.score(need, offer)
    assert candidate is not None  # proposals are drawn from scored pairings
    return {
        lang: explain.explanation(need, offer, candidate.reasons, lang)
        for lang in explain.LANGUAGES
    }


def _unmatched(run: MatchingRun) -> list[UnmatchedReasons]:
    """`unmatched` holds `{"request_id", "reasons"}` (older runs: bare ids, no reasons)."""
    return [
        UnmatchedReasons(request_id=uuid.UUID(u), reasons=[])
        if isinstance(u, str)
        else UnmatchedReasons(**u)
        for u in run.unmatched
    ]


def run_read(run: MatchingRun, lang: str = "en") -> MatchingRunRead:
    """The run, each proposal's factors in words in `lang` (runs before these had none)."""
    unmatched = _unmatched(run)
    return MatchingRunRead(
        id=run.id,
        status=_status(run),
        created_at=run.created_at,
        created_by_id=run.created_by_id,
        started_at=run.started_at,
        finished_at=run.finished_at,
        error=run.error,
        total_score=run.total_score,
        proposals=[
            Proposal(
                **{k: v for k, v in p.items() if k != "explanation"},
                explanation=p.get("explanation", {}).get(lang, []),
            )
            for p in run.proposals
        ],
        unmatched=[u.request_id for u in unmatched],
        unmatched_reasons=unmatched,
    )


def _status(run: MatchingRun) -> RunStatus:
    return cast(RunStatus, run.status)


def run_summary(run: MatchingRun) -> MatchingRunSummary:
    return MatchingRunSummary(
        id=run.id,
        status=_status(run),
        created_at=run.created_at,
        created_by_id=run.created_by_id,
        started_at=run.started_at,
        finished_at=run.finished_at,
        error=run.error,
        total_score=run.total_score,
        proposal_count=len(run.proposals),
        unmatched_count=len(run.unmatched),
    )


def list_runs(
    db: Session, *, limit: int, cursor: str | None, settings: Settings
) -> tuple[list[MatchingRunSummary], str | None]:
    """Every matching run, newest first."""
    rows, next_cursor = paginate(
        db,
        select(MatchingRun),
        [MatchingRun.created_at, MatchingRun.id],
        limit=limit,
        cursor=cursor,
        settings=settings,
        list_name="list_matching_runs",
        descending=True,
    )
    return [run_summary(r) for r in rows], next_cursor


def get_run(db: Session, run_id: uuid.UUID) -> MatchingRun:
    run = db.get(MatchingRun, run_id)
    if run is None:
        raise NotFound(f"no matching run {run_id}")
    return run


def offer(
    db: Session,
    who: Principal,
    request_id: uuid.UUID,
    provider_id: uuid.UUID,
    run_id: uuid.UUID | None = None,
    settings: Settings | None = None,
) -> Assignment:
    """Offer an accepted request to a provider who can serve it and has capacity left, to be
    answered within `OFFER_RESPONSE_DAYS`."""
    # Locks, request first then provider, so that racing offers queue and see each other.
    visible = assistance.get_request(db, who, request_id)
    request = _locked(db, AssistanceRequest, visible.id)
    if request.stage is not RequestStage.accepted:
        raise Conflict(f"only accepted requests are offered; this one is {request.stage}")
    pending = db.exec(
        select(Assignment.id).where(
            Assignment.request_id == request.id, col(Assignment.status).in_(OCCUPYING)
        )
    ).first()
    if pending is not None:
        raise Conflict("this request already has an offer pending or accepted")
    provider = _locked(db, Provider, provider_id)
    if provider is None or not provider.is_active:
        raise UnprocessableContent(f"no active provider {provider_id}")
    (offer_,) = inputs.offers(db, col(Provider.id) == provider.id)
    if offer_.remaining <= 0:
        raise Conflict(f"{provider.name} has no capacity left")
    need = inputs.needs_of(db, [request])[str(request.id)]
    broken = scoring.violated_constraint(need, offer_)
    if broken is not None:
        raise Conflict(f"{provider.name} cannot serve this request: {broken}")
    candidate = scoring.score(need, offer_)  # no minimum: the officer chose this provider
    assignment = Assignment(
        request_id=request.id,
        provider_id=provider.id,
        offered_by_id=who.id,
        score=candidate.score if candidate else None,
        matching_run_id=run_id,
        respond_by=response_deadline(utcnow(), settings or get_settings()),
    )
    db.add(assignment)
    ASSIGNMENT.announce(db, who, assignment, EventType.assignment_offered)
    return assignment


def _locked(db: Session, model: Any, key: uuid.UUID) -> Any:
    """The row, re-read under `SELECT ... FOR UPDATE` (SQLite's write lock already serialises)."""
    statement = (
        select(model)
        .where(model.id == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return db.exec(statement).first()


def visible_assignments(who: Principal) -> SelectOfScalar[Assignment]:
    statement = select(Assignment)
    if who.is_ohchr:
        return statement
    mine = select(Provider.id).where(Provider.user_id == who.id)
    return statement.where(col(Assignment.provider_id).in_(mine))


def list_assignments(
    db: Session,
    who: Principal,
    *,
    status: AssignmentStatus | None,
    request_id: uuid.UUID | None,
    overdue: bool | None = None,
    limit: int,
    cursor: str | None,
    settings: Settings,
) -> tuple[list[AssignmentRead], str | None]:
    statement = visible_assignments(who)
    if status is not None:
        statement = statement.where(Assignment.status == status)
    if request_id is not None:
        statement = statement.where(Assignment.request_id == request_id)
    if overdue is not None:
        statement = statement.where(overdue_clause(utcnow(), overdue))
    keys = [Assignment.created_at, Assignment.id]
    rows, next_cursor = paginate(
        db,
        statement,
        keys,
        limit=limit,
        cursor=cursor,
        settings=settings,
        list_name="list_assignments",
    )
    return [assignment_read(a) for a in rows], next_cursor


def get_assignment(db: Session, who: Principal, assignment_id: uuid.UUID) -> Assignment:
    assignment = db.exec(visible_assignments(who).where(Assignment.id == assignment_id)).first()
    if assignment is None:
        raise NotFound(f"no assignment {assignment_id}")
    return assignment


def joint_activities(db: Session) -> list[JointActivity]:
    """Accepted, unmatched requests from different States of one sub-region (else region) that
    ask for the same kind of help in overlapping windows with a shared language."""
    requests = _open_requests(db, None)
    needs = inputs.needs_of(db, requests)
    from app.matching.roster import Roster  # numpy, on first use

    roster = Roster(active_offers(db, {n.assistance_type for n in needs.values()}))
    proposals: list[JointActivity] = []
    grouped: set[str] = set()
    for level in ("sub_region", "region"):
        key = partial(_area_key, level)
        pool = sorted((n for n in needs.values() if n.id not in grouped), key=key)
        for (assistance_type, area), members in groupby(pool, key=key):
            for group in _overlapping_groups(list(members)):
                grouped.update(n.id for n in group)
                proposals.append(_joint(group, area, assistance_type, roster))
    return proposals


def _area_key(level: str, need: scoring.RequestNeeds) -> tuple[str, str]:
    return (need.assistance_type, getattr(need, level))


def _overlapping_groups(members: list[scoring.RequestNeeds]) -> list[list[scoring.RequestNeeds]]:
    """First fit by window start: each request joins the first group with which it still shares
    a window and a language, else opens one. Groups spanning two States or more are kept."""
    groups: list[list[scoring.RequestNeeds]] = []
    for need in sorted(members, key=lambda n: (n.window_start, n.id)):
        for group in groups:
            if _common_window([*group, need]) and _common_languages([*group, need]):
                group.append(need)
                break
        else:
            groups.append([need])
    return [g for g in groups if len({n.state_code for n in g}) >= 2]


def _common_window(group: list[scoring.RequestNeeds]) -> tuple[dt.date, dt.date] | None:
    start, end = max(n.window_start for n in group), min(n.window_end for n in group)
    return (start, end) if start <= end else None


def _common_languages(group: list[scoring.RequestNeeds]) -> frozenset[str]:
    languages = group[0].languages
    for need in group[1:]:
        languages &= need.languages
    return languages


def _joint(
    group: list[scoring.RequestNeeds],
    area: str,
    assistance_type: str,
    roster: "Roster",
) -> JointActivity:
    window = _common_window(group)
    assert window is not None
    able = sorted(roster.able_for_all(group, assistance_type), key=uuid.UUID)
    names = {o.id: o.name for o in roster.offers}
    members = sorted(group, key=lambda n: uuid.UUID(n.id))
    return JointActivity(
        request_ids=[uuid.UUID(n.id) for n in members],
        request_titles=[n.title for n in members],
        provider_names=[names[p] for p in able],
        region=area,
        assistance_type=assistance_type,
        window_start=window[0],
        window_end=window[1],
        languages=sorted(_common_languages(group)),
        provider_ids=[uuid.UUID(p) for p in able],
        state_codes=sorted({n.state_code for n in group}),
    )
