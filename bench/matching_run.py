"""A matching run as the worker computes it, over 1, 10 and every accepted request, against
the pure computation on the rows it needs.

    .venv/bin/python bench/matching_run.py [--requests 2000] [--providers 300]
        [--recommendations 5000] [--reports 2000] [--repeat 7] [--profile N] [--gc-freeze]
        [--postgres postgresql://root@127.0.0.1/test]

Creates a throwaway PostgreSQL database beside `--postgres`'s (dropped at the end, also on
failure, Ctrl-C or SIGTERM), migrates it and loads it with bench/load.py's `seed`: the catalogue,
progress reports and shortfalls as bench/reporting.py loads them (the run reads the themes and
the shortfalls; the catalogue's size does not matter to it, hence the small defaults), assistance
requests in every stage and the roster of providers as bench/matching.py draws them, accounts.
Then the capacity the drawn roster has taken: as many `accepted` assignments as each provider's
drawn `occupied`, to completed requests moved back to `in_delivery`.

For each size (one accepted request, ten, and `request_ids` absent: every accepted, unassigned
one), `--repeat` times after a warm-up, the whole series twice: a run queued as
`POST /matching-runs` queues it (`jobs.queue_run`), its job claimed as a worker claims it, then
timed: `jobs.run`, the function the worker calls, from the job's payload to the stored run and
the job's success. Printed: the median CPU time (`time.process_time`) and wall time, the SQL
statements and the rows they returned (SQLAlchemy's cursor events), each run's CPU time with a
`*` where a full garbage collection ran during it. The floor, timed after each run: the same
run's pure computation on rows already read, `Roster` and `proposal.propose` over the requests
and the providers offering one of their assistance types (which gives the same proposals: the
floor's are compared with the stored run's). Then `POST /matching-runs` itself over ten
requests through the app in-process (`TestClient` with an officer's token; the client's CPU
counts too, so `GET /healthz` through the same client is printed beside it): CPU, wall,
statements. `--profile N` prints a cProfile of one ten-request run, the top N functions by
cumulative and by own CPU time (the profiler's clock is `time.process_time`). `--gc-freeze`
calls `gc.freeze()` before measuring, once the app, numpy and SciPy are imported: what a worker
process could do after starting, so that full collections no longer walk those objects.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import logging
import os
import pstats
import random
import secrets
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import load
import psycopg
import reporting

WORKER = "bench-matching-run"
SIZES: list[tuple[str, int | None]] = [("1 request", 1), ("10 requests", 10), ("all", None)]
WEB_REQUESTS = 10


@dataclass
class Counted:
    statements: int = 0
    rows: int = 0
    full_collections: int = 0


@contextmanager
def counting(engine: Any) -> Iterator[Counted]:
    """Every statement the engine runs inside the block, the rows the statements return, and
    the full (generation 2) garbage collections, which walk every object of the process."""
    from sqlalchemy import event

    counted = Counted()

    def before(*_: Any) -> None:
        counted.statements += 1

    def after(_conn: Any, cursor: Any, *_: Any) -> None:
        if cursor.description is not None and cursor.rowcount > 0:
            counted.rows += cursor.rowcount

    def collecting(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            counted.full_collections += 1

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    gc.callbacks.append(collecting)
    try:
        yield counted
    finally:
        gc.callbacks.remove(collecting)
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


@dataclass
class Timing:
    cpu_ms: float
    wall_ms: float
    statements: int = 0
    rows: int = 0
    full_collections: int = 0


def timed(engine: Any, step: Callable[[], Any]) -> tuple[Timing, Any]:
    with counting(engine) as counted:
        cpu, wall = time.process_time(), time.perf_counter()
        result = step()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    counts = (counted.statements, counted.rows, counted.full_collections)
    return Timing(cpu * 1000, wall * 1000, *counts), result


def median(timings: Sequence[Timing], field: str) -> float:
    return statistics.median(getattr(t, field) for t in timings)


# --- data ---------------------------------------------------------------------------------------


def hold_capacity(url: str, args: argparse.Namespace) -> int:
    """The capacity the drawn roster has taken, as `accepted` assignments of completed requests
    moved back to `in_delivery`: what the run reads as each provider's load."""
    from matching import build_instance

    instance = build_instance(args.requests, args.providers, load.SEED)
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        served = [
            rid
            for (rid,) in cursor.execute(
                "SELECT id FROM assistance_requests WHERE stage = 'completed' ORDER BY id"
            )
        ]
        now = dt.datetime.now(dt.UTC)
        held = [uuid.UUID(offer.id) for offer in instance.offers for _ in range(offer.occupied)]
        rows = list(zip(served, held, strict=False))  # as many as there are completed requests
        cursor.executemany(
            "INSERT INTO assignments (id, request_id, provider_id, status, version, created_at, "
            "updated_at) VALUES (%s, %s, %s, 'accepted', 1, %s, %s)",
            [(uuid.uuid4(), rid, pid, now, now) for rid, pid in rows],
        )
        cursor.execute(
            "UPDATE assistance_requests SET stage = 'in_delivery' WHERE id = ANY(%s)",
            ([rid for rid, _ in rows],),
        )
        connection.commit()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("ANALYZE")
    return len(rows)


