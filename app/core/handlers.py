"""The one place where errors become responses: RFC 9457 problem documents."""

import logging
import sys
from typing import TYPE_CHECKING, Any, TypeGuard

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.context import current_request_id
from app.core.errors import (
    PROBLEM_MEDIA_TYPE,
    BadRequest,
    MethodNotAllowed,
    NotFound,
    PreconditionFailed,
    Problem,
    ServiceUnavailable,
    UnprocessableContent,
)

if TYPE_CHECKING:
    import sqlite3

log = logging.getLogger(__name__)

DATABASE_RETRY_AFTER_S = 5


def _driver_unavailable_errors() -> tuple[type[Exception], ...]:
    """Driver errors that mean "the database cannot serve now" (down, restarting, locked, out of
    connections), should one reach us without SQLAlchemy's wrapping: those of the drivers this
    process has loaded. The engine loads its driver before the app is built, and a worker on
    SQLite does not load psycopg (9 MiB) only to name its errors."""
    errors: list[type[Exception]] = []
    if (psycopg := sys.modules.get("psycopg")) is not None:
        errors += [psycopg.OperationalError, psycopg.InterfaceError]
    if (sqlite := sys.modules.get("sqlite3")) is not None:
        errors.append(sqlite.OperationalError)
    return tuple(errors)


_SQLITE_UNAVAILABLE_CODES = (
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_CANTOPEN",
    "SQLITE_IOERR",
    "SQLITE_FULL",
)
_SQLITE_UNAVAILABLE_WORDS = (
    "database is locked",
    "database table is locked",
    "unable to open",
    "disk i/o error",
    "database or disk is full",
)


def _sqlite_unavailable(error: "sqlite3.Error") -> bool:
    """By the error's SQLite code when the driver set one, else by its message."""
    code = getattr(error, "sqlite_errorname", None)
    if code:
        return str(code).startswith(_SQLITE_UNAVAILABLE_CODES)
    message = str(error).lower()
    return any(words in message for words in _SQLITE_UNAVAILABLE_WORDS)


# A problem names the request path it answers, but never echoes more of a (possibly huge,
# possibly hostile) path than this.
MAX_INSTANCE_CHARS = 200


def bounded_path(path: str) -> str:
    return path[:MAX_INSTANCE_CHARS]


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem_response(problem: Problem, instance: str | None = None) -> ProblemResponse:
    body = problem.body(bounded_path(instance) if instance else None)
    request_id = current_request_id()
    if request_id:
        body["request_id"] = request_id
    return ProblemResponse(body, status_code=problem.status, headers=problem.headers)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """The failing fields, without echoing the caller's input back."""
    return [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type")}
        for error in exc.errors()
    ]


async def _on_problem(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc, request.url.path)


async def _on_validation(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    if any(error["type"] == "json_invalid" for error in errors):
        detail = "the request body is not valid JSON"
    else:
        fields = ", ".join(".".join(str(part) for part in e["loc"]) for e in errors[:5])
        detail = f"invalid input: {fields}"
    problem = UnprocessableContent(detail, errors=errors)
    return problem_response(problem, request.url.path)


async def _on_http_exception(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    problem: Problem
    if exc.status_code == 404:
        problem = NotFound(f"no route matches {bounded_path(request.url.path)}")
    elif exc.status_code == 405:
        path = bounded_path(request.url.path)
        problem = MethodNotAllowed(f"{request.method} is not allowed on {path}")
    else:
        problem = BadRequest(str(exc.detail))
        problem.status = exc.status_code
    problem.headers.update(exc.headers or {})
    return problem_response(problem, request.url.path)


async def _on_stale_write(request: Request, exc: Exception) -> ProblemResponse:
    problem = PreconditionFailed("the resource was changed by another request; reload and retry")
    return problem_response(problem, request.url.path)


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot serve now, rather than that the request is wrong."""
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    if _is_sqlite_error(cause):
        # sqlite3 raises OperationalError for a missing table or bad SQL too: those are bugs.
        invalidated = isinstance(exc, DBAPIError) and exc.connection_invalidated
        return invalidated or _sqlite_unavailable(cause)
    if isinstance(exc, DBAPIError):
        return isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated
    return isinstance(exc, (PoolTimeoutError, *_driver_unavailable_errors()))


def _is_sqlite_error(error: BaseException | None) -> TypeGuard["sqlite3.Error"]:
    sqlite = sys.modules.get("sqlite3")  # not loaded: no SQLite error was raised
    return sqlite is not None and isinstance(error, sqlite.Error)


async def _on_database_error(request: Request, exc: Exception) -> ProblemResponse:
    if not database_unavailable(exc):
        raise exc
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    log.warning("database unavailable: %s: %s", type(cause).__name__, str(cause).strip()[:200])
    problem = ServiceUnavailable(
        "the database is unavailable; retry shortly", retry_after=DATABASE_RETRY_AFTER_S
    )
    return problem_response(problem, request.url.path)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(StaleDataError, _on_stale_write)
    for error in (DBAPIError, PoolTimeoutError, *_driver_unavailable_errors()):
        app.add_exception_handler(error, _on_database_error)
