import uuid
from typing import Annotated

from fastapi import Depends, Query

from app.audit import service
from app.audit.models import AuditEvent
from app.audit.schemas import AuditEventPage, AuditEventRead
from app.core.deps import AppSettings, DbSession
from app.core.guards import require
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.core.principal import Principal, Role
from app.core.routing import api_router
from app.core.schemas import IsoDateTime

router = api_router("/audit-events", tags=["audit"])

AuditReader = Annotated[Principal, Depends(require(Role.ohchr_admin, Role.state_focal_point))]


@router.get("", response_model=AuditEventPage, operation_id="list_audit_events")
def list_audit_events(
    who: AuditReader,
    db: DbSession,
    settings: AppSettings,
    resource_type: Annotated[str | None, Query(max_length=64)] = None,
    resource_id: Annotated[str | None, Query(max_length=64)] = None,
    actor_id: uuid.UUID | None = None,
    since: IsoDateTime | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> AuditEventPage:
    """The change log, newest first. Administrators: every event; a focal point: its State's."""
    events, next_cursor = service.list_events(
        db,
        who,
        resource_type=resource_type,
        resource_id=resource_id,
        actor_id=actor_id,
        since=since,
        limit=limit,
        cursor=cursor,
        settings=settings,
    )
    return AuditEventPage(items=[_shown(who, e) for e in events], next_cursor=next_cursor)


def _shown(who: Principal, event: AuditEvent) -> AuditEventRead:
    """A State's draft stays the State's: others see that it changed, not what it says."""
    shown = AuditEventRead.model_validate(event)
    if event.state_private and who.state_code != event.state_code:
        return shown.model_copy(update={"before": None, "after": None, "redacted": True})
    return shown
