"""A State's focal point reading its reports and overview: the platform against a driver floor.

    .venv/bin/python bench/reporting.py [--recommendations 200000] [--reports 100000]
        [--clients 32] [--seconds 20] [--postgres postgresql://root@127.0.0.1/test]

Creates a throwaway PostgreSQL database (dropped at the end, also on failure), migrates it and
bulk-loads it with COPY: recommendations spread unevenly over the 195 States, with themes and
SDG targets; progress reports with their revision 1 and links to 1-3 of their State's
recommendations, in a mix of stages, visibilities, statuses and periods; a few shortfalls. A
focal point of the State with most reports gets a token. Two servers then run side by side, each
`uvicorn --workers 2`:

- the platform: `app.main:app` with ENVIRONMENT=production (its JSON access log at INFO going
  to a file, as it would to a log collector);
- the floor: a Starlette app defined below that runs the same SQL through psycopg (a pool of
  autocommit connections per worker, no token check) and answers the same JSON bytes, which
  are compared before anything is timed.

`--clients` clients (one httpx.AsyncClient, asyncio) drive each server in turn for `--seconds`
after a warm-up, on (a) GET /api/v1/progress-reports?limit=50 and (b) GET
/api/v1/states/{code}/overview. Figures are printed, never asserted. The load generator runs on
the same CPUs as the servers and PostgreSQL; how the CPU time split is printed for each run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import support
from psycopg.rows import dict_row
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[1]
UTC = dt.UTC
SEED = 10
WORKERS = 2
FLOOR_POOL = 10  # connections per floor worker: enough for the requests in flight at 16 clients
PAGE = 50
WARM_UP_SECONDS = 3.0
READY_TIMEOUT_SECONDS = 60.0
CONTENT_VARIANTS = 1000  # distinct report texts, reused across reports
STATE_SPREAD = 0.6  # sigma of the log-normal weight of each State: the busiest has ~4x the mean


# --- what the data looks like -------------------------------------------------------------------

# (mechanism, body, weight)
MECHANISMS = [
    ("upr", "UPR", 55),
    ("crc", "CRC", 8),
    ("cedaw", "CEDAW", 8),
    ("ccpr", "CCPR", 6),
    ("cescr", "CESCR", 6),
    ("cat", "CAT", 5),
    ("cerd", "CERD", 5),
    ("crpd", "CRPD", 4),
    ("cmw", "CMW", 1),
    ("ced", "CED", 1),
    ("spt", "SPT", 1),
]
ACTIONS = [
    "Ratify",
    "Consider ratifying",
    "Strengthen",
    "Adopt",
    "Ensure the effective implementation of",
    "Continue its efforts to implement",
    "Allocate adequate resources to",
    "Take the necessary measures to enforce",
    "Review and amend",
]
SUBJECTS = [
    "the Optional Protocol to the Convention against Torture",
    "the national human rights institution, in line with the Paris Principles",
    "legislation that criminalises all forms of violence against women and girls",
    "the national action plan on the rights of the child",
    "the independence of the judiciary",
    "measures to combat trafficking in persons",
    "access to inclusive and quality education for children with disabilities",
    "the International Convention for the Protection of All Persons from Enforced Disappearance",
    "a national mechanism for implementation, reporting and follow-up",
    "the protection of human rights defenders and journalists",
    "universal birth registration",
    "policies to reduce maternal and infant mortality",
    "the rights of indigenous peoples to their lands and resources",
    "the abolition of the death penalty",
    "freedom of expression online and offline",
]
TAILS = [
    "",
    " and allocate sufficient resources to it",
    " in consultation with civil society",
    " with the technical assistance of OHCHR",
    ", in particular in rural areas",
    " and report on progress at the next review",
]
THEMES = [
    ("A12", "Acceptance of international norms"),
    ("A41", "Constitutional and legislative framework"),
    ("A42", "Institutions & policies - General"),
    ("A51", "Human rights education - General"),
    ("A62", "Cooperation with treaty bodies"),
    ("B31", "Equality & non-discrimination"),
    ("B51", "Right to an effective remedy"),
    ("B8", "Human rights & counter-terrorism"),
    ("D21", "Right to life"),
    ("D25", "Prohibition of torture and cruel, inhuman or degrading treatment"),
    ("D31", "Liberty and security of the person - General"),
    ("D43", "Freedom of opinion and expression"),
    ("D51", "Administration of justice & fair trial"),
    ("D27", "Prohibition of slavery, trafficking"),
    ("E1", "Economic, social & cultural rights - General measures of implementation"),
    ("E41", "Right to health - General"),
    ("E51", "Right to education - General"),
    ("F12", "Discrimination against women"),
    ("F13", "Violence against women"),
    ("F31", "Children: definition; general principles; protection"),
    ("F4", "Persons with disabilities"),
    ("G1", "Members of minorities"),
    ("G3", "Indigenous peoples"),
    ("G4", "Migrants"),
    ("H1", "Human rights defenders"),
]
STATUSES = [
    ("not_started", 15),
    ("in_progress", 40),
    ("partially_implemented", 30),
    ("fully_implemented", 15),
]
# (stage, visibility, weight): a draft is its State's alone; a submitted one OHCHR's or public.
PUBLICATION = [("draft", "state", 20), ("submitted", "ohchr", 40), ("submitted", "public", 40)]
MEASURES = [
    "A national action plan was adopted by the Council of Ministers and is being implemented.",
    "Draft legislation has been submitted to Parliament after public consultation.",
    "Training was delivered to judges, prosecutors and police officers in every region.",
    "A budget line was created for the national human rights institution.",
    "An inter-ministerial committee meets quarterly to follow up on the recommendations.",
    "Awareness campaigns were run on national radio and television in all official languages.",
]
ENTITIES = [
    "Ministry of Justice",
    "Ministry of Foreign Affairs",
    "Ministry of Health",
    "Ministry of Education",
    "Ministry of Gender and Social Affairs",
    "National Human Rights Commission",
    "National Statistics Office",
    "Office of the Attorney General",
]
INDICATORS = [
    ("Proportion of births registered", "%"),
    ("Cases of trafficking prosecuted", "cases"),
    ("Maternal mortality ratio", "per 100,000 live births"),
    ("Net enrolment rate, primary", "%"),
    ("Judges trained on the Convention", None),
]
BARRIERS = [
    "financial",
    "technical_expertise",
    "data_and_statistics",
    "legislative",
    "institutional_coordination",
    "human_resources",
    "crisis_or_emergency",
    "conflict_or_insecurity",
    "other",
]
SEVERITIES = ["low", "medium", "high", "critical"]


def _instant(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    span = (end - start).total_seconds()
    return start + dt.timedelta(seconds=rng.random() * span)


@dataclass
class Loaded:
    recommendations: int
    themes_links: int
    sdg_links: int
    reports: int
    report_links: int
    shortfalls: int
    focal_state: str
    focal_recommendations: int
    focal_reports: int
    focal_mix: Counter[str]
    seconds: dict[str, float]


def _recommendation_rows(
    rng: random.Random, count: int, states: list[str], weights: list[float]
) -> Iterator[dict[str, Any]]:
    from app.taxonomies.vocabularies import cycle_of_upr_session

    owners = rng.choices(states, weights, k=count)
    kinds = rng.choices(MECHANISMS, [w for *_, w in MECHANISMS], k=count)
    positions = rng.choices(["supported", "supported_in_part", "noted"], [65, 5, 30], k=count)
    start, end = dt.datetime(2023, 1, 1, tzinfo=UTC), dt.datetime(2026, 10, 1, tzinfo=UTC)
    for n, (state, (mechanism, body, _), upr_position) in enumerate(
        zip(owners, kinds, positions, strict=True)
    ):
        text = f"{rng.choice(ACTIONS)} {rng.choice(SUBJECTS)}{rng.choice(TAILS)}."
        source_key = f"bench:{n:08d}"
        created = _instant(rng, start, end)
        if mechanism == "upr":
            session = rng.randint(1, 46)
            cycle: int | None = cycle_of_upr_session(session)
            symbol = f"A/HRC/{session + 9}/{rng.randint(2, 20)}"
            paragraph = f"{rng.randint(110, 160)}.{rng.randint(1, 300)}"
            position: str | None = upr_position
            position_source: str | None = f"{symbol}/Add.1"
        else:
            session, cycle = rng.randint(50, 95), None
            symbol = f"{body}/C/{state}/CO/{rng.randint(1, 8)}"
            paragraph = str(rng.randint(5, 60))
            position, position_source = None, None
        yield {
            "id": uuid.uuid4(),
            "source_key": source_key,
            "source_format": "bench",
            "uhri_id": uuid.uuid4().hex if rng.random() < 0.5 else None,
            "state_code": state,
            "mechanism": mechanism,
            "body": body,
            "cycle": cycle,
            "session": session,
            "document_symbol": symbol,
            "paragraph": paragraph,
            "position_source": position_source,
            "date": created.date() - dt.timedelta(days=rng.randint(30, 900)),
            "text": text,
            "position": position,
            "content_hash": hashlib.sha256(f"{source_key}\n{text}".encode()).hexdigest(),
            "action_category": None,
            "last_import_id": None,
            "version": 1,
            "created_at": created,
            "updated_at": created,
        }


def _report_content(rng: random.Random, n: int) -> dict[str, Any]:
    """What a State writes in a report, JSON columns as JSON text (COPY parses it)."""
    start = dt.date(rng.randint(2015, 2024), rng.choice([1, 7]), 1)
    end = dt.date(start.year + rng.randint(1, 4), start.month, 1) - dt.timedelta(days=1)
    evidence = [
        {"title": f"Report of the Ministry, annex {k + 1}", "url": f"https://gov.example/r/{n}/{k}"}
        for k in range(rng.choice([0, 1, 1, 2, 3]))
    ]
    indicators = []
    for _ in range(rng.choice([0, 0, 1, 2])):
        name, unit = rng.choice(INDICATORS)
        indicators.append(
            {
                "name": name,
                "value": round(rng.uniform(1, 99), 1),
                "unit": unit,
                "date": end.isoformat() if rng.random() < 0.7 else None,
                "disaggregation": {"sex": rng.choice(["female", "male"])}
                if rng.random() < 0.3
                else {},
            }
        )
    return {
        "cluster_id": None,
        "period_start": start,
        "period_end": end,
        "status": rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0],
        "summary": " ".join(rng.choices(MEASURES, k=rng.randint(2, 6))),
        "measures": json.dumps(rng.sample(MEASURES, rng.randint(1, 3))),
        "evidence": json.dumps(evidence),
        "indicators": json.dumps(indicators),
        "responsible_entities": json.dumps(rng.sample(ENTITIES, rng.randint(1, 3))),
    }


def _report_rows(
    rng: random.Random,
    count: int,
    states: list[str],
    weights: list[float],
    recommendations: dict[str, list[uuid.UUID]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(reports, their revisions 1, their links)."""
    owners = rng.choices(
        [s for s in states if recommendations[s]],
        [w for s, w in zip(states, weights, strict=True) if recommendations[s]],
        k=count,
    )
    publication = rng.choices(PUBLICATION, [w for *_, w in PUBLICATION], k=count)
    contents = [_report_content(rng, n) for n in range(CONTENT_VARIANTS)]
    people = {state: (uuid.uuid4(), uuid.uuid4()) for state in states}  # contributor, focal point
    start, end = dt.datetime(2023, 1, 1, tzinfo=UTC), dt.datetime(2026, 11, 1, tzinfo=UTC)
    reports, revisions, links = [], [], []
    for state, (stage, visibility, _) in zip(owners, publication, strict=True):
        report_id = uuid.uuid4()
        created = _instant(rng, start, end)
        submitted = created + dt.timedelta(days=rng.uniform(0, 20)) if stage != "draft" else None
        published = (
            submitted + dt.timedelta(days=rng.uniform(0, 10))
            if submitted and visibility == "public"
            else None
        )
        updated = published or submitted or created + dt.timedelta(days=rng.uniform(0, 5))
        contributor, focal_point = people[state]
        mine = recommendations[state]
        chosen = rng.sample(mine, min(rng.choice([1, 1, 1, 2, 2, 3]), len(mine)))
        content = rng.choice(contents)
        reports.append(
            content
            | {
                "id": report_id,
                "state_code": state,
                "stage": stage,
                "visibility": visibility,
                "created_by_id": contributor,
                "submitted_at": submitted,
                "submitted_by_id": focal_point if submitted else None,
                "published_at": published,
                "revision": 1,
                "pending_revision": None,
                # Everyone else reads this revision while the report is public.
                "published_revision": 1 if published is not None else None,
                "version": 2 + (published is not None) if submitted else 1,
                "created_at": created,
                "updated_at": updated,
            }
        )
        revisions.append(
            content
            | {
                "id": uuid.uuid4(),
                "report_id": report_id,
                "number": 1,
                "stage": stage,
                "recommendation_ids": json.dumps([str(rid) for rid in chosen]),
                "created_by_id": contributor,
                "created_at": created,
                "updated_at": submitted or updated,
                "submitted_at": submitted,
                "submitted_by_id": focal_point if submitted else None,
                "reason": None,
            }
        )
        links += [{"report_id": report_id, "recommendation_id": rid} for rid in chosen]
    return reports, revisions, links


