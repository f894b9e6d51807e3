"""What the assistance analytics tests share: a small, varied set of requests made through the
API and then aged, a reader of that data as an OHCHR officer sees it, and flattening of answers.

The data: 27 requests of six States (Nepal: LDC and LLDC; Samoa: SIDS; Chile: in no group;
Haiti: LDC and SIDS; Mozambique: LDC with particular needs; Kenya: emerging from conflict), in
four regions, at every stage, with info-request loops, declines, withdrawals, two drafts, budgets
with gaps, several themes, SDG targets and languages, and thirteen published. Each request's
submission and moves are then put back by whole days (the order of moves is kept), so that the
working-day figures are not all zero and the submissions span two years.
"""

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlmodel import Session, col, select

from app.assistance.models import AssistanceRequest, RequestTransition
from app.core.principal import Role
from app.core.settings import Settings
from app.taxonomies.models import Theme, term_key
from app.taxonomies.vocabularies import AssistanceType
from tests.conftest import ConnectionDatabase, make_settings
from tests.factories import auth, make_user

API = "/api/v1"
ANALYTICS = f"{API}/analytics/assistance"
REQUESTS = f"{API}/assistance-requests"
Headers = dict[str, str]
Json = dict[str, Any]

STATES = ("NPL", "WSM", "CHL", "HTI", "MOZ", "KEN")
# Flags only administrators set: every priority group then has a State in it.
ADMIN_FLAGS = {"KEN": {"emerging_from_conflict": True}, "MOZ": {"particular_needs": True}}
MONEY = ("requests", "budget_estimate_usd", "co_funding_usd")
LANGUAGES = ["en", "ne", "sm", "es", "fr", "pt", "sw"]
THEMES = {
    "A5": "Human rights education, trainings and awareness raising",
    "A12": "Acceptance of international norms",
    "A27": "Follow-up to Universal Periodic Review (UPR)",
    "A41": "Constitutional and legislative framework",
    "A42": "Institutions & policies - General",
    "A44": "Structure of the national human rights machinery",
    "A45": "National Human Rights Institution (NHRI)",
}

TRIAGE = ("submit", "start-triage")
LOOP = (*TRIAGE, "request-info", "provide-info")
ACCEPT = (*TRIAGE, "accept")
DELIVER = (*ACCEPT, "match", "start-delivery")
PATHS: dict[str, tuple[str, ...]] = {
    "draft": (),
    "wait": ("submit",),
    "withdraw": ("submit", "withdraw"),
    "triage": TRIAGE,
    "info": (*TRIAGE, "request-info"),
    "decline": (*TRIAGE, "decline"),
    "triage-withdraw": (*TRIAGE, "withdraw"),
    "loop-decline": (*LOOP, "decline"),
    "accept": ACCEPT,
    "loop-accept": (*LOOP, "accept"),
    "accept-withdraw": (*ACCEPT, "withdraw"),
    "match": (*ACCEPT, "match"),
    "deliver": DELIVER,
    "complete": (*DELIVER, "complete"),
    "loop-complete": (*LOOP, "accept", "match", "start-delivery", "complete"),
}


@dataclass(frozen=True)
class Plan:
    """One request: its State, the path of verbs it goes through (`PATHS`), how many days ago
    each verb was made (non-increasing, so the order of moves is kept), whether it is published
    (right after submission), and its fields; lists are space-separated."""

    state: str
    path: str
    days: str
    published: bool
    budget: float | None
    co_funding: float | None
    themes: str
    sdgs: str
    languages: str
    kind: AssistanceType

    @property
    def verbs(self) -> tuple[str, ...]:
        return PATHS[self.path]

    @property
    def days_ago(self) -> tuple[int, ...]:
        return tuple(int(days) for days in self.days.split())

    def body(self) -> dict[str, Any]:
        return {
            "title": f"Request of {self.state}",
            "assistance_type": self.kind.value,
            "themes": self.themes.split(),
            "sdg_targets": self.sdgs.split(),
            "languages": self.languages.split(),
            "budget_estimate_usd": self.budget,
            "co_funding_usd": self.co_funding,
            "modality": "in_country",
            "window_start": "2030-01-01",
            "window_end": "2030-03-31",
            "urgency": "medium",
        }


