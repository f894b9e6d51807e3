"""Webhook delivery through the platform's workers, against a bare client loop sending the same
signed POSTs; then the same with the receiver down for a while.

    .venv/bin/python bench/webhooks.py [--events 10000] [--workers 2] [--concurrency 2]
        [--outage 30] [--rate 0] [--postgres postgresql://root@127.0.0.1/test]

Creates a throwaway PostgreSQL database beside `--postgres`'s (dropped at the end, also on
failure, Ctrl-C or SIGTERM), migrates it and registers one public subscription to
`progress_report.published` at a local receiver: a bare ASGI app (`receiver_app` below) under
uvicorn in its own process, answering 204 and appending, per request, its `webhook-id` and
arrival time (`time.time()`) to a file, and every SAMPLE_EVERY-th request whole (headers and
body) to another, which the bench reads as they grow and whose signatures it checks with
`standardwebhooks` as they come (a check that refuses a timestamp five minutes old).

1. Platform: `--workers` `python -m app worker` processes (WORKER_CONCURRENCY `--concurrency`,
   the other settings their defaults, ENVIRONMENT=development and
   WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true for an http receiver on 127.0.0.1); `--events` public
   events written with `app.events.outbox.emit` in transactions of BATCH (as fast as they go,
   or `--rate` a second), each batch's commit time kept; then the wait until the receiver has
   had every id. Printed: events delivered per second (first commit to last first arrival),
   commit-to-delivery latency p50/p95/p99/max (first arrival - its batch's commit time),
   duplicates, the workers' CPU seconds per 1000 events (their /proc, over the same window),
   this database's PostgreSQL backends' CPU (the bench's own writer's included), the
   receiver's, the CPUs busy on the machine, and the deliveries' final statuses.
2. Floor: the same number of POSTs, same body shape and headers, each signed afresh with the
   same `signed_headers`/`sign` as the platform, sent to a fresh receiver by `--workers`
   spawned processes of `--concurrency` threads each (the workers' layout), each thread an
   `httpx.Client` loop keeping its connection; then a sample of FRESH_FLOOR_EVENTS with a new
   `httpx.Client` (one SSL context shared) per POST, as `app/webhooks/outbound.py` does (it
   connects to the address it has just checked). Printed: events/s, the client processes' CPU
   per 1000 events, and platform / floor.
3. Outage: fresh receiver records, workers started again; `--events` more events; once a third
   have arrived the receiver is killed (SIGKILL: a request it recorded may go unanswered, and
   come again) for `--outage` seconds, then started again on the same port; then the wait
   until every written event has arrived and no delivery is pending (retries come 5 s, then
   5 min, ... after a failure, each +-20%: several minutes), progress every 15 s, giving up
   after 12 minutes. Printed: distinct events received against written (they must be equal),
   duplicates, how long full delivery took once the receiver was back, the deliveries'
   attempts and final statuses, and the dead jobs.

Figures are printed, never asserted. Everything (the workers, PostgreSQL, the receiver, the
floor's clients, this process) shares the machine's CPUs: the CPUs busy and the load average
are printed with the figures.
"""

from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import datetime as dt
import functools
import json
import math
import multiprocessing
import os
import secrets
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import load
import psycopg
import reporting
import support

ROOT = Path(__file__).resolve().parents[1]
EVENT_TYPE = "progress_report.published"
PUBLIC_URL = "https://item10.example.org"
STATES = ("WSM", "NPL", "KEN", "FJI", "BOL", "MNG", "HTI", "TLS")
BATCH = 100  # events per transaction
SAMPLE_EVERY = 50  # the receiver keeps every so many requests whole, for signature checks
POLL_SECONDS = 0.2
PROGRESS_SECONDS = 15.0
PLATFORM_TIMEOUT_SECONDS = 1800.0
DELIVERY_TIMEOUT_SECONDS = 720.0  # the outage run's, after the outage
FRESH_FLOOR_EVENTS = 1000  # the floor with a connection per POST is slow: a sample is enough
SETTLE_TIMEOUT_SECONDS = 60.0  # for the workers to record the last answers (platform run)
READY_TIMEOUT_SECONDS = 30.0
CLIENT_TIMEOUT_SECONDS = 30.0
# What a body must hold (API.md); more keys may be added.
BODY_KEYS = {"type", "timestamp", "data"}
DATA_KEYS = {"id", "resource_type", "state_code", "version", "url"}

