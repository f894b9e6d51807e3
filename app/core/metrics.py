"""Prometheus metrics: request counts and latencies by route template and status.

With several server processes, set PROMETHEUS_MULTIPROC_DIR to a shared empty directory so
that /metrics adds up every process (prometheus-client's multiprocess mode).
"""

import os
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from app.core.guards import no_token

REQUESTS = Counter(
    "item10_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "item10_http_request_duration_seconds", "Time to answer an HTTP request", ["method", "route"]
)

router = APIRouter(tags=["health"])


def observe(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


def _registry() -> CollectorRegistry | None:
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return None
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


@router.get("/metrics", operation_id="get_metrics", include_in_schema=False)
def metrics(_who: Annotated[object, Depends(no_token)]) -> Response:
    """Counters and latency histograms in the Prometheus text format. Public."""
    registry = _registry()
    body = generate_latest(registry) if registry else generate_latest()
    return Response(body, media_type=CONTENT_TYPE_LATEST)
