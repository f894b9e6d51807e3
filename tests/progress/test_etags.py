"""`ETag` on every read and write of a report or shortfall, and `If-Match` on every change:
428 without it, 412 when stale, and nothing written either way."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from tests.core.test_problems import assert_problem
from tests.progress.support import (
    KINDS,
    REPORT,
    SHORTFALL,
    Kind,
    caller,
    etag,
    make_bare_recommendation,
    make_owned,
    stored,
)

Operation = Callable[[TestClient, Session, Settings], tuple[httpx.Response, Callable[[], str]]]


def _version_in_body(response: httpx.Response) -> Callable[[], str]:
    return lambda: f'"{response.json()["version"]}"'


def _report_version(client: TestClient, url: str, headers: dict[str, str]) -> Callable[[], str]:
    return lambda: str(client.get(url, headers=headers).headers["etag"])


def _create(kind: Kind, key: str | None = None) -> Operation:
    def run(client: TestClient, db: Session, settings: Settings) -> Any:
        focal = caller(db, settings, Role.state_focal_point)
        body = kind.body(make_bare_recommendation(db).id)
        headers = {**focal, "Idempotency-Key": key} if key else focal
        response = client.post(kind.url, json=body, headers=headers)
        if key:
            response = client.post(kind.url, json=body, headers=headers)
            assert response.headers["idempotent-replayed"] == "true"
        return response, _version_in_body(response)

    return run


def _on(kind: Kind, stage: str, method: str, path: str, body: Any = None, **kw: Any) -> Operation:
    def run(client: TestClient, db: Session, settings: Settings) -> Any:
        owned = make_owned(db, settings, kind, stage=stage, **kw)
        headers = {**owned.focal, "If-Match": etag(client, owned)}
        response = client.request(method, owned.url + path, json=body, headers=headers)
        if path.startswith("/revisions"):
            return response, _report_version(client, owned.url, owned.focal)
        return response, _version_in_body(response)

    return run


OPERATIONS: dict[str, Operation] = {
    "report-get": _on(REPORT, "draft", "GET", ""),
    "report-create": _create(REPORT),
    "report-create-replayed": _create(REPORT, key="k-1"),
    "report-patch": _on(REPORT, "draft", "PATCH", "", {"summary": "Edited"}),
    "report-submit": _on(REPORT, "draft", "POST", "/submit"),
    "report-publish": _on(REPORT, "submitted", "POST", "/publish"),
    "report-unpublish": _on(REPORT, "published", "POST", "/unpublish"),
    "revision-create": _on(REPORT, "submitted", "POST", "/revisions", {"summary": "Corrected"}),
    "revision-get-pending": _on(REPORT, "submitted", "GET", "/revisions/2", pending_revision=True),
    "revision-patch": _on(
        REPORT, "submitted", "PATCH", "/revisions/2", {"summary": "Again"}, pending_revision=True
    ),
    "shortfall-get": _on(SHORTFALL, "draft", "GET", ""),
    "shortfall-create": _create(SHORTFALL),
    "shortfall-patch": _on(SHORTFALL, "draft", "PATCH", "", {"severity": "low"}),
    "shortfall-submit": _on(SHORTFALL, "draft", "POST", "/submit"),
    "shortfall-publish": _on(SHORTFALL, "submitted", "POST", "/publish"),
    "shortfall-unpublish": _on(SHORTFALL, "published", "POST", "/unpublish"),
    "shortfall-resolve": _on(
        SHORTFALL, "submitted", "POST", "/resolve", {"resolved_on": "2024-05-01"}
    ),
}


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=OPERATIONS.keys())
def test_every_read_and_write_answers_with_the_current_etag(
    client: TestClient, db: Session, settings: Settings, operation: Operation
) -> None:
    """For a revision the ETag is its report's, the one its `If-Match` takes."""
    response, current = operation(client, db, settings)

    assert response.status_code in (200, 201), response.text
    sent = response.headers.get("etag")
    assert sent == current()


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_a_change_without_if_match_is_428(
    client: TestClient, db: Session, settings: Settings, kind: Kind, method: str
) -> None:
    draft = make_owned(db, settings, kind)
    before = stored(db)

    response = client.request(
        method,
        draft.url,
        json={"severity": "low"} if kind is SHORTFALL else {"summary": "x"},
        headers=draft.focal,
    )

    assert_problem(response, 428, "precondition-required")
    assert stored(db) == before


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_a_change_with_a_stale_etag_is_412(
    client: TestClient, db: Session, settings: Settings, kind: Kind, method: str
) -> None:
    draft = make_owned(db, settings, kind)
    change = {"severity": "low"} if kind is SHORTFALL else {"summary": "Seen"}
    assert (
        client.patch(draft.url, json=change, headers={**draft.focal, "If-Match": '"1"'}).status_code
        == 200
    )
    before = stored(db)

    response = client.request(
        method, draft.url, json=change, headers={**draft.focal, "If-Match": '"1"'}
    )

    body = assert_problem(response, 412, "precondition-failed")
    assert body["current_etag"] == '"2"'
    assert stored(db) == before


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_a_weak_or_listed_etag_is_accepted(
    client: TestClient, db: Session, settings: Settings, kind: Kind
) -> None:
    draft = make_owned(db, settings, kind)
    change = {"severity": "low"} if kind is SHORTFALL else {"summary": "Seen"}

    response = client.patch(
        draft.url, json=change, headers={**draft.focal, "If-Match": 'W/"7", W/"1"'}
    )

    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"'
