import uuid
from typing import Annotated

from fastapi import File, Form, Query, Request, Response, UploadFile
from pydantic import BaseModel
from sqlmodel import col, select

from app.core.concurrency import IfMatch, set_etag
from app.core.deps import AppSettings, DbSession
from app.core.errors import NotFound
from app.core.guards import Admin, Anyone, FocalPoint, StateMember
from app.core.idempotency import IdempotencyKey, create_once, fingerprint
from app.core.openapi import conflict
from app.core.pagination import DEFAULT_LIMIT, Cursor, Limit, paginate
from app.core.read_models import json_answer
from app.core.routing import api_router
from app.recommendations import clusters, service
from app.recommendations.jobs import queue_import, saved_upload
from app.recommendations.models import RecommendationImport
from app.recommendations.schemas import (
    ClusterCreate,
    ClusterPage,
    ClusterRead,
    ClusterUpdate,
    ImportFormatChoice,
    ImportReport,
    ImportReportPage,
    ImportRequest,
    RecommendationPage,
    RecommendationRead,
)
from app.taxonomies.vocabularies import Mechanism, Position

catalogue_router = api_router("/recommendations", tags=["recommendations"])
imports_router = api_router("/recommendation-imports", tags=["recommendation-imports"])
clusters_router = api_router("/recommendation-clusters", tags=["recommendation-clusters"])

ShortText = Annotated[str | None, Query(max_length=300)]