def _shortfall_rows(rng: random.Random, states: list[str]) -> Iterator[dict[str, Any]]:
    start, end = dt.datetime(2023, 1, 1, tzinfo=UTC), dt.datetime(2026, 11, 1, tzinfo=UTC)
    for state in states:
        for stage, visibility, _ in rng.choices(
            PUBLICATION, [w for *_, w in PUBLICATION], k=rng.randint(0, 20)
        ):
            created = _instant(rng, start, end)
            yield {
                "id": uuid.uuid4(),
                "state_code": state,
                "stage": stage,
                "visibility": visibility,
                "created_by_id": None,
                "submitted_at": created if stage == "submitted" else None,
                "submitted_by_id": None,
                "published_at": created if visibility == "public" else None,
                "barrier_type": rng.choice(BARRIERS),
                "severity": rng.choice(SEVERITIES),
                "description": rng.choice(MEASURES),
                "resolved_on": created.date() if rng.random() < 0.3 else None,
                "version": 1,
                "created_at": created,
                "updated_at": created,
            }


def _copy(cursor: psycopg.Cursor[Any], table: Any, rows: Iterable[dict[str, Any]]) -> int:
    """COPY `rows` into the table of a model; every column of the model must be given."""
    names = [column.name for column in table.columns]
    count = 0
    with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] for name in names])
            count += 1
    return count


