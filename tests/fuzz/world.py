"""The data the fuzzer aims at: two States' objects at every stage, and one caller per role.

Samoa (WSM) is the State of the State callers; Nepal (NPL) is the other State, whose objects a
Samoan caller must never see unless Nepal published them. Everything is made over HTTP as
clients make it, on top of the demo data.
"""

import datetime as dt
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.assistance.models import AssistanceRequest
from app.auth.models import User
from app.core.db import Database
from app.core.models import utcnow
from app.core.principal import Role
from app.core.settings import Settings
from app.demo import seed_demo
from app.recommendations.models import Recommendation
from tests.factories import token_for
from tests.jobs.support import run_jobs

API = "/api/v1"
HOME, OTHER = "WSM", "NPL"
ANONYMOUS = "anonymous"
CALLERS = (ANONYMOUS, *(role.value for role in Role))
ACCOUNTS = {
    Role.ohchr_admin.value: "admin@demo.item10.org",
    Role.ohchr_officer.value: "officer@demo.item10.org",
    Role.state_focal_point.value: "focal.wsm@demo.item10.org",
    Role.state_contributor.value: "contrib.wsm@demo.item10.org",
    Role.provider.value: "provider@demo.item10.org",
    "focal_other": "focal.npl@demo.item10.org",
}
# Body fields that name other objects, and the path parameter whose known ids they take.
REFERENCES = {
    "recommendation_ids": "recommendation_id",
    "shortfall_ids": "shortfall_id",
    "request_ids": "request_id",
    "request_id": "request_id",
    "provider_id": "provider_id",
    "user_id": "user_id",
    "matching_run_id": "run_id",
    "assigned_officer_id": "user_id",
}


