"""Hard constraints and scores as properties of the pure functions, on generated rosters."""

import datetime as dt
import math
from collections import Counter
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from app.matching.optimizer import solve
from app.matching.roster import rank
from app.matching.scoring import (
    NEARNESS,
    WEIGHTS,
    ProviderOffer,
    RequestNeeds,
    geography,
    score,
    violated_constraint,
)
from tests.matching.strategies import needs, offers, request_sets, rosters
from tests.matching.support import can_serve, days_available

EXAMPLES = settings(max_examples=200, deadline=None, database=None)
DAY = dt.date(2030, 5, 1)


def assert_serves(need: RequestNeeds, offer: ProviderOffer) -> None:
    assert need.assistance_type in offer.assistance_types, "assistance type not offered"
    assert need.languages & offer.languages, "no shared working language"
    assert offer.capacity - offer.occupied > 0, "no capacity left"
    assert days_available(need, offer) > 0, "no day of the window available"
    assert need.modality in offer.modalities, "modality not offered"
    assert not (offer.kind == "peer_state" and offer.home_state_code == need.state_code), (
        "a peer State assisting itself"
    )


@EXAMPLES
@given(need=needs, roster=rosters())
def test_the_candidates_are_exactly_the_providers_that_can_serve(
    need: RequestNeeds, roster: list[ProviderOffer]
) -> None:
    by_id = {o.id: o for o in roster}
    ranked = [c.provider_id for c in rank(need, roster)]
    for provider_id in ranked:
        assert_serves(need, by_id[provider_id])
    assert len(ranked) == len(set(ranked))
    assert set(ranked) == {o.id for o in roster if can_serve(need, o)}


@EXAMPLES
@given(need=needs, offer=offers)
def test_a_constraint_is_named_exactly_when_the_pair_is_infeasible(
    need: RequestNeeds, offer: ProviderOffer
) -> None:
    broken = violated_constraint(need, offer)
    assert (broken is None) == can_serve(need, offer)
    assert (score(need, offer) is None) == (broken is not None)


@EXAMPLES
@given(need=needs, roster=rosters())
def test_rank_orders_unit_scores_that_sum_their_reasons_by_score_then_places_coverage_name(
    need: RequestNeeds, roster: list[ProviderOffer]
) -> None:
    by_id = {o.id: o for o in roster}
    ranked = rank(need, roster)

    def tie_key(provider_id: str) -> tuple[int, int, str, str]:
        offer = by_id[provider_id]
        return (-offer.remaining, NEARNESS[geography(need, offer)], offer.name, offer.id)

    for ahead, behind in pairwise(ranked):
        assert ahead.score > behind.score or (
            ahead.score == behind.score and tie_key(ahead.provider_id) < tie_key(behind.provider_id)
        )
    for candidate in ranked:
        assert 0.0 <= candidate.score <= 1.0
        assert math.isclose(candidate.score, sum(candidate.reasons.values()), abs_tol=1e-12)
        assert set(candidate.reasons) == set(WEIGHTS)
        for factor, part in candidate.reasons.items():
            assert 0.0 <= part <= WEIGHTS[factor] + 1e-12, factor


@EXAMPLES
@given(need=needs, roster=rosters())
def test_ranking_a_roster_scores_every_pair_exactly_as_score_does(
    need: RequestNeeds, roster: list[ProviderOffer]
) -> None:
    """`rank` works on whole columns; `score` on one pair. Same candidates, same bits."""
    ranked = {c.provider_id: c for c in rank(need, roster)}
    one_by_one = {o.id: c for o in roster if (c := score(need, o)) is not None}
    assert ranked == one_by_one


def test_a_perfect_fit_scores_one() -> None:
    need = RequestNeeds(
        id="r",
        state_code="NPL",
        region="Asia",
        sub_region="Southern Asia",
        assistance_type="nmrf_support",
        themes=frozenset({"a1"}),
        languages=frozenset({"en"}),
        modality="in_country",
        window_start=DAY,
        window_end=DAY,
    )
    offer = ProviderOffer(
        id="p",
        kind="consultant",
        home_state_code=None,
        assistance_types=frozenset({"nmrf_support"}),
        themes=frozenset({"a1"}),
        languages=frozenset({"en", "ne"}),
        states_covered=frozenset({"NPL"}),
        regions_covered=frozenset(),
        modalities=frozenset({"in_country"}),
        capacity=3,
        occupied=0,
        availability=((DAY, DAY),),
    )
    candidate = score(need, offer)
    assert candidate is not None
    assert candidate.score == 1.0
    assert candidate.reasons == WEIGHTS


@EXAMPLES
@given(
    requests=request_sets(),
    roster=rosters(max_size=5),
    raw_priorities=st.binary(min_size=6, max_size=6),
)
def test_no_proposal_breaks_a_hard_constraint_or_a_capacity(
    requests: list[RequestNeeds], roster: list[ProviderOffer], raw_priorities: bytes
) -> None:
    priorities = [0.5 + byte / 20 for byte in raw_priorities]
    by_id = {o.id: o for o in roster}
    weights = {
        n.id: {c.provider_id: priority * c.score for c in rank(n, roster)}
        for n, priority in zip(requests, priorities, strict=False)
    }
    solution = solve(weights, {o.id: o.remaining for o in roster})
    needs_by_id = {n.id: n for n in requests}
    for pairing in solution.pairings:
        assert_serves(needs_by_id[pairing.request_id], by_id[pairing.provider_id])
    load = Counter(p.provider_id for p in solution.pairings)
    for provider_id, count in load.items():
        offer = by_id[provider_id]
        assert count <= offer.capacity - offer.occupied
    paired = [p.request_id for p in solution.pairings]
    assert len(paired) == len(set(paired))
    assert sorted(paired + solution.unmatched) == sorted(needs_by_id)
