"""What the assistance-request tests share: callers, requests at any stage, shortfalls, and
readers of what the service wrote (transitions, audit events, outbox rows)."""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.assistance.lifecycle import (
    EVENTS,
    NEEDS_MESSAGE,
    NEEDS_REASON,
    PUBLISHABLE,
    ROLES,
    TRANSITIONS,
    Verb,
)
from app.assistance.models import (
    AssistanceRequest,
    RequestMessage,
    RequestShortfall,
    RequestStage,
    RequestTransition,
    Urgency,
)
from app.audit.models import AuditEvent
from app.auth.models import User
from app.core.models import utcnow
from app.core.principal import Role
from app.core.settings import Settings
from app.events.models import OutboxEvent
from app.lifecycle.visibility import Stage, Visibility
from app.shortfalls.models import Severity, Shortfall
from app.taxonomies.vocabularies import AssistanceType, BarrierType, Modality
from tests.factories import _default_password_hash, auth, make_user

API = "/api/v1"
REQUESTS = f"{API}/assistance-requests"
Headers = dict[str, str]
ANONYMOUS: Headers = {}

# Fields that are OHCHR's working data: never in anything a State reads.
OFFICER_ONLY_KEYS = frozenset({"priority", "overdue", "internal_notes", "assigned_officer_id"})


@dataclass
class Cast:
    """One caller of every role; the State callers belong to `state`."""

    state: str
    users: dict[Role, User]
    headers: dict[Role, Headers]

    @property
    def focal(self) -> Headers:
        return self.headers[Role.state_focal_point]

    @property
    def contributor(self) -> Headers:
        return self.headers[Role.state_contributor]

    @property
    def officer(self) -> Headers:
        return self.headers[Role.ohchr_officer]

    @property
    def admin(self) -> Headers:
        return self.headers[Role.ohchr_admin]

    @property
    def provider(self) -> Headers:
        return self.headers[Role.provider]


def make_cast(db: Session, settings: Settings, *, state: str = "WSM") -> Cast:
    """Written in one flush: the lifecycle matrix builds hundreds of these."""
    users = {
        role: User(
            email=f"{role.value}.{uuid.uuid4().hex[:8]}@example.org",
            name=f"Test {role.value}",
            role=role,
            state_code=state if role.is_state_role else None,
            password_hash=_default_password_hash(),
        )
        for role in Role
    }
    db.add_all(users.values())
    db.flush()
    return Cast(state, users, {role: auth(settings, user) for role, user in users.items()})


def state_headers(db: Session, settings: Settings, state: str, role: Role) -> Headers:
    return auth(settings, make_user(db, role=role, state=state))


def at_noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def working_days_ago(count: int, today: dt.date | None = None) -> dt.date:
    """The day D such that exactly `count` Monday-to-Friday days lie after D up to today."""
    day = today or utcnow().date()
    seen = 0
    while seen < count:
        if day.weekday() < 5:
            seen += 1
        day -= dt.timedelta(days=1)
    return day


def make_request(
    db: Session,
    *,
    state: str = "WSM",
    stage: RequestStage = RequestStage.draft,
    title: str = "Support for the national mechanism",
    assistance_type: AssistanceType = AssistanceType.nmrf_support,
    urgency: Urgency = Urgency.medium,
    submitted_at: dt.datetime | None = None,
    stage_entered_at: dt.datetime | None = None,
    shortfalls: tuple[Shortfall, ...] = (),
    published: bool = False,
    created_by: User | None = None,
) -> AssistanceRequest:
    """A request stored at any stage directly, as the lifecycle would have left it there."""
    now = utcnow()
    if submitted_at is None and stage is not RequestStage.draft:
        submitted_at = now
    request = AssistanceRequest(
        state_code=state,
        title=title,
        assistance_type=assistance_type,
        languages=["en"],
        modality=Modality.remote,
        window_start=dt.date(2030, 1, 1),
        window_end=dt.date(2030, 6, 30),
        urgency=urgency,
        justification="The barrier report explains why.",
        stage=stage,
        stage_entered_at=stage_entered_at or now,
        submitted_at=submitted_at,
        visibility=_visibility(stage, published),
        created_by_id=created_by.id if created_by else None,
    )
    db.add(request)
    db.flush()
    if shortfalls:
        db.add_all(RequestShortfall(request_id=request.id, shortfall_id=s.id) for s in shortfalls)
        db.flush()
    return request


def _visibility(stage: RequestStage, published: bool) -> Visibility:
    if stage is RequestStage.draft:
        return Visibility.state
    return Visibility.public if published else Visibility.ohchr


