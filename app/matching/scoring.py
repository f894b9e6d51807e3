"""Who can serve a request, and how well: the one place where candidates are scored.

Hard constraints are never broken: a candidate offers the requested assistance type, shares
a working language with the request, has capacity left, is available at some point in the
request's window, offers its modality, and a peer State never assists itself. Among those,
the score in [0, 1] is the weighted sum of the factors below, each shown in `reasons`; a
pairing scoring below the minimum (`Settings.matching_min_score`) is no candidate either.

| factor | weight | value in [0, 1] |
|---|---|---|
| assistance_type | 0.20 | 1 (a hard constraint; kept so the reasons are complete) |
| languages | 0.15 | share of the request's working languages the provider speaks |
| thematic | 0.15 | share of the request's themes covered (1 if none) |
| sdg_targets | 0.10 | share of the request's SDG targets covered (1 if none) |
| geography | 0.15 | 1 covers the State, 0.6 its sub-region or region, 0.3 remote only |
| availability | 0.10 | share of the request window inside the provider's availability |
| modality | 0.05 | 1 (a hard constraint; kept so the reasons are complete) |
| capacity | 0.10 | remaining capacity over total capacity |

Candidates with equal scores are ordered as an officer would: more places left, then nearer
coverage (the State, its sub-region, its region, remote), then provider name (the id only
between two providers of the same name, so the order is always the same).
"""

import datetime as dt
from dataclasses import dataclass

WEIGHTS: dict[str, float] = {
    "assistance_type": 0.20,
    "languages": 0.15,
    "thematic": 0.15,
    "sdg_targets": 0.10,
    "geography": 0.15,
    "availability": 0.10,
    "modality": 0.05,
    "capacity": 0.10,
}
GEOGRAPHY = {"state": 1.0, "sub_region": 0.6, "region": 0.6, "remote": 0.3}
# Nearer first, for ties: the State, its sub-region, its region, remote.
NEARNESS = {"state": 0, "sub_region": 1, "region": 2, "remote": 3}


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
    sdg_targets: frozenset[str] = frozenset()
    title: str = ""


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
    sdg_targets: frozenset[str] = frozenset()
    name: str = ""

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.occupied, 0)


@dataclass(frozen=True)
class Candidate:
    provider_id: str
    score: float
    reasons: dict[str, float]
    provider_name: str = ""


def violated_constraint(need: RequestNeeds, offer: ProviderOffer) -> str | None:
    """The first hard constraint this pairing breaks, or None when the provider can serve."""
    broken = _cheap_violation(need, offer)
    if broken is None and _days_available(need, offer) == 0:
        return "not available within the window"
    return broken


def _cheap_violation(need: RequestNeeds, offer: ProviderOffer) -> str | None:
    """The constraints that need no date arithmetic, checked first because most pairs fail one."""
    if need.assistance_type not in offer.assistance_types:
        return "does not offer the requested assistance type"
    if not need.languages & offer.languages:
        return "no shared working language"
    if offer.remaining <= 0:
        return "no capacity left"
    if need.modality not in offer.modalities:
        return f"does not work {need.modality}"
    if offer.kind == "peer_state" and offer.home_state_code == need.state_code:
        return "a peer State does not assist itself"
    return None


def factor_values(need: RequestNeeds, offer: ProviderOffer) -> dict[str, float] | None:
    """Each factor's value in [0, 1] for a pairing that breaks no hard constraint, else None."""
    if _cheap_violation(need, offer) is not None:
        return None
    days_available = _days_available(need, offer)
    if days_available == 0:
        return None
    window_days = (need.window_end - need.window_start).days + 1
    return {
        "assistance_type": 1.0,
        "languages": len(need.languages & offer.languages) / len(need.languages),
        "thematic": _share(need.themes, offer.themes),
        "sdg_targets": _share(need.sdg_targets, offer.sdg_targets),
        "geography": GEOGRAPHY[geography(need, offer)],
        "availability": days_available / window_days,
        "modality": 1.0,
        "capacity": offer.remaining / offer.capacity,
    }


def _share(wanted: frozenset[str], held: frozenset[str]) -> float:
    return len(wanted & held) / len(wanted) if wanted else 1.0


def score(need: RequestNeeds, offer: ProviderOffer, min_score: float = 0.0) -> Candidate | None:
    """The pairing's score and reasons; None if it breaks a hard constraint or scores below
    `min_score`."""
    factors = factor_values(need, offer)
    if factors is None:
        return None
    reasons = {name: WEIGHTS[name] * value for name, value in factors.items()}
    total = sum(reasons.values())
    if total < min_score:
        return None
    return Candidate(provider_id=offer.id, score=total, reasons=reasons, provider_name=offer.name)


def geography(need: RequestNeeds, offer: ProviderOffer) -> str:
    """How near the provider's coverage is to the request's State: a key of `NEARNESS`."""
    if need.state_code in offer.states_covered:
        return "state"
    if need.sub_region in offer.regions_covered:
        return "sub_region"
    if need.region in offer.regions_covered:
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
