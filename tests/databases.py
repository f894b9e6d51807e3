"""Throwaway test databases: SQLite files by default, PostgreSQL when TEST_DATABASE_URL is set."""

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from app.core.db import normalise_url

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL") or None


def is_postgres() -> bool:
    return POSTGRES_URL is not None


def _admin_engine():  # type: ignore[no-untyped-def]
    assert POSTGRES_URL is not None
    # A connection per statement: the drop at the end still works if the server restarted.
    return create_engine(
        normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )


@contextmanager
def throwaway_database(workdir: Path, *, template: str | None = None) -> Iterator[str]:
    """A new, empty database (or a copy of `template`), dropped afterwards. Yields its URL."""
    name = f"item10_t_{uuid.uuid4().hex[:12]}"
    if POSTGRES_URL is None:
        path = workdir / f"{name}.db"
        if template is not None:
            shutil.copyfile(make_url(template).database or "", path)
        yield f"sqlite:///{path}"
        return
    admin = _admin_engine()
    source = f" TEMPLATE {make_url(template).database}" if template else ""
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{source}'))
    try:
        yield normalise_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
