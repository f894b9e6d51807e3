"""`POST /progress-reports/batch`: many drafts in one request, all or nothing."""

import uuid

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from app.progress.models import ProgressReport, ProgressRevision
from tests.core.test_problems import assert_problem
from tests.progress.support import (
    REPORT,
    audit_actions,
    caller,
    count,
    make_bare_recommendation,
    report_body,
    stored,
)

BATCH = f"{REPORT.url}/batch"


def test_a_batch_of_valid_reports_creates_each_of_them(
    client: TestClient, db: Session, settings: Settings
) -> None:
    contributor = caller(db, settings, Role.state_contributor, "WSM")
    recommendations = [make_bare_recommendation(db, state="WSM") for _ in range(3)]
    items = [report_body(r.id, summary=f"Item {n}") for n, r in enumerate(recommendations)]

    response = client.post(BATCH, json={"items": items}, headers=contributor)

    assert response.status_code == 201, response.text
    reports = response.json()["items"]
    assert [r["summary"] for r in reports] == ["Item 0", "Item 1", "Item 2"]
    assert [r["recommendation_ids"] for r in reports] == [[str(r.id)] for r in recommendations]
    assert {(r["state_code"], r["stage"], r["revision"]) for r in reports} == {("WSM", "draft", 1)}
    assert count(db, ProgressReport) == 3
    assert count(db, ProgressRevision) == 3
    assert all(audit_actions(db, r["id"]) == ["progress_report.created"] for r in reports)


def test_one_foreign_recommendation_refuses_the_whole_batch_naming_its_item(
    client: TestClient, db: Session, settings: Settings
) -> None:
    contributor = caller(db, settings, Role.state_contributor, "WSM")
    own = make_bare_recommendation(db, state="WSM")
    foreign = make_bare_recommendation(db, state="NPL")
    items = [report_body(own.id), report_body(foreign.id), report_body(own.id)]
    before = stored(db)

    response = client.post(BATCH, json={"items": items}, headers=contributor)

    problem = assert_problem(response, 422, "validation-error")
    assert [item["index"] for item in problem["items"]] == [1]
    assert "recommendation" in problem["items"][0]["reason"]
    assert problem["items"][0]["errors"][0]["msg"] == f"not found: {foreign.id}"
    assert stored(db) == before


def test_every_refused_item_is_named(client: TestClient, db: Session, settings: Settings) -> None:
    contributor = caller(db, settings, Role.state_contributor, "WSM")
    own = make_bare_recommendation(db, state="WSM")
    items = [report_body(uuid.uuid4()), report_body(own.id), report_body(uuid.uuid4())]
    before = stored(db)

    response = client.post(BATCH, json={"items": items}, headers=contributor)

    problem = assert_problem(response, 422, "validation-error")
    assert [item["index"] for item in problem["items"]] == [0, 2]
    assert stored(db) == before


def test_one_malformed_item_refuses_the_whole_batch_naming_its_index(
    client: TestClient, db: Session, settings: Settings
) -> None:
    contributor = caller(db, settings, Role.state_contributor, "WSM")
    own = make_bare_recommendation(db, state="WSM")
    items = [report_body(own.id), report_body(own.id), report_body(own.id, status="done")]
    before = stored(db)

    response = client.post(BATCH, json={"items": items}, headers=contributor)

    problem = assert_problem(response, 422, "validation-error")
    assert [error["loc"] for error in problem["errors"]] == [["body", "items", 2, "status"]]
    assert stored(db) == before


def test_a_batch_of_501_items_is_refused(
    client: TestClient, db: Session, settings: Settings
) -> None:
    contributor = caller(db, settings, Role.state_contributor, "WSM")
    own = make_bare_recommendation(db, state="WSM")
    before = stored(db)

    response = client.post(BATCH, json={"items": [report_body(own.id)] * 501}, headers=contributor)

    problem = assert_problem(response, 422, "validation-error")
    assert [error["loc"] for error in problem["errors"]] == [["body", "items"]]
    assert stored(db) == before


def test_an_empty_batch_is_refused(client: TestClient, db: Session, settings: Settings) -> None:
    contributor = caller(db, settings, Role.state_contributor, "WSM")

    assert_problem(
        client.post(BATCH, json={"items": []}, headers=contributor), 422, "validation-error"
    )


def test_a_repeated_batch_with_its_idempotency_key_replays_the_whole_answer(
    client: TestClient, db: Session, settings: Settings
) -> None:
    contributor = caller(db, settings, Role.state_contributor, "WSM")
    own = make_bare_recommendation(db, state="WSM")
    request = {
        "json": {"items": [report_body(own.id, summary=str(n)) for n in range(3)]},
        "headers": {**contributor, "Idempotency-Key": "nightly-sync-2024-06-30"},
    }
    first = client.post(BATCH, **request)  # type: ignore[arg-type]
    assert first.status_code == 201, first.text

    again = client.post(BATCH, **request)  # type: ignore[arg-type]

    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert count(db, ProgressReport) == 3


def test_a_batch_key_reused_with_another_body_is_refused(
    client: TestClient, db: Session, settings: Settings
) -> None:
    contributor = caller(db, settings, Role.state_contributor, "WSM")
    own = make_bare_recommendation(db, state="WSM")
    headers = {**contributor, "Idempotency-Key": "nightly-sync"}
    first = client.post(BATCH, json={"items": [report_body(own.id)]}, headers=headers)
    assert first.status_code == 201, first.text
    before = stored(db)

    response = client.post(
        BATCH, json={"items": [report_body(own.id, summary="other")]}, headers=headers
    )

    assert_problem(response, 422, "idempotency-key-reused")
    assert stored(db) == before
