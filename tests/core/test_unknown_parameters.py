"""A query parameter an operation does not take is 422, never silently ignored: otherwise a
misspelt or unsupported filter returns the whole list, and it looks filtered."""

import re
import uuid
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from app.main import create_app
from tests.core.test_problems import assert_problem
from tests.factories import auth, make_user

UNKNOWN = "not_a_parameter"
PATH_VALUES = {"code": "WSM", "number": "1", "kind": "themes", "verb": "submit"}
DOCUMENT_APP = create_app(
    Settings(_env_file=None, database_url="sqlite://", jwt_secret="x" * 40)  # type: ignore[call-arg]
)


def _operations() -> list[tuple[str, APIRoute]]:
    return [
        (method, route)
        for route in DOCUMENT_APP.routes
        # The console answers its pages' errors as pages (tests/console).
        if isinstance(route, APIRoute) and not route.path.startswith("/console")
        for method in sorted(route.methods)
    ]


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), str(uuid.uuid4())), path)


def _documented_query(method: str, route: APIRoute) -> set[str]:
    """The query parameters the OpenAPI document declares for the operation (none for one
    left out of the document)."""
    operation = DOCUMENT_APP.openapi()["paths"].get(route.path_format, {}).get(method.lower(), {})
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}


def _label(operation: Any) -> str:
    method, route = operation
    return f"{method} {route.path}"


def _unknown_errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in body.get("errors") or [] if e.get("type") == "extra_forbidden"]


@pytest.mark.parametrize("operation", _operations(), ids=_label)
def test_every_operation_refuses_an_unknown_query_parameter(
    client: TestClient, operation: tuple[str, APIRoute]
) -> None:
    method, route = operation
    response = client.request(method, _concrete(route.path), params={UNKNOWN: "1"})

    body = assert_problem(response, 422, "validation-error")
    assert body["errors"] == [
        {"loc": ["query", UNKNOWN], "msg": "unknown query parameter", "type": "extra_forbidden"}
    ]
    assert UNKNOWN in body["detail"]
    taken = _documented_query(method, route)
    assert all(name in body["detail"] for name in taken), body["detail"]
    if not taken:
        assert body["detail"].endswith("takes: none")


@pytest.mark.parametrize(
    "operation", [op for op in _operations() if _documented_query(*op)], ids=_label
)
def test_every_documented_query_parameter_is_taken(
    client: TestClient, operation: tuple[str, APIRoute]
) -> None:
    """The names refused are exactly those the document leaves out: each declared parameter
    passes the check (whatever its value then makes of the request)."""
    method, route = operation
    taken = _documented_query(method, route)
    response = client.request(method, _concrete(route.path), params=dict.fromkeys(taken, "1"))

    assert not _unknown_errors(response.json()), response.text


def test_a_misspelt_filter_is_named_and_the_filters_listed(
    client: TestClient, db: Session, settings: Settings
) -> None:
    officer = auth(settings, make_user(db, role=Role.ohchr_officer))
    response = client.get(
        "/api/v1/assistance-requests",
        params={"stage": "submitted", "prio_group": "ldc", "sate": "NPL"},
        headers=officer,
    )

    body = assert_problem(response, 422, "validation-error")
    assert [e["loc"] for e in body["errors"]] == [["query", "prio_group"], ["query", "sate"]]
    assert body["detail"].startswith("unknown query parameter 'prio_group', 'sate'; GET ")
    for name in ("priority_group", "region", "stage", "state", "limit", "cursor"):
        assert name in body["detail"]


def test_a_parameter_taken_by_a_shared_dependency_is_known(
    client: TestClient, db: Session, settings: Settings
) -> None:
    """`state`, `recommendation` and `visibility` come from the lists' shared filters."""
    officer = auth(settings, make_user(db, role=Role.ohchr_officer))
    response = client.get(
        "/api/v1/progress-reports", params={"state": "WSM", "visibility": "public"}, headers=officer
    )
    assert response.status_code == 200, response.text


def test_an_unknown_parameter_is_refused_before_the_caller_is_checked(
    client: TestClient,
) -> None:
    """The same answer for everyone: it depends only on the operation's public signature."""
    response = client.get("/api/v1/providers", params={"language": "fr", "lang": "fr"})
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["loc"] == ["query", "lang"]


def test_an_unknown_parameter_is_refused_on_the_probes_too(client: TestClient) -> None:
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.get(path).status_code == 200
        body = assert_problem(client.get(path, params={"verbose": "1"}), 422, "validation-error")
        assert body["errors"][0]["loc"] == ["query", "verbose"]


def test_nul_in_a_known_parameter_is_still_refused(client: TestClient) -> None:
    response = client.get("/api/v1/recommendations", params={"q": "tor\x00ture"})
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"] == [
        {
            "loc": ["query", "q"],
            "msg": "text must not contain NUL characters",
            "type": "value_error",
        }
    ]


def test_the_interactive_documentation_still_loads(client: TestClient) -> None:
    """Swagger UI and its OAuth2 redirect page are not operations: they take what they like."""
    assert client.get("/docs").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    redirect = client.get("/docs/oauth2-redirect", params={"code": "abc", "state": "xyz"})
    assert redirect.status_code == 200


def test_an_unknown_form_field_is_let_through(client: TestClient) -> None:
    """OAuth clients send fields the token endpoint does not use (`scope`); only the query is
    held to the operation's parameters."""
    form = {"grant_type": "password", "username": "nobody@example.org", "password": "x" * 12}
    response = client.post("/api/v1/auth/token", data={**form, "scope": "read"})
    assert response.status_code in (400, 401), response.text
    assert not _unknown_errors(response.json())


def test_a_huge_unknown_name_is_echoed_cut_short(client: TestClient) -> None:
    name = "x" * 5_000
    body = assert_problem(client.get("/healthz", params={name: "1"}), 422, "validation-error")
    assert body["errors"][0]["loc"] == ["query", name[:100]]
    assert len(body["detail"]) < 300