@contextlib.contextmanager
def _bulk_load(
    connection: psycopg.Connection[Any], tables: list[str]
) -> Iterator[dict[str, float]]:
    """The usual bulk-load path: foreign-key triggers off for this session (the data is
    generated consistent), the tables' secondary indexes dropped and built again afterwards."""
    connection.execute("SET session_replication_role = replica")
    connection.execute("SET maintenance_work_mem = '256MB'")
    indexes = connection.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index AS i "
        "JOIN pg_class AS t ON t.oid = i.indrelid WHERE t.relname = ANY(%s) AND NOT EXISTS "
        "(SELECT FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)",
        (tables,),
    ).fetchall()
    for name, _ in indexes:
        connection.execute(f"DROP INDEX {name}")
    timings: dict[str, float] = {}
    yield timings
    timings["copied"] = time.perf_counter()
    for _, definition in indexes:
        connection.execute(definition)
    connection.execute("SET session_replication_role = DEFAULT")
    timings["indexed"] = time.perf_counter()


def load(url: str, recommendations: int, reports: int) -> Loaded:
    from app.progress.models import ProgressReport, ProgressReportRecommendation, ProgressRevision
    from app.recommendations.models import Recommendation, RecommendationSdg, RecommendationTheme
    from app.shortfalls.models import Shortfall
    from app.taxonomies.models import term_key

    models: list[Any] = [
        Recommendation,
        RecommendationTheme,
        RecommendationSdg,
        ProgressReport,
        ProgressRevision,
        ProgressReportRecommendation,
        Shortfall,
    ]
    tables = {model: model.__table__ for model in models}
    rng = random.Random(SEED)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        states = [code for (code,) in cursor.execute("SELECT code FROM states ORDER BY code")]
        weights = [rng.lognormvariate(0, STATE_SPREAD) for _ in states]
        targets = list(cursor.execute("SELECT code, goal FROM sdg_targets ORDER BY code"))
        cursor.executemany(
            "INSERT INTO themes (code, name, key) VALUES (%s, %s, %s)",
            [(code, name, term_key(name)) for code, name in THEMES],
        )
        theme_ids = [tid for (tid,) in cursor.execute("SELECT id FROM themes ORDER BY id")]
        theme_weights = [1 / (rank + 1) for rank in range(len(theme_ids))]
        by_state: dict[str, list[uuid.UUID]] = defaultdict(list)
        theme_links: list[dict[str, Any]] = []
        sdg_links: list[dict[str, Any]] = []

        def catalogue() -> Iterator[dict[str, Any]]:
            for row in _recommendation_rows(rng, recommendations, states, weights):
                rid = row["id"]
                by_state[row["state_code"]].append(rid)
                themes = set(rng.choices(theme_ids, theme_weights, k=rng.randint(1, 3)))
                theme_links.extend(
                    {"recommendation_id": rid, "theme_id": t, "label": None} for t in themes
                )
                for code, goal in rng.sample(targets, rng.choice([0, 1, 1, 2])):
                    sdg_links.append({"recommendation_id": rid, "code": code, "goal": goal})
                yield row

        with _bulk_load(connection, [table.name for table in tables.values()]) as timings:
            _copy(cursor, tables[Recommendation], catalogue())
            _copy(cursor, tables[RecommendationTheme], theme_links)
            _copy(cursor, tables[RecommendationSdg], sdg_links)
            report_rows, revision_rows, link_rows = _report_rows(
                rng, reports, states, weights, by_state
            )
            _copy(cursor, tables[ProgressReport], report_rows)
            _copy(cursor, tables[ProgressRevision], revision_rows)
            _copy(cursor, tables[ProgressReportRecommendation], link_rows)
            shortfalls = _copy(cursor, tables[Shortfall], _shortfall_rows(rng, states))
        connection.commit()
    seconds["generate and COPY"] = timings["copied"] - started
    seconds["build indexes"] = timings["indexed"] - timings["copied"]
    with psycopg.connect(url, autocommit=True) as connection:
        vacuum_started = time.perf_counter()
        connection.execute("VACUUM (ANALYZE)")  # what autovacuum would have done by now
        seconds["VACUUM ANALYZE"] = time.perf_counter() - vacuum_started
    per_state = Counter(r["state_code"] for r in report_rows)
    focal, focal_reports = per_state.most_common(1)[0]
    mix = Counter(
        f"{r['stage']}/{r['visibility']}" for r in report_rows if r["state_code"] == focal
    )
    return Loaded(
        recommendations=recommendations,
        themes_links=len(theme_links),
        sdg_links=len(sdg_links),
        reports=len(report_rows),
        report_links=len(link_rows),
        shortfalls=shortfalls,
        focal_state=focal,
        focal_recommendations=len(by_state[focal]),
        focal_reports=focal_reports,
        focal_mix=mix,
        seconds=seconds,
    )


