"""What an officer reads on a request's page: the request as OHCHR sees it, the State's card,
the recommendations it is about with the State's latest progress and shortfalls on each, the
thread (internal notes included), the history of moves, and the verbs open now to this officer.
Everything is read through the services' own scoped queries."""

import uuid
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from app.assistance import service as assistance
from app.assistance.lifecycle import NEEDS_MESSAGE, NEEDS_REASON
from app.assistance.models import AssistanceRequest
from app.assistance.schemas import MessageRead, OfficerRequestView, TransitionRead
from app.core.principal import Principal
from app.core.settings import Settings
from app.lifecycle.visibility import visible
from app.progress.models import ProgressReport, ProgressReportRecommendation
from app.recommendations.models import Recommendation
from app.shortfalls.models import Shortfall, ShortfallRecommendation
from app.states.models import State

THREAD_LIMIT = 200


@dataclass(frozen=True)
class Action:
    verb: str
    needs_message: bool
    needs_reason: bool


@dataclass
class Concern:
    """One recommendation the request is about, and what the State has said on it."""

    recommendation: Recommendation
    latest_report: ProgressReport | None = None
    shortfalls: list[Shortfall] = field(default_factory=list)


@dataclass
class CaseFile:
    request: OfficerRequestView
    state: State
    concerns: list[Concern]
    other_shortfalls: list[Shortfall]
    thread: list[MessageRead]
    history: list[TransitionRead]
    actions: list[Action]


def case_file(
    db: Session, who: Principal, settings: Settings, request_id: uuid.UUID
) -> tuple[AssistanceRequest, CaseFile]:
    request = assistance.get_request(db, who, request_id, as_party=True)
    (shown,) = assistance.view(db, who, [request], settings=settings)
    assert isinstance(shown, OfficerRequestView)  # the console is OHCHR's alone
    state = db.get(State, request.state_code)
    assert state is not None
    concerns = _concerns(db, who, request.state_code, shown.recommendation_ids)
    concerned = {s.id for c in concerns for s in c.shortfalls}
    thread, _ = assistance.list_messages(
        db, who, request, limit=THREAD_LIMIT, cursor=None, settings=settings
    )
    return request, CaseFile(
        request=shown,
        state=state,
        concerns=concerns,
        other_shortfalls=[
            s for s in _shortfalls(db, who, shown.shortfall_ids) if s.id not in concerned
        ],
        thread=thread,
        history=assistance.transitions(db, request),
        actions=actions_open(request, who),
    )


def actions_open(request: AssistanceRequest, who: Principal) -> list[Action]:
    """The verbs the lifecycle table opens to this officer now, each with what it needs."""
    return [
        Action(verb=verb, needs_message=verb in NEEDS_MESSAGE, needs_reason=verb in NEEDS_REASON)
        for verb in assistance.ASSISTANCE_REQUEST.open_verbs(request, who)
    ]


def _concerns(db: Session, who: Principal, state_code: str, ids: list[uuid.UUID]) -> list[Concern]:
    if not ids:
        return []
    recommendations = db.exec(select(Recommendation).where(col(Recommendation.id).in_(ids))).all()
    concerns = {r.id: Concern(recommendation=r) for r in recommendations}
    reports = db.exec(
        select(ProgressReport, ProgressReportRecommendation.recommendation_id)
        .join(
            ProgressReportRecommendation,
            col(ProgressReportRecommendation.report_id) == ProgressReport.id,
        )
        .where(
            visible(ProgressReport, who),
            ProgressReport.state_code == state_code,
            col(ProgressReportRecommendation.recommendation_id).in_(ids),
        )
        .order_by(col(ProgressReport.period_end).desc(), col(ProgressReport.updated_at).desc())
    ).all()
    for report, recommendation_id in reports:
        concern = concerns[recommendation_id]
        concern.latest_report = concern.latest_report or report
    shortfalls = db.exec(
        select(Shortfall, ShortfallRecommendation.recommendation_id)
        .join(ShortfallRecommendation, col(ShortfallRecommendation.shortfall_id) == Shortfall.id)
        .where(
            visible(Shortfall, who),
            Shortfall.state_code == state_code,
            col(ShortfallRecommendation.recommendation_id).in_(ids),
        )
        .order_by(col(Shortfall.created_at))
    ).all()
    for shortfall, recommendation_id in shortfalls:
        concerns[recommendation_id].shortfalls.append(shortfall)
    return [concerns[i] for i in ids if i in concerns]


def _shortfalls(db: Session, who: Principal, ids: list[uuid.UUID]) -> list[Shortfall]:
    if not ids:
        return []
    return list(
        db.exec(
            select(Shortfall)
            .where(visible(Shortfall, who), col(Shortfall.id).in_(ids))
            .order_by(col(Shortfall.created_at))
        ).all()
    )
