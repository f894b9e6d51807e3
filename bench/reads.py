"""The platform's hot reads against a driver floor that serves the same bytes (issue 17, target 1).

    .venv/bin/python bench/reads.py [--recommendations 50000] [--reports 20000] [--requests 2000]
        [--clients 16] [--seconds 8] [--rounds 2] [--postgres postgresql://root@127.0.0.1/test]
        [--snapshot DIR | --compare DIR]

Creates a throwaway PostgreSQL database (dropped at the end, also on failure or SIGTERM),
migrates it and seeds it with `bench/load.py`'s `seed`: the catalogue, progress reports and
shortfalls as `bench/reporting.py` loads them, assistance requests in every stage (40%
submitted: the triage queue) and providers, a focal point of the State with most
recommendations and an OHCHR officer. The data is the same every run: reporting.py and load.py
draw their ids with `uuid.uuid4()` and date the requests from the time they run, so while they
seed, `uuid.uuid4` draws from a generator seeded with SEED and load.py's NOW is ANCHOR.

Both accounts sign in at the real `POST /api/v1/auth/token`. Two servers run side by side with
the same flags (`uvicorn --workers 2 --no-server-header --log-level warning`):

- the platform: `app.main:app` with ENVIRONMENT=production, a fixed JWT_SECRET (cursors are
  signed with it, so the bytes are the same every run), RATE_LIMIT_PER_MINUTE=100000000 (the
  limiter still counts every request, but one load generator with one token is never refused)
  and its JSON access log at INFO going to a file;
- the floor: `floor_app` below, Starlette and psycopg (10 autocommit connections per worker,
  no ORM, no token check; the signed-in reads look their caller up as the platform does), one
  hand-written query per read where the links are aggregated in the query (two for the report
  list, eight for the overview), the JSON written with `json.dumps` as Starlette writes it. It
  serves these reads over this data, not the whole API: the catalogue filtered by State, words
  and a UHRI code; the focal point's report list (no report in the data awaits publication of a
  correction, so every report shows its current content); the focal point's own overview; the
  triage queue of one sub-region sorted by priority, for stage `submitted` only (no provider
  serves such a request); one recommendation. Where the platform's answer is computed in Python
  the floor imports the computation, which defines the answer: the priority
  (`app.assistance.priority.priority`, with the default `PriorityWeights`) and the service
  target (`app.assistance.queue.is_overdue`, with the default targets).

The reads, their parameters taken from the data the same way every run:

  a) GET /api/v1/recommendations?state=<the State with most recommendations>&limit=20
  b) GET /api/v1/recommendations?q=human%20rights&limit=20
  c) GET /api/v1/recommendations?theme=F13&limit=20
  d) GET /api/v1/progress-reports?limit=50 (the focal point)
  e) GET /api/v1/states/<its State>/overview (the focal point)
  f) GET /api/v1/assistance-requests?stage=submitted&region=<R>&sort=-priority&limit=50 (the
     officer; R is the sub-region with the longest queue that fits on one page: a next page's
     cursor holds the instant the order was computed, which no other server can repeat)
  g) GET /api/v1/recommendations/<one of that State's with two themes or more and an SDG target>

a-c and g are anonymous, as the public portals read them. Before anything is timed each read is
fetched from both servers and the bytes compared; a read whose bytes differ is shown from the
first difference and not timed. Then for each read, `--rounds` times, each server in turn
(platform first in odd rounds, floor first in even ones) is driven by `wrk -t2 -c<clients>
--latency` for WARM_UP_SECONDS, then for `--seconds`, counted: req/s, p50, p99, errors (non-2xx
answers and socket errors), the servers' CPU time per request, how many CPUs wrk, the server and
the rest (PostgreSQL, other work) used, and the load average before the run. The ratios are of
the means over the rounds. Figures are printed, never asserted.

`--snapshot DIR` writes each platform answer (status, content type, body) to DIR/<read>.json and
stops without a floor or timing; `--compare DIR` fetches the same reads and says per read
whether the answer is the same as the snapshot's. Only (f) depends on the day it is asked
(priority counts whole days waited, the service target working days): compare on the day the
snapshot was taken.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import load
import psycopg
import reporting
from psycopg.rows import dict_row
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.assistance.priority import PriorityInputs, priority
from app.assistance.queue import is_overdue
from app.core.settings import PriorityWeights, Settings

ROOT = Path(__file__).resolve().parents[1]
UTC = dt.UTC
API = "/api/v1"
SEED = 10
ANCHOR = dt.datetime(2026, 12, 1, tzinfo=UTC)  # "now" for the seeded assistance requests
# Signs the cursors in the answers: fixed so that snapshots of two runs compare equal.
SIGNING_SECRET = "bench-reads-fixed-signing-secret-for-a-throwaway-database-0123456789"  # noqa: S105
RATE_LIMIT = 100_000_000
PROVIDERS = 300
WORDS = "human rights"
THEME = "F13"  # Violence against women: one of reporting.THEMES, neither rare nor the commonest
SEARCH_PAGE = 20
REPORT_PAGE = 50
QUEUE_PAGE = 50
WRK = "/usr/bin/wrk"
WARM_UP_SECONDS = 2
TICKS = os.sysconf("SC_CLK_TCK")


# --- the data -----------------------------------------------------------------------------------


@contextlib.contextmanager
def _same_data_every_run() -> Iterator[None]:
    """While it lasts, `uuid.uuid4()` draws from a generator seeded with SEED and load.py's
    requests are dated from ANCHOR: the seeded rows are the same every run."""
    drawn = random.Random(SEED)

    def seeded_uuid4() -> uuid.UUID:
        return uuid.UUID(int=drawn.getrandbits(128), version=4)

    real_uuid4, real_now = uuid.uuid4, load.NOW
    uuid.uuid4 = seeded_uuid4  # type: ignore[assignment]
    load.NOW = ANCHOR
    try:
        yield
    finally:
        uuid.uuid4 = real_uuid4  # type: ignore[assignment]
        load.NOW = real_now


def seed(url: str, args: argparse.Namespace) -> load.Dataset:
    """load.py's data, with one focal point (of the State with most recommendations) and one
    officer."""
    sizes = argparse.Namespace(
        recommendations=args.recommendations,
        reports=args.reports,
        requests=args.requests,
        providers=PROVIDERS,
    )
    with _same_data_every_run():
        return load.seed(url, sizes, load.Mix(state_clients=1, officers=1, portals=1))


@dataclass
class Read:
    name: str
    path: str
    caller: str  # anonymous, focal point, officer


@dataclass
class Chosen:
    reads: list[Read]
    focal_point: uuid.UUID
    officer: uuid.UUID
    notes: list[str] = field(default_factory=list)


QUEUES_SQL = (
    "SELECT s.sub_region, count(*) FROM assistance_requests AS a "
    "JOIN states AS s ON s.code = a.state_code WHERE a.stage = 'submitted' "
    "GROUP BY s.sub_region ORDER BY count(*) DESC, s.sub_region"
)
ONE_RECOMMENDATION_SQL = (
    "SELECT r.id FROM recommendations AS r WHERE r.state_code = %s "
    "AND (SELECT count(*) FROM recommendation_themes AS t WHERE t.recommendation_id = r.id) >= 2 "
    "AND EXISTS (SELECT FROM recommendation_sdgs AS s WHERE s.recommendation_id = r.id) "
    "ORDER BY r.created_at, r.id LIMIT 1"
)


def choose_reads(url: str, dataset: load.Dataset) -> Chosen:
    focal, officer = dataset.state_accounts[0], dataset.officers[0]
    state = focal.state_code
    assert state is not None
    with psycopg.connect(url, autocommit=True) as connection:
        users = dict(
            connection.execute(
                "SELECT email, id FROM users WHERE email = ANY(%s)", ([focal.email, officer.email],)
            ).fetchall()
        )
        queues = connection.execute(QUEUES_SQL).fetchall()
        (recommendation,) = connection.execute(ONE_RECOMMENDATION_SQL, (state,)).fetchone() or (
            None,
        )
        theme_links = connection.execute(
            "SELECT count(*) FROM recommendation_themes AS l JOIN themes AS t ON t.id = l.theme_id "
            "WHERE t.code = %s",
            (THEME,),
        ).fetchone()
    fitting = [(region, count) for region, count in queues if count <= QUEUE_PAGE]
    if not fitting:
        raise SystemExit(f"no sub-region has at most {QUEUE_PAGE} submitted requests")
    region, queued = fitting[0]
    if recommendation is None or not theme_links or not theme_links[0]:
        raise SystemExit(f"the data has no recommendation to read alone, or no theme {THEME}")
    catalogue = f"{API}/recommendations"
    reads = [
        Read("a_catalogue_by_state", f"{catalogue}?state={state}&limit={SEARCH_PAGE}", "anonymous"),
        Read(
            "b_catalogue_by_words",
            f"{catalogue}?q={quote(WORDS)}&limit={SEARCH_PAGE}",
            "anonymous",
        ),
        Read("c_catalogue_by_theme", f"{catalogue}?theme={THEME}&limit={SEARCH_PAGE}", "anonymous"),
        Read("d_progress_reports", f"{API}/progress-reports?limit={REPORT_PAGE}", "focal point"),
        Read("e_state_overview", f"{API}/states/{state}/overview", "focal point"),
        Read(
            "f_officer_queue",
            f"{API}/assistance-requests?stage=submitted&region={quote(region)}&sort=-priority"
            f"&limit={QUEUE_PAGE}",
            "officer",
        ),
        Read("g_one_recommendation", f"{catalogue}/{recommendation}", "anonymous"),
    ]
    notes = [
        f"focal point of {state} (the State with most recommendations), one OHCHR officer",
        f"theme {THEME}: {theme_links[0]} links; the officer's queue: {region}, {queued} submitted "
        f"requests (the longest queue of at most {QUEUE_PAGE}; the longest of all: "
        f"{queues[0][0]}, {queues[0][1]})",
    ]
    return Chosen(reads, users[focal.email], users[officer.email], notes)


# --- the floor: hand-written SQL through psycopg, the same JSON bytes ---------------------------

CURSOR_KEY_LABEL = b"item10/list-cursor/v1"  # app/core/pagination.py: the cursors' own key
RECOMMENDATION_SQL = """
SELECT r.id, r.state_code, r.mechanism, r.body, r.cycle, r.session, r.document_symbol,
    r.paragraph, r.date, r.text, r.position, r.action_category, r.source_format, r.uhri_id,
    r.position_source, r.last_import_id, r.version, r.created_at, r.updated_at,
    ARRAY(SELECT s.state_code FROM recommendation_recommending_states AS s
        WHERE s.recommendation_id = r.id) AS recommending_states,
    (SELECT json_agg(json_build_array(t.code, t.name, l.label))
        FROM recommendation_themes AS l JOIN themes AS t ON t.id = l.theme_id
        WHERE l.recommendation_id = r.id) AS themes,
    ARRAY(SELECT p.name FROM recommendation_affected_persons AS l
        JOIN affected_persons AS p ON p.id = l.affected_person_id
        WHERE l.recommendation_id = r.id) AS affected_persons,
    ARRAY(SELECT s.code FROM recommendation_sdgs AS s
        WHERE s.recommendation_id = r.id) AS sdg_targets