def an_officer(url: str) -> uuid.UUID:
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT id FROM users WHERE role = 'ohchr_officer' ORDER BY email LIMIT 1"
        ).fetchone()
    assert row is not None, "load.seed makes officers"
    return uuid.UUID(str(row[0]))


def open_requests(url: str) -> list[uuid.UUID]:
    with psycopg.connect(url) as connection:
        return [
            uuid.UUID(str(rid))
            for (rid,) in connection.execute(
                "SELECT id FROM assistance_requests WHERE stage = 'accepted' AND id NOT IN "
                "(SELECT request_id FROM assignments WHERE status IN ('proposed', 'accepted')) "
                "ORDER BY id"
            )
        ]


# --- the run and its floor ----------------------------------------------------------------------


class Runner:
    def __init__(self, url: str, officer_id: uuid.UUID) -> None:
        from app.core.db import Database
        from app.core.principal import Principal, PrincipalKind, Role
        from app.core.settings import Settings

        self.database = Database.from_url(url)
        self.settings = Settings(database_url=url, jwt_secret=secrets.token_urlsafe(48))
        self.who = Principal(officer_id, PrincipalKind.user, Role.ohchr_officer, None)

    def queued(self, request_ids: list[uuid.UUID] | None) -> Any:
        """A run queued as the API queues it, and its job claimed as a worker claims it."""
        from app.jobs.queue import claim
        from app.jobs.worker import JobContext
        from app.matching import jobs

        with self.database.transaction() as db:
            run = jobs.queue_run(db, self.who, request_ids)
        with self.database.transaction() as db:
            job = claim(db, WORKER, [jobs.KIND], dt.timedelta(minutes=10))
        assert job is not None
        assert job.payload["run_id"] == str(run.id)
        return JobContext(
            job=job,
            database=self.database,
            settings=self.settings,
            worker_id=WORKER,
            stop=threading.Event(),
        )

    def run(self, request_ids: list[uuid.UUID] | None) -> tuple[Timing, list[tuple[str, ...]]]:
        from app.matching import jobs
        from app.matching.models import MatchingRun

        ctx = self.queued(request_ids)
        timing, _ = timed(self.database.engine, lambda: jobs.run(ctx))
        with self.database.transaction() as db:
            stored = db.get(MatchingRun, uuid.UUID(ctx.payload["run_id"]))
            assert stored is not None
            assert stored.status == "succeeded", stored.error
            return timing, pairs(stored.proposals)

    def instance(self, request_ids: list[uuid.UUID] | None) -> tuple[Any, ...]:
        """What the run computes on, read as the run reads it: the requests' needs and
        priorities, and the active providers offering one of their assistance types."""
        from app.assistance import service as assistance
        from app.assistance.schemas import OfficerRequestView
        from app.matching import inputs, service

        with self.database.transaction() as db:
            requests = service._open_requests(db, request_ids)
            views = assistance.view(db, self.who, requests, settings=self.settings)
            priorities = {
                str(v.id): v.priority.score for v in views if isinstance(v, OfficerRequestView)
            }
            needs = inputs.needs_of(db, requests)
            types = {n.assistance_type for n in needs.values()}
            offers = [o for o in inputs.active_offers(db) if o.assistance_types & types]
        return needs, priorities, offers

    def floor(self, instance: tuple[Any, ...]) -> tuple[Timing, list[tuple[str, ...]]]:
        from app.matching.proposal import propose
        from app.matching.roster import Roster

        needs, priorities, offers = instance
        min_score = self.settings.matching_min_score
        timing, proposed = timed(
            self.database.engine, lambda: propose(needs, priorities, Roster(offers), min_score)
        )
        return timing, pairs(proposed.proposals)


