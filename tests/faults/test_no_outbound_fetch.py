"""No URL a caller sends is ever fetched: the server opens no connection but to its database.

Every operation whose body takes free text or a URL is called with links to cloud metadata,
internal services and local files in every such field, while a guard on the socket layer
records (and refuses) any connection or name lookup to anywhere but the database. Each call
must succeed, so the links were really taken in, stored and served back.
"""

import csv
import io
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import make_url
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from tests.databases import POSTGRES_URL
from tests.factories import auth, make_user
from tests.jobs.support import run_jobs
from tests.progress.support import make_bare_recommendation

METADATA = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
LINKS = (
    METADATA,
    "http://127.0.0.1:6379/",
    "https://internal.example.org:8443/admin",
    "file:///etc/passwd",
    "gopher://localhost:25/_HELO",
)
TEXT = "Details: " + " ".join(LINKS)
SHORT = METADATA  # for fields of 200 characters or fewer
EVIDENCE = [{"title": SHORT, "url": link} for link in LINKS[:3]]

Json = dict[str, Any]


@dataclass
class OutboundGuard:
    """Refuses and records every connection and name lookup except to the database."""

    allowed_hosts: frozenset[str]
    allowed: frozenset[tuple[str, int]]
    attempts: list[str] = field(default_factory=list)

    def check(self, host: Any, port: Any) -> None:
        if (str(host), port) not in self.allowed:
            self.refuse(host, port)

    def check_lookup(self, host: Any, port: Any) -> None:
        if str(host) not in self.allowed_hosts:
            self.refuse(host, port)

    def refuse(self, host: Any, port: Any) -> None:
        self.attempts.append(f"{host}:{port}")
        raise ConnectionRefusedError(f"outbound connection to {host}:{port} refused by the test")

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real_connect = socket.socket.connect
        real_connect_ex = socket.socket.connect_ex
        real_create_connection = socket.create_connection
        real_getaddrinfo = socket.getaddrinfo

        def connect(sock: socket.socket, address: Any) -> None:
            if isinstance(address, tuple):
                self.check(*address[:2])
            real_connect(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> int:
            if isinstance(address, tuple):
                self.check(*address[:2])
            return real_connect_ex(sock, address)

        def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
            self.check(*address)
            return real_create_connection(address, *args, **kwargs)

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            self.check_lookup(host, port)
            return real_getaddrinfo(host, port, *args, **kwargs)

        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
        monkeypatch.setattr(socket, "create_connection", create_connection)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def database_address() -> tuple[str, int] | None:
    if POSTGRES_URL is None:
        return None  # SQLite is a file: no connection at all
    url = make_url(POSTGRES_URL)
    return url.host or "localhost", url.port or 5432


@pytest.fixture
def guard(monkeypatch: pytest.MonkeyPatch) -> OutboundGuard:
    address = database_address()
    guard = OutboundGuard(
        allowed_hosts=frozenset({address[0]} if address else ()),
        allowed=frozenset({address} if address else ()),
    )
    guard.install(monkeypatch)
    return guard


class Api:
    """Calls operations by their operationId, so that coverage is counted in the same names
    the OpenAPI document uses."""

    def __init__(self, client: TestClient, spec: Json) -> None:
        self.client = client
        self.routes = {
            op["operationId"]: (method.upper(), path)
            for path, ops in spec["paths"].items()
            for method, op in ops.items()
        }
        self.called: set[str] = set()

    def call(
        self,
        operation_id: str,
        headers: dict[str, str],
        *,
        expect: int,
        if_match: str | None = None,
        **params: Any,
    ) -> httpx.Response:
        method, template = self.routes[operation_id]
        path_params = {k: v for k, v in params.items() if "{" + k + "}" in template}
        sent = {k: v for k, v in params.items() if k not in path_params}
        headers = headers | ({"If-Match": if_match} if if_match else {})
        response: httpx.Response = self.client.request(
            method, template.format(**path_params), headers=headers, **sent
        )
        assert response.status_code == expect, f"{operation_id}: {response.text}"
        self.called.add(operation_id)
        return response

    def made(self, operation_id: str, headers: dict[str, str], **params: Any) -> Json:
        body: Json = self.call(operation_id, headers, expect=201, **params).json()
        return body


@pytest.fixture
def api(app: FastAPI, guard: OutboundGuard) -> Iterator[Api]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, app.openapi())