Message = MutableMapping[str, Any]


# --- the receiver, in its own process ------------------------------------------------------------


class Recorder:
    """The receiver's record, in files the bench reads as they grow: `webhook-id TAB arrival`
    per request, and every SAMPLE_EVERY-th request whole as a JSON line. Both are written line
    by line (one write each), so a receiver killed loses nothing it recorded."""

    def __init__(self, path: str) -> None:
        self.arrivals = Path(f"{path}.tsv").open("a", buffering=1)  # noqa: SIM115
        self.samples = Path(f"{path}.samples").open("a", buffering=1)  # noqa: SIM115
        self.count = 0

    def record(self, headers: dict[str, str], body: bytes) -> None:
        arrived = time.time()
        self.arrivals.write(f"{headers.get('webhook-id', '')}\t{arrived:.6f}\n")
        if self.count % SAMPLE_EVERY == 0:
            whole = {"headers": headers, "body": base64.b64encode(body).decode()}
            self.samples.write(json.dumps(whole) + "\n")
        self.count += 1

    def close(self) -> None:
        self.arrivals.close()
        self.samples.close()


@functools.cache
def _recorder() -> Recorder:
    return Recorder(os.environ["BENCH_RECEIVER_RECORD"])


async def _answer(send: Callable[[Message], Awaitable[None]], status: int, body: bytes) -> None:
    headers = [(b"content-length", str(len(body)).encode())] if body else []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def receiver_app(
    scope: Message,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    """A POST is recorded and answered 204; any other request is the readiness probe."""
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            if message["type"] == "lifespan.startup":
                _recorder()
                await send({"type": "lifespan.startup.complete"})
        _recorder().close()
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["method"] != "POST":
        await _answer(send, 200, b"ready")
        return
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    _recorder().record(headers, body)
    await _answer(send, 204, b"")


# --- the receiver, from the bench's side ---------------------------------------------------------


class Receiver:
    """The receiver process on one port: started (each start with its own record), killed."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = reporting._free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self, label: str) -> Path:
        """Up and answering; the path its record goes to (`.tsv`, `.samples`)."""
        record = self.workdir / f"receiver-{label}"
        log = self.workdir / f"receiver-{label}.log"
        command = [sys.executable, "-m", "uvicorn", "webhooks:receiver_app"]
        command += ["--app-dir", str(ROOT / "bench"), "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--no-server-header", "--no-access-log"]
        command += ["--log-level", "warning"]
        with log.open("wb") as output:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter, our own arguments)
                command,
                cwd=ROOT,
                env=os.environ | {"BENCH_RECEIVER_RECORD": str(record)},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the receiver exited; its log ends:\n{reporting._tail(log)}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{self.port}/", timeout=2).status_code == 200:
                    return record
            time.sleep(0.1)
        raise RuntimeError(f"the receiver was not ready after {READY_TIMEOUT_SECONDS:.0f} s")

    def cpu_seconds(self) -> float:
        return reporting._cpu_seconds(self.process.pid) if self.process else 0.0

    def kill(self) -> None:
        """Down at once: the port refuses connections, requests in hand go unanswered."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.kill()


class Arrivals:
    """What the receiver recorded, read as it grows: each `webhook-id`'s first arrival and how
    many requests came; the sampled requests checked with `standardwebhooks` as they come."""

    def __init__(self, secret: str) -> None:
        from standardwebhooks import Webhook

        self.webhook = Webhook(secret)
        self.records: list[Path] = []
        self.first: dict[str, float] = {}
        self.requests = 0
        self.by_record: Counter[str] = Counter()
        self.verified = 0
        self.refused: list[str] = []
        self._offsets: dict[Path, int] = {}

    def follow(self, record: Path) -> None:
        self.records.append(record)

    def read(self) -> None:
        for record in self.records:
            for line in self._new_lines(Path(f"{record}.tsv")):
                webhook_id, arrived = line.split("\t")
                self.requests += 1
                self.by_record[record.name] += 1
                seen = self.first.get(webhook_id)
                if seen is None or float(arrived) < seen:
                    self.first[webhook_id] = float(arrived)
            for line in self._new_lines(Path(f"{record}.samples")):
                self._verify(json.loads(line))

    def _new_lines(self, path: Path) -> list[str]:
        """The complete lines written since the last read."""
        if not path.exists():
            return []
        with path.open("rb") as file:
            file.seek(self._offsets.get(path, 0))
            chunk = file.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._offsets[path] = self._offsets.get(path, 0) + len(complete)
        return complete.decode().splitlines()

    def _verify(self, sample: dict[str, Any]) -> None:
        from standardwebhooks import WebhookVerificationError

        body = base64.b64decode(sample["body"])
        try:
            payload = self.webhook.verify(body, sample["headers"])
        except WebhookVerificationError as error:
            self.refused.append(f"{sample['headers'].get('webhook-id')}: {error}")
            return
        missing = (BODY_KEYS - set(payload)) | (DATA_KEYS - set(payload.get("data") or {}))
        if missing:
            self.refused.append(f"{sample['headers'].get('webhook-id')}: body lacks {missing}")
            return
        self.verified += 1

    def received(self, ids: dict[str, float]) -> int:
        """How many of these ids have arrived."""
        return sum(webhook_id in self.first for webhook_id in ids)

    def describe_signatures(self) -> str:
        refused = f"; refused: {self.refused[:3]}" if self.refused else ""
        return (
            f"signatures of {self.verified + len(self.refused)} sampled requests checked with "
            f"standardwebhooks: {self.verified} valid (and the body's keys there), "
            f"{len(self.refused)} refused{refused}"
        )


# --- writing events ------------------------------------------------------------------------------


@dataclass
class Written:
    """The events a writer thread committed: each id with its batch's commit time."""

    commits: dict[str, float] = field(default_factory=dict)
    started: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    def check(self) -> None:
        if self.error is not None:
            raise RuntimeError("writing the events failed") from self.error


def _write(url: str, count: int, rate: float, written: Written) -> None:
    from app.core.db import Database
    from app.events.outbox import emit
    from app.events.types import EventType, Visibility

    database = Database.from_url(url)
    started = time.monotonic()
    written.started = time.time()
    try:
        for first in range(0, count, BATCH):
            if rate:
                time.sleep(max(started + first / rate - time.monotonic(), 0))
            with database.transaction() as db:
                ids = [
                    emit(
                        db,
                        EventType(EVENT_TYPE),
                        resource_id=uuid.uuid4(),
                        state_code=STATES[n % len(STATES)],
                        version=2,
                        visibility=Visibility.public,
                        payload={},
                    ).id
                    for n in range(first, min(first + BATCH, count))
                ]
            committed = time.time()
            written.commits.update((str(event_id), committed) for event_id in ids)
    except BaseException as error:
        written.error = error
    finally:
        written.done.set()
        database.dispose()


def start_writing(url: str, count: int, rate: float) -> Written:
    written = Written()
    threading.Thread(target=_write, args=(url, count, rate, written), daemon=True).start()
    return written


def subscribe(url: str, receiver_url: str) -> str:
    """One active public subscription to EVENT_TYPE; its secret."""
    from app.core.db import Database
    from app.events.types import Visibility
    from app.webhooks.models import WebhookSubscription
    from app.webhooks.signing import new_secret

    secret = new_secret()
    database = Database.from_url(url)
    try:
        with database.transaction() as db:
            db.add(
                WebhookSubscription(
                    audience=Visibility.public,
                    url=receiver_url,
                    event_types=[EVENT_TYPE],
                    description="bench/webhooks.py",
                    secret=secret,
                )
            )
    finally:
        database.dispose()
    return secret


# --- waiting and reporting -----------------------------------------------------------------------


def _deliveries(url: str, since: dt.datetime) -> dict[str, Any]:
    """The deliveries created since `since`: by status, by attempts, their jobs by status, and
    the next pending attempt."""
    with psycopg.connect(url, autocommit=True) as connection:
        by_status: dict[str, int] = dict(
            connection.execute(
                "SELECT status, count(*) FROM webhook_deliveries WHERE created_at >= %s "
                "GROUP BY status",
                (since,),
            ).fetchall()
        )
        by_attempts: dict[int, int] = dict(
            connection.execute(
                "SELECT attempts, count(*) FROM webhook_deliveries WHERE created_at >= %s "
                "GROUP BY attempts ORDER BY attempts",
                (since,),
            ).fetchall()
        )
        jobs: dict[str, int] = dict(
            connection.execute(
                "SELECT status, count(*) FROM jobs WHERE kind = 'webhook.deliver' "
                "AND created_at >= %s GROUP BY status",
                (since,),
            ).fetchall()
        )
        due, waiting, next_in = connection.execute(
            "SELECT count(*) FILTER (WHERE next_attempt_at <= now()), "
            "count(*) FILTER (WHERE next_attempt_at > now()), "
            "extract(epoch FROM min(next_attempt_at) FILTER (WHERE next_attempt_at > now()) "
            "- now()) FROM webhook_deliveries WHERE created_at >= %s AND status = 'pending'",
            (since,),
        ).fetchone() or (0, 0, None)
    return {
        "status": by_status,
        "attempts": by_attempts,
        "jobs": jobs,
        "due": due,
        "waiting": waiting,
        "next_in": next_in,
    }


def _describe_deliveries(found: dict[str, Any]) -> str:
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(found["status"].items())) or "none"
    attempts = ", ".join(f"{k}: {v}" for k, v in found["attempts"].items()) or "none"
    jobs = ", ".join(f"{k} {v}" for k, v in sorted(found["jobs"].items())) or "none"
    return f"deliveries {statuses}; by attempts {attempts}; their jobs {jobs}"


