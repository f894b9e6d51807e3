"""The migrations build exactly the schema the models describe, and undo it cleanly.

Each test here works on its own database: a new empty one for the migration round trips, a
private copy of the migrated one where real commits are needed.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.all_models import metadata
from app.audit.models import AuditEvent
from app.audit.service import record
from app.core.db import Database, make_engine
from app.core.migrate import UNMODELLED_TABLE_PREFIX, alembic_config, include_object
from app.migrate import migrate
from app.states.models import State
from tests.databases import is_postgres, throwaway_database

needs_postgres = pytest.mark.skipif(not is_postgres(), reason="needs TEST_DATABASE_URL")


@pytest.fixture
def empty_engine(workdir: Path) -> Iterator[Engine]:
    """An engine on a new database that has never been migrated."""
    with throwaway_database(workdir) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def schema_differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        opts = {"compare_type": True, "include_object": include_object}
        context = MigrationContext.configure(connection, opts=opts)
        return list(compare_metadata(context, metadata))


def table_names(engine: Engine) -> set[str]:
    """The tables the models describe (the SQLite full-text index lives beside them)."""
    with engine.connect() as connection:
        names = inspect(connection).get_table_names()
    return {name for name in names if not name.startswith(UNMODELLED_TABLE_PREFIX)}


def test_upgrade_head_on_an_empty_database_matches_the_models(empty_engine: Engine) -> None:
    upgrade(empty_engine)

    assert schema_differences(empty_engine) == []


def test_upgrade_head_creates_every_model_table(empty_engine: Engine) -> None:
    upgrade(empty_engine)

    assert table_names(empty_engine) == set(metadata.tables) | {"alembic_version"}


def test_downgrade_to_base_leaves_no_tables(empty_engine: Engine) -> None:
    upgrade(empty_engine)

    downgrade(empty_engine)

    assert table_names(empty_engine) <= {"alembic_version"}


def test_upgrade_after_downgrade_matches_the_models_again(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    downgrade(empty_engine)

    upgrade(empty_engine)

    assert schema_differences(empty_engine) == []


@pytest.fixture
def audit_event(connection: Connection) -> AuditEvent:
    """One event written the way the app writes them, inside the test's transaction."""
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        event = record(
            session, None, "test.event", resource_type="test", resource_id="r-1", after={"a": 1}
        )
        session.commit()
        return event


def stored_actions(connection: Connection) -> list[str]:
    return list(connection.execute(select(AuditEvent.action)).scalars())  # type: ignore[call-overload]


def test_an_audit_event_cannot_be_updated(connection: Connection, audit_event: AuditEvent) -> None:
    with pytest.raises(DBAPIError), connection.begin_nested():
        connection.execute(text("UPDATE audit_events SET action = 'rewritten'"))

    assert stored_actions(connection) == ["test.event"]


def test_an_audit_event_cannot_be_deleted(connection: Connection, audit_event: AuditEvent) -> None:
    with pytest.raises(DBAPIError), connection.begin_nested():
        connection.execute(text("DELETE FROM audit_events"))

    assert stored_actions(connection) == ["test.event"]


@pytest.mark.postgres_only
@needs_postgres
def test_the_audit_log_cannot_be_truncated(connection: Connection, audit_event: AuditEvent) -> None:
    with pytest.raises(DBAPIError), connection.begin_nested():
        connection.execute(text("TRUNCATE audit_events"))

    assert stored_actions(connection) == ["test.event"]


def test_migrate_loads_the_195_states_and_the_sdgs_then_changes_nothing(workdir: Path) -> None:
    with throwaway_database(workdir) as url:
        database = Database.from_url(url)
        try:
            assert migrate(database) == 195 + 17 + 169
            assert migrate(database) == 0
        finally:
            database.dispose()


def set_flag(database: Database, code: str, **values: Any) -> None:
    with database.transaction() as session:
        state = session.get(State, code)
        assert state is not None
        for field, value in values.items():
            setattr(state, field, value)
        session.add(state)


def stored_state(database: Database, code: str) -> State:
    with database.session() as session:
        state = session.get(State, code)
        assert state is not None
        return state


def test_migrate_again_keeps_an_administrators_conflict_flag(fresh_database: str) -> None:
    database = Database.from_url(fresh_database)
    try:
        set_flag(database, "SDN", emerging_from_conflict=True)

        assert migrate(database) == 0

        assert stored_state(database, "SDN").emerging_from_conflict is True
    finally:
        database.dispose()


def test_migrate_refreshes_stale_reference_data_but_keeps_the_flag(fresh_database: str) -> None:
    database = Database.from_url(fresh_database)
    try:
        set_flag(database, "SDN", emerging_from_conflict=True, name="Outdated name")

        assert migrate(database) == 1

        state = stored_state(database, "SDN")
        assert state.name == "Sudan"
        assert state.emerging_from_conflict is True
    finally:
        database.dispose()