def make_focal_point(url: str, state: str, secret: str) -> tuple[uuid.UUID, str]:
    """A focal point of `state` and an access token the production settings accept."""
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
                email=f"focal.point.{state.lower()}@example.org",
                name=f"Focal point of {state}",
                role=Role.state_focal_point,
                state_code=state,
                password_hash=hash_password(secrets.token_urlsafe(16)),
            )
            db.add(user)
            db.flush()
            user_id = user.id
    finally:
        database.dispose()
    token = issue_access_token(settings, f"user:{user_id}", {"role": Role.state_focal_point.value})
    return user_id, token


# --- the floor: the same SQL through psycopg, the same JSON bytes -------------------------------

REPORT_COLUMNS = (
    "id, state_code, stage, visibility, revision, pending_revision, cluster_id, period_start, "
    "period_end, status, summary, measures, evidence, indicators, responsible_entities, version, "
    "created_at, updated_at, submitted_at, submitted_by_id, published_at"
)
CALLER_SQL = "SELECT state_code FROM users WHERE id = %s AND is_active"
REPORT_PAGE_SQL = (
    f"SELECT {REPORT_COLUMNS} FROM progress_reports WHERE state_code = %s "
    "ORDER BY created_at, id LIMIT %s"
)
LINKS_SQL = (
    "SELECT report_id, recommendation_id FROM progress_report_recommendations "
    "WHERE report_id = ANY(%s)"
)
STATE_SQL = "SELECT code FROM states WHERE code = %s"
# The overview's queries as the platform writes them, for the State's own view.
SEEN = "stage IN ('draft', 'submitted')"
RANKED = (
    "SELECT l.recommendation_id, r.status, row_number() OVER (PARTITION BY l.recommendation_id "
    "ORDER BY r.period_end DESC, r.updated_at DESC) AS rank "
    "FROM progress_report_recommendations AS l JOIN progress_reports AS r ON r.id = l.report_id "
    f"WHERE r.state_code = %(state)s AND r.{SEEN}"
)
LATEST_SQL = (
    f"SELECT ranked.status, count(*) FROM ({RANKED}) AS ranked "
    "WHERE ranked.rank = 1 GROUP BY ranked.status ORDER BY ranked.status"
)
TOTAL_SQL = "SELECT count(*) FROM recommendations WHERE state_code = %(state)s"
MECHANISM_SQL = (
    "SELECT mechanism, count(*) FROM recommendations WHERE state_code = %(state)s "
    "GROUP BY mechanism ORDER BY mechanism"
)
THEMES_SQL = (
    "SELECT t.code, t.name, count(*) FROM themes AS t "
    "JOIN recommendation_themes AS rt ON rt.theme_id = t.id "
    "JOIN recommendations AS r ON r.id = rt.recommendation_id WHERE r.state_code = %(state)s "
    "GROUP BY t.id, t.code, t.name ORDER BY count(*) DESC, t.name"
)
SDG_SQL = (
    "SELECT s.goal, count(DISTINCT s.recommendation_id) FROM recommendation_sdgs AS s "
    "JOIN recommendations AS r ON r.id = s.recommendation_id WHERE r.state_code = %(state)s "
    "GROUP BY s.goal ORDER BY s.goal"
)
UNREPORTED_SQL = (
    "SELECT r.id FROM recommendations AS r WHERE r.state_code = %(state)s AND r.id NOT IN "
    f"(SELECT ranked.recommendation_id FROM ({RANKED}) AS ranked) "
    f"ORDER BY r.created_at, r.id LIMIT {PAGE}"
)
SHORTFALLS_SQL = (
    "SELECT barrier_type, count(*) FROM shortfalls WHERE state_code = %(state)s "
    f"AND resolved_on IS NULL AND {SEEN} GROUP BY barrier_type ORDER BY barrier_type"
)