def _pending_note(found: dict[str, Any]) -> str:
    """Pending deliveries: those due (the backlog), those waiting for a retry."""
    if not found["status"].get("pending"):
        return "no delivery pending"
    waiting = ""
    if found["waiting"]:
        waiting = f", {found['waiting']} waiting to be retried (next in {found['next_in']:.0f} s)"
    return f"deliveries pending: {found['due']} due{waiting}"


def wait_for_all(
    arrivals: Arrivals,
    written: Written,
    *,
    timeout: float,
    url: str,
    since: dt.datetime,
    on_poll: Callable[[], None] | None = None,
    settle: bool = False,
) -> bool:
    """Until every written event has arrived (and, with `settle`, no delivery is pending any
    more), printing progress every PROGRESS_SECONDS; False on timeout."""
    started = time.monotonic()
    deadline = started + timeout
    next_progress = started + PROGRESS_SECONDS
    while True:
        arrivals.read()
        if on_poll is not None:
            on_poll()
        written.check()
        complete = written.done.is_set() and arrivals.received(written.commits) == len(
            written.commits
        )
        now = time.monotonic()
        found = _deliveries(url, since) if (settle and complete) or now >= next_progress else None
        if complete and (not settle or found is None or not found["status"].get("pending")):
            return True
        if now >= next_progress and found is not None:
            next_progress += PROGRESS_SECONDS
            print(
                f"    {now - started:5.0f} s: {arrivals.received(written.commits):,} of "
                f"{len(written.commits):,} written events received ({arrivals.requests:,} "
                f"requests); {_pending_note(found)}; load average {os.getloadavg()[0]:.2f}",
                flush=True,
            )
        if now >= deadline:
            return False
        time.sleep(POLL_SECONDS if not complete else 1.0)


def _percentiles(values: list[float]) -> tuple[float, float, float, float]:
    if len(values) < 2:
        only = values[0] if values else float("nan")
        return only, only, only, only
    q = statistics.quantiles(values, n=100, method="inclusive")
    return q[49], q[94], q[98], max(values)


@dataclass
class Cpu:
    """CPU seconds of processes over a window, from /proc."""

    pids: list[int]
    started: float = 0.0
    machine_started: float = 0.0
    seconds: float = 0.0
    machine_busy: float = 0.0  # CPUs busy on average over the window
    wall: float = 0.0

    def __enter__(self) -> Cpu:
        self.started = sum(reporting._cpu_seconds(pid) for pid in self.pids)
        self.machine_started = reporting._machine_busy_seconds()
        self.wall = time.monotonic()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.seconds = sum(reporting._cpu_seconds(pid) for pid in self.pids) - self.started
        self.wall = time.monotonic() - self.wall
        busy = reporting._machine_busy_seconds() - self.machine_started
        self.machine_busy = busy / max(self.wall, 1e-9)


def per_thousand(seconds: float, events: int) -> float:
    return seconds / max(events, 1) * 1000


# --- the runs ------------------------------------------------------------------------------------


def worker_environment(args: argparse.Namespace, url: str) -> dict[str, str]:
    return load._server_environment(
        {
            "DATABASE_URL": url,
            "ENVIRONMENT": "development",  # production refuses an http receiver
            "JWT_SECRET": secrets.token_urlsafe(48),
            "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",  # the receiver is on 127.0.0.1
            "WORKER_CONCURRENCY": str(args.concurrency),
            "PUBLIC_URL": PUBLIC_URL,
        }
    )


