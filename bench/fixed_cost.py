"""Fixed cost per request: the platform with every production middleware on, against a bare
Starlette app answering the same bytes.

    .venv/bin/python bench/fixed_cost.py [--rounds 3] [--seconds 8] [--workers 1]
        [--postgres postgresql://root@127.0.0.1/test | --sqlite] [--profile SECONDS]

Creates a throwaway PostgreSQL database beside `--postgres`'s (dropped at the end, also on
failure, Ctrl-C or SIGTERM), or with `--sqlite` a SQLite file in a temporary directory, and
migrates it (the 195 reference States come with the migrations). Two servers then run side by
side under the same `uvicorn --workers N --no-server-header --log-level warning`:

- the platform: `app.main:app` with the production settings (ENVIRONMENT=production, a
  64-character JWT_SECRET, no worker in the process), its JSON access log at INFO going to a
  file as a log collector would take it, and RATE_LIMIT_PER_MINUTE=1000000000: the limiter runs
  its whole path (the caller, the in-memory count, the headers) for every request without ever
  refusing wrk's one address. REDIS_URL is not set, so the counts stay in the process (several
  production processes would share them in Redis, a round trip more that is not measured
  here); with `--workers` above 1 PROMETHEUS_MULTIPROC_DIR is set, as production must. Before
  anything is timed the bench checks that every production middleware answers: the request id
  (echoed, and found in the access log), the security headers, the rate-limit headers on
  /api/v1, /metrics counting requests, the body limit (413), the public cache (`ETag`, `304`);
- the floor: `floor_app` below, a Starlette app without middleware answering each path with
  the platform's body and content type, fetched from the platform first and handed over in a
  file (and `304` to `If-None-Match` of the platform's `ETag`).

wrk (`-t2 -c16 --latency`) drives each server in turn, platform and floor alternating, for
`--seconds` per run and `--rounds` rounds, on GET /healthz, GET /api/v1/states/WSM (a public
single-row read, anonymous) and, for information, the same read with `If-None-Match` of its
`ETag` (a `304`). Printed for each run: req/s, p50/p99 as wrk gives them, responses that were
neither 2xx nor 3xx, the server's CPU time per request (its process tree, from /proc) and the
load average before the run; then per path the platform/floor ratio of req/s in each round
(best and median) and the ratio of CPU per request. Target 2 of issue 17 asks for at least
0.25 on the first two paths. wrk runs on the same CPUs as the servers. Nothing is asserted.

`--profile SECONDS` then samples the platform with py-spy (200 Hz, every thread) while wrk
drives /healthz and then the single-row read, and prints the 40 frames with the largest
inclusive share of the busy samples of the main thread and the worker threads (samples of a
thread waiting in `Condition.wait` or `select` are idle and left out), then the 15 with the
largest self share. `--rounds 0` profiles without timing.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import load
import reporting
import support
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ROOT = support.ROOT
WRK = "/usr/bin/wrk"
WRK_THREADS = 2
WRK_CONNECTIONS = 16
PY_SPY = str(ROOT / ".venv" / "bin" / "py-spy")
PROFILE_RATE = 200  # samples a second
PROFILE_TOP = 40
PROFILE_TOP_SELF = 15
WARM_UP_SECONDS = 2
RATE_LIMIT = 1_000_000_000  # a minute: counted for every request, never reached
TARGET = 0.25
HEALTH = "/healthz"
ONE_ROW = "/api/v1/states/WSM"
FLOOR_ANSWERS = "BENCH_FIXED_COST_ANSWERS"  # the file of the bodies the floor answers with
SECURITY_HEADERS = ("x-content-type-options", "referrer-policy", "x-frame-options")


# --- the floor ----------------------------------------------------------------------------------


def _floor_endpoint(
    body: bytes, content_type: str, etag: str | None
) -> Callable[[Request], Awaitable[Response]]:
    async def answer(request: Request) -> Response:
        if etag is not None and request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"etag": etag})
        return Response(body, headers={"content-type": content_type})

    return answer


def _floor_routes() -> list[Route]:
    answers_file = os.environ.get(FLOOR_ANSWERS)
    if not answers_file:  # imported by the bench itself, not served
        return []
    answers = json.loads(Path(answers_file).read_text())
    return [
        Route(path, _floor_endpoint(base64.b64decode(a["body"]), a["content_type"], a["etag"]))
        for path, a in answers.items()
    ]


floor_app = Starlette(routes=_floor_routes())


@dataclass(frozen=True)
class Answer:
    body: bytes
    content_type: str
    etag: str | None


def _write_floor_answers(answers: dict[str, Answer], file: Path) -> None:
    file.write_text(
        json.dumps(
            {
                path: {
                    "body": base64.b64encode(a.body).decode(),
                    "content_type": a.content_type,
                    "etag": a.etag,
                }
                for path, a in answers.items()
            }
        )
    )


# --- servers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    label: str
    base_url: str
    pid: int
    log: Path


@contextlib.contextmanager
def serving(
    label: str, target: str, env: dict[str, str], log: Path, workers: int, app_dir: Path = ROOT
) -> Iterator[Server]:
    """`uvicorn TARGET` in its own process group, its output going to `log`; ready once
    /healthz answers, stopped (its group killed if anything lingers) when the block ends."""
    port = support.free_port()
    command = [sys.executable, "-m", "uvicorn", target, "--app-dir", str(app_dir)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    command += ["--no-server-header", "--log-level", "warning"]
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter, our own arguments)
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            support.wait_for_port(port, process)
            base_url = f"http://127.0.0.1:{port}"
            _wait_answering(f"{base_url}{HEALTH}", process, log)
            yield Server(label, base_url, process.pid, log)
        finally:
            support.stop_server(process)


def _wait_answering(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Every worker answers: ten answers in a row on fresh connections."""
    deadline = time.monotonic() + 60
    answered = 0
    while answered < 10:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer; the log ends:\n{reporting._tail(log)}")
        try:
            answered = answered + 1 if httpx.get(url, timeout=2).status_code == 200 else 0
        except httpx.HTTPError:
            answered = 0
            time.sleep(0.2)


