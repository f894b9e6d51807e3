"""Shared caches for the public data: an anonymous `GET` under `/api/v1` that succeeds is
public by construction (an anonymous caller sees only what everyone may), so its answer may be
kept by a CDN or a portal's cache for `PUBLIC_CACHE_SECONDS`, and revalidated with
`If-None-Match` (RFC 9110 section 13.1.2; RFC 9111).

- The answer carries its `ETag` (the resource's version where the route sets one, else a
  strong tag of the body's SHA-256), `Cache-Control: public, max-age=N` and `Vary` naming what
  else it depends on (`Authorization`, `Accept`, `Accept-Language`).
- `If-None-Match` naming that tag (or `*`) is answered `304 Not Modified`, without the body.
- Anything else (a signed-in caller, an error, a write, `PUBLIC_CACHE_SECONDS=0`) keeps
  `Cache-Control: private, no-store`, set by `RequestContextMiddleware`.
"""

import hashlib
from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PUBLIC_PREFIX = "/api/v1/"
VARY = ("Authorization", "Accept", "Accept-Language")


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def none_match(if_none_match: str | None, etag: str) -> bool:
    """Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks for it)."""
    if if_none_match is None:
        return False
    offered = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in offered or etag.removeprefix("W/") in offered


def _vary(existing: str | None, names: Iterable[str]) -> str:
    present = [v.strip() for v in (existing or "").split(",") if v.strip()]
    seen = {v.lower() for v in present}
    return ", ".join(present + [n for n in names if n.lower() not in seen])


class PublicCacheMiddleware:
    def __init__(self, app: ASGIApp, *, max_age: int) -> None:
        self.app = app
        self.max_age = max_age

    def _applies(self, scope: Scope) -> bool:
        return (
            self.max_age > 0
            and scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(PUBLIC_PREFIX)
            and "authorization" not in Headers(scope=scope)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._applies(scope):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = bytearray()

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                await self._answer(scope, start, bytes(body), send)

        await self.app(scope, receive, keep)

    async def _answer(self, scope: Scope, start: Message, body: bytes, send: Send) -> None:
        if start["status"] != 200:
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        headers = MutableHeaders(raw=list(start.get("headers", [])))
        etag = headers.get("etag") or strong_etag(body)
        headers["etag"] = etag
        headers["cache-control"] = f"public, max-age={self.max_age}"
        headers["vary"] = _vary(headers.get("vary"), VARY)
        if none_match(Headers(scope=scope).get("if-none-match"), etag):
            kept = {"etag", "cache-control", "vary", "content-location", "date", "expires"}
            raw = [(k, v) for k, v in headers.raw if k.decode("latin-1").lower() in kept]
            await send({"type": "http.response.start", "status": 304, "headers": raw})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({**start, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})
