"""Progress reports: drafted by a State, submitted by its focal point, corrected by revisions.

Who sees what is `app.core.publication.visible_to`; every query here starts from it, so a
report the caller may not see is simply not found.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.audit.service import record
from app.core.concurrency import require_match
from app.core.errors import Conflict, NotFound, UnprocessableContent
from app.core.models import utcnow
from app.core.pagination import paginate
from app.core.principal import Principal
from app.core.publication import (
    FOCAL_POINT,
    PUBLICATION_MOVES,
    Move,
    Stage,
    Visibility,
    apply_move,
    require_draft,
    sees_drafts,
    visible_to,
)
from app.events.outbox import emit
from app.progress.models import (
    ImplementationStatus,
    ProgressReport,
    ProgressReportRecommendation,
    ProgressRevision,
    ReportContentColumns,
)
from app.progress.schemas import (
    ReportCreate,
    ReportFields,
    ReportRead,
    RevisionCreate,
    RevisionRead,
)
from app.recommendations.ownership import own_recommendation_ids

CONTENT_FIELDS = tuple(ReportContentColumns.model_fields)


def _visible(who: Principal | None) -> SelectOfScalar[ProgressReport]:
    return select(ProgressReport).where(visible_to(ProgressReport, who))


def list_reports(
    db: Session,
    who: Principal | None,
    *,
    state: str | None = None,
    recommendation: uuid.UUID | None = None,
    stage: Stage | None = None,
    status: ImplementationStatus | None = None,
    visibility: Visibility | None = None,
    limit: int,
    cursor: str | None,
) -> tuple[list[ReportRead], str | None]:
    statement = _visible(who)
    for column, value in (
        (ProgressReport.state_code, state and state.upper()),
        (ProgressReport.stage, stage),
        (ProgressReport.status, status),
        (ProgressReport.visibility, visibility),
    ):
        if value is not None:
            statement = statement.where(col(column) == value)
    if recommendation is not None:
        statement = statement.where(
            col(ProgressReport.id).in_(
                select(ProgressReportRecommendation.report_id).where(
                    ProgressReportRecommendation.recommendation_id == recommendation
                )
            )
        )
    keys = [ProgressReport.created_at, ProgressReport.id]
    rows, next_cursor = paginate(db, statement, keys, limit=limit, cursor=cursor)
    return to_read(db, who, rows), next_cursor


def get_report(db: Session, who: Principal | None, report_id: uuid.UUID) -> ProgressReport:
    report = db.exec(_visible(who).where(ProgressReport.id == report_id)).first()
    if report is None:
        raise NotFound(f"no progress report {report_id}")
    return report


def create_report(db: Session, who: Principal, body: ReportCreate) -> ProgressReport:
    """A new draft of the caller's State; the State never comes from the body."""
    assert who.state_code is not None
    ids = _covered(db, who.state_code, body)
    content = _content(body, ids)
    report = ProgressReport(state_code=who.state_code, created_by_id=who.id, **content)
    db.add(report)
    db.flush()
    db.add(
        ProgressRevision(
            report_id=report.id, number=1, created_by_id=who.id, **_revision_content(content)
        )
    )
    _link(db, report.id, ids)
    _announce(db, who, report, "create", before=None)
    return report


def update_report(
    db: Session, who: Principal, report: ProgressReport, body: ReportFields, if_match: str | None
) -> ProgressReport:
    """Edit a draft. A submitted report is corrected by a new revision, never in place."""
    require_match(if_match, report.version)
    require_draft(report, "progress report")
    before = to_read(db, who, [report])[0]
    draft = _revision(db, report.id, 1)
    content = _merged(db, who, _current_content(db, report), body)
    report.touch()
    _assign(report, content)
    _assign(draft, _revision_content(content))
    draft.updated_at = utcnow()
    db.add_all([report, draft])
    _link(db, report.id, content["recommendation_ids"])
    _announce(db, who, report, "update", before=before)
    return report


