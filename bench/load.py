"""The platform under a realistic mix of callers, against a static-response floor.

    .venv/bin/python bench/load.py [--clients 64] [--duration 60] [--workers 2]
        [--client-processes 2] [--recommendations 50000] [--reports 20000] [--requests 2000]
        [--providers 300] [--rate-limit N] [--postgres postgresql://root@127.0.0.1/test]

Creates a throwaway PostgreSQL database (dropped at the end, also on failure, Ctrl-C or
SIGTERM), migrates it (the 195 States come with it) and bulk-loads it: the catalogue, progress
reports and shortfalls as `bench/reporting.py` loads them; accepted, submitted and settled
assistance requests and a roster of providers as `bench/matching.py` draws them; accounts for
the busiest States' focal points and contributors and for OHCHR officers. Then it serves
`app.main:app` with the production settings (ENVIRONMENT=production, a JWT_SECRET) under
`uvicorn --workers N --no-server-header --proxy-headers`, signs every account in at the real
token endpoint, and drives it for `--duration` seconds (after a warm-up) with `--clients`
closed-loop clients, each its own caller at its own address (`X-Forwarded-For`, as behind the
load balancer the README's `--proxy-headers` is for):

- State clients (3/8): search their catalogue, read a recommendation, draft a progress report,
  revise it (`If-Match`), list their reports; focal points also submit it, publish every other
  one, now and then request technical assistance and read their overview; contributors delete
  every third draft;
- officers (1/8): each works the triage queue of its sub-regions (`sort=-priority`), views the
  top request, starts its triage and accepts, asks for information or declines it, and every
  third turn queues a matching run over up to ten of its accepted requests (202), which a
  `python -m app worker` beside the server (WORKER_CONCURRENCY=2) then runs;
- anonymous portals (the rest): a State's public overview and published reports, the latest
  published reports, a catalogue search, the list of States and one State.

Every answer but the one expected (200, 201, 202, 204) is an error, and examples are printed.
Then the floor: a second uvicorn with the same flags and workers serving `bench/load_floor.py`,
a bare ASGI app answering a static JSON body of the platform's mean response size, driven by
the same clients (GETs) for as long. Printed: requests per second, p50/p95/p99 per operation,
the errors, the ratio to the floor, how the CPUs were shared (load generator, server (the
platform's counting its worker process's), this database's PostgreSQL backends, other work),
the database connections opened, the client processes' CPU (is the load generator the
bottleneck?), the servers' peak memory and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import multiprocessing
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import reporting
import support

ROOT = Path(__file__).resolve().parents[1]
API = "/api/v1"
SEED = 10
WARM_UP_SECONDS = 5.0
READY_TIMEOUT_SECONDS = 60.0
DROP_RETRY_SECONDS = 120.0
MEMORY_SAMPLE_SECONDS = 0.25
POSTGRES_SAMPLE_SECONDS = 0.1
MATCHING_EVERY = 3  # an officer's turns per matching run
MATCHING_REQUESTS = 10
SEARCH_PAGE = 20
PAGE = 50
NOW = dt.datetime.now(dt.UTC)

# (stage, weight) of the seeded assistance requests: the queue, the work in hand, the settled.
REQUEST_STAGES = [
    ("draft", 8),
    ("submitted", 40),
    ("in_triage", 10),
    ("info_requested", 5),
    ("accepted", 15),
    ("declined", 6),
    ("withdrawn", 4),
    ("completed", 12),
]
DECISIONS = [("accept", 75), ("request-info", 15), ("decline", 10)]
ASSISTANCE_TYPES = [
    "nmrf_support",
    "training_of_officials",
    "legislative_review",
    "human_rights_indicators_and_data",
    "treaty_reporting",
]
SEARCH_TERMS = [
    "torture",
    "education",
    "judiciary",
    "trafficking",
    "birth registration",
    "death penalty",
    "human rights defenders",
    "indigenous peoples",
    "violence against women",
    "disabilities",
    "national human rights institution",
    "freedom of expression",
]


# --- the dataset --------------------------------------------------------------------------------


@dataclass
class Account:
    email: str
    role: str
    state_code: str | None


@dataclass
class Dataset:
    password: str
    state_accounts: list[Account]
    officers: list[Account]
    officer_regions: list[list[str]]
    recommendations: dict[str, list[str]]  # the State clients' States' ids
    accepted: dict[str, list[str]]  # by sub-region
    states: list[str]
    summary: list[str] = field(default_factory=list)


@dataclass
class Mix:
    state_clients: int
    officers: int
    portals: int

    @classmethod
    def of(cls, clients: int) -> Mix:
        officers = max(1, round(clients / 8))
        state_clients = max(1, round(clients * 3 / 8))
        portals = clients - officers - state_clients
        if portals < 1:
            raise SystemExit("--clients must be at least 3 (a State client, an officer, a portal)")
        return cls(state_clients, officers, portals)


def _json_rows(rows: list[dict[str, Any]], *names: str) -> list[dict[str, Any]]:
    """JSON columns as JSON text, which COPY parses."""
    return [row | {name: json.dumps(row[name]) for name in names} for row in rows]


def _accounts(mix: Mix, busiest: list[str]) -> tuple[list[Account], list[Account]]:
    states = []
    for n in range(mix.state_clients):
        code = busiest[n // 2]
        role = "state_focal_point" if n % 2 == 0 else "state_contributor"
        states.append(
            Account(f"{role.removeprefix('state_')}.{n}.{code.lower()}@bench.example", role, code)
        )
    officers = [
        Account(f"officer.{n}@bench.example", "ohchr_officer", None) for n in range(mix.officers)
    ]
    return states, officers


def _user_rows(accounts: list[Account], password_hash: str) -> list[dict[str, Any]]:
    return [
        {
            "id": uuid.uuid4(),
            "email": a.email,
            "name": a.email.split("@")[0],
            "role": a.role,
            "state_code": a.state_code,
            "is_active": True,
            "password_hash": password_hash,
            "last_login_at": None,
            "version": 1,
            "created_at": NOW,
            "updated_at": NOW,
        }
        for a in accounts
    ]


def _provider_rows(offers: Sequence[Any]) -> list[dict[str, Any]]:
    rows = []
    for n, offer in enumerate(offers):
        label = offer.kind.replace("_", " ")
        rows.append(
            {
                "id": uuid.UUID(offer.id),
                "name": f"{label.capitalize()} {n + 1}",
                "kind": offer.kind,
                "organization": "OHCHR" if "adviser" in offer.kind else "",
                "assistance_types": sorted(offer.assistance_types),
                "themes": sorted(t.upper() for t in offer.themes),
                "sdg_targets": [],
                "languages": sorted(offer.languages),
                "states_covered": sorted(offer.states_covered),
                "regions_covered": sorted(offer.regions_covered),
                "duty_station": "",
                "home_state_code": offer.home_state_code,
                "modalities": sorted(offer.modalities),
                "capacity": offer.capacity,
                "availability": [
                    {"start": start.isoformat(), "end": end.isoformat()}
                    for start, end in offer.availability
                ],
                "user_id": None,
                "is_active": True,
                "notes": "",
                "version": 1,
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
    return _json_rows(
        rows,
        "assistance_types",
        "themes",
        "sdg_targets",
        "languages",
        "states_covered",
        "regions_covered",
        "modalities",
        "availability",
    )


def _request_rows(rng: random.Random, needs: Sequence[Any]) -> list[dict[str, Any]]:
    from matching import URGENCY

    rows = []
    stages = rng.choices(
        [s for s, _ in REQUEST_STAGES], [w for _, w in REQUEST_STAGES], k=len(needs)
    )
    for need, stage in zip(needs, stages, strict=True):
        created = NOW - dt.timedelta(days=rng.uniform(5, 180))
        submitted = None if stage == "draft" else created + dt.timedelta(days=rng.uniform(0, 5))
        entered = submitted + dt.timedelta(days=rng.uniform(0, 20)) if submitted else created
        entered = min(entered, NOW)
        kind = need.assistance_type.replace("_", " ")
        rows.append(
            {
                "id": uuid.UUID(need.id),
                "state_code": need.state_code,
                "title": f"{kind.capitalize()}: support requested by {need.state_code}",
                "assistance_type": need.assistance_type,
                "themes": sorted(t.upper() for t in need.themes),
                "sdg_targets": [],
                "languages": sorted(need.languages),
                "modality": need.modality,
                "window_start": need.window_start,
                "window_end": need.window_end,
                "budget_estimate_usd": round(rng.lognormvariate(10.5, 0.8), -2),
                "co_funding_usd": None,
                "urgency": rng.choices(list(URGENCY), list(URGENCY.values()))[0],
                "justification": rng.choice(reporting.MEASURES),
                "stage": stage,
                "stage_entered_at": entered,
                "visibility": "state" if stage == "draft" else "ohchr",  # submitted: OHCHR's
                "published_at": None,
                "assigned_officer_id": None,
                "internal_notes": "",
                "decline_reason": "Outside the mandate" if stage == "declined" else None,
                "created_by_id": None,
                "submitted_at": submitted,
                "version": 1 if stage == "draft" else 3,
                "created_at": created,
                "updated_at": entered,
            }
        )
    return _json_rows(rows, "themes", "sdg_targets", "languages")


def _officer_regions(
    submitted: Counter[str], sub_regions: list[str], officers: int
) -> list[list[str]]:
    """Each officer a desk of sub-regions, the queue shared out as evenly as greedy allows."""
    desks: list[list[str]] = [[] for _ in range(officers)]
    loads = [0] * officers
    for region in sorted(sub_regions, key=lambda r: (-submitted[r], r)):
        lightest = loads.index(min(loads))
        desks[lightest].append(region)
        loads[lightest] += submitted[region]
    return desks


def seed(url: str, args: argparse.Namespace, mix: Mix) -> Dataset:
    from matching import build_instance

    from app.assistance.models import AssistanceRequest, RequestShortfall
    from app.auth.models import User
    from app.core.security import hash_password
    from app.expertise.models import Provider

    loaded = reporting.load(url, args.recommendations, args.reports)
    steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in loaded.seconds.items())
    summary = [
        f"catalogue and reports (bench/reporting.py's load): {steps}",
        f"{loaded.recommendations} recommendations ({loaded.themes_links} theme and "
        f"{loaded.sdg_links} SDG links), {loaded.reports} progress reports "
        f"({loaded.report_links} recommendation links), {loaded.shortfalls} shortfalls",
    ]
    started = time.perf_counter()
    rng = random.Random(SEED)
    password = secrets.token_urlsafe(16)
    instance = build_instance(args.requests, args.providers, SEED)
    requests = _request_rows(rng, instance.needs)
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        counts = cursor.execute(
            "SELECT state_code FROM recommendations GROUP BY state_code ORDER BY count(*) DESC, "
            "state_code LIMIT %s",
            (math.ceil(mix.state_clients / 2),),
        ).fetchall()
        busiest = [code for (code,) in counts]
        state_accounts, officers = _accounts(mix, busiest)
        reporting._copy(
            cursor, User.__table__, _user_rows(state_accounts + officers, hash_password(password))
        )
        reporting._copy(cursor, Provider.__table__, _provider_rows(instance.offers))
        reporting._copy(cursor, AssistanceRequest.__table__, requests)
        shortfalls: dict[str, list[uuid.UUID]] = defaultdict(list)
        for shortfall_id, state in cursor.execute(
            "SELECT id, state_code FROM shortfalls WHERE stage = 'submitted' ORDER BY id"
        ):
            shortfalls[state].append(shortfall_id)
        links = [
            {"request_id": r["id"], "shortfall_id": rng.choice(shortfalls[r["state_code"]])}
            for r in requests
            if r["stage"] != "draft" and shortfalls[r["state_code"]] and rng.random() < 0.5
        ]
        reporting._copy(cursor, RequestShortfall.__table__, links)
        recommendations: dict[str, list[str]] = defaultdict(list)
        for rid, state in cursor.execute(
            "SELECT id, state_code FROM recommendations WHERE state_code = ANY(%s) ORDER BY id",
            (busiest,),
        ):
            recommendations[state].append(str(rid))
        sub_region: dict[str, str] = dict(
            cursor.execute("SELECT code, sub_region FROM states").fetchall()
        )
        states = sorted(sub_region)
        connection.commit()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("ANALYZE")
    submitted = Counter(sub_region[r["state_code"]] for r in requests if r["stage"] == "submitted")
    accepted: dict[str, list[str]] = defaultdict(list)
    for r in requests:
        if r["stage"] == "accepted":
            accepted[sub_region[r["state_code"]]].append(str(r["id"]))
    stages = Counter(r["stage"] for r in requests)
    summary += [
        f"requests, providers, accounts: {time.perf_counter() - started:.1f} s",
        f"{len(requests)} assistance requests ("
        + ", ".join(f"{stage} {stages[stage]}" for stage, _ in REQUEST_STAGES)
        + f"; {len(links)} linked to a shortfall), {len(instance.offers)} providers",
        f"{len(state_accounts)} State accounts (a focal point and a contributor for each of the "
        f"{len(busiest)} States with most recommendations: "
        + ", ".join(f"{c} {len(recommendations[c])}" for c in busiest)
        + f"), {len(officers)} officers",
    ]
    return Dataset(
        password=password,
        state_accounts=state_accounts,
        officers=officers,
        officer_regions=_officer_regions(submitted, sorted(set(sub_region.values())), mix.officers),
        recommendations=dict(recommendations),
        accepted=dict(accepted),
        states=states,
        summary=summary,
    )


# --- servers ------------------------------------------------------------------------------------


@dataclass
class Server:
    label: str
    base_url: str
    pid: int
    log: Path
    companions: list[int] = field(default_factory=list)  # worker processes, their CPU counted


def _server_environment(env: dict[str, str]) -> dict[str, str]:
    """This process's environment without any platform setting but those given: what is
    printed is what the server runs with."""
    from app.core.settings import Settings

    settings = {name.upper() for name in Settings.model_fields}
    return {k: v for k, v in os.environ.items() if k.upper() not in settings} | env


@contextlib.contextmanager
def serving(
    label: str, app: str, env: dict[str, str], log: Path, workers: int, app_dir: Path | None = None
) -> Iterator[Server]:
    """`uvicorn APP` with the README's production flags in its own process group, stopped (and
    its group killed if anything lingers) when the block ends, whatever happens."""
    port = reporting._free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers), "--no-server-header", "--proxy-headers"]
    command += ["--log-level", "warning"]
    if app_dir is not None:
        command += ["--app-dir", str(app_dir)]
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter, our own arguments)
            command,
            cwd=ROOT,
            env=_server_environment(env),
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
    """Ready once every worker answers: a few probes on fresh connections."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    answered = 0
    while time.monotonic() < deadline and answered < 10:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited; its log ends:\n{reporting._tail(log)}")
        try:
            answered = answered + 1 if httpx.get(url, timeout=2).status_code == 200 else 0
        except httpx.HTTPError:
            answered = 0
            time.sleep(0.2)
    if answered < 10:
        raise RuntimeError(f"{url}: not ready after {READY_TIMEOUT_SECONDS:.0f} s")