def _utc(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _json(body: Any) -> Response:
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return Response(text.encode(), media_type="application/json")


def _report(row: dict[str, Any], linked: list[uuid.UUID]) -> dict[str, Any]:
    """A row as `ReportRead` writes it: its field order, UTC times with `Z`, sorted links."""
    return {
        "recommendation_ids": sorted(str(r) for r in linked),
        "cluster_id": _text(row["cluster_id"]),
        "period_start": row["period_start"].isoformat(),
        "period_end": row["period_end"].isoformat(),
        "status": row["status"],
        "summary": row["summary"],
        "measures": row["measures"],
        "evidence": [{"title": e["title"], "url": e["url"]} for e in row["evidence"]],
        "indicators": [
            {
                "name": i["name"],
                "value": float(i["value"]),
                "unit": i.get("unit"),
                "date": i.get("date"),
                "disaggregation": i.get("disaggregation", {}),
            }
            for i in row["indicators"]
        ],
        "responsible_entities": row["responsible_entities"],
        "id": str(row["id"]),
        "state_code": row["state_code"],
        "stage": row["stage"],
        "visibility": row["visibility"],
        "revision": row["revision"],
        "pending_revision": row["pending_revision"],
        "version": row["version"],
        "created_at": _utc(row["created_at"]),
        "updated_at": _utc(row["updated_at"]),
        "submitted_at": _utc(row["submitted_at"]),
        "submitted_by_id": _text(row["submitted_by_id"]),
        "published_at": _utc(row["published_at"]),
    }


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def _cursor_after(row: dict[str, Any]) -> str:
    position = json.dumps([row["created_at"].astimezone(UTC).isoformat(), str(row["id"])])
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


@contextlib.asynccontextmanager
async def _connection(request: Request) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    pool: asyncio.Queue[psycopg.AsyncConnection[Any]] = request.app.state.pool
    connection = await pool.get()
    try:
        yield connection
    finally:
        pool.put_nowait(connection)


async def _caller_state(connection: psycopg.AsyncConnection[Any], request: Request) -> str | None:
    cursor = await connection.execute(CALLER_SQL, (request.app.state.user_id,))
    row = await cursor.fetchone()
    return None if row is None else str(row[0])


async def floor_reports(request: Request) -> Response:
    limit = int(request.query_params.get("limit", PAGE))
    async with _connection(request) as connection:
        state = await _caller_state(connection, request)
        if state is None:
            return Response(status_code=401)
        reports = connection.cursor(row_factory=dict_row)
        rows = await (await reports.execute(REPORT_PAGE_SQL, (state, limit + 1))).fetchall()
        page = rows[:limit]
        links: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        cursor = await connection.execute(LINKS_SQL, ([row["id"] for row in page],))
        for report_id, recommendation_id in await cursor.fetchall():
            links[report_id].append(recommendation_id)
    return _json(
        {
            "items": [_report(row, links[row["id"]]) for row in page],
            "next_cursor": _cursor_after(page[-1]) if len(rows) > limit else None,
        }
    )


async def floor_overview(request: Request) -> Response:
    """The State's own view only: the one the bench asks for."""
    async with _connection(request) as connection:
        caller = await _caller_state(connection, request)
        cursor = await connection.execute(STATE_SQL, (request.path_params["code"].upper(),))
        found = await cursor.fetchone()
        if found is None or found[0] != caller:
            return Response(status_code=404)
        state = {"state": found[0]}

        async def rows(sql: str) -> list[tuple[Any, ...]]:
            cursor = await connection.execute(sql, state)
            return await cursor.fetchall()

        latest = {str(status): count for status, count in await rows(LATEST_SQL)}
        total = (await rows(TOTAL_SQL))[0][0]
        by_mechanism = {str(m): count for m, count in await rows(MECHANISM_SQL)}
        themes = [{"code": c, "name": n, "count": k} for c, n, k in await rows(THEMES_SQL)]
        goals = {str(goal): count for goal, count in await rows(SDG_SQL)}
        sample = [str(rid) for (rid,) in await rows(UNREPORTED_SQL)]
        shortfalls = {str(b): count for b, count in await rows(SHORTFALLS_SQL)}
    unreported = total - sum(latest.values())
    return _json(
        {
            "state_code": state["state"],
            "scope": "state",
            "recommendations": total,
            "by_mechanism": by_mechanism,
            "by_theme": themes,
            "by_sdg_goal": goals,
            "by_latest_status": latest | {"no_report": unreported},
            "without_report": unreported,
            "without_report_sample": sample,
            "open_shortfalls_by_barrier": shortfalls,
        }
    )


async def floor_ready(request: Request) -> Response:
    async with _connection(request) as connection:
        await connection.execute("SELECT 1")
    return _json({"status": "ok", "database": "ok"})


@contextlib.asynccontextmanager
async def _floor_lifespan(app: Starlette) -> AsyncIterator[None]:
    dsn = os.environ["BENCH_FLOOR_DSN"]
    connections = [
        await psycopg.AsyncConnection.connect(dsn, autocommit=True)
        for _ in range(int(os.environ.get("BENCH_FLOOR_POOL", FLOOR_POOL)))
    ]
    pool: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()
    for connection in connections:
        pool.put_nowait(connection)
    app.state.pool = pool
    app.state.user_id = uuid.UUID(os.environ["BENCH_FLOOR_USER"])
    yield
    for connection in connections:
        await connection.close()


floor_app = Starlette(
    routes=[
        Route("/readyz", floor_ready),
        Route("/api/v1/progress-reports", floor_reports),
        Route("/api/v1/states/{code}/overview", floor_overview),
    ],
    lifespan=_floor_lifespan,
)


# --- servers ------------------------------------------------------------------------------------


@dataclass
class Server:
    label: str
    base_url: str
    pid: int
    log: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def serving(
    label: str, app: str, env: dict[str, str], log: Path, app_dir: Path | None = None
) -> Iterator[Server]:
    """`uvicorn APP --workers 2` in its own process group, stopped (and its group killed if it
    lingers) when the block ends."""
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(WORKERS), "--no-server-header", "--log-level", "warning"]
    if app_dir is not None:
        command += ["--app-dir", str(app_dir)]
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter, our own arguments)
            command,
            cwd=ROOT,
            env=os.environ | env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_ready(process, f"{base_url}/readyz", log)
            yield Server(label, base_url, process.pid, log)
        finally:
            support.stop_server(process)


