import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from app.core.pagination import Page


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    actor_type: str
    action: str
    resource_type: str
    resource_id: str
    state_code: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None
    redacted: bool = False


class AuditEventPage(Page[AuditEventRead]):
    pass