FROM recommendations AS r
"""
CATALOGUE_FILTERS = {
    "state": "r.state_code = %(state)s",
    "q": "(r.search_vector @@ websearch_to_tsquery('english', %(q)s) OR r.paragraph = %(whole)s "
    "OR upper(r.document_symbol) = upper(%(whole)s))",
    "theme": "r.id IN (SELECT l.recommendation_id FROM recommendation_themes AS l "
    "JOIN themes AS t ON t.id = l.theme_id WHERE t.code = %(code)s OR t.key = ANY(%(keys)s))",
}
REPORTS_SQL = (
    f"SELECT {reporting.REPORT_COLUMNS} FROM progress_reports "
    "WHERE state_code = %(state)s OR visibility = 'public' ORDER BY created_at, id LIMIT %(limit)s"
)
UNREPORTED_EXAMPLES_SQL = (
    "SELECT r.id, r.document_symbol, r.paragraph, r.text FROM recommendations AS r "
    "WHERE r.state_code = %(state)s AND NOT EXISTS (SELECT FROM progress_report_recommendations "
    "AS l JOIN progress_reports AS p ON p.id = l.report_id "
    "WHERE l.recommendation_id = r.id AND p.state_code = %(state)s) "
    "ORDER BY r.created_at, r.id LIMIT 50"
)
OFFICER_SQL = "SELECT role FROM users WHERE id = %s AND is_active"
QUEUE_SQL = """
SELECT a.id, a.state_code, a.title, a.assistance_type, a.themes, a.sdg_targets, a.languages,
    a.modality, a.window_start, a.window_end, a.budget_estimate_usd, a.co_funding_usd, a.urgency,
    a.justification, a.stage, a.stage_entered_at, a.visibility, a.published_at,
    a.decline_reason, a.submitted_at, a.version, a.created_at, a.updated_at,
    a.assigned_officer_id, a.internal_notes,
    s.is_ldc, s.is_lldc, s.is_sids, s.emerging_from_conflict, s.particular_needs,
    ARRAY(SELECT l.recommendation_id FROM assistance_request_recommendations AS l
        WHERE l.request_id = a.id) AS recommendation_ids,
    ARRAY(SELECT l.shortfall_id FROM assistance_request_shortfalls AS l
        WHERE l.request_id = a.id) AS shortfall_ids,
    ARRAY(SELECT f.severity FROM assistance_request_shortfalls AS l
        JOIN shortfalls AS f ON f.id = l.shortfall_id WHERE l.request_id = a.id) AS severities
