"""Which account a token's subject names, as it is now. The app is wired with this loader
(`app.core.guards.PrincipalLoader`), so every route guard sees accounts as they are."""

import uuid

from sqlalchemy import bindparam, select
from sqlmodel import Session, col

from app.auth.models import ApiClient, User
from app.core.errors import Unauthorized
from app.core.principal import Principal, PrincipalKind

# What a guard needs of an account, read on every signed-in request: three columns by primary
# key, from statements built once rather than an ORM load of the whole row.
_ACCOUNT = {
    PrincipalKind.user: select(col(User.role), col(User.state_code), col(User.is_active)).where(
        col(User.id) == bindparam("id")
    ),
    PrincipalKind.client: select(
        col(ApiClient.role), col(ApiClient.state_code), col(ApiClient.is_active)
    ).where(col(ApiClient.id) == bindparam("id")),
}


def load_principal(db: Session, subject: str) -> Principal:
    """The account behind a token's subject: deactivated or revoked is refused."""
    kind, _, raw_id = subject.partition(":")
    try:
        account_id = uuid.UUID(raw_id)
    except ValueError as exc:
        raise Unauthorized("the access token is invalid or expired") from exc
    statement = _ACCOUNT.get(kind)  # type: ignore[call-overload]
    account = None
    if statement is not None:
        account = db.connection().execute(statement, {"id": account_id}).first()
    if account is None or not account.is_active:
        raise Unauthorized("the account behind this token is no longer active")
    return Principal(
        id=account_id, kind=PrincipalKind(kind), role=account.role, state_code=account.state_code
    )
