"""The roster as columns: every active provider's offer held in numpy arrays, so that ranking
the candidates of a request, or of every request in a matching run, is a handful of vector
operations rather than a loop over providers. The rules themselves are in
`app.matching.scoring`; this module is imported on first use, so a web worker that never
ranks a candidate never loads numpy."""

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.matching.scoring import (
    GEOGRAPHY,
    NEARNESS,
    WEIGHTS,
    Candidate,
    ProviderOffer,
    RequestNeeds,
)


def rank(
    need: RequestNeeds, offers: Sequence[ProviderOffer], min_score: float = 0.0
) -> list[Candidate]:
    """Every provider that can serve the request at `min_score` or more, best first; ties
    broken by places left, nearer coverage, then name, so the same data always gives the same
    order."""
    return Roster(offers).rank(need, min_score)


class _Membership:
    """Which providers hold which values (languages, themes, ...): a boolean column per value."""

    def __init__(self, held: Sequence[frozenset[str]]) -> None:
        self._column = {v: i for i, v in enumerate(sorted(set().union(*held)))}
        self._matrix = np.zeros((len(held), len(self._column)), dtype=bool)
        rows = [row for row, values in enumerate(held) for _ in values]
        self._matrix[rows, [self._column[v] for values in held for v in values]] = True

    def _columns(self, values: Iterable[str]) -> list[int]:
        return sorted({self._column[v] for v in values if v in self._column})

    def holds(self, value: str) -> NDArray[np.bool_]:
        column = self._column.get(value)
        if column is None:
            return np.zeros(len(self._matrix), dtype=bool)
        return self._matrix[:, column]

    def holds_any(self, values: Iterable[str]) -> NDArray[np.bool_]:
        return np.asarray(self._matrix[:, self._columns(values)].any(axis=1), dtype=np.bool_)

    def count(self, values: Iterable[str]) -> NDArray[np.int64]:
        return np.asarray(self._matrix[:, self._columns(values)].sum(axis=1), dtype=np.int64)


