import uuid
from collections.abc import Callable, Mapping
from typing import Annotated

from fastapi import Depends, Query, Request

from app.core.deps import AppSettings, DbSession
from app.core.guards import Admin
from app.core.openapi import conflict
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from app.core.routing import api_router
from app.jobs import service
from app.jobs.models import JobStatus
from app.jobs.schemas import JobPage, JobRead
from app.jobs.worker import JobKind

router = api_router("/jobs", tags=["jobs"])


async def job_kinds(request: Request) -> Mapping[str, JobKind]:
    kinds: Callable[[], Mapping[str, JobKind]] = request.app.state.job_kinds
    return kinds()


JobKinds = Annotated[Mapping[str, JobKind], Depends(job_kinds)]


@router.get("", response_model=JobPage, operation_id="list_jobs")
def list_jobs(
    _who: Admin,
    db: DbSession,
    settings: AppSettings,
    kind: Annotated[str | None, Query(max_length=64, description="e.g. `webhook.deliver`")] = None,
    status: JobStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> JobPage:
    """Background jobs, newest first (imports, matching runs, webhook deliveries, reminders).
    Administrators."""
    jobs, next_cursor = service.list_jobs(
        db, kind=kind, status=status, limit=limit, cursor=cursor, settings=settings
    )
    return JobPage(items=[JobRead.model_validate(j) for j in jobs], next_cursor=next_cursor)


@router.get("/{job_id}", response_model=JobRead, operation_id="get_job")
def get_job(_who: Admin, db: DbSession, job_id: uuid.UUID) -> JobRead:
    return JobRead.model_validate(service.get_job(db, job_id))


@router.post(
    "/{job_id}/retry",
    response_model=JobRead,
    operation_id="retry_job",
    responses=conflict("Only a dead job can be retried"),
)
def retry_job(_who: Admin, db: DbSession, kinds: JobKinds, job_id: uuid.UUID) -> JobRead:
    """Queue a dead job again, with a fresh set of attempts. Administrators."""
    return JobRead.model_validate(service.retry(db, service.get_job(db, job_id), kinds))
