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


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_session(request: Request) -> Iterator[Session]:
    """The request's transaction: committed when the handler returns, rolled back if it raises."""
    with get_database(request).transaction() as session:
        yield session


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# scope="function": commit before the response is sent, so a failed commit is the caller's error.
DbSession = Annotated[Session, Depends(get_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_app_settings)]


def _query_names(route: APIRoute) -> set[str]:
    flat = get_flat_dependant(route.dependant, skip_repeats=True)
    return {field.alias for field in flat.query_params}


async def refuse_nul_characters(request: Request) -> None:
    """A NUL character in a query parameter or form field a route takes is 422, as in a JSON
    body (`Strict`): PostgreSQL can neither store nor compare text that holds one."""
    route = request.scope.get("route")
    names = _query_names(route) if isinstance(route, APIRoute) else set()
    fields: list[tuple[str, str, Any]] = [
        ("query", name, value)
        for name, value in request.query_params.multi_items()
        if name in names
    ]
    if "form" in request.headers.get("content-type", ""):
        fields += [("body", name, value) for name, value in (await request.form()).multi_items()]
    errors = [
        {"loc": [where, name], "msg": "text must not contain NUL characters", "type": "value_error"}
        for where, name, value in fields
        if isinstance(value, str) and "\x00" in value
    ]
    if errors:
        raise UnprocessableContent("text must not contain NUL characters", errors=errors)