class Roster:
    """The providers as columns, so that one request is checked and scored against all of them
    in a few array operations. Gives exactly what `score` gives for each pair, to the bit: the
    factors are the same numbers, summed in the same order."""

    def __init__(self, offers: Sequence[ProviderOffer]) -> None:
        self.offers = sorted(offers, key=lambda o: o.id)
        self.ids = [o.id for o in self.offers]
        self._languages = _Membership([o.languages for o in self.offers])
        self._types = _Membership([o.assistance_types for o in self.offers])
        self._themes = _Membership([o.themes for o in self.offers])
        self._sdgs = _Membership([o.sdg_targets for o in self.offers])
        self._states = _Membership([o.states_covered for o in self.offers])
        self._regions = _Membership([o.regions_covered for o in self.offers])
        self._modalities = _Membership([o.modalities for o in self.offers])
        self._peer_home = np.array(
            [o.home_state_code or "" if o.kind == "peer_state" else "" for o in self.offers]
        )
        remaining = np.array([o.remaining for o in self.offers], dtype=np.int64)
        capacity = np.array([o.capacity for o in self.offers], dtype=np.int64)
        self.remaining = remaining
        self._capacity_share = np.divide(
            remaining, capacity, out=np.zeros(len(remaining)), where=capacity > 0
        )
        self._starts, self._ends = _merged_windows(self.offers)
        # Position of each provider by (name, id): the last tie-break.
        by_name = sorted(range(len(self.offers)), key=lambda k: (self.offers[k].name, self.ids[k]))
        self._name_order = np.empty(len(self.offers), dtype=np.int64)
        self._name_order[by_name] = np.arange(len(self.offers))

    def _days(self, need: RequestNeeds) -> NDArray[np.int64]:
        first, last = need.window_start.toordinal(), need.window_end.toordinal()
        overlap = np.minimum(self._ends, last) - np.maximum(self._starts, first) + 1
        return np.asarray(np.clip(overlap, 0, None).sum(axis=1), dtype=np.int64)

    def _able(self, need: RequestNeeds) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
        """Which providers meet every hard constraint, and their days available in the window."""
        days = self._days(need)
        able = (
            self._types.holds(need.assistance_type)
            & self._languages.holds_any(need.languages)
            & (self.remaining > 0)
            & self._modalities.holds(need.modality)
            & (self._peer_home != need.state_code)
            & (days > 0)
        )
        return able, days

    def able_for_all(self, needs: Sequence[RequestNeeds], assistance_type: str) -> list[str]:
        """The providers who offer `assistance_type` and could serve every one of `needs`."""
        able = self._types.holds(assistance_type).copy()
        for need in needs:
            able &= self._able(need)[0]
        return [self.ids[k] for k in np.flatnonzero(able).tolist()]

    def _coverage(self, need: RequestNeeds, indices: NDArray[np.intp]) -> NDArray[np.int64]:
        """Each provider's `NEARNESS` to the request's State (0 the State ... 3 remote)."""
        in_state = self._states.holds(need.state_code)[indices]
        in_sub = self._regions.holds(need.sub_region)[indices]
        in_region = self._regions.holds(need.region)[indices]
        return np.asarray(
            np.where(in_state, 0, np.where(in_sub, 1, np.where(in_region, 2, 3))), dtype=np.int64
        )

    def feasible(
        self, need: RequestNeeds
    ) -> tuple[NDArray[np.intp], dict[str, NDArray[Any]], NDArray[np.int64]]:
        """The providers (as indices into `offers`) that break no hard constraint, each
        factor's value for each of them (a plain number where it is the same for all), and
        their coverage (`NEARNESS`)."""
        able, days = self._able(need)
        indices = np.flatnonzero(able)
        coverage = self._coverage(need, indices)
        geography_values = np.array(
            [GEOGRAPHY[level] for level in sorted(NEARNESS, key=NEARNESS.__getitem__)]
        )
        factors: dict[str, Any] = {
            "assistance_type": 1.0,
            "languages": self._languages.count(need.languages)[indices] / len(need.languages),
            "thematic": (
                self._themes.count(need.themes)[indices] / len(need.themes) if need.themes else 1.0
            ),
            "sdg_targets": (
                self._sdgs.count(need.sdg_targets)[indices] / len(need.sdg_targets)
                if need.sdg_targets
                else 1.0
            ),
            "geography": geography_values[coverage],
            "availability": days[indices] / ((need.window_end - need.window_start).days + 1),
            "modality": 1.0,
            "capacity": self._capacity_share[indices],
        }
        return indices, factors, coverage

    def scores(
        self, need: RequestNeeds, min_score: float = 0.0
    ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """The providers that can serve at `min_score` or more (indices, ascending) and their
        scores."""
        indices, factors, _ = self.feasible(need)
        scores = _weighted_sum(factors, len(indices))
        kept = scores >= min_score
        return indices[kept], scores[kept]

    def rank(self, need: RequestNeeds, min_score: float = 0.0) -> list[Candidate]:
        indices, factors, coverage = self.feasible(need)
        scores = _weighted_sum(factors, len(indices))
        factors = {name: np.broadcast_to(v, indices.shape) for name, v in factors.items()}
        # lexsort: the last key is the first; higher score, more places, nearer, then name.
        order = np.lexsort((self._name_order[indices], coverage, -self.remaining[indices], -scores))
        return [
            Candidate(
                provider_id=self.ids[indices[k]],
                score=float(scores[k]),
                reasons={name: WEIGHTS[name] * float(v[k]) for name, v in factors.items()},
                provider_name=self.offers[indices[k]].name,
            )
            for k in order.tolist()
            if scores[k] >= min_score
        ]

    def eliminations(self, need: RequestNeeds, min_score: float) -> list[tuple[str, int]]:
        """How many providers remain after each hard constraint in turn, then the minimum
        score: `[(constraint, providers left), ...]`, stopping at the first that leaves none
        (the constraint that eliminated the last of them)."""
        steps: list[tuple[str, NDArray[np.bool_]]] = [
            ("assistance_type", self._types.holds(need.assistance_type)),
            ("languages", self._languages.holds_any(need.languages)),
            ("modality", self._modalities.holds(need.modality)),
            ("peer_state", self._peer_home != need.state_code),
            ("availability", self._days(need) > 0),
            ("capacity", self.remaining > 0),
        ]
        left = np.ones(len(self.offers), dtype=bool)
        counts: list[tuple[str, int]] = []
        for name, keeps in steps:
            left = left & keeps
            counts.append((name, int(left.sum())))
            if not left.any():
                return counts
        _, scores = self.scores(need, min_score)
        counts.append(("min_score", len(scores)))
        return counts

    def best_score(self, need: RequestNeeds) -> float:
        _, scores = self.scores(need)
        return float(scores.max()) if len(scores) else 0.0


def _weighted_sum(factors: dict[str, NDArray[Any]], size: int) -> NDArray[np.float64]:
    """Added up in the order of WEIGHTS, as `score` adds its reasons, so the sums are equal."""
    total = np.zeros(size)
    for name, weight in WEIGHTS.items():
        total += weight * factors[name]
    return total


def _merged_windows(offers: Sequence[ProviderOffer]) -> tuple[NDArray[np.int64], ...]:
    """Each provider's availability as disjoint day ranges (ordinals), padded with empty ones."""
    merged = [_merge([(s.toordinal(), e.toordinal()) for s, e in o.availability]) for o in offers]
    width = max((len(m) for m in merged), default=0) or 1
    starts = np.ones((len(offers), width), dtype=np.int64)
    ends = np.zeros((len(offers), width), dtype=np.int64)
    for row, ranges in enumerate(merged):
        for k, (first, last) in enumerate(ranges):
            starts[row, k], ends[row, k] = first, last
    return starts, ends


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for first, last in sorted(r for r in ranges if r[0] <= r[1]):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged
