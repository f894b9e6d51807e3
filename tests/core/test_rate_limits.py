"""Rate limits per caller (RATE_LIMIT_PER_MINUTE): 429 problem+json with Retry-After and the IETF
RateLimit headers, a tenth of the limit on the token endpoint and on imports, counts per token
subject or address, in memory or shared through Redis.

Each test builds its own app, and so its own limiter: the suite's shared app runs with rate
limiting off."""

import asyncio
import logging
import threading
import uuid

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select

from app.auth.models import User
from app.core.principal import Role
from app.core.ratelimit import Policy, RateLimiter, RateLimitMiddleware, strict_limit
from app.core.ratelimit_stores import MemoryStore
from app.main import create_app
from tests.conftest import ConnectionDatabase, make_settings
from tests.core.test_problems import assert_problem
from tests.factories import auth, make_user

REDIS_URL = "redis://127.0.0.1:6379/0"
PUBLIC_URL = "/api/v1/states/WSM"
ME_URL = "/api/v1/auth/me"
TOKEN_URL = "/api/v1/auth/token"
IMPORTS_URL = "/api/v1/recommendation-imports"


@pytest.fixture
def limited(database_url, engine, connection):  # type: ignore[no-untyped-def]
    """An app of its own with these settings; `.client(address)` calls it from an address."""

    class Limited:
        def __init__(self, **overrides: object) -> None:
            self.settings = make_settings(database_url, **overrides)
            self.app = create_app(self.settings, ConnectionDatabase(engine, connection))

        def client(self, address: str = "203.0.113.7") -> TestClient:
            return TestClient(self.app, raise_server_exceptions=False, client=(address, 50000))

    return Limited


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def ratelimit(response) -> dict[str, int]:  # type: ignore[no-untyped-def]
    fields = (part.strip().split("=") for part in response.headers["ratelimit"].split(","))
    return {name: int(value) for name, value in fields}


def redis_or_skip() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    return client


# Over the limit


def test_over_the_limit_is_429_problem_with_retry_after_and_ratelimit_headers(limited) -> None:  # type: ignore[no-untyped-def]
    with limited(rate_limit_per_minute=3).client() as client:
        answered = [client.get(PUBLIC_URL) for _ in range(3)]
        refused = client.get(PUBLIC_URL)

    assert [r.status_code for r in answered] == [200, 200, 200]
    assert [ratelimit(r)["remaining"] for r in answered] == [2, 1, 0]
    assert all(r.headers["ratelimit-policy"] == "3;w=60" for r in answered)
    body = assert_problem(refused, 429, "too-many-requests")
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert refused.headers["ratelimit-policy"] == "3;w=60"
    assert ratelimit(refused) == {"limit": 3, "remaining": 0, "reset": retry_after}
    assert "3 requests a minute" in body["detail"]


def test_a_refused_request_reaches_no_handler(limited, db) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(db, role=Role.ohchr_admin)
    app = limited(rate_limit_per_minute=1)
    headers = auth(app.settings, admin)
    with app.client() as client:
        client.get(ME_URL, headers=headers)
        refused = client.post(
            "/api/v1/users",
            headers=headers,
            json={"email": "x@example.org", "name": "X", "password": "p" * 12},
        )
    assert_problem(refused, 429, "too-many-requests")
    assert db.exec(select(User).where(User.email == "x@example.org")).first() is None


# Who is counted


def test_each_token_subject_has_its_own_count(limited, db) -> None:  # type: ignore[no-untyped-def]
    app = limited(rate_limit_per_minute=2)
    first, second = make_user(db), make_user(db)
    with app.client() as client:
        first_answers = [client.get(ME_URL, headers=auth(app.settings, first)) for _ in range(3)]
        second_answer = client.get(ME_URL, headers=auth(app.settings, second))
        anonymous_answer = client.get(PUBLIC_URL)

    assert [r.status_code for r in first_answers] == [200, 200, 429]
    assert second_answer.status_code == 200
    assert ratelimit(second_answer)["remaining"] == 1
    assert anonymous_answer.status_code == 200  # the same address, but counted apart


def test_a_new_token_for_the_same_account_shares_its_count(limited, db) -> None:  # type: ignore[no-untyped-def]
    app = limited(rate_limit_per_minute=2)
    user = make_user(db)
    with app.client() as client:
        statuses = [client.get(ME_URL, headers=auth(app.settings, user)).status_code for _ in "abc"]
    assert statuses == [200, 200, 429]


