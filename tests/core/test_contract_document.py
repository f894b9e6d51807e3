"""What generated clients rely on in /openapi.json, beyond the operations themselves: who must
send a token, one Problem for every error, the headers a client reads, enum members with usable
names; and `HEAD` wherever `GET` is served."""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from app.core.guards import PublicAccess, RoleGuard

PROBLEM = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_a_token_is_required_optional_or_not_read_as_the_route_guard_says(
    app: FastAPI, document: dict[str, Any]
) -> None:
    assert document["security"] == [{}, {"OAuth2PasswordBearer": []}]
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        guards = [dependant.call for dependant in _flatten(route.dependant)]
        for method in route.methods:
            operation = document["paths"][route.path_format][method.lower()]
            if any(isinstance(g, RoleGuard) for g in guards):
                assert operation["security"] == [{"OAuth2PasswordBearer": []}], route.path
            elif any(type(g) is PublicAccess for g in guards):
                assert "security" not in operation, route.path  # the optional default
            else:
                assert operation["security"] == [], route.path
    token_free = {"/api/v1/auth/token", "/healthz", "/readyz"}
    assert all(
        op["security"] == [] for path in token_free for op in document["paths"][path].values()
    )


def _flatten(dependant: Dependant) -> list[Dependant]:
    return [dependant, *(d for child in dependant.dependencies for d in _flatten(child))]


def test_every_error_answer_is_the_one_problem_schema(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if status[0] in "45":
                schema = response["content"]["application/problem+json"]["schema"]
                assert schema == PROBLEM, (method, path, status)


def test_the_headers_a_client_reads_are_declared(document: dict[str, Any]) -> None:
    created = document["paths"]["/api/v1/progress-reports"]["post"]["responses"]["201"]["headers"]
    assert {"ETag", "Location", "Idempotent-Replayed", "RateLimit", "X-Request-ID"} <= set(created)
    read = document["paths"]["/api/v1/progress-reports/{report_id}"]["get"]["responses"]
    assert {"ETag", "RateLimit", "RateLimit-Policy", "X-Request-ID"} <= set(read["200"]["headers"])
    assert "Retry-After" in read["429"]["headers"]
    for method, path, operation in _operations(document):
        assert (
            "X-Request-ID"
            in operation["responses"][
                "200" if "200" in operation["responses"] else next(iter(operation["responses"]))
            ]["headers"]
        ), (method, path)


def test_sort_values_carry_names_a_generator_can_use(document: dict[str, Any]) -> None:
    (sort,) = [
        p
        for p in document["paths"]["/api/v1/assistance-requests"]["get"]["parameters"]
        if p["name"] == "sort"
    ]
    names = dict(zip(sort["schema"]["enum"], sort["schema"]["x-enum-varnames"], strict=True))
    assert names["-priority"] == "PRIORITY_DESCENDING"
    assert names["priority"] == "PRIORITY"


def test_head_answers_wherever_get_does_with_no_body(client: TestClient) -> None:
    got = client.get("/api/v1/states/WSM")
    head = client.head("/api/v1/states/WSM")

    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    assert head.headers["content-length"] == got.headers["content-length"]
    assert client.head("/api/v1/states/XXX").status_code == 404
    assert client.head("/api/v1/auth/token").status_code == 405