def _status_field(pid: int, name: str) -> int:
    """A `VmRSS`/`VmHWM` line of /proc/PID/status, in KiB (0 when the process is gone)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{name}:"):
                return int(line.split()[1])
    return 0


class MemoryWatch:
    """Samples the RSS of a server's process tree until stopped: the peak of their sum, and each
    process's own high-water mark (VmHWM) read just before the server stops."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.start_total_kib = self._total_kib()
        self.peak_total_kib = 0
        self.high_water_kib: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        for pid in reporting._process_tree(self.pid):
            self.high_water_kib[pid] = _status_field(pid, "VmHWM")

    def _total_kib(self) -> int:
        return sum(_status_field(p, "VmRSS") for p in reporting._process_tree(self.pid))

    def _sample(self) -> None:
        while not self._stop.wait(MEMORY_SAMPLE_SECONDS):
            self.peak_total_kib = max(self.peak_total_kib, self._total_kib())

    def describe(self) -> str:
        each = ", ".join(f"{kib / 1024:.0f}" for kib in self.high_water_kib.values())
        return (
            f"RSS of the {len(self.high_water_kib)} server processes together: "
            f"{self.start_total_kib / 1024:.0f} MiB before the drive, peak "
            f"{self.peak_total_kib / 1024:.0f} MiB (sampled every {MEMORY_SAMPLE_SECONDS} s); "
            f"each process's high-water mark: {each} MiB"
        )


