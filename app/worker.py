"""The worker's wiring: every kind of job and every periodic duty, from the domains that own
them (`python -m app worker`, and the web process's own worker in development)."""

import logging
from collections.abc import Mapping

from app.core.db import Database
from app.core.settings import Settings
from app.jobs.worker import JobKind, Tick, Worker
from app.matching.jobs import MATCHING_JOB
from app.recommendations.jobs import IMPORT_JOB
from app.reminders.daily import DAILY_JOB, DAILY_TICK
from app.reminders.mail import EMAIL, startup_notice
from app.webhooks.delivery import DELIVERY_KIND
from app.webhooks.dispatch import DISPATCH_TICK

log = logging.getLogger(__name__)


def job_kinds() -> Mapping[str, JobKind]:
    kinds: tuple[JobKind, ...] = (DAILY_JOB, EMAIL, DELIVERY_KIND, IMPORT_JOB, MATCHING_JOB)
    return {kind.name: kind for kind in kinds}


def ticks() -> tuple[Tick, ...]:
    return (DISPATCH_TICK, DAILY_TICK)


def build_worker(settings: Settings, database: Database, *, heartbeats: bool = True) -> Worker:
    startup_notice(settings)
    return Worker(database, settings, job_kinds(), ticks(), heartbeats=heartbeats)
