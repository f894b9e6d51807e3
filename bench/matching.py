"""Matching at scale: candidates, weights and the optimal proposal, checked against an exact LP.

    .venv/bin/python bench/matching.py [--requests 10000] [--providers 2000] [--seed 1]
        [--profile N] [--no-reference]

Builds an instance in memory from the pure dataclasses of `app.matching.scoring` (no database):
accepted requests over the 195 reference States and providers of the 11 kinds, with the spreads
described at `build_instance`. Then, in a spawned child, one full run as `run_matching` computes
it: the `Roster` built from the offers, then `proposal.propose` (candidates for every
request, weights `priority x score`, `optimizer.solve_pairs`); then those two parts again,
timed apart. Printed:
the wall and CPU time of the full run and of each step, the peak memory of the full run, the
feasible pairs and graph edges, and the optimality gap against an independent exact reference:
the same instance as a linear programme over the feasible pairs (each request at most one
provider, each provider at most its remaining capacity) solved by HiGHS through
`scipy.optimize.linprog`. The constraint matrix is a bipartite incidence matrix, so totally
unimodular: the LP optimum is integral, and it is the optimum. Figures are printed, never
asserted; the target is a full run under 10 s.

The parent never imports the app: a spawned child starts with its parent's peak RSS as its own
`ru_maxrss`, so a small parent is what makes the child's peak growth its own.

`--profile N` also runs the full run under cProfile in this process and prints the N functions
with the most cumulative time (the profiler roughly doubles the time; the shares are the point).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import multiprocessing
import os
import pstats
import random
import re
import resource
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_array

if TYPE_CHECKING:
    from app.matching.scoring import ProviderOffer, RequestNeeds

TARGET_SECONDS = 10.0
NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
HORIZON = (dt.date(2027, 1, 1), dt.date(2028, 12, 31))

# Working languages: the six UN languages, Portuguese, and a few others seen in requests.
LANGUAGE_SKEW = {
    "en": 40,
    "fr": 18,
    "es": 14,
    "ar": 10,
    "ru": 7,
    "pt": 4,
    "zh": 3,
    "sw": 1,
    "de": 1,
    "fa": 1,
    "tr": 0.5,
    "id": 0.5,
}
# A State's first language, by M49 region.
REGION_LANGUAGES = {
    "Africa": {"fr": 40, "en": 38, "ar": 12, "pt": 7, "sw": 3},
    "Americas": {"es": 55, "en": 30, "pt": 8, "fr": 7},
    "Asia": {"en": 45, "ar": 25, "ru": 12, "zh": 6, "fa": 5, "tr": 4, "id": 3},
    "Europe": {"en": 45, "ru": 20, "fr": 15, "es": 8, "de": 7, "pt": 5},
    "Oceania": {"en": 85, "fr": 15},
}
REQUESTED_TYPES = {  # how often each assistance type is asked for
    "legislative_review": 12,
    "nhri_establishment_or_strengthening": 9,
    "nmrf_support": 10,
    "human_rights_indicators_and_data": 9,
    "training_of_officials": 14,
    "parliamentary_engagement": 5,
    "gender_mainstreaming": 8,
    "economic_social_cultural_rights": 7,
    "transitional_justice": 3,
    "civic_space_and_participation": 5,
    "human_rights_education": 6,
    "treaty_reporting": 8,
    "rule_of_law_and_justice": 7,
    "other": 2,
}
# kind: (share of providers, the assistance types it offers first, P(remote, in_country, regional))
KINDS: dict[str, tuple[float, list[str], tuple[float, float, float]]] = {
    "human_rights_adviser": (
        12,
        ["nmrf_support", "treaty_reporting", "training_of_officials"],
        (0.7, 0.9, 0.4),
    ),
    "regional_gender_adviser": (5, ["gender_mainstreaming"], (0.8, 0.5, 0.8)),
    "surge_economist": (4, ["economic_social_cultural_rights"], (0.9, 0.4, 0.3)),
    "capacity_building_officer": (
        8,
        ["training_of_officials", "human_rights_education"],
        (0.6, 0.8, 0.5),
    ),
    "peace_and_development_adviser": (
        5,
        ["transitional_justice", "civic_space_and_participation"],
        (0.5, 0.9, 0.3),
    ),
    "data_specialist": (6, ["human_rights_indicators_and_data"], (0.95, 0.3, 0.2)),
    "un_agency": (10, ["rule_of_law_and_justice", "legislative_review"], (0.8, 0.9, 0.7)),
    "nhri_network": (5, ["nhri_establishment_or_strengthening"], (0.8, 0.4, 0.8)),
    "parliamentary_partner": (5, ["parliamentary_engagement"], (0.7, 0.6, 0.5)),
    "peer_state": (10, ["legislative_review", "training_of_officials"], (0.6, 0.8, 0.3)),
    "consultant": (30, ["legislative_review", "treaty_reporting"], (0.95, 0.5, 0.2)),
}
# UHRI-like theme codes (A international framework, B cross-cutting, D civil and political,
# E economic, social and cultural, F women and children, G other groups, H defenders): 80 codes.
THEME_POOL = [
    f"{letter}{number}"
    for letter, count in (("a", 12), ("b", 12), ("d", 16), ("e", 16), ("f", 10), ("g", 10))
    for number in range(1, count + 1)
] + ["h1", "h2", "h3", "h4"]
URGENCY = {"low": 20, "medium": 45, "high": 25, "critical": 10}
SEVERITY = {None: 40, "low": 12, "medium": 24, "high": 18, "critical": 6}
CAPACITY = {1: 30, 2: 30, 3: 20, 4: 10, 5: 10}


@dataclass(frozen=True)
class Instance:
    needs: list[RequestNeeds]
    offers: list[ProviderOffer]
    priorities: dict[str, float]


# --- the instance -------------------------------------------------------------------------------


def _pick(rng: random.Random, weights: Mapping[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _picks(rng: random.Random, weights: Mapping[str, float], n: int) -> set[str]:
    chosen: set[str] = set()
    while len(chosen) < min(n, len(weights)):
        chosen.add(_pick(rng, weights))
    return chosen


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _window(rng: random.Random, min_days: int, max_days: int) -> tuple[dt.date, dt.date]:
    length = rng.randint(min_days, max_days)
    span = (HORIZON[1] - HORIZON[0]).days - length
    start = HORIZON[0] + dt.timedelta(days=rng.randint(0, span))
    return start, start + dt.timedelta(days=length - 1)


def build_instance(n_requests: int, n_providers: int, seed: int) -> Instance:
    """Requests: States drawn with LDCs twice and SIDS 1.5 times as likely; a State's first
    language from its region, English added to 55 % of requests and a third language to 15 %;
    1-5 themes from the 80 codes with a Zipf-like popularity; windows of 1-9 months in
    2027-2028; priority from `app.assistance.priority` with the State's LDC/SIDS flags, 8 % of
    States emerging from conflict and 10 % with particular needs, urgency, worst linked shortfall
    and 0-150 days waited. Providers: the 11 kinds in the shares of `KINDS`, 1-8 assistance types
    (the kind's own first), 1-4 languages (English for 80 %), 3-15 themes, coverage by kind
    (a few States of one sub-region for advisers, dozens of one region for UN agencies, remote
    consultants), modalities by kind, 1-3 availability windows of 2-12 months, capacity 1-5
    with 40 % partly or fully occupied; peer States have a home State."""
    from app.assistance.priority import PriorityInputs, priority
    from app.core.settings import PriorityWeights
    from app.matching.scoring import ProviderOffer, RequestNeeds
    from app.states.reference import load_reference_states
    from app.taxonomies.vocabularies import AssistanceType

    rng = random.Random(seed)
    states = load_reference_states()
    by_code = {s.code: s for s in states}
    types = [t.value for t in AssistanceType]
    requested = {t: REQUESTED_TYPES.get(t, 1) for t in types}
    first_language = {s.code: _pick(rng, REGION_LANGUAGES[s.region]) for s in states}
    conflict = set(rng.sample(sorted(by_code), round(0.08 * len(states))))
    particular = set(rng.sample(sorted(by_code), round(0.10 * len(states))))
    themes = THEME_POOL[:]
    rng.shuffle(themes)
    theme_skew = {code: 1 / (rank + 1) ** 0.8 for rank, code in enumerate(themes)}
    state_skew = {s.code: 1 + s.is_ldc + 0.5 * s.is_sids for s in states}
    weights = PriorityWeights()

    needs: list[RequestNeeds] = []
    priorities: dict[str, float] = {}
    for _ in range(n_requests):
        state = by_code[_pick(rng, state_skew)]
        languages = {first_language[state.code]}
        if rng.random() < 0.55:
            languages.add("en")
        if rng.random() < 0.15:
            languages.add(_pick(rng, LANGUAGE_SKEW))
        start, end = _window(rng, 30, 274)
        need = RequestNeeds(
            id=_id(rng),
            state_code=state.code,
            region=state.region,
            sub_region=state.sub_region,
            assistance_type=_pick(rng, requested),
            themes=frozenset(_picks(rng, theme_skew, rng.randint(1, 5))),
            languages=frozenset(languages),
            modality=_pick(rng, {"remote": 35, "in_country": 50, "regional": 15}),
            window_start=start,
            window_end=end,
        )
        inputs = PriorityInputs(
            is_ldc=state.is_ldc,
            is_lldc=state.is_lldc,
            is_sids=state.is_sids,
            emerging_from_conflict=state.code in conflict,
            particular_needs=state.code in particular,
            urgency=_pick(rng, URGENCY),
            worst_shortfall_severity=_pick(rng, SEVERITY),
            submitted_at=NOW - dt.timedelta(days=rng.uniform(0, 150)),
        )
        needs.append(need)
        priorities[need.id] = priority(inputs, weights, NOW).score

    kind_share = {kind: spec[0] for kind, spec in KINDS.items()}
    sub_regions: dict[str, list[str]] = {}
    regions: dict[str, list[str]] = {}
    for s in states:
        sub_regions.setdefault(s.sub_region, []).append(s.code)
        regions.setdefault(s.region, []).append(s.code)
    offers: list[ProviderOffer] = []
    for _ in range(n_providers):
        kind = _pick(rng, kind_share)
        _share, own_types, modality_odds = KINDS[kind]
        home = rng.choice(states)
        wanted = rng.randint(1, 8)
        offered = set(own_types[: min(wanted, rng.randint(1, len(own_types)))])
        while len(offered) < wanted:
            offered.add(rng.choice(types))
        languages = {"en"} if rng.random() < 0.8 else {_pick(rng, REGION_LANGUAGES[home.region])}
        spoken = _pick(rng, {1: 25, 2: 40, 3: 25, 4: 10})
        while len(languages) < spoken:
            languages.add(_pick(rng, LANGUAGE_SKEW))
        modalities = {
            m
            for m, p in zip(("remote", "in_country", "regional"), modality_odds, strict=True)
            if rng.random() < p
        } or {"remote"}
        covered, covered_regions = _coverage(rng, kind, home, sub_regions, regions)
        capacity = _pick(rng, CAPACITY)
        offers.append(
            ProviderOffer(
                id=_id(rng),
                kind=kind,
                home_state_code=home.code if kind == "peer_state" else None,
                assistance_types=frozenset(offered),
                themes=frozenset(_picks(rng, theme_skew, rng.randint(3, 15))),
                languages=frozenset(languages),
                states_covered=frozenset(covered),
                regions_covered=frozenset(covered_regions),
                modalities=frozenset(modalities),
                capacity=capacity,
                occupied=rng.randint(1, capacity) if rng.random() < 0.4 else 0,
                availability=tuple(_window(rng, 61, 365) for _ in range(rng.randint(1, 3))),
            )
        )
    return Instance(needs, offers, priorities)


def _coverage(
    rng: random.Random,
    kind: str,
    home: Any,
    sub_regions: dict[str, list[str]],
    regions: dict[str, list[str]],
) -> tuple[set[str], set[str]]:
    """States and regions a provider covers: local for advisers, wide for agencies."""
    near = sub_regions[home.sub_region]
    wide = regions[home.region]
    if kind in ("human_rights_adviser", "peace_and_development_adviser"):
        states = set(rng.sample(near, min(len(near), rng.randint(1, 4))))
        return states, {home.sub_region} if rng.random() < 0.5 else set()
    if kind in ("regional_gender_adviser", "nhri_network", "surge_economist"):
        return set(rng.sample(wide, rng.randint(0, 3))), {home.region, home.sub_region}
    if kind == "un_agency":
        states = set(rng.sample(wide, min(len(wide), rng.randint(5, 40))))
        return states, {home.region} | ({home.sub_region} if rng.random() < 0.5 else set())
    if kind == "peer_state":
        states = set(rng.sample(wide, rng.randint(0, 5))) - {home.code}
        return states, {home.sub_region} if rng.random() < 0.6 else set()
    if kind == "parliamentary_partner":
        everywhere = [code for codes in regions.values() for code in codes]
        return set(rng.sample(everywhere, rng.randint(2, 10))), set()
    states = set(rng.sample(wide, min(len(wide), rng.randint(0, 3))))
    return states, {home.region} if rng.random() < 0.3 else set()


# --- the full run, as run_matching computes it --------------------------------------------------


def _clocks() -> np.ndarray:
    return np.array([time.perf_counter(), time.process_time()])


def min_score() -> float:
    """The service's default `MATCHING_MIN_SCORE`: pairings below it are no candidates."""
    from app.core.settings import Settings

    return float(Settings.model_fields["matching_min_score"].default)


def full_run(instance: Instance) -> tuple[Any, dict[str, np.ndarray]]:
    """One full run exactly as `run_matching` does it once the rows are read: the roster built
    from the offers, then `propose` (candidates for every request, weights, the optimum).
    Returns the proposal and the (wall, CPU) seconds of each part."""
    from app.matching.proposal import propose
    from app.matching.roster import Roster

    needs = {n.id: n for n in instance.needs}
    began = _clocks()
    roster = Roster(instance.offers)
    built = _clocks()
    proposed = propose(needs, instance.priorities, roster, min_score())
    done = _clocks()
    return proposed, {"roster": built - began, "propose": done - built, "full run": done - began}


def steps_apart(instance: Instance) -> tuple[Any, Any, dict[str, np.ndarray]]:
    """The two parts of `propose` timed apart, on a roster of its own: candidates and weights
    for every request, then the optimisation step alone (`optimizer.solve_pairs`)."""
    from app.matching.optimizer import Pairs, solve_pairs
    from app.matching.roster import Roster

    roster = Roster(instance.offers)
    began = _clocks()
    found = [roster.scores(need, min_score()) for need in instance.needs]
    counts = [len(indices) for indices, _ in found]
    priority = np.repeat([instance.priorities[n.id] for n in instance.needs], counts)
    pairs = Pairs(
        requests=np.repeat(np.arange(len(instance.needs)), counts),
        providers=np.concatenate([indices for indices, _ in found]),
        weights=priority * np.concatenate([scores for _, scores in found]),
    )
    weighted = _clocks()
    chosen = solve_pairs(pairs, len(instance.needs), roster.remaining)
    solved = _clocks()
    steps = {"candidates and weights": weighted - began, "solve": solved - weighted}
    return pairs, chosen, steps


def step_full_run(n_requests: int, n_providers: int, seed: int) -> dict[str, Any]:
    """In a spawned child: build, measure one full run, then its parts; hand back arrays."""
    began = time.perf_counter()
    instance = build_instance(n_requests, n_providers, seed)
    built = time.perf_counter() - began
    baseline = _max_rss_kib()
    proposed, steps = full_run(instance)
    peak = _max_rss_kib() - baseline
    load = _load()
    pairs, chosen, parts = steps_apart(instance)
    steps.update(parts)

    ids = sorted(o.id for o in instance.offers)  # the roster's provider order
    provider_index = {pid: i for i, pid in enumerate(ids)}
    request_index = {n.id: i for i, n in enumerate(instance.needs)}
    remaining = np.array([o.remaining for o in sorted(instance.offers, key=lambda o: o.id)])
    slots = np.minimum(remaining, np.bincount(pairs.providers, minlength=len(remaining)))
    return {
        "built": built,
        "steps": {name: (float(wall), float(cpu)) for name, (wall, cpu) in steps.items()},
        "load": load,
        "peak_kib": peak,
        "baseline_kib": baseline,
        "rows": pairs.requests,
        "cols": pairs.providers,
        "weights": pairs.weights,
        "remaining": remaining,
        "capacity": sum(o.capacity for o in instance.offers),
        "requests": len(instance.needs),
        "states": len({n.state_code for n in instance.needs}),
        "kinds": len({o.kind for o in instance.offers}),
        "slots": int(remaining.sum()),
        "edges": int(slots[pairs.providers].sum() + min(slots.sum(), len(instance.needs))),
        "shape": (
            int(min(slots.sum(), len(instance.needs))),
            len(instance.needs) + int(slots.sum()),
        ),
        "total": proposed.total,
        "solve_total": float(pairs.weights[chosen].sum()),
        "paired": np.array(
            [
                [request_index[p["request_id"]], provider_index[p["provider_id"]]]
                for p in proposed.proposals
            ],
            dtype=np.int64,
        ).reshape(-1, 2),
        "pairing_weights": np.array([p["score"] for p in proposed.proposals], dtype=float),
        "unmatched": len(proposed.unmatched),
        "unmatched_reasons": _reason_counts(proposed.unmatched_reasons),
    }


# --- the reference ------------------------------------------------------------------------------


def reference(run: dict[str, Any]) -> dict[str, Any]:
    """max sum w_e x_e, sum of x_e at a request <= 1, at a provider <= remaining, 0 <= x_e <= 1,
    one variable per feasible pair: HiGHS through `linprog`."""
    began = time.perf_counter()
    rows, cols, weights = run["rows"], run["cols"], run["weights"]
    n_requests, n_providers, n = run["requests"], len(run["remaining"]), len(weights)
    variables = np.arange(n)
    incidence = csr_array(
        (
            np.ones(2 * n),
            (np.concatenate([rows, n_requests + cols]), np.concatenate([variables, variables])),
        ),
        shape=(n_requests + n_providers, n),
    )
    limits = np.concatenate([np.ones(n_requests), run["remaining"].astype(float)])
    result = linprog(-weights, A_ub=incidence, b_ub=limits, bounds=(0, 1), method="highs")
    seconds = time.perf_counter() - began
    if result.status != 0:
        raise RuntimeError(f"reference LP failed: {result.message}")
    x = result.x
    chosen = x > 0.5
    return {
        "seconds": seconds,
        "total": -result.fun,
        "rounded_total": float(weights[chosen].sum()),
        "fractional": float(np.abs(x - np.round(x)).max()) if n else 0.0,
        "matched": int(chosen.sum()),
        "variables": n,
        "constraints": n_requests + n_providers,
    }


def _reason_counts(unmatched_reasons: list[dict[str, Any]]) -> dict[str, int]:
    """How many unmatched requests give each kind of reason (its first five words)."""
    counts: dict[str, int] = {}
    for entry in unmatched_reasons:
        for reason in entry["reasons"]:
            key = " ".join(re.sub(r"\d+", "N", reason).split()[:5])
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def check_solution(run: dict[str, Any]) -> list[str]:
    """The proposal breaks no limit and only pairs feasible pairs, at their weights."""
    problems = []
    paired = run["paired"]
    if len(np.unique(paired[:, 0])) != len(paired):
        problems.append("a request is paired twice")
    load = np.bincount(paired[:, 1], minlength=len(run["remaining"]))
    if (load > run["remaining"]).any():
        problems.append("a provider is over its remaining capacity")
    n_providers = len(run["remaining"])
    keys = run["rows"] * n_providers + run["cols"]
    wanted = paired[:, 0] * n_providers + paired[:, 1]
    if len(wanted):
        order = np.argsort(keys)
        found = order[np.minimum(np.searchsorted(keys, wanted, sorter=order), len(keys) - 1)]
        if not (keys[found] == wanted).all():
            problems.append("a pairing is not a feasible pair")
        elif not (run["weights"][found] == run["pairing_weights"]).all():
            problems.append("a pairing is not at its pair's weight")
    return problems


# --- printing -----------------------------------------------------------------------------------


def in_child(step: Callable[..., Any], *args: Any) -> Any:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(step, *args).result()


def _max_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _load() -> str:
    return "load average " + " ".join(f"{load:.2f}" for load in os.getloadavg())


def profile(n_requests: int, n_providers: int, seed: int, top: int) -> None:
    instance = build_instance(n_requests, n_providers, seed)
    profiler = cProfile.Profile()
    profiler.enable()
    full_run(instance)
    profiler.disable()
    print(f"\n== cProfile of one full run, top {top} by cumulative time")
    pstats.Stats(profiler, stream=sys.stdout).strip_dirs().sort_stats("cumulative").print_stats(top)


def report_run(run: dict[str, Any]) -> None:
    steps = run["steps"]
    wall, cpu = steps["full run"]
    met = "met" if wall < TARGET_SECONDS else "NOT met"
    print(
        f"instance: {run['requests']:,} requests from {run['states']} States, "
        f"{len(run['remaining']):,} providers of {run['kinds']} kinds; built in "
        f"{run['built']:.1f} s"
    )
    print(f"  provider slots remaining: {run['slots']:,} of capacity {run['capacity']:,}")
    print(f"  feasible pairs (candidates over all requests): {len(run['weights']):,}")
    print(
        f"  graph edges given to the matching: {run['edges']:,} (each pair once per slot its "
        f"provider needs, + one own column per row), graph {run['shape'][0]:,} x "
        f"{run['shape'][1]:,} (rows: the slots or the requests, whichever are fewer)"
    )
    print(
        f"\n(1) full run (Roster + propose, as run_matching): {wall:.2f} s wall, {cpu:.2f} s CPU "
        f"[target < {TARGET_SECONDS:.0f} s wall: {met}]; {run['load']} at its end"
    )
    for name in ("roster", "propose"):
        print(f"      {name + ':':<24} {steps[name][0]:8.2f} s wall {steps[name][1]:8.2f} s CPU")
    print("    the parts of propose, timed apart in a second pass:")
    for name in ("candidates and weights", "solve"):
        print(f"      {name + ':':<24} {steps[name][0]:8.2f} s wall {steps[name][1]:8.2f} s CPU")
    print(
        f"(2) optimisation step alone (optimizer.solve_pairs): {steps['solve'][0]:.2f} s wall, "
        f"{steps['solve'][1]:.2f} s CPU"
    )
    print(
        f"(3) peak memory of the full run: {run['peak_kib'] / 1024:.0f} MiB "
        f"(ru_maxrss growth in a spawned child over its baseline of "
        f"{run['baseline_kib'] / 1024:.0f} MiB with the app imported and the instance built)"
    )
    print(
        f"(4) total of the proposal: {run['total']:.9f} ({len(run['paired']):,} pairings, "
        f"{run['unmatched']:,} requests unmatched); second pass: {run['solve_total']:.9f}"
    )
    print("    why the unmatched went unserved (reasons by their first words):")
    for words, count in list(run["unmatched_reasons"].items())[:8]:
        print(f"      {count:6,}  {words} ...")


def report_reference(run: dict[str, Any], ref: dict[str, Any], problems: Sequence[str]) -> None:
    gap = (ref["total"] - run["total"]) / ref["total"] if ref["total"] else 0.0
    print(
        f"    reference (linprog HiGHS, {ref['variables']:,} variables x "
        f"{ref['constraints']:,} constraints): {ref['total']:.9f} in {ref['seconds']:.2f} s; "
        f"largest distance of x to an integer {ref['fractional']:.1e}, "
        f"{ref['matched']:,} pairs, rounded total {ref['rounded_total']:.9f}"
    )
    print(f"    relative gap (reference - solve) / reference: {gap:.2e}")
    print(f"    proposal checks: {'; '.join(problems) if problems else 'ok'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--providers", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument(
        "--no-reference", action="store_true", help="skip the LP reference (minutes, GiBs)"
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    began = time.perf_counter()
    print(f"python {sys.version.split()[0]}, {multiprocessing.cpu_count()} CPUs, {_load()}")
    parent_kib = _max_rss_kib()
    run = in_child(step_full_run, args.requests, args.providers, args.seed)
    report_run(run)
    if args.no_reference:
        print(f"    proposal checks: {'; '.join(check_solution(run)) or 'ok'}; no reference solve")
    else:
        report_reference(run, reference(run), check_solution(run))
    if args.profile:
        profile(args.requests, args.providers, args.seed, args.profile)
    print(
        f"\ntotal {time.perf_counter() - began:.0f} s, {_load()}. Parent peak RSS when it "
        f"spawned the child: {parent_kib / 1024:.0f} MiB (the child's baseline starts there)."
    )


if __name__ == "__main__":
    main()