def open_verbs(stage: RequestStage, role: Role, *, published: bool = False) -> list[str]:
    """The verbs open to `role` on a request stored by `make_request`: its stage's verbs from
    the table, and the focal point's publication verbs."""
    verbs = [
        verb.value for (source, verb) in TRANSITIONS if source == stage and role in ROLES[verb]
    ]
    if role is Role.state_focal_point and stage is not RequestStage.draft:
        if published:
            verbs.append("unpublish")
        elif stage in PUBLISHABLE:
            verbs.append("publish")
    return verbs


def event_of(verb: Verb) -> str:
    """The event type a stage verb announces."""
    return EVENTS[verb].value


def make_shortfall(
    db: Session,
    *,
    state: str = "WSM",
    severity: Severity = Severity.medium,
    submitted: bool = True,
) -> Shortfall:
    shortfall = Shortfall(
        state_code=state,
        barrier_type=BarrierType.technical_expertise,
        severity=severity,
        description="No statistician trained in disaggregated data.",
        stage=Stage.submitted if submitted else Stage.draft,
        visibility=Visibility.ohchr if submitted else Visibility.state,
        submitted_at=utcnow() if submitted else None,
    )
    db.add(shortfall)
    db.flush()
    return shortfall


def request_body(**overrides: Any) -> dict[str, Any]:
    """A valid creating body."""
    body: dict[str, Any] = {
        "title": "Training of prison officials on the Mandela Rules",
        "assistance_type": "training_of_officials",
        "languages": ["en"],
        "modality": "in_country",
        "window_start": "2030-01-01",
        "window_end": "2030-03-31",
        "urgency": "high",
        "justification": "Shortfall in technical expertise.",
    }
    body.update(overrides)
    return body


def verb_body(verb: Verb) -> dict[str, str]:
    """The least body the verb needs."""
    body: dict[str, str] = {}
    if verb in NEEDS_MESSAGE:
        body["message"] = f"Message carried by {verb}"
    if verb in NEEDS_REASON:
        body["reason"] = f"Reason given for {verb}"
    return body


def create(client: TestClient, headers: Headers, **overrides: Any) -> dict[str, Any]:
    response = client.post(REQUESTS, json=request_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def move(
    client: TestClient, request_id: object, verb: Verb, headers: Headers, **body: str
) -> dict[str, Any]:
    """Apply a verb that must succeed."""
    response = client.post(
        f"{REQUESTS}/{request_id}/{verb}", json=body or verb_body(verb), headers=headers
    )
    assert response.status_code == 200, response.text
    moved: dict[str, Any] = response.json()
    return moved


def stored(db: Session, request_id: object) -> AssistanceRequest:
    """The request as committed by the app (not the session's cached copy)."""
    db.expire_all()
    request = db.get(AssistanceRequest, uuid.UUID(str(request_id)))
    assert request is not None
    return request


def transitions_of(db: Session, request_id: object) -> list[RequestTransition]:
    return list(
        db.exec(
            select(RequestTransition)
            .where(RequestTransition.request_id == uuid.UUID(str(request_id)))
            .order_by(col(RequestTransition.at))
        ).all()
    )


def audit_of(db: Session, request_id: object, action: str | None = None) -> list[AuditEvent]:
    statement = select(AuditEvent).where(AuditEvent.resource_id == str(request_id))
    if action is not None:
        statement = statement.where(AuditEvent.action == action)
    return list(db.exec(statement.order_by(col(AuditEvent.seq))).all())


def outbox_of(db: Session, request_id: object, event_type: str | None = None) -> list[OutboxEvent]:
    statement = select(OutboxEvent).where(OutboxEvent.resource_id == str(request_id))
    if event_type is not None:
        statement = statement.where(OutboxEvent.type == event_type)
    return list(db.exec(statement.order_by(col(OutboxEvent.seq))).all())


def messages_of(db: Session, request_id: object) -> list[RequestMessage]:
    return list(
        db.exec(
            select(RequestMessage).where(RequestMessage.request_id == uuid.UUID(str(request_id)))
        ).all()
    )


def requests_of(db: Session, state: str) -> list[AssistanceRequest]:
    db.expire_all()
    return list(db.exec(select(AssistanceRequest).where(AssistanceRequest.state_code == state)))


def ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


def keys_anywhere(value: Any) -> set[str]:
    """Every key of every mapping nested in a JSON value."""
    if isinstance(value, dict):
        found = set(value)
        for inner in value.values():
            found |= keys_anywhere(inner)
        return found
    if isinstance(value, list):
        found = set()
        for inner in value:
            found |= keys_anywhere(inner)
        return found
    return set()