@dataclass
class Result:
    events_per_second: float
    cpu_per_thousand: float  # the workers', or the floor's client processes'


def platform_run(
    args: argparse.Namespace, url: str, workdir: Path, receiver: Receiver, secret: str
) -> Result:
    arrivals = Arrivals(secret)
    arrivals.follow(receiver.start("platform"))
    since = dt.datetime.now(dt.UTC)
    env = worker_environment(args, url)
    with (
        support.workers(args.workers, env, workdir, "platform-worker") as pids,
        Cpu(pids) as workers_cpu,
        Cpu([receiver.process.pid if receiver.process else 0]) as receiver_cpu,
        load.PostgresWatch(url) as postgres,
    ):
        written = start_writing(url, args.events, args.rate)
        complete = wait_for_all(
            arrivals, written, timeout=PLATFORM_TIMEOUT_SECONDS, url=url, since=since
        )
    writing = max(written.commits.values()) - written.started
    print(
        f"  {len(written.commits):,} events written in {math.ceil(len(written.commits) / BATCH)} "
        f"transactions in {writing:.1f} s"
        + (f" (paced at {args.rate:g}/s)" if args.rate else " (as fast as they went)"),
        flush=True,
    )
    if not complete:
        print(
            f"  NOT COMPLETE after {PLATFORM_TIMEOUT_SECONDS:.0f} s: "
            f"{arrivals.received(written.commits):,} of {len(written.commits):,} received"
        )
    wait_for_all(
        arrivals, written, timeout=SETTLE_TIMEOUT_SECONDS, url=url, since=since, settle=True
    )
    events = len(written.commits)
    delivered = [arrivals.first[i] for i in written.commits if i in arrivals.first]
    span = max(delivered) - min(written.commits.values())
    latencies = [arrivals.first[i] - t for i, t in written.commits.items() if i in arrivals.first]
    p50, p95, p99, slowest = _percentiles(latencies)
    rate = len(delivered) / span
    print(
        f"  delivered {len(delivered):,} events in {span:.1f} s (first commit to last arrival): "
        f"{rate:.1f} events/s\n"
        f"  commit-to-delivery latency: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms, max {slowest * 1000:.0f} ms\n"
        f"  requests received {arrivals.requests:,}, duplicates "
        f"{arrivals.requests - len(arrivals.first):,}; {arrivals.describe_signatures()}\n"
        f"  CPU per 1000 events: workers {per_thousand(workers_cpu.seconds, events):.2f} s, "
        f"PostgreSQL backends of this database {per_thousand(postgres.cpu_seconds, events):.2f} s "
        f"(the bench's writer's included; {postgres.sessions} connections opened), receiver "
        f"{per_thousand(receiver_cpu.seconds, events):.2f} s; over the {workers_cpu.wall:.1f} s "
        f"the workers used {workers_cpu.seconds / workers_cpu.wall:.2f} CPUs, the machine "
        f"{workers_cpu.machine_busy:.2f} of {os.cpu_count()}; load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
        + f"\n  {_describe_deliveries(_deliveries(url, since))}",
        flush=True,
    )
    receiver.kill()
    return Result(rate, per_thousand(workers_cpu.seconds, events))


def _floor_events(count: int) -> list[tuple[uuid.UUID, bytes]]:
    """Bodies as the platform sends them: `thin_event` of an event like those written (its id
    in the `webhook-id` header), serialised by `body_bytes`."""
    from app.events.models import OutboxEvent
    from app.events.types import EventType, Visibility
    from app.webhooks.audience import thin_event
    from app.webhooks.delivery import body_bytes

    events = []
    for n in range(count):
        event = OutboxEvent(
            type=EventType(EVENT_TYPE),
            resource_type=EventType(EVENT_TYPE).resource,
            resource_id=str(uuid.uuid4()),
            state_code=STATES[n % len(STATES)],
            version=2,
            visibility=Visibility.public,
            payload={},
        )
        body = thin_event(event, PUBLIC_URL)
        del body["id"]
        events.append((event.id, body_bytes(body)))
    return events


@functools.cache
def _tls() -> ssl.SSLContext:
    """One SSL context for every client, as outbound.py keeps one: making one loads the CA
    bundle (some 15 ms of CPU), which the receiver, on http, never needs."""
    return httpx.create_ssl_context(trust_env=False)


def _send_all(
    pending: collections.deque[tuple[uuid.UUID, bytes]],
    url: str,
    secret: str,
    keep_connection: bool,
    errors: Counter[str],
) -> None:
    """One thread: POST signed events until none is left, as the platform's `outbound.post`
    does (same headers, `Accept-Encoding: identity`, no redirects, one SSL context for all)."""
    from app.webhooks.delivery import signed_headers

    def client() -> httpx.Client:
        return httpx.Client(
            timeout=CLIENT_TIMEOUT_SECONDS, follow_redirects=False, trust_env=False, verify=_tls()
        )

    shared = client() if keep_connection else None
    try:
        while True:
            try:
                event_id, body = pending.popleft()
            except IndexError:
                return
            body_headers = signed_headers(secret, event_id, body)
            headers = body_headers | {"Accept-Encoding": "identity"}
            sender = shared or client()
            try:
                status = sender.post(url, content=body, headers=headers).status_code
                if not 200 <= status < 300:
                    errors[f"answered {status}"] += 1
            except httpx.HTTPError as error:
                errors[type(error).__name__] += 1
            finally:
                if shared is None:
                    sender.close()
    finally:
        if shared is not None:
            shared.close()


def _floor_process(
    url: str,
    secret: str,
    share: list[tuple[uuid.UUID, bytes]],
    threads: int,
    keep_connection: bool,
    ready: Any,
    go: Any,
    results: Any,
) -> None:
    """One of the floor's processes: `threads` senders over its share of the events."""
    import app.webhooks.delivery  # noqa: F401 (imported before the clock starts)

    pending = collections.deque(share)
    counters = [Counter[str]() for _ in range(threads)]
    ready.put(os.getpid())
    go.wait()
    before = os.times()
    senders = [
        threading.Thread(target=_send_all, args=(pending, url, secret, keep_connection, errors))
        for errors in counters
    ]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    after = os.times()
    results.put((after.user + after.system - before.user - before.system, sum(counters, Counter())))


