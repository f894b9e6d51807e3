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
    total_slots = int(slots.sum())
    if n_requests == 0 or total_slots == 0:
        return np.zeros(0, dtype=np.intp)
    first_slot = np.concatenate(([0], np.cumsum(slots)[:-1]))
    per_pair = slots[pairs.providers]
    pair_of_edge = np.repeat(np.arange(len(pairs.weights)), per_pair)
    within = np.arange(len(pair_of_edge)) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    # Costs are `top - weight + 1`, all positive (a zero would read as no edge); leaving a
    # slot empty costs `top + 1`, i.e. weight 0.
    top = float(pairs.weights.max())
    rows = np.concatenate((pairs.requests[pair_of_edge], n_requests + np.arange(total_slots)))
    cols = np.concatenate(
        (first_slot[pairs.providers][pair_of_edge] + within, np.arange(total_slots))
    )
    costs = np.concatenate((top - pairs.weights[pair_of_edge] + 1.0, np.full(total_slots, top + 1)))
    graph = csr_array((costs, (rows, cols)), shape=(n_requests + total_slots, total_slots))
    matched_rows, matched_cols = min_weight_full_bipartite_matching(graph)
    filled = matched_rows < n_requests
    owner = np.repeat(np.arange(len(slots)), slots)
    return _pair_indices(pairs, matched_rows[filled], owner[matched_cols[filled]], len(slots))


def _slots_needed(pairs: Pairs, remaining: NDArray[np.int64]) -> NDArray[np.int64]:
    """A provider needs no more slots than it has candidate requests."""
    degree = np.bincount(pairs.providers, minlength=len(remaining))
    return np.minimum(np.maximum(remaining, 0), degree).astype(np.int64)


def _pair_indices(
    pairs: Pairs, requests: NDArray[np.intp], providers: NDArray[np.intp], n_providers: int
) -> NDArray[np.intp]:
    """Where each matched (request, provider) sits in `pairs`, ordered by request."""
    keys = pairs.requests.astype(np.int64) * n_providers + pairs.providers
    order = np.argsort(keys, kind="stable")
    wanted = requests.astype(np.int64) * n_providers + providers
    found = order[np.searchsorted(keys, wanted, sorter=order)]
    return np.asarray(found[np.argsort(requests, kind="stable")], dtype=np.intp)