@dataclass
class World:
    tokens: dict[str, str] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)
    ids: dict[str, list[str]] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)
    private_other: set[str] = field(default_factory=set)

    def headers(self, caller: str) -> dict[str, str]:
        if caller == ANONYMOUS:
            return {}
        return {"Authorization": f"Bearer {self.tokens[caller]}"}

    def state_of(self, authorization: str | None) -> str | None:
        """The State of the caller behind an `Authorization` header, if a State caller."""
        token = (authorization or "").removeprefix("Bearer ")
        return self.states.get(token)

    def known(self, name: str, generated: Any) -> Any:
        """Three times in four a known id in place of a well-formed generated one, picked by the
        generated value so that a run is reproducible; a malformed value is left as it is."""
        choices = self.ids.get(name)
        if not choices or not _well_formed(name, generated):
            return generated
        pick = zlib.crc32(str(generated).encode())
        if pick % 4 == 0:
            return generated
        return choices[(pick // 4) % len(choices)]

    def add(self, name: str, value: object) -> str:
        self.ids.setdefault(name, []).append(str(value))
        return str(value)


def _well_formed(name: str, value: Any) -> bool:
    if name == "number":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "code":
        return isinstance(value, str) and len(value) == 3 and value.isalpha()
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def build_world(client: TestClient, database: Database, settings: Settings) -> World:
    world = World()
    with database.session() as db:
        seed_demo(db)
        db.commit()
        users = {
            caller: db.exec(select(User).where(User.email == email)).one()
            for caller, email in ACCOUNTS.items()
        }
        _catalogue(world, db)
    for caller, user in users.items():
        world.tokens[caller] = token_for(settings, user)
        if user.state_code is not None:
            world.states[world.tokens[caller]] = user.state_code
        world.users[caller] = world.add("user_id", user.id)
    for code in (HOME, OTHER):
        world.add("code", code)
    _reporting(world, client)
    _assistance(world, client, database)
    _accounts(world, client)
    return world


def _catalogue(world: World, db: Session) -> None:
    for recommendation in db.exec(select(Recommendation).order_by(Recommendation.text)).all():
        world.add("recommendation_id", recommendation.id)
        world.ids.setdefault(f"recommendations:{recommendation.state_code}", []).append(
            str(recommendation.id)
        )


class Caller:
    """Makes objects over HTTP as one of the world's callers, asserting each step worked."""

    def __init__(self, client: TestClient, world: World, caller: str) -> None:
        self.client, self.headers = client, world.headers(caller)

    def send(self, method: str, path: str, body: object = None, status: int = 200) -> Any:
        response = self.client.request(method, API + path, json=body, headers=self.headers)
        assert response.status_code == status, (path, response.text)
        return response.json() if response.content else None

    def create(self, path: str, body: object) -> Any:
        return self.send("POST", path, body, status=201)


def _reporting(world: World, client: TestClient) -> None:
    home, other = Caller(client, world, "state_focal_point"), Caller(client, world, "focal_other")
    for state, focal in ((HOME, home), (OTHER, other)):
        recommendations = world.ids[f"recommendations:{state}"]
        published, _ = _reports(world, focal, recommendations)
        focal.create(f"/progress-reports/{published}/revisions", {"summary": "A correction."})
        _shortfalls(world, focal, recommendations)
        cluster = focal.create(
            "/recommendation-clusters",
            {"name": f"Torture prevention ({state})", "recommendation_ids": recommendations[:2]},
        )
        _remember(world, "cluster_id", cluster, published=False)
    world.add("number", 1)
    world.add("number", 2)


def _reports(world: World, focal: Caller, recommendations: list[str]) -> tuple[str, str]:
    """A published report, a submitted one and a draft; (published id, draft id)."""
    ids = []
    for stages in (("submit", "publish"), ("submit",), ()):
        report = focal.create(
            "/progress-reports",
            {
                "recommendation_ids": recommendations[:1],
                "period_start": "2024-01-01",
                "period_end": "2024-12-31",
                "status": "in_progress",
                "summary": "Shelters opened.",
                "measures": ["Budget line adopted"],
                "evidence": [{"title": "Gazette", "url": "https://example.org/gazette/5"}],
                "indicators": [{"name": "Shelters", "value": 2, "unit": "shelters"}],
            },
        )
        for verb in stages:
            focal.send("POST", f"/progress-reports/{report['id']}/{verb}", {})
        _remember(world, "report_id", report, published="publish" in stages)
        ids.append(report["id"])
    return ids[0], ids[2]


def _shortfalls(world: World, focal: Caller, recommendations: list[str]) -> None:
    for stages in (("submit", "publish"), ("submit",), ()):
        shortfall = focal.create(
            "/shortfalls",
            {
                "recommendation_ids": recommendations[1:2],
                "barrier_type": "financial",
                "severity": "high",
                "description": "No budget line for the national preventive mechanism.",
            },
        )
        for verb in stages:
            focal.send("POST", f"/shortfalls/{shortfall['id']}/{verb}", {})
        _remember(world, "shortfall_id", shortfall, published="publish" in stages)


def _remember(world: World, name: str, created: dict[str, Any], *, published: bool) -> None:
    world.add(name, created["id"])
    if created["state_code"] == OTHER and not published:
        world.private_other.add(created["id"])


def _assistance(world: World, client: TestClient, database: Database) -> None:
    home, other = Caller(client, world, "state_focal_point"), Caller(client, world, "focal_other")
    officer = Caller(client, world, "ohchr_officer")
    provider = officer.create(
        "/providers",
        {
            "name": "Training adviser, Suva",
            "kind": "human_rights_adviser",
            "organization": "OHCHR",
            "assistance_types": ["training_of_officials"],
            "languages": ["en"],
            "regions_covered": ["Oceania", "Asia"],
            "modalities": ["remote", "in_country", "regional"],
            "capacity": 3,
            "availability": [{"start": "2030-01-01", "end": "2030-12-31"}],
            "user_id": world.users[Role.provider.value],
        },
    )
    world.add("provider_id", provider["id"])
    for state, focal in ((HOME, home), (OTHER, other)):
        for verbs in (
            (),
            ("submit",),
            ("submit", "publish"),
            ("submit", "start-triage", "accept"),
        ):
            request = focal.create("/assistance-requests", _request_body(state))
            for verb in verbs:
                mover = focal if verb in ("submit", "publish") else officer
                mover.send("POST", f"/assistance-requests/{request['id']}/{verb}", {})
            _remember(world, "request_id", request, published="publish" in verbs)
            if "accept" in verbs:
                _settle(database, request["id"])
                assignment = officer.create(
                    "/assignments", {"request_id": request["id"], "provider_id": provider["id"]}
                )
                world.add("assignment_id", assignment["id"])
    run = officer.send("POST", "/matching-runs", {}, status=202)  # queued for a worker
    run_jobs(client.app)  # type: ignore[arg-type]
    world.add("run_id", run["id"])


def _request_body(state: str) -> dict[str, Any]:
    return {
        "title": f"Training of prison officials ({state})",
        "assistance_type": "training_of_officials",
        "languages": ["en"],
        "modality": "in_country",
        "window_start": "2030-03-01",
        "window_end": "2030-06-30",
        "urgency": "high",
        "justification": "Shortfall in technical expertise.",
    }


def _settle(database: Database, request_id: str) -> None:
    """Submitted long enough ago to be matched (matching waits a whole day for stability)."""
    with database.session() as db:
        request = db.get(AssistanceRequest, uuid.UUID(request_id))
        assert request is not None
        request.submitted_at = utcnow() - dt.timedelta(days=30)
        db.add(request)
        db.commit()


def _accounts(world: World, client: TestClient) -> None:
    admin = Caller(client, world, "ohchr_admin")
    created = admin.create(
        "/api-clients", {"name": "Samoa tracker", "role": "state_focal_point", "state_code": HOME}
    )
    world.add("client_uuid", created["id"])
