"""A signed-in console session: what the browser's cookie names, kept on the server so that
signing out (or an administrator deactivating the account) ends it at once."""

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.models import UTCDateTime, new_id, utcnow


class ConsoleSession(SQLModel, table=True):
    __tablename__ = "console_sessions"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    # SHA-256 of the cookie's value: a copy of this table signs nobody in.
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
