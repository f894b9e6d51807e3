"""The best use of everyone we have: a maximum-weight assignment within provider capacities.

Each request gets at most one of its candidates; each provider at most its remaining capacity;
the sum over proposals of `request priority x candidate score` is maximal. Solved exactly as a
minimum-cost full bipartite matching (SciPy's LAPJVsp) on a sparse graph: a provider with
capacity c becomes c interchangeable slots, and every slot may instead be left empty at the
cost of weight 0, so a matching of every slot always exists and its cost is `constant - total`.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
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


@dataclass(frozen=True)
class Pairs:
    """The feasible pairs as parallel arrays: request index, provider index, weight. Each
    (request, provider) pair at most once."""

    requests: NDArray[np.intp]
    providers: NDArray[np.intp]
    weights: NDArray[np.float64]


def solve(weights: Mapping[str, Mapping[str, float]], remaining: Mapping[str, int]) -> Solution:
    """`weights[request][provider]` for feasible pairs only; `remaining[provider]` slots.

    Deterministic: requests and providers are ordered by id before solving."""
    requests = sorted(weights)
    providers = sorted(remaining)
    column = {p: i for i, p in enumerate(providers)}
    rows, cols, values = [], [], []
    for r, request in enumerate(requests):
        for provider in sorted(weights[request]):
            if provider in column:
                rows.append(r)
                cols.append(column[provider])
                values.append(weights[request][provider])
    pairs = Pairs(np.array(rows, dtype=np.intp), np.array(cols, dtype=np.intp), np.array(values))
    capacity = np.array([remaining[p] for p in providers], dtype=np.int64)
    chosen = solve_pairs(pairs, len(requests), capacity)
    pairings = [
        Pairing(requests[pairs.requests[k]], providers[pairs.providers[k]], values[k])
        for k in chosen.tolist()
    ]
    paired = {p.request_id for p in pairings}
    return Solution(
        pairings=pairings,
        total=sum(p.weight for p in pairings),
        unmatched=[r for r in requests if r not in paired],
    )


def solve_pairs(pairs: Pairs, n_requests: int, remaining: NDArray[np.int64]) -> NDArray[np.intp]:
    """The chosen pairs, as indices into `pairs`, ascending by request.

    The graph has a column per provider slot and a row per request, plus a private "left
    empty" row per slot, so that the full matching is over the slots: far fewer than the
    requests when demand exceeds supply, and LAPJVsp augments once per column."""
    slots = _slots_needed(pairs, remaining)
    if n_requests == 0 or slots.sum() == 0:
        return np.zeros(0, dtype=np.intp)
    keys = pairs.requests.astype(np.int64) * len(slots) + pairs.providers
    order = np.arange(len(keys)) if (np.diff(keys) > 0).all() else np.argsort(keys, kind="stable")
    by_request = Pairs(pairs.requests[order], pairs.providers[order], pairs.weights[order])
    graph = _graph(by_request, n_requests, slots)
    matched_rows, matched_cols = min_weight_full_bipartite_matching(graph)
    filled = matched_rows < n_requests
    requests = matched_rows[filled].astype(np.int64)
    providers = np.repeat(np.arange(len(slots)), slots)[matched_cols[filled]]
    chosen = order[np.searchsorted(keys[order], requests * len(slots) + providers)]
    return np.asarray(chosen[np.argsort(requests, kind="stable")], dtype=np.intp)


def _slots_needed(pairs: Pairs, remaining: NDArray[np.int64]) -> NDArray[np.int64]:
    """A provider needs no more slots than it has candidate requests."""
    degree = np.bincount(pairs.providers, minlength=len(remaining))
    return np.minimum(np.maximum(remaining, 0), degree).astype(np.int64)


def _graph(pairs: Pairs, n_requests: int, slots: NDArray[np.int64]) -> csr_array:
    """Requests x slots in CSR, built row by row from pairs sorted by (request, provider): each
    pair is an edge to every slot of its provider, and each slot has its "left empty" row.

    Costs are `top - weight + 1`, all positive (a zero would read as no edge); leaving a slot
    empty costs `top + 1`, i.e. weight 0."""
    total_slots = int(slots.sum())
    first_slot = np.cumsum(slots) - slots
    per_pair = slots[pairs.providers]
    edge_pair = np.repeat(np.arange(len(pairs.weights)), per_pair)
    within = np.arange(len(edge_pair)) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    per_request = np.bincount(pairs.requests, weights=per_pair, minlength=n_requests)
    row_ends = np.cumsum(per_request.astype(np.int64))
    indptr = np.concatenate(([0], row_ends, len(edge_pair) + 1 + np.arange(total_slots)))
    indices = np.concatenate(
        (first_slot[pairs.providers][edge_pair] + within, np.arange(total_slots))
    )
    top = float(pairs.weights.max())
    costs = np.concatenate((top - pairs.weights[edge_pair] + 1.0, np.full(total_slots, top + 1)))
    return csr_array((costs, indices, indptr), shape=(n_requests + total_slots, total_slots))