def test_anonymous_callers_are_counted_by_address(limited) -> None:  # type: ignore[no-untyped-def]
    app = limited(rate_limit_per_minute=2)
    with app.client("198.51.100.1") as one, app.client("198.51.100.2") as other:
        statuses = [one.get(PUBLIC_URL).status_code for _ in range(3)]
        other_answer = other.get(PUBLIC_URL)
    assert statuses == [200, 200, 429]
    assert other_answer.status_code == 200
    assert ratelimit(other_answer)["remaining"] == 1


def test_an_invalid_token_counts_against_the_address(limited) -> None:  # type: ignore[no-untyped-def]
    app = limited(rate_limit_per_minute=2)
    forged = {"Authorization": "Bearer not.a.token"}
    with app.client() as client:
        statuses = [client.get(PUBLIC_URL, headers=forged).status_code for _ in range(2)]
        anonymous = client.get(PUBLIC_URL)
    assert statuses == [401, 401]
    assert_problem(anonymous, 429, "too-many-requests")


# Stricter routes


def test_the_token_endpoint_gets_a_tenth_of_the_limit(limited) -> None:  # type: ignore[no-untyped-def]
    app = limited(rate_limit_per_minute=20)
    form = {"grant_type": "password", "username": "nobody@example.org", "password": "x"}
    with app.client() as client:
        attempts = [client.post(TOKEN_URL, data=form) for _ in range(3)]
        elsewhere = client.get(PUBLIC_URL)

    assert [r.status_code for r in attempts[:2]] == [400, 400]
    assert attempts[0].headers["ratelimit-policy"] == "2;w=60"
    assert_problem(attempts[2], 429, "too-many-requests")
    assert elsewhere.status_code == 200
    assert elsewhere.headers["ratelimit-policy"] == "20;w=60"


def test_imports_get_a_tenth_of_the_limit_and_reading_their_reports_does_not(limited, db) -> None:  # type: ignore[no-untyped-def]
    app = limited(rate_limit_per_minute=10)
    headers = auth(app.settings, make_user(db, role=Role.ohchr_admin))
    with app.client() as client:
        first = client.post(IMPORTS_URL, headers=headers, files={"format": (None, "auto")})
        second = client.post(IMPORTS_URL, headers=headers, files={"format": (None, "auto")})
        listing = client.get(IMPORTS_URL, headers=headers)

    assert first.status_code == 422  # no file; still counted
    assert first.headers["ratelimit-policy"] == "1;w=60"
    assert_problem(second, 429, "too-many-requests")
    assert listing.status_code == 200
    assert listing.headers["ratelimit-policy"] == "10;w=60"


@pytest.mark.parametrize(("per_minute", "strict"), [(600, 60), (25, 2), (9, 1), (1, 1)])
def test_the_stricter_limit_is_a_tenth_and_at_least_one(per_minute: int, strict: int) -> None:
    assert strict_limit(per_minute) == strict


# Off, exempt, and read at request time


def test_zero_turns_rate_limiting_off(limited) -> None:  # type: ignore[no-untyped-def]
    with limited(rate_limit_per_minute=0).client() as client:
        answers = [client.get(PUBLIC_URL) for _ in range(30)]
    assert {r.status_code for r in answers} == {200}
    assert not any("ratelimit" in r.headers for r in answers)


def test_health_and_metrics_are_never_limited(limited) -> None:  # type: ignore[no-untyped-def]
    with limited(rate_limit_per_minute=1).client() as client:
        answers = [client.get(path) for path in ("/healthz", "/readyz", "/metrics") * 3]
    assert {r.status_code for r in answers} == {200}
    assert not any("ratelimit" in r.headers for r in answers)


def test_the_limit_is_read_from_the_settings_of_each_request(limited) -> None:  # type: ignore[no-untyped-def]
    app = limited(rate_limit_per_minute=1)
    with app.client() as client:
        client.get(PUBLIC_URL)
        app.app.state.settings = make_settings(app.settings.database_url, rate_limit_per_minute=5)
        answer = client.get(PUBLIC_URL)
    assert answer.status_code == 200
    assert answer.headers["ratelimit-policy"] == "5;w=60"


def test_every_api_operation_declares_429(limited) -> None:  # type: ignore[no-untyped-def]
    document = limited().app.openapi()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        if path.startswith("/api/")
        for method, operation in operations.items()
        if "429" not in operation["responses"]
    ]
    assert missing == []


