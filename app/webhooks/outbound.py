"""The one request the service makes to an address a caller gave: a webhook delivery.

A subscription URL is checked when it is registered, and again at every delivery, on the
addresses its host resolves to then: nothing private, loopback, link-local, multicast, reserved
or unspecified is reached (unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES, for development and tests).
The request then goes to the very address that was checked, with no second lookup that DNS
could answer differently, naming the host in `Host` and, over TLS, in SNI and the certificate
check. It follows no redirect, waits a bounded time and reads at most 4 KiB of the answer.
"""

import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache, partial
from typing import TYPE_CHECKING

from app.core.settings import Settings

if TYPE_CHECKING:  # httpx is imported by the first URL checked or sent, not by every web worker
    import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SCHEMES = ("http", "https")
CONNECT_TIMEOUT_S = 5.0
MAX_ANSWER_BYTES = 4096
SNIPPET_CHARS = 200
MAX_ERROR_CHARS = 500
MAX_ADDRESSES_TRIED = 3
DEADLINE_SLACK_S = 0.5
# Not public whatever `is_global` says on older Pythons: IPv6 site-local (deprecated).
SITE_LOCAL = ipaddress.ip_network("fec0::/10")
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOSTNAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")


class RefusedUrl(ValueError):
    """A URL the service will not call; the message says why, for the caller."""


class Unresolved(RefusedUrl):
    """The host has no address now."""


@dataclass(frozen=True)
class Target:
    """A URL of the right shape: `host` in its ASCII (IDNA) form, without a final dot."""

    url: "httpx.URL"
    host: str
    port: int

    @property
    def is_https(self) -> bool:
        return self.url.scheme == "https"

    @property
    def netloc(self) -> str:
        return self.url.netloc.decode("ascii")


@dataclass(frozen=True)
class Answer:
    """How one attempt went: the status (None when no answer came), how long it took, what went
    wrong (None on a 2xx) and the start of the answer's body."""

    status: int | None
    duration_ms: float
    error: str | None
    snippet: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def parse_target(raw: str, *, production: bool) -> Target:
    """The URL, if it is one the service could call; RefusedUrl saying why not."""
    import httpx  # on first use: only registering and delivering webhooks need it

    try:
        url = httpx.URL(raw)
        port = url.port
    except (httpx.InvalidURL, ValueError) as exc:
        raise RefusedUrl(f"the URL is malformed: {exc}") from exc
    if url.scheme not in SCHEMES:
        raise RefusedUrl("the URL must start with https:// (or http:// outside production)")
    if production and url.scheme != "https":
        raise RefusedUrl("the URL must use https in production")
    if url.userinfo:
        raise RefusedUrl("the URL must not hold credentials (user:password@); use the secret")
    if url.fragment:
        raise RefusedUrl("the URL must not have a fragment (#...): it is never sent")
    host = url.raw_host.decode("ascii", errors="replace").lower().rstrip(".")
    if not host:
        raise RefusedUrl("the URL has no host")
    if literal_address(host) is None and not _HOSTNAME.fullmatch(host):
        raise RefusedUrl(f"the URL's host {host!r} is not a valid host name or address")
    if port is not None and not 1 <= port <= 65535:
        raise RefusedUrl(f"the URL's port {port} is out of range")
    return Target(url, host, port or (443 if url.scheme == "https" else 80))


