"""How much memory a web worker holds before its first request, against a floor.

    .venv/bin/python bench/worker_memory.py

Starts `uvicorn app.main:app` (one worker, no in-process job worker, a throwaway SQLite file)
and, as the floor, uvicorn serving the bare ASGI app of `bench/load_floor.py`; waits until
each accepts connections (no request is sent), then reads the process's resident memory
(`VmRSS`) and its peak (`VmHWM`) from /proc. Prints both, the difference and which of the
heavy libraries the worker has loaded (it should load numpy, SciPy, matplotlib and
python-docx only when a request first needs them).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import support

ROOT = support.ROOT
HEAVY = ("numpy", "scipy", "matplotlib", "docx", "lxml", "openpyxl", "python_calamine", "redis")


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


def main() -> None:
    with tempfile.TemporaryDirectory() as workdir:
        env = os.environ | {
            "DATABASE_URL": f"sqlite:///{workdir}/bench.db",
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
        platform = _serve("app.main:app", ROOT, env)
        floor = _serve("load_floor:app", ROOT / "bench", env)
        heavy = _loaded_at_start(env)
    print(f"{'':28}{'RSS MiB':>10}{'peak MiB':>10}")
    print(f"{'platform worker, idle':28}{platform[0]:>10.1f}{platform[1]:>10.1f}")
    print(f"{'floor (bare ASGI app)':28}{floor[0]:>10.1f}{floor[1]:>10.1f}")
    print(f"{'platform - floor':28}{platform[0] - floor[0]:>10.1f}{platform[1] - floor[1]:>10.1f}")
    print(
        f"target: under 100 MiB before the first request; heavy libraries loaded: "
        f"{', '.join(heavy) or 'none'}"
    )


if __name__ == "__main__":
    main()
