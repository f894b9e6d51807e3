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
from scipy.sparse import csr_array, eye_array, vstack
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

    LAPJVsp augments once per column and every column must be matched, so the columns are the
    smaller side (the provider slots when demand exceeds supply, else the requests) and each
    column has a private row that stands for "left empty" ("left unmatched")."""
    slots = _slots_needed(pairs, remaining)
    if n_requests == 0 or slots.sum() == 0:
        return np.zeros(0, dtype=np.intp)
    keys = pairs.requests.astype(np.int64) * len(slots) + pairs.providers
    order = np.arange(len(keys)) if (np.diff(keys) > 0).all() else np.argsort(keys, kind="stable")
    by_request = Pairs(pairs.requests[order], pairs.providers[order], pairs.weights[order])
    edges = _biadjacency(by_request, n_requests, slots)
    # Costs are `top - weight + 1`, all positive (a zero would read as no edge); a private row
    # costs `top + 1`, i.e. weight 0.
    top = float(pairs.weights.max())
    requests, taken = (
        _match(edges, top + 1) if edges.shape[1] <= n_requests else _match_t(edges, top + 1)
    )
    providers = np.repeat(np.arange(len(slots)), slots)[taken]
    chosen = order[np.searchsorted(keys[order], requests * len(slots) + providers)]
    return np.asarray(chosen[np.argsort(requests, kind="stable")], dtype=np.intp)


def _match(edges: csr_array, private: float) -> tuple[NDArray[np.int64], NDArray[np.intp]]:
    """Slots as columns: (request, slot) of each filled slot."""
    n_requests, n_slots = edges.shape
    graph = vstack([edges, private * eye_array(n_slots, format="csr")], format="csr")
    rows, cols = min_weight_full_bipartite_matching(graph)
    filled = rows < n_requests
    return rows[filled].astype(np.int64), cols[filled]


def _match_t(edges: csr_array, private: float) -> tuple[NDArray[np.int64], NDArray[np.intp]]:
    """Requests as columns: (request, slot) of each matched request."""
    n_requests, n_slots = edges.shape
    graph = vstack([edges.T, private * eye_array(n_requests, format="csr")], format="csr")
    rows, cols = min_weight_full_bipartite_matching(graph)
    matched = rows < n_slots
    return cols[matched].astype(np.int64), rows[matched]


def _slots_needed(pairs: Pairs, remaining: NDArray[np.int64]) -> NDArray[np.int64]:
    """A provider needs no more slots than it has candidate requests."""
    degree = np.bincount(pairs.providers, minlength=len(remaining))
    return np.minimum(np.maximum(remaining, 0), degree).astype(np.int64)


def _biadjacency(pairs: Pairs, n_requests: int, slots: NDArray[np.int64]) -> csr_array:
    """Requests x slots in CSR, built row by row from pairs sorted by (request, provider): each
    pair is an edge to every slot of its provider, at cost `top - weight + 1`."""
    first_slot = np.cumsum(slots) - slots
    per_pair = slots[pairs.providers]
    edge_pair = np.repeat(np.arange(len(pairs.weights)), per_pair)
    within = np.arange(len(edge_pair)) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    per_request = np.bincount(pairs.requests, weights=per_pair, minlength=n_requests)
    indptr = np.concatenate(([0], np.cumsum(per_request.astype(np.int64))))
    indices = first_slot[pairs.providers][edge_pair] + within
    costs = float(pairs.weights.max()) - pairs.weights[edge_pair] + 1.0
    return csr_array((costs, indices, indptr), shape=(n_requests, int(slots.sum())))
