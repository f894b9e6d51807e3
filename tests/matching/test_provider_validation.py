"""A provider's profile is checked against the vocabularies a request's is: themes, SDG
targets, languages, regions and States; the nulls allowed are those the schema declares; and
every refusal names its fields in `errors`."""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.core.principal import Role
from app.core.settings import Settings
from app.expertise.models import Provider
from app.expertise.schemas import ProviderCreate, ProviderFields
from app.taxonomies.models import Theme, term_key
from tests.core.test_problems import assert_problem
from tests.matching.support import (
    PROVIDERS,
    REQUESTS,
    create_provider,
    headers_for,
    officer,
    provider_account,
    provider_body,
    request_body,
)

BAD_FIELDS: dict[str, tuple[str, Any]] = {
    "unknown theme": ("themes", ["Womens rights"]),
    "unknown SDG target": ("sdg_targets", ["99.9"]),
    "unknown language": ("languages", ["xx"]),
    "unknown region": ("regions_covered", ["Atlantis"]),
    "unknown State": ("states_covered", ["XXX"]),
    "unknown home State": ("home_state_code", "XXX"),
}
BAD_FIELDS_BY_FIELD = dict(BAD_FIELDS.values())


def provider_count(db: Session) -> int:
    db.expire_all()
    return int(db.exec(select(func.count()).select_from(Provider)).one())


def error_fields(response: Any) -> set[str]:
    errors = response.json().get("errors")
    assert errors, response.text
    return {str(error["loc"][-1]) for error in errors}


@pytest.mark.parametrize("case", sorted(BAD_FIELDS))
def test_a_new_provider_with_an_unknown_term_is_422_naming_the_field(
    client: TestClient, db: Session, settings: Settings, case: str
) -> None:
    field, value = BAD_FIELDS[case]
    before = provider_count(db)

    response = client.post(
        PROVIDERS, json=provider_body(**{field: value}), headers=officer(db, settings)
    )

    assert_problem(response, 422, "validation-error")
    assert field in error_fields(response)
    assert provider_count(db) == before


@pytest.mark.parametrize("case", sorted(BAD_FIELDS))
def test_a_provider_patched_with_an_unknown_term_is_422_and_unchanged(
    client: TestClient, db: Session, settings: Settings, case: str
) -> None:
    field, value = BAD_FIELDS[case]
    caller = officer(db, settings)
    created = create_provider(client, caller)

    response = client.patch(
        f"{PROVIDERS}/{created['id']}", json={field: value}, headers={**caller, "If-Match": '"1"'}
    )

    assert_problem(response, 422, "validation-error")
    assert field in error_fields(response)
    db.expire_all()
    stored = db.get(Provider, uuid.UUID(created["id"]))
    assert stored is not None and stored.version == 1


def test_a_request_refuses_what_a_provider_refuses(
    client: TestClient, db: Session, settings: Settings
) -> None:
    """The same vocabulary on both sides: the theme, SDG target and language refused above."""
    focal = headers_for(db, settings, Role.state_focal_point, "WSM")
    for field in ("themes", "sdg_targets", "languages"):
        response = client.post(
            REQUESTS, json=request_body(**{field: BAD_FIELDS_BY_FIELD[field]}), headers=focal
        )
        assert_problem(response, 422, "validation-error")
        assert field in error_fields(response)


def test_several_bad_fields_are_each_named(
    client: TestClient, db: Session, settings: Settings
) -> None:
    body = provider_body(**BAD_FIELDS_BY_FIELD)

    response = client.post(PROVIDERS, json=body, headers=officer(db, settings))

    assert_problem(response, 422, "validation-error")
    assert error_fields(response) == set(BAD_FIELDS_BY_FIELD)


def test_known_terms_are_accepted_as_requests_accept_them(
    client: TestClient, db: Session, settings: Settings
) -> None:
    db.add(Theme(code="F13", name="Violence against women", key=term_key("Violence against women")))
    db.flush()

    created = create_provider(
        client,
        officer(db, settings),
        themes=["f13", "violence against  WOMEN"],
        sdg_targets=["5.2", "16"],
        languages=["FR", "en"],
        regions_covered=["Polynesia", "Africa"],
        states_covered=["wsm"],
    )

    assert created["languages"] == ["fr", "en"]
    assert created["states_covered"] == ["WSM"]


@pytest.mark.parametrize(
    "field", ["name", "kind", "organization", "languages", "capacity", "duty_station", "notes"]
)
def test_a_field_the_schema_declares_not_nullable_refuses_null(
    client: TestClient, db: Session, settings: Settings, field: str
) -> None:
    caller = officer(db, settings)
    created = create_provider(client, caller)
    schema = ProviderFields.model_json_schema()["properties"][field]

    response = client.patch(
        f"{PROVIDERS}/{created['id']}", json={field: None}, headers={**caller, "If-Match": '"1"'}
    )

    assert "null" not in str(schema) and "default" not in schema
    assert_problem(response, 422, "validation-error")
    assert response.json()["errors"]
    created_null = client.post(PROVIDERS, json=provider_body(**{field: None}), headers=caller)
    assert_problem(created_null, 422, "validation-error")


def test_every_nullable_field_accepts_null(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    account, _ = provider_account(db, settings)
    created = create_provider(client, caller, home_state_code="NZL", user_id=str(account.id))
    nullable = {
        name
        for name, schema in ProviderFields.model_json_schema()["properties"].items()
        if {"type": "null"} in schema.get("anyOf", [])
    }

    response = client.patch(
        f"{PROVIDERS}/{created['id']}",
        json=dict.fromkeys(nullable),
        headers={**caller, "If-Match": '"1"'},
    )

    assert nullable == {"home_state_code", "user_id"} == set(ProviderFields.nullable)
    assert response.status_code == 200, response.text
    assert (response.json()["home_state_code"], response.json()["user_id"]) == (None, None)
    assert ProviderCreate.nullable == ProviderFields.nullable
