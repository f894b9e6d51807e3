"""The one function that records a change, and the scoped reading of the record."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.core.context import current_request_id
from app.core.errors import Forbidden
from app.core.pagination import paginate
from app.core.principal import Principal, Role
from app.core.settings import Settings

Snapshot = BaseModel | dict[str, Any] | None


def record(
    db: Session,
    actor: Principal | None,
    action: str,
    *,
    resource_type: str,
    resource_id: object,
    state_code: str | None = None,
    before: Snapshot = None,
    after: Snapshot = None,
    state_private: bool = False,
) -> AuditEvent:
    """Add an audit event to the caller's transaction: it lands with the change or not at all.

    Snapshots should be the public read shape of the resource, never a table row, so that
    secrets and password hashes never reach the log.
    """
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_type=actor.kind.value if actor else "system",
        action=action,
        resource_type=resource_type,
        resource_id=str(resource_id),
        state_code=state_code,
        before=_plain(before),
        after=_plain(after),
        request_id=current_request_id(),
        state_private=state_private,
    )
    db.add(event)
    return event


def _plain(snapshot: Snapshot) -> dict[str, Any] | None:
    if isinstance(snapshot, BaseModel):
        return snapshot.model_dump(mode="json")
    return snapshot


def list_events(
    db: Session,
    who: Principal,
    *,
    resource_type: str | None,
    resource_id: str | None,
    actor_id: uuid.UUID | None,
    since: datetime | None,
    limit: int,
    cursor: str | None,
    settings: Settings,
) -> tuple[list[AuditEvent], str | None]:
    """Administrators read every event; a focal point only its own State's."""
    statement = select(AuditEvent)
    if who.role is Role.state_focal_point:
        statement = statement.where(AuditEvent.state_code == who.state_code)
    elif who.role is not Role.ohchr_admin:
        raise Forbidden("only administrators and focal points read the audit log")
    if resource_type:
        statement = statement.where(AuditEvent.resource_type == resource_type)
    if resource_id:
        statement = statement.where(AuditEvent.resource_id == resource_id)
    if actor_id:
        statement = statement.where(AuditEvent.actor_id == actor_id)
    if since:
        statement = statement.where(AuditEvent.at >= since)
    return paginate(
        db,
        statement,
        [AuditEvent.seq],
        limit=limit,
        cursor=cursor,
        settings=settings,
        list_name="list_audit_events",
        descending=True,
    )