def free_text(schema: Json, components: Json) -> bool:
    """Whether a body schema has a string that is not an id, a date, a code or an enum."""
    if "$ref" in schema:
        return free_text(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    if schema.get("type") == "string":
        constrained = {"enum", "pattern", "const"} & schema.keys()
        return not constrained and schema.get("format") not in {"uuid", "date", "date-time"}
    nested = [*schema.get("anyOf", ()), *schema.get("allOf", ()), *schema.get("oneOf", ())]
    nested += [
        schema[k] for k in ("items", "additionalProperties") if isinstance(schema.get(k), dict)
    ]
    nested += list(schema.get("properties", {}).values())
    return any(free_text(part, components) for part in nested)


def free_text_operations(spec: Json) -> set[str]:
    components = spec["components"]["schemas"]
    return {
        op["operationId"]
        for ops in spec["paths"].values()
        for op in ops.values()
        if any(
            free_text(content["schema"], components)
            for content in op.get("requestBody", {}).get("content", {}).values()
        )
    }


def headers(db: Session, settings: Settings, role: Role, state: str = "WSM") -> dict[str, str]:
    return auth(settings, make_user(db, role=role, state=state))


def report_body(recommendation_id: uuid.UUID) -> Json:
    return {
        "recommendation_ids": [str(recommendation_id)],
        "period_start": "2023-01-01",
        "period_end": "2023-12-31",
        "status": "in_progress",
        "summary": TEXT,
        "measures": list(LINKS),
        "evidence": EVIDENCE,
        "indicators": [
            {"name": SHORT, "value": 1, "unit": SHORT, "disaggregation": {"source": METADATA}}
        ],
        "responsible_entities": [SHORT],
    }


def upr_info_csv() -> bytes:
    """A UPR Info export whose recommendation text is full of links."""
    row = {
        "To": "Samoa",
        "To-Rgrp": "Asia",
        "To-Org": "",
        "Text": f"Publish the plan at {TEXT}",
        "From": "New Zealand",
        "From-Rgrp": "WEOG",
        "From-Org": "",
        "Response": "Accepted",
        "Action": "3",
        "Issue": "Justice",
        "Session": "11",
    }
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(row))
    writer.writeheader()
    writer.writerow(row)
    return buffer.getvalue().encode()


ACCOUNTS = {"issue_token", "create_user", "update_user", "create_api_client"}
CATALOGUE = {
    "create_recommendation_import",
    "create_recommendation_cluster",
    "update_recommendation_cluster",
}
PROGRESS = {
    "create_progress_report",
    "create_progress_report_batch",
    "update_progress_report",
    "submit_progress_report",
    "publish_progress_report",
    "unpublish_progress_report",
    "create_progress_revision",
    "update_progress_revision",
}
SHORTFALLS = {
    "create_shortfall",
    "update_shortfall",
    "submit_shortfall",
    "publish_shortfall",
    "unpublish_shortfall",
    "resolve_shortfall",
}
ASSISTANCE = {
    "create_assistance_request",
    "update_assistance_request",
    "submit_assistance_request",
    "withdraw_assistance_request",
    "start_triage_assistance_request",
    "request_info_assistance_request",
    "provide_info_assistance_request",
    "accept_assistance_request",
    "decline_assistance_request",
    "start_delivery_assistance_request",
    "complete_assistance_request",
    "publish_assistance_request",
    "unpublish_assistance_request",
    "create_assistance_message",
    "create_provider",
    "update_provider",
    "accept_assignment",
    "decline_assignment",
}


WEBHOOKS = {
    "create_webhook_subscription",
    "update_webhook_subscription",
    "ping_webhook_subscription",
}


