"""Fixtures the lifecycle tests share with the concurrency tests."""

from tests.core.test_concurrency import live  # noqa: F401  (a fixture, registered by import)