FROM assistance_requests AS a JOIN states AS s ON s.code = a.state_code
WHERE a.stage = 'submitted' AND a.visibility <> 'state'
    AND (s.region = %(region)s OR s.sub_region = %(region)s)
"""
SEVERITY_ORDER = ["low", "medium", "high", "critical"]
# The platform runs with the default priority weights and service targets.
WEIGHTS = PriorityWeights()
SERVICE_TARGETS = Settings.model_fields["service_targets"].get_default(call_default_factory=True)


def _utc(value: dt.datetime | None) -> str | None:
    return reporting._utc(value)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _cursor(list_name: str, created_at: dt.datetime, row_id: uuid.UUID) -> str:
    """The signed cursor after a row of a list ordered by (created_at, id), as
    app/core/pagination.py issues it."""
    payload = json.dumps(
        [created_at.astimezone(UTC).isoformat(), str(row_id)], separators=(",", ":")
    ).encode()
    key = hmac.new(os.environ["BENCH_FLOOR_SECRET"].encode(), CURSOR_KEY_LABEL, hashlib.sha256)
    bound = json.dumps([list_name, "created_at,id"]).encode() + b"\n" + payload
    tag = hmac.new(key.digest(), bound, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(tag)}"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _sdg_order(code: str) -> tuple[int, int, str]:
    goal, _, target = code.partition(".")
    return (int(goal), int(target) if target.isdigit() else (0 if not target else 1000), target)


def _recommendation(row: dict[str, Any]) -> dict[str, Any]:
    """A row as `RecommendationRead` writes it, its links sorted as the platform sorts them."""
    themes = sorted(row["themes"] or [], key=lambda t: (t[0] or "~", t[1]))
    return {
        "id": str(row["id"]),
        "state_code": row["state_code"],
        "mechanism": row["mechanism"],
        "body": row["body"],
        "cycle": row["cycle"],
        "session": row["session"],
        "document_symbol": row["document_symbol"],
        "paragraph": row["paragraph"],
        "date": row["date"] and row["date"].isoformat(),
        "text": row["text"],
        "position": row["position"],
        "action_category": row["action_category"],
        "recommending_states": sorted(row["recommending_states"]),
        "themes": [{"code": c, "name": n, "source_label": label} for c, n, label in themes],
        "affected_persons": sorted(row["affected_persons"]),
        "sdg_targets": sorted(row["sdg_targets"], key=_sdg_order),
        "source": {
            "format": row["source_format"],
            "uhri_id": row["uhri_id"],
            "position_source": row["position_source"],
            "import_id": _text(row["last_import_id"]),
        },
        "version": row["version"],
        "created_at": _utc(row["created_at"]),
        "updated_at": _utc(row["updated_at"]),
    }


async def floor_catalogue(request: Request) -> Response:
    """The catalogue filtered by `state`, `q` and `theme` (a UHRI code of the reference)."""
    params = request.query_params
    limit = int(params.get("limit", 50))
    values: dict[str, Any] = {"limit": limit + 1}
    where = [CATALOGUE_FILTERS[name] for name in CATALOGUE_FILTERS if name in params]
    if "state" in params:
        values["state"] = params["state"].upper()
    if "q" in params:
        values |= {"q": params["q"], "whole": params["q"].strip()}
    if "theme" in params:
        code = params["theme"].strip().upper()
        values |= {"code": code, "keys": [code, " ".join(params["theme"].split()).casefold()]}
    sql = RECOMMENDATION_SQL + (f"WHERE {' AND '.join(where)} " if where else "")
    sql += "ORDER BY r.created_at, r.id LIMIT %(limit)s"
    async with reporting._connection(request) as connection:
        cursor = connection.cursor(row_factory=dict_row)
        rows = await (await cursor.execute(sql, values)).fetchall()
    page = rows[:limit]
    after = (
        _cursor("list_recommendations", page[-1]["created_at"], page[-1]["id"])
        if len(rows) > limit
        else None
    )
    return reporting._json({"items": [_recommendation(row) for row in page], "next_cursor": after})


async def floor_recommendation(request: Request) -> Response:
    async with reporting._connection(request) as connection:
        cursor = connection.cursor(row_factory=dict_row)
        await cursor.execute(
            RECOMMENDATION_SQL + "WHERE r.id = %s", (request.path_params["recommendation_id"],)
        )
        row = await cursor.fetchone()
    if row is None:
        return Response(status_code=404)
    return reporting._json(_recommendation(row))


async def floor_reports(request: Request) -> Response:
    """The focal point's list: its State's reports and everyone's published ones."""
    limit = int(request.query_params.get("limit", REPORT_PAGE))
    async with reporting._connection(request) as connection:
        state = await reporting._caller_state(connection, request)
        if state is None:
            return Response(status_code=401)
        reports = connection.cursor(row_factory=dict_row)
        await reports.execute(REPORTS_SQL, {"state": state, "limit": limit + 1})
        rows = await reports.fetchall()
        page = rows[:limit]
        links: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        cursor = await connection.execute(reporting.LINKS_SQL, ([row["id"] for row in page],))
        for report_id, recommendation_id in await cursor.fetchall():
            links[report_id].append(recommendation_id)
    for row in page:
        if row["state_code"] != state:  # the State alone sees a correction in progress
            row["pending_revision"] = None
    after = (
        _cursor("list_progress_reports", page[-1]["created_at"], page[-1]["id"])
        if len(rows) > limit
        else None
    )
    return reporting._json(
        {
            "items": [reporting._report(row, links[row["id"]]) for row in page],
            "next_cursor": after,
        }
    )


