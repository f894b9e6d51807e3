"""What only shortfalls have: the `barrier_type`, `severity` and `resolved` list filters. (What
they share with progress reports: tests/progress.)"""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from tests.core.test_problems import assert_problem
from tests.progress.support import (
    RESOLUTION,
    SHORTFALL,
    caller,
    listed_ids,
    make_owned,
    moved,
)


@pytest.fixture
def three(client: TestClient, db: Session, settings: Settings) -> dict[str, str]:
    """Three published shortfalls of Nepal; `legal` is resolved."""
    made = {
        "money": make_owned(db, settings, SHORTFALL, state="NPL", stage="published"),
        "legal": make_owned(
            db,
            settings,
            SHORTFALL,
            state="NPL",
            stage="published",
            barrier_type="legislative",
            severity="low",
        ),
        "skills": make_owned(
            db,
            settings,
            SHORTFALL,
            state="NPL",
            stage="published",
            barrier_type="technical_expertise",
            severity="critical",
        ),
    }
    legal = made["legal"]
    moved(client.post(f"{legal.url}/resolve", json=RESOLUTION, headers=legal.focal))
    return {name: owned.id for name, owned in made.items()}


FILTERS = {
    "barrier_type=financial": ["money"],
    "barrier_type=legislative": ["legal"],
    "barrier_type=institutional_coordination": [],
    "severity=high": ["money"],
    "severity=critical": ["skills"],
    "resolved=true": ["legal"],
    "resolved=false": ["money", "skills"],
    "barrier_type=legislative&resolved=false": [],
    "severity=low&barrier_type=legislative": ["legal"],
}


@pytest.mark.parametrize("reader", [None, Role.ohchr_officer, Role.state_contributor])
@pytest.mark.parametrize(("query", "expected"), FILTERS.items(), ids=FILTERS.keys())
def test_a_list_filter_keeps_exactly_the_shortfalls_that_match(
    client: TestClient,
    db: Session,
    settings: Settings,
    three: dict[str, str],
    query: str,
    expected: list[str],
    reader: Role | None,
) -> None:
    headers = caller(db, settings, reader, "WSM")

    listed = listed_ids(client, f"{SHORTFALL.url}?{query}", headers)

    assert sorted(listed) == sorted(three[name] for name in expected)


@pytest.mark.parametrize(
    "query", ["barrier_type=money", "severity=extreme", "stage=archived", "resolved=perhaps"]
)
def test_a_list_filter_outside_its_vocabulary_is_422(client: TestClient, query: str) -> None:
    assert_problem(client.get(f"{SHORTFALL.url}?{query}"), 422, "validation-error")
