"""Rate limits per caller: `RATE_LIMIT_PER_MINUTE` requests a minute, a tenth of that on the
token endpoint and on catalogue imports.

The caller is the subject of a valid bearer token, else the client address. Settings are read
from `app.state.settings` on every request, so a changed setting applies at once. Counts live
in memory, or in Redis when `REDIS_URL` is set so that several server processes share them.
Every limited response carries the `RateLimit-Policy` and `RateLimit` headers (IETF
draft-ietf-httpapi-ratelimit-headers); one over the limit is a 429 problem with `Retry-After`.
"""

import math
import time
from dataclasses import dataclass
from typing import Any

from app.core.errors import PROBLEM_MEDIA_TYPE, TooManyRequests, Unauthorized
from app.core.handlers import problem_response
from app.core.middleware import READ_METHODS, ASGIApp, Message, Receive, Scope, Send
from app.core.ratelimit_stores import (
    REDIS_PREFIX,
    Clock,
    Hit,
    MemoryStore,
    RateLimitStore,
    RedisStore,
)
from app.core.security import decode_access_token
from app.core.settings import Settings

WINDOW_SECONDS = 60
STRICT_SHARE = 10  # the token endpoint and imports get this fraction of the general limit
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
TOKEN_PATH = "/api/v1/auth/token"  # noqa: S105 (a path, not a secret)
IMPORTS_PATH = "/api/v1/recommendation-imports"


@dataclass(frozen=True)
class Policy:
    name: str
    limit: int


@dataclass(frozen=True)
class Decision:
    policy: Policy
    remaining: int
    reset: int

    @property
    def allowed(self) -> bool:
        return self.remaining >= 0

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Policy": f"{self.policy.limit};w={WINDOW_SECONDS}",
            "RateLimit": (
                f"limit={self.policy.limit}, remaining={max(self.remaining, 0)}, reset={self.reset}"
            ),
        }


def strict_limit(per_minute: int) -> int:
    return max(1, per_minute // STRICT_SHARE)


def policy_for(method: str, path: str, per_minute: int) -> Policy | None:
    """The limit a request counts against, or None when it is not limited."""
    if per_minute <= 0 or path in EXEMPT_PATHS:
        return None
    if method == "POST" and path == TOKEN_PATH:
        return Policy("token", strict_limit(per_minute))
    if method not in READ_METHODS and (path == IMPORTS_PATH or path.startswith(IMPORTS_PATH + "/")):
        return Policy("import", strict_limit(per_minute))
    return Policy("default", per_minute)


def caller_of(scope: Scope, settings: Settings) -> str:
    """The token's subject when the token is valid (checked by signature and claims only: no
    database lookup), else the client address."""
    token = _bearer_token(scope)
    if token:
        try:
            return "sub:" + str(decode_access_token(settings, token)["sub"])
        except Unauthorized:
            pass
    client = scope.get("client")
    return "addr:" + (str(client[0]) if client else "unknown")


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = bytes(value).decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None


class RateLimiter:
    """Counts requests per policy and caller in the store the settings name."""

    def __init__(self, *, clock: Clock = time.monotonic, redis_prefix: str = REDIS_PREFIX) -> None:
        self.clock = clock
        self.memory = MemoryStore(clock=clock)
        self.redis_prefix = redis_prefix
        self._redis: dict[str, RedisStore] = {}

    def store(self, settings: Settings) -> RateLimitStore:
        if not settings.redis_url:
            return self.memory
        store = self._redis.get(settings.redis_url)
        if store is None:
            store = RedisStore(settings.redis_url, prefix=self.redis_prefix, clock=self.clock)
            self._redis[settings.redis_url] = store
        return store

    async def check(self, settings: Settings, policy: Policy, caller: str) -> Decision | None:
        """Count this request; None when the store cannot say (the request goes through)."""
        hit: Hit | None = await self.store(settings).hit(f"{policy.name}:{caller}", WINDOW_SECONDS)
        if hit is None:
            return None
        return Decision(
            policy=policy,
            remaining=policy.limit - hit.count,
            reset=max(1, math.ceil(hit.reset)),
        )

    async def aclose(self) -> None:
        for store in self._redis.values():
            await store.aclose()


class RateLimitMiddleware:
    """Answers 429 over the limit and adds the rate-limit headers to every limited response."""

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter | None = None) -> None:
        self.app = app
        self.limiter = limiter or RateLimiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings: Settings = scope["app"].state.settings
        policy = policy_for(scope["method"], scope["path"], settings.rate_limit_per_minute)
        decision = None
        if policy is not None:
            decision = await self.limiter.check(settings, policy, caller_of(scope, settings))
        if decision is None:
            await self.app(scope, receive, send)
            return
        headers = decision.headers()
        if not decision.allowed:
            problem = TooManyRequests(
                f"more than {decision.policy.limit} requests a minute from this caller; "
                f"retry in {decision.reset} seconds",
                retry_after=decision.reset,
            )
            problem.headers.update(headers)
            await problem_response(problem, scope["path"])(scope, receive, send)
            return
        encoded = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *encoded]
            await send(message)

        await self.app(scope, receive, send_with_headers)


_HEADER_DOCS = {
    "Retry-After": "Seconds until the caller's window ends",
    "RateLimit-Policy": "The limit and its window, e.g. `600;w=60`",
    "RateLimit": "e.g. `limit=600, remaining=0, reset=42`",
}
OPENAPI_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: {
        "description": (
            "Too many requests from this caller (RATE_LIMIT_PER_MINUTE a minute; a tenth of it "
            "on the token endpoint and on imports); wait `Retry-After` seconds"
        ),
        "headers": {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in _HEADER_DOCS.items()
        },
        "content": {
            PROBLEM_MEDIA_TYPE: {
                "schema": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "instance": {"type": "string"},
                    },
                    "required": ["type", "title", "status", "detail"],
                }
            }
        },
    }
}