def floor_run(
    args: argparse.Namespace,
    receiver: Receiver,
    secret: str,
    count: int,
    *,
    keep_connection: bool,
    label: str,
) -> Result:
    """`count` signed POSTs like the platform's from a bare client loop."""
    arrivals = Arrivals(secret)
    arrivals.follow(receiver.start(label))
    events = _floor_events(count)
    context = multiprocessing.get_context("spawn")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    processes = [
        context.Process(
            target=_floor_process,
            args=(
                receiver.url,
                secret,
                events[n :: args.workers],
                args.concurrency,
                keep_connection,
                ready,
                go,
                results,
            ),
        )
        for n in range(args.workers)
    ]
    try:
        for process in processes:
            process.start()
        for _ in processes:
            ready.get(timeout=120)
        with Cpu([receiver.process.pid if receiver.process else 0]) as receiver_cpu:
            started = time.time()
            go.set()
            outcomes = [results.get(timeout=PLATFORM_TIMEOUT_SECONDS) for _ in processes]
        for process in processes:
            process.join(timeout=30)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join()
    arrivals.read()
    ids = {str(event_id): started for event_id, _ in events}
    span = max(arrivals.first.values()) - started if arrivals.first else float("nan")
    received = arrivals.received(ids)
    rate = received / span
    client_cpu = sum(cpu for cpu, _ in outcomes)
    errors = sum((counted for _, counted in outcomes), Counter[str]())
    how = "one kept connection per thread" if keep_connection else "a new connection per POST"
    print(
        f"  floor ({how}): {received:,} of {len(ids):,} received in {span:.1f} s: "
        f"{rate:.1f} events/s; {args.workers} processes x {args.concurrency} threads; errors "
        f"{dict(errors) or 0}; duplicates {arrivals.requests - len(arrivals.first)}\n"
        f"    CPU per 1000 events: client processes {per_thousand(client_cpu, len(ids)):.2f} s, "
        f"receiver {per_thousand(receiver_cpu.seconds, len(ids)):.2f} s; the machine "
        f"{receiver_cpu.machine_busy:.2f} CPUs busy; {arrivals.describe_signatures()}",
        flush=True,
    )
    receiver.kill()
    return Result(rate, per_thousand(client_cpu, len(ids)))


@dataclass
class Outage:
    """Kills the receiver once a third of the events have arrived, starts it again after
    `seconds`."""

    receiver: Receiver
    arrivals: Arrivals
    events: int
    seconds: float
    killed_at: float | None = None
    back_at: float | None = None
    received_when_killed: int = 0

    def __call__(self) -> None:
        now = time.time()
        if self.killed_at is None and len(self.arrivals.first) * 3 >= self.events:
            self.receiver.kill()
            self.killed_at = time.time()
            self.arrivals.read()  # what it recorded before it died
            self.received_when_killed = len(self.arrivals.first)
            print(
                f"    receiver killed with {self.received_when_killed:,} events received; "
                f"down for {self.seconds:g} s",
                flush=True,
            )
        elif (
            self.killed_at is not None
            and self.back_at is None
            and now - self.killed_at >= self.seconds
        ):
            self.arrivals.follow(self.receiver.start("outage-after"))
            self.back_at = time.time()
            down = self.back_at - self.killed_at
            print(f"    receiver back on the same port after {down:.1f} s", flush=True)


def outage_run(
    args: argparse.Namespace, url: str, workdir: Path, receiver: Receiver, secret: str
) -> None:
    arrivals = Arrivals(secret)
    arrivals.follow(receiver.start("outage-before"))
    outage = Outage(receiver, arrivals, args.events, args.outage)
    since = dt.datetime.now(dt.UTC)
    started = time.monotonic()
    with support.workers(args.workers, worker_environment(args, url), workdir, "outage-worker"):
        written = start_writing(url, args.events, args.rate)
        complete = wait_for_all(
            arrivals,
            written,
            timeout=DELIVERY_TIMEOUT_SECONDS + args.outage,
            url=url,
            since=since,
            on_poll=outage,
            settle=True,
        )
    events = len(written.commits)
    received = arrivals.received(written.commits)
    unexpected = len(set(arrivals.first) - set(written.commits))
    verdict = "equal" if received == events else f"NOT EQUAL: {events - received:,} missing"
    print(
        f"  {events:,} events written, {received:,} distinct received: {verdict}"
        + ("" if complete else f" (gave up after {time.monotonic() - started:.0f} s)")
        + (f"; {unexpected} ids never written" if unexpected else "")
    )
    by_record = ", ".join(f"{name} {count:,}" for name, count in arrivals.by_record.items())
    print(
        f"  requests received {arrivals.requests:,} ({by_record}), duplicates "
        f"{arrivals.requests - len(arrivals.first):,}; {arrivals.describe_signatures()}"
    )
    if outage.back_at is not None and received:
        last = max(arrivals.first[i] for i in written.commits if i in arrivals.first)
        print(
            f"  receiver down {outage.back_at - (outage.killed_at or 0):.1f} s; every event "
            f"received {last - outage.back_at:.1f} s after it was back "
            f"({last - min(written.commits.values()):.1f} s after the first commit)"
        )
    elif outage.killed_at is None:
        print("  the receiver was never killed: a third of the events never arrived")
    found = _deliveries(url, since)
    dead = found["jobs"].get("dead", 0)
    print(
        f"  {_describe_deliveries(found)}; failed deliveries "
        f"{found['status'].get('failed', 0)}, dead jobs {dead}; load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg()),
        flush=True,
    )
    receiver.kill()