DEADLINES = {"create_reporting_deadline", "update_reporting_deadline"}


def test_every_operation_that_takes_free_text_is_exercised_here(app: FastAPI) -> None:
    covered = ACCOUNTS | CATALOGUE | PROGRESS | SHORTFALLS | ASSISTANCE | WEBHOOKS | DEADLINES
    assert free_text_operations(app.openapi()) - covered == set()


def test_the_guard_catches_a_fetch(guard: OutboundGuard) -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.get(METADATA, timeout=1)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", 6379), timeout=1)
    assert guard.attempts == ["169.254.169.254:80", "127.0.0.1:6379"]


def test_accounts_take_links_without_fetching_them(
    api: Api, guard: OutboundGuard, db: Session, settings: Settings
) -> None:
    admin = headers(db, settings, Role.ohchr_admin)
    api.call(
        "issue_token",
        {},
        expect=400,
        data={"grant_type": "password", "username": METADATA, "password": METADATA},
    )
    user = api.call(
        "create_user",
        admin,
        expect=201,
        json={"email": "links@example.org", "name": SHORT, "state_code": "WSM", "password": TEXT},
    )
    api.call(
        "update_user",
        admin,
        expect=200,
        if_match=user.headers["etag"],
        user_id=user.json()["id"],
        json={"name": LINKS[2]},
    )
    api.made(
        "create_api_client",
        admin,
        json={"name": SHORT, "role": "state_focal_point", "state_code": "WSM"},
    )
    assert api.called == ACCOUNTS
    assert guard.attempts == []


def test_the_catalogue_takes_links_without_fetching_them(
    api: Api, guard: OutboundGuard, db: Session, settings: Settings
) -> None:
    admin = headers(db, settings, Role.ohchr_admin)
    focal = headers(db, settings, Role.state_focal_point)
    recommendation = make_bare_recommendation(db)
    queued = api.call(
        "create_recommendation_import",
        admin,
        expect=202,
        files={"file": ("links.csv", upr_info_csv())},
        data={"format": "upr_info"},
    )
    run_jobs(api.client.app)  # type: ignore[arg-type]  # the worker imports it, fetching nothing
    report = api.client.get(queued.headers["location"], headers=admin).json()
    assert (report["status"], report["created"]) == ("succeeded", 1)
    cluster = api.call(
        "create_recommendation_cluster",
        focal,
        expect=201,
        json={"name": SHORT, "description": TEXT, "recommendation_ids": [str(recommendation.id)]},
    )
    api.call(
        "update_recommendation_cluster",
        focal,
        expect=200,
        if_match=cluster.headers["etag"],
        cluster_id=cluster.json()["id"],
        json={"description": TEXT},
    )
    assert api.called == CATALOGUE
    assert guard.attempts == []


def test_progress_reports_take_links_without_fetching_them(
    api: Api, guard: OutboundGuard, db: Session, settings: Settings
) -> None:
    focal = headers(db, settings, Role.state_focal_point)
    rid = make_bare_recommendation(db).id
    api.made("create_progress_report_batch", focal, json={"items": [report_body(rid)]})
    created = api.call("create_progress_report", focal, expect=201, json=report_body(rid))
    report_id = created.json()["id"]
    api.call(
        "update_progress_report",
        focal,
        expect=200,
        if_match=created.headers["etag"],
        report_id=report_id,
        json={"summary": TEXT, "evidence": EVIDENCE[::-1]},
    )
    for verb in ("submit", "publish", "unpublish"):
        api.call(
            f"{verb}_progress_report",
            focal,
            expect=200,
            report_id=report_id,
            json={"message": TEXT, "reason": TEXT},
        )
    revision = api.call(
        "create_progress_revision",
        focal,
        expect=201,
        report_id=report_id,
        json={"summary": TEXT, "evidence": EVIDENCE},
    )
    api.call(
        "update_progress_revision",
        focal,
        expect=200,
        if_match=revision.headers["etag"],
        report_id=report_id,
        number=revision.json()["number"],
        json={"measures": list(LINKS)},
    )
    stored = api.client.get(f"/api/v1/progress-reports/{report_id}", headers=focal).json()
    assert {e["url"] for e in stored["evidence"]} >= {METADATA}
    assert api.called == PROGRESS
    assert guard.attempts == []


