"""Wiring the console into the app: its routes, its static files, and errors on its paths
answered as pages (the API's problem documents everywhere else)."""

import inspect
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.console import imports, matching_pages, overview
from app.console.pages import page
from app.console.router import router
from app.console.sessions import CrossSiteForm, NotForRole, SignInNeeded
from app.core.errors import Problem

PREFIX = "/console"
STATIC_DIR = Path(__file__).parent / "static"
Handler = Callable[[Request, Exception], Awaitable[Response]]
ApiHandler = Callable[[Request, Any], Response | Awaitable[Response]]


CONSOLE_ROUTERS = (router, matching_pages.router, overview.router, imports.router)


def install_console(app: FastAPI) -> None:
    for pages in CONSOLE_ROUTERS:
        app.router.routes.extend(pages.routes)  # taken as built (`page_router`)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC_DIR), name="console-static")
    app.add_exception_handler(SignInNeeded, _sign_in_needed)
    app.add_exception_handler(NotForRole, _not_for_role)
    app.add_exception_handler(CrossSiteForm, _cross_site_form)
    for error in (Problem, RequestValidationError, StarletteHTTPException):
        app.add_exception_handler(error, _as_page_on_console(app.exception_handlers[error]))


def _on_console(request: Request) -> bool:
    path = request.url.path
    return path == PREFIX or path.startswith(f"{PREFIX}/")


async def _sign_in_needed(request: Request, exc: Exception) -> Response:
    return RedirectResponse(f"{PREFIX}/sign-in", status_code=303)


async def _not_for_role(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotForRole)
    return page(
        request,
        "refused.html",
        status_code=403,
        role=exc.role.value,
        admins_only=exc.admins_only,
    )


async def _cross_site_form(request: Request, exc: Exception) -> Response:
    return page(request, "problem.html", status_code=403, problem="cross_site", detail="")


def _as_page_on_console(api_handler: ApiHandler) -> Handler:
    """The API's handler everywhere; on the console's paths, the same refusal as a page."""

    async def handle(request: Request, exc: Exception) -> Response:
        answer = api_handler(request, exc)
        if inspect.isawaitable(answer):
            answer = await answer
        if not _on_console(request):
            return answer
        detail = json.loads(bytes(answer.body)).get("detail", "")
        return page(
            request, "problem.html", status_code=answer.status_code, problem="", detail=detail
        )

    return handle
