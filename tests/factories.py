"""Small keyword-only factories; each test builds exactly the data it needs."""

import uuid
from functools import cache

from sqlmodel import Session

from app.auth.models import ApiClient, Role, User
from app.auth.principal import PrincipalKind
from app.core.security import hash_client_secret, hash_password, issue_access_token
from app.core.settings import Settings

DEFAULT_PASSWORD = "correct horse battery staple"


@cache
def _default_password_hash() -> str:
    return hash_password(DEFAULT_PASSWORD)


def make_user(
    db: Session,
    *,
    role: Role = Role.state_contributor,
    state: str | None = "WSM",
    email: str | None = None,
    name: str = "Test User",
    password: str | None = None,
    active: bool = True,
) -> User:
    if not role.is_state_role:
        state = None
    user = User(
        email=email or f"{role.value}.{uuid.uuid4().hex[:8]}@example.org",
        name=name,
        role=role,
        state_code=state,
        is_active=active,
        password_hash=hash_password(password) if password else _default_password_hash(),
    )
    db.add(user)
    db.flush()
    return user


def make_client(
    db: Session,
    *,
    role: Role = Role.state_focal_point,
    state: str | None = "WSM",
    secret: str = "s3cret-for-tests-only",
) -> ApiClient:
    client = ApiClient(
        client_id=f"cli_{uuid.uuid4().hex[:12]}",
        name="Test client",
        role=role,
        state_code=state if role.is_state_role else None,
        secret_hash=hash_client_secret(secret),
    )
    db.add(client)
    db.flush()
    return client


def token_for(settings: Settings, account: User | ApiClient) -> str:
    kind = PrincipalKind.user if isinstance(account, User) else PrincipalKind.client
    return issue_access_token(settings, f"{kind}:{account.id}", {"role": account.role.value})


def auth(settings: Settings, account: User | ApiClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(settings, account)}"}
