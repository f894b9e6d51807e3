"""The one place where errors become responses: RFC 9457 problem documents."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
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

log = logging.getLogger(__name__)


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem_response(problem: Problem, instance: str | None = None) -> ProblemResponse:
    body = problem.body(instance)
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
        problem = NotFound(f"no route matches {request.url.path}")
    elif exc.status_code == 405:
        problem = MethodNotAllowed(f"{request.method} is not allowed on {request.url.path}")
    else:
        problem = BadRequest(str(exc.detail))
        problem.status = exc.status_code
    problem.headers.update(exc.headers or {})
    return problem_response(problem, request.url.path)


async def _on_stale_write(request: Request, exc: Exception) -> ProblemResponse:
    problem = PreconditionFailed("the resource was changed by another request; reload and retry")
    return problem_response(problem, request.url.path)


async def _on_database_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, DBAPIError)
    if isinstance(exc, OperationalError) or exc.connection_invalidated:
        log.warning("database unavailable: %s", exc.__class__.__name__)
        problem: Problem = ServiceUnavailable("the database is unavailable; retry shortly")
        return problem_response(problem, request.url.path)
    raise exc


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(StaleDataError, _on_stale_write)
    app.add_exception_handler(DBAPIError, _on_database_error)
