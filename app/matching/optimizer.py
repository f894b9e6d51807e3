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

    LAPJVsp matches every row and augments once per row, so the rows are the smaller side: the
    provider slots when demand exceeds supply, else the requests. Each row has one more column
    of its own, which stands for "left empty" (or "left unmatched")."""
    slots = _slots_needed(pairs, remaining)
    n_slots = int(slots.sum())
    if n_requests == 0 or n_slots == 0:
        return np.zeros(0, dtype=np.intp)
    keys = pairs.requests.astype(np.int64) * len(slots) + pairs.providers
    order = np.arange(len(keys)) if (np.diff(keys) > 0).all() else np.argsort(keys, kind="stable")
    by_request = Pairs(pairs.requests[order], pairs.providers[order], pairs.weights[order])
    # Costs are `top - weight + 1`, all positive (a zero would read as no edge); a row's own
    # column costs `top + 1`, i.e. weight 0.
    top = float(pairs.weights.max())
    owner = np.repeat(np.arange(len(slots)), slots)
    if n_slots <= n_requests:
        graph = _slot_rows(by_request, slots, n_requests, top)
        rows, columns = min_weight_full_bipartite_matching(graph)
        filled = columns < n_requests
        requests, providers = columns[filled], owner[rows[filled]]
    else:
        graph = _request_rows(by_request, slots, n_requests, top)
        rows, columns = min_weight_full_bipartite_matching(graph)
        matched = columns < n_slots
        requests, providers = rows[matched], owner[columns[matched]]
    wanted = requests.astype(np.int64) * len(slots) + providers
    chosen = order[np.searchsorted(keys[order], wanted)]
    return np.asarray(chosen[np.argsort(requests, kind="stable")], dtype=np.intp)


def _slots_needed(pairs: Pairs, remaining: NDArray[np.int64]) -> NDArray[np.int64]:
    """A provider needs no more slots than it has candidate requests."""
    degree = np.bincount(pairs.providers, minlength=len(remaining))
    return np.minimum(np.maximum(remaining, 0), degree).astype(np.int64)


def _slot_rows(pairs: Pairs, slots: NDArray[np.int64], n_requests: int, top: float) -> csr_array:
    """Slots x (requests + one own column per slot): each slot row holds every candidate
    request of its provider (in request order: `pairs` sorted by request, then a stable sort
    by provider), then its own column."""
    by_provider = np.argsort(pairs.providers, kind="stable")
    degree = np.bincount(pairs.providers, minlength=len(slots))
    first = np.cumsum(degree) - degree
    owner = np.repeat(np.arange(len(slots)), slots)
    per_row = degree[owner]
    at = np.cumsum(per_row) - per_row
    source = by_provider[np.repeat(first[owner] - at, per_row) + np.arange(per_row.sum())]
    return _with_own_columns(
        per_row, pairs.requests[source], top - pairs.weights[source] + 1.0, n_requests, top
    )


def _request_rows(pairs: Pairs, slots: NDArray[np.int64], n_requests: int, top: float) -> csr_array:
    """Requests x (slots + one own column per request): each pair is an edge to every slot of
    its provider, in order (`pairs` sorted by request, then provider)."""
    first_slot = np.cumsum(slots) - slots
    per_pair = slots[pairs.providers]
    source = np.repeat(np.arange(len(pairs.weights)), per_pair)
    within = np.arange(len(source)) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    per_row = np.bincount(pairs.requests, weights=per_pair, minlength=n_requests).astype(np.int64)
    columns = first_slot[pairs.providers[source]] + within
    return _with_own_columns(
        per_row, columns, top - pairs.weights[source] + 1.0, int(slots.sum()), top
    )


def _with_own_columns(
    per_row: NDArray[np.int64],
    columns: NDArray[np.int64],
    costs: NDArray[np.float64],
    shared: int,
    top: float,
) -> csr_array:
    """CSR from rows of (column, cost) laid end to end, with row r's own column `shared + r`
    added at its end at cost `top + 1`."""
    n_rows = len(per_row)
    indptr = np.concatenate(([0], np.cumsum(per_row + 1)))
    index_type = np.int32 if indptr[-1] + shared + n_rows < 2**31 else np.int64
    indices = np.empty(indptr[-1], dtype=index_type)
    data = np.empty(indptr[-1])
    placed = np.arange(len(columns)) + np.repeat(np.arange(n_rows), per_row)
    indices[placed], data[placed] = columns, costs
    own = indptr[1:] - 1
    indices[own], data[own] = shared + np.arange(n_rows), top + 1.0
    return csr_array((data, indices, indptr.astype(index_type)), shape=(n_rows, shared + n_rows))