# --- the clients --------------------------------------------------------------------------------


@dataclass
class ClientSpec:
    index: int
    kind: str  # focal_point, contributor, officer, portal, floor
    address: str
    token: str | None = None
    state_code: str | None = None
    recommendation_ids: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    accepted_ids: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)


class StopDriving(Exception):
    """The window has closed: a client sends nothing more."""


@dataclass
class Tally:
    """What one client process saw: latencies of the requests answered inside the counted
    window; errors over the whole drive, warm-up included."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    kinds: dict[str, str] = field(default_factory=dict)
    response_bytes: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    answered_by_client: Counter[int] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)
    cpu_seconds: float = 0.0

    def merge(self, other: Tally) -> None:
        for op, values in other.latencies.items():
            self.latencies[op].extend(values)
        self.kinds |= other.kinds
        self.response_bytes += other.response_bytes
        self.errors += other.errors
        self.examples += other.examples[: max(0, 12 - len(self.examples))]
        self.answered_by_client += other.answered_by_client
        self.events += other.events
        self.cpu_seconds += other.cpu_seconds

    @property
    def answered(self) -> int:
        return sum(len(v) for v in self.latencies.values())


class Client:
    def __init__(
        self, spec: ClientSpec, http: httpx.AsyncClient, tally: Tally, window: tuple[float, float]
    ) -> None:
        self.spec = spec
        self.http = http
        self.tally = tally
        self.begin, self.end = window
        self.rng = random.Random(SEED * 1000 + spec.index)
        self.turn = 0

    async def call(
        self, op: str, method: str, path: str, *, expect: int = 200, **options: Any
    ) -> httpx.Response | None:
        """One request; the answer when it is the expected one, else None (and an error)."""
        if time.monotonic() >= self.end:
            raise StopDriving
        self.tally.kinds.setdefault(op, self.spec.kind)
        started = time.monotonic()
        try:
            response = await self.http.request(method, path, **options)
        except httpx.HTTPError as error:
            self._error(op, type(error).__name__, f"{method} {path}: {error!r}")
            return None
        answered = time.monotonic()
        if response.status_code != expect:
            detail = response.text[:300].replace("\n", " ")
            self._error(op, str(response.status_code), f"{method} {path}: {detail}")
            return None
        if self.begin <= answered <= self.end:
            self.tally.latencies[op].append(answered - started)
            self.tally.response_bytes += len(response.content)
            self.tally.answered_by_client[self.spec.index] += 1
        return response

    def _error(self, op: str, outcome: str, example: str) -> None:
        key = f"{op} -> {outcome}"
        if self.tally.errors[key] < 2 and len(self.tally.examples) < 12:
            self.tally.examples.append(f"{self.spec.kind} {example}")
        self.tally.errors[key] += 1

    async def run(self) -> None:
        with contextlib.suppress(StopDriving):
            while True:
                await self.turn_once()
                self.turn += 1

    async def turn_once(self) -> None:
        raise NotImplementedError


def _items(response: httpx.Response | None) -> list[dict[str, Any]]:
    return list(response.json()["items"]) if response is not None else []


def _if_match(response: httpx.Response) -> dict[str, str]:
    tag = response.headers.get("etag")
    return {"If-Match": tag} if tag else {}


class StateClient(Client):
    """A focal point or a contributor of one State, drafting and revising reports."""

    async def turn_once(self) -> None:
        state = self.spec.state_code
        found = _items(
            await self.call(
                "GET /recommendations?state&q",
                "GET",
                f"{API}/recommendations",
                params={"state": state, "q": self.rng.choice(SEARCH_TERMS), "limit": SEARCH_PAGE},
            )
        )
        found += _items(
            await self.call(
                "GET /recommendations?state&theme",
                "GET",
                f"{API}/recommendations",
                params={
                    "state": state,
                    "theme": self.rng.choice(reporting.THEMES)[0],
                    "limit": SEARCH_PAGE,
                },
            )
        )
        ids = [item["id"] for item in found] or self.spec.recommendation_ids
        chosen = self.rng.sample(ids, min(len(ids), self.rng.choice([1, 1, 2, 3])))
        await self.call("GET /recommendations/{id}", "GET", f"{API}/recommendations/{chosen[0]}")
        created = await self.call(
            "POST /progress-reports",
            "POST",
            f"{API}/progress-reports",
            expect=201,
            json=self._report(chosen),
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        if created is None:
            return
        report = f"{API}/progress-reports/{created.json()['id']}"
        revised = await self.call(
            "PATCH /progress-reports/{id}",
            "PATCH",
            report,
            json=self._revision(created.json()),
            headers=_if_match(created),
        )
        if revised is not None:
            await self.after_revising(report, revised)
        await self.call(
            "GET /progress-reports (own)", "GET", f"{API}/progress-reports", params={"limit": PAGE}
        )

    async def after_revising(self, report: str, revised: httpx.Response) -> None:
        if self.spec.kind == "contributor":
            if self.turn % 3 == 0:
                await self.call(
                    "DELETE /progress-reports/{id}",
                    "DELETE",
                    report,
                    expect=204,
                    headers=_if_match(revised),
                )
            return
        submitted = await self.call(
            "POST /progress-reports/{id}/submit", "POST", f"{report}/submit"
        )
        if submitted is not None and self.turn % 2 == 0:
            await self.call("POST /progress-reports/{id}/publish", "POST", f"{report}/publish")
        if self.turn % 4 == 1:
            await self.request_assistance()
        if self.turn % 4 == 3:
            await self.call(
                "GET /states/{code}/overview (own)",
                "GET",
                f"{API}/states/{self.spec.state_code}/overview",
            )

    async def request_assistance(self) -> None:
        start = dt.date(2027, self.rng.randint(1, 12), 1)
        body = {
            "title": "Support to the national mechanism for implementation and reporting",
            "recommendation_ids": self.rng.sample(self.spec.recommendation_ids, 2),
            "assistance_type": self.rng.choice(ASSISTANCE_TYPES),
            "themes": [self.rng.choice(reporting.THEMES)[0]],
            "languages": self.rng.choice([["en"], ["en", "fr"], ["es"], ["fr"], ["ar", "en"]]),
            "modality": self.rng.choice(["remote", "in_country", "regional"]),
            "window_start": start.isoformat(),
            "window_end": (start + dt.timedelta(days=self.rng.randint(60, 270))).isoformat(),
            "budget_estimate_usd": self.rng.choice([15000, 40000, 85000, 150000]),
            "urgency": self.rng.choice(["low", "medium", "medium", "high", "critical"]),
            "justification": self.rng.choice(reporting.MEASURES),
        }
        created = await self.call(
            "POST /assistance-requests",
            "POST",
            f"{API}/assistance-requests",
            expect=201,
            json=body,
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        if created is not None:
            await self.call(
                "POST /assistance-requests/{id}/submit",
                "POST",
                f"{API}/assistance-requests/{created.json()['id']}/submit",
                headers=_if_match(created),
            )

    def _report(self, recommendation_ids: list[str]) -> dict[str, Any]:
        start = dt.date(self.rng.randint(2019, 2025), self.rng.choice([1, 7]), 1)
        name, unit = self.rng.choice(reporting.INDICATORS)
        return {
            "recommendation_ids": recommendation_ids,
            "period_start": start.isoformat(),
            "period_end": dt.date(start.year + 1, start.month, 1).isoformat(),
            "status": self.rng.choice(reporting.STATUSES)[0],
            "summary": " ".join(self.rng.sample(reporting.MEASURES, 3)),
            "measures": self.rng.sample(reporting.MEASURES, 2),
            "evidence": [
                {
                    "title": "Report of the inter-ministerial committee",
                    "url": f"https://gov.example/reports/{uuid.uuid4().hex[:12]}",
                }
            ],
            "indicators": [
                {
                    "name": name,
                    "value": round(self.rng.uniform(1, 99), 1),
                    "unit": unit,
                    "date": start.isoformat(),
                    "disaggregation": {"sex": self.rng.choice(["female", "male"])},
                }
            ],
            "responsible_entities": self.rng.sample(reporting.ENTITIES, 2),
        }

    def _revision(self, report: dict[str, Any]) -> dict[str, Any]:
        return {
            "status": self.rng.choice(reporting.STATUSES)[0],
            "summary": f"{report['summary']} {self.rng.choice(reporting.MEASURES)}",
            "responsible_entities": [*report["responsible_entities"], "National Statistics Office"],
        }


class OfficerClient(Client):
    """An OHCHR officer working the triage queue of its desk's sub-regions."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.accepted = list(self.spec.accepted_ids)

    async def turn_once(self) -> None:
        region = self.spec.regions[self.turn % len(self.spec.regions)]
        queue = _items(
            await self.call(
                "GET /assistance-requests?stage&region&sort=-priority",
                "GET",
                f"{API}/assistance-requests",
                params={"stage": "submitted", "region": region, "sort": "-priority", "limit": PAGE},
            )
        )
        if queue:
            await self.triage(queue[0]["id"])
        else:
            self.tally.events["an officer's queue was empty"] += 1
        if self.turn % MATCHING_EVERY == 0 and self.accepted:
            ids = self.rng.sample(self.accepted, min(MATCHING_REQUESTS, len(self.accepted)))
            await self.call(
                "POST /matching-runs",
                "POST",
                f"{API}/matching-runs",
                expect=202,
                json={"request_ids": ids},
            )

    async def triage(self, request_id: str) -> None:
        path = f"{API}/assistance-requests/{request_id}"
        shown = await self.call("GET /assistance-requests/{id}", "GET", path)
        if shown is None:
            return
        started = await self.call(
            "POST /assistance-requests/{id}/start-triage",
            "POST",
            f"{path}/start-triage",
            headers=_if_match(shown),
        )
        if started is None:
            return
        verb = self.rng.choices([v for v, _ in DECISIONS], [w for _, w in DECISIONS])[0]
        body = {
            "accept": {"message": "Accepted: the regional office will follow up."},
            "request-info": {"message": "Please give the expected outputs and counterparts."},
            "decline": {"reason": "Another partner already supports this work."},
        }[verb]
        decided = await self.call(
            f"POST /assistance-requests/{{id}}/{verb}",
            "POST",
            f"{path}/{verb}",
            json=body,
            headers=_if_match(started),
        )
        if decided is not None and verb == "accept":
            self.accepted.append(request_id)


