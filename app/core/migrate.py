"""Alembic: the migrations directory, what the models describe, and the upgrade."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from app.core.db import Database

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


# Search structures that live beside the models, created by the migrations per database.
UNMODELLED_TABLE_PREFIX = "recommendations_fts"
UNMODELLED_COLUMNS = {("recommendations", "search_vector")}
UNMODELLED_INDEX = "ix_recommendations_search_vector"


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Which database objects the models describe (for autogenerate comparisons)."""
    if type_ == "table" and name and name.startswith(UNMODELLED_TABLE_PREFIX):
        return False
    if type_ == "column" and reflected and compare_to is None:
        table = getattr(getattr(obj, "table", None), "name", None)
        return (table, name) not in UNMODELLED_COLUMNS
    return not (type_ == "index" and name == UNMODELLED_INDEX)


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_schema(database: Database) -> None:
    """`alembic upgrade head` on the database."""
    with database.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
