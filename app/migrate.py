"""Bring a database to the current schema and reference data."""

from app.core.db import Database
from app.core.migrate import upgrade_schema
from app.states.service import sync_reference_states
from app.taxonomies.service import sync_reference_sdgs


def migrate(database: Database) -> int:
    """`alembic upgrade head`, then load the shipped reference data (States, SDGs). Idempotent.

    Returns how many reference rows were added or refreshed."""
    upgrade_schema(database)
    with database.transaction() as session:
        return sync_reference_states(session) + sync_reference_sdgs(session)
