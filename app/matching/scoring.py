"""Who can serve a request, and how well: the one place where candidates are scored.

Hard constraints are never broken: a candidate shares a working language with the request,
has capacity left, is available at some point in the request's window, offers its modality,
and a peer State never assists itself. Among those, the score in [0, 1] is the weighted sum
of the factors below, each shown in `reasons`:

| factor | weight | value in [0, 1] |
|---|---|---|
| assistance_type | 0.30 | 1 if the provider offers the requested type |
| thematic | 0.20 | share of the request's themes and SDG targets covered (1 if none) |
| geography | 0.20 | 1 covers the State, 0.6 its region or sub-region, 0.3 remote only |
| availability | 0.15 | share of the request window inside the provider's availability |
| modality | 0.05 | 1 (a hard constraint; kept so the reasons are complete) |
| capacity | 0.10 | remaining capacity over total capacity |
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

WEIGHTS: dict[str, float] = {
    "assistance_type": 0.30,
    "thematic": 0.20,
    "geography": 0.20,
    "availability": 0.15,
    "modality": 0.05,
    "capacity": 0.10,
}
GEOGRAPHY = {"state": 1.0, "region": 0.6, "remote": 0.3}


@dataclass(frozen=True)
class RequestNeeds:
    id: str
    state_code: str
    region: str
    sub_region: str
    assistance_type: str
    themes: frozenset[str]
    languages: frozenset[str]
    modality: str
    window_start: dt.date
    window_end: dt.date


@dataclass(frozen=True)
class ProviderOffer:
    id: str
    kind: str
    home_state_code: str | None
    assistance_types: frozenset[str]
    themes: frozenset[str]
    languages: frozenset[str]
    states_covered: frozenset[str]
    regions_covered: frozenset[str]
    modalities: frozenset[str]
    capacity: int
    occupied: int
    availability: tuple[tuple[dt.date, dt.date], ...]

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.occupied, 0)


@dataclass(frozen=True)
class Candidate:
    provider_id: str
    score: float
    reasons: dict[str, float]


def violated_constraint(need: RequestNeeds, offer: ProviderOffer) -> str | None:
    """The first hard constraint this pairing breaks, or None when the provider can serve."""
    broken = _cheap_violation(need, offer)
    if broken is None and _days_available(need, offer) == 0:
        return "not available within the window"
    return broken


def _cheap_violation(need: RequestNeeds, offer: ProviderOffer) -> str | None:
    """The constraints that need no date arithmetic, checked first because most pairs fail one."""
    if not need.languages & offer.languages:
        return "no shared working language"
    if offer.remaining <= 0:
        return "no capacity left"
    if need.modality not in offer.modalities:
        return f"does not work {need.modality}"
    if offer.kind == "peer_state" and offer.home_state_code == need.state_code:
        return "a peer State does not assist itself"
    return None


def score(need: RequestNeeds, offer: ProviderOffer) -> Candidate | None:
    if _cheap_violation(need, offer) is not None:
        return None
    days_available = _days_available(need, offer)
    if days_available == 0:
        return None
    window_days = (need.window_end - need.window_start).days + 1
    factors = {
        "assistance_type": 1.0 if need.assistance_type in offer.assistance_types else 0.0,
        "thematic": len(need.themes & offer.themes) / len(need.themes) if need.themes else 1.0,
        "geography": GEOGRAPHY[_geography(need, offer)],
        "availability": days_available / window_days,
        "modality": 1.0,
        "capacity": offer.remaining / offer.capacity,
    }
    reasons = {name: WEIGHTS[name] * value for name, value in factors.items()}
    return Candidate(provider_id=offer.id, score=sum(reasons.values()), reasons=reasons)


def rank(need: RequestNeeds, offers: Sequence[ProviderOffer]) -> list[Candidate]:
    """Every provider that can serve the request, best first; ties broken by id, so the same
    data always gives the same order."""
    candidates = [c for offer in offers if (c := score(need, offer)) is not None]
    return sorted(candidates, key=lambda c: (-c.score, c.provider_id))


def _geography(need: RequestNeeds, offer: ProviderOffer) -> str:
    if need.state_code in offer.states_covered:
        return "state"
    if need.region in offer.regions_covered or need.sub_region in offer.regions_covered:
        return "region"
    return "remote"


def _days_available(need: RequestNeeds, offer: ProviderOffer) -> int:
    """Days of the request window inside the provider's availability (windows may overlap)."""
    clipped = sorted(
        (max(start, need.window_start).toordinal(), min(end, need.window_end).toordinal())
        for start, end in offer.availability
        if start <= need.window_end and end >= need.window_start
    )
    days, reached = 0, -1
    for first, last in clipped:
        first = max(first, reached + 1)
        if first <= last:
            days += last - first + 1
            reached = last
    return days