def delete_report(
    db: Session, who: Principal, report: ProgressReport, if_match: str | None
) -> None:
    require_match(if_match, report.version)
    require_draft(report, "progress report")
    before = to_read(db, who, [report])[0]
    db.execute(
        delete(ProgressReportRecommendation).where(
            col(ProgressReportRecommendation.report_id) == report.id
        )
    )
    db.execute(delete(ProgressRevision).where(col(ProgressRevision.report_id) == report.id))
    db.delete(report)
    db.flush()
    record(
        db,
        who,
        "progress_report.delete",
        resource_type="progress_report",
        resource_id=report.id,
        state_code=report.state_code,
        before=before,
        state_private=True,
    )
    emit(
        db,
        "progress_report.delete",
        resource_type="progress_report",
        resource_id=report.id,
        state_code=report.state_code,
        visibility=Visibility.state,
        payload=before,
    )


def _submit(report: ProgressReport, who: Principal) -> None:
    """Submit the draft: the first revision, or the pending correction."""
    now = utcnow()
    report.stage = Stage.submitted
    if report.visibility is Visibility.state:
        report.visibility = Visibility.ohchr
    report.submitted_at, report.submitted_by_id = now, who.id


REPORT_MOVES: dict[str, Move] = {
    **PUBLICATION_MOVES,
    "submit": Move(
        FOCAL_POINT,
        lambda r: r.stage is Stage.draft or r.pending_revision is not None,
        _submit,
    ),
}


def move(db: Session, who: Principal, report: ProgressReport, verb: str) -> ProgressReport:
    before = to_read(db, who, [report])[0]
    number = report.pending_revision or report.revision
    apply_move(REPORT_MOVES, report, who, verb)
    if verb == "submit":
        _submit_revision(db, who, report, number)
    db.add(report)
    _announce(db, who, report, verb, before=before)
    return report


def _submit_revision(db: Session, who: Principal, report: ProgressReport, number: int) -> None:
    revision = _revision(db, report.id, number)
    revision.stage = Stage.submitted
    revision.submitted_at, revision.submitted_by_id = report.submitted_at, who.id
    db.add(revision)
    if number != report.revision:
        _assign(report, {f: getattr(revision, f) for f in CONTENT_FIELDS})
        _link(db, report.id, [uuid.UUID(rid) for rid in revision.recommendation_ids])
    report.revision, report.pending_revision = number, None


def create_revision(
    db: Session, who: Principal, report: ProgressReport, body: RevisionCreate
) -> ProgressRevision:
    """A correction: the given fields over the current revision, drafted like the first."""
    if report.stage is Stage.draft:
        raise Conflict("a draft is edited in place; revisions correct submitted reports")
    if report.pending_revision is not None:
        raise Conflict(
            f"revision {report.pending_revision} is already being drafted; submit it first"
        )
    content = _merged(db, who, _current_content(db, report), body)
    before = to_read(db, who, [report])[0]
    report.touch()
    report.pending_revision = report.revision + 1
    revision = ProgressRevision(
        report_id=report.id,
        number=report.pending_revision,
        created_by_id=who.id,
        **_revision_content(content),
    )
    db.add_all([report, revision])
    db.flush()
    _announce(db, who, report, "revision.create", before=before, visibility=Visibility.state)
    return revision


def update_revision(
    db: Session,
    who: Principal,
    report: ProgressReport,
    number: int,
    body: ReportFields,
    if_match: str | None,
) -> ProgressRevision:
    """Edit the correction being drafted. `If-Match` carries the report's ETag."""
    require_match(if_match, report.version)
    revision = _revision(db, report.id, number)
    if revision.stage is not Stage.draft:
        raise Conflict(f"revision {number} is submitted and never changes")
    if number == 1:
        raise Conflict("revision 1 of a draft report is edited through the report itself")
    before = to_read(db, who, [report])[0]
    content = _merged(db, who, _revision_as_content(revision), body)
    report.touch()
    _assign(revision, _revision_content(content))
    revision.updated_at = utcnow()
    db.add_all([report, revision])
    _announce(db, who, report, "revision.update", before=before, visibility=Visibility.state)
    return revision


