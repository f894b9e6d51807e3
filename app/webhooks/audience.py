"""Who may be told of an event, and what they are told: one rule for webhook deliveries and
the change feed alike.

- public events: everyone (portals, anonymous pollers, every role);
- a State's own events, drafts' included: that State's subscriptions and accounts;
- events OHCHR may see (`ohchr`, and every event that names no State): OHCHR's.

What is sent is thin: the event's type, id and time, and the resource's id, State, version, URL
and who was told, never its content, so that a receiver reads the object back with its own rights.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlmodel import col

from app.core.principal import Principal
from app.events.models import OutboxEvent
from app.events.types import Visibility

API_PREFIX = "/api/v1"
RESOURCE_PATHS = {
    "progress_report": "/progress-reports/{id}",
    "shortfall": "/shortfalls/{id}",
    "assistance_request": "/assistance-requests/{id}",
    "assignment": "/assignments/{id}",
    "matching_run": "/matching-runs/{id}",
    "recommendation_import": "/recommendation-imports/{id}",
    "reporting_deadline": "/reporting-deadlines/{id}",
}


@dataclass(frozen=True)
class Audience:
    """A receiver of events: `public`, `ohchr`, or `state` with its State."""

    visibility: Visibility
    state_code: str | None = None

    @classmethod
    def of(cls, who: Principal | None) -> "Audience":
        if who is not None and who.is_state:
            return cls(Visibility.state, who.state_code)
        if who is not None and who.is_ohchr:
            return cls(Visibility.ohchr)
        return cls(Visibility.public)

    def sees(self, event: OutboxEvent) -> bool:
        """The rule, for one event in hand (deliveries)."""
        if event.visibility is Visibility.public:
            return True
        if self.visibility is Visibility.state:
            return event.state_code is not None and event.state_code == self.state_code
        if self.visibility is Visibility.ohchr:
            return event.visibility is Visibility.ohchr or event.state_code is None
        return False

    def clause(self) -> ColumnElement[bool]:
        """The same rule as a WHERE clause on outbox events (the feed)."""
        public = col(OutboxEvent.visibility) == Visibility.public
        if self.visibility is Visibility.state:
            return or_(public, col(OutboxEvent.state_code) == self.state_code)
        if self.visibility is Visibility.ohchr:
            return or_(
                public,
                col(OutboxEvent.visibility) == Visibility.ohchr,
                col(OutboxEvent.state_code).is_(None),
            )
        return public


def resource_url(resource_type: str, resource_id: str, public_url: str) -> str | None:
    path = RESOURCE_PATHS.get(resource_type)
    if path is None:
        return None
    return public_url.rstrip("/") + API_PREFIX + path.format(id=resource_id)


def thin_event(event: OutboxEvent, public_url: str) -> dict[str, Any]:
    """The event as subscribers and pollers receive it: `{"id", "type", "timestamp", "data"}`
    (a webhook's body omits `id`, which travels as the `webhook-id` header)."""
    return {
        "id": str(event.id),
        "type": event.type.value,
        "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": {
            "id": event.resource_id,
            "resource_type": event.resource_type,
            "state_code": event.state_code,
            "version": event.version,
            "url": resource_url(event.resource_type, event.resource_id, public_url),
            # Who is told of it: `public` (everyone), `ohchr` (the State and OHCHR), `state`.
            "visibility": event.visibility.value,
        },
    }