class PortalClient(Client):
    """An anonymous portal reading what States chose to publish."""

    async def turn_once(self) -> None:
        code = self.rng.choice(self.spec.states)
        await self.call(
            "GET /states/{code}/overview (public)", "GET", f"{API}/states/{code}/overview"
        )
        await self.call(
            "GET /progress-reports?state (public)",
            "GET",
            f"{API}/progress-reports",
            params={"state": code, "limit": PAGE},
        )
        if self.turn % 2 == 0:
            await self.call(
                "GET /progress-reports (public)",
                "GET",
                f"{API}/progress-reports",
                params={"limit": PAGE},
            )
        else:
            await self.call(
                "GET /recommendations?q (public)",
                "GET",
                f"{API}/recommendations",
                params={"q": self.rng.choice(SEARCH_TERMS), "limit": PAGE},
            )
        if self.turn % 4 == 0:
            await self.call("GET /states", "GET", f"{API}/states", params={"limit": 200})
        await self.call("GET /states/{code}", "GET", f"{API}/states/{code}")


class FloorClient(Client):
    async def turn_once(self) -> None:
        await self.call("GET / (static JSON)", "GET", "/")


CLIENTS: dict[str, type[Client]] = {
    "focal_point": StateClient,
    "contributor": StateClient,
    "officer": OfficerClient,
    "portal": PortalClient,
    "floor": FloorClient,
}


