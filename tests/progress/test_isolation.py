"""Who sees what, for progress reports and shortfalls alike (they share one visibility rule):
the State sees its own objects; OHCHR what was submitted; everyone, other States included,
what was published. A signed-in caller never sees less than an anonymous one.

The routes are read from the app, so a route added later is walked too. Another State's
unpublished object must be answered exactly as an object that does not exist: 404 wherever the
caller's role may call the route, and on a focal-point verb called by a contributor the same
403 that any id gets. Another State's published object is read like any published object, and
is still not found for every change.
"""

import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from tests.progress.support import (
    KINDS,
    OHCHR,
    REPORT,
    SHORTFALL,
    STAGES,
    STATE_ROLES,
    Call,
    Kind,
    answer,
    caller,
    etag,
    listed_ids,
    make_owned,
    moved,
    object_calls,
    read_calls,
    stored,
)

NOT_FOUND = (404, "/problems/not-found")
FORBIDDEN = (403, "/problems/forbidden")
PUBLIC_READERS = (None, Role.provider)


def _kind_id(kind: Kind) -> str:
    return kind.name


def _role_id(role: Role | None) -> str:
    return role.value if role else "anonymous"


def _expected(call: Call, role: Role) -> tuple[int, str]:
    return NOT_FOUND if role in call.admits else FORBIDDEN


WALKED = {
    REPORT: {
        ("GET", "get_progress_report"),
        ("PATCH", "update_progress_report"),
        ("DELETE", "delete_progress_report"),
        ("POST", "submit_progress_report"),
        ("POST", "publish_progress_report"),
        ("POST", "unpublish_progress_report"),
        ("GET", "list_progress_revisions"),
        ("POST", "create_progress_revision"),
        ("GET", "get_progress_revision"),
        ("PATCH", "update_progress_revision"),
    },
    SHORTFALL: {
        ("GET", "get_shortfall"),
        ("PATCH", "update_shortfall"),
        ("DELETE", "delete_shortfall"),
        ("POST", "submit_shortfall"),
        ("POST", "publish_shortfall"),
        ("POST", "unpublish_shortfall"),
        ("POST", "resolve_shortfall"),
    },
}


@pytest.mark.parametrize("kind", KINDS, ids=_kind_id)
def test_the_walk_reaches_every_operation_on_an_object(app: FastAPI, kind: Kind) -> None:
    """Guards the generated walks below against quietly walking less than they should."""
    walked = {(call.method, call.name) for call in object_calls(app, kind, str(uuid.uuid4()))}

    assert walked >= WALKED[kind]


@pytest.mark.parametrize("role", STATE_ROLES, ids=_role_id)
@pytest.mark.parametrize("stage", ["draft", "submitted"])
@pytest.mark.parametrize("kind", KINDS, ids=_kind_id)
def test_another_states_unpublished_object_is_not_found_on_every_route(
    app: FastAPI,
    client: TestClient,
    db: Session,
    settings: Settings,
    kind: Kind,
    stage: str,
    role: Role,
) -> None:
    pending = kind is REPORT and stage != "draft"
    target = make_owned(db, settings, kind, state="NPL", stage=stage, pending_revision=pending)
    intruder = caller(db, settings, role, "WSM")
    before = stored(db)

    wrong = [
        (call.method, call.path, seen)
        for call in object_calls(app, kind, target.id)
        if (seen := answer(call.send(client, intruder))) != _expected(call, role)
    ]

    assert wrong == []
    assert stored(db) == before


def _published_read(call: Call) -> tuple[int, str | None]:
    """What anyone gets reading a published object: all of it but a correction in draft."""
    return NOT_FOUND if call.path.endswith("/revisions/2") else (200, None)


@pytest.mark.parametrize("role", STATE_ROLES, ids=_role_id)
@pytest.mark.parametrize("kind", KINDS, ids=_kind_id)
def test_another_states_published_object_is_read_but_never_changed(
    app: FastAPI, client: TestClient, db: Session, settings: Settings, kind: Kind, role: Role
) -> None:
    """Every change starts from the caller's own State's objects, so a published object of
    another State, which the caller may read, is not found for any change."""
    target = make_owned(
        db, settings, kind, state="NPL", stage="published", pending_revision=kind is REPORT
    )
    intruder = caller(db, settings, role, "WSM")
    before = stored(db)

    wrong = [
        (call.method, call.path, seen)
        for call in object_calls(app, kind, target.id)
        if (seen := answer(call.send(client, intruder)))
        != (_published_read(call) if call.method == "GET" else _expected(call, role))
    ]

    assert wrong == []
    assert stored(db) == before