def _platform_env(url: str, workdir: Path, workers: int) -> dict[str, str]:
    settings = {
        "ENVIRONMENT": "production",
        "JWT_SECRET": secrets.token_urlsafe(48),
        "DATABASE_URL": url,
        "LOG_LEVEL": "INFO",
        "RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT),
    }
    env = load._server_environment(settings)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if workers > 1:
        metrics = workdir / "prometheus"
        metrics.mkdir()
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
    return env


# --- what the platform answers, and the middleware checks ---------------------------------------


def _answer(response: httpx.Response) -> Answer:
    return Answer(response.content, response.headers["content-type"], response.headers.get("etag"))


def _requests_counted(base_url: str, route: str, statuses: tuple[int, ...] = (200,)) -> float:
    """`item10_http_requests_total` of GET `route` answered with one of `statuses`."""
    wanted = ('method="GET"', f'route="{route}"')
    answered = tuple(f'status="{status}"' for status in statuses)
    total = 0.0
    for line in httpx.get(f"{base_url}/metrics", timeout=10).text.splitlines():
        labels, _, value = line.rpartition(" ")
        if (
            labels.startswith("item10_http_requests_total{")
            and all(w in labels for w in wanted)
            and any(a in labels for a in answered)
        ):
            total += float(value)
    return total


