"""Where demand outruns the expertise available: accepted requests still without a provider
against the free capacity of the providers who could serve them in the coming months, by theme,
assistance type, working language and region; and why the latest matching run left requests
unmatched. The roster is OHCHR's, so these figures are for OHCHR."""

import datetime as dt
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.analytics import assistance
from app.analytics.cells import Group, answered
from app.analytics.query import GAP_DIMENSIONS, Question
from app.analytics.reader import Reader
from app.assistance.models import AssistanceRequest, RequestStage
from app.core.models import utcnow
from app.matching.models import MatchingRun
from app.matching.scoring import ProviderOffer
from app.matching.service import active_offers
from app.states.models import State

GapKey = tuple[str | None, str, str, str]
UNKNOWN_REASON = "unknown"


def months_after(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


class RegionMap:
    """Which sub-regions and States make up each region."""

    def __init__(self, states: Iterable[State]) -> None:
        self.parts: dict[str, set[str]] = defaultdict(set)
        for state in states:
            self.parts[state.region] |= {state.region, state.sub_region, state.code}

    def covers(self, offer: ProviderOffer, region: str) -> bool:
        """In the region (itself, a sub-region or a State of it), or working remotely."""
        places = self.parts.get(region, {region})
        return (
            "remote" in offer.modalities
            or not places.isdisjoint(offer.regions_covered)
            or not places.isdisjoint(offer.states_covered)
        )


def _available(offer: ProviderOffer, start: dt.date, end: dt.date) -> bool:
    return any(s <= end and e >= start for s, e in offer.availability)


class Roster:
    """The providers available in the window, found by what they offer in which language."""

    def __init__(
        self, offers: list[ProviderOffer], regions: RegionMap, start: dt.date, end: dt.date
    ) -> None:
        self.regions = regions
        self.offering: dict[tuple[str, str], list[ProviderOffer]] = defaultdict(list)
        for offer in offers:
            if _available(offer, start, end):
                for kind in offer.assistance_types:
                    for language in offer.languages:
                        self.offering[(kind, language)].append(offer)

    def serving(self, key: GapKey) -> list[ProviderOffer]:
        """Those offering the type in the language, with the theme (or none listed), in the
        region (or remotely)."""
        theme, assistance_type, language, region = key
        return [
            offer
            for offer in self.offering.get((assistance_type, language), [])
            if (theme is None or not offer.themes or theme in offer.themes)
            and self.regions.covers(offer, region)
        ]


def _demand(facts: list[assistance.RequestFact]) -> dict[GapKey, list[assistance.RequestFact]]:
    demand: dict[GapKey, list[assistance.RequestFact]] = defaultdict(list)
    for fact in facts:
        themes: list[str | None] = [*fact.themes] or [None]
        for theme in themes:
            for language in fact.languages:
                demand[(theme, fact.assistance_type, language, fact.state.region)].append(fact)
    return demand


def _group(
    key: GapKey, wanting: list[assistance.RequestFact], serving: list[ProviderOffer]
) -> Group:
    free = sum(offer.remaining for offer in serving)
    group = Group(dict(zip(GAP_DIMENSIONS, key, strict=True)))
    group.add(
        "",
        {
            "demand_requests": len(wanting),
            "demand_budget_usd": sum(f.budget or 0.0 for f in wanting),
            "supply_providers": len(serving),
            "supply_free_capacity": free,
            "gap": len(wanting) - free,
        },
        sum(fact.foreign for fact in wanting),
        whole=True,
    )
    return group


def answer(db: Session, reader: Reader, question: Question) -> dict[str, Any]:
    """`GET /analytics/assistance/gap`."""
    start = utcnow().date()
    end = months_after(start, question.months)
    waiting = col(AssistanceRequest.stage) == RequestStage.accepted
    demand = _demand(
        assistance.load_facts(db, reader, question, waiting, lists=("themes", "languages"))
    )
    roster = Roster(active_offers(db), RegionMap(db.scalars(select(State))), start, end)
    groups = [_group(key, demand[key], roster.serving(key)) for key in demand]
    unmatched = _unmatched(db, reader, question)
    return answered(reader, GAP_DIMENSIONS, groups, months=question.months, unmatched=unmatched)


def _unmatched(db: Session, reader: Reader, question: Question) -> dict[str, Any]:
    """The latest succeeded matching run's unmatched requests that the question is about, by
    reason."""
    run = db.scalars(
        select(MatchingRun)
        .where(col(MatchingRun.status) == "succeeded")
        .order_by(col(MatchingRun.created_at).desc(), col(MatchingRun.id).desc())
        .limit(1)
    ).first()
    if run is None:
        return {"run_id": None, "finished_at": None, "requests": 0, "by_reason": {}}
    reasons = {
        uuid.UUID(entry["request_id"]): entry.get("reason") or UNKNOWN_REASON
        for entry in (e if isinstance(e, dict) else {"request_id": e} for e in run.unmatched)
    }
    asked = col(AssistanceRequest.id).in_(list(reasons))
    seen = assistance.load_facts(db, reader, question, asked)
    counts = Counter(reasons[fact.id] for fact in seen)
    return {
        "run_id": run.id,
        "finished_at": run.finished_at,
        "requests": len(seen),
        "by_reason": dict(sorted(counts.items())),
    }
