"""The administrators' command line, on a real database file."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from app.__main__ import main
from app.analytics.assistance import OUTCOME_NAMES
from app.assistance.models import AssistanceRequest, RequestTransition
from app.auth.models import ApiClient, User
from app.core.db import Database
from app.core.settings import get_settings
from app.demo_history import REQUESTS
from app.expertise.models import Assignment, Provider
from app.matching.models import MatchingRun
from app.progress.models import ProgressReport
from app.recommendations.models import Recommendation
from app.shortfalls.models import Shortfall
from tests.conftest import make_settings
from tests.databases import throwaway_database
from tests.factories import auth

ANALYTICS = "/api/v1/analytics/assistance"
SEEDED = (
    User,
    ApiClient,
    Recommendation,
    ProgressReport,
    Shortfall,
    AssistanceRequest,
    RequestTransition,
    Provider,
    Assignment,
    MatchingRun,
)


@pytest.fixture
def cli_database(fresh_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("DATABASE_URL", fresh_database)
    get_settings.cache_clear()
    database = Database.from_url(fresh_database)
    yield database
    database.dispose()
    get_settings.cache_clear()


def _count(database: Database, model: type) -> int:
    with Session(database.engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def _counts(database: Database) -> dict[str, int]:
    return {model.__name__: _count(database, model) for model in SEEDED}


def test_seed_demo_creates_a_working_demo_and_can_run_again(
    cli_database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["seed-demo"]) == 0
    assert "focal.wsm@demo.item10.org" in capsys.readouterr().out
    seeded = _counts(cli_database)
    assert main(["seed-demo"]) == 0
    assert _counts(cli_database) == seeded
    assert seeded["User"] == 6
    assert seeded["AssistanceRequest"] == 1 + sum(len(paths) for paths in REQUESTS.values())


@pytest.fixture(scope="module")
def seeded_url(workdir: Path, database_url: str, engine: Engine) -> Iterator[str]:
    """One database through `seed-demo`, read by the tests of the demo's figures."""
    engine.dispose()  # PostgreSQL copies a template only while nobody is connected to it
    with throwaway_database(workdir, template=database_url) as url:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("DATABASE_URL", url)
            get_settings.cache_clear()
            assert main(["seed-demo"]) == 0
        get_settings.cache_clear()
        yield url


@pytest.fixture
def demo_client(shared_app: FastAPI, seeded_url: str) -> Iterator[TestClient]:
    shared_app.state.settings = make_settings(seeded_url)
    shared_app.state.database = Database.from_url(seeded_url)
    with TestClient(shared_app, raise_server_exceptions=False) as client:
        yield client
    shared_app.state.database = None


def _as_officer(client: TestClient, params: dict[str, str]) -> dict[str, Any]:
    app: Any = client.app
    with app.state.database.session() as db:
        officer = db.exec(select(User).where(User.email == "officer@demo.item10.org")).one()
    response = client.get(ANALYTICS, params=params, headers=auth(app.state.settings, officer))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_seeded_demo_shows_the_officer_every_region_and_outcome(demo_client: TestClient) -> None:
    groups = _as_officer(demo_client, {"group_by": "region"})["groups"]
    assert {group["key"]["region"] for group in groups} == {
        "Africa",
        "Americas",
        "Asia",
        "Europe",
        "Oceania",
    }
    for outcome in OUTCOME_NAMES:
        assert sum(group["outcomes"][outcome]["requests"] for group in groups) >= 1, outcome


def test_seeded_demo_takes_working_days_to_accept_in_every_region(
    demo_client: TestClient,
) -> None:
    groups = _as_officer(demo_client, {"group_by": "region"})["groups"]
    medians = [group["time_to_stage"]["accepted"]["median_working_days"] for group in groups]
    assert all(median > 0 for median in medians), medians


def test_seeded_demo_shows_anonymous_callers_published_figures(demo_client: TestClient) -> None:
    everything = _as_officer(demo_client, {})["groups"][0]
    response = demo_client.get(ANALYTICS)
    assert response.status_code == 200
    (published,) = response.json()["groups"]
    assert published["requests"] is not None
    assert 3 <= published["requests"] < everything["requests"]
    assert published["acceptance_rate"] is not None


def test_seed_demo_is_refused_in_production(
    cli_database: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("JWT_SECRET", "p" * 40)
    get_settings.cache_clear()
    assert main(["seed-demo"]) == 1
    assert "refused in production" in capsys.readouterr().err
    assert _count(cli_database, User) == 0


def test_create_user_makes_the_first_administrator(
    cli_database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["create-user", "--email", "Chief@OHCHR.org", "--password", "a long enough password"]
    assert main([*args, "--role", "ohchr_admin"]) == 0
    assert "created ohchr_admin chief@ohchr.org" in capsys.readouterr().out
    assert main([*args, "--role", "ohchr_admin"]) == 1
    assert "already exists" in capsys.readouterr().err


def test_create_user_refuses_a_state_role_without_a_state(
    cli_database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["create-user", "--email", "a@b.org", "--password", "a long enough password"]
    assert main([*args, "--role", "state_focal_point"]) == 1
    assert "needs a state_code" in capsys.readouterr().err


def test_production_refuses_to_start_without_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from app.core.settings import Settings

    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.delenv("JWT_SECRET", raising=False)
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(_env_file=None)  # type: ignore[call-arg]
