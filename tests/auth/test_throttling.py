"""Throttling of failed sign-ins at `POST /api/v1/auth/token` (LOGIN_ATTEMPTS_PER_MINUTE): it
stops guessing without letting anyone who knows an e-mail address lock its owner out.

Failures are counted per (account, address) at the limit, per address across accounts at five
times it, and per account across addresses only for growing, capped delays on addresses that
are themselves guessing. Time passing is played by moving the recorded failures back."""

from datetime import timedelta

import argon2
import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select, update

from app.auth import tokens
from app.auth.models import LoginFailure
from app.core import security
from app.core.db import Database
from app.main import create_app
from tests.auth.test_tokens import (
    WRONG_PASSWORD,
    assert_oauth_error,
    client_grant,
    password_grant,
)
from tests.conftest import ConnectionDatabase, make_settings
from tests.core.test_problems import assert_problem
from tests.factories import DEFAULT_PASSWORD, make_client, make_user


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch):
    """Throttling does not depend on what a hash costs; these tests make dozens of attempts.
    Unknown accounts still verify against a decoy hash of the same parameters."""
    security.prepare_decoy_hash()  # the real, cached decoy, which app startup also asks for
    cheap = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    decoy = cheap.hash("decoy")
    monkeypatch.setattr(security, "_hasher", cheap)
    monkeypatch.setattr(security, "prepare_decoy_hash", lambda: decoy)


@pytest.fixture
def server(database_url, engine, connection):
    """A server process of its own with these settings; `server(...)(address)` is a client
    calling it from that address. Several servers share the test's database."""

    def build(**overrides):
        settings = make_settings(database_url, **overrides)
        app = create_app(settings, ConnectionDatabase(engine, connection))

        def client_at(address):
            return TestClient(app, raise_server_exceptions=False, client=(address, 50000))

        return client_at

    return build


def person(db):
    return make_user(db, password=DEFAULT_PASSWORD)  # hashed with the quick hasher


def failures_for(db, key):
    return db.exec(select(func.count()).where(LoginFailure.key == key)).one()


def time_passes(db, seconds):
    """Every recorded failure moves `seconds` into the past."""
    for row_id, at in db.exec(select(LoginFailure.id, LoginFailure.at)).all():
        db.exec(
            update(LoginFailure)
            .where(LoginFailure.id == row_id)
            .values(at=at - timedelta(seconds=seconds))
        )
    db.flush()


def fail_once_from_each(at, username, addresses):
    for address in addresses:
        response = password_grant(at(address), username, WRONG_PASSWORD)
        assert_oauth_error(response, 400, "invalid_grant")


def addresses(prefix, count):
    return [f"{prefix}.{n}" for n in range(1, count + 1)]


def assert_throttled(response):
    body = assert_problem(response, 429, "too-many-requests")
    return int(response.headers["retry-after"]), body


# One account from one address: LOGIN_ATTEMPTS_PER_MINUTE


def test_failures_from_one_address_throttle_that_address_for_that_account(db, server):
    user = person(db)
    at = server(login_attempts_per_minute=3)
    for _ in range(3):
        assert_oauth_error(
            password_grant(at("203.0.113.1"), user.email, WRONG_PASSWORD), 400, "invalid_grant"
        )

    retry_after, _ = assert_throttled(password_grant(at("203.0.113.1"), user.email))
    assert 1 <= retry_after <= 60
    assert failures_for(db, f"pair:203.0.113.1|account:{user.email}") == 3  # a 429 is not counted


def test_the_right_password_from_another_address_signs_in_while_one_is_throttled(db, server):
    user = person(db)
    at = server(login_attempts_per_minute=3)
    fail_once_from_each(at, user.email, ["203.0.113.1"] * 3)
    assert_throttled(password_grant(at("203.0.113.1"), user.email))

    response = password_grant(at("203.0.113.2"), user.email)
    assert response.status_code == 200, response.text
    assert response.json()["access_token"]


def test_an_address_throttled_for_one_account_still_signs_in_to_another(db, server):
    victim, neighbour = person(db), person(db)
    at = server(login_attempts_per_minute=3)
    fail_once_from_each(at, victim.email, ["198.51.100.7"] * 3)
    assert_throttled(password_grant(at("198.51.100.7"), victim.email))

    assert password_grant(at("198.51.100.7"), neighbour.email).status_code == 200


def test_the_throttle_of_an_address_for_an_account_ends_after_a_minute(db, server):
    user = person(db)
    at = server(login_attempts_per_minute=3)
    fail_once_from_each(at, user.email, ["203.0.113.1"] * 3)
    time_passes(db, 59)
    retry_after, _ = assert_throttled(password_grant(at("203.0.113.1"), user.email))
    assert retry_after == 1
    time_passes(db, 1)
    assert password_grant(at("203.0.113.1"), user.email).status_code == 200


