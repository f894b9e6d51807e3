"""What the webhook tests share: settings that let deliveries reach a receiver on 127.0.0.1
(with a short timeout), the receiver, and callers."""

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import update
from sqlmodel import Session, col

from app.core.models import utcnow
from app.core.settings import Settings
from app.jobs.models import Job, JobStatus
from tests.conftest import make_settings
from tests.webhooks.receiver import Receiver

TIMEOUT_S = 1.0


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(
        database_url,
        webhook_allow_private_addresses=True,
        webhook_timeout_seconds=TIMEOUT_S,
        public_url="https://item10.example.org",
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def make_jobs_due(db: Session, *, at: dt.datetime | None = None) -> int:
    """Bring every queued job's next attempt to now, as if its delay had passed."""
    result = db.execute(
        update(Job).where(col(Job.status) == JobStatus.queued).values(run_at=at or utcnow())
    )
    db.flush()
    return int(result.rowcount)  # type: ignore[attr-defined]
