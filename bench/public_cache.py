"""Public reads answered whole against the same reads revalidated with `If-None-Match`.

    .venv/bin/python bench/public_cache.py [--requests 400]

Serves the platform with uvicorn (one worker, a throwaway SQLite file with the 195 States)
and reads, anonymously and one after another through one keep-alive connection, the list of
States and one State: first whole, then with the `ETag` of the first answer (`304`, no body).
Prints requests per second, mean milliseconds and bytes per answer for each, and the ratio of
the revalidated rate to the whole one. The server still builds the answer to compare its tag,
so a `304` saves the transfer and the client's work more than the server's; a CDN or portal
cache in front saves the rest for `PUBLIC_CACHE_SECONDS`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import httpx
import support

READS = ("/api/v1/states", "/api/v1/states/WSM")


def _timed(
    client: httpx.Client, path: str, headers: dict[str, str], count: int
) -> tuple[float, float, int]:
    started = time.perf_counter()
    size = 0
    for _ in range(count):
        response = client.get(path, headers=headers)
        size = len(response.content)
    elapsed = time.perf_counter() - started
    return count / elapsed, elapsed / count * 1000, size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    count = parser.parse_args().requests
    with tempfile.TemporaryDirectory() as workdir:
        env = os.environ | {
            "DATABASE_URL": f"sqlite:///{workdir}/bench.db",
            "JWT_SECRET": "x" * 40,
            "WORKER_IN_PROCESS": "false",
            "RATE_LIMIT_PER_MINUTE": "0",
            "LOG_LEVEL": "WARNING",
        }
        migrate = [sys.executable, "-m", "app", "migrate"]
        subprocess.run(migrate, env=env, cwd=support.ROOT, check=True, capture_output=True)  # noqa: S603
        port = support.free_port()
        command = [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port)]
        command += ["--no-server-header", "--log-level", "warning"]
        server = subprocess.Popen(command, env=env, cwd=support.ROOT)  # noqa: S603 (our own interpreter, our own arguments)
        try:
            support.wait_for_port(port, server)
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                print(f"{'read':24}{'answer':>8}{'req/s':>9}{'mean ms':>9}{'bytes':>9}")
                for path in READS:
                    first = client.get(path)
                    assert first.status_code == 200, first.text
                    etag = first.headers["etag"]
                    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
                    _timed(client, path, {}, 20)  # warm-up
                    whole = _timed(client, path, {}, count)
                    revalidated = _timed(client, path, {"If-None-Match": etag}, count)
                    for name, (rate, mean, size) in (("200", whole), ("304", revalidated)):
                        print(f"{path:24}{name:>8}{rate:>9.0f}{mean:>9.2f}{size:>9}")
                    ratio = revalidated[0] / whole[0]
                    print(f"{'':24}{'ratio':>8}{ratio:>9.2f}  (304 rate / 200 rate)")
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
