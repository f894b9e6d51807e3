"""background work and push: durable jobs and the lock row of the event dispatcher, queued
imports' files, matching runs as jobs, webhook subscriptions and deliveries, the change feed's
positions on outbox events, reporting deadlines and the reminders already sent

Revision ID: c4a7e2d19b60
Revises: 9b3f6c2a1d58
Create Date: 2026-12-04 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import app.core.models

revision: str = "c4a7e2d19b60"
down_revision: str | None = "9b3f6c2a1d58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "succeeded",
                "dead",
                name="jobstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("subject_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("subject_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("dedupe_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("locked_until", app.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", app.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", app.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_jobs_dedupe_key")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_claim", ["status", "run_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "reminders_sent",
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("subject_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("due_key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("sent_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "subject_id", "due_key", name=op.f("pk_reminders_sent")),
    )
    op.create_table(
        "worker_locks",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_locks")),
    )
    op.create_table(
        "recommendation_import_files",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["recommendation_imports.id"],
            name=op.f("fk_recommendation_import_files_import_id_recommendation_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("import_id", name=op.f("pk_recommendation_import_files")),
    )
    op.create_table(
        "webhook_subscriptions",
        sa.Column("created_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "audience",
            sa.Enum("state", "ohchr", "public", name="visibility", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("state_code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column(
            "event_types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("secret", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column(
            "status",
            sa.Enum("active", "disabled", name="subscriptionstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("disabled_at", app.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failing_since", app.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["state_code"], ["states.code"], name=op.f("fk_webhook_subscriptions_state_code_states")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
    )
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_subscriptions_state_code"), ["state_code"], unique=False
        )

    op.create_table(
        "reporting_deadlines",
        sa.Column("created_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("state_code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("recommendation_id", sa.Uuid(), nullable=True),
        sa.Column("cluster_id", sa.Uuid(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["recommendation_clusters.id"],
            name=op.f("fk_reporting_deadlines_cluster_id_recommendation_clusters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
            name=op.f("fk_reporting_deadlines_recommendation_id_recommendations"),
        ),
        sa.ForeignKeyConstraint(
            ["state_code"], ["states.code"], name=op.f("fk_reporting_deadlines_state_code_states")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporting_deadlines")),
    )
    with op.batch_alter_table("reporting_deadlines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reporting_deadlines_due_on"), ["due_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reporting_deadlines_state_code"), ["state_code"], unique=False
        )

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column(
            "body",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "succeeded",
                "failed",
                name="deliverystatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_response_status", sa.Integer(), nullable=True),
        sa.Column("last_duration_ms", sa.Float(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", app.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "attempt_log",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", app.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscriptions.id"],
            name=op.f("fk_webhook_deliveries_subscription_id_webhook_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint(
            "subscription_id", "event_id", name=op.f("uq_webhook_deliveries_subscription_id")
        ),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_subscription_id"), ["subscription_id"], unique=False
        )

    with op.batch_alter_table("matching_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="succeeded",
            )
        )
        batch_op.add_column(
            sa.Column(
                "requested_ids",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("started_at", app.core.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("finished_at", app.core.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=True))

    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.drop_index(batch_op.f("ix_outbox_events_delivered_at"))
        batch_op.alter_column("delivered_at", new_column_name="dispatched_at")
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_events_dispatched_at"), ["dispatched_at"], unique=False
        )
        batch_op.create_unique_constraint(batch_op.f("uq_outbox_events_position"), ["position"])
    with op.batch_alter_table("matching_runs", schema=None) as batch_op:
        batch_op.alter_column("status", server_default=None)
    op.bulk_insert(sa.table("worker_locks", sa.column("name", sa.String)), [{"name": "dispatch"}])


def downgrade() -> None:
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_outbox_events_position"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_outbox_events_dispatched_at"))
        batch_op.alter_column("dispatched_at", new_column_name="delivered_at")
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_events_delivered_at"), ["delivered_at"], unique=False
        )
        batch_op.drop_column("position")

    with op.batch_alter_table("matching_runs", schema=None) as batch_op:
        batch_op.drop_column("error")
        batch_op.drop_column("finished_at")
        batch_op.drop_column("started_at")
        batch_op.drop_column("requested_ids")
        batch_op.drop_column("status")

    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_created_at"))

    op.drop_table("webhook_deliveries")
    with op.batch_alter_table("reporting_deadlines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reporting_deadlines_state_code"))
        batch_op.drop_index(batch_op.f("ix_reporting_deadlines_due_on"))

    op.drop_table("reporting_deadlines")
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_subscriptions_state_code"))

    op.drop_table("webhook_subscriptions")
    op.drop_table("recommendation_import_files")
    op.drop_table("worker_locks")
    op.drop_table("reminders_sent")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_subject_id"))
        batch_op.drop_index(batch_op.f("ix_jobs_kind"))
        batch_op.drop_index("ix_jobs_claim")

    op.drop_table("jobs")
