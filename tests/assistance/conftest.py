"""The app under other settings (priority weights, service targets), on the test's transaction."""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import make_settings

ClientWith = Callable[..., AbstractContextManager[TestClient]]


@pytest.fixture
def client_with(app: FastAPI, client: TestClient, database_url: str) -> ClientWith:
    """`with client_with(priority_weights={...}) as client:` — the app reads its settings from
    `app.state` on every request, as in production; inside the block they are these."""

    @contextmanager
    def configured(**overrides: object) -> Iterator[TestClient]:
        original = app.state.settings
        app.state.settings = make_settings(database_url, **overrides)
        try:
            yield client
        finally:
            app.state.settings = original

    return configured
