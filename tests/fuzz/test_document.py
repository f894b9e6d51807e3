"""The OpenAPI document itself: what the fuzzer relies on, and what generated clients see."""

import datetime as dt
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator, Strict

from app.core.errors import PROBLEM_MEDIA_TYPE
from app.lifecycle.engine import KINDS
from tests.fuzz.test_contract import SCHEMA

DOCUMENT: dict[str, Any] = SCHEMA.raw_schema
OPERATIONS = [
    (f"{method.upper()} {path}", operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
]
BY_ID = {operation["operationId"]: operation for _, operation in OPERATIONS}


def _parameters(operation: dict[str, Any], where: str) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == where}


def _verb_operations() -> dict[str, str]:
    """The operationId of every action verb a role may make, read from the lifecycle tables
    (not from the document), each with the verb's path segment."""
    return {
        f"{verb.replace('-', '_')}_{kind.name}": verb
        for kind in KINDS.values()
        for lifecycle in kind.lifecycles
        for verb in lifecycle.verbs
        if lifecycle.roles[verb]
    }


VERB_OPERATIONS = _verb_operations()


@pytest.mark.parametrize(("label", "operation"), OPERATIONS, ids=[label for label, _ in OPERATIONS])
def test_every_error_is_a_declared_problem_document(label: str, operation: dict[str, Any]) -> None:
    errors = {code: r for code, r in operation["responses"].items() if code[0] in "45"}
    if operation["operationId"] != "get_liveness":  # the process is up, database or not
        assert "503" in errors, "every operation that reads the database can find it down"
    assert "422" in errors, "every operation refuses an unknown query parameter"
    for code, response in errors.items():
        assert list(response["content"]) == [PROBLEM_MEDIA_TYPE], (label, code)
    if _parameters(operation, "path"):
        assert "404" in errors
        if not label.startswith("GET"):
            assert "412" in errors, "a change can lose a race for the object's version"
    if "If-Match" in _parameters(operation, "header"):
        # PATCH and DELETE require If-Match (428 without it); an action verb honours it when
        # sent and never requires it (API.md): 412, never 428.
        if label.startswith(("PATCH", "DELETE")):
            assert {"412", "428"} <= set(errors), label
        else:
            assert operation["operationId"] in VERB_OPERATIONS, label
            assert "412" in errors and "428" not in errors, label
    elif label.startswith(("PATCH", "DELETE")) and _parameters(operation, "path"):
        assert "428" not in errors, label
    if "requestBody" in operation:
        assert {"400", "413", "422"} <= set(errors)


def test_every_verb_operation_declares_412_and_an_optional_if_match() -> None:
    assert len(VERB_OPERATIONS) >= 20
    assert {"start_triage_assistance_request", "publish_assistance_request"} <= set(VERB_OPERATIONS)
    assert {"accept_assignment", "decline_assignment", "submit_progress_report"} <= set(
        VERB_OPERATIONS
    )
    for operation_id, verb in VERB_OPERATIONS.items():
        assert operation_id in BY_ID, operation_id
        (label,) = [label for label, op in OPERATIONS if op["operationId"] == operation_id]
        assert label.startswith("POST ") and label.endswith(f"/{verb}"), label
        operation = BY_ID[operation_id]
        assert "412" in operation["responses"], operation_id
        assert "428" not in operation["responses"], operation_id
        (if_match,) = [
            p for p in operation["parameters"] if p["in"] == "header" and p["name"] == "If-Match"
        ]
        assert if_match.get("required", False) is False, operation_id
    with_if_match = {
        op["operationId"]
        for label, op in OPERATIONS
        if label.startswith("POST ") and "If-Match" in _parameters(op, "header")
    }
    assert with_if_match == set(VERB_OPERATIONS)


def test_a_guarded_operation_declares_401_and_403() -> None:
    assert {"401", "403"} <= set(BY_ID["create_progress_report"]["responses"])
    assert "403" not in BY_ID["list_recommendations"]["responses"]
    assert "401" in BY_ID["list_recommendations"]["responses"], "a bad token is refused anywhere"


def test_problem_schema_is_named_once() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    assert "Problem" in schemas
    assert "HTTPValidationError" not in schemas
    assert set(schemas["Problem"]["required"]) == {"type", "title", "status", "detail"}


def test_links_name_real_operations_and_parameters() -> None:
    links = [
        (label, name, link)
        for label, operation in OPERATIONS
        for response in operation["responses"].values()
        for name, link in response.get("links", {}).items()
    ]
    assert len(links) > 50
    for label, name, link in links:
        target = BY_ID[link["operationId"]]
        for qualified in link["parameters"]:
            where, _, parameter = qualified.partition(".")
            assert parameter in _parameters(target, where), (label, name, qualified)


def test_a_created_report_links_to_its_reading_changing_and_deleting() -> None:
    links = BY_ID["create_progress_report"]["responses"]["201"]["links"]
    assert links["update_progress_report"]["parameters"] == {
        "path.report_id": "$response.body#/id",
        "header.If-Match": "$response.header.ETag",
    }
    assert {"get_progress_report", "delete_progress_report", "submit_progress_report"} <= set(links)
    revision = BY_ID["create_progress_revision"]["responses"]["201"]["links"]
    assert revision["get_progress_revision"]["parameters"] == {
        "path.report_id": "$request.path.report_id",
        "path.number": "$response.body#/number",
    }


LAX = (bool, int, float, dt.date, dt.datetime)


def _lax_scalars(annotation: Any, metadata: tuple[Any, ...] = ()) -> Iterator[Any]:
    """Scalars inside `annotation` that Pydantic would also take from another JSON type."""
    if typing.get_origin(annotation) is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        yield from _lax_scalars(inner, (*metadata, *extra))
    elif annotation in LAX:
        if not any(isinstance(m, Strict | BeforeValidator) for m in metadata):
            yield annotation
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    else:
        for argument in typing.get_args(annotation):
            yield from _lax_scalars(argument, metadata)


def test_json_bodies_take_each_type_only_as_json_writes_it() -> None:
    """`0` is not `false`, `"5"` is not `5` and a number is not a date (`JsonBool`, `JsonInt`,
    `JsonNumber`, `JsonDate` in app/core/schemas.py)."""
    pending: list[tuple[str, Any, tuple[Any, ...]]] = [
        (route.path, param.field_info.annotation, tuple(param.field_info.metadata))
        for route in SCHEMA.app.routes
        if isinstance(route, APIRoute) and route.body_field is not None
        if "json" in route.body_field.field_info.media_type
        for param in route.dependant.body_params
    ]
    seen: set[type[BaseModel]] = set()
    lax = []
    while pending:
        where, annotation, metadata = pending.pop()
        for found in _lax_scalars(annotation, metadata):
            if found in LAX:
                lax.append(where)
            elif found not in seen:
                seen.add(found)
                pending += [
                    (f"{found.__name__}.{name}", field.annotation, tuple(field.metadata))
                    for name, field in found.model_fields.items()
                ]
    assert len(seen) > 15
    assert lax == []