async def floor_overview(request: Request) -> Response:
    """The State's own view only: the one the bench asks for."""
    async with reporting._connection(request) as connection:
        caller = await reporting._caller_state(connection, request)
        cursor = await connection.execute(
            reporting.STATE_SQL, (request.path_params["code"].upper(),)
        )
        found = await cursor.fetchone()
        if found is None or found[0] != caller:
            return Response(status_code=404)
        state = {"state": found[0]}

        async def rows(sql: str) -> list[tuple[Any, ...]]:
            cursor = await connection.execute(sql, state)
            return await cursor.fetchall()

        latest = {str(status): count for status, count in await rows(reporting.LATEST_SQL)}
        total = (await rows(reporting.TOTAL_SQL))[0][0]
        by_mechanism = {str(m): count for m, count in await rows(reporting.MECHANISM_SQL)}
        themes = await rows(reporting.THEMES_SQL)
        goals = {str(goal): count for goal, count in await rows(reporting.SDG_SQL)}
        examples = await rows(UNREPORTED_EXAMPLES_SQL)
        shortfalls = {str(b): count for b, count in await rows(reporting.SHORTFALLS_SQL)}
    unreported = total - sum(latest.values())
    return reporting._json(
        {
            "state_code": state["state"],
            "scope": "state",
            "recommendations": total,
            "by_mechanism": by_mechanism,
            "by_theme": [{"code": c, "name": n, "count": k} for c, n, k in themes],
            "by_sdg_goal": goals,
            "by_latest_status": latest | {"no_report": unreported},
            "without_report": unreported,
            "without_report_sample": [str(rid) for rid, *_ in examples],
            "without_report_examples": [
                {"id": str(rid), "document_symbol": symbol, "paragraph": paragraph, "text": text}
                for rid, symbol, paragraph, text in examples
            ],
            "open_shortfalls_by_barrier": shortfalls,
        }
    )


