"""Security headers on every response, whatever it is, no server banner, and CORS only for the
origins in CORS_ORIGINS."""

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.deps import DbSession
from app.main import create_app
from tests.conftest import ConnectionDatabase, make_settings

PORTAL = "https://portal.example.org"
STRANGER = "https://evil.example.net"
CATALOGUE_URL = "/api/v1/recommendations"
DOCKERFILE = Path(__file__).resolve().parents[2] / "Dockerfile"


def assert_security_headers(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "server" not in response.headers
    assert response.headers["x-request-id"]


@pytest.fixture
def app_with(database_url, engine, connection):  # type: ignore[no-untyped-def]
    def build(**overrides: object) -> FastAPI:
        settings = make_settings(database_url, **overrides)
        return create_app(settings, ConnectionDatabase(engine, connection))

    return build


# Security headers


@pytest.mark.parametrize(
    ("method", "path", "options", "status"),
    [
        ("GET", "/api/v1/states/WSM", {}, 200),
        ("GET", "/healthz", {}, 200),
        ("GET", "/metrics", {}, 200),
        ("GET", "/openapi.json", {}, 200),
        ("GET", "/docs", {}, 200),
        ("GET", "/api/v1/auth/me", {}, 401),
        ("GET", CATALOGUE_URL, {"params": {"limit": 0}}, 422),
        ("GET", "/api/v1/no-such-thing", {}, 404),
        ("DELETE", "/api/v1/states", {}, 405),
        ("POST", "/api/v1/progress-reports", {"content": b"{" + b" " * 1_048_576 + b"}"}, 413),
    ],
)
def test_every_response_carries_the_security_headers(
    client: TestClient, method: str, path: str, options: dict[str, object], status: int
) -> None:
    response = client.request(method, path, **options)  # type: ignore[arg-type]
    assert response.status_code == status
    assert_security_headers(response)


def test_an_unexpected_error_carries_the_security_headers(app_with) -> None:  # type: ignore[no-untyped-def]
    app = app_with()

    @app.get("/boom")
    def boom(db: DbSession) -> None:
        raise RuntimeError("unexpected")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert_security_headers(response)


def test_a_rate_limited_response_carries_the_security_headers(app_with) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app_with(rate_limit_per_minute=1)) as client:
        client.get("/api/v1/states/WSM")
        response = client.get("/api/v1/states/WSM")
    assert response.status_code == 429
    assert_security_headers(response)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(app_with) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app behind a real uvicorn, started with the flags of the production image."""
    port = _free_port()
    config = uvicorn.Config(
        app_with(), host="127.0.0.1", port=port, server_header=False, log_config=None
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_real_server_sends_no_banner(served: str) -> None:
    for path in ("/healthz", "/api/v1/states/WSM", "/api/v1/no-such-thing"):
        response = httpx.get(served + path)
        assert_security_headers(response)


def test_the_production_image_turns_the_server_banner_off() -> None:
    command = re.search(r"^CMD .*uvicorn.*$", DOCKERFILE.read_text(), re.MULTILINE)
    assert command is not None
    assert "--no-server-header" in command.group(0)


# CORS


def preflight(client: TestClient, origin: str, method: str = "POST") -> httpx.Response:
    return client.options(
        CATALOGUE_URL,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )


def test_a_configured_origin_passes_the_preflight(app_with) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app_with(cors_origins=[PORTAL])) as client:
        response = preflight(client, PORTAL)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == PORTAL
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"].lower()
    assert_security_headers(response)


def test_another_origin_fails_the_preflight(app_with) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app_with(cors_origins=[PORTAL])) as client:
        response = preflight(client, STRANGER)
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    assert_security_headers(response)


def test_a_configured_origin_may_read_responses_and_their_headers(app_with) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app_with(cors_origins=[PORTAL])) as client:
        response = client.get(CATALOGUE_URL, headers={"Origin": PORTAL})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == PORTAL
    exposed = {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
    }
    assert {"etag", "location", "retry-after", "ratelimit", "ratelimit-policy"} <= exposed


def test_another_origin_gets_no_cors_headers(app_with) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app_with(cors_origins=[PORTAL])) as client:
        response = client.get(CATALOGUE_URL, headers={"Origin": STRANGER})
    assert response.status_code == 200
    # Without Access-Control-Allow-Origin the browser withholds the response from the page;
    # the list of exposed headers that goes out with every answer grants nothing on its own.
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-credentials" not in response.headers


def test_a_configured_origin_may_read_a_rate_limit_refusal(app_with) -> None:  # type: ignore[no-untyped-def]
    app = app_with(cors_origins=[PORTAL], rate_limit_per_minute=1)
    with TestClient(app) as client:
        client.get(CATALOGUE_URL, headers={"Origin": PORTAL})
        response = client.get(CATALOGUE_URL, headers={"Origin": PORTAL})
    assert response.status_code == 429
    assert response.headers["access-control-allow-origin"] == PORTAL


def test_no_origin_is_allowed_when_none_is_configured(client: TestClient) -> None:
    simple = client.get(CATALOGUE_URL, headers={"Origin": PORTAL})
    preflighted = preflight(client, PORTAL, method="GET")
    for response in (simple, preflighted):
        assert not any(name.startswith("access-control-") for name in response.headers)
        assert_security_headers(response)