TRAINING = AssistanceType.training_of_officials
LAWS = AssistanceType.legislative_review
NMRF = AssistanceType.nmrf_support
NHRI = AssistanceType.nhri_establishment_or_strengthening
DATA = AssistanceType.human_rights_indicators_and_data
TREATIES = AssistanceType.treaty_reporting
JUSTICE = AssistanceType.transitional_justice
# fmt: off
PLANS = tuple(
    Plan(*row)
    for row in (
        # State, path, days ago of each move, published, budget, co-funding, themes, SDG targets,
        # languages, assistance type
        ("NPL", "draft", "", False, 99_999, 99_999, "A12", "", "en", TRAINING),
        ("NPL", "wait", "3", True, 20_000, 0, "A12", "16.3", "en ne", TRAINING),
        ("NPL", "wait", "25", False, None, None, "A45", "16.10", "en", TRAINING),
        ("NPL", "triage", "40 30", True, 15_000, 5_000, "A12 A5", "16.3 4.7", "en", TRAINING),
        ("NPL", "info", "70 66 50", False, 8_000, None, "A41", "", "en", TRAINING),
        ("NPL", "accept", "120 110 60", False, 50_000, 10_000, "A12", "", "ne", TRAINING),
        ("NPL", "complete", "400 395 380 350 340 200", True, 30_000, 3_000, "A5", "4.7", "en ne",
         LAWS),
        ("WSM", "wait", "8", True, 5_000, None, "A27", "16.3", "en sm", TRAINING),
        ("WSM", "decline", "90 85 70", True, 12_000, 0, "A42", "10.2", "en", NMRF),
        ("WSM", "withdraw", "150 140", False, None, None, "A12", "", "en", TRAINING),
        ("WSM", "match", "200 190 150 120", False, 40_000, 20_000, "A12", "16.3 16.10", "en",
         NMRF),
        ("WSM", "deliver", "300 299 280 270 250", True, 25_000, None, "A44", "5.5", "en sm",
         TRAINING),
        ("CHL", "accept", "45 44 10", True, 18_000, 2_000, "A5 A12", "4.7 16.10", "es en",
         TRAINING),
        ("CHL", "loop-decline", "130 120 115 100 70", False, 7_500, None, "A41", "16.3", "es",
         LAWS),
        ("CHL", "triage-withdraw", "160 150 140", True, None, 1_000, "", "", "es", TRAINING),
        ("CHL", "loop-complete", "380 370 365 360 355 340 300 100", False, 60_000, 15_000, "A12",
         "16.3", "es", TREATIES),
        ("HTI", "wait", "15", False, None, None, "", "", "fr", TRAINING),
        ("HTI", "triage", "33 20", True, 9_000, None, "A5", "4.7", "fr", TRAINING),
        ("HTI", "loop-accept", "100 95 60 55 50", True, 22_000, 2_000, "A45", "16.a", "fr", NHRI),
        ("HTI", "match", "220 210 200 180", False, 35_000, None, "A12", "16.3", "fr en", TRAINING),
        ("MOZ", "wait", "5", True, 3_000, None, "A41", "5.5", "pt", TRAINING),
        ("MOZ", "loop-decline", "60 58 50 40 35", False, 11_000, 500, "A27", "", "pt", DATA),
        ("MOZ", "deliver", "250 245 230 225 180", False, 45_000, 5_000, "A12", "16.3 5.5",
         "pt en", TRAINING),
        ("MOZ", "accept-withdraw", "170 160 150 140", True, 14_000, None, "A5", "4.7", "pt",
         TRAINING),
        ("KEN", "accept", "28 27 20", False, 16_000, 4_000, "A12", "16.3", "sw en", TRAINING),
        ("KEN", "complete", "360 350 330 300 290 250", True, 27_000, None, "A44", "10.2",
         "en sw", DATA),
        ("KEN", "draft", "", False, 1_000, None, "", "", "en", TRAINING),
    )
)
# fmt: on


