"""The worker's wiring: every kind of job and every periodic duty, from the domains that own
them (`python -m app worker`, and the web process's own worker in development)."""

import logging
from collections.abc import Mapping

from app.core.db import Database
from app.core.settings import Settings
from app.jobs.worker import JobKind, Tick, Worker

log = logging.getLogger(__name__)


def job_kinds() -> Mapping[str, JobKind]:
    kinds: tuple[JobKind, ...] = ()
    return {kind.name: kind for kind in kinds}


def ticks() -> tuple[Tick, ...]:
    return ()


def build_worker(settings: Settings, database: Database, *, heartbeats: bool = True) -> Worker:
    return Worker(database, settings, job_kinds(), ticks(), heartbeats=heartbeats)