def list_revisions(
    db: Session, who: Principal | None, report: ProgressReport
) -> list[RevisionRead]:
    statement = select(ProgressRevision).where(ProgressRevision.report_id == report.id)
    if not sees_drafts(who):
        statement = statement.where(ProgressRevision.stage == Stage.submitted)
    revisions = db.exec(statement.order_by(col(ProgressRevision.number))).all()
    return [revision_read(r) for r in revisions]


def get_revision(
    db: Session, who: Principal | None, report: ProgressReport, number: int
) -> ProgressRevision:
    revision = db.exec(
        select(ProgressRevision).where(
            ProgressRevision.report_id == report.id, ProgressRevision.number == number
        )
    ).first()
    if revision is None or (revision.stage is Stage.draft and not sees_drafts(who)):
        raise NotFound(f"no revision {number} of progress report {report.id}")
    return revision


def create_batch(
    db: Session, who: Principal, items: Sequence[ReportCreate]
) -> list[ProgressReport]:
    """All or nothing: every item is checked first, and any failure names its index."""
    assert who.state_code is not None
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            _covered(db, who.state_code, item)
        except UnprocessableContent as exc:
            errors.append(
                {"index": index, "reason": exc.detail, "errors": exc.extra.get("errors", [])}
            )
    if errors:
        raise UnprocessableContent(
            f"{len(errors)} of {len(items)} reports are not valid; nothing was written",
            items=errors,
        )
    return [create_report(db, who, item) for item in items]


def _content(body: ReportFields, ids: list[uuid.UUID]) -> dict[str, Any]:
    values = body.model_dump(mode="json", exclude={"recommendation_ids"})
    values["period_start"], values["period_end"] = body.period_start, body.period_end
    values["cluster_id"] = body.cluster_id
    values["recommendation_ids"] = ids
    return values


def _current_content(db: Session, report: ProgressReport) -> dict[str, Any]:
    content = {field: getattr(report, field) for field in CONTENT_FIELDS}
    content["recommendation_ids"] = _linked(db, [report.id])[report.id]
    return content


def _revision_as_content(revision: ProgressRevision) -> dict[str, Any]:
    content = {field: getattr(revision, field) for field in CONTENT_FIELDS}
    content["recommendation_ids"] = [uuid.UUID(rid) for rid in revision.recommendation_ids]
    return content


def _merged(
    db: Session, who: Principal, current: dict[str, Any], body: ReportFields
) -> dict[str, Any]:
    """`current` with the fields the body sets, checked as a whole."""
    assert who.state_code is not None
    changes = body.model_dump(mode="json", exclude_unset=True)
    merged = current | changes
    if "cluster_id" in changes:
        merged["cluster_id"] = body.cluster_id
    for field in ("period_start", "period_end"):
        if field in changes:
            merged[field] = getattr(body, field)
        if merged[field] is None:
            raise UnprocessableContent(f"{field} is required")
    if merged["period_start"] > merged["period_end"]:
        raise UnprocessableContent("period_start must not be after period_end")
    ids = (
        body.recommendation_ids
        if body.recommendation_ids is not None
        else current["recommendation_ids"]
    )
    cluster = body.cluster_id if "cluster_id" in changes else None
    merged["recommendation_ids"] = own_recommendation_ids(db, who.state_code, ids, cluster)
    if not merged["recommendation_ids"]:
        raise UnprocessableContent("a report covers at least one recommendation")
    return merged


