"""Catalogue imports at the console, for administrators: upload a file, then read its report
(the rows rejected and why). The file goes through the same checks and job as
`POST /api/v1/recommendation-imports`."""

import uuid
from typing import Annotated, get_args

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlmodel import col, select

from app.console.forms import see
from app.console.pages import page
from app.console.sessions import Administrator, AdministratorForm
from app.core.deps import DbSession
from app.core.errors import NotFound, Problem
from app.core.routing import page_router
from app.recommendations.jobs import queue_import, saved_upload
from app.recommendations.models import RecommendationImport
from app.recommendations.schemas import ImportFormatChoice, ImportReport

router = page_router("/console")

IMPORTS_SHOWN = 20
FORMATS = get_args(ImportFormatChoice)


def _recent(db: DbSession) -> list[ImportReport]:
    rows = db.exec(
        select(RecommendationImport)
        .order_by(col(RecommendationImport.created_at).desc())
        .limit(IMPORTS_SHOWN)
    ).all()
    return [ImportReport.model_validate(row) for row in rows]


@router.get("/imports", response_class=HTMLResponse)
def imports_page(request: Request, db: DbSession, desk: Administrator) -> Response:
    return page(
        request, "imports.html", desk=desk, imports=_recent(db), formats=FORMATS, refusal=None
    )


@router.post("/imports", response_class=HTMLResponse)
def upload_import(
    request: Request,
    db: DbSession,
    desk: AdministratorForm,
    file: Annotated[UploadFile, File()],
    format: Annotated[str, Form(max_length=20)] = "auto",
    state: Annotated[str, Form(max_length=3)] = "",
    dry_run: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Checked as a whole before it is queued: an unreadable file is said at once, on the
    upload page, and nothing is kept."""
    chosen = format if format in FORMATS else "auto"
    with saved_upload(file.file) as (path, digest):
        try:
            with db.begin_nested():
                report = queue_import(
                    db,
                    desk.who,
                    path,
                    digest,
                    requested_format=chosen,
                    filename=file.filename,
                    state=state.upper() or None,
                    dry_run=bool(dry_run),
                )
        except Problem as refusal:
            return page(
                request,
                "imports.html",
                status_code=refusal.status,
                desk=desk,
                imports=_recent(db),
                formats=FORMATS,
                refusal=refusal.detail,
            )
    return see(f"/console/imports/{report.id}")


def _report(db: DbSession, import_id: uuid.UUID) -> ImportReport:
    found = db.get(RecommendationImport, import_id)
    if found is None:
        raise NotFound(f"no import {import_id}")
    return ImportReport.model_validate(found)


@router.get("/imports/{import_id}/status")
def import_status(db: DbSession, desk: Administrator, import_id: uuid.UUID) -> dict[str, object]:
    """For the report's page to know when to show the figures."""
    status = _report(db, import_id).status
    return {"status": status, "done": status in ("succeeded", "failed")}


@router.get("/imports/{import_id}", response_class=HTMLResponse)
def import_report_page(
    request: Request, db: DbSession, desk: Administrator, import_id: uuid.UUID
) -> Response:
    report = _report(db, import_id)
    return page(
        request,
        "import_report.html",
        desk=desk,
        report=report,
        working=report.status in ("queued", "running"),
    )
