"""Dependencies every router uses: the request's transaction and the settings, and the one
that every route runs first, refusing text PostgreSQL cannot hold."""

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.dependencies.utils import get_flat_dependant
from fastapi.routing import APIRoute
from sqlmodel import Session

from app.core.db import Database
from app.core.errors import UnprocessableContent
from app.core.settings import Settings


# Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` one in the thread
# pool, a hop per dependency per request.
async def get_database(request: Request) -> Database:
    return _database(request)


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_session(request: Request) -> Iterator[Session]:
    """The request's transaction: committed when the handler returns, rolled back if it raises."""
    with _database(request).transaction() as session:
        yield session


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# scope="function": commit before the response is sent, so a failed commit is the caller's error.
DbSession = Annotated[Session, Depends(get_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_app_settings)]


_QUERY_NAMES = "item10_query_names"  # kept on the route itself: routes are not hashable


def _query_names(route: APIRoute) -> frozenset[str]:
    """The query parameters a route takes, worked out once per route."""
    names: frozenset[str] | None = getattr(route, _QUERY_NAMES, None)
    if names is None:
        flat = get_flat_dependant(route.dependant, skip_repeats=True)
        names = frozenset(field.alias for field in flat.query_params)
        setattr(route, _QUERY_NAMES, names)
    return names


async def refuse_nul_characters(request: Request) -> None:
    """A NUL character in a query parameter or form field a route takes is 422, as in a JSON
    body (`Strict`): PostgreSQL can neither store nor compare text that holds one."""
    is_form = "form" in request.headers.get("content-type", "")
    if not request.scope.get("query_string") and not is_form:
        return  # nothing to look at: most requests
    route = request.scope.get("route")
    names = _query_names(route) if isinstance(route, APIRoute) else frozenset()
    fields: list[tuple[str, str, Any]] = [
        ("query", name, value)
        for name, value in request.query_params.multi_items()
        if name in names
    ]
    if is_form:
        fields += [("body", name, value) for name, value in (await request.form()).multi_items()]
    errors = [
        {"loc": [where, name], "msg": "text must not contain NUL characters", "type": "value_error"}
        for where, name, value in fields
        if isinstance(value, str) and "\x00" in value
    ]
    if errors:
        raise UnprocessableContent("text must not contain NUL characters", errors=errors)
