"""audit: mark changes to a State's drafts, whose content only that State reads

Revision ID: 172d22df7644
Revises: bbf4cce631ee
Create Date: 2026-11-29 00:02:24.115900
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import Text
import sqlmodel
from alembic import op

import app.core.models

revision: str = '172d22df7644'
down_revision: str | None = 'bbf4cce631ee'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: rebuilding the table (batch mode) would drop its append-only triggers.
    op.add_column(
        "audit_events",
        sa.Column("state_private", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # DROP COLUMN leaves the append-only triggers in place on both databases.
    op.execute("ALTER TABLE audit_events DROP COLUMN state_private")
