"""Shared fixtures of the console's server-side tests (the browser tests have their own)."""

import argon2
import pytest

from app.core import security


@pytest.fixture
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests sign in through the real form many times: passwords are hashed cheaply
    (unknown accounts still verify against a decoy of the same cost). Used by each module with
    `pytestmark = pytest.mark.usefixtures("quick_hashing")`."""
    security.prepare_decoy_hash()
    cheap = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    decoy = cheap.hash("decoy")
    monkeypatch.setattr(security, "_hasher", cheap)
    monkeypatch.setattr(security, "prepare_decoy_hash", lambda: decoy)
