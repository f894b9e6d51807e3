"""Fit before optimality, and reasons an officer can repeat: the type is a hard constraint, a
pairing below the minimum score is no candidate, every unserved request says why, every factor
of every candidate has its sentence (English and French), and ties go by places, coverage and
name."""

import datetime as dt
from collections import Counter

from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from app.matching import explain
from app.matching.proposal import propose
from app.matching.roster import Roster, rank
from app.matching.scoring import WEIGHTS, ProviderOffer, RequestNeeds, score
from tests.core.test_problems import assert_problem
from tests.matching.strategies import needs, request_sets, rosters
from tests.matching.support import (
    REQUESTS,
    RUNS,
    Headers,
    Json,
    best_total,
    can_serve,
    completed_run,
    create_provider,
    headers_for,
    officer,
    stored_request,
)

EXAMPLES = settings(max_examples=150, deadline=None, database=None)
DAY = dt.date(2030, 5, 1)


def run(client: TestClient, headers: Headers, **body: object) -> Json:
    return completed_run(client, headers, body or None)


def candidates(
    client: TestClient, headers: Headers, request_id: str, language: str | None = None
) -> list[Json]:
    extra = {"Accept-Language": language} if language else {}
    response = client.get(f"{REQUESTS}/{request_id}/candidates", headers={**headers, **extra})
    assert response.status_code == 200, response.text
    items: list[Json] = response.json()["items"]
    return items


# --- over HTTP ------------------------------------------------------------------------------------


