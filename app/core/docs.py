"""Swagger UI at /docs, served whole by this process: its script, stylesheet and icon come
from the installed swagger-ui-bundle-v2 package, so the page works on a network that reaches
no CDN.

Each page carries a Content-Security-Policy that admits this origin and, of inline code, only
the page's own script, by the hash of the very HTML that is served.
"""

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from app.core.guards import no_token

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
SCRIPT = "swagger-ui-bundle.js"
STYLESHEET = "swagger-ui.css"
FAVICON = "favicon-32x32.png"

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


@dataclass(frozen=True)
class Page:
    html: str
    policy: str

    def response(self) -> HTMLResponse:
        return HTMLResponse(self.html, headers={"Content-Security-Policy": self.policy})


def script_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def protected(html: str) -> Page:
    """The page with a policy naming each of its inline scripts by hash. Swagger UI styles
    what it draws through the DOM, which style-src 'self' allows; its stylesheet draws icons
    from data: URLs, and it shows an image that an operation answers (a chart) from a blob:."""
    scripts = " ".join(script_hash(script) for script in _INLINE_SCRIPT.findall(html))
    policy = (
        "default-src 'none'; "
        f"script-src 'self' {scripts}; "
        "style-src 'self'; "
        "img-src 'self' data: blob:; "
        "connect-src 'self'; "
        "base-uri 'none'; "
        "form-action 'none'; "
        "frame-ancestors 'none'"
    )
    return Page(html, policy)


class SwaggerAssets(StaticFiles):
    """Only the files the page loads: the package also ships a demo page, which would fetch
    its example document from the internet."""

    served = frozenset({SCRIPT, STYLESHEET, FAVICON})

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path not in self.served:
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)


def install_docs(app: FastAPI) -> None:
    """Swagger UI at /docs, its OAuth2 redirect page and its assets, for an app built with
    `docs_url=None`. Both pages are public and read no token.

    /docs is a route like any other: it declares who may call it, and refuses a query
    parameter it does not take. The redirect page is a plain route, as FastAPI's own is: it
    must take whatever an OAuth2 server appends (code, state, error, iss, ...), which the
    parameter screen in front of every operation would refuse, and it holds no data."""
    openapi_url = app.openapi_url or "/openapi.json"

    @lru_cache(maxsize=8)  # one entry per root path the server is configured with
    def swagger_page(root_path: str) -> Page:
        assets = root_path + ASSETS_URL
        html = get_swagger_ui_html(
            openapi_url=root_path + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{assets}/{SCRIPT}",
            swagger_css_url=f"{assets}/{STYLESHEET}",
            swagger_favicon_url=f"{assets}/{FAVICON}",
            oauth2_redirect_url=root_path + OAUTH2_REDIRECT_URL,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
        )
        return protected(bytes(html.body).decode())

    swagger_page(app.root_path.rstrip("/"))
    redirect_page = protected(bytes(get_swagger_ui_oauth2_redirect_html().body).decode())

    router = APIRouter(include_in_schema=False, dependencies=[Depends(no_token)])

    @router.get(DOCS_URL)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return swagger_page(request.scope.get("root_path", "").rstrip("/")).response()

    async def swagger_ui_oauth2_redirect(request: Request) -> Response:
        return redirect_page.response()

    app.include_router(router)
    app.add_route(OAUTH2_REDIRECT_URL, swagger_ui_oauth2_redirect, include_in_schema=False)
    app.mount(ASSETS_URL, SwaggerAssets(directory=swagger_ui_path), name="swagger_ui_assets")
