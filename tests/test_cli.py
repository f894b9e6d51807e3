"""The administrators' command line, on a real database file."""

from collections.abc import Iterator

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.__main__ import main
from app.assistance.models import AssistanceRequest
from app.auth.models import User
from app.core.db import Database
from app.core.settings import get_settings
from app.progress.models import ProgressReport


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


def test_seed_demo_creates_a_working_demo_and_can_run_again(
    cli_database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["seed-demo"]) == 0
    assert "focal.wsm@demo.item10.org" in capsys.readouterr().out
    assert main(["seed-demo"]) == 0
    assert _count(cli_database, User) == 6
    assert _count(cli_database, ProgressReport) == 1
    assert _count(cli_database, AssistanceRequest) == 1


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
