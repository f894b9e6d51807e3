"""The OAuth2 token endpoint's rules: password and client-credentials grants, with throttling.

Throttling stops guessing without handing anyone a way to lock an account's owner out. Every
refused attempt (wrong password or secret, unknown or deactivated account) is written to the
`login_failures` table, which every server process shares, under three keys:

- the pair (account, address): `LOGIN_ATTEMPTS_PER_MINUTE` failures in the last minute, then
  429 for that pair only: the same address may still sign in to other accounts, and other
  addresses to this one;
- the address, over every account: `SPRAY_SHARE` times as many in the last minute (password
  spraying), then 429 for every account from that address;
- the account, over every address: from `ACCOUNT_SHARE` times the limit in the last
  `ACCOUNT_WINDOW`, an address that has itself failed for this account in that window waits a
  delay that starts at one second and doubles with each further failure of the account, at most
  `MAX_DELAY_SECONDS` after its own last failure. An address with no failure for the account in
  that window is never held back by the account's count, so the owner can always sign in from
  an address that is not guessing.

An account is the normalised e-mail address for the password grant and the client_id for client
credentials; whether it exists plays no part, so throttling tells nothing about that either. A
success forgets only the failures of its own pair.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select

from app.auth.models import ApiClient, LoginFailure, User
from app.auth.schemas import TokenResponse
from app.core.errors import OAuthError, TooManyRequests
from app.core.models import utcnow
from app.core.principal import PrincipalKind
from app.core.security import (
    burn_password_check,
    client_secret_matches,
    hash_password,
    issue_access_token,
    password_needs_rehash,
    verify_password,
)
from app.core.settings import Settings

THROTTLE_WINDOW = timedelta(minutes=1)
SPRAY_SHARE = 5
ACCOUNT_WINDOW = timedelta(minutes=15)
ACCOUNT_SHARE = 10
MAX_DELAY_SECONDS = 300
MAX_KEY_LENGTH = 400  # the width of login_failures.key


@dataclass(frozen=True)
class Attempt:
    """The keys one token request's failure is counted under."""

    account: str
    address: str
    pair: str

    @classmethod
    def of(cls, account: str, address: str) -> "Attempt":
        return cls(
            account=_bounded(account),
            address=_bounded(f"address:{address}"),
            # An address never contains "|", so the pair cannot be read two ways.
            pair=_bounded(f"pair:{address}|{account}"),
        )


def password_grant(
    db: Session, settings: Settings, *, email: str, password: str, address: str
) -> TokenResponse:
    user = sign_in(db, settings, email=email, password=password, address=address)
    return _token(settings, PrincipalKind.user, user)


def sign_in(db: Session, settings: Settings, *, email: str, password: str, address: str) -> User:
    """A person's account, once the password is checked under the throttling rules above: the
    token endpoint and the officer console sign people in through this alone. A refusal is
    `OAuthError` (or `TooManyRequests`); the caller commits so that the failure counts."""
    email = email.strip().lower()
    attempt = Attempt.of(f"account:{email}", address)
    _refuse_if_throttled(db, settings, attempt)
    user = db.exec(select(User).where(User.email == email)).first()
    if user is None:
        burn_password_check(password)
    if user is None or not verify_password(user.password_hash, password):
        _record_failure(db, attempt)
        raise OAuthError("invalid_grant", "the email or password is not correct")
    if not user.is_active:
        _record_failure(db, attempt)
        raise OAuthError("invalid_grant", "this account has been deactivated")
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    _forget_failures(db, attempt)
    return user


def client_credentials_grant(
    db: Session, settings: Settings, *, client_id: str, client_secret: str, address: str
) -> TokenResponse:
    attempt = Attempt.of(f"client:{client_id}", address)
    _refuse_if_throttled(db, settings, attempt)
    client = db.exec(select(ApiClient).where(ApiClient.client_id == client_id)).first()
    if (
        client is None
        or not client.is_active
        or not client_secret_matches(client.secret_hash, client_secret)
    ):
        _record_failure(db, attempt)
        raise OAuthError("invalid_client", "unknown client, wrong secret or revoked", status=401)
    _forget_failures(db, attempt)
    return _token(settings, PrincipalKind.client, client)


