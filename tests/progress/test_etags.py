"""`ETag` on every read and write of a report or shortfall. `If-Match` on every edit and delete:
428 without it, 412 when stale. On every verb `If-Match` is honoured when sent (412 when stale)
and never required. A refusal writes nothing: not the object, nor its audit or outbox events."""

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
    VERB_IDS,
    VERBS,
    Kind,
    Owned,
    Verb,
    audit_actions,
    caller,
    etag,
    make_bare_recommendation,
    make_owned,
    model_of,
    moved,
    outbox_events,
    row,
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


# --- verbs: `If-Match` honoured when sent, never required -----------------------------------


def _stale_etag(client: TestClient, owned: Owned) -> str:
    """An ETag that was current once: a draft is edited first, so that it has an older one."""
    current = etag(client, owned)
    if current == '"1"':
        change = {owned.kind.text_field: "Edited by someone else"}
        edited = client.patch(owned.url, json=change, headers={**owned.focal, "If-Match": current})
        assert edited.status_code == 200, edited.text
        current = etag(client, owned)
    return f'"{int(current.strip(chr(34))) - 1}"'


@pytest.mark.parametrize("verb", VERBS, ids=VERB_IDS)
def test_a_verb_with_a_stale_if_match_is_412_and_changes_nothing(
    client: TestClient, db: Session, settings: Settings, verb: Verb
) -> None:
    owned = make_owned(db, settings, verb.kind, stage=verb.stage)
    stale = _stale_etag(client, owned)
    current = etag(client, owned)
    audited, queued = audit_actions(db, owned.id), outbox_events(db, owned.id)
    before = stored(db)

    response = client.post(
        f"{owned.url}/{verb.name}", json=verb.body, headers={**owned.focal, "If-Match": stale}
    )

    assert assert_problem(response, 412, "precondition-failed")["current_etag"] == current
    assert stored(db) == before
    assert (audit_actions(db, owned.id), outbox_events(db, owned.id)) == (audited, queued)
    assert etag(client, owned) == current


CURRENT_TAGS = {
    "current": lambda tag: tag,
    "weak": lambda tag: f"W/{tag}",
    "listed": lambda tag: f'"999", {tag}',
    "any": lambda _: "*",
}


@pytest.mark.parametrize("tag", CURRENT_TAGS.values(), ids=CURRENT_TAGS.keys())
@pytest.mark.parametrize("verb", VERBS, ids=VERB_IDS)
def test_a_verb_with_the_current_if_match_moves(
    client: TestClient,
    db: Session,
    settings: Settings,
    verb: Verb,
    tag: Callable[[str], str],
) -> None:
    owned = make_owned(db, settings, verb.kind, stage=verb.stage)
    current = etag(client, owned)
    if_match = tag(current)

    response = client.post(
        f"{owned.url}/{verb.name}", json=verb.body, headers={**owned.focal, "If-Match": if_match}
    )

    after = moved(response)
    assert (after["stage"], after["visibility"]) == verb.after
    assert response.headers["etag"] == f'"{int(current.strip(chr(34))) + 1}"'
    assert audit_actions(db, owned.id)[-1] == verb.event
    stored_row = row(db, model_of(verb.kind), owned.id)
    assert (stored_row.stage, stored_row.visibility) == verb.after


@pytest.mark.parametrize("verb", VERBS, ids=VERB_IDS)
def test_a_verb_without_if_match_moves(
    client: TestClient, db: Session, settings: Settings, verb: Verb
) -> None:
    """Verbs honour `If-Match` and never require it: no 428."""
    owned = make_owned(db, settings, verb.kind, stage=verb.stage)
    current = etag(client, owned)

    response = client.post(f"{owned.url}/{verb.name}", json=verb.body, headers=owned.focal)

    after = moved(response)
    assert (after["stage"], after["visibility"]) == verb.after
    assert response.headers["etag"] == f'"{int(current.strip(chr(34))) + 1}"'
    assert audit_actions(db, owned.id)[-1] == verb.event


def test_publishing_a_correction_with_a_stale_if_match_is_412_and_changes_nothing(
    client: TestClient, db: Session, settings: Settings
) -> None:
    """The ETag read before the correction was submitted no longer publishes anything."""
    report = make_owned(db, settings, REPORT, stage="published", pending_revision=True)
    read_before_submit = etag(client, report)
    moved(client.post(f"{report.url}/submit", headers=report.focal))
    before = stored(db)

    response = client.post(
        f"{report.url}/publish", headers={**report.focal, "If-Match": read_before_submit}
    )

    assert_problem(response, 412, "precondition-failed")
    assert stored(db) == before
    assert client.get(report.url).json()["revision"] == 1