@pytest.mark.parametrize("reader", [*STATE_ROLES, None, Role.provider], ids=_role_id)
@pytest.mark.parametrize("kind", KINDS, ids=_kind_id)
def test_another_states_published_object_is_shown_and_listed(
    client: TestClient,
    db: Session,
    settings: Settings,
    kind: Kind,
    reader: Role | None,
) -> None:
    published = make_owned(db, settings, kind, state="NPL", stage="published")
    headers = caller(db, settings, reader, "WSM")

    shown = client.get(published.url, headers=headers)

    assert shown.status_code == 200, shown.text
    assert shown.json() == client.get(published.url).json()
    assert (shown.json()["state_code"], shown.json()["visibility"]) == ("NPL", "public")
    assert shown.headers["etag"] == etag(client, published)
    for query in ("", "?visibility=public", "?state=NPL", "?state=npl", "?stage=submitted"):
        assert listed_ids(client, kind.url + query, headers) == [published.id], query
    by_recommendation = f"?recommendation={published.recommendation_id}"
    assert listed_ids(client, kind.url + by_recommendation, headers) == [published.id]


@pytest.mark.parametrize("role", STATE_ROLES, ids=_role_id)
@pytest.mark.parametrize("kind", KINDS, ids=_kind_id)
def test_an_object_that_does_not_exist_is_answered_the_same_way(
    app: FastAPI, client: TestClient, db: Session, settings: Settings, kind: Kind, role: Role
) -> None:
    """So the answers above disclose nothing: a contributor's 403 on a focal-point verb is the
    role's refusal, given before any lookup, for every id alike."""
    intruder = caller(db, settings, role, "WSM")

    wrong = [
        (call.method, call.path, seen)
        for call in object_calls(app, kind, str(uuid.uuid4()))
        if (seen := answer(call.send(client, intruder))) != _expected(call, role)
    ]

    assert wrong == []


@pytest.mark.parametrize("role", STATE_ROLES, ids=_role_id)
@pytest.mark.parametrize("kind", KINDS, ids=_kind_id)
def test_lists_hold_another_states_objects_only_once_published(
    client: TestClient, db: Session, settings: Settings, kind: Kind, role: Role
) -> None:
    draft, submitted, published = (
        make_owned(db, settings, kind, state="NPL", stage=stage) for stage in STAGES
    )
    own = make_owned(db, settings, kind, state="WSM")
    reader = caller(db, settings, role, "WSM")

    for query in (
        "",
        "?stage=submitted",
        "?visibility=public",
        f"?recommendation={published.recommendation_id}",
        "?state=NPL",
    ):
        ids = listed_ids(client, kind.url + query, reader)
        assert published.id in ids, query
        assert not {draft.id, submitted.id} & set(ids), query
    for query in ("?stage=draft", "?visibility=ohchr", "?visibility=state"):
        ids = listed_ids(client, kind.url + query, reader)
        assert not {draft.id, submitted.id, published.id} & set(ids), query
    assert sorted(listed_ids(client, kind.url, reader)) == sorted([own.id, published.id])


@pytest.mark.parametrize("kind", KINDS, ids=_kind_id)
def test_filtering_by_another_state_lists_only_its_published_objects(
    db: Session, client: TestClient, settings: Settings, kind: Kind
) -> None:
    made = {stage: make_owned(db, settings, kind, state="NPL", stage=stage) for stage in STAGES}
    make_owned(db, settings, kind, state="WSM", stage="published")
    for role in STATE_ROLES:
        reader = caller(db, settings, role)
        for state in ("NPL", "npl"):
            listed = listed_ids(client, f"{kind.url}?state={state}", reader)
            assert listed == [made["published"].id], (role, state)


@pytest.mark.parametrize("role", OHCHR, ids=_role_id)
@pytest.mark.parametrize("kind", KINDS, ids=_kind_id)
def test_ohchr_never_sees_a_draft(
    app: FastAPI, client: TestClient, db: Session, settings: Settings, kind: Kind, role: Role
) -> None:
    draft = make_owned(db, settings, kind, state="NPL")
    officer = caller(db, settings, role)

    seen = {
        call.path: answer(call.send(client, officer)) for call in read_calls(app, kind, draft.id)
    }

    assert set(seen.values()) == {NOT_FOUND}
    for query in ("", "?state=NPL", "?stage=draft", "?visibility=state"):
        assert draft.id not in listed_ids(client, kind.url + query, officer), query


@pytest.mark.parametrize("kind", KINDS, ids=_kind_id)
def test_an_ohchr_admin_never_reads_a_drafts_content_in_the_audit_log(
    client: TestClient, db: Session, settings: Settings, kind: Kind
) -> None:
    secret = "Draft wording the State has not yet agreed"
    field = "summary" if kind is REPORT else "description"
    draft = make_owned(db, settings, kind, state="NPL", **{field: secret})
    admin = caller(db, settings, Role.ohchr_admin)

    response = client.get(f"/api/v1/audit-events?resource_id={draft.id}", headers=admin)

    assert response.status_code == 200, response.text
    assert secret not in response.text


@pytest.mark.parametrize("role", OHCHR, ids=_role_id)
@pytest.mark.parametrize("kind", KINDS, ids=_kind_id)
def test_ohchr_sees_every_states_submitted_objects(
    client: TestClient, db: Session, settings: Settings, kind: Kind, role: Role
) -> None:
    submitted = make_owned(db, settings, kind, state="NPL", stage="submitted")
    published = make_owned(db, settings, kind, state="WSM", stage="published")
    make_owned(db, settings, kind, state="WSM")
    officer = caller(db, settings, role)

    assert client.get(submitted.url, headers=officer).json()["visibility"] == "ohchr"
    assert client.get(published.url, headers=officer).json()["visibility"] == "public"
    assert sorted(listed_ids(client, kind.url, officer)) == sorted([submitted.id, published.id])


