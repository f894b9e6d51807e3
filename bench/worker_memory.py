"""How much memory a web worker holds before its first request, against a floor.

    .venv/bin/python bench/worker_memory.py [--postgres postgresql://root@127.0.0.1/test]

Starts `uvicorn app.main:app` (one worker, no in-process job worker, a throwaway SQLite file;
with `--postgres`, again on a throwaway database beside that one, as production runs) and, as
the floor, uvicorn serving the bare ASGI app of `bench/load_floor.py`; waits until
each accepts connections (no request is sent), then reads the process's resident memory
(`VmRSS`) and its peak (`VmHWM`) from /proc. Prints both, the difference and which of the
heavy libraries the worker has loaded (it should load numpy, SciPy, matplotlib, python-docx,
httpx, Jinja and Babel only when a request first needs them, and python-jose, with the
`cryptography` it loads, when a token is first issued or read).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import support

ROOT = support.ROOT
HEAVY = (
    "numpy",
    "scipy",
    "matplotlib",
    "docx",
    "lxml",
    "openpyxl",
    "python_calamine",
    "redis",
    "httpx",
    "jinja2",
    "babel",
    "cryptography",
)


def _memory_mib(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _serve(target: str, app_dir: Path, env: dict[str, str]) -> tuple[float, float]:
    port = support.free_port()
    command = [sys.executable, "-m", "uvicorn", target, "--app-dir", str(app_dir)]
    command += ["--port", str(port), "--no-server-header", "--log-level", "warning"]
    process = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: S603 (our own interpreter, our own arguments)
    try:
        support.wait_for_port(port, process)
        time.sleep(0.5)  # the lifespan's own start-up work (the decoy hash) settles
        return _memory_mib(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=20)


def _loaded_at_start(env: dict[str, str]) -> list[str]:
    probe = (
        "import sys, app.main; app.main.create_app(); "
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    found = subprocess.run(  # noqa: S603 (our own interpreter, our own arguments)
        [sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True
    )
    return found.stdout.split()


def _migrated(database_url: str) -> dict[str, str]:
    env = os.environ | {
        "DATABASE_URL": database_url,
        "JWT_SECRET": "x" * 40,
        "WORKER_IN_PROCESS": "false",
    }
    subprocess.run(
        [sys.executable, "-m", "app", "migrate"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="also on a throwaway database on this server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        env = _migrated(f"sqlite:///{workdir}/bench.db")
        rows = {"platform worker, SQLite": _serve("app.main:app", ROOT, env)}
        if args.postgres:
            import load  # the throwaway database's helper, only when asked for

            with load.throwaway_postgres(args.postgres) as url:
                postgres = _serve("app.main:app", ROOT, _migrated(url))
            rows["platform worker, PostgreSQL"] = postgres
        floor = _serve("load_floor:app", ROOT / "bench", env)
        heavy = _loaded_at_start(env)
    print(f"{'':30}{'RSS MiB':>10}{'peak MiB':>10}{'RSS - floor':>13}")
    for name, (rss, peak) in rows.items():
        print(f"{name:30}{rss:>10.1f}{peak:>10.1f}{rss - floor[0]:>13.1f}")
    print(f"{'floor (bare ASGI app)':30}{floor[0]:>10.1f}{floor[1]:>10.1f}")
    print(
        f"target: under 100 MiB before the first request; heavy libraries loaded: "
        f"{', '.join(heavy) or 'none'}"
    )


if __name__ == "__main__":
    main()
