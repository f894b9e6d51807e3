"""The OAuth2 token endpoint's rules: password and client-credentials grants, with throttling."""

from datetime import timedelta

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


def password_grant(
    db: Session, settings: Settings, *, email: str, password: str, address: str
) -> TokenResponse:
    keys = [f"account:{email.strip().lower()}", f"address:{address}"]
    _refuse_if_throttled(db, settings, keys)
    user = db.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        burn_password_check(password)
    if user is None or not verify_password(user.password_hash, password):
        _record_failure(db, keys)
        raise OAuthError("invalid_grant", "the email or password is not correct")
    if not user.is_active:
        _record_failure(db, keys)
        raise OAuthError("invalid_grant", "this account has been deactivated")
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    _forget_failures(db, keys[0])
    return _token(settings, PrincipalKind.user, user)


def client_credentials_grant(
    db: Session, settings: Settings, *, client_id: str, client_secret: str, address: str
) -> TokenResponse:
    keys = [f"client:{client_id}", f"address:{address}"]
    _refuse_if_throttled(db, settings, keys)
    client = db.exec(select(ApiClient).where(ApiClient.client_id == client_id)).first()
    if (
        client is None
        or not client.is_active
        or not client_secret_matches(client.secret_hash, client_secret)
    ):
        _record_failure(db, keys)
        raise OAuthError("invalid_client", "unknown client, wrong secret or revoked", status=401)
    return _token(settings, PrincipalKind.client, client)


def _token(settings: Settings, kind: PrincipalKind, account: User | ApiClient) -> TokenResponse:
    claims = {"role": account.role.value, "state": account.state_code}
    token = issue_access_token(settings, f"{kind}:{account.id}", claims)
    return TokenResponse(access_token=token, expires_in=settings.access_token_minutes * 60)


def _refuse_if_throttled(db: Session, settings: Settings, keys: list[str]) -> None:
    window_start = utcnow() - THROTTLE_WINDOW
    for key in keys:
        count, oldest = db.exec(
            select(func.count(), func.min(LoginFailure.at)).where(
                LoginFailure.key == key, LoginFailure.at > window_start
            )
        ).one()
        if count >= settings.login_attempts_per_minute:
            retry_after = int((oldest - window_start).total_seconds()) + 1
            raise TooManyRequests(
                "too many failed sign-ins; wait before trying again", retry_after=retry_after
            )


def _record_failure(db: Session, keys: list[str]) -> None:
    now = utcnow()
    db.exec(delete(LoginFailure).where(LoginFailure.at < now - 2 * THROTTLE_WINDOW))  # type: ignore[arg-type]
    db.add_all(LoginFailure(key=key, at=now) for key in keys)


def _forget_failures(db: Session, key: str) -> None:
    db.exec(delete(LoginFailure).where(LoginFailure.key == key))  # type: ignore[arg-type]
