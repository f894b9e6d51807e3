"""report list order: every report by creation, for lists that span States

The report list of a signed-in State (its own reports and everyone's published ones), of OHCHR
and of anonymous callers is `... ORDER BY created_at, id LIMIT n` over a condition that no
index serves (`visibility = 'public' OR state_code = $1`): without this index PostgreSQL sorts
every visible report for each page; with it, it reads the reports in order until the page is
full.

Revision ID: 9a06733294d4
Revises: 5e1c9a7d3f20
Create Date: 2026-12-05 06:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9a06733294d4"
down_revision: str | None = "5e1c9a7d3f20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_progress_reports_created", "progress_reports", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_progress_reports_created", table_name="progress_reports")