@dataclass
class Dataset:
    """The callers who made the data and the requests' ids, in the order of `PLANS`."""

    officer: Headers
    admin: Headers
    focal: dict[str, Headers]
    provider_id: str
    provider: Headers
    ids: list[str]


def build_dataset(client: TestClient, db: Session, settings: Settings) -> Dataset:
    officer = auth(settings, make_user(db, role=Role.ohchr_officer))
    admin = auth(settings, make_user(db, role=Role.ohchr_admin))
    focal = {s: auth(settings, make_user(db, role=Role.state_focal_point, state=s)) for s in STATES}
    _flag_states(client, admin)
    add_themes(db)
    provider_user = make_user(db, role=Role.provider)
    provider_id = _roster_entry(client, officer, str(provider_user.id))
    data = Dataset(officer, admin, focal, provider_id, auth(settings, provider_user), [])
    for plan in PLANS:
        data.ids.append(make_planned(client, data, plan))
    for plan, request_id in zip(PLANS, data.ids, strict=True):
        backdate(db, request_id, plan.days_ago)
    return data


def make_planned(client: TestClient, data: Dataset, plan: Plan) -> str:
    """A request created by its State's focal point and moved through `plan.verbs`."""
    created = client.post(REQUESTS, json=plan.body(), headers=data.focal[plan.state])
    assert created.status_code == 201, created.text
    request_id: str = created.json()["id"]
    for verb in plan.verbs:
        apply_verb(client, data, plan.state, request_id, verb)
        if verb == "submit" and plan.published:
            post_ok(client, f"{REQUESTS}/{request_id}/publish", data.focal[plan.state])
    return request_id


def apply_verb(client: TestClient, data: Dataset, state: str, request_id: str, verb: str) -> None:
    if verb == "match":
        offered = post_ok(
            client,
            f"{API}/assignments",
            data.officer,
            {"request_id": request_id, "provider_id": data.provider_id},
        )
        post_ok(client, f"{API}/assignments/{offered['id']}/accept", data.provider)
        return
    by_state = verb in ("submit", "withdraw", "provide-info")
    body = {"message": f"Said on {verb}"} if verb in ("request-info", "provide-info") else {}
    if verb == "decline":
        body = {"reason": "Outside the mandate"}
    post_ok(
        client,
        f"{REQUESTS}/{request_id}/{verb}",
        data.focal[state] if by_state else data.officer,
        body,
    )


def post_ok(client: TestClient, url: str, headers: Headers, body: Json | None = None) -> Json:
    response = client.post(url, json=body or {}, headers=headers)
    assert response.status_code in (200, 201), response.text
    answered: Json = response.json()
    return answered


def backdate(db: Session, request_id: str, days_ago: tuple[int, ...]) -> None:
    """Move the submission and the i-th move back by `days_ago[i]` whole days; the submission
    goes with the first move (`submit`)."""
    if not days_ago:
        return
    db.expire_all()
    request = db.get(AssistanceRequest, uuid.UUID(request_id))
    assert request is not None and request.submitted_at is not None
    moves = db.exec(
        select(RequestTransition)
        .where(RequestTransition.request_id == request.id)
        .order_by(col(RequestTransition.at), col(RequestTransition.id))
    ).all()
    assert len(moves) == len(days_ago), (request_id, [m.verb for m in moves])
    for move, days in zip(moves, days_ago, strict=True):
        move.at -= dt.timedelta(days=days)
        db.add(move)
    request.submitted_at -= dt.timedelta(days=days_ago[0])
    request.stage_entered_at = moves[-1].at
    db.add(request)
    db.commit()


