"""Matching at the console: a request's candidates and the offer an officer makes, and
matching runs (start one, watch it, review its proposals, make the offers). Offers go through
`app.matching.service.offer`, as the API's do."""

import uuid
from typing import Annotated

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, col, select

from app.assistance import service as assistance
from app.assistance.models import AssistanceRequest, RequestStage
from app.console.forms import attempt, notice_after, see
from app.console.pages import language_of_request, page
from app.console.sessions import Officer, OfficerForm
from app.core.deps import AppSettings, DbSession
from app.core.principal import Principal
from app.core.routing import page_router
from app.core.settings import Settings
from app.expertise.models import OCCUPYING, Assignment, Provider
from app.matching import jobs, service
from app.matching.schemas import Proposal

router = page_router("/console")

RUNS_SHOWN = 20
Choice = Annotated[str, Form(max_length=60)]
Notice = Annotated[str, Query(max_length=60)]
Count = Annotated[int | None, Query(ge=0, le=100_000)]


def _offered(db: Session, request_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The provider each request has an offer pending or accepted with."""
    if not request_ids:
        return {}
    rows = db.exec(
        select(Assignment.request_id, Provider.name)
        .join(Provider, col(Provider.id) == Assignment.provider_id)
        .where(col(Assignment.request_id).in_(request_ids), col(Assignment.status).in_(OCCUPYING))
    ).all()
    return dict(rows)


def _titles(db: Session, request_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not request_ids:
        return {}
    rows = db.exec(
        select(AssistanceRequest.id, AssistanceRequest.title).where(
            col(AssistanceRequest.id).in_(request_ids)
        )
    ).all()
    return dict(rows)


@router.get("/requests/{request_id}/candidates", response_class=HTMLResponse)
def candidates_page(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    desk: Officer,
    request_id: uuid.UUID,
    notice: Notice = "",
) -> Response:
    target = assistance.get_request(db, desk.who, request_id, as_party=True)
    language = language_of_request(request)
    return page(
        request,
        "candidates.html",
        desk=desk,
        target=target,
        candidates=service.candidates(db, target, settings, language),
        offered_to=_offered(db, [target.id]).get(target.id),
        open_to_offers=target.stage is RequestStage.accepted,
        notice=notice,
    )


@router.post("/requests/{request_id}/offers", response_class=HTMLResponse)
def offer_request(
    db: DbSession,
    settings: AppSettings,
    desk: OfficerForm,
    request_id: uuid.UUID,
    provider_id: Annotated[uuid.UUID, Form()],
) -> Response:
    refusal = attempt(
        db, lambda: service.offer(db, desk.who, request_id, provider_id, None, settings)
    )
    if refusal is None:
        return see(f"/console/requests/{request_id}", notice="done-offer")
    return see(f"/console/requests/{request_id}/candidates", notice=notice_after(refusal, ""))


@router.get("/matching", response_class=HTMLResponse)
def matching_page(
    request: Request, db: DbSession, settings: AppSettings, desk: Officer
) -> Response:
    runs, _ = service.list_runs(db, limit=RUNS_SHOWN, cursor=None, settings=settings)
    return page(request, "matching.html", desk=desk, runs=runs)


@router.post("/matching", response_class=HTMLResponse)
def start_matching_run(db: DbSession, desk: OfficerForm) -> Response:
    """A run over every accepted request with no offer pending or accepted."""
    run = jobs.queue_run(db, desk.who, None)
    return see(f"/console/matching/{run.id}")


@router.get("/matching/{run_id}", response_class=HTMLResponse)
def matching_run_page(
    request: Request,
    db: DbSession,
    desk: Officer,
    run_id: uuid.UUID,
    offered: Count = None,
    refused: Count = None,
) -> Response:
    run = service.run_read(service.get_run(db, run_id), language_of_request(request))
    requests = [p.request_id for p in run.proposals]
    unmatched = [u.request_id for u in run.unmatched_reasons]
    return page(
        request,
        "matching_run.html",
        desk=desk,
        run=run,
        offered_to=_offered(db, requests),
        unmatched_titles=_titles(db, unmatched),
        working=run.status in ("queued", "running"),
        offered_count=offered,
        refused_count=refused or 0,
    )


@router.get("/matching/{run_id}/status")
def matching_run_status(db: DbSession, desk: Officer, run_id: uuid.UUID) -> dict[str, object]:
    """For the run's page to know when to show the proposals."""
    run = service.get_run(db, run_id)
    return {"status": run.status, "done": run.status in ("succeeded", "failed")}


@router.post("/matching/{run_id}/offers", response_class=HTMLResponse)
def offer_proposals(
    db: DbSession,
    settings: AppSettings,
    desk: OfficerForm,
    run_id: uuid.UUID,
    request_id: Choice = "",
) -> Response:
    """Offer one proposal of the run (`request_id`), or, without it, every proposal not yet
    offered. Each offer stands or falls alone: one refused (the request moved, the provider
    filled up) leaves the others made."""
    proposals = service.run_read(service.get_run(db, run_id)).proposals
    if request_id:
        proposals = [p for p in proposals if str(p.request_id) == request_id]
    offered = _offered(db, [p.request_id for p in proposals])
    made = refused = 0
    for proposal in proposals:
        if proposal.request_id in offered:
            continue
        if _offer(db, desk.who, settings, run_id, proposal) is None:
            made += 1
        else:
            refused += 1
    return see(f"/console/matching/{run_id}", offered=str(made), refused=str(refused))


def _offer(
    db: Session, who: Principal, settings: Settings, run_id: uuid.UUID, proposal: Proposal
) -> object:
    return attempt(
        db,
        lambda: service.offer(db, who, proposal.request_id, proposal.provider_id, run_id, settings),
    )
