"""The optimizer against exhaustive search, a greedy foil, and itself on shuffled input."""

import math
import random
from collections import Counter
from collections.abc import Mapping

from hypothesis import given, settings
from hypothesis import strategies as st

from app.matching.optimizer import Solution, solve
from tests.matching.support import best_total, greedy_total

Weights = dict[str, dict[str, float]]
Remaining = dict[str, int]

EXAMPLES = settings(max_examples=200, deadline=None, database=None)


@st.composite
def instances(draw: st.DrawFn) -> tuple[Weights, Remaining]:
    """Up to 6 requests and 4 providers with capacities 0-3; each pair feasible or not, with
    a weight in [0, 10] that is a whole number half of the time (so ties, and several optima,
    are common). Drawn as bytes: a few draws per example keep the generate phase cheap."""
    providers = [f"p{i}" for i in range(draw(st.integers(0, 4)))]
    requests = [f"r{i}" for i in range(draw(st.integers(0, 6)))]
    size = len(providers) * (1 + 2 * len(requests))
    raw = iter(draw(st.binary(min_size=size, max_size=size)))
    remaining = {p: next(raw) % 4 for p in providers}
    weights: Weights = {r: {} for r in requests}
    for r in requests:
        for p in providers:
            kind, value = next(raw), next(raw)
            if kind & 1:
                weights[r][p] = float(value % 5) if kind & 2 else value / 25.5
    return weights, remaining


def assert_valid(solution: Solution, weights: Weights, remaining: Remaining) -> None:
    """Pairs from the input with their input weight, within capacity, each request once."""
    for pairing in solution.pairings:
        assert pairing.provider_id in weights[pairing.request_id]
        assert pairing.weight == weights[pairing.request_id][pairing.provider_id]
    load = Counter(p.provider_id for p in solution.pairings)
    assert all(count <= remaining.get(p, 0) for p, count in load.items()), load
    paired = [p.request_id for p in solution.pairings]
    assert len(paired) == len(set(paired))
    assert solution.unmatched == sorted(set(weights) - set(paired))
    assert math.isclose(solution.total, sum(p.weight for p in solution.pairings), abs_tol=1e-12)


def shuffled(instance: tuple[Weights, Remaining], rng: random.Random) -> tuple[Weights, Remaining]:
    """The same data with every mapping built in another order."""
    weights, remaining = instance

    def reorder(mapping: Mapping[str, object]) -> list[str]:
        keys = list(mapping)
        rng.shuffle(keys)
        return keys

    return (
        {r: {p: weights[r][p] for p in reorder(weights[r])} for r in reorder(weights)},
        {p: remaining[p] for p in reorder(remaining)},
    )


@EXAMPLES
@given(instance=instances())
def test_the_total_equals_the_optimum_found_by_enumeration(
    instance: tuple[Weights, Remaining],
) -> None:
    weights, remaining = instance
    solution = solve(weights, remaining)
    assert_valid(solution, weights, remaining)
    assert math.isclose(solution.total, best_total(weights, remaining), rel_tol=1e-9, abs_tol=1e-9)


def test_the_optimizer_beats_highest_weight_first() -> None:
    # Greedy gives R1 to P (10) and leaves R2, which only P can serve: 10. Best: 9 + 8.
    weights = {"R1": {"P": 10.0, "Q": 9.0}, "R2": {"P": 8.0}}
    remaining = {"P": 1, "Q": 1}
    solution = solve(weights, remaining)
    assert greedy_total(weights, remaining) == 10.0
    assert solution.total == 17.0 == best_total(weights, remaining)
    assert {(p.request_id, p.provider_id) for p in solution.pairings} == {("R1", "Q"), ("R2", "P")}
    assert solution.unmatched == []


def test_a_provider_with_two_slots_takes_the_two_requests_nobody_else_can_serve() -> None:
    # Greedy: R1-P (5), R2-P (4), then R3 finds P full: 9. Best: R1-Q, R2-P, R3-P: 3 + 4 + 3.9.
    weights = {"R1": {"P": 5.0, "Q": 3.0}, "R2": {"P": 4.0}, "R3": {"P": 3.9}}
    remaining = {"P": 2, "Q": 1}
    solution = solve(weights, remaining)
    assert greedy_total(weights, remaining) == 9.0
    assert math.isclose(solution.total, 10.9)
    assert Counter(p.provider_id for p in solution.pairings) == {"P": 2, "Q": 1}


def test_nothing_to_match_gives_an_empty_solution() -> None:
    assert solve({}, {"P": 3}) == Solution([], 0.0, [])
    lonely = solve({"R1": {}, "R2": {"P": 1.0}}, {"P": 0})
    assert (lonely.pairings, lonely.total, lonely.unmatched) == ([], 0.0, ["R1", "R2"])


@EXAMPLES
@given(instance=instances(), seed=st.integers(0, 2**32 - 1))
def test_the_same_data_gives_the_same_solution_in_any_order(
    instance: tuple[Weights, Remaining], seed: int
) -> None:
    first = solve(*instance)
    assert solve(*instance) == first
    again = solve(*shuffled(instance, random.Random(seed)))
    assert again.pairings == first.pairings
    assert again.total == first.total
    assert again.unmatched == first.unmatched
