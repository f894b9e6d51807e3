"""What the progress-report and shortfall tests share: callers, objects in each stage, the
routes of both domains read from the app itself, and a picture of everything they store."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlmodel import Session, func, select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.core.guards import PublicAccess, RoleGuard
from app.core.idempotency import IdempotencyRecord
from app.core.principal import Principal, PrincipalKind, Role
from app.core.settings import Settings
from app.events.models import OutboxEvent
from app.lifecycle.engine import apply
from app.progress import service as progress_service
from app.progress.models import ProgressReport, ProgressReportRecommendation, ProgressRevision
from app.progress.schemas import ReportCreate, RevisionCreate
from app.recommendations.models import Recommendation
from app.shortfalls import service as shortfall_service
from app.shortfalls.models import Shortfall, ShortfallRecommendation
from app.shortfalls.schemas import ShortfallCreate
from app.taxonomies.vocabularies import Mechanism
from tests.factories import auth, make_user

API = "/api/v1"
REPORTS = f"{API}/progress-reports"
SHORTFALLS = f"{API}/shortfalls"
STAGES = ("draft", "submitted", "published")
OHCHR = (Role.ohchr_officer, Role.ohchr_admin)
STATE_ROLES = (Role.state_contributor, Role.state_focal_point)

Headers = dict[str, str]
ANONYMOUS: Headers = {}

# Everything these two domains write, plus the audit log, the outbox and idempotency records.
STORED_TABLES = (
    ProgressReport,
    ProgressRevision,
    ProgressReportRecommendation,
    Shortfall,
    ShortfallRecommendation,
    AuditEvent,
    OutboxEvent,
    IdempotencyRecord,
)


def caller(db: Session, settings: Settings, role: Role | None, state: str = "WSM") -> Headers:
    """Auth headers of a new account with `role`; `None` is the anonymous public."""
    if role is None:
        return dict(ANONYMOUS)
    return auth(settings, make_user(db, role=role, state=state))


def report_body(*recommendation_ids: object, **overrides: Any) -> dict[str, Any]:
    return {
        "recommendation_ids": [str(rid) for rid in recommendation_ids],
        "period_start": "2023-01-01",
        "period_end": "2023-12-31",
        "status": "in_progress",
        "summary": "A national action plan was adopted.",
        "measures": ["Act No. 5 of 2023 adopted"],
        "evidence": [{"title": "Gazette", "url": "https://example.org/gazette/5"}],
        "indicators": [{"name": "Cases reviewed", "value": 12, "unit": "cases"}],
        "responsible_entities": ["Ministry of Justice"],
        **overrides,
    }


# The correction `write` drafts: what differs from `report_body`, and why.
CORRECTION = {
    "status": "fully_implemented",
    "summary": "Corrected, not yet published.",
    "reason": "The ministry's figures were revised.",
}


def shortfall_body(*recommendation_ids: object, **overrides: Any) -> dict[str, Any]:
    return {
        "recommendation_ids": [str(rid) for rid in recommendation_ids],
        "barrier_type": "financial",
        "severity": "high",
        "description": "No budget line for the national preventive mechanism.",
        **overrides,
    }


@dataclass(frozen=True)
class Kind:
    """One of the two domains: where it lives and how a valid new one looks."""

    name: str
    url: str
    id_param: str
    text_field: str
    """A free-text field of a draft, for edits that are always valid."""

    def body(self, *recommendation_ids: object, **overrides: Any) -> dict[str, Any]:
        make = report_body if self.name == "progress_report" else shortfall_body
        return make(*recommendation_ids, **overrides)

    def event(self, happening: str) -> str:
        """The audit action and outbox type of a happening: `progress_report.submitted`."""
        return f"{self.name}.{happening}"


REPORT = Kind("progress_report", REPORTS, "report_id", "summary")
SHORTFALL = Kind("shortfall", SHORTFALLS, "shortfall_id", "description")
KINDS = (REPORT, SHORTFALL)


def kind_id(kind: Kind) -> str:
    return kind.name


RESOLUTION = {"resolved_on": "2024-06-30"}
PAST = {
    "submit": "submitted",
    "publish": "published",
    "unpublish": "unpublished",
    "resolve": "resolved",
}


@dataclass(frozen=True)
class Verb:
    """A focal point's move on one kind of object, from a stage where it is open."""

    kind: Kind
    name: str
    stage: str
    after: tuple[str, str]
    """The object's `stage` and `visibility` after the move."""

    @property
    def id(self) -> str:
        return f"{self.kind.name}-{self.name}"

    @property
    def body(self) -> dict[str, Any] | None:
        return RESOLUTION if self.name == "resolve" else None

    @property
    def event(self) -> str:
        return self.kind.event(PAST[self.name])


