"""Stateful fuzzing: Schemathesis follows the OpenAPI links of `/openapi.json` from a created
object to what can be done with it next (read it, change it with its new `ETag`, submit,
publish, revise, delete), checking every answer as the stateless run does.

Each caller works the part of the API that is theirs: a State's focal point creates reports,
shortfalls, clusters, requests and contributor accounts; an administrator creates accounts,
API clients, providers, matching runs and assignments. Scenarios use valid data only (invalid
data is the stateless run's job), with references aimed at objects that exist, so that
creations succeed and the links have something to follow.
"""

import json
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import Phase, settings
from hypothesis.errors import Flaky
from schemathesis import Case, GenerationMode, Response
from schemathesis.checks import CheckFunction
from schemathesis.engine.errors import is_inconsistent_replay
from sqlalchemy import Connection

from tests.fuzz.test_contract import CHECKS, SCHEMA, aim_references
from tests.fuzz.world import World

PROFILE = settings.get_profile("contract-fuzz")
# Scenarios are a few steps each, so four per example of the stateless run.
SCENARIOS = settings(
    PROFILE,
    max_examples=4 * PROFILE.max_examples,
    stateful_step_count=8,
    phases=[Phase.generate],  # a failing scenario is reported as found, not shrunk
)
REF = "#/components/schemas/"
WORKS = {
    "state_focal_point": (
        r"^/api/v1/(recommendations|progress-reports|shortfalls|recommendation-clusters|users"
        r"|assistance-requests(?!/\{request_id\}/candidates))"
    ),
    "ohchr_admin": (
        r"^/api/v1/(users|api-clients|providers|matching-runs|assignments|states"
        r"|assistance-requests)"
    ),
}


def workflow_schema() -> schemathesis.BaseSchema:
    """The served document with its `XRead` and `XView` schemas named `X`. Schemathesis names
    the resources that operations create and consume after schema names, and without this it
    would not see that a `ReportRead` is what a `report_id` names, and would never start a
    scenario by creating one. Nothing else changes."""
    document = json.dumps(SCHEMA.raw_schema)
    names = SCHEMA.raw_schema["components"]["schemas"]
    renamed = {
        name: name[: -len(suffix)]
        for name in names
        for suffix in ("Read", "View")
        if name.endswith(suffix) and name[: -len(suffix)] not in names
    }
    for old, new in renamed.items():
        document = document.replace(
            f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"'
        )
    raw = json.loads(document)
    raw["components"]["schemas"] = {
        renamed.get(name, name): schema for name, schema in raw["components"]["schemas"].items()
    }
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = SCHEMA.app
    schema.config.generation.update(with_security_parameters=False)
    schema.config.phases.stateful.generation.update(modes=[GenerationMode.POSITIVE])
    return schema


WORKFLOWS = workflow_schema()


@pytest.mark.parametrize("caller", sorted(WORKS))
def test_links_lead_from_creation_to_deletion(
    caller: str, world: World, fuzz_app: FastAPI, fuzz_connection: Connection
) -> None:
    machine = WORKFLOWS.include(path_regex=WORKS[caller]).as_state_machine()
    failures: list[Exception] = []

    class Workflows(machine):  # type: ignore[valid-type, misc]
        def setup(self) -> None:
            self.savepoint = fuzz_connection.begin_nested()

        def teardown(self) -> None:
            self.savepoint.rollback()

        def before_call(self, case: Case) -> None:
            aim_references(case, world)

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"app": fuzz_app, "headers": world.headers(caller)}

        def validate_response(
            self,
            response: Response,
            case: Case,
            additional_checks: list[CheckFunction] | None = None,
            **kwargs: Any,
        ) -> None:
            try:
                case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)
            except Exception as failure:
                failures.append(failure)
                raise

    try:
        Workflows.run(settings=SCENARIOS)
    except Exception as error:
        # Schemathesis follows a link's value only some of the time, drawing that choice outside
        # Hypothesis, so a scenario cannot always be replayed step for step and Hypothesis may
        # call the run inconsistent. As Schemathesis's own runner does, that is no failure by
        # itself: what fails the test is a check that failed on the way.
        if failures:
            raise failures[0] from error
        if not (isinstance(error, Flaky) or is_inconsistent_replay(error)):
            raise
