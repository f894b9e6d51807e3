"""Many writers at once through a real server: each write waits its turn for the database or,
past the wait, is answered 503 with Retry-After; never a 500, and every write that was
acknowledged is stored.

On SQLite the writers contend for the one write lock (taken up front, then waited for up to the
busy timeout); on PostgreSQL for the connection pool.
"""

import sqlite3
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url
from sqlmodel import col, select

from app.core.db import Database
from app.shortfalls.models import Shortfall
from tests.databases import is_postgres
from tests.faults.conftest import SHORTFALLS, StateMember, assert_retry_shortly, seed_state_members
from tests.faults.live_server import live_server

WRITERS = 16
WRITES_EACH = 8
SHORT_BUSY_TIMEOUT_SECONDS = 0.5


def stored_shortfall_ids(database_url: str) -> set[str]:
    database = Database.from_url(database_url)
    try:
        with database.session() as db:
            return {str(sid) for sid in db.exec(select(col(Shortfall.id))).all()}
    finally:
        database.dispose()


def test_concurrent_writers_get_201_or_503_never_500_and_every_201_is_stored(
    fresh_database: str, tmp_path: Path
) -> None:
    members = seed_state_members(fresh_database, WRITERS)
    start = threading.Barrier(WRITERS)

    with live_server(fresh_database, tmp_path) as server:

        def write_all(member: StateMember) -> list[httpx.Response]:
            with server.client(timeout=60) as client:
                start.wait()
                return [
                    client.post(
                        SHORTFALLS, json=member.shortfall(f"Barrier {n}"), headers=member.headers
                    )
                    for n in range(WRITES_EACH)
                ]

        with ThreadPoolExecutor(WRITERS) as pool:
            answers = [r for answered in pool.map(write_all, members) for r in answered]

    statuses = Counter(response.status_code for response in answers)
    assert set(statuses) <= {201, 503}, statuses
    for response in answers:
        if response.status_code == 503:
            assert_retry_shortly(response)
    acknowledged = {response.json()["id"] for response in answers if response.status_code == 201}
    assert len(acknowledged) == statuses[201] > 0
    assert stored_shortfall_ids(fresh_database) == acknowledged


@pytest.mark.skipif(is_postgres(), reason="SQLite's single write lock")
def test_a_write_that_outwaits_the_sqlite_lock_is_503_and_succeeds_once_it_is_free(
    fresh_database: str, tmp_path: Path
) -> None:
    member = seed_state_members(fresh_database)[0]
    impatient = f"{fresh_database}?timeout={SHORT_BUSY_TIMEOUT_SECONDS}"
    holder = sqlite3.connect(make_url(fresh_database).database or "", isolation_level=None)

    with live_server(impatient, tmp_path) as server, server.client(timeout=30) as client:
        holder.execute("BEGIN IMMEDIATE")  # another process's long write transaction
        try:
            started = time.monotonic()
            refused = client.post(SHORTFALLS, json=member.shortfall(), headers=member.headers)
            waited = time.monotonic() - started
            read = client.get(SHORTFALLS, headers=member.headers)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        accepted = client.post(SHORTFALLS, json=member.shortfall(), headers=member.headers)

    assert_retry_shortly(refused)
    assert SHORT_BUSY_TIMEOUT_SECONDS * 0.8 <= waited < 5, waited
    assert read.status_code == 200, read.text  # readers are never blocked by the writer
    assert accepted.status_code == 201, accepted.text
    assert stored_shortfall_ids(fresh_database) == {accepted.json()["id"]}
