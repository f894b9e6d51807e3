"""A NUL character (PostgreSQL cannot store or compare text holding one) is 422, reported at
the field that holds it, however deep, as any other invalid field is."""

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from tests.core.test_problems import assert_problem
from tests.progress.support import REPORTS, caller, make_bare_recommendation, report_body, stored

NUL = "text must not contain NUL characters"


def _errors_of(response: Any) -> list[dict[str, Any]]:
    body = assert_problem(response, 422, "validation-error")
    errors: list[dict[str, Any]] = body["errors"]
    return errors


def test_nul_in_a_field_is_reported_at_that_field(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    body = report_body(make_bare_recommendation(db).id, summary="Act No. 5\x00 adopted")
    before = stored(db)

    response = client.post(REPORTS, json=body, headers=focal)

    assert _errors_of(response) == [{"loc": ["body", "summary"], "msg": NUL, "type": "value_error"}]
    assert stored(db) == before


def test_nul_deep_in_a_batch_is_reported_at_its_item_and_field(
    client: TestClient, db: Session, settings: Settings
) -> None:
    contributor = caller(db, settings, Role.state_contributor)
    own = make_bare_recommendation(db).id
    bad = report_body(own, indicators=[{"name": "Cases\x00", "value": 1, "unit": "cases"}])
    before = stored(db)

    response = client.post(
        f"{REPORTS}/batch", json={"items": [report_body(own), bad]}, headers=contributor
    )

    assert [e["loc"] for e in _errors_of(response)] == [
        ["body", "items", 1, "indicators", 0, "name"]
    ]
    assert stored(db) == before


def test_each_field_holding_nul_is_named(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    body = report_body(make_bare_recommendation(db).id, summary="a\x00", measures=["fine", "b\x00"])

    response = client.post(REPORTS, json=body, headers=focal)

    locations = [e["loc"] for e in _errors_of(response)]
    assert locations == [["body", "summary"], ["body", "measures", 1]]


def test_nul_in_an_object_key_is_reported_at_the_object(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    indicator = {"name": "Cases", "value": 1, "unit": "cases", "disaggregation": {"s\x00x": "F"}}
    body = report_body(make_bare_recommendation(db).id, indicators=[indicator])

    response = client.post(REPORTS, json=body, headers=focal)

    assert [e["loc"] for e in _errors_of(response)] == [["body", "indicators", 0, "disaggregation"]]


def test_the_detail_names_the_field_and_not_the_text(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    body = report_body(uuid.uuid4(), summary="secret\x00")

    problem = assert_problem(
        client.post(REPORTS, json=body, headers=focal), 422, "validation-error"
    )

    assert "body.summary" in problem["detail"]
    assert "secret" not in str(problem)