def _wait_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited; its log ends:\n{_tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url}: not ready after {READY_TIMEOUT_SECONDS:.0f} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


# --- load and CPU accounting --------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def _process_tree(pid: int) -> list[int]:
    found = [pid]
    with contextlib.suppress(OSError):  # a process may end while we read its tree
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                for child in task.read_text().split():
                    found += _process_tree(int(child))
    return found


def _cpu_seconds(pid: int) -> float:
    """CPU time of `pid` and its live descendants (utime + stime)."""
    ticks = 0
    for member in _process_tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / TICKS


def _machine_busy_seconds() -> float:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / TICKS  # less idle and iowait


def _idle_load(seconds: float = 2.0) -> float:
    """CPUs busy while nothing is driven: other work on the machine, which skews the figures."""
    before = _machine_busy_seconds()
    time.sleep(seconds)
    return (_machine_busy_seconds() - before) / seconds


@dataclass
class CpuSplit:
    load_generator: float
    server: float
    rest: float  # PostgreSQL, mostly

    @classmethod
    def between(
        cls, before: tuple[float, float, float], after: tuple[float, float, float], seconds: float
    ) -> CpuSplit:
        load, server, busy = (b - a for a, b in zip(before, after, strict=True))
        return cls(load / seconds, server / seconds, max(busy - load - server, 0.0) / seconds)


