"""Contract fuzzing: Schemathesis drives every operation of `/openapi.json` as each role and
anonymously, with data that fits the schema and data that does not, and every answer must keep
the contract: no server error, a declared status, a declared content type, a body matching the
declared schema, invalid input refused, and no other State's objects for a State's caller.

Each valid request Hypothesis generates is sent by every caller the route admits, anonymously,
and by one caller it refuses (a different one from case to case, so all roles are refused
along the run). Invalid ones, and the coverage phase's systematic cases (every boundary and
every kind of invalid value of every parameter, a few hundred for a large body), are each sent
once, by one of the callers the route admits. Choices are made from the case itself, so that a
run is reproducible.

Left out, and why: `/metrics` is not in the document (it is Prometheus text for scrapers, not
part of the API); nothing else is.
"""

import zlib

import schemathesis
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from hypothesis import settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Connection

from app.core.guards import RoleGuard
from app.core.settings import Settings
from app.main import create_app
from tests.fuzz.checks import no_other_state_objects
from tests.fuzz.conftest import scratch
from tests.fuzz.world import ANONYMOUS, CALLERS, REFERENCES, World

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    no_other_state_objects,
]


def _guard(dependant: Dependant) -> RoleGuard | None:
    if isinstance(dependant.call, RoleGuard):
        return dependant.call
    return next(filter(None, map(_guard, dependant.dependencies)), None)


def _admitted(app: FastAPI) -> dict[str, tuple[str, ...]]:
    """The callers each operation lets in, by Schemathesis label (`GET /path`)."""
    admitted = {}
    for route in app.routes:
        if isinstance(route, APIRoute):
            guard = _guard(route.dependant)
            callers = tuple(c for c in CALLERS if guard is None or c in guard.roles)
            admitted |= {f"{method} {route.path}": callers for method in route.methods}
    return admitted


def load_schema() -> tuple[schemathesis.BaseSchema, dict[str, tuple[str, ...]]]:
    """The document exactly as the app serves it at `/openapi.json`."""
    document_app = create_app(
        Settings(_env_file=None, database_url="sqlite://", jwt_secret="x" * 40)  # type: ignore[call-arg]
    )
    schema = schemathesis.openapi.from_dict(document_app.openapi())
    schema.app = document_app
    # The caller is chosen by the test (every role, and nobody), not generated.
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], with_security_parameters=False
    )
    # A method a path does not serve is refused by the router, the same way for every path;
    # two such methods per path show it, without the eight Schemathesis tries by default.
    schema.config.phases.coverage.unexpected_methods = {"put", "trace"}
    return schema, _admitted(document_app)


SCHEMA, ADMITTED = load_schema()


def aim(case: Case, world: World) -> None:
    """Point most generated ids at objects that exist, and half the writes past `If-Match`."""
    for name, value in (case.path_parameters or {}).items():
        case.path_parameters[name] = world.known(name, value)
    aim_references(case, world)
    if_match = (case.headers or {}).get("If-Match")
    if isinstance(if_match, str) and zlib.crc32(if_match.encode()) % 2:
        case.headers["If-Match"] = "*"


def aim_references(case: Case, world: World) -> None:
    """Most ids a body names (recommendations, shortfalls, requests ...) point at real ones."""
    if isinstance(case.body, dict):
        for field, name in REFERENCES.items():
            value = case.body.get(field)
            if isinstance(value, list):
                case.body[field] = [world.known(name, item) for item in value]
            elif value is not None:
                case.body[field] = world.known(name, value)


def callers_for(case: Case) -> tuple[str, ...]:
    """Valid input generated at random goes to every caller the route admits, to anonymous,
    and to one caller it turns away: what each may do and see is the point. Invalid input,
    and the coverage phase's systematic cases, go to one caller the route admits."""
    meta = case.meta
    admitted = ADMITTED[case.operation.label] or CALLERS
    pick = zlib.crc32(repr(case).encode())
    if meta is None or meta.phase.name != TestPhase.FUZZING or meta.generation.mode.is_negative:
        return (admitted[pick % len(admitted)],)
    refused = [caller for caller in CALLERS if caller not in admitted]
    extra = (ANONYMOUS, refused[pick % len(refused)]) if refused else ()
    return tuple(dict.fromkeys((*admitted, *extra)))


def sign(case: Case, world: World, caller: str) -> None:
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    case.headers = headers | world.headers(caller)


@SCHEMA.parametrize()
@settings(settings.get_profile("contract-fuzz"))
def test_operation_keeps_its_contract(
    case: Case, world: World, fuzz_app: FastAPI, fuzz_connection: Connection
) -> None:
    callers = callers_for(case)  # chosen from the case as generated, before ids are aimed
    aim(case, world)
    with scratch(fuzz_connection):
        for caller in callers:
            sign(case, world, caller)
            response = case.call(app=fuzz_app)
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as failure:
                failure.add_note(f"sent as: {caller}")
                raise
