"""An API request goes to the thread pool once (`app.core.routing.OneHopRoute`): its plain
endpoint runs there, never on the event loop, and everything else FastAPI does for it (the
dependencies, the answer's validation) runs on the loop."""

import threading
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel

from app.console.web import CONSOLE_ROUTERS
from app.core.routing import API_PREFIX, api_router, in_one_hop, made_on_the_loop
from app.main import API_ROUTERS


class Answer(BaseModel):
    thread: str
    size: int


class Sizes:
    def __init__(self, size: int = 3) -> None:
        self.size = size


def _probe_app() -> FastAPI:
    router = api_router("/probe")

    @router.get("/{name}", response_model=Answer)
    def probe(name: str, sizes: Annotated[Sizes, Depends(made_on_the_loop(Sizes))]) -> Answer:
        """A plain endpoint."""
        return Answer(thread=threading.current_thread().name, size=sizes.size)

    app = FastAPI()
    app.router.routes.extend(router.routes)
    return app


def test_a_plain_endpoint_runs_in_the_thread_pool_with_its_own_parameters() -> None:
    app = _probe_app()
    with TestClient(app) as client:
        answer = client.get(f"{API_PREFIX}/probe/x", params={"size": 5})
        assert answer.status_code == 200
        loop_thread = client.portal.call(lambda: threading.current_thread().name)  # type: ignore[union-attr]
    assert answer.json()["size"] == 5
    assert answer.json()["thread"] != loop_thread
    operation = app.openapi()["paths"][f"{API_PREFIX}/probe/{{name}}"]["get"]
    assert operation["description"] == "A plain endpoint."
    assert [p["name"] for p in operation["parameters"]] == ["name", "size"]


def test_a_coroutine_endpoint_is_left_as_it_is() -> None:
    async def endpoint() -> None:
        return None

    assert in_one_hop(endpoint) is endpoint


def _plain_dependencies(dependant: Dependant) -> list[Any]:
    plain = []
    for child in dependant.dependencies:
        if not (child.is_coroutine_callable or child.is_async_gen_callable):
            plain.append(child.call)
        plain.extend(_plain_dependencies(child))
    return plain


def test_every_api_route_goes_to_the_thread_pool_at_most_once(app: FastAPI) -> None:
    hops = {}
    for route in app.routes:
        if isinstance(route, APIRoute) and route.path.startswith(API_PREFIX):
            plain = _plain_dependencies(route.dependant)
            if not route.dependant.is_coroutine_callable or plain:
                hops[f"{sorted(route.methods)} {route.path}"] = plain
    assert hops == {}


def test_the_app_serves_its_routers_routes_as_built(app: FastAPI) -> None:
    # `include_router` would serve copies, each with its own dependency tree and validators,
    # while the routers kept the originals: a web worker's memory twice over.
    served = {id(route) for route in app.routes}
    for router in (*API_ROUTERS, *CONSOLE_ROUTERS):
        assert all(id(route) in served for route in router.routes), router.prefix
