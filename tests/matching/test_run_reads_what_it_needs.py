"""A run reads only the providers offering its requests' assistance types (and a theme query
for all unfamiliar terms at once), and proposes exactly what the whole roster gives: the same
pairings, scores, total and reasons, on seeded random instances small and larger."""

import dataclasses
import datetime as dt
import random
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from app.assistance import service as assistance
from app.assistance.models import AssistanceRequest
from app.assistance.schemas import OfficerRequestView
from app.core.principal import Principal, PrincipalKind, Role
from app.core.settings import Settings
from app.expertise.models import Assignment, AssignmentStatus, Provider, ProviderKind
from app.expertise.service import occupied
from app.matching import inputs, service
from app.matching.proposal import Proposed, propose
from app.matching.roster import Roster
from app.matching.scoring import ProviderOffer, RequestNeeds
from app.taxonomies.models import Theme
from app.taxonomies.service import theme_codes
from tests.matching.strategies import (
    CODES,
    GENE,
    KINDS,
    LANGUAGES,
    MODALITIES,
    REGIONS,
    TYPES,
    decode_need,
    decode_offer,
    request_sets,
    rosters,
)
from tests.matching.support import stored_request

EXAMPLES = settings(max_examples=150, deadline=None, database=None)
MIN_SCORE = 0.4
PROPOSED = ("request_id", "provider_id", "score", "candidate_score", "priority")


def offering(offers: list[ProviderOffer], needs: list[RequestNeeds]) -> list[ProviderOffer]:
    """What the run reads: the providers offering one of the requests' assistance types."""
    types = {n.assistance_type for n in needs}
    return [o for o in offers if o.assistance_types & types]


def proposed(
    needs: list[RequestNeeds], priorities: dict[str, float], offers: list[ProviderOffer]
) -> Proposed:
    return propose({n.id: n for n in needs}, priorities, Roster(offers), MIN_SCORE)


@EXAMPLES
@given(
    needs=request_sets(max_size=5),
    roster=rosters(max_size=8),
    weights=st.lists(st.sampled_from([1.0, 2.0, 2.5, 4.0]), min_size=5, max_size=5),
)
def test_small_runs_over_the_offering_providers_propose_what_the_whole_roster_does(
    needs: list[RequestNeeds], roster: list[ProviderOffer], weights: list[float]
) -> None:
    priorities = {n.id: w for n, w in zip(needs, weights, strict=False)}

    assert proposed(needs, priorities, offering(roster, needs)) == proposed(
        needs, priorities, roster
    )


def larger_instance(
    seed: int, n_requests: int, n_providers: int
) -> tuple[list[RequestNeeds], dict[str, float], list[ProviderOffer]]:
    """Requests of one or two of the assistance types (so the filter drops providers), equal
    priorities common (so ties between optima are too)."""
    rng = random.Random(seed)
    asked = rng.sample(TYPES, rng.choice([1, 2]))
    needs = [
        dataclasses.replace(
            decode_need(rng.getrandbits(128), f"r{i:03d}"), assistance_type=rng.choice(asked)
        )
        for i in range(n_requests)
    ]
    ids = [f"p{i:03d}" for i in range(n_providers)]
    rng.shuffle(ids)
    offers = [decode_offer(rng.getrandbits(128), pid) for pid in ids]
    priorities = {n.id: float(rng.choice([1, 2, 3, 5])) for n in needs}
    return needs, priorities, offers


def test_larger_runs_over_the_offering_providers_propose_what_the_whole_roster_does() -> None:
    for seed in range(12):
        for n_requests, n_providers in ((10, 60), (80, 40), (200, 150)):
            needs, priorities, offers = larger_instance(seed, n_requests, n_providers)
            some = offering(offers, needs)
            assert len(some) < len(offers)  # the filter has something to drop

            assert proposed(needs, priorities, some) == proposed(needs, priorities, offers)


# --- the same, read from the database -----------------------------------------------------------

AVAILABLE = [
    {"start": "2030-01-01", "end": "2030-06-30"},
    {"start": "2030-05-01", "end": "2030-12-31"},
]
THEME_TERMS = ["F13", "Women's rights", "d23", "Death penalty", "X9", "Space exploration", "G3"]


def stored_provider(db: Session, rng: random.Random, n: int) -> Provider:
    kind = rng.choice(KINDS)
    provider = Provider(
        name=f"Provider {n % 7}",
        kind=ProviderKind(kind),
        assistance_types=rng.sample(TYPES, rng.randint(0, 2)),
        themes=rng.sample(THEME_TERMS, rng.randint(0, 3)),
        sdg_targets=rng.sample(["16.3", "5.1"], rng.randint(0, 1)),
        languages=rng.sample(LANGUAGES, rng.randint(1, 2)),
        states_covered=rng.sample(CODES, rng.randint(0, 2)),
        regions_covered=rng.sample(REGIONS, rng.randint(0, 2)),
        home_state_code=rng.choice(CODES) if kind == "peer_state" else None,
        modalities=rng.sample(MODALITIES, rng.randint(1, 3)),
        capacity=rng.randint(1, 3),
        availability=rng.sample(AVAILABLE, rng.randint(1, 2)),
        is_active=rng.random() < 0.85,
    )
    db.add(provider)
    return provider