def check_middleware(platform: Server) -> list[tuple[str, bool, str]]:
    """(what, whether it answered as production's middleware does, what was seen)."""
    checks: list[tuple[str, bool, str]] = []
    base = platform.base_url
    probe_id = f"fixed-cost-{uuid.uuid4().hex[:12]}"
    health = httpx.get(base + HEALTH, headers={"X-Request-ID": probe_id}, timeout=10)
    echoed = health.headers.get("x-request-id")
    checks.append(("request id echoed", echoed == probe_id, f"x-request-id: {echoed}"))
    fresh = httpx.get(base + HEALTH, timeout=10).headers.get("x-request-id")
    checks.append(("request id made", bool(fresh) and fresh != probe_id, f"x-request-id: {fresh}"))
    security = {name: health.headers.get(name) for name in SECURITY_HEADERS}
    security["cache-control"] = health.headers.get("cache-control")
    checks.append(
        (
            "security headers",
            all(security.values()),
            ", ".join(f"{k}: {v}" for k, v in security.items()),
        )
    )
    time.sleep(0.5)  # the log line is written once the answer is sent
    logged = [
        line
        for line in platform.log.read_text(errors="replace").splitlines()
        if probe_id in line and '"app.access"' in line
    ]
    checks.append(("access log (JSON, INFO)", bool(logged), logged[0] if logged else "no line"))
    row = httpx.get(base + ONE_ROW, timeout=10)
    limits = {name: row.headers.get(name) for name in ("ratelimit-policy", "ratelimit")}
    checks.append(
        (
            f"rate limit on {ONE_ROW}",
            all(limits.values()),
            ", ".join(f"{k}: {v}" for k, v in limits.items()),
        )
    )
    before = _requests_counted(base, HEALTH)
    for _ in range(5):
        httpx.get(base + HEALTH, timeout=10)
    after = _requests_counted(base, HEALTH)
    checks.append(
        ("/metrics counts", after - before == 5, f"GET {HEALTH} 200: {before:g} -> {after:g}")
    )
    too_big = httpx.post(base + HEALTH, content=b"x" * (1_048_576 + 1), timeout=30)
    checks.append(
        ("body limit", too_big.status_code == 413, f"POST of 1 MiB + 1 byte: {too_big.status_code}")
    )
    etag = row.headers.get("etag")
    revalidated = httpx.get(base + ONE_ROW, headers={"If-None-Match": etag or ""}, timeout=10)
    checks.append(
        (
            "public cache",
            etag is not None and revalidated.status_code == 304,
            f"etag {etag}, cache-control: {row.headers.get('cache-control')}, "
            f"If-None-Match answered {revalidated.status_code}",
        )
    )
    return checks


# --- wrk ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """A request timed: its path and headers."""

    label: str
    path: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Run:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    not_ok: int  # neither 2xx nor 3xx
    socket_errors: dict[str, int]  # wrk's: connect, read, write, timeout (over 2 s)
    cpu_ms: float  # the server's CPU per request
    load: float  # the 1-minute load average before the run


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _wrk_ms(text: str, percentile: int) -> float:
    found = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.MULTILINE)
    return float(found.group(1)) * _UNITS[found.group(2)] if found else float("nan")


