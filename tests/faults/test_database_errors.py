"""Every way the driver and the pool say "the database cannot serve now" is a 503 with
Retry-After, whether it surfaces in a handler or in the commit after it; an error in the
request itself is not disguised as one."""

import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy import exc as sa
from sqlmodel import Session

from app.core.db import Database
from app.core.deps import DbSession
from app.main import create_app
from tests.conftest import make_settings
from tests.core.test_problems import assert_problem
from tests.faults.conftest import assert_retry_shortly

UNREACHABLE_POSTGRES = "postgresql://root@127.0.0.1:1/nothing"  # port 1: refused at once


class DriverError(Exception):
    """Stands for whatever the driver raised underneath SQLAlchemy's wrapper."""


UNAVAILABLE: dict[str, Callable[[], Exception]] = {
    "operational": lambda: sa.OperationalError("SELECT 1", {}, DriverError("server closed")),
    "interface": lambda: sa.InterfaceError("SELECT 1", {}, DriverError("connection closed")),
    "invalidated": lambda: sa.DBAPIError(
        "SELECT 1", {}, DriverError("lost"), connection_invalidated=True
    ),
    "pool timeout": lambda: sa.TimeoutError("QueuePool limit reached, timed out"),
    "psycopg operational": lambda: psycopg.OperationalError("connection is bad"),
    "psycopg interface": lambda: psycopg.InterfaceError("the connection is closed"),
    "sqlite locked": lambda: sqlite3.OperationalError("database is locked"),
}
# Errors in the request or the code, not in the database's availability: they stay 500.
NOT_UNAVAILABLE: dict[str, Callable[[], Exception]] = {
    "integrity": lambda: sa.IntegrityError("INSERT", {}, DriverError("duplicate key")),
    "sqlite no such table": lambda: sa.OperationalError(
        "SELECT 1", {}, sqlite3.OperationalError("no such table: nothing")
    ),
    "sqlite syntax": lambda: sqlite3.OperationalError('near "SELEC": syntax error'),
}


def add_failing_routes(app: FastAPI) -> None:
    """`/fail/{shape}` raises in the handler; `/fail-at-commit/{shape}` once it has returned."""
    for shape, make in {**UNAVAILABLE, **NOT_UNAVAILABLE}.items():

        def in_handler(db: DbSession, make: Callable[[], Exception] = make) -> None:
            raise make()

        def at_commit(db: DbSession, make: Callable[[], Exception] = make) -> dict[str, bool]:
            @event.listens_for(db, "before_commit", once=True)
            def fail(_session: Session) -> None:
                raise make()

            return {"handled": True}

        app.add_api_route(f"/fail/{shape}", in_handler, methods=["GET"])
        app.add_api_route(f"/fail-at-commit/{shape}", at_commit, methods=["POST"])


@pytest.fixture(scope="module")
def failing_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('errors') / 'empty.db'}"
    app = create_app(make_settings(url), Database.from_url(url))
    add_failing_routes(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("shape", UNAVAILABLE)
def test_an_unavailable_database_in_a_handler_is_503(
    failing_client: TestClient, shape: str
) -> None:
    assert_retry_shortly(failing_client.get(f"/fail/{shape}"))


@pytest.mark.parametrize("shape", UNAVAILABLE)
def test_an_unavailable_database_at_commit_is_503(failing_client: TestClient, shape: str) -> None:
    assert_retry_shortly(failing_client.post(f"/fail-at-commit/{shape}"))


@pytest.mark.parametrize("shape", NOT_UNAVAILABLE)
@pytest.mark.parametrize(("method", "prefix"), [("GET", "/fail"), ("POST", "/fail-at-commit")])
def test_a_database_error_that_is_not_unavailability_stays_500(
    failing_client: TestClient, shape: str, method: str, prefix: str
) -> None:
    response = failing_client.request(method, f"{prefix}/{shape}")
    assert_problem(response, 500, "internal-error")
    assert "retry-after" not in response.headers


@pytest.fixture(scope="module")
def unreachable_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = make_settings(UNREACHABLE_POSTGRES)
    app = create_app(settings, Database.from_url(UNREACHABLE_POSTGRES))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("path", ["/readyz", "/api/v1/states/WSM", "/api/v1/recommendations"])
def test_an_unreachable_database_is_a_prompt_503(unreachable_client: TestClient, path: str) -> None:
    started = time.monotonic()
    response = unreachable_client.get(path)
    assert_retry_shortly(response)
    assert time.monotonic() - started < 3


def test_liveness_does_not_depend_on_the_database(unreachable_client: TestClient) -> None:
    assert unreachable_client.get("/healthz").status_code == 200


def test_a_sqlite_url_may_shorten_the_wait_for_the_write_lock(tmp_path: Path) -> None:
    database = Database.from_url(f"sqlite:///{tmp_path / 'x.db'}?timeout=0.25")
    try:
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 250
    finally:
        database.dispose()
