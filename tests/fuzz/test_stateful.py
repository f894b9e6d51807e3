"""Stateful fuzzing: Schemathesis follows the OpenAPI links of `/openapi.json` from a created
object to what can be done with it next (read it, change it with its new `ETag`, submit,
publish, delete), checking every answer as the stateless run does.

It runs as a State's focal point, who creates reports, shortfalls, requests, clusters and
contributor accounts, and as an administrator, who creates accounts, API clients, providers,
matching runs and assignments; between them they start every link in the document.
"""

from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import settings
from schemathesis import Case, Response
from schemathesis.checks import CheckFunction

from tests.fuzz.test_contract import CHECKS, SCHEMA
from tests.fuzz.world import World

SCENARIOS = settings(settings.get_profile("contract-fuzz"), stateful_step_count=6)


@pytest.mark.parametrize("caller", ["state_focal_point", "ohchr_admin"])
def test_links_lead_from_creation_to_deletion(caller: str, world: World, fuzz_app: FastAPI) -> None:
    class Workflows(SCHEMA.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"app": fuzz_app, "headers": world.headers(caller)}

        def validate_response(
            self,
            response: Response,
            case: Case,
            additional_checks: list[CheckFunction] | None = None,
            **kwargs: Any,
        ) -> None:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    Workflows.run(settings=SCENARIOS)
