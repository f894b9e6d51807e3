"""One route shape for every verb of every lifecycle: `POST /{collection}/{id}/{verb}`.

The routes are generated from the lifecycle tables: one operation per verb,
`<verb>_<resource>` (`start_triage_assistance_request`), guarded by the roles the table names
for the verb, taking the one verb body, and honouring `If-Match` when it is sent.
"""

import inspect
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Path, Query, Response
from pydantic import BaseModel
from sqlmodel import Session

from app.core.concurrency import ConditionalIfMatch, set_etag
from app.core.deps import AppSettings, DbSession
from app.core.guards import require
from app.core.models import Versioned
from app.core.openapi import conflict
from app.core.principal import Principal
from app.core.routing import made_on_the_loop
from app.core.settings import Settings
from app.lifecycle.engine import Kind, Lifecycle
from app.lifecycle.schemas import VerbBody
from app.lifecycle.visibility import Visibility

T = TypeVar("T", bound=Versioned)
Load = Callable[[Session, Principal, uuid.UUID], Any]
Present = Callable[[Session, Principal, Any, Settings], BaseModel]


def add_verb_routes(
    router: APIRouter,
    kind: Kind[T],
    *,
    id_param: str,
    load: Load,
    present: Present,
    response_model: Any,
    descriptions: Mapping[str, str],
) -> None:
    """A route for each verb a role may make (the platform's own moves have none)."""
    for lifecycle in kind.lifecycles:
        for verb in lifecycle.verbs:
            if not lifecycle.roles[verb]:
                continue
            operation_id = f"{verb.replace('-', '_')}_{kind.name}"
            router.add_api_route(
                f"/{{{id_param}}}/{verb}",
                _endpoint(kind, lifecycle, verb, id_param, load, present, operation_id),
                methods=["POST"],
                response_model=response_model,
                operation_id=operation_id,
                description=descriptions.get(verb, ""),
                responses=conflict("Not open now: `allowed` lists the verbs open to the caller"),
            )


def _endpoint(
    kind: Kind[T],
    lifecycle: Lifecycle[T],
    verb: str,
    id_param: str,
    load: Load,
    present: Present,
    name: str,
) -> Callable[..., BaseModel]:
    body_type = lifecycle.bodies.get(verb, VerbBody)
    body_required = any(f.is_required() for f in body_type.model_fields.values())
    guard = require(*sorted(lifecycle.roles[verb]))

    def endpoint(**arguments: Any) -> BaseModel:
        db: Session = arguments["db"]
        who: Principal = arguments["who"]
        obj = load(db, who, arguments[id_param])
        moved = kind.apply(db, who, obj, verb, arguments["body"], arguments["if_match"])
        set_etag(arguments["response"], moved.version)
        return present(db, who, moved, arguments["settings"])

    def parameter(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> Any:
        return inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
        )

    # An optional body is the verb body itself, not "the body or null": generated clients then
    # send nothing, or the object, and never a null they cannot encode.
    body = parameter(
        "body",
        Annotated[body_type, Body()],
        inspect.Parameter.empty if body_required else body_type(),
    )
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            parameter(id_param, Annotated[uuid.UUID, Path()]),
            parameter("who", Annotated[Principal, Depends(guard)]),
            parameter("db", DbSession),
            parameter("settings", AppSettings),
            parameter("response", Response),
            body,
            parameter("if_match", ConditionalIfMatch, None),
        ]
    )
    endpoint.__name__ = name
    return endpoint


@dataclass
class ListFilters:
    """The filters every list of State objects takes (with its own `stage`)."""

    state: Annotated[str | None, Query(min_length=3, max_length=3)] = None
    recommendation: Annotated[
        uuid.UUID | None, Query(description="Objects linked to this recommendation")
    ] = None
    visibility: Annotated[
        Visibility | None,
        Query(description="`public`: what everyone sees; `ohchr`: submitted, not published"),
    ] = None


Filters = Annotated[ListFilters, Depends(made_on_the_loop(ListFilters))]
