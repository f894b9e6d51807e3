"""Liveness and readiness for load balancers and orchestrators."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel
from sqlalchemy import text

from app.core.db import Database
from app.core.deps import get_database
from app.core.errors import ServiceUnavailable
from app.core.guards import no_token

router = APIRouter(tags=["health"], dependencies=[Depends(no_token)])


class Liveness(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]


LIVE = b'{"status":"ok"}'


@router.get("/healthz", operation_id="get_liveness", response_model=Liveness)
async def liveness() -> Response:
    """The process is up. Public."""
    # On the event loop and already encoded: probes call this often, and a thread-pool hop and
    # a validation would be most of its cost.
    return Response(LIVE, media_type="application/json")


@router.get("/readyz", operation_id="get_readiness", response_model=Readiness)
def readiness(database: Annotated[Database, Depends(get_database)]) -> dict[str, str]:
    """The process can serve: the database answers. Public."""
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        raise ServiceUnavailable("the database is not reachable") from exc
    return {"status": "ok", "database": "ok"}
