"""What the matching tests share: callers, providers, accepted requests (over HTTP or stored),
readers of what the service wrote, and an independent statement of the hard constraints."""

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Mapping
from itertools import product
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.assistance.models import AssistanceRequest, RequestStage, Urgency
from app.auth.models import User
from app.core.models import utcnow
from app.core.principal import Role
from app.core.settings import Settings
from app.events.models import OutboxEvent
from app.events.types import Visibility
from app.expertise.models import Assignment
from app.matching.scoring import ProviderOffer, RequestNeeds
from app.taxonomies.vocabularies import AssistanceType, Modality
from tests.factories import auth, make_user
from tests.jobs.support import run_jobs

API = "/api/v1"
PROVIDERS = f"{API}/providers"
REQUESTS = f"{API}/assistance-requests"
RUNS = f"{API}/matching-runs"
ASSIGNMENTS = f"{API}/assignments"
JOINT = f"{API}/joint-activity-proposals"
Headers = dict[str, str]
Json = dict[str, Any]

# Fields that are OHCHR's working data: never in what a State or a provider reads.
OFFICER_ONLY_KEYS = frozenset({"priority", "overdue", "internal_notes", "assigned_officer_id"})

# Waiting adds to priority until the cap (3.0 at 0.05 a day): a request submitted this long ago
# has a priority that no longer moves with the clock, so two runs see the same weights.
SETTLED = dt.timedelta(days=120)

WINDOW = {"window_start": "2030-01-01", "window_end": "2030-03-31"}
ALL_YEAR = [{"start": "2030-01-01", "end": "2030-12-31"}]


def headers_for(db: Session, settings: Settings, role: Role, state: str | None = None) -> Headers:
    return auth(settings, make_user(db, role=role, state=state))


def officer(db: Session, settings: Settings) -> Headers:
    return headers_for(db, settings, Role.ohchr_officer)


def provider_account(db: Session, settings: Settings) -> tuple[User, Headers]:
    user = make_user(db, role=Role.provider)
    return user, auth(settings, user)


def completed_run(
    client: TestClient, headers: Headers, body: Json | None = None, **extra_headers: str
) -> Json:
    """A matching run as an officer gets it: queued (202 and its `Location`), computed by a
    worker, then read back."""
    response = client.post(RUNS, json=body, headers=headers)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    run_jobs(client.app)  # type: ignore[arg-type]
    done = client.get(response.headers["location"], headers={**headers, **extra_headers})
    assert done.status_code == 200, done.text
    result: Json = done.json()
    assert result["status"] == "succeeded", result
    return result


def provider_body(**overrides: Any) -> Json:
    """A valid roster entry that can serve `request_body()` (English, in-country, 2030)."""
    body: Json = {
        "name": "Adviser " + uuid.uuid4().hex[:6],
        "kind": "human_rights_adviser",
        "organization": "OHCHR",
        "assistance_types": ["training_of_officials"],
        "languages": ["en"],
        "modalities": ["remote", "in_country", "regional"],
        "capacity": 2,
        "availability": ALL_YEAR,
    }
    body.update(overrides)
    return body


