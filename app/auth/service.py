"""Accounts: who may create, read and change users and API clients.

Administrators manage everyone. A State focal point manages its own State's contributors and
nobody else: any other account is simply not found.
"""

import secrets
import uuid

from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from app.audit.service import record
from app.auth.models import ApiClient, User
from app.auth.schemas import (
    ApiClientCreate,
    ApiClientCreated,
    ApiClientRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from app.core.concurrency import require_match
from app.core.errors import Conflict, Forbidden, NotFound, UnprocessableContent
from app.core.models import utcnow
from app.core.pagination import paginate
from app.core.principal import Principal, Role
from app.core.security import hash_client_secret, hash_password, new_client_secret
from app.core.settings import Settings
from app.states.models import State


def visible_users(who: Principal) -> SelectOfScalar[User]:
    statement = select(User)
    if who.role is Role.ohchr_admin:
        return statement
    if who.role is Role.state_focal_point:
        return statement.where(
            User.state_code == who.state_code, User.role == Role.state_contributor
        )
    raise Forbidden("only administrators and focal points manage accounts")


def list_users(
    db: Session,
    who: Principal,
    *,
    role: Role | None,
    state_code: str | None,
    limit: int,
    cursor: str | None,
    settings: Settings,
) -> tuple[list[User], str | None]:
    statement = visible_users(who)
    if role:
        statement = statement.where(User.role == role)
    if state_code:
        statement = statement.where(User.state_code == state_code)
    keys = [User.created_at, User.id]
    return paginate(
        db, statement, keys, limit=limit, cursor=cursor, settings=settings, list_name="list_users"
    )


def get_user(db: Session, who: Principal, user_id: uuid.UUID) -> User:
    user = db.exec(visible_users(who).where(User.id == user_id)).first()
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def create_user(db: Session, who: Principal | None, body: UserCreate) -> User:
    """`who` is None for the command line, which acts as the system."""
    role, state_code = body.role, body.state_code
    if who is not None and who.role is Role.state_focal_point:
        role, state_code = _focal_point_creates(who, body)
    _check_role_state(db, role, state_code)
    if db.exec(select(User.id).where(User.email == body.email)).first() is not None:
        raise Conflict(f"an account with the email {body.email} already exists")
    user = User(
        email=body.email,
        name=body.name,
        role=role,
        state_code=state_code,
        password_hash=hash_password(body.password),
    )
    db.add(user)
    db.flush()
    record(
        db,
        who,
        "user.create",
        resource_type="user",
        resource_id=user.id,
        state_code=user.state_code,
        after=UserRead.model_validate(user),
    )
    return user


def _focal_point_creates(who: Principal, body: UserCreate) -> tuple[Role, str | None]:
    if body.role is not Role.state_contributor:
        raise Forbidden("a focal point creates contributor accounts only")
    if body.state_code not in (None, who.state_code):
        raise Forbidden("a focal point creates accounts for its own State only")
    return Role.state_contributor, who.state_code


def update_user(
    db: Session, who: Principal, user: User, body: UserUpdate, if_match: str | None
) -> User:
    require_match(if_match, user.version)
    changes = body.model_dump(exclude_unset=True)
    if who.role is not Role.ohchr_admin and {"role", "state_code"} & changes.keys():
        raise Forbidden("only administrators change an account's role or State")
    if who.id == user.id and (changes.get("is_active") is False or "role" in changes):
        raise Conflict("you cannot deactivate your own account or change your own role")
    role = changes.get("role", user.role)
    state_code = changes.get("state_code", user.state_code)
    if "role" in changes and not role.is_state_role:
        state_code = changes.get("state_code")
    # Checked before the account changes: an unknown State would otherwise reach the database.
    _check_role_state(db, role, state_code)
    before = UserRead.model_validate(user)
    user.touch()
    password = changes.pop("password", None)
    for field, value in changes.items():
        setattr(user, field, value)
    user.state_code = state_code
    if password is not None:
        user.password_hash = hash_password(password)
    db.add(user)
    db.flush()
    record(
        db,
        who,
        "user.update",
        resource_type="user",
        resource_id=user.id,
        state_code=user.state_code,
        before=before,
        after=UserRead.model_validate(user),
    )
    return user


def _check_role_state(db: Session, role: Role, state_code: str | None) -> None:
    """State roles belong to exactly one existing State; other roles to none."""
    if role.is_state_role:
        if state_code is None:
            raise UnprocessableContent(f"the role {role} needs a state_code")
        if db.get(State, state_code) is None:
            raise UnprocessableContent(f"unknown State code {state_code}")
    elif state_code is not None:
        raise UnprocessableContent(f"the role {role} is not tied to a State; omit state_code")


def list_clients(
    db: Session, *, limit: int, cursor: str | None, settings: Settings
) -> tuple[list[ApiClient], str | None]:
    statement = select(ApiClient)
    keys = [ApiClient.created_at, ApiClient.id]
    return paginate(
        db,
        statement,
        keys,
        limit=limit,
        cursor=cursor,
        settings=settings,
        list_name="list_api_clients",
    )


def get_client(db: Session, client_uuid: uuid.UUID) -> ApiClient:
    client = db.get(ApiClient, client_uuid)
    if client is None:
        raise NotFound(f"no API client {client_uuid}")
    return client


def create_client(db: Session, who: Principal, body: ApiClientCreate) -> ApiClientCreated:
    _check_role_state(db, body.role, body.state_code)
    secret = new_client_secret()
    client = ApiClient(
        client_id=f"cli_{secrets.token_hex(12)}",
        name=body.name,
        role=body.role,
        state_code=body.state_code,
        secret_hash=hash_client_secret(secret),
        created_by_id=who.id if who.kind == "user" else None,
    )
    db.add(client)
    db.flush()
    shown = ApiClientRead.model_validate(client)
    record(
        db,
        who,
        "api_client.create",
        resource_type="api_client",
        resource_id=client.id,
        state_code=client.state_code,
        after=shown,
    )
    return ApiClientCreated(**shown.model_dump(), client_secret=secret)


def revoke_client(db: Session, who: Principal, client: ApiClient) -> ApiClient:
    """Revocation is final and immediate: tokens already issued to the client stop working."""
    if not client.is_active:
        return client
    before = ApiClientRead.model_validate(client)
    client.touch()
    client.is_active = False
    client.revoked_at = utcnow()
    db.add(client)
    db.flush()
    record(
        db,
        who,
        "api_client.revoke",
        resource_type="api_client",
        resource_id=client.id,
        state_code=client.state_code,
        before=before,
        after=ApiClientRead.model_validate(client),
    )
    return client