def add_themes(db: Session) -> None:
    """The UHRI themes the requests name, where the taxonomy lacks them."""
    known = set(db.exec(select(Theme.code)).all())
    db.add_all(
        Theme(code=code, name=name, key=term_key(name))
        for code, name in THEMES.items()
        if code not in known
    )
    db.commit()


def _flag_states(client: TestClient, admin: Headers) -> None:
    for code, flags in ADMIN_FLAGS.items():
        etag = client.get(f"{API}/states/{code}").headers["etag"]
        response = client.patch(
            f"{API}/states/{code}", json=flags, headers={**admin, "If-Match": etag}
        )
        assert response.status_code == 200, response.text


def _roster_entry(client: TestClient, officer: Headers, user_id: str) -> str:
    body = {
        "name": "Adviser for every request",
        "kind": "human_rights_adviser",
        "organization": "OHCHR",
        "assistance_types": [kind.value for kind in AssistanceType],
        "languages": LANGUAGES,
        "modalities": ["remote", "in_country", "regional"],
        "capacity": 20,
        "availability": [{"start": "2030-01-01", "end": "2030-12-31"}],
        "user_id": user_id,
    }
    created = post_ok(client, f"{API}/providers", officer, body)
    provider_id: str = created["id"]
    return provider_id


@dataclass
class Observed:
    """Every submitted request, its moves and the States, as an officer reads them."""

    requests: list[Json]
    transitions: dict[str, list[Json]]
    states: dict[str, Json]


def read_all(client: TestClient, officer: Headers) -> Observed:
    requests = read_pages(client, REQUESTS, officer)
    transitions = {
        r["id"]: get_json(client, f"{REQUESTS}/{r['id']}/transitions", officer)["items"]
        for r in requests
    }
    states = {s["code"]: s for s in read_pages(client, f"{API}/states", {})}
    return Observed(requests, transitions, states)


def read_pages(client: TestClient, url: str, headers: Headers) -> list[Json]:
    items: list[Json] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = get_json(client, url, headers, params)
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def get_json(
    client: TestClient, url: str, headers: Headers, params: dict[str, Any] | None = None
) -> Json:
    response = client.get(url, headers=headers, params=params)
    assert response.status_code == 200, (url, params, response.text)
    answered: Json = response.json()
    return answered


def analytics(client: TestClient, headers: Headers, **params: str) -> Json:
    return get_json(client, ANALYTICS, headers, params)


def flatten(value: Json, prefix: str = "") -> dict[str, Any]:
    """A nested answer as dotted paths to its leaves (`outcomes.accepted.requests`)."""
    flat: dict[str, Any] = {}
    for name, inner in value.items():
        path = f"{prefix}{name}"
        if isinstance(inner, dict) and inner:
            flat.update(flatten(inner, f"{path}."))
        else:
            flat[path] = inner
    return flat


DIMENSIONS: tuple[str, ...] = ("state", "region", "sub_region", "regional_group", "priority_group")
DIMENSIONS += ("priority", "assistance_type", "theme", "sdg", "language", "quarter", "year")
# Nepal's new request names values no other request has, so that filters on them are asked too.
NEW = Plan("NPL", "accept", "", False, 77_777, 7_000, "A42", "10.3", "hi", JUSTICE)


def filter_values(seen: Observed) -> dict[str, set[str]]:
    """Every value of every filter that the data (and Nepal's new request) holds."""
    states = [seen.states[r["state_code"]] for r in seen.requests]
    years = {r["submitted_at"][:4] for r in seen.requests}
    targets = {t for r in seen.requests for t in r["sdg_targets"]} | {"10.3"}
    return {
        "state": {s["code"] for s in states},
        "region": {s["region"] for s in states} | {s["sub_region"] for s in states},
        "sub_region": {s["sub_region"] for s in states},
        "regional_group": {s["regional_group"] for s in states},
        "priority_group": {"ldc", "lldc", "sids", "conflict", "particular_needs"},
        "assistance_type": {r["assistance_type"] for r in seen.requests} | {NEW.kind.value},
        "theme": {t for r in seen.requests for t in r["themes"]} | {"A42"},
        "sdg": targets | {t.split(".")[0] for t in targets},
        "year": years,
        "from": {f"{year}-04-01" for year in years},
        "to": {f"{year}-09-30" for year in years},
    }


