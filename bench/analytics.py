"""Analytics at scale: each analytics endpoint through HTTP against bare SQL of the same figures.

    .venv/bin/python bench/analytics.py [--recommendations 200000] [--reports 100000]
        [--requests 20000] [--providers 2000] [--calls 30] [--max-seconds 20]
        [--postgres postgresql://root@127.0.0.1/test]

Creates a throwaway PostgreSQL database (dropped at the end, also on failure or SIGTERM),
migrates it and bulk-loads it: the catalogue, progress reports and shortfalls as
`bench/reporting.py` loads them, each shortfall linked to 0-3 of its State's recommendations;
assistance requests drawn as `bench/matching.py` draws them (themes as UHRI reference codes),
submitted over the last two years and in every stage, with their transitions (moves the
lifecycle allows, times increasing), budgets, co-funding, SDG targets and 1-3 recommendations;
providers as matching.py draws them (availability moved to start around today); assignments on
matched, delivered and completed requests (and offers on some accepted ones); two succeeded
matching runs and a later failed one, the latest succeeded with unmatched requests and their
reason codes. A few States are flagged as emerging from conflict or with particular needs.

Then, for an OHCHR officer's token and for an anonymous caller, one client sends each analytics
request in turn (3 warm-up calls, then `--calls` timed ones, fewer, but at least 5, once
`--max-seconds` have passed) to `uvicorn app.main:app --workers 2` with the production settings.
An answer other than 200 (the gap is OHCHR's) is printed and not timed. The floor of each JSON
endpoint is hand-written SQL computing the same figures through psycopg on one autocommit
connection (JIT off), timed the same way; its figures are compared with the platform's before
anything is timed (all of the officer's; the anonymous caller's that are not suppressed).
Printed: p50/p95 of both and platform p95 / floor p95; the largest State's report draft through
HTTP and built in-process by `build_report_draft`. The targets (p95 under 100 ms and within 2x
of the floor; the draft under 2 s) are printed beside the figures, never asserted.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import math
import os
import random
import secrets
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import load
import psycopg
import reporting

API = "/api/v1"
SEED = 15
WARM_UP_CALLS = 3
MIN_CALLS = 5  # timed calls, however slow
NOW = dt.datetime.now(dt.UTC)
TWO_YEARS = dt.timedelta(days=730)
RECENT = dt.timedelta(days=90)
DRAFT_SHARE = 0.05
PUBLISHED_SHARE = 0.35  # of the requests that may be published
INFO_ROUND_TRIP = 0.25  # requests asked for more information during triage
NO_BUDGET = 0.08
CO_FUNDED = 0.3
OFFERED = 0.35  # accepted requests with an offer waiting for the provider's answer
TURNED_DOWN = 0.1  # accepted requests with an offer the provider declined
UNMATCHED_SHARE = 0.65  # of the accepted requests, left unmatched by the latest run
CONFLICT_STATES, PARTICULAR_NEEDS_STATES = 12, 15
TARGET_P95_MS, TARGET_RATIO, TARGET_DRAFT_S = 100.0, 2.0, 2.0

# What a request's stage is, by how long ago it was submitted: recent ones are still open.
STAGES_RECENT = {
    "submitted": 20,
    "in_triage": 14,
    "info_requested": 6,
    "accepted": 22,
    "declined": 6,
    "matched": 8,
    "in_delivery": 8,
    "completed": 4,
    "withdrawn": 4,
}
STAGES_OLDER = {
    "submitted": 2,
    "in_triage": 2,
    "info_requested": 1,
    "accepted": 10,
    "declined": 14,
    "matched": 5,
    "in_delivery": 10,
    "completed": 48,
    "withdrawn": 8,
}
# The way through the lifecycle; every other stage is a prefix of it, or leaves it.
MAIN_ROUTE = ["submit", "start-triage", "accept", "match", "start-delivery", "complete"]
ROUTE_LENGTH = {
    "submitted": 1,
    "in_triage": 2,
    "accepted": 3,
    "matched": 4,
    "in_delivery": 5,
    "completed": 6,
}
WITHDRAWN_FROM = {"submitted": 3, "in_triage": 2, "info_requested": 1, "accepted": 3, "matched": 1}
MEAN_DAYS = {  # mean wait before each move (exponential, so some stays run past their target)
    "start-triage": 7,
    "request-info": 5,
    "provide-info": 9,
    "accept": 14,
    "decline": 12,
    "match": 35,
    "start-delivery": 20,
    "complete": 120,
    "withdraw": 25,
}
STATE_VERBS = {"submit", "withdraw", "provide-info"}
# Reason codes of the latest run's unmatched requests (app.matching.proposal's), how often.
REASON_WEIGHTS = {
    "candidates_went_to_higher_weight": 40,
    "none_available_in_window": 15,
    "no_provider_with_language": 12,
    "none_with_capacity_left": 10,
    "below_minimum_score": 8,
    "no_provider_offers_type": 6,
    "no_provider_with_modality": 5,
    "only_the_state_itself": 4,
}
REASON_TEXT = {
    "candidates_went_to_higher_weight": "Its candidates went to requests of higher priority.",
    "none_available_in_window": "No provider is available during the requested window.",
    "no_provider_with_language": "No provider works in the requested languages.",
    "none_with_capacity_left": "No provider who fits has capacity left.",
    "below_minimum_score": "No provider fits well enough (below the minimum score).",
    "no_provider_offers_type": "No provider offers this type of assistance.",
    "no_provider_with_modality": "No provider offers the requested modality.",
    "only_the_state_itself": "The only provider who fits is the requesting State itself.",
}


# --- the assistance data ------------------------------------------------------------------------


@dataclass
class Seeded:
    requests: Counter[str]
    transitions: int
    published: int
    providers: int
    assignments: Counter[str]
    unmatched: int
    shortfall_links: int
    request_links: int
    largest_state: str
    largest_recommendations: int
    seconds: float


def _route(rng: random.Random, stage: str) -> list[str]:
    """The verbs that took a request from draft to `stage`, an information round trip at times."""
    if stage == "withdrawn":
        before = rng.choices(list(WITHDRAWN_FROM), list(WITHDRAWN_FROM.values()))[0]
        return [*_route(rng, before), "withdraw"]
    if stage == "declined":
        verbs = [*MAIN_ROUTE[:2], "decline"]
    elif stage == "info_requested":
        return [*MAIN_ROUTE[:2], "request-info"]
    else:
        verbs = MAIN_ROUTE[: ROUTE_LENGTH[stage]]
    if len(verbs) >= 2 and rng.random() < INFO_ROUND_TRIP:
        verbs = [*verbs[:2], "request-info", "provide-info", *verbs[2:]]
    return verbs


def _timeline(rng: random.Random, verbs: list[str], submitted: dt.datetime) -> list[dt.datetime]:
    """When each move happened: increasing, the first at submission, the last before now (a
    recent request's waits are shortened to fit)."""
    waits = [0.0] + [rng.expovariate(1 / MEAN_DAYS[verb]) for verb in verbs[1:]]
    room = (NOW - submitted).total_seconds() / 86400 * 0.95
    if sum(waits) > room:
        waits = [wait * room / sum(waits) for wait in waits]
    times, at = [], submitted
    for wait in waits:
        at += dt.timedelta(days=wait)
        times.append(at)
    return times


def _transition_rows(
    request_id: uuid.UUID, verbs: list[str], times: list[dt.datetime]
) -> Iterator[dict[str, Any]]:
    from app.assistance.lifecycle import TRANSITIONS

    stage = "draft"
    for verb, at in zip(verbs, times, strict=True):
        target = str(TRANSITIONS[(stage, verb)])  # a move the lifecycle does not allow fails here
        role = "state_focal_point" if verb in STATE_VERBS else "ohchr_officer"
        yield {
            "id": uuid.uuid4(),
            "request_id": request_id,
            "verb": verb,
            "from_stage": stage,
            "to_stage": target,
            "actor_id": None,
            "actor_role": "system" if verb == "match" else role,
            "at": at,
            "note": "Please send the terms of reference." if verb == "request-info" else None,
        }
        stage = target


def _stage(rng: random.Random, submitted: dt.datetime) -> str:
    weights = STAGES_RECENT if NOW - submitted < RECENT else STAGES_OLDER
    return rng.choices(list(weights), list(weights.values()))[0]


def _give_history(
    rng: random.Random, row: dict[str, Any], sdg_targets: list[str]
) -> tuple[list[str], list[dt.datetime]]:
    """Rewrites `load._request_rows`' timeline (its last six months, no matched or delivered
    stage) as two years in every stage, with co-funding and SDG targets; its moves and times."""
    from app.assistance.lifecycle import PUBLISHABLE

    row["sdg_targets"] = json.dumps(sorted(rng.sample(sdg_targets, rng.choice([0, 1, 1, 2]))))
    if rng.random() < NO_BUDGET:
        row["budget_estimate_usd"] = None
    elif rng.random() < CO_FUNDED:
        row["co_funding_usd"] = round(row["budget_estimate_usd"] * rng.uniform(0.1, 0.5), -2)
    if rng.random() < DRAFT_SHARE:
        created = NOW - rng.random() * TWO_YEARS
        row |= {"stage": "draft", "visibility": "state", "submitted_at": None, "version": 1}
        row |= {"created_at": created, "stage_entered_at": created, "updated_at": created}
        return [], []
    submitted = NOW - rng.random() * TWO_YEARS
    stage = _stage(rng, submitted)
    verbs = _route(rng, stage)
    times = _timeline(rng, verbs, submitted)
    published = stage in PUBLISHABLE and rng.random() < PUBLISHED_SHARE
    row |= {
        "stage": stage,
        "submitted_at": submitted,
        "created_at": submitted - dt.timedelta(days=rng.uniform(0, 14)),
        "stage_entered_at": times[-1],
        "updated_at": times[-1],
        "visibility": "public" if published else "ohchr",
        "published_at": submitted + (times[-1] - submitted) * rng.random() if published else None,
        "decline_reason": "Outside the mandate" if stage == "declined" else None,
        "version": 1 + len(verbs) + published,
    }
    return verbs, times


def _assignment_row(
    request_id: uuid.UUID,
    provider_id: uuid.UUID,
    status: str,
    offered: dt.datetime,
    answered: dt.datetime | None,
    run_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "request_id": request_id,
        "provider_id": provider_id,
        "status": status,
        "score": None,
        "offered_by_id": None,
        "matching_run_id": run_id,
        "responded_at": answered,
        "decline_reason": "No capacity in that period" if status == "declined" else None,
        "respond_by": offered + dt.timedelta(days=14),
        "overdue_announced_at": None,
        "recorded_by_id": None,
        "response_note": None,
        "version": 1 if answered is None else 2,
        "created_at": offered,
        "updated_at": answered or offered,
    }


def _assignments(
    rng: random.Random,
    requests: list[dict[str, Any]],
    moves: dict[uuid.UUID, list[dict[str, Any]]],
    offering: dict[str, list[uuid.UUID]],
    run_id: uuid.UUID,
) -> list[dict[str, Any]]:
    """An accepted assignment for each matched or delivered request (completed when the request
    is, withdrawn with it), and on some accepted requests an offer pending or turned down."""
    rows = []
    for request in requests:
        at = {move["verb"]: move["at"] for move in moves[request["id"]]}
        providers = offering.get(request["assistance_type"])
        if "accept" not in at or not providers:
            continue
        provider = rng.choice(providers)
        offered = at["accept"] + (at.get("match", NOW) - at["accept"]) * rng.uniform(0.2, 0.8)
        stage = request["stage"]
        if "match" in at:
            status = {"completed": "completed", "withdrawn": "withdrawn"}.get(stage, "accepted")
            rows.append(_assignment_row(request["id"], provider, status, offered, at["match"]))
        elif stage == "accepted" and (draw := rng.random()) < OFFERED + TURNED_DOWN:
            if draw < OFFERED:
                rows.append(
                    _assignment_row(request["id"], provider, "proposed", offered, None, run_id)
                )
            else:
                rows.append(_assignment_row(request["id"], provider, "declined", offered, NOW))
    return rows


def _matching_run(
    rng: random.Random, run_id: uuid.UUID, accepted: list[uuid.UUID], finished: dt.datetime
) -> dict[str, Any]:
    codes = rng.choices(list(REASON_WEIGHTS), list(REASON_WEIGHTS.values()), k=len(accepted))
    unmatched = [
        {"request_id": str(rid), "reasons": [REASON_TEXT[code]], "reason": code}
        for rid, code in zip(accepted, codes, strict=True)
        if rng.random() < UNMATCHED_SHARE
    ]
    return {
        "id": run_id,
        "status": "succeeded",
        "created_at": finished - dt.timedelta(seconds=20),
        "created_by_id": None,
        "requested_ids": None,
        "started_at": finished - dt.timedelta(seconds=12),
        "finished_at": finished,
        "error": None,
        "total_score": 0.0,
        "proposals": json.dumps([]),
        "unmatched": json.dumps(unmatched),
        "request_ids": json.dumps([str(rid) for rid in accepted]),
    }


def _failed_run(finished: dt.datetime) -> dict[str, Any]:
    """A run after the latest succeeded one that failed: it must not count."""
    run = _matching_run(random.Random(0), uuid.uuid4(), [], finished)
    return run | {"status": "failed", "error": "bench: a failed run", "unmatched": "[]"}


def _uhri_codes() -> dict[str, str]:
    """matching.py's 80 UHRI-like theme codes, each given a code of the UHRI reference: the
    platform reads a request's or provider's theme as the codes it stands for (an unknown one
    as its lower-case key), and the floor reads the column as it is."""
    import matching

    from app.taxonomies.service import theme_reference

    known = sorted(theme_reference().names)
    return dict(zip(matching.THEME_POOL, known, strict=False))


def _as_seen_today(instance: Any) -> tuple[list[Any], list[Any]]:
    """The instance's needs and offers with reference theme codes, and the offers' windows
    (drawn in 2027-2028 as seen from 2026-11-01) moved to be seen from today, so that the gap's
    coming months find providers whatever the date of the run."""
    import matching

    codes = _uhri_codes()
    shift = NOW.date() - matching.NOW.date()
    needs = [
        dataclasses.replace(need, themes=frozenset(codes[t] for t in need.themes))
        for need in instance.needs
    ]
    offers = [
        dataclasses.replace(
            offer,
            themes=frozenset(codes[t] for t in offer.themes),
            availability=tuple((s + shift, e + shift) for s, e in offer.availability),
        )
        for offer in instance.offers
    ]
    return needs, offers


def _links(
    rng: random.Random,
    owners: list[tuple[uuid.UUID, str]],
    recommendations: dict[str, list[uuid.UUID]],
    column: str,
    counts: list[int],
) -> list[dict[str, Any]]:
    rows = []
    for owner_id, state in owners:
        mine = recommendations.get(state, [])
        for rid in rng.sample(mine, min(rng.choice(counts), len(mine))):
            rows.append({column: owner_id, "recommendation_id": rid})
    return rows


def _flag_priority_states(cursor: psycopg.Cursor[Any], rng: random.Random) -> None:
    """The reference data flags LDCs, LLDCs and SIDS; officers flag the other two groups."""
    codes = [code for (code,) in cursor.execute("SELECT code FROM states ORDER BY code")]
    conflict = rng.sample(codes, CONFLICT_STATES)
    particular = rng.sample(codes, PARTICULAR_NEEDS_STATES)
    cursor.execute(
        "UPDATE states SET emerging_from_conflict = code = ANY(%s), "
        "particular_needs = code = ANY(%s)",
        (conflict, particular),
    )


def seed_assistance(url: str, requests: int, providers: int) -> Seeded:
    from matching import build_instance

    from app.assistance.models import (
        AssistanceRequest,
        RequestRecommendation,
        RequestTransition,
    )
    from app.expertise.models import Assignment, Provider
    from app.matching.models import MatchingRun
    from app.shortfalls.models import ShortfallRecommendation

    started = time.perf_counter()
    rng = random.Random(SEED)
    needs, offers = _as_seen_today(build_instance(requests, providers, SEED))
    request_rows = load._request_rows(rng, needs)
    offering: dict[str, list[uuid.UUID]] = defaultdict(list)
    for offer in offers:
        for kind in offer.assistance_types:
            offering[kind].append(uuid.UUID(offer.id))
    tables = [
        AssistanceRequest,
        RequestTransition,
        RequestRecommendation,
        Provider,
        Assignment,
        MatchingRun,
        ShortfallRecommendation,
    ]
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        _flag_priority_states(cursor, rng)
        targets = [code for (code,) in cursor.execute("SELECT code FROM sdg_targets ORDER BY code")]
        recommendations: dict[str, list[uuid.UUID]] = dict(
            cursor.execute(
                "SELECT state_code, array_agg(id ORDER BY id) FROM recommendations "
                "GROUP BY state_code"
            ).fetchall()
        )
        moves: dict[uuid.UUID, list[dict[str, Any]]] = {}
        for row in request_rows:
            verbs, times = _give_history(rng, row, targets)
            moves[row["id"]] = list(_transition_rows(row["id"], verbs, times))
        latest_run, older_run = uuid.uuid4(), uuid.uuid4()
        assignments = _assignments(rng, request_rows, moves, offering, latest_run)
        accepted = [r["id"] for r in request_rows if r["stage"] == "accepted"]
        runs = [
            _matching_run(rng, older_run, accepted[: len(accepted) // 2], NOW - dt.timedelta(30)),
            _matching_run(rng, latest_run, accepted, NOW - dt.timedelta(days=2)),
            _failed_run(NOW - dt.timedelta(days=1)),
        ]
        submitted = [(r["id"], r["state_code"]) for r in request_rows if r["submitted_at"]]
        request_links = _links(rng, submitted, recommendations, "request_id", [1, 1, 2, 3])
        shortfalls = list(cursor.execute("SELECT id, state_code FROM shortfalls ORDER BY id"))
        shortfall_links = _links(rng, shortfalls, recommendations, "shortfall_id", [0, 1, 2, 3])
        with reporting._bulk_load(connection, [model.__tablename__ for model in tables]):
            reporting._copy(cursor, AssistanceRequest.__table__, request_rows)
            transitions = reporting._copy(
                cursor, RequestTransition.__table__, (m for ms in moves.values() for m in ms)
            )
            reporting._copy(cursor, RequestRecommendation.__table__, request_links)
            reporting._copy(cursor, Provider.__table__, load._provider_rows(offers))
            reporting._copy(cursor, Assignment.__table__, assignments)
            reporting._copy(cursor, MatchingRun.__table__, runs)
            reporting._copy(cursor, ShortfallRecommendation.__table__, shortfall_links)
        largest, largest_count = cursor.execute(
            "SELECT state_code, count(*) FROM recommendations GROUP BY state_code "
            "ORDER BY count(*) DESC, state_code LIMIT 1"
        ).fetchone()
        connection.commit()
    with psycopg.connect(url, autocommit=True) as connection:
        names = ", ".join(["states", *(model.__tablename__ for model in tables)])
        connection.execute(f"VACUUM (ANALYZE) {names}")
    return Seeded(
        requests=Counter(r["stage"] for r in request_rows),
        transitions=transitions,
        published=sum(r["visibility"] == "public" for r in request_rows),
        providers=len(offers),
        assignments=Counter(a["status"] for a in assignments),
        unmatched=len(json.loads(runs[1]["unmatched"])),
        shortfall_links=len(shortfall_links),
        request_links=len(request_links),
        largest_state=largest,
        largest_recommendations=largest_count,
        seconds=time.perf_counter() - started,
    )


# --- the floors: the same figures in hand-written SQL -------------------------------------------

# What each audience sees of a State's objects (app.lifecycle.visibility.seen_by): OHCHR what was
# submitted, everyone else what was published. The floors run for the officer and the anonymous
# caller, neither of them a State.
SEEN = {"officer": "<> 'state'", "anonymous": "= 'public'"}
OUTCOMES = [
    "waiting",
    "in_triage",
    "accepted",
    "matched",
    "in_delivery",
    "completed",
    "declined",
    "withdrawn",
]
TIMED_STAGES = ["in_triage", "accepted", "matched", "in_delivery", "completed"]
REACHED = [*TIMED_STAGES, "declined"]
STATUSES = ["not_started", "in_progress", "partially_implemented", "fully_implemented"]
SEVERITIES = ["low", "medium", "high", "critical"]
EPOCH_MONDAY = "DATE '2000-01-03'"
ASSISTANCE_KEYS = {
    "region": "s.region",
    "priority": (
        "CASE WHEN s.is_ldc OR s.is_lldc OR s.is_sids OR s.emerging_from_conflict "
        "OR s.particular_needs THEN 'priority' ELSE 'other' END"
    ),
    "quarter": "to_char(r.submitted_at AT TIME ZONE 'UTC', 'YYYY-\"Q\"Q')",
    "theme": "theme.value",
}
THEMES_OF_REQUEST = "LEFT JOIN LATERAL jsonb_array_elements_text(r.themes) AS theme(value) ON true"
FloorRows = list[list[tuple[Any, ...]]]
Figures = dict[tuple[tuple[Any, ...], str], Any]


def _utc_date(instant: str) -> str:
    return f"(({instant}) AT TIME ZONE 'UTC')::date"


def _weekdays_since_epoch(day: str) -> str:
    """Monday-to-Friday days from a Monday in 2000 up to and including `day`."""
    n = f"({day} - {EPOCH_MONDAY})"
    return f"(({n} / 7) * 5 + least(mod({n}, 7) + 1, 5))"


def working_days(start: str, end: str) -> str:
    """`working_days_between(start.date(), end.date())` of two UTC instants, as SQL arithmetic:
    the same figure exactly (checked against the Python function before anything is timed)."""
    first, last = _utc_date(start), _utc_date(end)
    return f"greatest({_weekdays_since_epoch(last)} - {_weekdays_since_epoch(first)}, 0)"


def _service_targets() -> dict[str, int]:
    from app.core.settings import Settings

    default = Settings.model_fields["service_targets"].default_factory
    return dict(default())  # type: ignore[misc, call-arg]


def assistance_sql(dims: list[str], audience: str) -> list[str]:
    """Every figure of `/analytics/assistance?group_by=dims` in one statement: the universe as
    (request x key) rows; each request's first entry into each stage and whether a stay at a
    stage with a service target outlasted it (one pass over its moves in time order); then one
    row per key: counts and sums by outcome, counts reaching each stage, the median and p90 of
    the working days from submission to each (`percentile_cont`: statistics.median and numpy's
    linear p90), and the stays past target."""
    keys = ", ".join(f"k_{d}" for d in dims)
    columns = "".join(f", {ASSISTANCE_KEYS[d]} AS k_{d}" for d in dims)
    lateral = THEMES_OF_REQUEST if "theme" in dims else ""
    targets = _service_targets()
    stayed = working_days("at", "coalesce(left_at, now())")
    per_request = [f"min(at) FILTER (WHERE to_stage = '{s}') AS at_{s}" for s in REACHED]
    per_request += [
        f"bool_or({stayed} > {days}) FILTER (WHERE to_stage = '{s}') AS past_{s}"
        for s, days in targets.items()
    ]
    figures = ["count(*)", "coalesce(sum(budget), 0)", "coalesce(sum(co_funding), 0)"]
    for outcome in OUTCOMES:
        only = f"FILTER (WHERE outcome = '{outcome}')"
        figures += [f"count(*) {only}", f"coalesce(sum(budget) {only}, 0)"]
        figures += [f"coalesce(sum(co_funding) {only}, 0)"]
    figures += [f"count(at_{stage})" for stage in REACHED]
    for stage in TIMED_STAGES:
        waited = f"({working_days('submitted_at', f'at_{stage}')})::float8"
        for fraction in (0.5, 0.9):
            figures.append(
                f"percentile_cont({fraction}) WITHIN GROUP (ORDER BY {waited}) "
                f"FILTER (WHERE at_{stage} IS NOT NULL)"
            )
    for stage in targets:
        figures += [f"count(past_{stage})", f"count(*) FILTER (WHERE past_{stage})"]
    seen = f"r.submitted_at IS NOT NULL AND r.visibility {SEEN[audience]}"
    return [
        f"""
WITH per_request AS (
    SELECT request_id, {", ".join(per_request)}
    FROM (
        SELECT t.request_id, t.to_stage, t.at,
            lead(t.at) OVER (PARTITION BY t.request_id ORDER BY t.at) AS left_at
        FROM assistance_request_transitions AS t
        JOIN assistance_requests AS r ON r.id = t.request_id
        WHERE {seen}
    ) AS moves
    GROUP BY request_id
)
SELECT {keys}{", " if keys else ""}{", ".join(f"({f})::float8" for f in figures)}
FROM (
    SELECT r.id, r.submitted_at, r.budget_estimate_usd AS budget, r.co_funding_usd AS co_funding,
        CASE r.stage WHEN 'submitted' THEN 'waiting' WHEN 'info_requested' THEN 'in_triage'
            ELSE r.stage END AS outcome{columns}
    FROM assistance_requests AS r JOIN states AS s ON s.code = r.state_code {lateral}
    WHERE {seen}
) AS u
LEFT JOIN per_request AS p ON p.request_id = u.id
{f"GROUP BY {keys}" if keys else ""}
"""
    ]


def assistance_figures(dims: list[str]) -> Callable[[FloorRows], Figures]:
    """The floor's rows as the endpoint's figures: dotted paths per group key."""

    def figures(results: FloorRows) -> Figures:
        flat: Figures = {}
        for row in results[0]:
            key, values = tuple(row[: len(dims)]), iter(row[len(dims) :])
            for name in ("requests", "budget_estimate_usd", "co_funding_usd"):
                flat[(key, name)] = next(values)
            for outcome in OUTCOMES:
                for name in ("requests", "budget_estimate_usd", "co_funding_usd"):
                    flat[(key, f"outcomes.{outcome}.{name}")] = next(values)
            reached = {stage: next(values) for stage in REACHED}
            for stage in TIMED_STAGES:
                flat[(key, f"time_to_stage.{stage}.requests")] = reached[stage]
                flat[(key, f"time_to_stage.{stage}.median_working_days")] = next(values)
                flat[(key, f"time_to_stage.{stage}.p90_working_days")] = next(values)
            accepted = reached["accepted"]
            flat[(key, "acceptance_rate")] = _share(accepted, accepted + reached["declined"])
            flat[(key, "matching_rate")] = _share(reached["matched"], accepted)
            flat[(key, "completion_rate")] = _share(reached["completed"], accepted)
            for stage in _service_targets():
                stayed, past = next(values), next(values)
                flat[(key, f"past_target.{stage}.requests")] = stayed
                flat[(key, f"past_target.{stage}.past")] = past
                flat[(key, f"past_target.{stage}.share")] = _share(past, stayed)
        return flat

    return figures


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def gap_sql(audience: str, months: int = 6) -> list[str]:
    """Demand (accepted requests without an accepted assignment, one count per theme x language)
    against the providers who could serve each row in the coming months (spread out as
    provider x type x language x region it reaches, joined on those, then the theme), then the
    latest succeeded run's unmatched requests the caller sees, by reason."""
    today = "(now() AT TIME ZONE 'UTC')::date"
    return [
        f"""
WITH demand AS (
    SELECT theme.value AS theme, r.assistance_type, language.value AS language, s.region,
        count(*) AS requests, coalesce(sum(r.budget_estimate_usd), 0) AS budget
    FROM assistance_requests AS r JOIN states AS s ON s.code = r.state_code {THEMES_OF_REQUEST}
    CROSS JOIN LATERAL jsonb_array_elements_text(r.languages) AS language(value)
    WHERE r.stage = 'accepted' AND r.submitted_at IS NOT NULL AND r.visibility {SEEN[audience]}
        AND NOT EXISTS (
            SELECT FROM assignments AS a WHERE a.request_id = r.id AND a.status = 'accepted')
    GROUP BY 1, 2, 3, 4
), occupied AS (
    SELECT provider_id, count(*) AS n FROM assignments
    WHERE status IN ('proposed', 'accepted') GROUP BY provider_id
), available AS MATERIALIZED (
    SELECT p.id, p.themes, p.assistance_types, p.languages, p.modalities, p.regions_covered,
        p.states_covered, greatest(p.capacity - coalesce(occupied.n, 0), 0) AS free
    FROM providers AS p LEFT JOIN occupied ON occupied.provider_id = p.id
    WHERE p.is_active AND EXISTS (
        SELECT FROM jsonb_array_elements(p.availability) AS w
        WHERE (w ->> 'start')::date <= {today} + make_interval(months => {int(months)})
            AND (w ->> 'end')::date >= {today})
), regions AS (
    SELECT region, array_agg(DISTINCT sub_region) AS sub_regions, array_agg(code) AS states
    FROM states GROUP BY region
), offers AS MATERIALIZED (
    SELECT a.id, a.free, a.themes = '[]'::jsonb AS any_theme, a.themes, reach.region,
        kind.value AS assistance_type, language.value AS language
    FROM available AS a
    JOIN regions AS reach ON a.modalities ? 'remote' OR a.regions_covered ? reach.region
        OR a.regions_covered ?| reach.sub_regions OR a.states_covered ?| reach.states
    CROSS JOIN LATERAL jsonb_array_elements_text(a.assistance_types) AS kind(value)
    CROSS JOIN LATERAL jsonb_array_elements_text(a.languages) AS language(value)
    -- one row per provider x type x language x region it reaches
)
SELECT d.theme, d.assistance_type, d.language, d.region, d.requests, d.budget::float8,
    count(o.id), coalesce(sum(o.free), 0)::bigint
FROM demand AS d LEFT JOIN offers AS o
    ON o.assistance_type = d.assistance_type AND o.language = d.language
        AND o.region = d.region AND (d.theme IS NULL OR o.any_theme OR o.themes ? d.theme)
GROUP BY d.theme, d.assistance_type, d.language, d.region, d.requests, d.budget
""",
        f"""
SELECT run.id, run.finished_at, entry ->> 'reason', count(*)
FROM (SELECT id, finished_at, unmatched FROM matching_runs WHERE status = 'succeeded'
      ORDER BY created_at DESC, id DESC LIMIT 1) AS run
CROSS JOIN LATERAL jsonb_array_elements(run.unmatched) AS entry
JOIN assistance_requests AS r ON r.id = (entry ->> 'request_id')::uuid
WHERE r.visibility {SEEN[audience]}
GROUP BY run.id, run.finished_at, entry ->> 'reason'
""",
    ]


def gap_figures(results: FloorRows) -> Figures:
    flat: Figures = {}
    for theme, kind, language, region, n, budget, providers, free in results[0]:
        key = (theme, kind, language, region)
        flat |= {(key, "demand_requests"): n, (key, "demand_budget_usd"): budget}
        flat |= {(key, "supply_providers"): providers, (key, "supply_free_capacity"): free}
        flat[(key, "gap")] = n - free
    unmatched = ("unmatched",)
    flat[(unmatched, "requests")] = sum(count for *_, count in results[1])
    for _run, _finished, reason, count in results[1]:
        flat[(unmatched, f"by_reason.{reason}")] = count
    return flat


def implementation_sql(dimension: str, audience: str) -> list[str]:
    """Recommendations per region or theme, those with a report the caller sees and the status
    of each one's latest such report (by period end, then update time). For anonymous callers
    the platform reads a public report's published revision; the loader's public reports have
    no correction pending, so that is the report's own row, which the floor reads."""
    key, joins = {
        "region": ("s.region", "JOIN states AS s ON s.code = r.state_code"),
        "theme": (
            "t.code",
            "LEFT JOIN recommendation_themes AS rt ON rt.recommendation_id = r.id "
            "LEFT JOIN themes AS t ON t.id = rt.theme_id",
        ),
    }[dimension]
    statuses = "".join(
        f", count(*) FILTER (WHERE latest.status = '{status}')" for status in STATUSES
    )
    return [
        f"""
WITH ranked AS (
    SELECT l.recommendation_id, p.status, row_number() OVER (
        PARTITION BY l.recommendation_id ORDER BY p.period_end DESC, p.updated_at DESC) AS rank
    FROM progress_report_recommendations AS l JOIN progress_reports AS p ON p.id = l.report_id
    WHERE p.visibility {SEEN[audience]}
)
SELECT {key}, count(*), count(latest.status){statuses}
FROM recommendations AS r {joins}
LEFT JOIN ranked AS latest ON latest.recommendation_id = r.id AND latest.rank = 1
GROUP BY 1
"""
    ]


def implementation_figures(results: FloorRows) -> Figures:
    flat: Figures = {}
    for key_value, total, reported, *counts in results[0]:
        key = (key_value,)
        flat |= {(key, "recommendations"): total, (key, "with_progress"): reported}
        flat[(key, "share_with_progress")] = _share(reported, total)
        for status, count in zip(STATUSES, counts, strict=True):
            flat[(key, f"latest_status.{status}")] = count
        flat[(key, "latest_status.no_report")] = total - reported
    return flat


def shortfalls_sql(audience: str) -> list[str]:
    severities = "".join(
        f", count(DISTINCT sf.id) FILTER (WHERE sf.severity = '{s}')" for s in SEVERITIES
    )
    return [
        f"""
SELECT sf.barrier_type, count(DISTINCT sf.id),
    count(DISTINCT sf.id) FILTER (WHERE sf.resolved_on IS NULL),
    count(DISTINCT sf.id) FILTER (WHERE sf.resolved_on IS NOT NULL){severities},
    count(DISTINCT l.recommendation_id)
FROM shortfalls AS sf LEFT JOIN shortfall_recommendations AS l ON l.shortfall_id = sf.id
WHERE sf.visibility {SEEN[audience]}
GROUP BY sf.barrier_type
"""
    ]


def shortfalls_figures(results: FloorRows) -> Figures:
    flat: Figures = {}
    for barrier, total, still_open, resolved, *rest in results[0]:
        key = (barrier,)
        flat |= {(key, "shortfalls"): total, (key, "open"): still_open}
        flat |= {(key, "resolved"): resolved, (key, "recommendations"): rest[-1]}
        for severity, count in zip(SEVERITIES, rest[:-1], strict=True):
            flat[(key, f"by_severity.{severity}")] = count
    return flat


def check_working_days(connection: psycopg.Connection[Any], pairs: int = 2000) -> str:
    """The floor's working days against `working_days_between` over random pairs of instants."""
    from app.assistance.queue import working_days_between

    rng = random.Random(SEED)
    instants = [
        (NOW - rng.random() * TWO_YEARS, NOW - rng.random() * TWO_YEARS) for _ in range(pairs)
    ]
    expression = working_days("a", "b")
    sql = f"SELECT {expression} FROM unnest(%s::timestamptz[], %s::timestamptz[]) AS v(a, b)"
    starts, ends = [a for a, _ in instants], [b for _, b in instants]
    got = [n for (n,) in connection.execute(sql, (starts, ends))]
    expected = [working_days_between(a.date(), b.date()) for a, b in instants]
    wrong = sum(g != e for g, e in zip(got, expected, strict=True))
    if wrong:
        raise RuntimeError(f"the floor's working days differ from the platform's in {wrong} cases")
    return f"the floor's working days equal working_days_between on {pairs} random pairs"


# --- the platform's answers as figures, and the comparison ---------------------------------------


def _flatten(node: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, value in node.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{name}.")
        elif isinstance(value, int | float) or value is None:
            yield f"{prefix}{name}", value


def platform_figures(answer: dict[str, Any], dims: list[str]) -> tuple[Figures, set[Any]]:
    """(figures by group key and dotted path, the (key, path) pairs suppressed)."""
    flat: Figures = {}
    suppressed: set[Any] = set()
    rows = answer.get("groups", answer.get("rows", []))
    for group in rows:
        key = tuple(group["key"].get(d) for d in dims)
        figures = {k: v for k, v in group.items() if k not in ("key", "suppressed_figures")}
        figures.pop("suppressed", None)
        for path, value in _flatten(figures):
            flat[(key, path)] = value
            if group.get("suppressed") and value is None:
                suppressed.add((key, path))
        suppressed |= {(key, path) for path in group.get("suppressed_figures", [])}
    if isinstance(answer.get("unmatched"), dict):
        unmatched = answer["unmatched"]
        flat[(("unmatched",), "requests")] = unmatched.get("requests")
        for reason, count in unmatched.get("by_reason", {}).items():
            flat[(("unmatched",), f"by_reason.{reason}")] = count
    return flat, suppressed


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


def compare(platform: Figures, suppressed: set[Any], floor: Figures) -> str:
    """How the platform's figures agree with the floor's: a suppressed figure is not compared;
    a zero the platform leaves out (an absent group or reason) counts as agreeing."""
    differing, compared = [], 0
    for where in sorted(set(platform) | set(floor), key=repr):
        if where in suppressed:
            continue
        mine, theirs = platform.get(where), floor.get(where)
        if where not in platform and theirs in (0, 0.0, None):
            continue
        if where not in floor and mine in (0, 0.0, None):
            continue
        compared += 1
        if not _same(mine, theirs):
            differing.append(f"{where[0]} {where[1]}: platform {mine!r}, floor {theirs!r}")
    if not differing:
        return f"same figures ({compared} compared, {len(suppressed)} suppressed not compared)"
    shown = "; ".join(differing[:5])
    return f"DIFFERENT: {len(differing)} of {compared} figures differ, e.g. {shown}"


# --- timing -------------------------------------------------------------------------------------


@dataclass
class Timed:
    seconds: list[float]

    def ms(self, q: int) -> float:
        if len(self.seconds) < 2:
            return self.seconds[0] * 1000 if self.seconds else float("nan")
        return statistics.quantiles(self.seconds, n=100, method="inclusive")[q - 1] * 1000


def time_calls(call: Callable[[], Any], calls: int, max_seconds: float) -> Timed:
    """`WARM_UP_CALLS` untimed, then up to `calls` timed one after the other, fewer (but at
    least `MIN_CALLS`) once `max_seconds` of timed calls have passed."""
    for _ in range(WARM_UP_CALLS):
        call()
    seconds: list[float] = []
    deadline = time.perf_counter() + max_seconds
    while len(seconds) < calls and (len(seconds) < MIN_CALLS or time.perf_counter() < deadline):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return Timed(seconds)


def _get(client: httpx.Client, path: str, headers: dict[str, str]) -> Callable[[], httpx.Response]:
    def call() -> httpx.Response:
        response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:500]}")
        return response

    return call


def _query(connection: psycopg.Connection[Any], statements: list[str]) -> Callable[[], FloorRows]:
    def call() -> FloorRows:
        return [connection.execute(sql).fetchall() for sql in statements]

    return call


# --- the run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    path: str
    dims: list[str]  # the dimensions of its groups' keys, in the order they are compared
    floor: Callable[[str], list[str]] | None  # audience -> statements
    figures: Callable[[FloorRows], Figures] | None  # the floor's rows as the endpoint's figures
    note: str = ""


def _assistance(group_by: str) -> Endpoint:
    dims = group_by.split(",") if group_by else []
    query = f"?group_by={group_by}" if group_by else ""
    return Endpoint(
        f"{API}/analytics/assistance{query}",
        dims,
        lambda audience: assistance_sql(dims, audience),
        assistance_figures(dims),
    )


def endpoints() -> list[Endpoint]:
    analytics = f"{API}/analytics"
    return [
        _assistance(""),
        _assistance("region"),
        _assistance("priority,quarter"),
        _assistance("theme"),
        Endpoint(
            f"{analytics}/assistance/gap",
            ["theme", "assistance_type", "language", "region"],
            gap_sql,
            gap_figures,
        ),
        *(
            Endpoint(
                f"{analytics}/implementation?group_by={dimension}",
                [dimension],
                lambda audience, d=dimension: implementation_sql(d, audience),  # type: ignore[misc]
                implementation_figures,
            )
            for dimension in ("region", "theme")
        ),
        Endpoint(
            f"{analytics}/implementation/shortfalls?group_by=barrier_type",
            ["barrier_type"],
            shortfalls_sql,
            shortfalls_figures,
        ),
        Endpoint(
            f"{analytics}/assistance/chart.svg?group_by=region",
            ["region"],
            lambda audience: assistance_sql(["region"], audience),
            None,
            note="floor: the figures of ?group_by=region, without drawing them",
        ),
    ]


@dataclass
class Measured:
    path: str
    audience: str
    platform: Timed | None
    floor: Timed | None

    @property
    def ratio(self) -> float | None:
        if self.platform is None or self.floor is None:
            return None
        return self.platform.ms(95) / self.floor.ms(95)


def make_officer(url: str, secret: str) -> tuple[uuid.UUID, str]:
    """An OHCHR officer and an access token the production settings accept (as reporting.py's
    `make_focal_point` does for a focal point)."""
    from app.auth.models import User
    from app.core.db import Database
    from app.core.principal import Role
    from app.core.security import hash_password, issue_access_token
    from app.core.settings import Environment, Settings

    settings = Settings(database_url=url, jwt_secret=secret, environment=Environment.production)
    database = Database.from_url(url)
    try:
        with database.transaction() as db:
            user = User(
                email="officer@bench.example",
                name="Bench officer",
                role=Role.ohchr_officer,
                password_hash=hash_password(secrets.token_urlsafe(16)),
            )
            db.add(user)
            db.flush()
            user_id = user.id
    finally:
        database.dispose()
    token = issue_access_token(settings, f"user:{user_id}", {"role": Role.ohchr_officer.value})
    return user_id, token


def _milliseconds(timed: Timed | None) -> str:
    if timed is None:
        return f"{'-':>8}{'-':>8}"
    return f"{timed.ms(50):>8.1f}{timed.ms(95):>8.1f}"


def _print_row(measured: Measured) -> None:
    ratio = measured.ratio
    platform = measured.platform
    targets = ""
    if platform is not None:
        fast = "yes" if platform.ms(95) < TARGET_P95_MS else "no"
        targets = f"p95 < {TARGET_P95_MS:.0f} ms: {fast}"
    if ratio is not None:
        targets += f"; within {TARGET_RATIO:.0f}x: {'yes' if ratio <= TARGET_RATIO else 'no'}"
    calls = len(platform.seconds) if platform else 0
    print(
        f"  {measured.audience:<10}{_milliseconds(platform)}   {_milliseconds(measured.floor)}"
        f"{(f'{ratio:.2f}x' if ratio is not None else '-'):>11}{calls:>6}   {targets}",
        flush=True,
    )


def measure(
    endpoint: Endpoint,
    audience: str,
    client: httpx.Client,
    headers: dict[str, str],
    connection: psycopg.Connection[Any],
    args: argparse.Namespace,
) -> Measured:
    """The platform's answer against the floor's figures, then both timed."""
    response = client.get(endpoint.path, headers=headers)
    if response.status_code != 200:  # not this caller's (or not there): nothing to compare
        measured = Measured(endpoint.path, audience, None, None)
        _print_row(measured)
        print(f"  {'':<10}answered {response.status_code}: {response.text[:200]}", flush=True)
        return measured
    query = _query(connection, endpoint.floor(audience)) if endpoint.floor else None
    if endpoint.figures is not None and query is not None:
        figures, suppressed = platform_figures(response.json(), endpoint.dims)
        agreement = compare(figures, suppressed, endpoint.figures(query()))
    else:
        agreement = f"{len(response.content)} bytes of {response.headers.get('content-type')}"
    platform = time_calls(_get(client, endpoint.path, headers), args.calls, args.max_seconds)
    floor = time_calls(query, args.calls, args.max_seconds) if query else None
    measured = Measured(endpoint.path, audience, platform, floor)
    _print_row(measured)
    print(f"  {'':<10}{agreement}", flush=True)
    return measured


def measure_draft(
    client: httpx.Client,
    headers: dict[str, str],
    url: str,
    officer_id: uuid.UUID,
    seeded: Seeded,
    args: argparse.Namespace,
) -> None:
    """The largest State's report draft: through HTTP as the officer, then built in this
    process by `build_report_draft` in a read-only session, as the route does."""
    from app.analytics.report_draft import build_report_draft
    from app.core.db import Database
    from app.core.principal import Principal, PrincipalKind, Role

    state = seeded.largest_state
    path = f"{API}/states/{state}/report-draft.docx"
    print(f"\nGET {path} ({seeded.largest_recommendations} recommendations), the officer")
    response = client.get(path, headers=headers)
    if response.status_code != 200:
        print(f"  platform answered {response.status_code}: {response.text[:300]}", flush=True)
    else:
        http = time_calls(_get(client, path, headers), args.calls, args.max_seconds)
        _print_draft("through HTTP", http, len(response.content))
    who = Principal(officer_id, PrincipalKind.user, Role.ohchr_officer, None)
    database = Database.from_url(url)

    def build() -> bytes:
        with database.reading() as db:
            return build_report_draft(db, who, state, mechanism=None, cycle=None)

    try:
        size = len(build())
        _print_draft("in-process", time_calls(build, args.calls, args.max_seconds), size)
    except NotImplementedError:
        print("  in-process: build_report_draft is not written yet", flush=True)
    finally:
        database.dispose()


def _print_draft(how: str, timed: Timed, size: int) -> None:
    met = "yes" if timed.ms(95) < TARGET_DRAFT_S * 1000 else "no"
    print(
        f"  {how:<13} p50 {timed.ms(50):.0f} ms, p95 {timed.ms(95):.0f} ms "
        f"({len(timed.seconds)} calls, {size} bytes); p95 under {TARGET_DRAFT_S:.0f} s: {met}",
        flush=True,
    )


def _print_seeded(seeded: Seeded) -> None:
    stages = ", ".join(f"{stage} {n}" for stage, n in sorted(seeded.requests.items()))
    statuses = ", ".join(f"{status} {n}" for status, n in sorted(seeded.assignments.items()))
    print(
        f"  assistance: {seeded.seconds:.1f} s; {sum(seeded.requests.values())} requests "
        f"({stages}; {seeded.published} published), {seeded.transitions} transitions, "
        f"{seeded.request_links} recommendation links; {seeded.providers} providers; "
        f"assignments {statuses}; latest succeeded matching run: {seeded.unmatched} unmatched; "
        f"{seeded.shortfall_links} shortfall-recommendation links\n"
        f"  largest State: {seeded.largest_state} ({seeded.largest_recommendations} "
        "recommendations)",
        flush=True,
    )


def _print_summary(rows: list[Measured]) -> None:
    timed = [row for row in rows if row.platform is not None]
    fast = sum(row.platform.ms(95) < TARGET_P95_MS for row in timed if row.platform)
    ratios = [row.ratio for row in timed if row.ratio is not None]
    close = sum(ratio <= TARGET_RATIO for ratio in ratios)
    print(
        f"\nsummary: p95 under {TARGET_P95_MS:.0f} ms for {fast} of {len(timed)} measurements; "
        f"within {TARGET_RATIO:.0f}x of the floor's p95 for {close} of {len(ratios)}"
        + (f" (ratios {min(ratios):.2f}x to {max(ratios):.2f}x)" if ratios else ""),
        flush=True,
    )


def bench(args: argparse.Namespace, url: str, workdir: Path) -> None:
    from app.core.db import Database
    from app.migrate import migrate

    print(f"database {urlsplit(url).path.lstrip('/')}", flush=True)
    database = Database.from_url(url)
    try:
        reporting._timed("  migrate", lambda: migrate(database))
    finally:
        database.dispose()
    loaded = reporting.load(url, args.recommendations, args.reports)
    steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in loaded.seconds.items())
    print(
        f"  catalogue and reports (reporting.py's load): {steps}; {loaded.recommendations} "
        f"recommendations, {loaded.reports} progress reports, {loaded.shortfalls} shortfalls",
        flush=True,
    )
    seeded = seed_assistance(url, args.requests, args.providers)
    _print_seeded(seeded)
    secret = secrets.token_urlsafe(48)
    officer_id, token = make_officer(url, secret)
    callers = {"officer": {"Authorization": f"Bearer {token}"}, "anonymous": {}}
    env = {
        "ENVIRONMENT": "production",
        "JWT_SECRET": secret,
        "DATABASE_URL": url,
        "RATE_LIMIT_PER_MINUTE": "0",  # one client sends everything: time the handlers
    }
    rows: list[Measured] = []
    with (
        psycopg.connect(url, autocommit=True) as connection,
        load.serving("platform", "app.main:app", env, workdir / "platform.log", 2) as server,
        httpx.Client(base_url=server.base_url, timeout=120) as client,
    ):
        # A set-returning function's default estimate (100 rows per JSON array) makes the
        # planner compile some floors with JIT, which takes longer than running them.
        connection.execute("SET jit = off")
        print(f"  {check_working_days(connection)}")
        print(
            "\nplatform: uvicorn app.main:app --workers 2, ENVIRONMENT=production; floor: the "
            "same figures in hand-written SQL through psycopg, one autocommit connection. One "
            f"client, {WARM_UP_CALLS} warm-up calls, then {args.calls} timed calls each "
            f"(fewer past {args.max_seconds:.0f} s). Before timing, with nothing driven, "
            f"{reporting._idle_load():.2f} CPUs were busy; load average "
            + " ".join(f"{x:.2f}" for x in os.getloadavg()),
            flush=True,
        )
        print(
            f"\n  {'':<10}{'platform ms':>16}   {'floor ms':>16}\n  {'caller':<10}"
            f"{'p50':>8}{'p95':>8}   {'p50':>8}{'p95':>8}{'p95 ratio':>11}{'calls':>6}"
        )
        for endpoint in endpoints():
            print(f"GET {endpoint.path}" + (f"  ({endpoint.note})" if endpoint.note else ""))
            for audience, headers in callers.items():
                rows.append(measure(endpoint, audience, client, headers, connection, args))
        measure_draft(client, callers["officer"], url, officer_id, seeded, args)
    _print_summary(rows)
    print("load average at the end " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--recommendations", type=int, default=200_000)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--providers", type=int, default=2_000)
    parser.add_argument("--calls", type=int, default=30, help="timed calls per measurement")
    parser.add_argument(
        "--max-seconds", type=float, default=20.0, help="of timed calls per measurement, at most"
    )
    parser.add_argument("--postgres", default="postgresql://root@127.0.0.1/test")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, reporting._exit_on_sigterm)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs", flush=True)
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="item10-analytics-") as workdir,
        reporting.throwaway_postgres(args.postgres) as url,
    ):
        bench(args, url, Path(workdir))
    print(f"\ntotal {time.perf_counter() - started:.0f} s; server stopped, database dropped")


if __name__ == "__main__":
    main()
