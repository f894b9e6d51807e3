import base64
import binascii
import uuid
from typing import Annotated

from fastapi import Depends, Form, Header, Query, Request, Response
from pydantic import BaseModel

from app.auth import service, tokens
from app.auth.models import ApiClient, User
from app.auth.schemas import (
    ApiClientCreate,
    ApiClientCreated,
    ApiClientPage,
    ApiClientRead,
    Me,
    TokenResponse,
    UserCreate,
    UserPage,
    UserRead,
    UserUpdate,
)
from app.core.concurrency import IfMatch, set_etag
from app.core.deps import AppSettings, DbSession
from app.core.errors import OAuthError
from app.core.guards import Admin, Authenticated, no_token, require
from app.core.idempotency import IdempotencyKey, create_once, fingerprint
from app.core.openapi import conflict
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.core.principal import Principal, Role
from app.core.routing import api_router

auth_router = api_router("/auth", tags=["auth"])
users_router = api_router("/users", tags=["users"])
clients_router = api_router("/api-clients", tags=["api-clients"])

AccountManager = Annotated[Principal, Depends(require(Role.ohchr_admin, Role.state_focal_point))]
FormField = Annotated[str | None, Form(max_length=1024)]


@auth_router.post(
    "/token",
    response_model=TokenResponse,
    operation_id="issue_token",
    dependencies=[Depends(no_token)],
    responses={400: {"description": "invalid_grant / invalid_request"}, 401: {}, 429: {}},
)
def issue_token(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    grant_type: FormField = None,
    username: FormField = None,
    password: FormField = None,
    client_id: FormField = None,
    client_secret: FormField = None,
    scope: FormField = None,
    authorization: Annotated[str | None, Header(max_length=2048)] = None,
) -> TokenResponse:
    """OAuth2 token endpoint (form-encoded): `password` grant for people, `client_credentials`
    for machine clients (credentials in the form or in HTTP Basic). Public."""
    address = request.client.host if request.client else "unknown"
    try:
        if grant_type == "password":
            if not username or not password:
                raise OAuthError("invalid_request", "username and password are required")
            return tokens.password_grant(
                db, settings, email=username, password=password, address=address
            )
        if grant_type == "client_credentials":
            client_id, client_secret = _client_credentials(client_id, client_secret, authorization)
            return tokens.client_credentials_grant(
                db, settings, client_id=client_id, client_secret=client_secret, address=address
            )
    except OAuthError:
        db.commit()  # the failed attempt must be counted even though this request fails
        raise
    if grant_type is None:
        raise OAuthError("invalid_request", "grant_type is required (form-encoded body)")
    raise OAuthError("unsupported_grant_type", "use grant_type password or client_credentials")


def _client_credentials(
    client_id: str | None, client_secret: str | None, authorization: str | None
) -> tuple[str, str]:
    if authorization and authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise OAuthError("invalid_client", "malformed Basic credentials", status=401) from exc
        client_id, _, client_secret = decoded.partition(":")
    if not client_id or not client_secret:
        raise OAuthError("invalid_request", "client_id and client_secret are required")
    return client_id, client_secret


@auth_router.get("/me", response_model=Me, operation_id="get_me")
def get_me(who: Authenticated, db: DbSession) -> Me:
    """The caller's own account."""
    account = db.get(User, who.id) if who.kind == "user" else db.get(ApiClient, who.id)
    assert account is not None  # the guard loaded it a moment ago, in this transaction
    email = account.email if isinstance(account, User) else None
    return Me(id=who.id, email=email, name=account.name, role=who.role, state_code=who.state_code)


def _user(user: User, response: Response | None = None) -> UserRead:
    if response is not None:
        set_etag(response, user.version)
    return UserRead.model_validate(user)


