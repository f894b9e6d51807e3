"""Dependencies every router uses: the request's transaction and the settings, and the one
that every route runs first, refusing query parameters the route does not take and text
PostgreSQL cannot hold."""

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any

from anyio import CancelScope
from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import _get_flat_fields_from_params, get_validation_alias
from fastapi.routing import APIRoute
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.core.db import AUTOCOMMIT, Database
from app.core.errors import Problem, UnprocessableContent
from app.core.settings import Settings


# Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` one in the thread
# pool, a hop per dependency per request.
async def get_database(request: Request) -> Database:
    return _database(request)


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's transaction: committed when the handler returns, rolled back if it raises.
    The session is made here, on the event loop (it does no I/O until its first statement), and
    ended in the thread pool only when the database holds a transaction for it: a read on
    PostgreSQL holds none (`Database.request_session`), and an anonymous read that needed no
    query never touched the database."""
    session = _database(request).request_session()
    try:
        yield session
    except BaseException:
        await _end(session, session.rollback)
        raise
    await _end(session, session.commit if _has_work(session) else None)


def _has_work(session: Session) -> bool:
    """Whether committing would do anything. Each statement of an autocommit session (a read on
    PostgreSQL) committed on its own: unless the ORM holds changes, there is nothing to commit,
    and closing is enough: the commit's bookkeeping was a tenth of a single-row read's CPU."""
    if not session.info.get(AUTOCOMMIT):
        return True
    return bool(session.new or session.dirty or session.deleted)


async def _end(session: Session, finish: Callable[[], None] | None) -> None:
    def finish_and_close() -> None:
        try:
            if finish is not None:
                finish()
        finally:
            session.close()

    if session.in_transaction() and not session.info.get(AUTOCOMMIT):
        # Shielded: a client that goes away must not leave the transaction open.
        with CancelScope(shield=True):
            await run_in_threadpool(finish_and_close)
    else:
        finish_and_close()


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# scope="function": commit before the response is sent, so a failed commit is the caller's error.
DbSession = Annotated[Session, Depends(get_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_app_settings)]


_QUERY_NAMES = "item10_query_names"  # kept on the route itself: routes are not hashable
_NUL = "text must not contain NUL characters"
_MAX_ECHOED_NAME = 100  # a caller's parameter name is echoed back, but not a huge one


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for child in dependant.dependencies:
        yield from _dependants(child)


def query_names(route: APIRoute) -> frozenset[str]:
    """The query parameters a route takes (its dependencies' included), worked out once per
    route, by the names FastAPI reads them under (a query model stands for its fields)."""
    names: frozenset[str] | None = getattr(route, _QUERY_NAMES, None)
    if names is None:
        names = frozenset(
            get_validation_alias(field)
            for dependant in _dependants(route.dependant)
            for field in _get_flat_fields_from_params(dependant.query_params)
        )
        setattr(route, _QUERY_NAMES, names)
    return names


def _unknown_parameters(route: APIRoute, request: Request, names: frozenset[str]) -> Problem:
    unknown = sorted(
        {name[:_MAX_ECHOED_NAME] for name in request.query_params if name not in names}
    )
    taken = ", ".join(sorted(names)) if names else "none"
    listed = ", ".join(repr(name) for name in unknown[:5])
    return UnprocessableContent(
        f"unknown query parameter {listed}; {request.method} {route.path} takes: {taken}",
        errors=[
            {"loc": ["query", name], "msg": "unknown query parameter", "type": "extra_forbidden"}
            for name in unknown[:20]
        ],
    )


async def screen_parameters(request: Request) -> None:
    """Run first on every route. An unknown query parameter is 422 naming it (a misspelt or
    unsupported filter would otherwise be ignored, and the list look filtered when it is not).
    A NUL character in a query parameter or form field is 422, as in a JSON body (`Strict`):
    PostgreSQL can neither store nor compare text that holds one. Unknown form fields are let
    through: OAuth clients send fields the token endpoint does not use."""
    is_form = "form" in request.headers.get("content-type", "")
    if not request.scope.get("query_string") and not is_form:
        return  # nothing to look at: most requests
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    names = query_names(route)
    if any(name not in names for name in request.query_params):
        raise _unknown_parameters(route, request, names)
    fields: list[tuple[str, str, Any]] = [
        ("query", name, value) for name, value in request.query_params.multi_items()
    ]
    if is_form:
        fields += [("body", name, value) for name, value in (await request.form()).multi_items()]
    errors = [
        {"loc": [where, name], "msg": _NUL, "type": "value_error"}
        for where, name, value in fields
        if isinstance(value, str) and "\x00" in value
    ]
    if errors:
        raise UnprocessableContent(_NUL, errors=errors)


# The name app/main.py installs it under.
