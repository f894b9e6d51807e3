"""Where rate-limit counts live: this process's memory, or Redis shared by every process.

A window starts at a caller's first request and lasts `window` seconds; each request in it adds
one to the caller's count. Both stores answer with the count so far and the seconds left.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if (
    TYPE_CHECKING
):  # the client is imported by the first Redis store made, only where REDIS_URL is set
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

log = logging.getLogger(__name__)

Clock = Callable[[], float]
DEFAULT_MAX_KEYS = 100_000
REDIS_PREFIX = "item10:ratelimit:"
REDIS_TIMEOUT_SECONDS = 0.25
REDIS_PAUSE_AFTER_FAILURE_SECONDS = 5.0


@dataclass(frozen=True)
class Hit:
    count: int  # requests in the current window, this one included
    reset: float  # seconds until the window ends


class RateLimitStore(Protocol):
    async def hit(self, key: str, window: int) -> Hit | None:
        """Count one request against `key`; None when the count cannot be had."""
        ...


class MemoryStore:
    """Counts in this process's memory: right for one server process.

    Windows are kept in the order they started, so the ended ones are dropped from the front as
    time passes; beyond `max_keys` callers the oldest windows are dropped first, which bounds the
    memory an address-hopping client can make us hold.
    """

    def __init__(self, *, clock: Clock = time.monotonic, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self._windows: OrderedDict[str, tuple[float, int]] = OrderedDict()  # key: (ends_at, count)
        # The middleware runs on one event loop, but a store may be shared with worker threads.
        self._lock = threading.Lock()

    async def hit(self, key: str, window: int) -> Hit:
        return self.hit_now(key, window)

    def hit_now(self, key: str, window: int) -> Hit:
        now = self.clock()
        with self._lock:
            self._drop_ended(now)
            ends_at, count = self._windows.get(key, (0.0, 0))
            if ends_at <= now:
                ends_at, count = now + window, 0
                self._windows.pop(key, None)
            self._windows[key] = (ends_at, count + 1)
            while len(self._windows) > self.max_keys:
                self._windows.popitem(last=False)
            return Hit(count=count + 1, reset=ends_at - now)

    def __len__(self) -> int:
        return len(self._windows)

    def _drop_ended(self, now: float) -> None:
        while self._windows:
            ends_at, _ = next(iter(self._windows.values()))
            if ends_at > now:
                return
            self._windows.popitem(last=False)


# INCR and the expiry in one atomic step, timed by Redis's own clock, so that every server
# process sees one count and one window whatever its own clock says.
_HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


class RedisStore:
    """Counts in Redis, shared by every server process that uses the same `REDIS_URL`.

    If Redis cannot be reached the request is let through (fail open) and a warning logged:
    a limiter outage must not take the whole service down with it, and the failed-sign-in
    throttle, kept in the database, still guards the token endpoint. After a failure Redis is
    left alone for a few seconds so that requests do not each wait out a timeout.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = REDIS_PREFIX,
        clock: Clock = time.monotonic,
        timeout: float = REDIS_TIMEOUT_SECONDS,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.clock = clock
        self.timeout = timeout
        self._paused_until = 0.0
        # A client's connections belong to the event loop that opened them.
        self._clients: dict[asyncio.AbstractEventLoop, tuple[Redis, AsyncScript]] = {}

    async def hit(self, key: str, window: int) -> Hit | None:
        from redis.exceptions import RedisError

        if self.clock() < self._paused_until:
            return None
        count_and_ttl = self._script()
        try:
            count, ttl_ms = await count_and_ttl(keys=[self.prefix + key], args=[window * 1000])
        except (RedisError, OSError, TimeoutError) as exc:
            self._paused_until = self.clock() + REDIS_PAUSE_AFTER_FAILURE_SECONDS
            log.warning("rate limiting paused, Redis unreachable: %s", exc.__class__.__name__)
            return None
        return Hit(count=int(count), reset=int(ttl_ms) / 1000)

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        entry = self._clients.pop(loop, None)
        if entry is not None:
            await entry[0].aclose()

    def _script(self) -> AsyncScript:
        loop = asyncio.get_running_loop()
        entry = self._clients.get(loop)
        if entry is None:
            from redis.asyncio import Redis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            for stale in [other for other in self._clients if other.is_closed()]:
                del self._clients[stale]
            client = Redis.from_url(
                self.url,
                socket_connect_timeout=self.timeout,
                socket_timeout=self.timeout,
                retry=Retry(NoBackoff(), 0),
            )
            entry = (client, client.register_script(_HIT_SCRIPT))
            self._clients[loop] = entry
        return entry[1]
