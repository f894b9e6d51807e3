"""lifecycle engine: assistance requests carry `visibility` like every State object; a report
keeps the revision everyone reads and each revision its reason; events carry their version and
the one event vocabulary

Revision ID: 5c1e2a9d7b40
Revises: 172d22df7644
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1e2a9d7b40"
down_revision: str | None = "172d22df7644"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Outbox events written before the vocabulary was one enum: `<resource>.<verb>` to
# `<resource>.<happening>`. (The audit log is append-only and keeps its original actions.)
RENAMED_EVENTS = {
    **{
        f"{resource}.{verb}": f"{resource}.{happening}"
        for resource in ("progress_report", "shortfall", "assistance_request")
        for verb, happening in {
            "create": "created",
            "update": "updated",
            "delete": "deleted",
            "submit": "submitted",
            "publish": "published",
            "unpublish": "unpublished",
            "resolve": "resolved",
            "withdraw": "withdrawn",
            "start-triage": "triage_started",
            "request-info": "info_requested",
            "provide-info": "info_provided",
            "accept": "accepted",
            "decline": "declined",
            "match": "matched",
            "start-delivery": "delivery_started",
            "complete": "completed",
        }.items()
    },
    "progress_report.revision.create": "progress_report.revision_drafted",
    "progress_report.revision.update": "progress_report.revision_updated",
    "assistance_message.create": "assistance_message.created",
    "assignment.create": "assignment.offered",
    "assignment.accept": "assignment.accepted",
    "assignment.decline": "assignment.declined",
}


def upgrade() -> None:
    with op.batch_alter_table("assistance_requests") as batch_op:
        batch_op.add_column(
            sa.Column("visibility", sa.String(length=32), nullable=False, server_default="state")
        )
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE assistance_requests SET visibility = CASE"
        " WHEN submitted_at IS NULL THEN 'state'"
        " WHEN published THEN 'public'"
        " ELSE 'ohchr' END,"
        " published_at = CASE WHEN published AND submitted_at IS NOT NULL"
        " THEN updated_at END"
    )
    with op.batch_alter_table("assistance_requests") as batch_op:
        batch_op.alter_column("visibility", server_default=None)
        batch_op.drop_column("published")
        batch_op.create_index(
            batch_op.f("ix_assistance_requests_visibility"), ["visibility"], unique=False
        )

    with op.batch_alter_table("progress_reports") as batch_op:
        batch_op.add_column(sa.Column("published_revision", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE progress_reports SET published_revision = revision WHERE visibility = 'public'"
    )
    with op.batch_alter_table("progress_revisions") as batch_op:
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))

    with op.batch_alter_table("outbox_events") as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=True))
    outbox = sa.table("outbox_events", sa.column("type", sa.String))
    for old, new in RENAMED_EVENTS.items():
        op.execute(outbox.update().where(outbox.c.type == old).values(type=new))


def downgrade() -> None:
    outbox = sa.table("outbox_events", sa.column("type", sa.String))
    for old, new in RENAMED_EVENTS.items():
        op.execute(outbox.update().where(outbox.c.type == new).values(type=old))
    with op.batch_alter_table("outbox_events") as batch_op:
        batch_op.drop_column("version")
    with op.batch_alter_table("progress_revisions") as batch_op:
        batch_op.drop_column("reason")
    with op.batch_alter_table("progress_reports") as batch_op:
        batch_op.drop_column("published_revision")
    with op.batch_alter_table("assistance_requests") as batch_op:
        batch_op.add_column(
            sa.Column("published", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE assistance_requests SET published = (visibility = 'public')")
    with op.batch_alter_table("assistance_requests") as batch_op:
        batch_op.alter_column("published", server_default=None)
        batch_op.drop_index(batch_op.f("ix_assistance_requests_visibility"))
        batch_op.drop_column("published_at")
        batch_op.drop_column("visibility")
