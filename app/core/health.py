"""Liveness and readiness for load balancers and orchestrators."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
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


@router.get("/healthz", operation_id="get_liveness", response_model=Liveness)
def liveness() -> dict[str, str]:
    """The process is up. Public."""
    return {"status": "ok"}


@router.get("/readyz", operation_id="get_readiness", response_model=Readiness)
def readiness(database: Annotated[Database, Depends(get_database)]) -> dict[str, str]:
    """The process can serve: the database answers. Public."""
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        raise ServiceUnavailable("the database is not reachable") from exc
    return {"status": "ok", "database": "ok"}