def test_an_unknown_account_is_throttled_exactly_like_a_known_one(db, server):
    user = person(db)
    at = server(login_attempts_per_minute=2)
    fail_once_from_each(at, user.email, ["192.0.2.1"] * 2)
    fail_once_from_each(at, "nobody@example.org", ["192.0.2.1"] * 2)

    known = password_grant(at("192.0.2.1"), user.email)
    unknown = password_grant(at("192.0.2.1"), "nobody@example.org")
    _, known_body = assert_throttled(known)
    _, unknown_body = assert_throttled(unknown)
    del known_body["request_id"], unknown_body["request_id"]
    assert known_body == unknown_body


# One address across accounts (password spraying): five times the limit


def test_an_address_failing_across_accounts_is_throttled_at_five_times_the_limit(db, server):
    user = person(db)
    at = server(login_attempts_per_minute=2)
    for n in range(5):  # two failures for each of five accounts: no pair reaches its limit
        fail_once_from_each(at, f"sprayed-{n}@example.org", ["198.51.100.9"] * 2)

    retry_after, body = assert_throttled(password_grant(at("198.51.100.9"), user.email))
    assert 1 <= retry_after <= 60
    assert "from this address" in body["detail"]
    assert password_grant(at("198.51.100.10"), user.email).status_code == 200


def test_an_address_just_below_the_spraying_limit_still_signs_in_to_another_account(db, server):
    user = person(db)
    at = server(login_attempts_per_minute=2)
    for n in range(9):
        fail_once_from_each(at, f"sprayed-{n}@example.org", ["198.51.100.9"])
    assert password_grant(at("198.51.100.9"), user.email).status_code == 200


# One account across addresses: growing delays, never a lock


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(0, 0), (19, 0), (20, 1), (21, 2), (22, 4), (27, 128), (28, 256), (29, 300), (10_000, 300)],
)
def test_the_account_delay_doubles_from_ten_times_the_limit_up_to_five_minutes(failures, delay):
    assert tokens.account_delay(failures, per_minute=2) == delay


def test_failures_from_many_addresses_never_block_an_address_that_has_not_failed(db, server):
    user = person(db)
    at = server(login_attempts_per_minute=2)
    fail_once_from_each(at, user.email, addresses("192.0.2", 40))  # 20 past the threshold

    response = password_grant(at("203.0.113.50"), user.email)
    assert response.status_code == 200, response.text


def test_an_address_that_has_not_failed_is_answered_on_the_password_not_refused(db, server):
    user = person(db)
    at = server(login_attempts_per_minute=2)
    fail_once_from_each(at, user.email, addresses("192.0.2", 40))
    assert_oauth_error(
        password_grant(at("203.0.113.50"), user.email, WRONG_PASSWORD), 400, "invalid_grant"
    )


def test_a_guessing_address_waits_a_delay_that_grows_with_the_accounts_failures(db, server):
    user = person(db)
    at = server(login_attempts_per_minute=2)
    fail_once_from_each(at, user.email, addresses("192.0.2", 20))  # at the threshold
    time_passes(db, 61)
    guesser = "192.0.2.1"
    fail_once_from_each(at, user.email, [guesser])  # 21 failures: wait 2 seconds

    waits = [assert_throttled(password_grant(at(guesser), user.email))[0]]
    for fresh in addresses("198.51.100", 2):  # 22, then 23 failures: 4, then 8 seconds
        fail_once_from_each(at, user.email, [fresh])
        waits.append(assert_throttled(password_grant(at(guesser), user.email))[0])

    assert waits == [2, 4, 8]
    assert password_grant(at("203.0.113.50"), user.email).status_code == 200
    time_passes(db, 8)
    assert password_grant(at(guesser), user.email).status_code == 200


def test_the_delay_is_capped_so_a_guessing_address_is_never_locked_out(db, server):
    user = person(db)
    at = server(login_attempts_per_minute=2)
    fail_once_from_each(at, user.email, addresses("192.0.2", 40))
    guesser = "192.0.2.40"

    retry_after, body = assert_throttled(password_grant(at(guesser), user.email))
    assert 295 <= retry_after <= 300
    assert "this address must wait" in body["detail"]
    time_passes(db, 300)
    assert password_grant(at(guesser), user.email).status_code == 200


def test_the_account_count_covers_fifteen_minutes(db, server):
    user = person(db)
    at = server(login_attempts_per_minute=2)
    fail_once_from_each(at, user.email, addresses("192.0.2", 40))
    time_passes(db, 15 * 60 - 30)
    # Its own last failure is 14.5 minutes old, past the longest delay: it may try again, and
    # having failed again it waits, for the forty still count.
    fail_once_from_each(at, user.email, ["192.0.2.1"])
    assert_throttled(password_grant(at("192.0.2.1"), user.email))
    time_passes(db, 31)  # the forty have left the window; its one new failure is no threshold
    assert password_grant(at("192.0.2.1"), user.email).status_code == 200