def test_shortfalls_take_links_without_fetching_them(
    api: Api, guard: OutboundGuard, db: Session, settings: Settings
) -> None:
    focal = headers(db, settings, Role.state_focal_point)
    rid = str(make_bare_recommendation(db).id)
    created = api.call(
        "create_shortfall",
        focal,
        expect=201,
        json={
            "recommendation_ids": [rid],
            "barrier_type": "technical_expertise",
            "severity": "high",
            "description": TEXT,
        },
    )
    shortfall_id = created.json()["id"]
    api.call(
        "update_shortfall",
        focal,
        expect=200,
        if_match=created.headers["etag"],
        shortfall_id=shortfall_id,
        json={"description": LINKS[3]},
    )
    for verb in ("submit", "publish", "unpublish"):
        api.call(
            f"{verb}_shortfall",
            focal,
            expect=200,
            shortfall_id=shortfall_id,
            json={"message": TEXT, "reason": TEXT},
        )
    api.call(
        "resolve_shortfall",
        focal,
        expect=200,
        shortfall_id=shortfall_id,
        json={"message": TEXT, "reason": TEXT, "resolved_on": "2024-06-30"},
    )
    assert api.called == SHORTFALLS
    assert guard.attempts == []


def move_request(api: Api, caller: dict[str, str], request_id: str, verb: str) -> None:
    """A verb of the request, with links for its message and its reason."""
    api.call(
        f"{verb.replace('-', '_')}_assistance_request",
        caller,
        expect=200,
        request_id=request_id,
        json={"message": TEXT, "reason": TEXT},
    )


def accepted_request(
    api: Api, focal: dict[str, str], officer: dict[str, str], *, last: str = "accept"
) -> str:
    """Drafted, changed and submitted by the State, triaged (with a question and its answer)
    and accepted (or `last`: declined) by OHCHR: every text on the way is links."""
    created = api.call(
        "create_assistance_request",
        focal,
        expect=201,
        json={
            "title": SHORT,
            "assistance_type": "training_of_officials",
            "languages": ["en"],
            "modality": "remote",
            "window_start": "2030-01-01",
            "window_end": "2030-03-31",
            "urgency": "high",
            "justification": TEXT,
        },
    )
    request_id: str = created.json()["id"]
    api.call(
        "update_assistance_request",
        focal,
        expect=200,
        if_match=created.headers["etag"],
        request_id=request_id,
        json={"justification": TEXT, "title": LINKS[2]},
    )
    for verb, caller in (
        ("submit", focal),
        ("start-triage", officer),
        ("request-info", officer),
        ("provide-info", focal),
        (last, officer),
    ):
        move_request(api, caller, request_id, verb)
    return request_id