def account_delay(account_failures: int, per_minute: int) -> int:
    """Seconds an address that is guessing at an account waits after its own last failure, given
    the account's failures from every address in the last `ACCOUNT_WINDOW`."""
    beyond = account_failures - ACCOUNT_SHARE * per_minute
    if beyond < 0:
        return 0
    return int(min(MAX_DELAY_SECONDS, 2 ** min(beyond, 16)))


def _token(settings: Settings, kind: PrincipalKind, account: User | ApiClient) -> TokenResponse:
    claims = {"role": account.role.value, "state": account.state_code}
    token = issue_access_token(settings, f"{kind}:{account.id}", claims)
    return TokenResponse(access_token=token, expires_in=settings.access_token_minutes * 60)


def _refuse_if_throttled(db: Session, settings: Settings, attempt: Attempt) -> None:
    now = utcnow()
    per_minute = settings.login_attempts_per_minute
    _refuse_over_limit(
        db,
        attempt.address,
        per_minute * SPRAY_SHARE,
        now,
        "too many failed sign-ins from this address; wait before trying again",
    )
    _refuse_over_limit(
        db,
        attempt.pair,
        per_minute,
        now,
        "too many failed sign-ins to this account from this address; wait before trying again",
    )
    _refuse_while_delayed(db, attempt, per_minute, now)


def _refuse_over_limit(db: Session, key: str, limit: int, now: datetime, detail: str) -> None:
    window_start = now - THROTTLE_WINDOW
    count, oldest = db.exec(
        select(func.count(), func.min(LoginFailure.at)).where(
            LoginFailure.key == key, LoginFailure.at > window_start
        )
    ).one()
    if count >= limit:
        raise TooManyRequests(detail, retry_after=_seconds_until(oldest - window_start))


def _refuse_while_delayed(db: Session, attempt: Attempt, per_minute: int, now: datetime) -> None:
    since = now - ACCOUNT_WINDOW
    last_here = db.exec(
        select(func.max(LoginFailure.at)).where(
            LoginFailure.key == attempt.pair, LoginFailure.at > since
        )
    ).one()
    if last_here is None:
        return  # this address is not guessing at this account
    account_failures = db.exec(
        select(func.count()).where(LoginFailure.key == attempt.account, LoginFailure.at > since)
    ).one()
    delay = account_delay(account_failures, per_minute)
    if delay and now < last_here + timedelta(seconds=delay):
        raise TooManyRequests(
            "this account has had many failed sign-ins; this address must wait before trying "
            "again (an address that has not failed for it is not held back)",
            retry_after=_seconds_until(last_here + timedelta(seconds=delay) - now),
        )


def _seconds_until(wait: timedelta) -> int:
    return max(1, math.ceil(wait.total_seconds()))


def _record_failure(db: Session, attempt: Attempt) -> None:
    now = utcnow()
    db.exec(delete(LoginFailure).where(LoginFailure.at < now - ACCOUNT_WINDOW))  # type: ignore[arg-type]
    db.add_all(
        LoginFailure(key=key, at=now) for key in (attempt.pair, attempt.address, attempt.account)
    )


def _forget_failures(db: Session, attempt: Attempt) -> None:
    """The address knows the password: it stops counting as guessing at this account. Other
    addresses' failures, the account's total and this address's total are kept."""
    db.exec(delete(LoginFailure).where(LoginFailure.key == attempt.pair))  # type: ignore[arg-type]


def _bounded(key: str) -> str:
    """The key itself, or when longer than the column a prefix of it and its SHA-256."""
    if len(key) <= MAX_KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{key[: MAX_KEY_LENGTH - len(digest) - 1]}#{digest}"
