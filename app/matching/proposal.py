"""A matching run's proposal from requests, their priorities and the roster: no database.

`run_matching` and bench/matching.py both call `propose`, so the benchmark measures what the
service does."""

from dataclasses import dataclass
from typing import Any

import numpy as np

from app.matching import explain, optimizer, scoring


@dataclass(frozen=True)
class Proposed:
    proposals: list[dict[str, Any]]
    total: float
    unmatched: list[str]
    unmatched_reasons: list[dict[str, Any]]


def propose(
    needs: dict[str, scoring.RequestNeeds],
    priorities: dict[str, float],
    roster: scoring.Roster,
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
            {"request_id": rid, "reasons": _why(needs[rid], candidates[rid], roster, min_score)}
            for rid in unmatched
        ],
    )


def _why(
    need: scoring.RequestNeeds, candidates: int, roster: scoring.Roster, min_score: float
) -> list[str]:
    """Why a request went unserved: its candidates went elsewhere, or which constraint (or the
    minimum score) left it none."""
    if candidates > 0:
        eliminations = [("min_score", candidates)]
        return explain.unmatched_reasons(need, eliminations, min_score, 0.0)
    eliminations = roster.eliminations(need, min_score)
    best = roster.best_score(need) if eliminations[-1][0] == "min_score" else 0.0
    return explain.unmatched_reasons(need, eliminations, min_score, best)
