"""The API's routers. Each is made with what the app gives every API route (the `/api/v1`
prefix, the rate limit's 429, the query-parameter screen, operation ids by function name), so
that the app takes its routes as they are: `include_router` would build a second copy of every
route (its dependency tree, parameter fields and validators) while the module kept the first,
7-8 MiB of a web worker's memory."""

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.routing import APIRoute

from app.core.deps import screen_parameters
from app.core.ratelimit import OPENAPI_RESPONSES as RATE_LIMITED

API_PREFIX = "/api/v1"


def operation_id(route: APIRoute) -> str:
    return route.name


def api_router(prefix: str, **options: Any) -> APIRouter:
    """A router of API routes under `API_PREFIX + prefix`."""
    return APIRouter(
        prefix=API_PREFIX + prefix,
        responses=dict(RATE_LIMITED),
        dependencies=[Depends(screen_parameters)],
        generate_unique_id_function=operation_id,
        **options,
    )
