"""A matching run's proposal from requests, their priorities and the roster: no database.

`run_matching` and bench/matching.py both call `propose`, so the benchmark measures what the
service does."""

from dataclasses import dataclass
from typing import Any

import numpy as np

from app.matching import explain, optimizer, scoring
from app.matching.roster import Roster


@dataclass(frozen=True)
class Proposed:
    proposals: list[dict[str, Any]]
    total: float
    unmatched: list[str]
    unmatched_reasons: list[dict[str, Any]]


def propose(
    needs: dict[str, scoring.RequestNeeds],
    priorities: dict[str, float],
    roster: Roster,
    min_score: float = 0.0,
) -> Proposed:
    """Candidates for every request (every hard constraint met, `min_score` or more), weighted
    by its priority, then the optimal assignment over those; each request left unserved with
    the reasons why, in words."""
    request_ids = sorted(needs)
    found = [roster.scores(needs[rid], min_score) for rid in request_ids]
    counts = [len(indices) for indices, _ in found]
    scores = np.concatenate([s for _, s in found]) if found else np.zeros(0)
    priority = np.repeat([priorities[rid] for rid in request_ids], counts)
    pairs = optimizer.Pairs(
        requests=np.repeat(np.arange(len(request_ids)), counts),
        providers=np.concatenate([i for i, _ in found]) if found else np.zeros(0, np.intp),
        weights=priority * scores,
    )
    chosen = optimizer.solve_pairs(pairs, len(request_ids), roster.remaining).tolist()
    proposals = [
        {
            "request_id": request_ids[pairs.requests[k]],
            "provider_id": roster.ids[pairs.providers[k]],
            "score": float(pairs.weights[k]),
            "candidate_score": float(scores[k]),
            "priority": priorities[request_ids[pairs.requests[k]]],
        }
        for k in chosen
    ]
    paired = {p["request_id"] for p in proposals}
    unmatched = [rid for rid in request_ids if rid not in paired]
    candidates = dict(zip(request_ids, counts, strict=True))
    return Proposed(
        proposals=proposals,
        total=sum(p["score"] for p in proposals),
        unmatched=unmatched,
        unmatched_reasons=[
            _why(rid, needs[rid], candidates[rid], roster, min_score) for rid in unmatched
        ],
    )


# Why a request went unserved, as a code analytics counts by: the hard constraint that left it
# no provider (`Roster.eliminations`), the minimum score, or its candidates going elsewhere.
REASON_CODES = {
    "assistance_type": "no_provider_offers_type",
    "languages": "no_provider_with_language",
    "modality": "no_provider_with_modality",
    "peer_state": "only_the_state_itself",
    "availability": "none_available_in_window",
    "capacity": "none_with_capacity_left",
    "min_score": "below_minimum_score",
}
OUTRANKED = "candidates_went_to_higher_weight"


def _why(
    request_id: str,
    need: scoring.RequestNeeds,
    candidates: int,
    roster: Roster,
    min_score: float,
) -> dict[str, Any]:
    """Why a request went unserved, in words and as a code: its candidates went elsewhere, or
    which constraint (or the minimum score) left it none."""
    if candidates > 0:
        eliminations = [("min_score", candidates)]
        reasons = explain.unmatched_reasons(need, eliminations, min_score, 0.0)
        return {"request_id": request_id, "reasons": reasons, "reason": OUTRANKED}
    eliminations = roster.eliminations(need, min_score)
    last = eliminations[-1][0]
    best = roster.best_score(need) if last == "min_score" else 0.0
    reasons = explain.unmatched_reasons(need, eliminations, min_score, best)
    return {"request_id": request_id, "reasons": reasons, "reason": REASON_CODES[last]}
