"""ASGI middleware: request ids, access logs, security headers, body size limits.

Written as plain ASGI rather than BaseHTTPMiddleware so that context variables set here are
seen by the handlers and streaming bodies are never buffered.
"""

import logging
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from secrets import token_hex
from typing import Any

from app.core.context import request_id_var
from app.core.db import write_intent
from app.core.errors import InternalError, PayloadTooLarge
from app.core.handlers import problem_response
from app.core.metrics import observe

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"private, no-store"),
]
access_log = logging.getLogger("app.access")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class RequestContextMiddleware:
    """Gives every request an id (the caller's `X-Request-ID` if sane), logs it, tags the reply."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = _header(scope, b"x-request-id")
        request_id = offered if offered and _SAFE_REQUEST_ID.match(offered) else token_hex(16)
        id_token = request_id_var.set(request_id)
        intent_token = write_intent.set(scope["method"] not in READ_METHODS)
        started = time.perf_counter()
        status = 500
        status_sent = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, status_sent
            if message["type"] == "http.response.start":
                status, status_sent = message["status"], True
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in {b"server", b"x-request-id"}
                ]
                headers.append((b"x-request-id", request_id.encode()))
                present = {k.lower() for k, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Answered here, inside the request's context, so the 500 carries its request id.
            access_log.exception("unhandled error")
            if status_sent:
                raise
            await problem_response(InternalError("an unexpected error occurred"), scope["path"])(
                scope, receive, send_with_headers
            )
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            observe(scope["method"], route, status, elapsed)
            _log_access(scope, status, elapsed)
            write_intent.reset(intent_token)
            request_id_var.reset(id_token)


def _log_access(scope: Scope, status: int, elapsed: float) -> None:
    """One line per request. The record is made here rather than by `access_log.info`, which
    would also walk the stack for the caller's file and line: a tenth of a cheap request's
    cost, for fields the JSON log leaves out."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    fields = {
        "method": scope["method"],
        "path": scope["path"],
        "status": status,
        "duration_ms": round(elapsed * 1000, 2),
    }
    access_log.handle(
        access_log.makeRecord(
            access_log.name, logging.INFO, __file__, 0, "request", (), None, extra=fields
        )
    )


class BodySizeLimitMiddleware:
    """413 for a body over the limit: uploads get `MAX_UPLOAD_BYTES`, everything else
    `MAX_BODY_BYTES`. Checked on the declared length and again on the bytes that arrive."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        content_type = _header(scope, b"content-type") or ""
        is_upload = content_type.startswith("multipart/form-data")
        limit = self.max_upload_bytes if is_upload else self.max_body_bytes
        declared = _header(scope, b"content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            await self._reject(scope, receive, send, limit)
            return
        received = 0
        rejected = False

        async def counting_receive() -> Message:
            nonlocal received, rejected
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit and not rejected:
                    rejected = True
                    await self._reject(scope, receive, send, limit)
                if rejected:
                    # The 413 is sent; whatever the app makes of a cut-off body is not.
                    return {"type": "http.disconnect"}
            return message

        async def send_unless_rejected(message: Message) -> None:
            if not rejected:
                await send(message)

        await self.app(scope, counting_receive, send_unless_rejected)

    async def _reject(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem_response(PayloadTooLarge(_too_large_detail(limit)), scope["path"])
        await response(scope, receive, send)


def _too_large_detail(limit: int) -> str:
    return f"the request body exceeds the limit of {limit} bytes"