@users_router.get("", response_model=UserPage, operation_id="list_users")
def list_users(
    who: AccountManager,
    db: DbSession,
    settings: AppSettings,
    role: Role | None = None,
    state_code: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> UserPage:
    """Administrators: every account. A focal point: its own State's contributors."""
    users, next_cursor = service.list_users(
        db,
        who,
        role=role,
        state_code=state_code and state_code.upper(),
        limit=limit,
        cursor=cursor,
        settings=settings,
    )
    return UserPage(items=[_user(u) for u in users], next_cursor=next_cursor)


@users_router.post(
    "",
    response_model=UserRead,
    status_code=201,
    operation_id="create_user",
    responses={
        201: {"headers": {"Location": {"schema": {"type": "string"}}}},
        **conflict("An account with this email already exists"),
    },
)
def create_user(
    who: AccountManager,
    db: DbSession,
    body: UserCreate,
    request: Request,
    key: IdempotencyKey = None,
) -> Response:
    """Create an account. A focal point creates contributors of its own State only."""

    def create() -> tuple[BaseModel, str]:
        user = service.create_user(db, who, body)
        return _user(user), f"{request.url.path}/{user.id}"

    return create_once(
        db,
        owner=who.subject,
        key=key,
        request_fingerprint=fingerprint("POST", request.url.path, body),
        create=create,
    )


@users_router.get("/{user_id}", response_model=UserRead, operation_id="get_user")
def get_user(
    who: AccountManager, db: DbSession, user_id: uuid.UUID, response: Response
) -> UserRead:
    return _user(service.get_user(db, who, user_id), response)


@users_router.patch(
    "/{user_id}",
    response_model=UserRead,
    operation_id="update_user",
    responses=conflict("Callers cannot deactivate their own account or change their own role"),
)
def update_user(
    who: AccountManager,
    db: DbSession,
    user_id: uuid.UUID,
    body: UserUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> UserRead:
    """Rename, deactivate, reset the password; administrators also change role and State."""
    user = service.update_user(db, who, service.get_user(db, who, user_id), body, if_match)
    return _user(user, response)


@clients_router.get("", response_model=ApiClientPage, operation_id="list_api_clients")
def list_api_clients(
    _who: Admin,
    db: DbSession,
    settings: AppSettings,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> ApiClientPage:
    clients, next_cursor = service.list_clients(db, limit=limit, cursor=cursor, settings=settings)
    return ApiClientPage(
        items=[ApiClientRead.model_validate(c) for c in clients], next_cursor=next_cursor
    )


@clients_router.post(
    "", response_model=ApiClientCreated, status_code=201, operation_id="create_api_client"
)
def create_api_client(
    who: Admin, db: DbSession, body: ApiClientCreate, request: Request, key: IdempotencyKey = None
) -> Response:
    """Register a machine client (a State system, a portal). The secret is shown only here."""

    def create() -> tuple[BaseModel, str]:
        created = service.create_client(db, who, body)
        return created, f"{request.url.path}/{created.id}"

    return create_once(
        db,
        owner=who.subject,
        key=key,
        request_fingerprint=fingerprint("POST", request.url.path, body),
        create=create,
        never_replayed=frozenset({"client_secret"}),
    )


@clients_router.get("/{client_uuid}", response_model=ApiClientRead, operation_id="get_api_client")
def get_api_client(
    _who: Admin, db: DbSession, client_uuid: uuid.UUID, response: Response
) -> ApiClientRead:
    client = service.get_client(db, client_uuid)
    set_etag(response, client.version)
    return ApiClientRead.model_validate(client)


@clients_router.post(
    "/{client_uuid}/revoke", response_model=ApiClientRead, operation_id="revoke_api_client"
)
def revoke_api_client(
    who: Admin, db: DbSession, client_uuid: uuid.UUID, response: Response
) -> ApiClientRead:
    """Revoke a client at once; its tokens stop working. Final."""
    client = service.revoke_client(db, who, service.get_client(db, client_uuid))
    set_etag(response, client.version)
    return ApiClientRead.model_validate(client)