def _cpu_now(server_pid: int) -> tuple[float, float, float]:
    own = os.times()
    return own.user + own.system, _cpu_seconds(server_pid), _machine_busy_seconds()


@dataclass
class Run:
    endpoint: str
    server: str
    latencies: list[float]
    failures: Counter[str]
    seconds: float
    cpu: CpuSplit

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def server_cpu_ms(self) -> float:
        """The servers' CPU time per answered request: less moved by other work than req/s."""
        return self.cpu.server * self.seconds / max(len(self.latencies), 1) * 1000

    def percentile_ms(self, q: int) -> float:
        if len(self.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1] * 1000


async def _drive(
    server: Server, path: str, headers: dict[str, str], clients: int, seconds: float
) -> Run:
    """Closed loop: each client sends its next request when the last one is answered. Counted:
    the requests answered between the end of the warm-up and the end, not the stragglers."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    latencies: list[float] = []
    failures: Counter[str] = Counter()
    begin = time.perf_counter() + WARM_UP_SECONDS
    end = begin + seconds
    async with httpx.AsyncClient(
        base_url=server.base_url, headers=headers, limits=limits, timeout=30.0
    ) as client:

        async def one_client() -> None:
            while (started := time.perf_counter()) < end:
                try:
                    response = await client.get(path)
                    outcome = str(response.status_code)
                except httpx.HTTPError as error:
                    outcome = type(error).__name__
                answered = time.perf_counter()
                if not begin <= answered <= end:
                    continue
                if outcome == "200":
                    latencies.append(answered - started)
                else:
                    failures[outcome] += 1

        async def cpu_between() -> CpuSplit:
            await asyncio.sleep(begin - time.perf_counter())
            before = _cpu_now(server.pid)
            await asyncio.sleep(end - time.perf_counter())
            return CpuSplit.between(before, _cpu_now(server.pid), seconds)

        sampler = asyncio.create_task(cpu_between())
        await asyncio.gather(*(one_client() for _ in range(clients)))
        cpu = await sampler
    run = Run(path, server.label, latencies, failures, seconds, cpu)
    _print_run(run)
    return run


def _same_bytes(platform: bytes, floor: bytes) -> str:
    if platform == floor:
        return f"identical, {len(platform)} bytes"
    same_json = json.loads(platform) == json.loads(floor)
    at = next(
        (i for i, (a, b) in enumerate(zip(platform, floor, strict=False)) if a != b),
        min(len(platform), len(floor)),
    )
    return (
        f"DIFFERENT ({len(platform)} vs {len(floor)} bytes, "
        f"{'equal' if same_json else 'unequal'} as JSON); from byte {at}: "
        f"platform {platform[at : at + 60]!r} floor {floor[at : at + 60]!r}"
    )


# --- printing -----------------------------------------------------------------------------------


def _print_run(run: Run) -> None:
    errors = sum(run.failures.values())
    detail = f" {dict(run.failures)}" if errors else ""
    cpu = run.cpu
    p50, p99 = run.percentile_ms(50), run.percentile_ms(99)
    print(
        f"  {run.server:<9}{len(run.latencies):>9}{run.rps:>9.1f}{p50:>9.1f}{p99:>9.1f}"
        f"{errors:>8}{run.server_cpu_ms:>19.1f}   {cpu.load_generator:>4.2f} / {cpu.server:>4.2f}"
        f" / {cpu.rest:>4.2f}{detail}",
        flush=True,
    )


def _print_ratio(platform: Run, floor: Run) -> None:
    print(
        f"  platform/floor: req/s {platform.rps / floor.rps:.3f}, "
        f"p50 {platform.percentile_ms(50) / floor.percentile_ms(50):.2f}x, "
        f"p99 {platform.percentile_ms(99) / floor.percentile_ms(99):.2f}x, "
        f"server CPU per request {platform.server_cpu_ms / floor.server_cpu_ms:.2f}x",
        flush=True,
    )


# --- the run ------------------------------------------------------------------------------------


@contextlib.contextmanager
def throwaway_postgres(admin_url: str) -> Iterator[str]:
    """A new database on `admin_url`'s server, dropped afterwards whatever happens."""
    name = f"item10_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _timed(label: str, step: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = step()
    print(f"{label}: {time.perf_counter() - started:.1f} s", flush=True)
    return result


