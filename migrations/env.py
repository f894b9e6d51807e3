"""Alembic environment: the URL comes from the caller's connection or from DATABASE_URL."""

from alembic import context
from sqlalchemy import Connection

from app.all_models import metadata
from app.core.db import make_engine
from app.core.migrate import include_object
from app.core.settings import get_settings


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    engine = make_engine(get_settings().database_url)
    with engine.connect() as connection:
        run_migrations(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
run_online()
