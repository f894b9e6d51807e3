"""The API's routers. Each is made with what the app gives every API route (the `/api/v1`
prefix, the rate limit's 429, the query-parameter screen, operation ids by function name), so
that the app takes its routes as they are: `include_router` would build a second copy of every
route (its dependency tree, parameter fields and validators) while the module kept the first,
7-8 MiB of a web worker's memory.

Their plain (`def`) endpoints run in the thread pool in one hop (`OneHopRoute`)."""

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Depends
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from app.core.deps import screen_parameters
from app.core.ratelimit import OPENAPI_RESPONSES as RATE_LIMITED

API_PREFIX = "/api/v1"

T = TypeVar("T")


def operation_id(route: APIRoute) -> str:
    return route.name


def in_one_hop(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A plain endpoint as a coroutine that runs it in the thread pool. FastAPI hops to the
    thread pool twice for a plain endpoint, once to run it and once more to validate its answer;
    for a coroutine it validates on the event loop. FastAPI reads the parameters through
    `__wrapped__`, so the route and its OpenAPI operation are the endpoint's own."""
    if inspect.iscoroutinefunction(endpoint):
        return endpoint

    @functools.wraps(endpoint)
    async def run_in_one_hop(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return run_in_one_hop


def made_on_the_loop(make: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    """`Depends(made_on_the_loop(ListFilters))` instead of `Depends()`: a class of parameters,
    which FastAPI would otherwise make in the thread pool, made on the event loop."""

    async def made(**parameters: Any) -> T:
        return make(**parameters)

    made.__signature__ = inspect.signature(make)  # type: ignore[attr-defined]
    return made


class OneHopRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        super().__init__(path, in_one_hop(endpoint), **options)


def page_router(prefix: str) -> APIRouter:
    """A router of HTML pages under `prefix`, outside the OpenAPI document, made with the query-
    parameter screen the app gives every route, so that the app takes its routes as they are."""
    return APIRouter(
        prefix=prefix, include_in_schema=False, dependencies=[Depends(screen_parameters)]
    )


def api_router(prefix: str, **options: Any) -> APIRouter:
    """A router of API routes under `API_PREFIX + prefix`."""
    return APIRouter(
        prefix=API_PREFIX + prefix,
        route_class=OneHopRoute,
        responses=dict(RATE_LIMITED),
        dependencies=[Depends(screen_parameters)],
        generate_unique_id_function=operation_id,
        **options,
    )