async def _drive_clients(
    base_url: str, specs: list[ClientSpec], window: tuple[float, float]
) -> Tally:
    tally = Tally()
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for spec in specs:
            headers = {"X-Forwarded-For": spec.address}
            if spec.token:
                headers["Authorization"] = f"Bearer {spec.token}"
            http = await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=base_url,
                    headers=headers,
                    timeout=60.0,
                    limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                )
            )
            clients.append(CLIENTS[spec.kind](spec, http, tally, window))

        async def cpu_in_window() -> None:
            await asyncio.sleep(max(window[0] - time.monotonic(), 0))
            before = os.times()
            await asyncio.sleep(max(window[1] - time.monotonic(), 0))
            after = os.times()
            tally.cpu_seconds = after.user + after.system - before.user - before.system

        await asyncio.gather(cpu_in_window(), *(client.run() for client in clients))
    return tally


def _client_process(
    base_url: str,
    specs: list[ClientSpec],
    ready: Any,
    go: Any,
    window: Any,
    results: Any,
) -> None:
    """One load-generating process: waits for the start, drives its clients, sends its tally."""
    ready.put(os.getpid())
    go.wait()
    tally = asyncio.run(_drive_clients(base_url, specs, (window[0], window[1])))
    tally.latencies = dict(tally.latencies)
    results.put(tally)