# Windows


def clocked_app(clock: FakeClock, database_url: str, per_minute: int) -> FastAPI:
    app = FastAPI()
    app.state.settings = make_settings(database_url, rate_limit_per_minute=per_minute)

    @app.get("/api/v1/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    app.add_middleware(RateLimitMiddleware, limiter=RateLimiter(clock=clock))
    return app


def test_the_window_resets_after_a_minute(database_url: str) -> None:
    clock = FakeClock()
    with TestClient(clocked_app(clock, database_url, per_minute=2)) as client:
        client.get("/api/v1/ping")
        clock.now += 20
        second = client.get("/api/v1/ping")
        refused = client.get("/api/v1/ping")
        clock.now += 39.5
        still_refused = client.get("/api/v1/ping")
        clock.now += 0.5
        again = client.get("/api/v1/ping")

    assert ratelimit(second) == {"limit": 2, "remaining": 0, "reset": 40}
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "40"
    assert still_refused.status_code == 429
    assert still_refused.headers["retry-after"] == "1"
    assert again.status_code == 200
    assert ratelimit(again) == {"limit": 2, "remaining": 1, "reset": 60}


def test_memory_store_forgets_ended_windows_and_holds_a_bounded_number() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock, max_keys=3)
    for caller in "abcd":
        store.hit_now(caller, 60)
    assert len(store) == 3
    assert store.hit_now("a", 60).count == 1  # evicted as the oldest, so it starts afresh
    clock.now += 61
    store.hit_now("e", 60)
    assert len(store) == 1


def test_memory_store_counts_every_hit_from_many_threads() -> None:
    store = MemoryStore()

    def hammer() -> None:
        for _ in range(500):
            store.hit_now("shared", 60)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.hit_now("shared", 60).count == 4001


# Redis


@pytest.fixture
def redis_prefix():  # type: ignore[no-untyped-def]
    connection = redis_or_skip()
    prefix = f"item10:test:{uuid.uuid4().hex}:"
    yield prefix
    for key in connection.scan_iter(match=prefix + "*"):
        connection.delete(key)
    connection.close()


def test_redis_shares_one_count_between_server_processes(database_url, redis_prefix) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(database_url, rate_limit_per_minute=5, redis_url=REDIS_URL)
    policy = Policy("default", 5)
    one, other = RateLimiter(redis_prefix=redis_prefix), RateLimiter(redis_prefix=redis_prefix)

    async def run() -> list[int]:
        decisions = await asyncio.gather(
            *(limiter.check(settings, policy, "addr:192.0.2.9") for limiter in [one, other] * 3)
        )
        await one.aclose()
        await other.aclose()
        return sorted(d.remaining for d in decisions if d is not None)

    assert asyncio.run(run()) == [-1, 0, 1, 2, 3, 4]


def test_two_apps_on_one_redis_refuse_together(limited) -> None:  # type: ignore[no-untyped-def]
    connection = redis_or_skip()
    address = f"192.0.2.{uuid.uuid4().int % 250 + 1}"
    key = f"item10:ratelimit:default:addr:{address}"
    connection.delete(key)
    try:
        first = limited(rate_limit_per_minute=2, redis_url=REDIS_URL)
        second = limited(rate_limit_per_minute=2, redis_url=REDIS_URL)
        with first.client(address) as one, second.client(address) as other:
            statuses = [one.get(PUBLIC_URL).status_code, other.get(PUBLIC_URL).status_code]
            refused = one.get(PUBLIC_URL)
        assert statuses == [200, 200]
        assert_problem(refused, 429, "too-many-requests")
        assert 1 <= int(refused.headers["retry-after"]) <= 60
    finally:
        connection.delete(key)
        connection.close()


def test_redis_unreachable_lets_requests_through_and_warns(limited, caplog) -> None:  # type: ignore[no-untyped-def]
    app = limited(rate_limit_per_minute=1, redis_url="redis://127.0.0.1:1/0")
    store_log = logging.getLogger("app.core.ratelimit_stores")
    store_log.addHandler(caplog.handler)  # building the app replaced the root logger's handlers
    try:
        with app.client() as client:
            answers = [client.get(PUBLIC_URL) for _ in range(3)]
    finally:
        store_log.removeHandler(caplog.handler)
    assert {r.status_code for r in answers} == {200}
    assert not any("ratelimit" in r.headers for r in answers)
    assert any("Redis unreachable" in record.getMessage() for record in caplog.records)