# Every verb route of both domains, each from a stage where it is open.
VERBS = [
    Verb(REPORT, "submit", "draft", ("submitted", "ohchr")),
    Verb(REPORT, "publish", "submitted", ("submitted", "public")),
    Verb(REPORT, "unpublish", "published", ("submitted", "ohchr")),
    Verb(SHORTFALL, "submit", "draft", ("submitted", "ohchr")),
    Verb(SHORTFALL, "publish", "submitted", ("submitted", "public")),
    Verb(SHORTFALL, "unpublish", "published", ("submitted", "ohchr")),
    Verb(SHORTFALL, "resolve", "submitted", ("submitted", "ohchr")),
]
VERB_IDS = [verb.id for verb in VERBS]


@dataclass
class Owned:
    """An object of one State, with its focal point's headers and its recommendation."""

    kind: Kind
    id: str
    state: str
    focal: Headers
    recommendation_id: uuid.UUID

    @property
    def url(self) -> str:
        return f"{self.kind.url}/{self.id}"


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def moved(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def make_bare_recommendation(db: Session, *, state: str = "WSM") -> Recommendation:
    """A catalogue entry without themes, persons or SDG links, which is all that most tests
    here need; a tenth of the cost of `tests.factories.make_recommendation`."""
    recommendation = Recommendation(
        source_key=f"test:{uuid.uuid4()}",
        source_format="test",
        state_code=state,
        mechanism=Mechanism.upr,
        body="UPR",
        text="Establish a national preventive mechanism.",
        content_hash="0" * 64,
    )
    db.add(recommendation)
    db.flush()
    return recommendation


def shared_recommendation(db: Session, state: str) -> Recommendation:
    """One recommendation of `state` per test, for objects that need just some recommendation."""
    kept: dict[str, Recommendation] = db.info.setdefault("test_recommendations", {})
    if state not in kept:
        kept[state] = make_bare_recommendation(db, state=state)
    return kept[state]


def principal_of(user: User) -> Principal:
    return Principal(
        id=user.id, kind=PrincipalKind.user, role=user.role, state_code=user.state_code
    )


def write(
    db: Session,
    who: Principal,
    kind: Kind,
    body: dict[str, Any],
    *,
    stage: str = "draft",
    pending_revision: bool = False,
    corrected: bool = False,
) -> Any:
    """Create an object from `body` through the domain's own service, as the API would (audit
    and outbox events included), and bring it to `stage`: draft, submitted or published. A
    report may also carry a correction (revision 2, `CORRECTION`), being drafted
    (`pending_revision`) or submitted but not published (`corrected`). Setting the scene this
    way is quicker than HTTP; the behaviour under test is always reached over HTTP."""
    obj: Any
    if kind is REPORT:
        obj = progress_service.create_report(db, who, ReportCreate.model_validate(body))
    else:
        obj = shortfall_service.create_shortfall(db, who, ShortfallCreate.model_validate(body))
    if stage in ("submitted", "published"):
        apply(db, who, obj, "submit")
    if stage == "published":
        apply(db, who, obj, "publish")
    if pending_revision or corrected:
        assert kind is REPORT and stage != "draft"
        progress_service.create_revision(db, who, obj, RevisionCreate.model_validate(CORRECTION))
    if corrected:
        apply(db, who, obj, "submit")
    db.flush()
    return obj


def make_owned(
    db: Session,
    settings: Settings,
    kind: Kind,
    *,
    state: str = "WSM",
    stage: str = "draft",
    pending_revision: bool = False,
    corrected: bool = False,
    **overrides: Any,
) -> Owned:
    """An object of `state` written by a new focal point of that State (see `write`)."""
    user = make_user(db, role=Role.state_focal_point, state=state)
    recommendation = shared_recommendation(db, state)
    body = kind.body(recommendation.id, **overrides)
    obj = write(
        db,
        principal_of(user),
        kind,
        body,
        stage=stage,
        pending_revision=pending_revision,
        corrected=corrected,
    )
    return Owned(kind, str(obj.id), state, auth(settings, user), recommendation.id)


def etag(client: Any, owned: Owned) -> str:
    response = client.get(owned.url, headers=owned.focal)
    assert response.status_code == 200, response.text
    return str(response.headers["etag"])


# --- what is stored -------------------------------------------------------------------------


def stored(db: Session) -> dict[str, list[str]]:
    """Every row of every table these domains write, to compare before and after a request."""
    connection = db.connection()
    return {
        model.__tablename__: sorted(  # type: ignore[misc]
            repr(tuple(row))
            for row in connection.execute(select(model.__table__)).all()  # type: ignore[attr-defined]
        )
        for model in STORED_TABLES
    }


def count(db: Session, model: Any, *conditions: Any) -> int:
    statement = select(func.count()).select_from(model)
    for condition in conditions:
        statement = statement.where(condition)
    return int(db.connection().execute(statement).scalar_one())


def audit_actions(db: Session, resource_id: object) -> list[str]:
    rows = db.connection().execute(
        select(AuditEvent.action)  # type: ignore[call-overload]
        .where(AuditEvent.resource_id == str(resource_id))
        .order_by(AuditEvent.seq)
    )
    return [action for (action,) in rows]


def outbox_events(db: Session, resource_id: object) -> list[tuple[str, str]]:
    """The type and visibility of each outbox event about one object, oldest first."""
    return [(event_type, visibility) for event_type, visibility, _ in outbox_rows(db, resource_id)]


def outbox_rows(db: Session, resource_id: object) -> list[tuple[str, str, int | None]]:
    """The type, visibility and version of each outbox event about one object, oldest first."""
    rows = db.connection().execute(
        select(  # type: ignore[call-overload]
            OutboxEvent.type, OutboxEvent.visibility, OutboxEvent.version
        )
        .where(OutboxEvent.resource_id == str(resource_id))
        .order_by(OutboxEvent.seq)
    )
    return [(str(event_type), str(visibility), version) for event_type, visibility, version in rows]


# --- the routes of both domains, read from the app ------------------------------------------

# A valid body for each operation that takes one, so that an answer is never a 422.
BODIES: dict[str, dict[str, Any]] = {
    "update_progress_report": {"summary": "Taken over"},
    "create_progress_revision": {"summary": "Taken over"},
    "update_progress_revision": {"summary": "Taken over"},
    "update_shortfall": {"description": "Taken over"},
    "resolve_shortfall": {"resolved_on": "2024-06-30"},
}
NO_ROLE: frozenset[Role | None] = frozenset()
EVERYONE: frozenset[Role | None] = frozenset({*Role, None})


def _access(dependant: Dependant) -> frozenset[Role | None] | None:
    """The roles (None: anonymous) a route admits, from its guard."""
    for sub in dependant.dependencies:
        if isinstance(sub.call, RoleGuard):
            return frozenset(sub.call.roles)
        if isinstance(sub.call, PublicAccess):
            return EVERYONE
        found = _access(sub)
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class Call:
    """One operation of a route with its path parameters filled in."""

    name: str
    method: str
    path: str
    admits: frozenset[Role | None] = field(default=NO_ROLE)
    body: dict[str, Any] | None = None

    def send(self, client: Any, headers: Headers) -> httpx.Response:
        extra = {"If-Match": "*"} if self.method in ("PATCH", "DELETE") else {}
        response: httpx.Response = client.request(
            self.method, self.path, json=self.body, headers={**headers, **extra}
        )
        return response


def domain_routes(app: FastAPI, kind: Kind) -> list[APIRoute]:
    return [
        route
        for route in app.routes
        if isinstance(route, APIRoute)
        and (route.path == kind.url or route.path.startswith(kind.url + "/"))
    ]


def object_calls(app: FastAPI, kind: Kind, object_id: str) -> Iterator[Call]:
    """Every operation on one object and its sub-resources; revision routes for each of the
    original (1) and a correction (2)."""
    for route in domain_routes(app, kind):
        if "{" + kind.id_param + "}" not in route.path:
            continue
        admits = _access(route.dependant)
        assert admits is not None, f"{route.path} declares no access"
        numbers = ("1", "2") if "{number}" in route.path else ("",)
        for number in numbers:
            path = route.path.replace("{" + kind.id_param + "}", object_id)
            path = path.replace("{number}", number)
            for method in sorted(route.methods):
                yield Call(route.name, method, path, admits, BODIES.get(route.name))


def write_calls(app: FastAPI, kind: Kind, object_id: str, new: dict[str, Any]) -> Iterator[Call]:
    """Every operation of the domain that changes something, creating ones (with `new` as the
    body, or a batch of it) included."""
    for call in object_calls(app, kind, object_id):
        if call.method != "GET":
            yield call
    for route in domain_routes(app, kind):
        if "{" not in route.path and "POST" in route.methods:
            body = {"items": [new]} if route.path.endswith("/batch") else new
            yield Call(route.name, "POST", route.path, _access(route.dependant) or NO_ROLE, body)


def read_calls(app: FastAPI, kind: Kind, object_id: str) -> Iterator[Call]:
    for call in object_calls(app, kind, object_id):
        if call.method == "GET":
            yield call


def listed_ids(client: Any, url: str, headers: Headers) -> list[str]:
    response = client.get(url + ("&" if "?" in url else "?") + "limit=200", headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def answer(response: httpx.Response) -> tuple[int, str | None]:
    """The status and problem type of an answer, which is all a caller learns from a refusal."""
    is_problem = response.headers.get("content-type") == "application/problem+json"
    return response.status_code, response.json()["type"] if is_problem else None


def row(db: Session, model: type[Any], object_id: object) -> Any:
    """The object as stored now (not as this session last saw it), or None."""
    db.expire_all()
    return db.get(model, uuid.UUID(str(object_id)))


def model_of(kind: Kind) -> type[Any]:
    return ProgressReport if kind is REPORT else Shortfall