def create_provider(client: TestClient, headers: Headers, **overrides: Any) -> Json:
    response = client.post(PROVIDERS, json=provider_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created


def request_body(**overrides: Any) -> Json:
    body: Json = {
        "title": "Training of prison officials on the Mandela Rules",
        "assistance_type": "training_of_officials",
        "languages": ["en"],
        "modality": "in_country",
        **WINDOW,
        "urgency": "high",
        "justification": "Shortfall in technical expertise.",
    }
    body.update(overrides)
    return body


TO_ACCEPTED = ("submit", "start-triage", "accept")


def accepted_request(
    client: TestClient,
    db: Session,
    settings: Settings,
    officer_headers: Headers,
    *,
    state: str = "WSM",
    stop_at: str = "accept",
    **overrides: Any,
) -> str:
    """A request its State drafted and submitted and OHCHR triaged and accepted, all over HTTP
    (or stopped after `stop_at`); its submission is then moved back by `SETTLED`."""
    focal = headers_for(db, settings, Role.state_focal_point, state)
    response = client.post(REQUESTS, json=request_body(**overrides), headers=focal)
    assert response.status_code == 201, response.text
    request_id: str = response.json()["id"]
    for verb in TO_ACCEPTED:
        caller = focal if verb == "submit" else officer_headers
        moved = client.post(f"{REQUESTS}/{request_id}/{verb}", json={}, headers=caller)
        assert moved.status_code == 200, moved.text
        if verb == stop_at:
            break
    settle(db, request_id)
    return request_id


def stored_request(
    db: Session,
    *,
    state: str = "WSM",
    stage: str = "accepted",
    waited: dt.timedelta = SETTLED,
    **overrides: Any,
) -> str:
    """A request written straight to the database at `stage`, as the lifecycle would have
    left it there (submitted `waited` ago): for tests about matching, not about the moves."""
    body = request_body(**overrides)
    now = utcnow()
    request = AssistanceRequest(
        state_code=state,
        title=body["title"],
        assistance_type=AssistanceType(body["assistance_type"]),
        languages=list(body["languages"]),
        modality=Modality(body["modality"]),
        window_start=dt.date.fromisoformat(body["window_start"]),
        window_end=dt.date.fromisoformat(body["window_end"]),
        urgency=Urgency(body["urgency"]),
        justification=body["justification"],
        stage=RequestStage(stage),
        stage_entered_at=now,
        submitted_at=now - waited,
        visibility=Visibility.state if stage == RequestStage.draft else Visibility.ohchr,
    )
    db.add(request)
    db.flush()
    return str(request.id)


def settle(db: Session, request_id: str) -> None:
    request = db.get(AssistanceRequest, uuid.UUID(request_id))
    assert request is not None
    db.refresh(request)
    request.submitted_at = utcnow() - SETTLED
    db.add(request)
    db.flush()


def move(client: TestClient, request_id: str, verb: str, headers: Headers) -> Json:
    response = client.post(f"{REQUESTS}/{request_id}/{verb}", json={}, headers=headers)
    assert response.status_code == 200, response.text
    moved: Json = response.json()
    return moved


def offer(client: TestClient, headers: Headers, request_id: str, provider_id: str) -> Json:
    response = client.post(
        ASSIGNMENTS, json={"request_id": request_id, "provider_id": provider_id}, headers=headers
    )
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created


def active_assignments(client: TestClient, headers: Headers, provider_id: str) -> int:
    response = client.get(f"{PROVIDERS}/{provider_id}", headers=headers)
    assert response.status_code == 200, response.text
    count: int = response.json()["active_assignments"]
    return count


def stage_of(db: Session, request_id: str) -> str:
    db.expire_all()
    request = db.get(AssistanceRequest, uuid.UUID(request_id))
    assert request is not None
    return request.stage.value


def assignment_statuses(db: Session, request_id: str) -> list[str]:
    db.expire_all()
    rows = db.exec(
        select(Assignment.status)
        .where(Assignment.request_id == uuid.UUID(request_id))
        .order_by(col(Assignment.created_at))
    ).all()
    return [str(status) for status in rows]


def assignment_events(db: Session, assignment_id: str) -> list[tuple[str, str | None, str]]:
    """(type, state_code, visibility) of each outbox event about one assignment, in order."""
    db.expire_all()
    rows = db.exec(
        select(OutboxEvent)
        .where(OutboxEvent.resource_id == assignment_id)
        .order_by(col(OutboxEvent.seq))
    ).all()
    return [(str(e.type), e.state_code, str(e.visibility)) for e in rows]


def assignment_count(db: Session) -> int:
    db.expire_all()
    return int(db.exec(select(func.count()).select_from(Assignment)).one())


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


# The hard constraints, stated again without the code under test.


def days_available(need: RequestNeeds, offer: ProviderOffer) -> int:
    window = {
        need.window_start + dt.timedelta(days=d)
        for d in range((need.window_end - need.window_start).days + 1)
    }
    inside = {
        start + dt.timedelta(days=d)
        for start, end in offer.availability
        for d in range((end - start).days + 1)
    }
    return len(window & inside)


def can_serve(need: RequestNeeds, offer: ProviderOffer) -> bool:
    return (
        need.assistance_type in offer.assistance_types
        and bool(need.languages & offer.languages)
        and offer.capacity - offer.occupied > 0
        and days_available(need, offer) > 0
        and need.modality in offer.modalities
        and not (offer.kind == "peer_state" and offer.home_state_code == need.state_code)
    )


def best_total(weights: Mapping[str, Mapping[str, float]], remaining: Mapping[str, int]) -> float:
    """The optimum by enumeration: every way to give each request one of its providers or none,
    kept when no provider gets more than its remaining capacity."""
    requests = sorted(weights)
    best = 0.0
    for choice in product(*[[None, *sorted(weights[r])] for r in requests]):
        load = Counter(p for p in choice if p is not None)
        if all(count <= max(remaining.get(p, 0), 0) for p, count in load.items()):
            total = sum(weights[r][p] for r, p in zip(requests, choice, strict=True) if p)
            best = max(best, total)
    return best


def greedy_total(weights: Mapping[str, Mapping[str, float]], remaining: Mapping[str, int]) -> float:
    """Highest weight first, while the provider has room and the request is still open."""
    left = dict(remaining)
    served: set[str] = set()
    total = 0.0
    edges = sorted(((w, r, p) for r, row in weights.items() for p, w in row.items()), reverse=True)
    for w, r, p in edges:
        if r not in served and left.get(p, 0) > 0:
            served.add(r)
            left[p] -= 1
            total += w
    return total