def test_assistance_and_matching_take_links_without_fetching_them(
    api: Api, guard: OutboundGuard, db: Session, settings: Settings
) -> None:
    focal = headers(db, settings, Role.state_focal_point)
    officer = headers(db, settings, Role.ohchr_officer)
    account = make_user(db, role=Role.provider)
    first, second = (accepted_request(api, focal, officer) for _ in range(2))
    accepted_request(api, focal, officer, last="decline")
    for verb in ("publish", "unpublish"):
        move_request(api, focal, first, verb)
    for caller, internal in ((focal, False), (officer, True)):
        api.made(
            "create_assistance_message",
            caller,
            request_id=first,
            json={"body": TEXT, "internal": internal},
        )
    current = api.client.get(f"/api/v1/assistance-requests/{first}", headers=officer)
    api.call(
        "update_assistance_request",
        officer,
        expect=200,
        if_match=current.headers["etag"],
        request_id=first,
        json={"internal_notes": TEXT},
    )
    provider = api.call(
        "create_provider",
        officer,
        expect=201,
        json={
            "name": SHORT,
            "kind": "human_rights_adviser",
            "organization": LINKS[2],
            "assistance_types": ["training_of_officials"],
            "languages": ["en"],
            "modalities": ["remote"],
            "duty_station": SHORT,
            "capacity": 2,
            "availability": [{"start": "2030-01-01", "end": "2030-12-31"}],
            "notes": TEXT,
            "user_id": str(account.id),
        },
    )
    provider_id = provider.json()["id"]
    api.call(
        "update_provider",
        officer,
        expect=200,
        if_match=provider.headers["etag"],
        provider_id=provider_id,
        json={"notes": TEXT, "duty_station": LINKS[1]},
    )
    answering = auth(settings, account)
    for request_id, verb in ((first, "accept"), (second, "decline")):
        offered = api.client.post(
            "/api/v1/assignments",
            json={"request_id": request_id, "provider_id": provider_id},
            headers=officer,
        )
        assert offered.status_code == 201, offered.text
        api.call(
            f"{verb}_assignment",
            answering,
            expect=200,
            assignment_id=offered.json()["id"],
            json={"reason": TEXT},
        )
    for verb in ("start-delivery", "complete"):
        move_request(api, officer, first, verb)
    move_request(api, focal, second, "withdraw")
    assert api.called == ASSISTANCE
    assert guard.attempts == []


def test_webhook_subscriptions_refuse_private_links_and_fetch_nothing_meanwhile(
    app: FastAPI, api: Api, guard: OutboundGuard, db: Session, settings: Settings
) -> None:
    """A subscription URL is the one thing the service ever fetches: by the worker, after it
    checked the addresses the host resolves to then (tests/webhooks). Metadata, loopback and
    local URLs are refused when registered, with no lookup and no connection; an accepted one
    is not called while the request is answered, not even by a test ping, which is queued."""
    admin = headers(db, settings, Role.ohchr_admin)
    types = ["shortfall.published"]
    for link in (METADATA, LINKS[1], LINKS[3], LINKS[4], "http://localhost:8080/", SHORT + "#x"):
        refused = api.call(
            "create_webhook_subscription",
            admin,
            expect=422,
            json={"url": link, "event_types": types, "description": TEXT},
        )
        assert refused.json()["errors"][0]["loc"] == ["body", "url"]
    created = api.call(
        "create_webhook_subscription",
        admin,
        expect=201,
        json={"url": "https://93.184.215.14/hooks", "event_types": types, "description": TEXT},
    )
    subscription_id = created.json()["id"]
    api.call(
        "update_webhook_subscription",
        admin,
        expect=422,
        if_match=created.headers["etag"],
        subscription_id=subscription_id,
        json={"url": METADATA},
    )
    api.call(
        "update_webhook_subscription",
        admin,
        expect=200,
        if_match=created.headers["etag"],
        subscription_id=subscription_id,
        json={"url": "https://93.184.215.15/hooks", "description": LINKS[2]},
    )
    api.call("ping_webhook_subscription", admin, expect=202, subscription_id=subscription_id)
    assert api.called == WEBHOOKS
    assert guard.attempts == []

    run_jobs(app)  # the worker delivers the ping: to the checked address, and nowhere else

    assert guard.attempts == ["93.184.215.15:443"]


def test_reporting_deadlines_take_links_without_fetching_them(
    api: Api, guard: OutboundGuard, db: Session, settings: Settings
) -> None:
    focal = headers(db, settings, Role.state_focal_point)
    rid = make_bare_recommendation(db).id
    created = api.call(
        "create_reporting_deadline",
        focal,
        expect=201,
        json={"recommendation_id": str(rid), "due_on": "2030-06-30", "note": TEXT},
    )
    api.call(
        "update_reporting_deadline",
        focal,
        expect=200,
        if_match=created.headers["etag"],
        deadline_id=created.json()["id"],
        json={"note": LINKS[0]},
    )
    assert api.called == DEADLINES
    assert guard.attempts == []
