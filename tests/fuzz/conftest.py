"""Contract fuzzing shares one seeded world per run of this package.

The world is written once into one outer transaction, rolled back when the package is done.
(On SQLite that transaction holds the write lock, so every test here works through it: the
suite-wide `client` and `db` fixtures would wait for the lock.)
Each generated example (and each stateful scenario) runs in a savepoint of its own that is
rolled back after it (`scratch`), so every example meets the same world: Hypothesis can replay
and shrink a failure exactly, and the examples of one operation do not pile up objects for the
next.

The Hypothesis profile `contract-fuzz` bounds the run for CI (a minute and a half at most per
database: the coverage phase's systematic cases always run, and 4 random examples per
operation) and is derandomized so that CI sees the same examples every time.
`FUZZ_MAX_EXAMPLES=40 pytest tests/fuzz` searches ten times as long by hand.
"""

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from sqlalchemy import Connection, Engine

from app.core.settings import Settings
from tests.conftest import ConnectionDatabase, make_settings
from tests.fuzz.checks import watch
from tests.fuzz.world import World, build_world

settings.register_profile(
    "contract-fuzz",
    max_examples=int(os.environ.get("FUZZ_MAX_EXAMPLES", "4")),
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="package")
def fuzz_connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture(scope="package", autouse=True)
def _quiet_access_log() -> Iterator[None]:
    """Tens of thousands of fuzzed requests: their access lines are noise (errors still log)."""
    access = logging.getLogger("app.access")
    level = access.level
    access.setLevel(logging.WARNING)
    yield
    access.setLevel(level)


@contextmanager
def scratch(connection: Connection) -> Iterator[None]:
    """Whatever the requests inside write is undone afterwards."""
    savepoint = connection.begin_nested()
    try:
        yield
    finally:
        savepoint.rollback()


@pytest.fixture(scope="package")
def fuzz_settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture(scope="package")
def fuzz_database(engine: Engine, fuzz_connection: Connection) -> ConnectionDatabase:
    return ConnectionDatabase(engine, fuzz_connection)


@pytest.fixture
def fuzz_app(
    shared_app: FastAPI, fuzz_settings: Settings, fuzz_database: ConnectionDatabase
) -> Iterator[FastAPI]:
    shared_app.state.settings = fuzz_settings
    shared_app.state.database = fuzz_database
    yield shared_app
    shared_app.state.database = None


@pytest.fixture
def fuzz_client(fuzz_app: FastAPI, fuzz_connection: Connection) -> Iterator[TestClient]:
    """A client of the fuzzed app whose writes are undone after the test."""
    with scratch(fuzz_connection):
        yield TestClient(fuzz_app, raise_server_exceptions=False)


@pytest.fixture(scope="package")
def world(
    shared_app: FastAPI, fuzz_settings: Settings, fuzz_database: ConnectionDatabase
) -> Iterator[World]:
    shared_app.state.settings = fuzz_settings
    shared_app.state.database = fuzz_database
    with TestClient(shared_app) as client:
        seeded = build_world(client, fuzz_database, fuzz_settings)
    watch(seeded)
    yield seeded
    shared_app.state.database = None
