"""Route guards. Every route declares who may call it with exactly one of these:

    who: Annotated[Principal, Depends(require(Role.ohchr_admin))]
    who: Annotated[Principal | None, Depends(public)]
    dependencies=[Depends(no_token)]     # public, and reads no token at all

A test walks `app.routes` and fails on any route that declares neither.

A token names its account by subject (`user:<id>`, `client:<id>`); which account that is, and
whether it is still active, is the accounts domain's to say: the app is wired with its
`PrincipalLoader` (`app.state.load_principal`), so this ground floor imports no domain.
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.core.deps import AppSettings, DbSession
from app.core.errors import Forbidden, Unauthorized
from app.core.principal import Principal, Role
from app.core.security import decode_access_token

PrincipalLoader = Callable[[Session, str], Principal]

bearer_token = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def optional_principal(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    token: Annotated[str | None, Depends(bearer_token)],
) -> Principal | None:
    """The caller a bearer token names, read from the database on every request (a deactivated
    account is refused at once); an anonymous caller costs no query and no thread."""
    if token is None:
        return None
    subject = decode_access_token(settings, token)["sub"]
    load: PrincipalLoader = request.app.state.load_principal
    return await run_in_threadpool(load, db, subject)


async def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise Unauthorized("send a bearer token from POST /api/v1/auth/token")
    return principal


class RoleGuard:
    """Admits the listed roles; any other authenticated caller is 403, an anonymous one 401."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(
        self, principal: Annotated[Principal, Depends(current_principal)]
    ) -> Principal:
        if principal.role not in self.roles:
            raise Forbidden(f"the role {principal.role} may not call this operation")
        return principal

    def __repr__(self) -> str:
        return f"require({', '.join(sorted(self.roles))})"


class PublicAccess:
    """Anyone may call; a valid token, when sent, identifies the caller."""

    async def __call__(
        self, principal: Annotated[Principal | None, Depends(optional_principal)]
    ) -> Principal | None:
        return principal


class NoTokenAccess(PublicAccess):
    """Anyone may call, and no token is read (signing in, health checks): the operation is
    the same for every caller, and a stale token sent by habit does not refuse it."""

    async def __call__(self) -> None:  # type: ignore[override]
        return None


def require(*roles: Role) -> RoleGuard:
    return RoleGuard(*roles)


public = PublicAccess()
no_token = NoTokenAccess()
any_role = require(*Role)
admin_only = require(Role.ohchr_admin)

Authenticated = Annotated[Principal, Depends(any_role)]
StateMember = Annotated[Principal, Depends(require(Role.state_contributor, Role.state_focal_point))]
FocalPoint = Annotated[Principal, Depends(require(Role.state_focal_point))]
Officer = Annotated[Principal, Depends(require(Role.ohchr_officer, Role.ohchr_admin))]
Admin = Annotated[Principal, Depends(admin_only)]
Anyone = Annotated[Principal | None, Depends(public)]