def test_comoros_asking_for_a_type_nobody_offers_is_unmatched_with_its_reason(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    comoros = stored_request(
        db, state="COM", assistance_type="gender_mainstreaming", languages=["fr", "ar"]
    )
    served = stored_request(db, state="SEN", languages=["fr"])
    # Speaks French, covers the Comoros, has room: only the type is wrong.
    create_provider(
        client, caller, languages=["fr", "ar"], states_covered=["COM", "SEN"], capacity=3
    )

    assert candidates(client, caller, comoros) == []
    result = run(client, caller)

    assert comoros not in {p["request_id"] for p in result["proposals"]}
    assert served in {p["request_id"] for p in result["proposals"]}
    assert result["unmatched"] == [comoros]
    assert result["unmatched_reasons"] == [
        {
            "request_id": comoros,
            "reasons": ["no provider offers gender mainstreaming"],
            "reason": "no_provider_offers_type",
        }
    ]
    again = client.get(f"{RUNS}/{result['id']}", headers=caller).json()
    assert again["unmatched_reasons"] == result["unmatched_reasons"]


def test_the_only_candidates_being_full_is_the_reason(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    request_id = stored_request(db, state="NPL")
    create_provider(client, caller, capacity=0)
    result = run(client, caller)
    assert result["unmatched_reasons"] == [
        {
            "request_id": request_id,
            "reasons": ["the only candidates are full"],
            "reason": "none_with_capacity_left",
        }
    ]


def test_the_provider_who_speaks_the_requested_bengali_ranks_first(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    request_id = stored_request(db, state="BGD", languages=["bn", "en"])
    # Alike in all else; the English-only one would win on its name.
    english = create_provider(client, caller, name="Aaron Adviser", languages=["en"])
    bengali = create_provider(client, caller, name="Zia Adviser", languages=["bn", "en"])

    ranked = candidates(client, caller, request_id)

    assert [c["provider_id"] for c in ranked] == [bengali["id"], english["id"]]
    assert [c["provider_name"] for c in ranked] == ["Zia Adviser", "Aaron Adviser"]
    first = {e["factor"]: e for e in ranked[0]["explanation"]}
    second = {e["factor"]: e for e in ranked[1]["explanation"]}
    assert first["languages"]["text"] == "speaks Bengali and English (both requested)"
    assert first["languages"]["value"] == 1.0
    assert second["languages"]["value"] == 0.5
    assert "not Bengali" in second["languages"]["text"]


def test_each_candidate_explains_every_factor_in_english_or_french(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    request_id = stored_request(db, state="NPL", assistance_type="gender_mainstreaming")
    create_provider(
        client,
        caller,
        assistance_types=["gender_mainstreaming"],
        regions_covered=["Southern Asia"],
        capacity=3,
    )

    (english,) = candidates(client, caller, request_id)
    (french,) = candidates(client, caller, request_id, "fr-CH, fr;q=0.9, en;q=0.8")

    for candidate in (english, french):
        assert [e["factor"] for e in candidate["explanation"]] == list(WEIGHTS)
        for entry in candidate["explanation"]:
            assert entry["weight"] == WEIGHTS[entry["factor"]]
            assert entry["contribution"] == candidate["reasons"][entry["factor"]]
            assert abs(entry["weight"] * entry["value"] - entry["contribution"]) < 1e-12
            assert entry["text"]
    texts = {e["factor"]: e["text"] for e in english["explanation"]}
    textes = {e["factor"]: e["text"] for e in french["explanation"]}
    assert texts["assistance_type"] == "offers gender mainstreaming"
    assert textes["assistance_type"] == "propose l'intégration des questions de genre"
    assert texts["geography"] == "covers Southern Asia (the sub-region)"
    assert texts["capacity"] == "3 of 3 places left"
    assert texts["availability"] == "free for 100% of the window"
    assert texts["languages"] == "speaks English (requested)"


def test_every_proposal_of_a_run_says_why_in_english_or_french(
    client: TestClient, db: Session, settings: Settings
) -> None:
    """An officer reading a run can say, for every proposal, why that provider: one sentence
    per factor, as the candidates list gives it."""
    caller = officer(db, settings)
    request_id = stored_request(db, state="BGD", languages=["bn", "en"])
    create_provider(client, caller, name="Zia Adviser", languages=["bn", "en"])
    expected = {e["factor"]: e for e in candidates(client, caller, request_id)[0]["explanation"]}

    made = run(client, caller)
    again = client.get(f"{RUNS}/{made['id']}", headers={**caller, "Accept-Language": "fr"})

    (proposal,) = made["proposals"]
    assert {e["factor"]: e for e in proposal["explanation"]} == expected
    (proposition,) = again.json()["proposals"]
    assert [e["factor"] for e in proposition["explanation"]] == list(WEIGHTS)
    textes = {e["factor"]: e["text"] for e in proposition["explanation"]}
    assert textes["assistance_type"] != expected["assistance_type"]["text"]
    assert all(textes.values())


def test_matching_runs_are_listed_newest_first_for_officers_only(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    request_id = stored_request(db, state="NPL", title="Prison officials in Nepal")
    provider = create_provider(client, caller, name="Ada Adviser")
    first = run(client, caller)
    second = run(client, caller, request_ids=[request_id])
    third = run(client, caller)

    (proposal,) = third["proposals"]
    assert proposal["provider_name"] == "Ada Adviser"
    assert proposal["provider_id"] == provider["id"]
    assert proposal["request_title"] == "Prison officials in Nepal"
    assert proposal["state_code"] == "NPL"

    page = client.get(RUNS, params={"limit": 2}, headers=caller)
    assert page.status_code == 200, page.text
    listed = page.json()
    rest = client.get(
        RUNS, params={"limit": 2, "cursor": listed["next_cursor"]}, headers=caller
    ).json()
    ids = [r["id"] for r in listed["items"] + rest["items"]]
    assert ids[:3] == [third["id"], second["id"], first["id"]]
    newest = listed["items"][0]
    assert newest["proposal_count"] == 1 and newest["unmatched_count"] == 0
    assert newest["total_score"] == third["total_score"]
    assert newest["created_by_id"] is not None
    focal = headers_for(db, settings, Role.state_focal_point, "NPL")
    assert_problem(client.get(RUNS, headers=focal), 403, "forbidden")


# --- the pure functions -----------------------------------------------------------------------


def _need(**overrides: object) -> RequestNeeds:
    fields: dict[str, object] = {
        "id": "r",
        "state_code": "NPL",
        "region": "Asia",
        "sub_region": "Southern Asia",
        "assistance_type": "nmrf_support",
        "themes": frozenset({"a1"}),
        "languages": frozenset({"en"}),
        "modality": "remote",
        "window_start": DAY,
        "window_end": DAY,
    }
    fields.update(overrides)
    return RequestNeeds(**fields)  # type: ignore[arg-type]


def _offer(provider_id: str, **overrides: object) -> ProviderOffer:
    fields: dict[str, object] = {
        "id": provider_id,
        "kind": "consultant",
        "home_state_code": None,
        "assistance_types": frozenset({"nmrf_support"}),
        "themes": frozenset({"a1"}),
        "languages": frozenset({"en"}),
        "states_covered": frozenset(),
        "regions_covered": frozenset(),
        "modalities": frozenset({"remote"}),
        "capacity": 2,
        "occupied": 0,
        "availability": ((DAY, DAY),),
        "name": provider_id,
    }
    fields.update(overrides)
    return ProviderOffer(**fields)  # type: ignore[arg-type]


def test_ties_go_to_more_places_then_nearer_coverage_then_name_never_the_id() -> None:
    need = _need()
    roster = [
        # All score the same: full capacity share, region or sub-region (both 0.6).
        _offer("id-1", name="Zoe", capacity=2, regions_covered=frozenset({"Asia"})),
        _offer("id-2", name="Yan", capacity=3, regions_covered=frozenset({"Asia"})),
        _offer("id-3", name="Xu", capacity=2, regions_covered=frozenset({"Southern Asia"})),
        _offer("id-4", name="Ana", capacity=2, regions_covered=frozenset({"Asia"})),
        _offer("id-0", name="Bea", capacity=2, regions_covered=frozenset({"Asia"})),
    ]
    ranked = rank(need, roster)
    assert len({c.score for c in ranked}) == 1
    # Yan: 3 places; Xu: the sub-region; then Ana, Bea, Zoe by name (not id-0 first).
    assert [c.provider_name for c in ranked] == ["Yan", "Xu", "Ana", "Bea", "Zoe"]


def test_a_pairing_below_the_minimum_score_is_no_candidate() -> None:
    need = _need(languages=frozenset({"en", "fr", "ar"}), themes=frozenset({"a1", "b2"}))
    weak = _offer("weak", themes=frozenset(), occupied=1, capacity=2)
    candidate = score(need, weak)
    assert candidate is not None
    assert score(need, weak, candidate.score) is not None
    assert score(need, weak, candidate.score + 1e-9) is None
    assert rank(need, [weak], candidate.score + 1e-9) == []
    proposed = propose({"r": need}, {"r": 1.0}, Roster([weak]), candidate.score + 1e-9)
    assert proposed.proposals == []
    ((reason,),) = [u["reasons"] for u in proposed.unmatched_reasons]
    assert reason.startswith("the only candidates score below the minimum")


@EXAMPLES
@given(
    requests=request_sets(max_size=5),
    roster=rosters(max_size=4),
    raw_priorities=st.binary(min_size=5, max_size=5),
    min_score=st.sampled_from([0.0, 0.4, 0.6, 0.8, 0.95]),
)
def test_no_proposal_breaks_a_constraint_or_the_minimum_and_the_run_is_optimal(
    requests: list[RequestNeeds],
    roster: list[ProviderOffer],
    raw_priorities: bytes,
    min_score: float,
) -> None:
    priorities = {n.id: 0.5 + byte / 20 for n, byte in zip(requests, raw_priorities, strict=False)}
    requests = [n for n in requests if n.id in priorities]
    by_id = {o.id: o for o in roster}
    needs_by_id = {n.id: n for n in requests}
    proposed = propose(needs_by_id, priorities, Roster(roster), min_score)

    for p in proposed.proposals:
        need, offer = needs_by_id[p["request_id"]], by_id[p["provider_id"]]
        assert can_serve(need, offer)
        assert p["candidate_score"] >= min_score
    load = Counter(p["provider_id"] for p in proposed.proposals)
    assert all(count <= by_id[pid].remaining for pid, count in load.items())
    # Optimal over the pairings that remain, by enumeration.
    weights = {
        n.id: {c.provider_id: priorities[n.id] * c.score for c in rank(n, roster, min_score)}
        for n in requests
    }
    assert abs(proposed.total - best_total(weights, {o.id: o.remaining for o in roster})) < 1e-9
    # Every request left unserved says why, in words.
    paired = {p["request_id"] for p in proposed.proposals}
    assert [u["request_id"] for u in proposed.unmatched_reasons] == proposed.unmatched
    assert set(proposed.unmatched) == set(needs_by_id) - paired
    for entry in proposed.unmatched_reasons:
        assert entry["reasons"] and all(entry["reasons"])
        if not weights[entry["request_id"]]:
            assert "given to requests of higher weight" not in entry["reasons"][0]


@EXAMPLES
@given(need=needs, roster=rosters())
def test_every_factor_of_every_candidate_has_its_sentence_in_english_and_french(
    need: RequestNeeds, roster: list[ProviderOffer]
) -> None:
    by_id = {o.id: o for o in roster}
    for candidate in rank(need, roster):
        offer = by_id[candidate.provider_id]
        english = explain.explanation(need, offer, candidate.reasons, "en")
        french = explain.explanation(need, offer, candidate.reasons, "fr")
        for entries in (english, french):
            assert [e["factor"] for e in entries] == list(WEIGHTS)
            for entry in entries:
                assert isinstance(entry["text"], str) and entry["text"].strip()
                assert 0.0 <= entry["value"] <= 1.0 + 1e-12
        assert [e["text"] for e in english] != [e["text"] for e in french]


@EXAMPLES
@given(need=needs, roster=rosters())
def test_an_unserved_request_gets_a_reason_in_both_languages(
    need: RequestNeeds, roster: list[ProviderOffer]
) -> None:
    built = Roster(roster)
    eliminations = built.eliminations(need, 0.4)
    for lang in ("en", "fr"):
        reasons = explain.unmatched_reasons(need, eliminations, 0.4, built.best_score(need), lang)
        assert reasons and all(r.strip() for r in reasons)
    # The constraint named is the one that left nobody.
    if eliminations[-1][1] == 0 and eliminations[-1][0] == "assistance_type":
        assert not any(need.assistance_type in o.assistance_types for o in roster)


def test_joint_activity_proposals_name_their_requests_and_providers(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    nepal = stored_request(db, state="NPL", title="Officials in Nepal")
    bangladesh = stored_request(db, state="BGD", title="Officials in Bangladesh")
    zed = create_provider(client, caller, name="Zed Adviser")
    amy = create_provider(client, caller, name="Amy Adviser")

    response = client.get(f"{RUNS.rsplit('/', 1)[0]}/joint-activity-proposals", headers=caller)
    assert response.status_code == 200, response.text
    (group,) = response.json()["items"]

    titles = {nepal: "Officials in Nepal", bangladesh: "Officials in Bangladesh"}
    assert group["request_titles"] == [titles[r] for r in group["request_ids"]]
    names = {zed["id"]: "Zed Adviser", amy["id"]: "Amy Adviser"}
    assert set(group["provider_ids"]) == set(names)
    assert group["provider_names"] == [names[p] for p in group["provider_ids"]]


def test_matching_compares_theme_codes_so_a_coded_provider_meets_an_issue_name(
    db: Session,
) -> None:
    """One vocabulary: a provider tagged F13 and a request tagged with the UPR Info issue
    "Women's rights" (crosswalked to F11-F14) share a theme; unrelated themes do not."""
    from app.matching.inputs import codes_of, theme_codes_of

    codes = theme_codes_of(db, [["F13"], ["Women's rights"], ["D23"]])

    assert codes_of(codes, ["F13"]) & codes_of(codes, ["Women's rights"]) == {"F13"}
    assert not codes_of(codes, ["D23"]) & codes_of(codes, ["Women's rights"])
