"""Contract fuzzing shares one seeded world per run of this package.

The world is written once into one outer transaction, and every request the fuzzer sends runs
in a savepoint inside it, so the fuzzer's own writes accumulate across operations (as they would
on a real server) and all of it is rolled back when the package is done.

The Hypothesis profile `contract-fuzz` bounds the run for CI (about a minute per database) and
is derandomized so that CI sees the same examples every time; `FUZZ_MAX_EXAMPLES` raises the
number of examples per operation and caller for a longer search by hand.
"""

import os
from collections.abc import Iterator

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
    max_examples=int(os.environ.get("FUZZ_MAX_EXAMPLES", "8")),
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