def _wrk_count(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    return int(found.group(1)) if found else 0


def _socket_errors(text: str) -> dict[str, int]:
    found = re.search(r"Socket errors: ((?:\w+ \d+(?:, )?)+)", text)
    counts = (kind.split() for kind in found.group(1).split(", ")) if found else ()
    return {name: int(count) for name, count in counts if int(count)}


def _wrk_command(server: Server, line: Line, seconds: float) -> list[str]:
    command = [WRK, f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds:g}s", "--latency"]
    for name, value in line.headers.items():
        command += ["-H", f"{name}: {value}"]
    return [*command, server.base_url + line.path]


def wrk(server: Server, line: Line, seconds: float) -> Run:
    load_before = os.getloadavg()[0]
    cpu_before = reporting._cpu_seconds(server.pid)
    done = subprocess.run(  # noqa: S603 (wrk, our own arguments)
        _wrk_command(server, line, seconds), capture_output=True, text=True, check=True
    )
    cpu = reporting._cpu_seconds(server.pid) - cpu_before
    text = done.stdout
    requests = _wrk_count(r"(\d+) requests in", text)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    return Run(
        requests=requests,
        rps=float(rate.group(1)) if rate else 0.0,
        p50_ms=_wrk_ms(text, 50),
        p99_ms=_wrk_ms(text, 99),
        not_ok=_wrk_count(r"Non-2xx or 3xx responses: (\d+)", text),
        socket_errors=_socket_errors(text),
        cpu_ms=cpu / max(requests, 1) * 1000,
        load=load_before,
    )


def _print_run(line: Line, server: Server, run: Run) -> None:
    errors = "".join(f"  {kind} errors {n}" for kind, n in run.socket_errors.items())
    print(
        f"  {line.label:<30}{server.label:<10}{run.load:>6.2f}{run.rps:>10.1f}{run.p50_ms:>9.2f}"
        f"{run.p99_ms:>9.2f}{run.not_ok:>13}{run.cpu_ms:>12.3f}{errors}",
        flush=True,
    )


def _print_summary(line: Line, runs: list[tuple[Run, Run]]) -> None:
    """`runs`: (platform, floor) per round."""
    ratios = [p.rps / f.rps for p, f in runs if f.rps]
    cpu_platform = statistics.median(p.cpu_ms for p, _ in runs)
    cpu_floor = statistics.median(f.cpu_ms for _, f in runs)
    target = (
        f" (target at least {TARGET})"
        if line.path in (HEALTH, ONE_ROW) and not line.headers
        else ""
    )
    print(f"{line.label}")
    print(
        f"  req/s platform {', '.join(f'{p.rps:.0f}' for p, _ in runs)}; "
        f"floor {', '.join(f'{f.rps:.0f}' for _, f in runs)}"
    )
    print(
        f"  platform/floor per round {', '.join(f'{r:.3f}' for r in ratios)}: "
        f"best {max(ratios):.3f}, median {statistics.median(ratios):.3f}{target}"
    )
    print(
        f"  server CPU per request (median): platform {cpu_platform:.3f} ms, floor "
        f"{cpu_floor:.3f} ms; floor/platform {cpu_floor / cpu_platform:.3f} "
        f"(the platform spends {cpu_platform / cpu_floor:.1f}x)",
        flush=True,
    )


# --- profile ------------------------------------------------------------------------------------

_LINE_NUMBER = re.compile(r":\d+\)$")
_PROCESSES = re.compile(r'^(?:process \d+:"[^"]*";)+')  # with --subprocesses; "a; b" inside


def _function(frame: str) -> str:
    """`name (file.py:42)` without its line: a function's lines counted together."""
    return _LINE_NUMBER.sub(")", frame)


def _is_idle(leaf: str) -> bool:
    name, _, place = leaf.partition(" (")
    waiting = place.startswith("threading.py") and name.rsplit(".", 1)[-1] == "wait"
    selecting = place.startswith("selectors.py") and name.rsplit(".", 1)[-1] == "select"
    return waiting or selecting


def _thread_kind(name: str) -> str:
    return "main" if name == "MainThread" else "worker" if "worker" in name.lower() else name


def _samples(raw: Path) -> Iterator[tuple[str, list[str], int]]:
    """(thread kind, frames outermost first, count) of each stack py-spy wrote (with -t)."""
    for text in raw.read_text(errors="replace").splitlines():
        stack, _, count = text.rpartition(" ")
        frames = _PROCESSES.sub("", stack).split(";")
        thread = frames.pop(0).partition("): ")[2] if frames[0].startswith("thread (") else "?"
        yield _thread_kind(thread), [_function(frame) for frame in frames], int(count)


def print_profile(raw: Path, seconds: float, workers: int, top: int = PROFILE_TOP) -> None:
    per_thread: Counter[str] = Counter()
    idle = 0
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    threads_of: defaultdict[str, set[str]] = defaultdict(set)
    for thread, frames, count in _samples(raw):
        if not frames or _is_idle(frames[-1]):
            idle += count
            continue
        per_thread[thread] += count
        leaf[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
            threads_of[frame].add(thread)
    busy = sum(per_thread.values())
    if not busy:
        print("  no busy sample")
        return

    def scaffolding(frame: str) -> bool:
        """In every busy sample of its threads, doing nothing itself: start-up frames, the
        event loop's entry, the thread pool's loop."""
        everywhere = inclusive[frame] >= 0.995 * sum(per_thread[t] for t in threads_of[frame])
        return everywhere and leaf[frame] < 0.005 * busy

    threads = ", ".join(f"{t} {n} ({n / busy:.0%})" for t, n in per_thread.most_common())
    main_samples = seconds * PROFILE_RATE * workers  # one main thread per worker process
    print(
        f"  {busy} busy samples: {threads}; main thread(s) busy in {per_thread['main']} of "
        f"~{main_samples:.0f} ({per_thread['main'] / main_samples:.0%}); idle samples left out: "
        f"{idle}; {sum(map(scaffolding, inclusive))} frames in every busy sample "
        "of their threads and never on top not listed"
    )

    def show(frame: str) -> None:
        kinds = "+".join(sorted(threads_of[frame]))
        print(f"  {inclusive[frame] / busy:>9.1%} {leaf[frame] / busy:>6.1%}  {kinds:<8}{frame}")

    print(f"  {'inclusive':>9} {'self':>6}  {'thread':<8}frame")
    for frame in [f for f, _ in inclusive.most_common() if not scaffolding(f)][:top]:
        show(frame)
    print(f"  the {PROFILE_TOP_SELF} with the largest self share (on top of the stack):")
    for frame, _ in leaf.most_common(PROFILE_TOP_SELF):
        show(frame)


def profile(platform: Server, line: Line, seconds: float, workers: int, workdir: Path) -> None:
    raw = workdir / f"profile-{re.sub(r'[^a-z0-9]+', '-', line.path.lower()).strip('-')}.txt"
    driver = subprocess.Popen(  # noqa: S603 (wrk, our own arguments)
        _wrk_command(platform, line, seconds + 3), stdout=subprocess.PIPE, text=True
    )
    try:
        time.sleep(1.5)  # wrk's connections open, the server busy
        command = [PY_SPY, "record", "-p", str(platform.pid), "-r", str(PROFILE_RATE)]
        command += ["-f", "raw", "-o", str(raw), "-d", f"{seconds:g}", "--threads"]
        if workers > 1:
            command.append("--subprocesses")
        spied = subprocess.run(command, capture_output=True, text=True)  # noqa: S603
    finally:
        output, _ = driver.communicate()
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    print(
        f"\nprofile of GET {line.path} ({seconds:g} s at {PROFILE_RATE} Hz; wrk drove "
        f"{rate.group(1) if rate else '?'} req/s, the sampling included)"
    )
    if spied.returncode != 0 or not raw.exists():
        print(f"  py-spy failed ({spied.returncode}): {spied.stderr.strip()[-500:]}")
        return
    print_profile(raw, seconds, workers)


# --- the run ------------------------------------------------------------------------------------


@contextlib.contextmanager
def database(args: argparse.Namespace, workdir: Path) -> Iterator[str]:
    """A migrated database, dropped (or deleted with `workdir`) afterwards."""
    from app.core.db import Database
    from app.migrate import migrate

    with contextlib.ExitStack() as stack:
        if args.sqlite:
            url = f"sqlite:///{workdir / 'fixed_cost.db'}"
        else:
            url = stack.enter_context(reporting.throwaway_postgres(args.postgres))
        print(f"database {url.rsplit('/', 1)[-1]}", flush=True)
        migrating = Database.from_url(url)
        try:
            reporting._timed("  migrate", lambda: migrate(migrating))
        finally:
            migrating.dispose()
        yield url


def bench(args: argparse.Namespace, url: str, workdir: Path) -> None:
    workers = args.workers
    with serving(
        "platform",
        "app.main:app",
        _platform_env(url, workdir, workers),
        workdir / "platform.log",
        workers,
    ) as platform:
        print(
            f"platform: uvicorn app.main:app --workers {workers} --no-server-header --log-level "
            f"warning; ENVIRONMENT=production, RATE_LIMIT_PER_MINUTE={RATE_LIMIT}, access log to "
            "a file"
        )
        checks = check_middleware(platform)
        for what, ok, seen in checks:
            print(f"  {'ok     ' if ok else 'MISSING'} {what}: {seen}")
        if not all(ok for _, ok, _ in checks):
            print("  WARNING: not every production middleware answered as it should")
        answers = {
            path: _answer(httpx.get(platform.base_url + path, timeout=10))
            for path in (HEALTH, ONE_ROW)
        }
        etag = answers[ONE_ROW].etag or '"none"'
        lines = [
            Line(f"GET {HEALTH}", HEALTH, {}),
            Line(f"GET {ONE_ROW}", ONE_ROW, {}),
            Line(f"GET {ONE_ROW} 304", ONE_ROW, {"If-None-Match": etag}),
        ]
        _write_floor_answers(answers, workdir / "floor.json")
        floor_env = os.environ | {FLOOR_ANSWERS: str(workdir / "floor.json")}
        with serving(
            "floor",
            "fixed_cost:floor_app",
            floor_env,
            workdir / "floor.log",
            workers,
            ROOT / "bench",
        ) as floor:
            print("floor: uvicorn fixed_cost:floor_app, the same flags, bare Starlette")
            for path, answer in answers.items():
                got = _answer(httpx.get(floor.base_url + path, timeout=10))
                same = got.body == answer.body and got.content_type == answer.content_type
                print(
                    f"  {path}: {len(answer.body)} bytes, {answer.content_type}: the floor's "
                    f"{'identical' if same else 'DIFFERENT: ' + repr(got)}"
                )
            driven = time_rounds(args, lines, platform, floor) if args.rounds else 0
        counted = _requests_counted(platform.base_url, HEALTH) + _requests_counted(
            platform.base_url, "/api/v1/states/{code}", (200, 304)
        )
        logged = len(platform.log.read_text(errors="replace").splitlines())
        print(
            f"\nwrk counted {driven} answers from the platform, warm-ups included (not those still "
            f"in flight when a run ended); its /metrics counted {counted:g} GETs of the two routes "
            f"and its access log holds {logged} lines (the checks' requests included)"
        )
        if args.profile:
            for line in lines[:2]:
                profile(platform, line, args.profile, workers, workdir)


def time_rounds(
    args: argparse.Namespace, lines: list[Line], platform: Server, floor: Server
) -> int:
    """Prints the runs and the ratios; returns how many answers wrk had from the platform."""
    driven = 0
    for line in lines:  # once each, not counted: connections, caches, the first JIT-less paths
        driven += wrk(platform, line, WARM_UP_SECONDS).requests
        wrk(floor, line, WARM_UP_SECONDS)
    print(
        f"\nwrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{args.seconds:g}s --latency, after "
        f"{WARM_UP_SECONDS} s of warm-up per server and path; {os.cpu_count()} CPUs shared by wrk "
        "and the servers. load: the 1-minute load average before the run; CPU: the server's "
        "process tree, ms per request"
    )
    runs: dict[str, list[tuple[Run, Run]]] = {line.label: [] for line in lines}
    for number in range(1, args.rounds + 1):
        order = (platform, floor) if number % 2 else (floor, platform)
        print(
            f"\nround {number}\n  {'request':<30}{'server':<10}{'load':>6}{'req/s':>10}"
            f"{'p50 ms':>9}{'p99 ms':>9}{'non-2xx/3xx':>13}{'CPU ms/req':>12}"
        )
        for line in lines:
            timed = {}
            for server in order:
                timed[server.label] = wrk(server, line, args.seconds)
                _print_run(line, server, timed[server.label])
            runs[line.label].append((timed["platform"], timed["floor"]))
            driven += timed["platform"].requests
    print(f"\nsummary over {args.rounds} rounds (platform/floor: req/s of the same round)")
    for line in lines:
        _print_summary(line, runs[line.label])
    return driven


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres", default="postgresql://root@127.0.0.1/test")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead")
    parser.add_argument("--profile", type=float, default=0.0, metavar="SECONDS")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, reporting._exit_on_sigterm)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs", flush=True)
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="item10-fixed-cost-") as workdir,
        database(args, Path(workdir)) as url,
    ):
        bench(args, url, Path(workdir))
    print(f"\ntotal {time.perf_counter() - started:.0f} s; servers stopped, database dropped")


if __name__ == "__main__":
    main()
