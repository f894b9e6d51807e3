"""Which account a token's subject names, as it is now. The app is wired with this loader
(`app.core.guards.PrincipalLoader`), so every route guard sees accounts as they are."""

import uuid

from sqlmodel import Session

from app.auth.models import ApiClient, User
from app.core.errors import Unauthorized
from app.core.principal import Principal, PrincipalKind


def load_principal(db: Session, subject: str) -> Principal:
    """The account behind a token's subject: deactivated or revoked is refused."""
    kind, _, raw_id = subject.partition(":")
    try:
        account_id = uuid.UUID(raw_id)
    except ValueError as exc:
        raise Unauthorized("the access token is invalid or expired") from exc
    account: User | ApiClient | None
    if kind == PrincipalKind.user:
        account = db.get(User, account_id)
    elif kind == PrincipalKind.client:
        account = db.get(ApiClient, account_id)
    else:
        account = None
    if account is None or not account.is_active:
        raise Unauthorized("the account behind this token is no longer active")
    return Principal(
        id=account.id, kind=PrincipalKind(kind), role=account.role, state_code=account.state_code
    )