@catalogue_router.get("", response_model=RecommendationPage, operation_id="list_recommendations")
def list_recommendations(
    _who: Anyone,
    db: DbSession,
    settings: AppSettings,
    state: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    mechanism: Mechanism | None = None,
    body: ShortText = None,
    cycle: Annotated[int | None, Query(ge=1, le=99)] = None,
    session: Annotated[int | None, Query(ge=1, le=999)] = None,
    position: Position | None = None,
    theme: ShortText = None,
    affected_person: ShortText = None,
    sdg: Annotated[
        str | None, Query(max_length=5, pattern=r"^\d{1,2}(\.(\d{1,2}|[a-cA-C]))?$")
    ] = None,
    recommending_state: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    document_symbol: Annotated[
        str | None,
        Query(min_length=1, max_length=80, description="The document, exactly (`A/HRC/39/8`)"),
    ] = None,
    paragraph: Annotated[
        str | None,
        Query(min_length=1, max_length=20, description="The paragraph, exactly (`186.28`)"),
    ] = None,
    q: Annotated[
        str | None, Query(max_length=500, description="Words that must all appear")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """Search the catalogue; every filter combines with the others. Public.

    `theme` takes a UHRI code (`A12`) or a theme name; `sdg` a goal (`16`) or a target (`16.3`);
    `document_symbol` and `paragraph` match exactly; `q` is full text, stemmed (all words must
    match)."""
    where = service.CatalogueFilter(
        state=state,
        mechanism=mechanism,
        body=body,
        cycle=cycle,
        session=session,
        position=position,
        theme=theme,
        affected_person=affected_person,
        sdg=sdg,
        recommending_state=recommending_state,
        document_symbol=document_symbol,
        paragraph=paragraph,
        q=q,
    )
    items, next_cursor = service.search(db, where, limit=limit, cursor=cursor, settings=settings)
    return json_answer({"items": items, "next_cursor": next_cursor})


@catalogue_router.get(
    "/{recommendation_id}", response_model=RecommendationRead, operation_id="get_recommendation"
)
def get_recommendation(_who: Anyone, db: DbSession, recommendation_id: uuid.UUID) -> Response:
    """One recommendation. Public."""
    recommendation = service.get(db, recommendation_id)
    answer = json_answer(recommendation)
    set_etag(answer, recommendation["version"])
    return answer


@imports_router.post(
    "",
    response_model=ImportReport,
    status_code=202,
    operation_id="create_recommendation_import",
    responses={413: {"description": "The file is larger than MAX_UPLOAD_BYTES"}},
)
def create_recommendation_import(
    who: Admin,
    db: DbSession,
    request: Request,
    file: Annotated[
        UploadFile,
        # `format: binary` beside 3.1's `contentMediaType`, so that generated clients send a file
        File(
            description="A UHRI export, OHCHR matrix or UPR Info export",
            json_schema_extra={"format": "binary"},
        ),
    ],
    format: Annotated[ImportFormatChoice, Form()] = "auto",
    state: Annotated[str | None, Form(min_length=3, max_length=3)] = None,
    dry_run: Annotated[bool, Form()] = False,
    key: IdempotencyKey = None,
) -> Response:
    """Queue the import of a recommendation file, whole or not at all. Administrators.

    The file is checked as a whole at once (422 `/problems/unreadable-file` if it is not a
    recommendation file); the answer is `202` with the report, `queued`, and its `Location`:
    read it until its `status` is `succeeded` or `failed`. The format is recognised from the
    content unless given. `state` names the State under review when the document does not.
    `dry_run` reports what would happen and changes nothing.
    """
    with saved_upload(file.file) as (path, digest):

        def queue() -> tuple[BaseModel, str]:
            report = queue_import(
                db,
                who,
                path,
                digest,
                requested_format=format,
                filename=file.filename,
                state=state,
                dry_run=dry_run,
            )
            return ImportReport.model_validate(report), f"{request.url.path}/{report.id}"

        options = ImportRequest(file_sha256=digest, format=format, state=state, dry_run=dry_run)
        return create_once(
            db,
            owner=who.subject,
            key=key,
            request_fingerprint=fingerprint("POST", request.url.path, options),
            create=queue,
            status_code=202,
        )


@imports_router.get("", response_model=ImportReportPage, operation_id="list_recommendation_imports")
def list_recommendation_imports(
    _who: Admin,
    db: DbSession,
    settings: AppSettings,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> ImportReportPage:
    """Import reports, newest first. Administrators."""
    statement = select(RecommendationImport)
    keys = [col(RecommendationImport.created_at), col(RecommendationImport.id)]
    rows, next_cursor = paginate(
        db,
        statement,
        keys,
        limit=limit,
        cursor=cursor,
        settings=settings,
        list_name="list_recommendation_imports",
        descending=True,
    )
    return ImportReportPage(
        items=[ImportReport.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@imports_router.get(
    "/{import_id}", response_model=ImportReport, operation_id="get_recommendation_import"
)
def get_recommendation_import(_who: Admin, db: DbSession, import_id: uuid.UUID) -> ImportReport:
    """An import's report: `queued`, `running`, then `succeeded` or `failed`. Administrators."""
    report = db.get(RecommendationImport, import_id)
    if report is None:
        raise NotFound(f"no import {import_id}")
    return ImportReport.model_validate(report)


@clusters_router.get("", response_model=ClusterPage, operation_id="list_recommendation_clusters")
def list_recommendation_clusters(
    who: StateMember,
    db: DbSession,
    settings: AppSettings,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> ClusterPage:
    """The caller's State's clusters."""
    items, next_cursor = clusters.list_clusters(
        db, who, limit=limit, cursor=cursor, settings=settings
    )
    return ClusterPage(items=items, next_cursor=next_cursor)


@clusters_router.post(
    "",
    response_model=ClusterRead,
    status_code=201,
    operation_id="create_recommendation_cluster",
    responses=conflict("The State already has a cluster of that name"),
)
def create_recommendation_cluster(
    who: FocalPoint,
    db: DbSession,
    body: ClusterCreate,
    request: Request,
    key: IdempotencyKey = None,
) -> Response:
    """Group recommendations addressed to the caller's State. Focal points."""

    def create() -> tuple[BaseModel, str]:
        cluster = clusters.create_cluster(db, who, body)
        return clusters.to_read(db, [cluster])[0], f"{request.url.path}/{cluster.id}"

    return create_once(
        db,
        owner=who.subject,
        key=key,
        request_fingerprint=fingerprint("POST", request.url.path, body),
        create=create,
    )


@clusters_router.get(
    "/{cluster_id}", response_model=ClusterRead, operation_id="get_recommendation_cluster"
)
def get_recommendation_cluster(
    who: StateMember, db: DbSession, cluster_id: uuid.UUID, response: Response
) -> ClusterRead:
    cluster = clusters.get_cluster(db, who, cluster_id)
    set_etag(response, cluster.version)
    return clusters.to_read(db, [cluster])[0]


@clusters_router.patch(
    "/{cluster_id}",
    response_model=ClusterRead,
    operation_id="update_recommendation_cluster",
    responses=conflict("The State already has a cluster of that name"),
)
def update_recommendation_cluster(
    who: FocalPoint,
    db: DbSession,
    cluster_id: uuid.UUID,
    body: ClusterUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> ClusterRead:
    """Rename, describe or change the members. Focal points; `If-Match` required."""
    cluster = clusters.get_cluster(db, who, cluster_id)
    cluster = clusters.update_cluster(db, who, cluster, body, if_match)
    set_etag(response, cluster.version)
    return clusters.to_read(db, [cluster])[0]


@clusters_router.delete(
    "/{cluster_id}", status_code=204, operation_id="delete_recommendation_cluster"
)
def delete_recommendation_cluster(
    who: FocalPoint, db: DbSession, cluster_id: uuid.UUID, if_match: IfMatch = None
) -> Response:
    """Delete a cluster (the recommendations stay). Focal points; `If-Match` required."""
    clusters.delete_cluster(db, who, clusters.get_cluster(db, who, cluster_id), if_match)
    return Response(status_code=204)
