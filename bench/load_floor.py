"""The floor of `bench/load.py`: a bare ASGI app answering every request with one static JSON body.

    uvicorn load_floor:app --app-dir bench --workers 2 --no-server-header ...

`BENCH_FLOOR_BYTES` sets the body's size (the platform's mean response size in the same run).
No framework, no database, no token check: what is left is uvicorn, HTTP and the load
generator, the cost every platform request pays before any of its own work.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]


def static_body(size: int) -> bytes:
    """A JSON object of exactly `size` bytes (or the smallest there is, when `size` is smaller)."""
    empty: dict[str, Any] = {"items": [], "next_cursor": None, "padding": ""}
    skeleton = len(json.dumps(empty, separators=(",", ":")).encode())
    padded = empty | {"padding": "x" * max(size - skeleton, 0)}
    return json.dumps(padded, separators=(",", ":")).encode()


BODY = static_body(int(os.environ.get("BENCH_FLOOR_BYTES", "2048")))
HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BODY)).encode()),
]


async def app(
    scope: MutableMapping[str, Any],
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
