"""The ASGI application: `uvicorn app.main:app`."""

import threading
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from functools import cache

from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app.analytics.router import drafts_router as report_drafts_router
from app.analytics.router import router as analytics_router
from app.assistance.router import router as assistance_router
from app.assistance.service import STAGE as ASSISTANCE_STAGE
from app.audit.router import router as audit_router
from app.auth.dependencies import load_principal
from app.auth.router import auth_router, clients_router, users_router
from app.console.web import install_console
from app.core.db import Database
from app.core.deps import screen_parameters
from app.core.docs import install_docs
from app.core.handlers import install_problem_handlers
from app.core.head import HeadAsGetMiddleware
from app.core.health import router as health_router
from app.core.http_cache import PublicCacheMiddleware
from app.core.logging import configure_logging
from app.core.metrics import router as metrics_router
from app.core.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from app.core.openapi import install_openapi
from app.core.ratelimit import RateLimitMiddleware
from app.core.routing import operation_id
from app.core.security import prepare_decoy_hash
from app.core.settings import Settings, get_settings
from app.expertise.router import router as providers_router
from app.jobs.router import router as jobs_router
from app.jobs.worker import JobKind
from app.matching.lifecycle import release_assignments
from app.matching.router import assignments_router, candidates_router, joint_router, runs_router
from app.progress.deadlines_router import router as deadlines_router
from app.progress.overview import router as overview_router
from app.progress.router import router as progress_router
from app.recommendations.router import catalogue_router, clusters_router, imports_router
from app.shortfalls.router import router as shortfalls_router
from app.states.router import router as states_router
from app.taxonomies.router import router as taxonomies_router
from app.webhooks.feed_router import router as events_router
from app.webhooks.router import router as webhooks_router

DESCRIPTION = """
The Item 10 Voluntary Platform: UN Member States report their progress in implementing the
recommendations of the UN human rights mechanisms, say where they fall short, and request
technical assistance; OHCHR triages the requests and matches them to available expertise.

Errors are `application/problem+json` (RFC 9457). Lists are cursor-paginated. Mutable
resources carry an `ETag`; send it back in `If-Match` to change them. Creating POSTs accept an
`Idempotency-Key`. Get a token at `POST /api/v1/auth/token`.
"""


API_ROUTERS: tuple[APIRouter, ...] = (
    auth_router,
    users_router,
    clients_router,
    states_router,
    taxonomies_router,
    catalogue_router,
    imports_router,
    clusters_router,
    progress_router,
    shortfalls_router,
    overview_router,
    deadlines_router,
    candidates_router,
    assistance_router,
    providers_router,
    runs_router,
    assignments_router,
    joint_router,
    audit_router,
    jobs_router,
    events_router,
    webhooks_router,
    analytics_router,
    report_drafts_router,
)


def connect_domains() -> None:
    """Effects that cross domains, registered here so that no domain imports the one above it:
    a completed or withdrawn request frees the capacity its assignments held."""
    for verb in ("complete", "withdraw"):
        ASSISTANCE_STAGE.on(verb, release_assignments)


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    connect_domains()
    configure_logging(settings.log_level)
    database = database or Database.from_url(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        prepare_decoy_hash()  # so the first unknown-account sign-in costs what the others do
        stop_worker = _start_worker(app) if settings.runs_worker_in_process else None
        yield
        if stop_worker is not None:
            stop_worker()
        app.state.database.dispose()

    app = FastAPI(
        title="Item 10 Voluntary Platform",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        dependencies=[Depends(screen_parameters)],
        docs_url=None,  # served from the installed package by install_docs
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.load_principal = load_principal
    app.state.job_kinds = _job_kinds
    install_problem_handlers(app)
    app.include_router(health_router)
    app.include_router(metrics_router)
    for router in API_ROUTERS:
        # Taken as built (`api_router`): including them would build a copy of every route.
        app.router.routes.extend(router.routes)
    install_console(app)
    install_openapi(app)
    install_docs(app)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(RateLimitMiddleware)
    app.add_middleware(PublicCacheMiddleware, max_age=settings.public_cache_seconds)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "Idempotency-Key",
                "X-Request-ID",
            ],
            expose_headers=[
                "ETag",
                "Location",
                "Retry-After",
                "X-Request-ID",
                "RateLimit",
                "RateLimit-Policy",
            ],
        )
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(RequestContextMiddleware)
    return app


def _job_kinds() -> Mapping[str, JobKind]:
    """The kinds of job a retried one may be, imported on first use: their modules (reminders,
    e-mail, webhook dispatch) are the worker's, not the web's."""
    from app.worker import job_kinds

    return job_kinds()


def _start_worker(app: FastAPI) -> Callable[[], None]:
    """The development default: a worker on a background thread of the web process, so that
    the one serve command also runs imports, matching runs, deliveries and reminders."""
    from app.worker import build_worker  # here: a web process in production runs no worker

    worker = build_worker(app.state.settings, app.state.database)
    thread = threading.Thread(target=worker.serve, name="worker", daemon=True)
    thread.start()

    def stop() -> None:
        worker.stop.set()
        thread.join(timeout=app.state.settings.worker_lease_seconds)

    return stop


@cache
def _default_app() -> FastAPI:
    return create_app()


def __getattr__(name: str) -> FastAPI:
    # `app.main:app` is built on first access, so importing this module has no side effects.
    if name == "app":
        return _default_app()
    raise AttributeError(name)