def pairs(proposals: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    return [(p["request_id"], p["provider_id"], repr(p["score"])) for p in proposals]


def measure(runner: Runner, accepted: list[uuid.UUID], args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    print(
        f"\n{'run over':<12} {'CPU ms':>8} {'wall ms':>8} {'SQL':>5} {'rows':>7}  "
        f"{'floor CPU':>9} {'floor wall':>10}  {'CPU ratio':>9}  proposals",
        flush=True,
    )
    for label, size in SIZES:
        chosen = None if size is None else sorted(rng.sample(accepted, size))
        runner.run(chosen)  # warm-up: imports, caches, the database's buffers
        instance = runner.instance(chosen)
        runs, floors = [], []
        for _ in range(args.repeat):
            timing, proposed = runner.run(chosen)
            runs.append(timing)
            floor, floor_proposed = runner.floor(instance)
            floors.append(floor)
            if proposed != floor_proposed:
                raise SystemExit(f"{label}: the floor's proposals differ from the run's")
        print(
            f"{label:<12} {median(runs, 'cpu_ms'):>8.1f} {median(runs, 'wall_ms'):>8.1f} "
            f"{median(runs, 'statements'):>5.0f} {median(runs, 'rows'):>7.0f}  "
            f"{median(floors, 'cpu_ms'):>9.1f} {median(floors, 'wall_ms'):>10.1f}  "
            f"{median(runs, 'cpu_ms') / max(median(floors, 'cpu_ms'), 1e-3):>9.1f}  "
            f"{len(proposed)} of {len(instance[0])} requests, {len(instance[2])} providers "
            f"read for the floor",
            flush=True,
        )
        print(
            "             CPU ms of each run: "
            + " ".join(f"{t.cpu_ms:.1f}" + "*" * t.full_collections for t in runs)
            + f" (mean {statistics.mean(t.cpu_ms for t in runs):.1f}); load average "
            + " ".join(f"{x:.2f}" for x in os.getloadavg()),
            flush=True,
        )


def profile(runner: Runner, accepted: list[uuid.UUID], top: int, seed: int) -> None:
    from app.matching import jobs

    chosen = sorted(random.Random(seed).sample(accepted, 10))
    runner.run(chosen)
    ctx = runner.queued(chosen)
    profiler = cProfile.Profile(time.process_time)  # CPU time, not the waits on PostgreSQL
    profiler.runcall(jobs.run, ctx)
    print(f"\ncProfile of one run over 10 requests (top {top} by cumulative time):", flush=True)
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    print(f"by own time (top {top}):", flush=True)
    stats.sort_stats("tottime").print_stats(top)


# --- the web side: POST /matching-runs ----------------------------------------------------------


def web(runner: Runner, accepted: list[uuid.UUID], args: argparse.Namespace) -> None:
    from fastapi.testclient import TestClient

    from app.main import create_app

    app = create_app(runner.settings, runner.database)
    print(
        "\nin-process through the app (TestClient: the client's CPU is counted too), medians of "
        f"{args.repeat}:",
        flush=True,
    )
    with (
        tempfile.TemporaryDirectory(prefix="item10-matching-run-") as logs,
        (Path(logs) / "platform.log").open("w+") as log,
        TestClient(app) as client,
    ):
        # The JSON access log is written as in production, to a file rather than the terminal;
        # httpx's own line per request is the test client's, not the platform's.
        (handler,) = logging.getLogger().handlers
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(log)
        logging.getLogger("httpx").setLevel(logging.WARNING)
        try:
            posts, healthz = drive_web(runner, client, accepted, args)
        except AssertionError:
            log.seek(0)
            print(f"the platform's log ends:\n{log.read()[-4000:]}", flush=True)
            raise
    for label, timings in (
        (f"POST /matching-runs over {WEB_REQUESTS} requests", posts),
        ("GET /healthz (the fixed cost of a request here)", healthz),
    ):
        print(
            f"{label}: CPU {median(timings, 'cpu_ms'):.1f} ms, wall "
            f"{median(timings, 'wall_ms'):.1f} ms, {median(timings, 'statements'):.0f} "
            f"statements returning {median(timings, 'rows'):.0f} rows",
            flush=True,
        )


def drive_web(
    runner: Runner, client: Any, accepted: list[uuid.UUID], args: argparse.Namespace
) -> tuple[list[Timing], list[Timing]]:
    """`POST /matching-runs` as an officer, each followed by `GET /healthz`; after one warm-up
    of each, `--repeat` timings of each."""
    from app.core.security import issue_access_token

    token = issue_access_token(runner.settings, runner.who.subject, {"role": runner.who.role.value})
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(args.seed)
    posts, healthz = [], []
    for n in range(args.repeat + 1):
        body = {"request_ids": [str(r) for r in rng.sample(accepted, WEB_REQUESTS)]}
        post, response = timed(
            runner.database.engine,
            partial(client.post, f"{load.API}/matching-runs", json=body, headers=headers),
        )
        assert response.status_code == 202, response.text
        health, response = timed(runner.database.engine, lambda: client.get("/healthz"))
        assert response.status_code == 200, response.text
        if n > 0:
            posts.append(post)
            healthz.append(health)
    return posts, healthz


# --- the run ------------------------------------------------------------------------------------


def bench(args: argparse.Namespace, url: str) -> None:
    from app.core.db import Database
    from app.migrate import migrate

    print(f"database {url.rsplit('/', 1)[-1]}", flush=True)
    database = Database.from_url(url)
    try:
        reporting._timed("  migrate", lambda: migrate(database))
    finally:
        database.dispose()
    dataset = load.seed(url, args, load.Mix.of(8))
    for line in dataset.summary:
        print(f"  {line}", flush=True)
    held = hold_capacity(url, args)
    accepted = open_requests(url)
    print(
        f"  {held} accepted assignments holding capacity; {len(accepted)} accepted requests "
        f"open to matching",
        flush=True,
    )
    runner = Runner(url, an_officer(url))
    try:
        print(
            f"\n{args.repeat} runs of each size after a warm-up, each followed by its floor "
            "(Roster and propose on the rows already read); medians. Load average "
            + " ".join(f"{x:.2f}" for x in os.getloadavg()),
            flush=True,
        )
        if args.gc_freeze:
            runner.run(accepted[:1])  # numpy and SciPy imported
            gc.freeze()
            print(
                f"--gc-freeze: {gc.get_freeze_count()} objects moved out of the collector's "
                "reach, as a worker could do once started",
                flush=True,
            )
        measure(runner, accepted, args)
        measure(runner, accepted, args)  # twice: other work on the machine moves the figures
        print(
            "* a full (generation 2) garbage collection ran during that run: it walks every "
            "object of the process (the app, numpy, SciPy), whatever the run's size",
            flush=True,
        )
        if args.profile:
            profile(runner, accepted, args.profile, args.seed)
        web(runner, accepted, args)
    finally:
        runner.database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--providers", type=int, default=300)
    parser.add_argument("--recommendations", type=int, default=5_000)
    parser.add_argument("--reports", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() once the app, numpy and SciPy are imported, before measuring",
    )
    parser.add_argument("--postgres", default="postgresql://root@127.0.0.1/test")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, reporting._exit_on_sigterm)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs", flush=True)
    started = time.perf_counter()
    with load.throwaway_postgres(args.postgres) as url:
        bench(args, url)
    print(f"\ntotal {time.perf_counter() - started:.0f} s; database dropped")


if __name__ == "__main__":
    main()
