"""Password and secret hashing, and the JWTs our token endpoint issues."""

import hashlib
import hmac
import secrets
import time
import uuid
from datetime import timedelta
from functools import cache, lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.core.errors import Unauthorized
from app.core.models import utcnow
from app.core.settings import Settings

# Fixed in code: a token's own header never chooses how it is verified (no `none`, no RS/HS swap).
JWT_ALGORITHM = "HS256"
ACCEPTED_ALGORITHMS = [JWT_ALGORITHM]
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "jti")

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def prepare_decoy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def burn_password_check(password: str) -> None:
    """Spend the time of a real check, so that an unknown account is not told apart by timing."""
    verify_password(prepare_decoy_hash(), password)


def new_client_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_client_secret(secret: str) -> str:
    # Client secrets are 256 random bits, not guessable passwords: a fast hash is enough.
    return hashlib.sha256(secret.encode()).hexdigest()


def client_secret_matches(secret_hash: str, secret: str) -> bool:
    return hmac.compare_digest(secret_hash, hash_client_secret(secret))


def issue_access_token(settings: Settings, subject: str, claims: dict[str, Any]) -> str:
    now = utcnow()
    payload = {
        **claims,
        "sub": subject,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=settings.access_token_minutes)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    from jose import jwt  # on first use: python-jose loads `cryptography`, about 9 MiB

    return jwt.encode(payload, settings.signing_secret(), algorithm=JWT_ALGORITHM)


def decode_access_token(settings: Settings, token: str) -> dict[str, Any]:
    """The claims of a token we issued and that has not expired; `Unauthorized` otherwise."""
    claims = _verified_claims(
        token, settings.signing_secret(), settings.jwt_audience, settings.jwt_issuer
    )
    if int(claims["exp"]) < int(time.time()):  # as python-jose compares, with no leeway
        raise Unauthorized("the access token is invalid or expired")
    return dict(claims)


# A caller sends the same token with every request, and the rate limiter and the route guard
# both read it: the signature and claims (expiry included) are checked once per token and key,
# and the expiry again at every later use (`decode_access_token`).
@lru_cache(maxsize=4096)
def _verified_claims(token: str, secret: str, audience: str, issuer: str) -> dict[str, Any]:
    from jose import JWTError, jwt  # on first use, as in `issue_access_token`

    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=ACCEPTED_ALGORITHMS,
            audience=audience,
            issuer=issuer,
            options={f"require_{claim}": True for claim in REQUIRED_CLAIMS},
        )
    except JWTError as exc:
        raise Unauthorized("the access token is invalid or expired") from exc
    return claims