def questions(seen: Observed) -> list[dict[str, str]]:
    """Every grouping, every pair of groupings, every filter value (grouped by State and by
    quarter) and every pair of a theme with a place."""
    asked: list[dict[str, str]] = [{}]
    asked += [{"group_by": d} for d in DIMENSIONS]
    asked += [{"group_by": f"{a},{b}"} for a, b in combinations(DIMENSIONS, 2)]
    values = filter_values(seen)
    for name, named in values.items():
        asked += [{name: v, "group_by": "state,quarter"} for v in sorted(named)]
    for theme in sorted(values["theme"]):
        asked += [{"theme": theme, "region": region} for region in sorted(values["region"])]
    return asked


def answers(client: TestClient, headers: Headers, asked: list[dict[str, str]]) -> list[bytes]:
    """The bodies, but for `as_of`: the one thing that moves with the clock."""
    bodies = []
    for params in asked:
        response = client.get(ANALYTICS, params=params, headers=headers)
        assert response.status_code == 200, (params, response.text)
        bodies.append(response.content.replace(response.json()["as_of"].encode(), b""))
    return bodies


def change_nepals_unpublished_requests(client: TestClient, data: Dataset) -> None:
    """Nepal adds a request, OHCHR moves its unpublished ones on, it changes a budget."""
    waiting, asked_info, accepted = data.ids[2], data.ids[4], data.ids[5]
    assert [PLANS[i].path for i in (2, 4, 5)] == ["wait", "info", "accept"]
    make_planned(client, data, NEW)
    post_ok(client, f"{REQUESTS}/{waiting}/start-triage", data.officer)
    post_ok(client, f"{REQUESTS}/{waiting}/decline", data.officer, {"reason": "No"})
    url = f"{REQUESTS}/{asked_info}"
    etag = client.get(url, headers=data.focal["NPL"]).headers["etag"]
    patch = {"budget_estimate_usd": 1_234_567, "co_funding_usd": 1}
    patched = client.patch(url, json=patch, headers={**data.focal["NPL"], "If-Match": etag})
    assert patched.status_code == 200, patched.text
    post_ok(client, f"{url}/provide-info", data.focal["NPL"], {"message": "Here it is"})
    post_ok(client, f"{url}/accept", data.officer)
    post_ok(client, f"{REQUESTS}/{accepted}/withdraw", data.focal["NPL"])


# Building the data takes a few seconds, so a module's tests share it: a module binds these
# fixtures to the names `connection`, `built` and `rolled_back_each_test`. The whole module runs
# in one transaction, and each test in a savepoint of it that is rolled back, so no test sees
# another's writes.


@pytest.fixture(scope="module", name="connection")
def module_connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture(scope="module", name="built")
def built_once(
    shared_app: FastAPI, engine: Engine, connection: Connection, database_url: str
) -> tuple[Dataset, Observed]:
    """The data set, and what an officer reads of it."""
    settings = make_settings(database_url)
    database = ConnectionDatabase(engine, connection)
    shared_app.state.settings, shared_app.state.database = settings, database
    with TestClient(shared_app, raise_server_exceptions=False) as client, database.session() as db:
        data = build_dataset(client, db, settings)
        observed = read_all(client, data.officer)
    shared_app.state.database = None
    return data, observed


@pytest.fixture(autouse=True, name="rolled_back_each_test")
def savepoint_per_test(built: tuple[Dataset, Observed], connection: Connection) -> Iterator[None]:
    savepoint = connection.begin_nested()
    yield
    if savepoint.is_active:
        savepoint.rollback()
