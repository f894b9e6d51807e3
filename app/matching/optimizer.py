"""The best use of everyone we have: a maximum-weight assignment within provider capacities.

Each request gets at most one of its candidates; each provider at most its remaining capacity;
the sum over proposals of `request priority x candidate score` is maximal. Solved exactly as a
minimum-cost full bipartite matching (SciPy's LAPJVsp) on a sparse graph: a provider with
capacity c becomes c interchangeable slots, and every request has a private "unmatched" slot,
so a full matching always exists and leaving a request out costs exactly its lost weight.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import min_weight_full_bipartite_matching


@dataclass(frozen=True)
class Pairing:
    request_id: str
    provider_id: str
    weight: float


@dataclass(frozen=True)
class Solution:
    pairings: list[Pairing]
    total: float
    unmatched: list[str]


def solve(weights: Mapping[str, Mapping[str, float]], remaining: Mapping[str, int]) -> Solution:
    """`weights[request][provider]` for feasible pairs only; `remaining[provider]` slots.

    Deterministic: requests and providers are ordered by id before solving."""
    requests = sorted(weights)
    if not requests:
        return Solution([], 0.0, [])
    slots = [p for p in sorted(remaining) for _ in range(max(remaining[p], 0))]
    first_slot: dict[str, int] = {}
    for index, provider in enumerate(slots):
        first_slot.setdefault(provider, index)
    top = max((w for row in weights.values() for w in row.values()), default=0.0)
    rows, cols, costs = _edges(requests, weights, remaining, first_slot, top, len(slots))
    graph = csr_array((costs, (rows, cols)), shape=(len(requests), len(slots) + len(requests)))
    matched_rows, matched_cols = min_weight_full_bipartite_matching(graph)
    pairings = [
        Pairing(requests[r], slots[c], weights[requests[r]][slots[c]])
        for r, c in zip(matched_rows.tolist(), matched_cols.tolist(), strict=True)
        if c < len(slots)
    ]
    paired = {p.request_id for p in pairings}
    return Solution(
        pairings=pairings,
        total=sum(p.weight for p in pairings),
        unmatched=[r for r in requests if r not in paired],
    )


def _edges(
    requests: Sequence[str],
    weights: Mapping[str, Mapping[str, float]],
    remaining: Mapping[str, int],
    first_slot: Mapping[str, int],
    top: float,
    unmatched_base: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Costs are `top - weight + 1`, all positive (a zero would read as no edge); the private
    unmatched slot costs `top + 1`, i.e. weight 0."""
    rows: list[int] = []
    cols: list[int] = []
    costs: list[float] = []
    for r, request in enumerate(requests):
        for provider, weight in weights[request].items():
            for slot in range(max(remaining.get(provider, 0), 0)):
                rows.append(r)
                cols.append(first_slot[provider] + slot)
                costs.append(top - weight + 1.0)
        rows.append(r)
        cols.append(unmatched_base + r)
        costs.append(top + 1.0)
    return np.array(rows), np.array(cols), np.array(costs, dtype=float)