def bench(args: argparse.Namespace, url: str, workdir: Path) -> None:
    from app.core.db import Database
    from app.migrate import migrate

    print(f"database {urlsplit(url).path.lstrip('/')}", flush=True)
    database = Database.from_url(url)
    try:
        _timed("  migrate", lambda: migrate(database))
    finally:
        database.dispose()
    loaded = load(url, args.recommendations, args.reports)
    steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in loaded.seconds.items())
    print(f"  bulk load: {steps}")
    print(
        f"  {loaded.recommendations} recommendations ({loaded.themes_links} theme and "
        f"{loaded.sdg_links} SDG links), {loaded.reports} progress reports with revision 1 and "
        f"{loaded.report_links} recommendation links, {loaded.shortfalls} shortfalls"
    )
    mix = ", ".join(f"{k} {v}" for k, v in sorted(loaded.focal_mix.items()))
    print(
        f"  focal point of {loaded.focal_state}, the State with most reports: "
        f"{loaded.focal_recommendations} recommendations, {loaded.focal_reports} reports ({mix})",
        flush=True,
    )
    secret = secrets.token_urlsafe(48)
    user_id, token = make_focal_point(url, loaded.focal_state, secret)
    headers = {"Authorization": f"Bearer {token}"}
    # One token drives every request, so the per-caller rate limit is off: this measures the
    # handlers, not the 429s.
    platform_env = {
        "ENVIRONMENT": "production",
        "JWT_SECRET": secret,
        "DATABASE_URL": url,
        "RATE_LIMIT_PER_MINUTE": "0",
    }
    floor_env = {"BENCH_FLOOR_DSN": url, "BENCH_FLOOR_USER": str(user_id)}
    endpoints = [
        ("(a) GET /api/v1/progress-reports?limit=50", f"/api/v1/progress-reports?limit={PAGE}"),
        (
            f"(b) GET /api/v1/states/{loaded.focal_state}/overview",
            f"/api/v1/states/{loaded.focal_state}/overview",
        ),
    ]
    with (
        serving("platform", "app.main:app", platform_env, workdir / "platform.log") as platform,
        serving(
            "floor", "reporting:floor_app", floor_env, workdir / "floor.log", ROOT / "bench"
        ) as floor,
    ):
        print(
            f"servers: platform (uvicorn app.main:app, {WORKERS} workers, ENVIRONMENT=production) "
            f"and floor (Starlette + psycopg, {WORKERS} workers, {FLOOR_POOL} autocommit "
            "connections each)"
        )
        for label, path in endpoints:
            replies = [
                httpx.get(s.base_url + path, headers=headers, timeout=30) for s in (platform, floor)
            ]
            for server, reply in zip((platform, floor), replies, strict=True):
                if reply.status_code != 200:
                    raise RuntimeError(
                        f"{server.label} {path}: {reply.status_code} {reply.text[:500]}"
                    )
            print(f"  {label}: floor reply {_same_bytes(replies[0].content, replies[1].content)}")
        print(
            f"\n{args.clients} clients in a closed loop (one httpx.AsyncClient), per server "
            f"{WARM_UP_SECONDS:.0f} s of warm-up, then the requests answered in "
            f"{args.seconds:.0f} s are counted. {os.cpu_count()} CPUs are shared by the load "
            "generator (this process), the servers and PostgreSQL: the last columns say how many "
            "CPUs each used on average, 'rest' being PostgreSQL and any other work on the "
            f"machine. Before the runs, with nothing driven, {_idle_load():.2f} CPUs were busy.",
            flush=True,
        )
        runs: list[tuple[str, Run, Run]] = []
        for label, path in endpoints:
            print(f"\n{label}")
            print(
                f"  {'server':<9}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
                f"{'errors':>8}{'server CPU ms/req':>19}   CPUs: load gen / server / rest"
            )
            platform_run, floor_run = (
                asyncio.run(_drive(server, path, headers, args.clients, args.seconds))
                for server in (platform, floor)
            )
            _print_ratio(platform_run, floor_run)
            runs.append((label, platform_run, floor_run))
    print("\nsummary (platform / floor)")
    for label, platform_run, floor_run in runs:
        print(
            f"  {label}: {platform_run.rps:.1f} / {floor_run.rps:.1f} req/s, ratio "
            f"{platform_run.rps / floor_run.rps:.3f}; p50 {platform_run.percentile_ms(50):.1f} / "
            f"{floor_run.percentile_ms(50):.1f} ms; p99 {platform_run.percentile_ms(99):.1f} / "
            f"{floor_run.percentile_ms(99):.1f} ms; server CPU {platform_run.server_cpu_ms:.1f} / "
            f"{floor_run.server_cpu_ms:.1f} ms per request"
        )
    access_lines = len((workdir / "platform.log").read_text(errors="replace").splitlines())
    print(f"  the platform wrote {access_lines} log lines (its JSON access log at INFO)")


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # so that servers and the database are cleaned up


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--recommendations", type=int, default=200_000)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--postgres", default="postgresql://root@127.0.0.1/test")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs", flush=True)
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="item10-bench-") as workdir,
        throwaway_postgres(args.postgres) as url,
    ):
        bench(args, url, Path(workdir))
    print(f"\ntotal {time.perf_counter() - started:.0f} s; servers stopped, database dropped")


if __name__ == "__main__":
    main()
