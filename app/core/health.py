"""Liveness and readiness for load balancers and orchestrators."""

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import text

from app.core.db import Database
from app.core.deps import get_database
from app.core.errors import ServiceUnavailable
from app.core.guards import public

router = APIRouter(tags=["health"], dependencies=[Depends(public)])


@router.get("/healthz", operation_id="get_liveness")
def liveness() -> dict[str, str]:
    """The process is up. Public."""
    return {"status": "ok"}


@router.get("/readyz", operation_id="get_readiness")
def readiness(database: Annotated[Database, Depends(get_database)]) -> dict[str, str]:
    """The process can serve: the database answers. Public."""
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        raise ServiceUnavailable("the database is not reachable") from exc
    return {"status": "ok", "database": "ok"}
