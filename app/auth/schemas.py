import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.core.pagination import Page
from app.core.principal import Role
from app.core.schemas import JsonBool, StateCode, Strict

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    ),
]
Password = Annotated[str, Field(min_length=12, max_length=256)]


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105
    expires_in: int


class Me(BaseModel):
    id: uuid.UUID
    email: str | None
    name: str
    role: Role
    state_code: str | None


class UserCreate(Strict):
    email: Email
    name: Name
    role: Role = Role.state_contributor
    state_code: StateCode | None = None
    password: Password


class UserUpdate(Strict):
    nullable = frozenset({"state_code"})

    name: Name | None = None
    role: Role | None = None
    state_code: StateCode | None = None
    is_active: JsonBool | None = None
    password: Password | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    name: str
    role: Role
    state_code: str | None
    is_active: bool
    version: int
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None


class UserPage(Page[UserRead]):
    pass


class ApiClientCreate(Strict):
    name: Name
    role: Role
    state_code: StateCode | None = None


class ApiClientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    client_id: str
    name: str
    role: Role
    state_code: str | None
    is_active: bool
    revoked_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class ApiClientCreated(ApiClientRead):
    client_secret: str | None = Field(
        default=None,
        description="Shown once, in this response only: store it now. A replay of the request "
        "(the same `Idempotency-Key`) answers without it.",
    )


class ApiClientPage(Page[ApiClientRead]):
    pass
