"""Deny by default: every route declares who may call it, and everyone else is turned away."""

import re
import uuid

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.guards import PublicAccess, RoleGuard
from app.core.principal import Role
from app.core.settings import Settings
from app.main import create_app
from tests.factories import auth, make_user

Access = RoleGuard | PublicAccess


def _declarations(dependant: Dependant) -> list[Access]:
    found: list[Access] = []
    for sub in dependant.dependencies:
        if isinstance(sub.call, RoleGuard | PublicAccess):
            found.append(sub.call)
        else:
            found.extend(_declarations(sub))
    return found


def _api_routes(app: FastAPI) -> list[APIRoute]:
    """Every route a token calls: the console's pages sign in by cookie, and
    tests/console/test_console_routes.py holds them to the same deny-by-default rule."""
    return [
        route
        for route in app.routes
        if isinstance(route, APIRoute) and not route.path.startswith("/console")
    ]


def _guarded_operations() -> list[tuple[str, str, RoleGuard]]:
    app = create_app(Settings(_env_file=None, database_url="sqlite://", jwt_secret="x" * 40))  # type: ignore[call-arg]
    operations = []
    for route in _api_routes(app):
        guards = [d for d in _declarations(route.dependant) if isinstance(d, RoleGuard)]
        for method in sorted(route.methods):
            for guard in guards[:1]:
                operations.append((method, route.path, guard))
    return operations


PATH_VALUES = {"code": "WSM", "number": "1", "kind": "themes", "verb": "submit", "fmt": "svg"}


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), str(uuid.uuid4())), path)


def test_every_route_declares_who_may_call_it(app: FastAPI) -> None:
    undeclared = [route.path for route in _api_routes(app) if not _declarations(route.dependant)]
    assert undeclared == []


def test_no_route_declares_two_conflicting_guards(app: FastAPI) -> None:
    for route in _api_routes(app):
        assert len(set(map(repr, _declarations(route.dependant)))) == 1, route.path


def test_operation_ids_are_short_unique_and_each_route_has_one_tag(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operations = [op for path in spec["paths"].values() for op in path.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    assert all(len(op_id) <= 48 for op_id in ids)
    assert all(len(op["tags"]) == 1 for op in operations)


OPERATIONS = _guarded_operations()


@pytest.mark.parametrize(
    ("method", "path", "guard"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_anonymous_caller_gets_401(
    client: TestClient, method: str, path: str, guard: RoleGuard
) -> None:
    response = client.request(method, _concrete(path), json={})
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["type"] == "/problems/unauthorized"


@pytest.mark.parametrize(
    ("method", "path", "guard"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_each_role_not_allowed_gets_403(
    client: TestClient, db: Session, settings: Settings, method: str, path: str, guard: RoleGuard
) -> None:
    refused = [role for role in Role if role not in guard.roles]
    for role in refused:
        caller = make_user(db, role=role, state="WSM")
        response = client.request(method, _concrete(path), json={}, headers=auth(settings, caller))
        assert response.status_code == 403, (role, response.text)
        assert response.json()["type"] == "/problems/forbidden"


def test_public_routes_are_only_the_intended_ones(app: FastAPI) -> None:
    public = {
        (method, route.path)
        for route in _api_routes(app)
        if any(isinstance(d, PublicAccess) for d in _declarations(route.dependant))
        for method in route.methods
    }
    assert public == {
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("GET", "/docs"),
        ("POST", "/api/v1/auth/token"),
        ("GET", "/api/v1/states"),
        ("GET", "/api/v1/states/resolve"),
        ("GET", "/api/v1/states/{code}"),
        ("GET", "/api/v1/states/{code}/overview"),
        ("GET", "/api/v1/taxonomies/{kind}"),
        ("GET", "/api/v1/recommendations"),
        ("GET", "/api/v1/recommendations/{recommendation_id}"),
        ("GET", "/api/v1/progress-reports"),
        ("GET", "/api/v1/progress-reports/{report_id}"),
        ("GET", "/api/v1/progress-reports/{report_id}/revisions"),
        ("GET", "/api/v1/progress-reports/{report_id}/revisions/{number}"),
        ("GET", "/api/v1/shortfalls"),
        ("GET", "/api/v1/shortfalls/{shortfall_id}"),
        ("GET", "/api/v1/assistance-requests"),
        ("GET", "/api/v1/assistance-requests/{request_id}"),
        ("GET", "/api/v1/events"),
        ("GET", "/api/v1/analytics/assistance"),
        ("GET", "/api/v1/analytics/assistance/chart.{fmt}"),
        ("GET", "/api/v1/analytics/implementation"),
        ("GET", "/api/v1/analytics/implementation/chart.{fmt}"),
        ("GET", "/api/v1/analytics/implementation/shortfalls"),
        ("GET", "/api/v1/analytics/implementation/shortfalls/chart.{fmt}"),
    }
