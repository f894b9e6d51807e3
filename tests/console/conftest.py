"""The console's tests sign in through the real form many times: passwords are hashed cheaply
here (unknown accounts still verify against a decoy of the same cost)."""

from collections.abc import Iterator

import argon2
import pytest

from app.core import security


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    security.prepare_decoy_hash()
    cheap = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    decoy = cheap.hash("decoy")
    monkeypatch.setattr(security, "_hasher", cheap)
    monkeypatch.setattr(security, "prepare_decoy_hash", lambda: decoy)
    yield