def literal_address(host: str) -> IPAddress | None:
    """The address a host names without any lookup: an IP literal, including the forms the
    resolver reads as IPv4 (`2130706433`, `0x7f.1`, `127.1`)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def refusal(address: IPAddress) -> str | None:
    """Why the service may not call `address`, or None if it may."""
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv4 address inside an IPv6 one (mapped, or 6to4) is judged as that address.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return refusal(embedded)
        if address in SITE_LOCAL:
            return "a site-local address"
    for reason, applies in (
        ("a loopback address", address.is_loopback),
        ("a link-local address", address.is_link_local),
        ("an unspecified address", address.is_unspecified),
        ("a multicast address", address.is_multicast),
        ("a private address", address.is_private),
        ("a reserved address", address.is_reserved),
        ("not a public address", not address.is_global),
    ):
        if applies:
            return reason
    return None


def check_subscription_url(raw: str, settings: Settings) -> None:
    """What registering a URL asks (RefusedUrl with the reason): its shape, and that its host
    is not, and does not now resolve to, an address the service may not call. A host that does
    not resolve yet is accepted: every delivery checks again."""
    target = parse_target(raw, production=settings.is_production)
    if settings.webhook_allow_private_addresses:
        return
    try:
        addresses = addresses_of(target)
    except Unresolved:
        return
    _refuse_any(target, addresses)


def addresses_of(target: Target) -> list[IPAddress]:
    """The addresses to call, looked up now (`localhost` is never looked up: it is loopback)."""
    literal = literal_address(target.host)
    if literal is not None:
        return [literal]
    if target.host == "localhost" or target.host.endswith(".localhost"):
        return [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
    try:
        found = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Unresolved(f"the host {target.host} does not resolve ({exc})") from exc
    unique = dict.fromkeys(ipaddress.ip_address(str(entry[4][0])) for entry in found)
    if not unique:
        raise Unresolved(f"the host {target.host} does not resolve")
    return list(unique)


def _refuse_any(target: Target, addresses: Iterable[IPAddress]) -> None:
    for address in addresses:
        reason = refusal(address)
        if reason is not None:
            # The address a name resolves to is not told: it would map the internal network.
            where = target.host if str(address) == target.host else f"{target.host} resolves to"
            raise RefusedUrl(f"{where} {'is ' if where == target.host else ''}{reason}")


def post(raw_url: str, body: bytes, headers: Mapping[str, str], settings: Settings) -> Answer:
    """POST `body` to the URL, checked afresh; never raises for anything the receiver does."""
    started = time.monotonic()
    try:
        target = parse_target(raw_url, production=settings.is_production)
        addresses = addresses_of(target)
        if not settings.webhook_allow_private_addresses:
            _refuse_any(target, addresses)
    except RefusedUrl as exc:
        return Answer(None, _ms_since(started), f"refused: {exc}"[:MAX_ERROR_CHARS])
    return _send(target, addresses[:MAX_ADDRESSES_TRIED], body, headers, settings, started)


def _send(
    target: Target,
    addresses: list[IPAddress],
    body: bytes,
    headers: Mapping[str, str],
    settings: Settings,
    started: float,
) -> Answer:
    """Try each checked address in turn until one accepts the connection."""
    import httpx  # on first use: only delivering webhooks needs it

    budget = settings.webhook_timeout_seconds
    error = "no address to call"
    for address in addresses:
        remaining = budget - (time.monotonic() - started)
        if remaining <= 0:
            break
        try:
            call = partial(_post_to, target, address, body, headers, remaining, started)
            return _within(remaining, call)
        except DeadlineExceeded:
            return _failed(started, f"no answer within {budget:g} s (timed out)")
        except httpx.ConnectTimeout:
            error = f"connecting to {address} timed out"
        except httpx.ConnectError as exc:
            error = f"could not connect to {address}: {exc}"
        except httpx.TimeoutException:
            return _failed(started, f"no answer within {budget:g} s (timed out)")
        except httpx.HTTPError as exc:
            return _failed(started, f"{type(exc).__name__}: {exc}")
    return _failed(started, error)


class DeadlineExceeded(Exception):
    """The whole call took longer than WEBHOOK_TIMEOUT_SECONDS."""


def _within(seconds: float, call: Callable[[], Answer]) -> Answer:
    """`call`'s answer if it comes within `seconds` (and a little slack for closing), else
    DeadlineExceeded. httpx's timeouts bound each read, so a receiver trickling a byte at a
    time would otherwise hold the worker's thread for as long as it likes; the abandoned call
    runs on in its own thread until its next read times out or the receiver lets go."""
    outcome: list[Answer | BaseException] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # handed to the caller's thread as they are
            outcome.append(exc)

    thread = threading.Thread(target=run, name="webhook-post", daemon=True)
    thread.start()
    thread.join(seconds + DEADLINE_SLACK_S)
    if not outcome:
        raise DeadlineExceeded()
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    return result


def _post_to(
    target: Target,
    address: IPAddress,
    body: bytes,
    headers: Mapping[str, str],
    timeout: float,
    started: float,
) -> Answer:
    import httpx  # on first use: only delivering webhooks needs it

    url = target.url.copy_with(host=str(address))
    extensions = {"sni_hostname": target.host} if target.is_https else {}
    sent = dict(headers) | {"Host": target.netloc, "Accept-Encoding": "identity"}
    limits = httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT_S, timeout))
    with httpx.Client(
        timeout=limits, follow_redirects=False, trust_env=False, verify=_tls()
    ) as client:
        request = client.build_request(
            "POST", url, content=body, headers=sent, extensions=extensions
        )
        response = client.send(request, stream=True)
        try:
            head = _read_head(response, started + timeout)
        finally:
            response.close()
    snippet = _printable(head)[:SNIPPET_CHARS]
    status = response.status_code
    duration = _ms_since(started)
    if 200 <= status < 300:
        return Answer(status, duration, None, snippet)
    if 300 <= status < 400:
        return Answer(
            status, duration, f"the receiver answered {status}; redirects are not followed"
        )
    detail = f": {snippet}" if snippet else ""
    return Answer(status, duration, f"the receiver answered {status}{detail}"[:MAX_ERROR_CHARS])


@cache
def _tls() -> ssl.SSLContext:
    """One context for every attempt: making one loads the CA bundle, some 15 ms of CPU."""
    import httpx  # on first use: only delivering webhooks needs it

    return httpx.create_ssl_context(trust_env=False)


def _read_head(response: "httpx.Response", deadline: float) -> bytes:
    """At most MAX_ANSWER_BYTES of the body as sent (never decompressed), until the deadline."""
    head = b""
    for chunk in response.iter_raw(1024):
        head += chunk
        if len(head) >= MAX_ANSWER_BYTES or time.monotonic() >= deadline:
            break
    return head[:MAX_ANSWER_BYTES]


def _printable(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace")
    return "".join(c if c.isprintable() else " " for c in text).strip()


def _failed(started: float, error: str) -> Answer:
    return Answer(None, _ms_since(started), error[:MAX_ERROR_CHARS])


def _ms_since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