def _covered(db: Session, state_code: str, body: ReportCreate) -> list[uuid.UUID]:
    """The recommendations a new report covers: at least one (an empty cluster gives none)."""
    ids = own_recommendation_ids(db, state_code, body.recommendation_ids, body.cluster_id)
    if not ids:
        raise UnprocessableContent(
            "a report covers at least one recommendation; the cluster has none",
            errors=[{"loc": ["body", "cluster_id"], "msg": "empty cluster", "type": "value_error"}],
        )
    return ids


def _revision_content(content: dict[str, Any]) -> dict[str, Any]:
    return content | {"recommendation_ids": [str(rid) for rid in content["recommendation_ids"]]}


def _assign(target: object, content: dict[str, Any]) -> None:
    for field in CONTENT_FIELDS:
        if field in content:
            setattr(target, field, content[field])


def _revision(db: Session, report_id: uuid.UUID, number: int) -> ProgressRevision:
    revision = db.exec(
        select(ProgressRevision).where(
            ProgressRevision.report_id == report_id, ProgressRevision.number == number
        )
    ).first()
    if revision is None:
        raise NotFound(f"no revision {number} of progress report {report_id}")
    return revision


def _link(db: Session, report_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> None:
    db.execute(
        delete(ProgressReportRecommendation).where(
            col(ProgressReportRecommendation.report_id) == report_id
        )
    )
    db.add_all(
        ProgressReportRecommendation(report_id=report_id, recommendation_id=rid) for rid in ids
    )
    db.flush()


def _linked(db: Session, report_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    links: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for report_id, recommendation_id in db.exec(
        select(
            ProgressReportRecommendation.report_id, ProgressReportRecommendation.recommendation_id
        ).where(col(ProgressReportRecommendation.report_id).in_(report_ids))
    ).all():
        links[report_id].append(recommendation_id)
    return links


def _announce(
    db: Session,
    who: Principal,
    report: ProgressReport,
    verb: str,
    *,
    before: ReportRead | None,
    visibility: Visibility | None = None,
) -> None:
    """The audit event and the outbox event of one change, in the change's transaction."""
    db.flush()
    after = to_read(db, who, [report])[0]
    record(
        db,
        who,
        f"progress_report.{verb}",
        resource_type="progress_report",
        resource_id=report.id,
        state_code=report.state_code,
        before=before,
        after=after,
        state_private=report.stage is Stage.draft or verb.startswith("revision."),
    )
    emit(
        db,
        f"progress_report.{verb}",
        resource_type="progress_report",
        resource_id=report.id,
        state_code=report.state_code,
        visibility=visibility or report.visibility,
        payload=after,
    )


def to_read(
    db: Session, who: Principal | None, reports: Sequence[ProgressReport]
) -> list[ReportRead]:
    links = _linked(db, [r.id for r in reports])
    own_view = sees_drafts(who)
    return [
        ReportRead(
            id=r.id,
            state_code=r.state_code,
            stage=r.stage,
            visibility=r.visibility,
            revision=r.revision,
            pending_revision=r.pending_revision if own_view else None,
            recommendation_ids=sorted(links[r.id], key=str),
            cluster_id=r.cluster_id,
            period_start=r.period_start,
            period_end=r.period_end,
            status=r.status,
            summary=r.summary,
            measures=r.measures,
            evidence=r.evidence,
            indicators=r.indicators,
            responsible_entities=r.responsible_entities,
            version=r.version,
            created_at=r.created_at,
            updated_at=r.updated_at,
            submitted_at=r.submitted_at,
            submitted_by_id=r.submitted_by_id,
            published_at=r.published_at,
        )
        for r in reports
    ]


def revision_read(revision: ProgressRevision) -> RevisionRead:
    return RevisionRead(
        report_id=revision.report_id,
        number=revision.number,
        stage=revision.stage,
        created_at=revision.created_at,
        created_by_id=revision.created_by_id,
        submitted_at=revision.submitted_at,
        submitted_by_id=revision.submitted_by_id,
        **_revision_as_content(revision),
    )