class PostgresWatch:
    """CPU time of this database's PostgreSQL backends (same machine) over a window, sampled:
    a backend first seen after the first sample counts from zero, and one that is born and gone
    between two samples is missed, so the connections opened meanwhile are counted too."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = urlsplit(url).path.lstrip("/")
        self.baseline: dict[int, float] = {}
        self.latest: dict[int, float] = {}
        self.sessions = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PostgresWatch:
        self._connection = _admin(self.url)
        self._sessions_before = self._sessions()
        self._take(first=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        with self._lock:
            self._take(first=False)
            self.sessions = self._sessions() - self._sessions_before
        self._connection.close()

    def _sessions(self) -> int:
        self._connection.execute("SELECT pg_stat_clear_snapshot()")
        row = self._connection.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = %s", (self.name,)
        ).fetchone()
        return int(row[0]) if row else 0

    def _take(self, *, first: bool) -> None:
        pids = self._connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (self.name,),
        ).fetchall()
        for (pid,) in pids:
            used = reporting._cpu_seconds(pid)
            self.baseline.setdefault(pid, used if first else 0.0)
            self.latest[pid] = max(self.latest.get(pid, 0.0), used)

    def _sample(self) -> None:
        while not self._stop.wait(POSTGRES_SAMPLE_SECONDS):
            with self._lock:
                self._take(first=False)

    @property
    def cpu_seconds(self) -> float:
        return sum(used - self.baseline[pid] for pid, used in self.latest.items())


@dataclass
class CpuShares:
    """CPUs used on average over the counted window."""

    load_generator: float
    server: float
    postgres: float  # this database's backends
    other: float  # anything else on the machine

    @property
    def busy(self) -> float:
        return self.load_generator + self.server + self.postgres + self.other


@dataclass
class Drive:
    label: str
    tally: Tally
    seconds: float
    cpu: CpuShares
    load_average: tuple[float, float, float]
    processes: int
    connections_opened: int
    sampling_cpu: float  # this process's, counted in the load generator's

    @property
    def rps(self) -> float:
        return self.tally.answered / self.seconds

    @property
    def errors(self) -> int:
        return sum(self.tally.errors.values())


def _cpu_now(server: Server) -> tuple[float, float, float]:
    """This process's CPU seconds, the server's with its companions', the machine's."""
    own, served, busy = reporting._cpu_now(server.pid)
    return own, served + sum(reporting._cpu_seconds(pid) for pid in server.companions), busy


def drive(
    label: str,
    server: Server,
    specs: list[ClientSpec],
    processes: int,
    seconds: float,
    database_url: str,
) -> Drive:
    """The clients spread over `processes` spawned processes, all started at one instant; the
    server's and the machine's CPU counted over the same window as the requests."""
    context = multiprocessing.get_context("spawn")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    window = context.Array("d", 2)
    shares = [specs[n::processes] for n in range(processes)]
    workers = [
        context.Process(
            target=_client_process, args=(server.base_url, share, ready, go, window, results)
        )
        for share in shares
        if share
    ]
    try:
        for worker in workers:
            worker.start()
        for _ in workers:
            ready.get(timeout=60)
        begin = time.monotonic() + WARM_UP_SECONDS
        window[0], window[1] = begin, begin + seconds
        go.set()
        time.sleep(max(begin - time.monotonic(), 0))
        with PostgresWatch(database_url) as postgres_watch:
            before = _cpu_now(server)
            time.sleep(max(begin + seconds - time.monotonic(), 0))
            after = _cpu_now(server)
        load_average = os.getloadavg()
        tally = Tally()
        for _ in workers:
            tally.merge(results.get(timeout=120))
        for worker in workers:
            worker.join(timeout=30)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
                worker.join()
    # The parent's own CPU (mostly asleep) and its client processes' are the load generator.
    parent, server_cpu, busy = (b - a for a, b in zip(before, after, strict=True))
    load_gen = parent + tally.cpu_seconds
    postgres = postgres_watch.cpu_seconds
    other = max(busy - load_gen - server_cpu - postgres, 0.0)
    cpu = CpuShares(*(x / seconds for x in (load_gen, server_cpu, postgres, other)))
    return Drive(
        label,
        tally,
        seconds,
        cpu,
        load_average,
        len(workers),
        postgres_watch.sessions,
        parent / seconds,
    )


# --- signing in ---------------------------------------------------------------------------------


def _address(index: int) -> str:
    return f"10.64.{index // 250}.{index % 250 + 1}"


async def sign_in(
    base_url: str, accounts: list[tuple[int, Account]], password: str
) -> dict[int, str]:
    """A token for each account from the real token endpoint, at the client's own address."""
    limit = asyncio.Semaphore(4)

    async def one(client: httpx.AsyncClient, index: int, account: Account) -> tuple[int, str]:
        async with limit:
            response = await client.post(
                f"{API}/auth/token",
                data={"grant_type": "password", "username": account.email, "password": password},
                headers={"X-Forwarded-For": _address(index)},
            )
        if response.status_code != 200:
            raise RuntimeError(
                f"sign-in of {account.email}: {response.status_code} {response.text}"
            )
        return index, str(response.json()["access_token"])

    async with httpx.AsyncClient(base_url=base_url, timeout=60.0) as client:
        tokens = await asyncio.gather(*(one(client, i, a) for i, a in accounts))
    return dict(tokens)