def bench(args: argparse.Namespace, url: str, workdir: Path) -> None:
    from app.core.db import Database
    from app.migrate import migrate

    print(f"database {url.rsplit('/', 1)[-1]}", flush=True)
    database = Database.from_url(url)
    try:
        reporting._timed("  migrate", lambda: migrate(database))
    finally:
        database.dispose()
    with Receiver(workdir) as receiver:
        secret = subscribe(url, receiver.url)
        print(
            f"  one public subscription to {EVENT_TYPE} at {receiver.url} (uvicorn, a bare ASGI "
            f"app answering 204); before starting, with nothing running, "
            f"{reporting._idle_load():.2f} CPUs were busy; load average "
            + " ".join(f"{x:.2f}" for x in os.getloadavg()),
            flush=True,
        )
        print(
            f"\n1. platform: {args.workers} x `python -m app worker`, WORKER_CONCURRENCY "
            f"{args.concurrency} (the other settings their defaults); {args.events:,} events in "
            f"transactions of {BATCH}",
            flush=True,
        )
        platform = platform_run(args, url, workdir, receiver, secret)
        print(
            f"\n2. floor: the same {args.events:,} signed POSTs from {args.workers} processes x "
            f"{args.concurrency} threads, each an httpx.Client loop",
            flush=True,
        )
        floor = floor_run(args, receiver, secret, args.events, keep_connection=True, label="floor")
        fresh = floor_run(
            args,
            receiver,
            secret,
            min(args.events, FRESH_FLOOR_EVENTS),
            keep_connection=False,
            label="floor-fresh",
        )
        print(
            f"  platform / floor: {platform.events_per_second:.1f} / "
            f"{floor.events_per_second:.1f} events/s = "
            f"{platform.events_per_second / floor.events_per_second:.3f}; CPU per 1000 events "
            f"{platform.cpu_per_thousand:.2f} / {floor.cpu_per_thousand:.2f} s (against a new "
            f"connection per POST: {platform.events_per_second / fresh.events_per_second:.3f}; "
            f"{platform.cpu_per_thousand:.2f} / {fresh.cpu_per_thousand:.2f} s)",
            flush=True,
        )
        print(
            f"\n3. outage: {args.events:,} more events; the receiver killed once a third have "
            f"arrived, for {args.outage:g} s",
            flush=True,
        )
        outage_run(args, url, workdir, receiver, secret)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--concurrency", type=int, default=2, help="WORKER_CONCURRENCY of each worker"
    )
    parser.add_argument("--outage", type=float, default=30.0, help="seconds the receiver is down")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="events written per second (0: as fast as they go)"
    )
    parser.add_argument("--postgres", default="postgresql://root@127.0.0.1/test")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, reporting._exit_on_sigterm)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs", flush=True)
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="item10-webhooks-") as workdir,
        load.throwaway_postgres(args.postgres) as url,
    ):
        bench(args, url, Path(workdir))
    print(f"\ntotal {time.perf_counter() - started:.0f} s; processes stopped, database dropped")


if __name__ == "__main__":
    main()
