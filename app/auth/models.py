"""Accounts: people (users), machine clients (API clients) and failed sign-ins."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Integer
from sqlmodel import Field, SQLModel

from app.core.models import UTCDateTime, Versioned, enum_type, new_id, utcnow
from app.core.principal import Role


class User(Versioned, table=True):
    __tablename__ = "users"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    name: str = Field(max_length=200)
    role: Role = Field(sa_type=enum_type(Role))
    state_code: str | None = Field(
        default=None, max_length=3, foreign_key="states.code", index=True
    )
    is_active: bool = Field(default=True)
    password_hash: str = Field(max_length=255)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiClient(Versioned, table=True):
    __tablename__ = "api_clients"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    client_id: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    role: Role = Field(sa_type=enum_type(Role))
    state_code: str | None = Field(
        default=None, max_length=3, foreign_key="states.code", index=True
    )
    secret_hash: str = Field(max_length=128)
    is_active: bool = Field(default=True)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")


class LoginFailure(SQLModel, table=True):
    """One refused token request, written under three keys for throttling (app/auth/tokens.py):
    the pair (account, address), the address and the account."""

    __tablename__ = "login_failures"

    id: int | None = Field(
        default=None, primary_key=True, sa_type=BigInteger().with_variant(Integer(), "sqlite")
    )
    key: str = Field(max_length=400, index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
