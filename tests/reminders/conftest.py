import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from app.core.settings import Settings
from tests.conftest import make_settings
from tests.reminders.support import PUBLIC_URL, SENDER, SmtpServer, start_smtp_server


@pytest.fixture(autouse=True)
def quiet_smtp_server() -> None:
    """aiosmtpd logs each command it reads at INFO."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = start_smtp_server()
    yield server
    server.stop()


@pytest.fixture
def mail_settings(app: FastAPI, database_url: str, smtp: SmtpServer) -> Settings:
    """The app's settings with e-mail on, through the test's SMTP server."""
    settings = make_settings(
        database_url, smtp_url=smtp.url, smtp_from=SENDER, public_url=PUBLIC_URL
    )
    app.state.settings = settings
    return settings