@pytest.mark.parametrize("role", OHCHR, ids=_role_id)
def test_ohchr_sees_only_submitted_revisions_and_no_pending_one(
    client: TestClient, db: Session, settings: Settings, role: Role
) -> None:
    report = make_owned(db, settings, REPORT, state="NPL", stage="submitted", pending_revision=True)
    officer = caller(db, settings, role)

    revisions = client.get(f"{report.url}/revisions", headers=officer)
    shown = client.get(report.url, headers=officer).json()
    listed = client.get(REPORT.url, headers=officer).json()["items"]

    assert [r["number"] for r in revisions.json()["items"]] == [1]
    assert answer(client.get(f"{report.url}/revisions/2", headers=officer)) == NOT_FOUND
    assert client.get(f"{report.url}/revisions/1", headers=officer).status_code == 200
    assert (shown["revision"], shown["pending_revision"], shown["status"]) == (
        1,
        None,
        "in_progress",
    )
    assert [(r["id"], r["pending_revision"]) for r in listed] == [(report.id, None)]
    own_view = client.get(report.url, headers=report.focal).json()
    assert own_view["pending_revision"] == 2


@pytest.mark.parametrize("stage", ["draft", "submitted"])
@pytest.mark.parametrize("reader", PUBLIC_READERS, ids=_role_id)
@pytest.mark.parametrize("kind", KINDS, ids=_kind_id)
def test_public_and_providers_do_not_see_unpublished_objects(
    app: FastAPI,
    client: TestClient,
    db: Session,
    settings: Settings,
    kind: Kind,
    reader: Role | None,
    stage: str,
) -> None:
    hidden = make_owned(db, settings, kind, state="NPL", stage=stage)
    headers = caller(db, settings, reader)

    seen = {
        call.path: answer(call.send(client, headers)) for call in read_calls(app, kind, hidden.id)
    }

    assert set(seen.values()) == {NOT_FOUND}
    for query in ("", "?state=NPL", f"?stage={stage}"):
        assert hidden.id not in listed_ids(client, kind.url + query, headers), query


@pytest.mark.parametrize("reader", PUBLIC_READERS, ids=_role_id)
@pytest.mark.parametrize("kind", KINDS, ids=_kind_id)
def test_public_and_providers_list_only_published_objects(
    client: TestClient, db: Session, settings: Settings, kind: Kind, reader: Role | None
) -> None:
    made = {
        (state, stage): make_owned(db, settings, kind, state=state, stage=stage)
        for state in ("NPL", "WSM")
        for stage in STAGES
    }
    headers = caller(db, settings, reader)

    listed = client.get(kind.url, headers=headers).json()["items"]

    published = {made[state, "published"].id for state in ("NPL", "WSM")}
    assert {item["id"] for item in listed} == published
    assert {item["visibility"] for item in listed} == {"public"}
    assert listed_ids(client, f"{kind.url}?stage=draft", headers) == []
    assert listed_ids(client, f"{kind.url}?visibility=ohchr", headers) == []


@pytest.mark.parametrize("reader", PUBLIC_READERS, ids=_role_id)
def test_public_reads_a_published_report_but_not_its_pending_correction(
    client: TestClient, db: Session, settings: Settings, reader: Role | None
) -> None:
    report = make_owned(db, settings, REPORT, state="NPL", stage="published", pending_revision=True)
    headers = caller(db, settings, reader)

    shown = client.get(report.url, headers=headers)
    revisions = client.get(f"{report.url}/revisions", headers=headers)

    assert shown.status_code == 200
    assert (shown.json()["revision"], shown.json()["pending_revision"]) == (1, None)
    assert [r["number"] for r in revisions.json()["items"]] == [1]
    assert client.get(f"{report.url}/revisions/1", headers=headers).status_code == 200
    assert answer(client.get(f"{report.url}/revisions/2", headers=headers)) == NOT_FOUND


def test_a_states_own_contributor_sees_its_drafts_and_pending_corrections(
    client: TestClient, db: Session, settings: Settings
) -> None:
    draft = make_owned(db, settings, REPORT, state="WSM")
    corrected = make_owned(
        db, settings, REPORT, state="WSM", stage="submitted", pending_revision=True
    )
    contributor = caller(db, settings, Role.state_contributor, "WSM")

    assert sorted(listed_ids(client, REPORT.url, contributor)) == sorted([draft.id, corrected.id])
    assert client.get(draft.url, headers=contributor).json()["stage"] == "draft"
    numbers = client.get(f"{corrected.url}/revisions", headers=contributor).json()["items"]
    assert [(r["number"], r["stage"]) for r in numbers] == [(1, "submitted"), (2, "draft")]
    moved(client.get(f"{corrected.url}/revisions/2", headers=contributor))