def stored_requests(db: Session, rng: random.Random, count: int, asked: list[str]) -> list[str]:
    ids = []
    for n in range(count):
        start = dt.date(2030, 1, 1) + dt.timedelta(days=rng.randint(0, 200))
        request_id = stored_request(
            db,
            state=rng.choice(CODES),
            assistance_type=rng.choice(asked),
            languages=rng.sample(LANGUAGES, rng.randint(1, 2)),
            modality=rng.choice(MODALITIES),
            window_start=start.isoformat(),
            window_end=(start + dt.timedelta(days=rng.randint(0, 120))).isoformat(),
            urgency=rng.choice(["low", "medium", "high", "critical"]),
            title=f"Request {n}",
        )
        request = db.get(AssistanceRequest, uuid.UUID(request_id))
        assert request is not None
        request.themes = rng.sample(THEME_TERMS, rng.randint(0, 2))
        db.add(request)
        ids.append(request_id)
    db.flush()
    return ids


def full_computation(db: Session, who: Principal, settings: Settings, ids: list[str]) -> Proposed:
    """The run as computed before it read only what it needs: over the whole active roster."""
    requests = service._open_requests(db, [uuid.UUID(i) for i in ids])
    views = assistance.view(db, who, requests, settings=settings)
    priorities = {str(v.id): v.priority.score for v in views if isinstance(v, OfficerRequestView)}
    needs = inputs.needs_of(db, requests)
    return propose(needs, priorities, Roster(inputs.active_offers(db)), settings.matching_min_score)


def test_a_stored_run_proposes_what_the_whole_roster_does(db: Session, settings: Settings) -> None:
    rng = random.Random(17)
    db.add(Theme(code="G3", name="Indigenous peoples (UHRI)", key="indigenous peoples (uhri)"))
    providers = [stored_provider(db, rng, n) for n in range(25)]
    db.flush()
    for request_id in stored_requests(db, rng, 12, list(TYPES)):  # places held, and not
        holding = Assignment(request_id=uuid.UUID(request_id), provider_id=rng.choice(providers).id)
        status = rng.choice([AssignmentStatus.accepted, AssignmentStatus.declined])
        db.add(holding)
        db.add(
            Assignment(
                request_id=holding.request_id, provider_id=holding.provider_id, status=status
            )
        )
    db.flush()
    who = Principal(uuid.uuid4(), PrincipalKind.user, Role.ohchr_officer, None)
    reasons = set()

    for asked in (list(TYPES[:1]), list(TYPES[1:]), list(TYPES), list(TYPES[2:])):
        ids = stored_requests(db, rng, 10, asked)
        run = service.create_run(db, who, [uuid.UUID(i) for i in ids])
        service.compute_run(db, who, settings, run)
        expected = full_computation(db, who, settings, ids)

        assert [{k: p[k] for k in PROPOSED} for p in run.proposals] == expected.proposals
        assert run.total_score == expected.total
        assert run.unmatched == expected.unmatched_reasons
        assert run.request_ids == sorted(ids)
        reasons |= {u["reason"] for u in run.unmatched}
    # the unmatched both for want of a provider and outranked
    assert "candidates_went_to_higher_weight" in reasons
    assert len(reasons) >= 2, reasons


def test_offers_of_some_types_are_the_active_roster_offering_them(db: Session) -> None:
    rng = random.Random(3)
    providers = [stored_provider(db, rng, n) for n in range(30)]
    db.flush()
    for request_id in stored_requests(db, rng, 10, list(TYPES)):
        db.add(Assignment(request_id=uuid.UUID(request_id), provider_id=rng.choice(providers).id))
    db.flush()
    roster = inputs.active_offers(db)
    load = occupied(db, [p.id for p in providers])

    assert [o.id for o in roster] == sorted(str(p.id) for p in providers if p.is_active)
    assert {o.id: o.occupied for o in roster} == {
        o.id: load.get(uuid.UUID(o.id), 0) for o in roster
    }
    for types in ([], list(TYPES[:1]), list(TYPES[1:]), list(TYPES)):
        expected = [o for o in roster if o.assistance_types & set(types)]
        assert inputs.active_offers(db, types) == expected


def test_theme_codes_of_many_terms_are_each_terms_theme_codes(db: Session) -> None:
    db.add(Theme(code="G3", name="Indigenous peoples (UHRI)", key="indigenous peoples (uhri)"))
    db.add(Theme(code=None, name="Space exploration", key="space exploration"))
    db.flush()
    terms = [
        *THEME_TERMS,
        "f13",
        " women's  RIGHTS ",
        "Violence against women",
        "NHRI",
        "g3",
        "Indigenous peoples (UHRI)",
        "INDIGENOUS  peoples (uhri)",
        "Space  Exploration",
        "",
        "  ",
    ]

    codes = inputs.theme_codes_of(db, [terms[:5], terms[5:]])

    assert codes == {term: frozenset(theme_codes(db, [term])) for term in terms}


@EXAMPLES
@given(genes=st.lists(GENE, min_size=1, max_size=6))
def test_offering_keeps_exactly_the_providers_of_a_requested_type(genes: list[int]) -> None:
    """The filter the database applies, stated on the dataclasses: a provider offering none of
    the requested types is never a candidate (so dropping it changes no proposal)."""
    needs = [decode_need(gene, f"r{i}") for i, gene in enumerate(genes)]
    offers = [decode_offer(gene, f"p{i}") for i, gene in enumerate(genes)]
    roster = Roster(offers)
    kept = {o.id for o in offering(offers, needs)}
    for need in needs:
        indices, _ = roster.scores(need)
        assert {roster.ids[k] for k in indices.tolist()} <= kept
