"""Durable jobs: the work a worker process does outside any request.

A job is written in the transaction of the change that asks for it, so a rolled-back request
leaves no job and a committed one never loses it.
"""

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

from app.core.models import JSONType, UTCDateTime, enum_type, new_id, utcnow


class JobStatus(StrEnum):
    """`queued` (waiting for its `run_at`, a retry included), `running` (claimed under a lease),
    `succeeded`, or `dead` (every attempt failed; kept, and an administrator may retry it)."""

    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    dead = "dead"


class Job(SQLModel, table=True):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_claim", "status", "run_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    kind: str = Field(max_length=64, index=True)
    status: JobStatus = Field(default=JobStatus.queued, sa_type=enum_type(JobStatus, 16))
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    # The object the job works on (`recommendation_import`, a run's id, ...), for the job list.
    subject_type: str | None = Field(default=None, max_length=64)
    subject_id: str | None = Field(default=None, max_length=64, index=True)
    # At most one job ever per key (a day's reminders): how a schedule runs once across workers.
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    attempts: int = 0
    max_attempts: int = 1
    run_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    locked_by: str | None = Field(default=None, max_length=200)
    locked_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_by_id: uuid.UUID | None = Field(default=None)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class WorkerLock(SQLModel, table=True):
    """One row per task that only one worker at a time may do (putting events in order). A worker
    holds it by locking the row for the length of its transaction, skipping it if another
    worker has it; on SQLite the database's single writer does the same."""

    __tablename__ = "worker_locks"

    name: str = Field(max_length=64, primary_key=True)
