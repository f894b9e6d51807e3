"""Every error a newcomer can provoke is an RFC 9457 problem document."""

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.deps import DbSession
from app.core.principal import Role
from tests.conftest import make_settings
from tests.factories import auth, make_user

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, slug: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == f"/problems/{slug}"
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def test_unknown_route_is_404_problem(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/no-such-thing"), 404, "not-found")


def test_wrong_method_is_405_problem(client: TestClient) -> None:
    assert_problem(client.delete("/api/v1/states/WSM"), 405, "method-not-allowed")


def test_malformed_json_is_422_problem(client: TestClient, db: Session, settings) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(db, role=Role.ohchr_admin)
    response = client.post(
        "/api/v1/users",
        content=b'{"email": "a@b.org",',
        headers={**auth(settings, admin), "content-type": "application/json"},
    )
    body = assert_problem(response, 422, "validation-error")
    assert body["detail"] == "the request body is not valid JSON"


def test_wrong_types_and_unknown_fields_name_each_failing_field(client, db, settings) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(db, role=Role.ohchr_admin)
    response = client.post(
        "/api/v1/users",
        json={"email": 7, "name": "X", "password": "long enough pass", "is_admin": True},
        headers=auth(settings, admin),
    )
    body = assert_problem(response, 422, "validation-error")
    locations = {tuple(error["loc"]) for error in body["errors"]}
    assert ("body", "email") in locations
    assert ("body", "is_admin") in locations
    assert "input" not in body["errors"][0]


def test_body_over_the_limit_is_413_problem(client, db, settings) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(db, role=Role.ohchr_admin)
    huge = {"name": "x" * (settings.max_body_bytes + 1)}
    response = client.patch(
        f"/api/v1/users/{admin.id}", json=huge, headers={**auth(settings, admin), "If-Match": '"1"'}
    )
    assert_problem(response, 413, "payload-too-large")


def test_streamed_body_over_the_limit_is_413_problem(client, db, settings) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(db, role=Role.ohchr_admin)

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(settings.max_body_bytes // 1024 + 2):
            yield b" " * 1024

    response = client.post(
        "/api/v1/users",
        content=chunks(),
        headers={**auth(settings, admin), "content-type": "application/json"},
    )
    assert_problem(response, 413, "payload-too-large")


def test_unexpected_error_is_500_problem_without_stack_trace(
    database_url: str, engine, connection
) -> None:  # type: ignore[no-untyped-def]
    from app.main import create_app
    from tests.conftest import ConnectionDatabase

    app: FastAPI = create_app(make_settings(database_url), ConnectionDatabase(engine, connection))

    @app.get("/boom", dependencies=[])
    def boom(db: DbSession) -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    body = assert_problem(response, 500, "internal-error")
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert body["detail"] == "an unexpected error occurred"


def test_every_response_carries_a_request_id_and_security_headers(client: TestClient) -> None:
    response = client.get("/healthz")
    assert len(response.headers["x-request-id"]) >= 16
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "server" not in response.headers


def test_a_sane_caller_request_id_is_echoed_and_an_unsafe_one_replaced(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert replaced.headers["x-request-id"] != "bad id\twith spaces"


def test_readiness_checks_the_database(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    client.get("/api/v1/states/WSM")
    body = client.get("/metrics").text
    assert (
        'item10_http_requests_total{method="GET",route="/api/v1/states/{code}",status="200"}'
        in body
    )
    assert "item10_http_request_duration_seconds_bucket" in body


def test_a_long_path_is_echoed_cut_to_200_characters(client: TestClient) -> None:
    path = "/api/v1/" + "x" * 10_000

    body = assert_problem(client.get(path), 404, "not-found")

    assert body["instance"] == path[:200]
    assert len(body["detail"]) < 300


def test_every_problem_bounds_its_instance(client: TestClient) -> None:
    path = "/api/v1/states/" + "W" * 5_000

    body = assert_problem(client.delete(path), 405, "method-not-allowed")

    assert body["instance"] == path[:200]
    assert len(body["detail"]) < 300
