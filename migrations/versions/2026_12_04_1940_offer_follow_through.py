"""offer follow-through: a response deadline on each offer, when its lapse was announced, and
who recorded the answer of a provider without an account, with the note

Revision ID: 8d4f6b1a2c93
Revises: 5c1e2a9d7b40
Create Date: 2026-12-04 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8d4f6b1a2c93"
down_revision: str | None = "5c1e2a9d7b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assignments") as batch_op:
        batch_op.add_column(sa.Column("respond_by", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("overdue_announced_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("recorded_by_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("response_note", sa.Text(), nullable=True))
        batch_op.create_index("ix_assignments_status_respond_by", ["status", "respond_by"])


def downgrade() -> None:
    with op.batch_alter_table("assignments") as batch_op:
        batch_op.drop_index("ix_assignments_status_respond_by")
        batch_op.drop_column("response_note")
        batch_op.drop_column("recorded_by_id")
        batch_op.drop_column("overdue_announced_at")
        batch_op.drop_column("respond_by")
