"""What the fault tests share: a State member and a recommendation in a database of their own,
and the check that an answer is the "retry shortly" 503."""

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from app.core.db import Database
from app.core.principal import Role
from tests.conftest import make_settings
from tests.core.test_problems import assert_problem
from tests.factories import auth, make_user
from tests.progress.support import make_bare_recommendation

SHORTFALLS = "/api/v1/shortfalls"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "restarts_database: stops and starts the local PostgreSQL server "
        "(deselect with -m 'not restarts_database')",
    )


@dataclass(frozen=True)
class StateMember:
    """A State contributor's headers and a recommendation of that State to write about."""

    headers: dict[str, str]
    recommendation_id: uuid.UUID

    def shortfall(self, description: str = "No budget line for the mechanism.") -> dict[str, Any]:
        return {
            "recommendation_ids": [str(self.recommendation_id)],
            "barrier_type": "financial",
            "severity": "high",
            "description": description,
        }


def seed_state_members(
    database_url: str, count: int = 1, *, state: str = "WSM"
) -> list[StateMember]:
    """Committed, so that a server on `database_url` sees them."""
    settings = make_settings(database_url)
    database = Database.from_url(database_url)
    try:
        with database.transaction() as db:
            recommendation = make_bare_recommendation(db, state=state)
            users = [make_user(db, role=Role.state_contributor, state=state) for _ in range(count)]
        return [StateMember(auth(settings, user), recommendation.id) for user in users]
    finally:
        database.dispose()


def assert_retry_shortly(response: httpx.Response) -> None:
    """503 problem+json with a Retry-After of whole seconds."""
    assert_problem(response, 503, "service-unavailable")
    assert int(response.headers["retry-after"]) > 0
