"""A write builds the caller's view once: statements per request for a create, a PATCH and the
verbs of every kind of object, each within a budget.

Run with `-s` to see the table (`pytest tests/lifecycle/test_statements.py -s`); name rows in
`SHOW_SQL` (separated by `;`) to see their statements too. The counts include the caller's
account (one SELECT) and exclude the harness's savepoints.
"""

import os
from collections.abc import Callable
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from tests.factories import auth, make_recommendation, make_user
from tests.lifecycle.statements import statements

API = "/api/v1"
# The most statements a write may take: the caller's account, the object, its links, the
# change, and its audit and outbox events. A verb that posts to the request's thread adds the
# message and its own announcement; a move that moves another object (an assignment freed,
# a request matched) adds that object's read, change and announcement.
BUDGET = 8
WITH_MESSAGE = BUDGET + 3
WITH_SECOND_OBJECT = BUDGET + 4
# An offer re-reads the request and the provider under lock, and counts the provider's load.
OFFER = BUDGET + 1
# The view of a request a provider serves names that provider: one more read.
SERVED = 1
SHOW = set(os.environ.get("SHOW_SQL", "").split(";")) - {""}


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def test_every_write_stays_within_its_statement_budget(
    client: TestClient, db: Session, settings: Settings, engine: Engine
) -> None:
    focal = auth(settings, make_user(db, role=Role.state_focal_point, state="WSM"))
    officer = auth(settings, make_user(db, role=Role.ohchr_officer))
    provider_user = make_user(db, role=Role.provider)
    provider = auth(settings, provider_user)
    recommendation = str(make_recommendation(db, state="WSM").id)
    counts: list[tuple[str, int, int]] = []

    def measured(
        name: str, call: Callable[[], httpx.Response], budget: int = BUDGET
    ) -> dict[str, Any]:
        with statements(engine) as seen:
            body = _ok(call())
        counts.append((name, len(seen), budget))
        if name in SHOW:
            print("\n".join([f"-- {name}", *(" ".join(q.split())[:150] for q in seen)]))
        return body

    def post(url: str, headers: dict[str, str], json: Any = None) -> Callable[[], httpx.Response]:
        return lambda: client.post(f"{API}{url}", json=json, headers=headers)

    def patch(
        url: str, headers: dict[str, str], json: Any, etag: int
    ) -> Callable[[], httpx.Response]:
        return lambda: client.patch(
            f"{API}{url}", json=json, headers={**headers, "If-Match": f'"{etag}"'}
        )

    report = measured(
        "progress report: create",
        post(
            "/progress-reports",
            focal,
            {
                "recommendation_ids": [recommendation],
                "period_start": "2025-01-01",
                "period_end": "2025-12-31",
                "status": "in_progress",
            },
        ),
    )
    url = f"/progress-reports/{report['id']}"
    measured("progress report: PATCH", patch(url, focal, {"summary": "Shelters opened"}, 1))
    for verb in ("submit", "publish"):
        measured(f"progress report: {verb}", post(f"{url}/{verb}", focal))
    measured(
        "progress report: create revision",
        post(f"{url}/revisions", focal, {"status": "fully_implemented", "reason": "Census"}),
    )
    measured("progress report: submit revision", post(f"{url}/submit", focal))
    measured("progress report: publish revision", post(f"{url}/publish", focal))

    shortfall = measured(
        "shortfall: create",
        post(
            "/shortfalls",
            focal,
            {
                "recommendation_ids": [recommendation],
                "barrier_type": "financial",
                "severity": "high",
                "description": "No budget line",
            },
        ),
    )
    url = f"/shortfalls/{shortfall['id']}"
    measured("shortfall: PATCH", patch(url, focal, {"severity": "critical"}, 1))
    for verb in ("submit", "publish"):
        measured(f"shortfall: {verb}", post(f"{url}/{verb}", focal))
    measured("shortfall: resolve", post(f"{url}/resolve", focal, {"resolved_on": "2026-01-31"}))

    second = _ok(
        client.post(
            f"{API}/shortfalls",
            json={
                "recommendation_ids": [recommendation],
                "barrier_type": "technical_expertise",
                "severity": "medium",
                "description": "No statistician",
            },
            headers=focal,
        )
    )
    _ok(client.post(f"{API}/shortfalls/{second['id']}/submit", headers=focal))
    request = measured(
        "assistance request: create",
        post(
            "/assistance-requests",
            focal,
            {
                "title": "Training of officials",
                "recommendation_ids": [recommendation],
                "shortfall_ids": [second["id"]],
                "assistance_type": "training_of_officials",
                "languages": ["en"],
                "modality": "remote",
                "window_start": "2030-01-01",
                "window_end": "2030-06-30",
                "urgency": "high",
            },
        ),
    )
    url = f"/assistance-requests/{request['id']}"
    measured("assistance request: PATCH (State)", patch(url, focal, {"urgency": "critical"}, 1))
    measured("assistance request: submit", post(f"{url}/submit", focal))
    measured("assistance request: start-triage", post(f"{url}/start-triage", officer))
    measured(
        "assistance request: request-info",
        post(f"{url}/request-info", officer, {"message": "Which ministries?"}),
        WITH_MESSAGE,
    )
    measured(
        "assistance request: provide-info",
        post(f"{url}/provide-info", focal, {"message": "Justice and Interior"}),
        WITH_MESSAGE,
    )
    measured("assistance request: accept", post(f"{url}/accept", officer))
    measured("assistance request: publish", post(f"{url}/publish", focal))
    version = _ok(client.get(f"{API}{url}", headers=officer))["version"]
    measured(
        "assistance request: PATCH (officer)",
        patch(url, officer, {"internal_notes": "Fits the regional plan"}, version),
    )

    roster = _ok(
        client.post(
            f"{API}/providers",
            json={
                "name": "Adviser",
                "kind": "human_rights_adviser",
                "assistance_types": ["training_of_officials"],
                "languages": ["en"],
                "modalities": ["remote"],
                "capacity": 2,
                "availability": [{"start": "2030-01-01", "end": "2030-12-31"}],
                "user_id": str(provider_user.id),
            },
            headers=officer,
        )
    )
    assignment = measured(
        "assignment: offer",
        post("/assignments", officer, {"request_id": request["id"], "provider_id": roster["id"]}),
        OFFER,
    )
    measured(
        "assignment: accept (the request is matched)",
        post(f"/assignments/{assignment['id']}/accept", provider),
        WITH_SECOND_OBJECT,
    )
    measured(
        "assistance request: start-delivery",
        post(f"{url}/start-delivery", officer),
        BUDGET + SERVED,
    )
    measured(
        "assistance request: complete (the assignment is freed)",
        post(f"{url}/complete", officer),
        WITH_SECOND_OBJECT + SERVED,
    )

    width = max(len(name) for name, _, _ in counts)
    print("\nstatements per request (budget)")
    for name, count, budget in counts:
        print(f"  {name:<{width}}  {count:>3}  ({budget})")
    assert [(name, count) for name, count, budget in counts if count > budget] == []
