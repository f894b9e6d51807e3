"""Test harness.

The schema comes from the real migrations (`python -m app migrate` does the same), once per run,
into a throwaway database. Each test then runs inside one outer transaction that is rolled back:
the app's commits become savepoint releases, so the test sees the app's writes and nothing
leaks into the next test. Tests of concurrency use `fresh_database` instead: a copy of the
migrated database with real commits across real connections.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlmodel import Session

from app.core.db import Database, make_engine
from app.core.settings import Settings
from app.main import create_app
from app.migrate import migrate
from tests.databases import throwaway_database

TEST_SECRET = "test-secret-" + "x" * 40


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Rate limiting is off unless a test turns it on: the suite's many anonymous requests all
    come from one test-client address through one shared app. No worker runs inside the app:
    tests run the jobs they queue with `run_jobs` (tests/jobs/support.py), when they choose."""
    values: dict[str, object] = {
        "database_url": database_url,
        "jwt_secret": TEST_SECRET,
        "rate_limit_per_minute": 0,
        "worker_in_process": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class ConnectionDatabase(Database):
    """Every session joins the test's open transaction through a savepoint."""

    def __init__(self, engine: Engine, connection: Connection) -> None:
        super().__init__(engine)
        self.connection = connection

    def session(self) -> Session:
        return Session(
            bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    def read_session(self) -> Session:
        """Reads join the test's transaction too (outside tests, a read on PostgreSQL has none)."""
        return self.session()

    def dispose(self) -> None:
        """The engine belongs to the whole run."""


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("databases")


@pytest.fixture(scope="session")
def database_url(workdir: Path) -> Iterator[str]:
    with throwaway_database(workdir) as url:
        database = Database.from_url(url)
        migrate(database)
        database.dispose()
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture(scope="session")
def shared_app(database_url: str, engine: Engine) -> FastAPI:
    """Building the app takes about a second, so tests share one and swap its database."""
    return create_app(make_settings(database_url), Database(engine))


@pytest.fixture
def app(
    shared_app: FastAPI, settings: Settings, engine: Engine, connection: Connection
) -> Iterator[FastAPI]:
    shared_app.state.settings = settings
    shared_app.state.database = ConnectionDatabase(engine, connection)
    yield shared_app
    shared_app.state.database = None


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def db(app: FastAPI) -> Iterator[Session]:
    """A session in the test's transaction, for factories and for checking what was written."""
    database: Database = app.state.database
    with database.session() as session:
        yield session


@pytest.fixture
def fresh_database(workdir: Path, database_url: str, engine: Engine) -> Iterator[str]:
    """A private copy of the migrated database, for tests that need real commits."""
    engine.dispose()  # PostgreSQL copies a template only while nobody is connected to it
    with throwaway_database(workdir, template=database_url) as url:
        yield url
