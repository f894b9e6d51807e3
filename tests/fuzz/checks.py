"""The one rule no schema can state: a State's caller never receives another State's objects.

What a Samoan caller may see of Nepal, from "Who sees what" in DESIGN.md:
- the catalogue: recommendations are public reference data (`/recommendations`), whoever
  they are addressed to; so are the States and the taxonomies (which carry no `state_code`);
- what Nepal published: a progress report or shortfall with `visibility: public`, an
  assistance request with `published: true`;
- Nepal's overview built from published data only (`scope: public`).
Anything else that carries a `state_code` other than the caller's is a leak, and so is the id of
any of Nepal's unpublished objects anywhere in the body (unless the caller sent it itself).
"""

import json
from collections.abc import Iterator
from typing import Any

import schemathesis
from schemathesis import Case, CheckContext, Response

from tests.fuzz.world import API, World

CATALOGUE = f"{API}/recommendations"
_current: list[World] = []


def watch(world: World) -> None:
    """The world whose callers and objects the check judges."""
    _current[:] = [world]


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _shown_to_all(obj: dict[str, Any], path: str) -> bool:
    if path == CATALOGUE or path.startswith(CATALOGUE + "/"):
        return True
    return (
        obj.get("visibility") == "public"
        or obj.get("published") is True
        or (obj.get("scope") == "public")
    )


def _sent(response: Response) -> str:
    request = response.request
    body = request.body or b""
    return str(request.url) + (body.decode(errors="replace") if isinstance(body, bytes) else body)


@schemathesis.check
def no_other_state_objects(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """No response to a State's caller holds another State's unpublished objects."""
    if not _current or "json" not in response.headers.get("content-type", [""])[0]:
        return None
    world = _current[0]
    state = world.state_of(response.request.headers.get("Authorization"))
    if state is None:
        return None
    body = json.loads(response.content or b"null")
    path = case.operation.path
    for obj in _objects(body):
        code = obj.get("state_code")
        if isinstance(code, str) and code != state and not _shown_to_all(obj, path):
            raise AssertionError(f"a {state} caller received a {code} object: {obj}")
    sent = _sent(response)
    leaked = {s for s in _strings(body) if s in world.private_other and s not in sent}
    if leaked:
        raise AssertionError(f"a {state} caller received unpublished objects of another State")
    return True