def client_specs(dataset: Dataset, mix: Mix, base_url: str) -> list[ClientSpec]:
    """The clients in a fixed order (State clients, officers, portals), each signed in."""
    specs: list[ClientSpec] = []
    for account in dataset.state_accounts:
        kind = "focal_point" if account.role == "state_focal_point" else "contributor"
        code = account.state_code or ""
        specs.append(
            ClientSpec(
                len(specs),
                kind,
                _address(len(specs)),
                state_code=code,
                recommendation_ids=dataset.recommendations[code],
            )
        )
    officer_specs = []
    for account, regions in zip(dataset.officers, dataset.officer_regions, strict=True):
        spec = ClientSpec(
            len(specs),
            "officer",
            _address(len(specs)),
            regions=regions,
            accepted_ids=[rid for region in regions for rid in dataset.accepted.get(region, [])],
        )
        officer_specs.append((spec, account))
        specs.append(spec)
    for _ in range(mix.portals):
        specs.append(ClientSpec(len(specs), "portal", _address(len(specs)), states=dataset.states))
    accounts = list(enumerate(dataset.state_accounts)) + [(s.index, a) for s, a in officer_specs]
    started = time.perf_counter()
    tokens = asyncio.run(sign_in(base_url, accounts, dataset.password))
    for index, token in tokens.items():
        specs[index].token = token
    print(
        f"  {len(tokens)} accounts signed in at POST {API}/auth/token (password grant, each from "
        f"its own address) in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return specs


# --- printing -----------------------------------------------------------------------------------


def _quantiles_ms(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        only = values[0] * 1000 if values else float("nan")
        return only, only, only
    q = statistics.quantiles(values, n=100, method="inclusive")
    return q[49] * 1000, q[94] * 1000, q[98] * 1000


KIND_ORDER = {"focal_point": 0, "contributor": 0, "officer": 1, "portal": 2, "floor": 3}
KIND_LABEL = {"focal_point": "State", "contributor": "State", "officer": "officer"}


def print_drive(run: Drive) -> None:
    tally = run.tally
    print(
        f"  {'caller':<8}{'operation':<54}{'requests':>9}{'req/s':>8}{'p50 ms':>8}"
        f"{'p95 ms':>8}{'p99 ms':>8}"
    )
    ops = sorted(tally.latencies, key=lambda op: (KIND_ORDER[tally.kinds[op]], op))
    for op in ops:
        values = tally.latencies[op]
        p50, p95, p99 = _quantiles_ms(values)
        caller = KIND_LABEL.get(tally.kinds[op], tally.kinds[op])
        print(
            f"  {caller:<8}{op:<54}{len(values):>9}{len(values) / run.seconds:>8.1f}"
            f"{p50:>8.1f}{p95:>8.1f}{p99:>8.1f}"
        )
    everything = [v for values in tally.latencies.values() for v in values]
    p50, p95, p99 = _quantiles_ms(everything)
    print(f"  {'all':<62}{tally.answered:>9}{run.rps:>8.1f}{p50:>8.1f}{p95:>8.1f}{p99:>8.1f}")
    mean = tally.response_bytes / max(tally.answered, 1)
    print(
        f"  errors (warm-up included): {run.errors}; mean response body {mean:.0f} bytes; "
        f"CPUs used: load generator {run.cpu.load_generator:.2f} (of which this process's "
        f"sampling {run.sampling_cpu:.2f}), server {run.cpu.server:.2f}, "
        f"PostgreSQL {run.cpu.postgres:.2f}, other work {run.cpu.other:.2f}; "
        f"{run.connections_opened} database connections opened; load average at the end "
        + " ".join(f"{x:.2f}" for x in run.load_average),
        flush=True,
    )
    for key, count in sorted(tally.errors.items()):
        print(f"    {count} x {key}")
    for example in tally.examples:
        print(f"    e.g. {example}")
    by_caller: Counter[str] = Counter()
    for op, values in tally.latencies.items():
        by_caller[KIND_LABEL.get(tally.kinds[op], tally.kinds[op])] += len(values)
    print(
        "  by caller: "
        + ", ".join(f"{c} {n} ({n / run.seconds:.1f} req/s)" for c, n in by_caller.items())
    )
    for event, count in sorted(tally.events.items()):
        print(f"  {event}: {count} times")


def print_callers(run: Drive, rate_limit: int | None) -> None:
    per_client = run.tally.answered_by_client
    if not per_client:
        return
    busiest = max(per_client.values()) / run.seconds * 60
    mean = statistics.fmean(per_client.values()) / run.seconds * 60
    limit = 600 if rate_limit is None else rate_limit
    over = sum(n / run.seconds * 60 > limit for n in per_client.values()) if limit else 0
    print(
        f"  requests per caller per minute: mean {mean:.0f}, busiest {busiest:.0f}; "
        f"RATE_LIMIT_PER_MINUTE {limit or 'off'}: {over} of {len(per_client)} callers above it"
    )


def _cpu_ms_per_request(run: Drive) -> float:
    """The load generator's, the server's and PostgreSQL's CPU time per answered request."""
    cpu = run.cpu
    return (cpu.load_generator + cpu.server + cpu.postgres) / max(run.rps, 1e-9) * 1000


def print_ratio(platform: Drive, floor: Drive) -> None:
    all_platform = [v for values in platform.tally.latencies.values() for v in values]
    all_floor = [v for values in floor.tally.latencies.values() for v in values]
    p50, _, p99 = _quantiles_ms(all_platform)
    f50, _, f99 = _quantiles_ms(all_floor)
    print(
        f"\nplatform / floor: req/s {platform.rps:.1f} / {floor.rps:.1f} = ratio "
        f"{platform.rps / floor.rps:.3f}; p50 {p50:.1f} / {f50:.1f} ms; p99 {p99:.1f} / "
        f"{f99:.1f} ms; errors {platform.errors} / {floor.errors}"
    )
    print(
        f"  CPU time per request (load generator + server + PostgreSQL): "
        f"{_cpu_ms_per_request(platform):.2f} / {_cpu_ms_per_request(floor):.2f} ms, ratio "
        f"{_cpu_ms_per_request(floor) / _cpu_ms_per_request(platform):.3f}: the req/s ratio "
        "these CPUs would give with no other work on the machine"
    )


def print_cpu_per_request(run: Drive) -> None:
    """Where each request's CPU time went. A client process near a whole CPU cannot send faster;
    short of that, on a machine whose CPUs are all busy, the load generator's CPU time per
    request is taken from the server."""
    per_process = run.tally.cpu_seconds / run.seconds / run.processes
    cpu = run.cpu
    load_gen, server, postgres, other = (x / max(run.rps, 1e-9) * 1000 for x in astuple(cpu))
    saturated = "saturated: it limits this run" if per_process > 0.85 else "not saturated"
    print(
        f"  {run.label}: CPU ms per request: load generator {load_gen:.2f}, server {server:.2f}, "
        f"PostgreSQL {postgres:.2f} (other work {other:.2f}); {cpu.busy:.2f} of "
        f"{os.cpu_count()} CPUs busy; each client process used {per_process:.2f} of a CPU "
        f"({saturated})"
    )


# --- the run ------------------------------------------------------------------------------------


def _admin(admin_url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(admin_url, autocommit=True, connect_timeout=5)


@contextlib.contextmanager
def throwaway_postgres(admin_url: str) -> Iterator[str]:
    """A new database on `admin_url`'s server, dropped afterwards whatever happens, over a fresh
    connection and again until it is gone if the server was restarting meanwhile."""
    name = f"item10_load_{uuid.uuid4().hex[:12]}"
    with _admin(admin_url) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    finally:
        deadline = time.monotonic() + DROP_RETRY_SECONDS
        while True:
            try:
                with _admin(admin_url) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    print(f"could not drop the database {name}: drop it by hand", flush=True)
                    raise
                time.sleep(2)


def bench(args: argparse.Namespace, url: str, workdir: Path) -> None:
    from app.core.db import Database
    from app.migrate import migrate

    mix = Mix.of(args.clients)
    print(f"database {url.rsplit('/', 1)[-1]}", flush=True)
    database = Database.from_url(url)
    try:
        reporting._timed("  migrate", lambda: migrate(database))
    finally:
        database.dispose()
    dataset = seed(url, args, mix)
    for line in dataset.summary:
        print(f"  {line}", flush=True)
    secret = secrets.token_urlsafe(48)
    platform_env = {"ENVIRONMENT": "production", "JWT_SECRET": secret, "DATABASE_URL": url}
    if args.rate_limit is not None:
        platform_env["RATE_LIMIT_PER_MINUTE"] = str(args.rate_limit)
    if args.redis_url:
        platform_env["REDIS_URL"] = args.redis_url
    flags = f"--workers {args.workers} --no-server-header --proxy-headers --log-level warning"
    print(
        f"\nplatform: uvicorn app.main:app {flags}; ENVIRONMENT=production, JWT_SECRET set, "
        f"RATE_LIMIT_PER_MINUTE "
        + ("unset (the default, 600)" if args.rate_limit is None else str(args.rate_limit))
        + (
            f", counted in Redis ({args.redis_url})"
            if args.redis_url
            else ", counted in each worker's memory (REDIS_URL unset)"
        )
        + "; its JSON access log at INFO to a file; one `python -m app worker` beside it "
        "(WORKER_CONCURRENCY=2) runs the queued matching runs, its CPU counted as the server's. "
        f"Before starting, with nothing driven, "
        f"{reporting._idle_load():.2f} CPUs were busy; load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg()),
        flush=True,
    )
    platform_log = workdir / "platform.log"
    worker_env = _server_environment(platform_env | {"WORKER_CONCURRENCY": "2"})
    with (
        serving("platform", "app.main:app", platform_env, platform_log, args.workers) as server,
        support.workers(1, worker_env, workdir) as worker_pids,
    ):
        server.companions = worker_pids
        specs = client_specs(dataset, mix, server.base_url)
        print(
            f"  {args.clients} clients ({mix.state_clients} State: focal points and contributors "
            f"of {len(dataset.recommendations)} States; {mix.officers} officers; {mix.portals} "
            f"anonymous portals) in {min(args.client_processes, args.clients)} client processes, "
            f"closed loop, each its own httpx.AsyncClient; {WARM_UP_SECONDS:.0f} s of warm-up, "
            f"then {args.duration:.0f} s counted\n",
            flush=True,
        )
        with MemoryWatch(server.pid) as platform_memory:
            platform = drive("platform", server, specs, args.client_processes, args.duration, url)
    print_drive(platform)
    print_callers(platform, args.rate_limit)
    print(f"  {platform_memory.describe()}")
    log_lines = len(platform_log.read_text(errors="replace").splitlines())
    print(f"  the platform wrote {log_lines} log lines (its JSON access log)")

    size = round(platform.tally.response_bytes / max(platform.tally.answered, 1))
    floor_env = {"BENCH_FLOOR_BYTES": str(size)}
    with serving(
        "floor", "load_floor:app", floor_env, workdir / "floor.log", args.workers, ROOT / "bench"
    ) as server:
        body = httpx.get(f"{server.base_url}/", timeout=10).content
        print(
            f"\nfloor: uvicorn load_floor:app {flags}, a static JSON body of {len(body)} bytes "
            f"(the platform's mean); the same {args.clients} clients, GETs, in "
            f"{min(args.client_processes, args.clients)} client processes\n",
            flush=True,
        )
        floor_specs = [ClientSpec(s.index, "floor", s.address, s.token) for s in specs]
        with MemoryWatch(server.pid) as floor_memory:
            floor = drive("floor", server, floor_specs, args.client_processes, args.duration, url)
    print_drive(floor)
    print(f"  {floor_memory.describe()}")

    print_ratio(platform, floor)
    print_cpu_per_request(platform)
    print_cpu_per_request(floor)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds counted")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers, both servers")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--recommendations", type=int, default=50_000)
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--providers", type=int, default=300)
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=None,
        help="RATE_LIMIT_PER_MINUTE for the platform (default: unset, the platform's default)",
    )
    parser.add_argument(
        "--redis-url",
        help="REDIS_URL for the platform, to share rate-limit counts (default: unset)",
    )
    parser.add_argument("--postgres", default="postgresql://root@127.0.0.1/test")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, reporting._exit_on_sigterm)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs", flush=True)
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="item10-load-") as workdir,
        throwaway_postgres(args.postgres) as url,
    ):
        bench(args, url, Path(workdir))
    print(f"\ntotal {time.perf_counter() - started:.0f} s; servers stopped, database dropped")


if __name__ == "__main__":
    main()