def test_failures_older_than_the_account_window_are_deleted(db, server):
    user = person(db)
    at = server(login_attempts_per_minute=2)
    fail_once_from_each(at, user.email, ["192.0.2.1"])
    time_passes(db, 15 * 60 + 1)
    fail_once_from_each(at, user.email, ["192.0.2.2"])
    assert db.exec(select(func.count()).select_from(LoginFailure)).one() == 3


# A success


def test_a_success_forgets_only_the_failures_of_its_own_address_for_that_account(db, server):
    user = person(db)
    at = server(login_attempts_per_minute=3)
    fail_once_from_each(at, user.email, ["203.0.113.1"] * 2 + ["203.0.113.2"] * 2)

    assert password_grant(at("203.0.113.1"), user.email).status_code == 200

    assert failures_for(db, f"pair:203.0.113.1|account:{user.email}") == 0
    assert failures_for(db, f"pair:203.0.113.2|account:{user.email}") == 2
    assert failures_for(db, "address:203.0.113.1") == 2
    assert failures_for(db, f"account:{user.email}") == 4
    fail_once_from_each(at, user.email, ["203.0.113.2"])
    assert_throttled(password_grant(at("203.0.113.2"), user.email))


def test_signing_in_to_ones_own_account_does_not_clear_an_addresss_spraying(db, server):
    own = person(db)
    at = server(login_attempts_per_minute=1)
    for n in range(4):
        fail_once_from_each(at, f"sprayed-{n}@example.org", ["198.51.100.9"])
    assert password_grant(at("198.51.100.9"), own.email).status_code == 200
    fail_once_from_each(at, "sprayed-4@example.org", ["198.51.100.9"])
    assert_throttled(password_grant(at("198.51.100.9"), own.email))


# Client credentials: the same rules, by client_id


def test_client_credentials_are_throttled_per_client_and_address(db, server):
    api_client = make_client(db)
    at = server(login_attempts_per_minute=3)
    for _ in range(3):
        response = client_grant(at("198.51.100.8"), api_client.client_id, "wrong")
        assert_oauth_error(response, 401, "invalid_client")

    assert_throttled(client_grant(at("198.51.100.8"), api_client.client_id))
    assert client_grant(at("198.51.100.9"), api_client.client_id).status_code == 200


def test_a_client_under_attack_from_many_addresses_still_gets_a_token_from_its_own(db, server):
    api_client = make_client(db)
    at = server(login_attempts_per_minute=2)
    for address in addresses("192.0.2", 40):
        response = client_grant(at(address), api_client.client_id, "wrong")
        assert_oauth_error(response, 401, "invalid_client")

    retry_after, _ = assert_throttled(client_grant(at("192.0.2.40"), api_client.client_id))
    assert retry_after > 60  # the growing delay, beyond the one-minute window
    assert client_grant(at("203.0.113.50"), api_client.client_id).status_code == 200


# What is recorded, and where


def test_a_failure_is_recorded_under_its_pair_its_address_and_its_account(client, db):
    user = person(db)
    password_grant(client, user.email, WRONG_PASSWORD)
    assert failures_for(db, f"pair:testclient|account:{user.email}") == 1
    assert failures_for(db, "address:testclient") == 1
    assert failures_for(db, f"account:{user.email}") == 1


def test_another_server_process_sees_the_failures(db, server):
    user = person(db)
    first, second = server(login_attempts_per_minute=2), server(login_attempts_per_minute=2)
    fail_once_from_each(first, user.email, ["203.0.113.1"] * 2)
    assert_throttled(password_grant(second("203.0.113.1"), user.email))


def test_a_username_longer_than_the_key_column_is_counted_under_a_bounded_key(db, server):
    at = server(login_attempts_per_minute=2)
    username = "x" * 1000 + "@example.org"
    fail_once_from_each(at, username, ["192.0.2.1"] * 2)
    other = "x" * 1000 + "@example.net"  # the same first 400 characters, another account
    fail_once_from_each(at, other, ["192.0.2.1"])

    assert_throttled(password_grant(at("192.0.2.1"), username))
    keys = db.exec(select(LoginFailure.key)).all()
    assert max(len(key) for key in keys) <= 400
    assert len(set(keys)) == 5  # two pairs, one address, two accounts


def test_failure_records_survive_the_failed_requests_rollback(fresh_database):
    """With real commits: the request's transaction rolls back, the failure count stays."""
    database = Database.from_url(fresh_database)
    try:
        with database.transaction() as session:
            email = person(session).email
        app = create_app(make_settings(fresh_database), database)
        with TestClient(app, raise_server_exceptions=False) as client:
            response = password_grant(client, email, WRONG_PASSWORD)
        assert_oauth_error(response, 400, "invalid_grant")
        with database.session() as session:
            keys = session.exec(select(LoginFailure.key)).all()
        assert sorted(keys) == sorted(
            [f"account:{email}", "address:testclient", f"pair:testclient|account:{email}"]
        )
    finally:
        database.dispose()