def _officer_view(row: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """A submitted request as `OfficerRequestView` writes it."""
    entered = row["stage_entered_at"].astimezone(UTC)
    submitted = row["submitted_at"] and row["submitted_at"].astimezone(UTC)
    inputs = PriorityInputs(
        is_ldc=row["is_ldc"],
        is_lldc=row["is_lldc"],
        is_sids=row["is_sids"],
        emerging_from_conflict=row["emerging_from_conflict"],
        particular_needs=row["particular_needs"],
        urgency=row["urgency"],
        worst_shortfall_severity=max(row["severities"], key=SEVERITY_ORDER.index, default=None),
        submitted_at=submitted,
    )
    return {
        "id": str(row["id"]),
        "state_code": row["state_code"],
        "title": row["title"],
        "recommendation_ids": sorted(str(r) for r in row["recommendation_ids"]),
        "shortfall_ids": sorted(str(s) for s in row["shortfall_ids"]),
        "assistance_type": row["assistance_type"],
        "themes": row["themes"],
        "sdg_targets": row["sdg_targets"],
        "languages": row["languages"],
        "modality": row["modality"],
        "window_start": row["window_start"].isoformat(),
        "window_end": row["window_end"].isoformat(),
        "budget_estimate_usd": _float(row["budget_estimate_usd"]),
        "co_funding_usd": _float(row["co_funding_usd"]),
        "urgency": row["urgency"],
        "justification": row["justification"],
        "stage": row["stage"],
        "stage_entered_at": _utc(entered),
        "visibility": row["visibility"],
        "published": row["visibility"] == "public",
        "published_at": _utc(row["published_at"]),
        "decline_reason": row["decline_reason"],
        "submitted_at": _utc(submitted),
        "assigned_provider": None,  # no provider serves a submitted request
        "version": row["version"],
        "created_at": _utc(row["created_at"]),
        "updated_at": _utc(row["updated_at"]),
        "priority": priority(inputs, WEIGHTS, now).model_dump(),
        "overdue": is_overdue(row["stage"], entered, now, SERVICE_TARGETS),
        "assigned_officer_id": _text(row["assigned_officer_id"]),
        "internal_notes": row["internal_notes"],
    }


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


async def floor_queue(request: Request) -> Response:
    """The triage queue of one region for an officer: `stage=submitted&region=R`, most urgent
    first; every request of the region on the page (the bench picks a region that fits)."""
    params = request.query_params
    limit = int(params.get("limit", 50))
    if params.get("stage") != "submitted" or params.get("sort") != "-priority":
        return Response(status_code=400)
    async with reporting._connection(request) as connection:
        cursor = await connection.execute(OFFICER_SQL, (request.app.state.officer_id,))
        caller = await cursor.fetchone()
        if caller is None or caller[0] not in ("ohchr_officer", "ohchr_admin"):
            return Response(status_code=403)
        rows = connection.cursor(row_factory=dict_row)
        await rows.execute(QUEUE_SQL, {"region": params["region"]})
        found = await rows.fetchall()
    now = dt.datetime.now(UTC)
    views = [_officer_view(row, now) for row in found]
    views.sort(key=lambda v: (-v["priority"]["score"], v["id"]))
    return reporting._json({"items": views[:limit], "next_cursor": None})


@contextlib.asynccontextmanager
async def _floor_lifespan(app: Starlette) -> AsyncIterator[None]:
    """reporting.py's pool (and its caller, the focal point), and the officer."""
    async with reporting._floor_lifespan(app):
        app.state.officer_id = uuid.UUID(os.environ["BENCH_FLOOR_OFFICER"])
        yield


floor_app = Starlette(
    routes=[
        Route("/readyz", reporting.floor_ready),
        Route(f"{API}/recommendations", floor_catalogue),
        Route(f"{API}/recommendations/{{recommendation_id}}", floor_recommendation),
        Route(f"{API}/progress-reports", floor_reports),
        Route(f"{API}/states/{{code}}/overview", floor_overview),
        Route(f"{API}/assistance-requests", floor_queue),
    ],
    lifespan=_floor_lifespan,
)


# --- comparing answers --------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes

    @classmethod
    def fetch(cls, base_url: str, read: Read, headers: dict[str, str]) -> Answer:
        reply = httpx.get(base_url + read.path, headers=headers, timeout=60)
        return cls(reply.status_code, reply.headers.get("content-type", ""), reply.content)

    def as_json(self, read: Read, taken_on: dt.date) -> dict[str, Any]:
        return {
            "read": read.name,
            "path": read.path,
            "caller": read.caller,
            "taken_on": taken_on.isoformat(),
            "status": self.status,
            "content_type": self.content_type,
            "sha256": hashlib.sha256(self.body).hexdigest(),
            "body": self.body.decode(),
        }


def first_difference(one: bytes, other: bytes) -> int | None:
    if one == other:
        return None
    return next(
        (i for i, (a, b) in enumerate(zip(one, other, strict=False)) if a != b),
        min(len(one), len(other)),
    )


def _differs(label: str, platform: Answer, floor: Answer) -> str | None:
    """Why the floor's answer is not the platform's, or None when the bytes are equal."""
    if (platform.status, floor.status) != (200, 200):
        return f"{label}: status {platform.status} / {floor.status}: {platform.body[:300]!r}"
    at = first_difference(platform.body, floor.body)
    if at is None:
        return None
    return f"{label}: {reporting._same_bytes(platform.body, floor.body)} (offset {at})"


def snapshot(
    platform: reporting.Server, reads: list[Read], tokens: dict[str, str], out: Path
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    today = dt.datetime.now(UTC).date()
    for read in reads:
        answer = Answer.fetch(platform.base_url, read, _headers(read, tokens))
        target = out / f"{read.name}.json"
        target.write_text(json.dumps(answer.as_json(read, today), indent=1, ensure_ascii=False))
        print(f"  {read.name}: {answer.status}, {len(answer.body)} bytes -> {target}")


def compare(
    platform: reporting.Server, reads: list[Read], tokens: dict[str, str], taken: Path
) -> bool:
    today = dt.datetime.now(UTC).date().isoformat()
    all_same = True
    for read in reads:
        kept = json.loads((taken / f"{read.name}.json").read_text())
        now = Answer.fetch(platform.base_url, read, _headers(read, tokens))
        before = Answer(kept["status"], kept["content_type"], kept["body"].encode())
        if kept["path"] != read.path:
            verdict = f"DIFFERENT request: the snapshot asked {kept['path']}"
        elif (now.status, now.content_type) != (before.status, before.content_type):
            verdict = (
                f"DIFFERENT: status {before.status} -> {now.status}, content type "
                f"{before.content_type!r} -> {now.content_type!r}"
            )
        elif (at := first_difference(before.body, now.body)) is not None:
            verdict = (
                f"DIFFERENT from byte {at} ({len(before.body)} -> {len(now.body)} bytes): "
                f"snapshot {before.body[at : at + 60]!r} now {now.body[at : at + 60]!r}"
            )
        else:
            verdict = f"same ({len(now.body)} bytes)"
        if kept["taken_on"] != today and read.name == "f_officer_queue":
            verdict += f" (the snapshot was taken on {kept['taken_on']}, another day)"
        all_same &= verdict.startswith("same")
        print(f"  {read.name}: {verdict}", flush=True)
    return all_same


def _headers(read: Read, tokens: dict[str, str]) -> dict[str, str]:
    token = tokens.get(read.caller)
    return {"Authorization": f"Bearer {token}"} if token else {}


# --- timing with wrk ----------------------------------------------------------------------------

LATENCY = re.compile(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class Run:
    server: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: Counter[str]
    server_cpu: float  # CPU seconds of the server's process tree
    wrk_cpu: float
    busy: float  # CPU seconds the whole machine was busy

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def server_cpu_ms(self) -> float:
        return self.server_cpu / max(self.requests, 1) * 1000

    def cpus(self) -> str:
        rest = max(self.busy - self.server_cpu - self.wrk_cpu, 0.0)
        return " / ".join(f"{x / self.seconds:.2f}" for x in (self.wrk_cpu, self.server_cpu, rest))


def _wrk(url: str, headers: dict[str, str], clients: int, seconds: float) -> str:
    command = [WRK, f"-t{min(2, clients)}", f"-c{clients}", f"-d{seconds:g}s", "--latency"]
    command += ["--timeout", "30s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run(  # noqa: S603 (wrk, our own arguments)
        [*command, url], capture_output=True, text=True, check=True
    )
    return done.stdout


def parse_wrk(output: str) -> tuple[int, float, float, float, Counter[str]]:
    """(requests, seconds, p50 ms, p99 ms, errors by kind) of wrk's report."""
    counted = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    if counted is None:
        raise RuntimeError(f"wrk said:\n{output}")
    seconds = float(counted[2]) * UNITS_MS[counted[3]] / 1000
    latency = {q: float(v) * UNITS_MS[unit] for q, v, unit in LATENCY.findall(output)}
    errors: Counter[str] = Counter()
    for count in re.findall(r"Non-2xx or 3xx responses: (\d+)", output):
        errors["non-2xx"] += int(count)
    socket = re.search(r"Socket errors: (connect \d+, read \d+, write \d+, timeout \d+)", output)
    for kind, count in re.findall(r"(\w+) (\d+)", socket[1] if socket else ""):
        errors[kind] += int(count)
    return int(counted[1]), seconds, latency["50"], latency["99"], +errors


def drive(
    server: reporting.Server, read: Read, headers: dict[str, str], clients: int, seconds: float
) -> Run:
    url = server.base_url + read.path
    _wrk(url, headers, clients, WARM_UP_SECONDS)
    before = (reporting._cpu_seconds(server.pid), _wrk_cpu(), reporting._machine_busy_seconds())
    output = _wrk(url, headers, clients, seconds)
    after = (reporting._cpu_seconds(server.pid), _wrk_cpu(), reporting._machine_busy_seconds())
    server_cpu, wrk_cpu, busy = (b - a for a, b in zip(before, after, strict=True))
    requests, elapsed, p50, p99, errors = parse_wrk(output)
    return Run(server.label, requests, elapsed, p50, p99, errors, server_cpu, wrk_cpu, busy)


def _wrk_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk runs that have ended
    return usage.ru_utime + usage.ru_stime


def _load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


HEADER = (
    f"  {'round':<6}{'server':<9}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
    f"{'errors':>8}{'CPU ms/req':>11}   CPUs wrk / server / rest   load average before"
)


def _print_run(round_: int, run: Run, load_before: str) -> None:
    print(
        f"  {round_:<6}{run.server:<9}{run.requests:>9}{run.rps:>9.1f}{run.p50_ms:>9.1f}"
        f"{run.p99_ms:>9.1f}{run.errors.total():>8}{run.server_cpu_ms:>11.2f}   {run.cpus():<26}"
        f"{load_before}{f'  errors: {dict(run.errors)}' if run.errors else ''}",
        flush=True,
    )


@dataclass
class Timed:
    read: Read
    platform: list[Run]
    floor: list[Run]

    @staticmethod
    def mean(runs: list[Run], figure: str) -> float:
        return sum(getattr(run, figure) for run in runs) / len(runs)

    def ratio(self, figure: str) -> float:
        return self.mean(self.platform, figure) / self.mean(self.floor, figure)


def time_read(
    read: Read,
    servers: tuple[reporting.Server, reporting.Server],
    headers: dict[str, str],
    args: argparse.Namespace,
) -> Timed:
    print(f"\n{read.name}: GET {read.path} ({read.caller})")
    print(HEADER)
    runs: dict[str, list[Run]] = {"platform": [], "floor": []}
    for round_ in range(1, args.rounds + 1):
        order = servers if round_ % 2 else servers[::-1]
        for server in order:
            load_before = _load_average()
            run = drive(server, read, headers, args.clients, args.seconds)
            runs[server.label].append(run)
            _print_run(round_, run, load_before)
    timed = Timed(read, runs["platform"], runs["floor"])
    each = ", ".join(
        f"{p.rps / f.rps:.3f}" for p, f in zip(timed.platform, timed.floor, strict=True)
    )
    print(
        f"  platform/floor: req/s {timed.ratio('rps'):.3f} (rounds: {each}), "
        f"server CPU per request {timed.ratio('server_cpu_ms'):.2f}x",
        flush=True,
    )
    return timed


def print_summary(timed: list[Timed], skipped: list[str]) -> None:
    print("\nsummary: means over the rounds; ratio = platform req/s / floor req/s (target >= 0.5)")
    print(
        f"  {'read':<22}{'platform':>10}{'floor':>10}{'ratio':>8}"
        f"{'p99 ms platform / floor':>26}{'CPU ms/req platform / floor':>30}{'x':>7}"
    )
    for t in timed:
        p99 = f"{Timed.mean(t.platform, 'p99_ms'):.1f} / {Timed.mean(t.floor, 'p99_ms'):.1f}"
        cpu = (
            f"{Timed.mean(t.platform, 'server_cpu_ms'):.2f} / "
            f"{Timed.mean(t.floor, 'server_cpu_ms'):.2f}"
        )
        print(
            f"  {t.read.name:<22}{Timed.mean(t.platform, 'rps'):>10.1f}"
            f"{Timed.mean(t.floor, 'rps'):>10.1f}{t.ratio('rps'):>8.3f}{p99:>26}{cpu:>30}"
            f"{t.ratio('server_cpu_ms'):>7.2f}"
        )
    for line in skipped:
        print(f"  not timed: {line}")


# --- the run ------------------------------------------------------------------------------------


def _sign_in(platform: reporting.Server, dataset: load.Dataset) -> dict[str, str]:
    accounts = [(0, dataset.state_accounts[0]), (1, dataset.officers[0])]
    tokens = asyncio.run(load.sign_in(platform.base_url, accounts, dataset.password))
    return {"focal point": tokens[0], "officer": tokens[1]}


def bench(args: argparse.Namespace, url: str, workdir: Path) -> None:
    from app.core.db import Database
    from app.migrate import migrate

    print(f"database {urlsplit(url).path.lstrip('/')}", flush=True)
    database = Database.from_url(url)
    try:
        reporting._timed("  migrate", lambda: migrate(database))
    finally:
        database.dispose()
    dataset = reporting._timed("  seed (bench/load.py's)", lambda: seed(url, args))
    for line in dataset.summary:
        print(f"  {line}")
    chosen = choose_reads(url, dataset)
    if args.only:
        chosen.reads[:] = [read for read in chosen.reads if read.name[0] in args.only]
    for line in chosen.notes:
        print(f"  {line}", flush=True)
    platform_env = {
        "ENVIRONMENT": "production",
        "JWT_SECRET": SIGNING_SECRET,
        "DATABASE_URL": url,
        "RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT),
    }
    floor_env = {
        "BENCH_FLOOR_DSN": url,
        "BENCH_FLOOR_USER": str(chosen.focal_point),
        "BENCH_FLOOR_OFFICER": str(chosen.officer),
        "BENCH_FLOOR_SECRET": SIGNING_SECRET,
    }
    with reporting.serving(
        "platform", "app.main:app", platform_env, workdir / "platform.log"
    ) as platform:
        tokens = _sign_in(platform, dataset)
        print(f"  signed in at POST {API}/auth/token: the focal point and the officer")
        if args.snapshot:
            snapshot(platform, chosen.reads, tokens, args.snapshot)
            return
        if args.compare:
            same = compare(platform, chosen.reads, tokens, args.compare)
            print("every answer the same as the snapshot's" if same else "SOME ANSWERS DIFFER")
            return
        with reporting.serving(
            "floor", "reads:floor_app", floor_env, workdir / "floor.log", ROOT / "bench"
        ) as floor:
            print(
                f"servers: platform (uvicorn app.main:app, ENVIRONMENT=production, "
                f"RATE_LIMIT_PER_MINUTE={RATE_LIMIT}) and floor (Starlette + psycopg), each "
                f"--workers {reporting.WORKERS} --no-server-header --log-level warning"
            )
            timed, skipped = [], []
            to_time = []
            for read in chosen.reads:
                headers = _headers(read, tokens)
                answers = [Answer.fetch(s.base_url, read, headers) for s in (platform, floor)]
                why = _differs(read.name, *answers)
                if why is None:
                    print(f"  {read.name}: the same bytes ({len(answers[0].body)})")
                    to_time.append(read)
                else:
                    print(f"  {why}")
                    skipped.append(why)
            print(
                f"\nwrk -t2 -c{args.clients} --latency, {WARM_UP_SECONDS} s of warm-up then "
                f"{args.seconds:g} s counted, per server and round. {os.cpu_count()} CPUs shared "
                "by wrk, the servers and PostgreSQL ('rest': PostgreSQL and any other work). "
                f"With nothing driven {reporting._idle_load():.2f} CPUs were busy.",
                flush=True,
            )
            for read in to_time:
                timed.append(time_read(read, (platform, floor), _headers(read, tokens), args))
    print_summary(timed, skipped)
    print_platform_log(workdir / "platform.log")


def print_platform_log(log: Path) -> None:
    """The statuses in the platform's access log, and any line that is not an access record."""
    statuses: Counter[int] = Counter()
    other: list[str] = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            statuses[json.loads(line)["status"]] += 1
        except (ValueError, KeyError, TypeError):
            other.append(line)
    shown = ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
    print(f"  the platform's JSON access log: {statuses.total()} requests ({shown})")
    if other:
        print(f"  and {len(other)} other lines, the first: " + " | ".join(other[:5])[:2000])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--recommendations", type=int, default=50_000)
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--postgres", default="postgresql://root@127.0.0.1/test")
    parser.add_argument(
        "--only", default="", metavar="LETTERS", help="time these reads only, e.g. --only ef"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--snapshot", type=Path, metavar="DIR", help="write the answers, no timing")
    mode.add_argument("--compare", type=Path, metavar="DIR", help="compare with a snapshot")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, reporting._exit_on_sigterm)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {_load_average()}")
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="item10-reads-") as workdir,
        reporting.throwaway_postgres(args.postgres) as url,
    ):
        bench(args, url, Path(workdir))
    print(f"\ntotal {time.perf_counter() - started:.0f} s; servers stopped, database dropped")


if __name__ == "__main__":
    main()
