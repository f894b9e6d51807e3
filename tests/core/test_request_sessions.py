"""The request's session (`Database.request_session`): a request that only reads runs without a
transaction on PostgreSQL (each statement commits on its own, as READ COMMITTED reads anyway);
one that writes gets a transaction, on both databases."""

from collections.abc import Callable, Iterator
from types import SimpleNamespace

import anyio
import pytest
from sqlalchemy import Column, Integer, Table, text
from sqlalchemy.orm import Session, registry

from app.core.db import Database, write_intent
from app.core.deps import get_session
from tests.databases import is_postgres

# True when the statement runs in a transaction of its own: now() is its transaction's start.
OWN_TRANSACTION = text("SELECT now() = statement_timestamp()")


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database.from_url(database_url)
    yield database
    database.dispose()


def _in_own_transactions(database: Database, *, writes: bool) -> list[bool]:
    token = write_intent.set(writes)
    try:
        with database.request_session() as session:
            answers = []
            for _ in range(2):
                session.execute(text("SELECT pg_sleep(0.01)"))
                answers.append(bool(session.execute(OWN_TRANSACTION).scalar()))
            session.commit()
            return answers
    finally:
        write_intent.reset(token)


@pytest.mark.skipif(not is_postgres(), reason="needs TEST_DATABASE_URL")
def test_a_read_on_postgresql_runs_each_statement_on_its_own(database: Database) -> None:
    assert _in_own_transactions(database, writes=False) == [True, True]


@pytest.mark.skipif(not is_postgres(), reason="needs TEST_DATABASE_URL")
def test_a_write_on_postgresql_runs_in_one_transaction(database: Database) -> None:
    assert _in_own_transactions(database, writes=True) == [False, False]


def test_a_read_and_a_write_both_see_what_was_committed(database: Database) -> None:
    with database.transaction() as session:
        session.execute(text("CREATE TABLE IF NOT EXISTS request_session_probe (n INTEGER)"))
        session.execute(text("DELETE FROM request_session_probe"))
        session.execute(text("INSERT INTO request_session_probe VALUES (7)"))
    for writes in (False, True):
        token = write_intent.set(writes)
        try:
            with database.request_session() as session:
                assert session.execute(text("SELECT n FROM request_session_probe")).scalar() == 7
        finally:
            write_intent.reset(token)
    with database.transaction() as session:
        session.execute(text("DROP TABLE request_session_probe"))


class _Probe:
    """A row of `request_session_probe`, mapped on its own so that the ORM holds a change."""

    def __init__(self, n: int) -> None:
        self.n = n


_probes = registry()
_probe_table = Table(
    "request_session_probe", _probes.metadata, Column("n", Integer, primary_key=True)
)
_probes.map_imperatively(_Probe, _probe_table)


def _a_read_request(database: Database, handler: Callable[[Session], None]) -> None:
    """What a GET's handler does with the session `get_session` gives it, to its end."""

    async def request() -> None:
        scope = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(database=database)))
        sessions = get_session(scope)  # type: ignore[arg-type]
        handler(await anext(sessions))
        with pytest.raises(StopAsyncIteration):
            await anext(sessions)

    token = write_intent.set(False)
    try:
        anyio.run(request)
    finally:
        write_intent.reset(token)


def test_a_read_that_holds_orm_changes_still_writes_them(database: Database) -> None:
    _probes.metadata.create_all(database.engine)
    try:
        _a_read_request(database, lambda session: session.add(_Probe(8)))
        with database.transaction() as session:
            assert session.execute(text("SELECT n FROM request_session_probe")).scalars().all() == [
                8
            ]
    finally:
        _probes.metadata.drop_all(database.engine)


def test_a_read_gives_its_connection_back(database: Database) -> None:
    _a_read_request(database, lambda session: session.execute(text("SELECT 1")).scalar())
    assert database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
