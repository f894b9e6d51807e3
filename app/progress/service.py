"""Progress reports: drafted by a State, submitted by its focal point, corrected by revisions.

Who sees what is `app.lifecycle.visibility.visible`; every query starts from it, so a report the
caller may not see is simply not found. A correction to a published report is the State's own
until it is submitted and OHCHR's until the focal point publishes it: until then everyone else
reads the last published revision.
"""

import uuid
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    cast,
    delete,
    exists,
    false,
    or_,
    true,
)
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.core.concurrency import require_match
from app.core.errors import Conflict, NotFound, UnprocessableContent
from app.core.models import utcnow
from app.core.pagination import Listing
from app.core.principal import Principal
from app.core.read_models import json_list
from app.core.settings import Settings
from app.events.types import EventType, Visibility
from app.lifecycle.drafts import Links, filtered, publication, require_draft, submission, submitted
from app.lifecycle.engine import Kind, Move
from app.lifecycle.visibility import Stage, audience_of, find, parties, visible
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
    RevisionFields,
    RevisionRead,
)
from app.recommendations.ownership import own_recommendation_ids

CONTENT_FIELDS = tuple(ReportContentColumns.model_fields)
# A report's `_FIELDS` by name: read from its model, or its row of a list.
Fields = Mapping[Any, Any]


LINKS = Links(ProgressReportRecommendation, "report_id", "recommendation_id")


def _submitted(move: Move[ProgressReport]) -> None:
    """Submit the draft: the first revision, or the pending correction."""
    report = move.obj
    number = report.pending_revision or report.revision
    submitted(move)
    revision = _revision(move.db, report.id, number)
    revision.stage = Stage.submitted
    revision.submitted_at, revision.submitted_by_id = report.submitted_at, report.submitted_by_id
    move.db.add(revision)
    if number != report.revision:
        _assign(report, {f: getattr(revision, f) for f in CONTENT_FIELDS})
        LINKS.replace(move.db, report.id, [uuid.UUID(rid) for rid in revision.recommendation_ids])
    report.revision, report.pending_revision = number, None


def _published(move: Move[ProgressReport]) -> None:
    move.obj.published_revision = move.obj.revision


def _unpublished(move: Move[ProgressReport]) -> None:
    move.obj.published_revision = None


def _lagging(report: ProgressReport) -> bool:
    return _lags(report.published_revision, report.revision)


def _lags(published_revision: int | None, revision: int) -> bool:
    """A correction was submitted after the revision everyone reads."""
    return published_revision not in (None, revision)


def show(db: Session, audience: Visibility, report: ProgressReport) -> ReportRead:
    return _shown(db, [(_fields(report), audience)])[0]


PROGRESS_REPORT: Kind[ProgressReport] = Kind(
    name="progress_report",
    model=ProgressReport,
    lifecycles=(
        submission(
            "progress_report",
            table={
                (Stage.draft, "submit"): Stage.submitted,
                (Stage.submitted, "submit"): Stage.submitted,
            },
            guard=lambda r: r.stage is Stage.draft or r.pending_revision is not None,
            stamp=_submitted,
            event_overrides={(Stage.submitted, "submit"): EventType.progress_report_revised},
            audiences={"submit": Visibility.ohchr},
        ),
        publication(
            "progress_report",
            republish=_lagging,
            on_publish=_published,
            on_unpublish=_unpublished,
        ),
    ),
    show=show,
    audience=lambda r: r.visibility,
    state_code=lambda r: r.state_code,
)


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
    settings: Settings,
) -> tuple[list[ReportRead], str | None]:
    rows = _rows(db.get_bind().dialect.name)
    statement = filtered(
        rows.where(visible(ProgressReport, who)),
        ProgressReport,
        state=state,
        stage=stage,
        visibility=visibility,
    )
    if status is not None or recommendation is not None:
        statement = statement.where(_content_matches(who, status, recommendation))
    listing = Listing(
        [ProgressReport.created_at, ProgressReport.id],
        settings=settings,
        list_name="list_progress_reports",
    )
    found = db.connection().execute(listing.page(statement, limit=limit, cursor=cursor)).all()
    page, next_cursor = listing.cut(list(found), limit=limit)
    seen = [(row._mapping, audience_of(who, row.state_code)) for row in page]
    # The ids as text sort as `LINKS` sorts them: PostgreSQL writes them as `str(UUID)` does,
    # SQLite as their 32 hex digits (the dashes, where they are, are always in the same place).
    linked = {row.id: sorted(row.linked or ()) for row in page}
    return _shown(db, seen, linked), next_cursor


@cache
def _rows(dialect: str) -> Any:
    """The read model of a list: the fields of every report (`_fields`) and, as a JSON array
    aggregated by the database, the recommendations it covers, without ORM objects. Built once;
    a page adds its conditions, order and limit."""
    link = ProgressReportRecommendation
    linked = (
        sa_select(json_list(dialect, col(link.recommendation_id)))
        .where(col(link.report_id) == col(ProgressReport.id))
        .scalar_subquery()
    )
    columns = [col(getattr(ProgressReport, name)) for name in _FIELDS]
    return sa_select(*columns, linked.label("linked"))


# A report's fields that `_shown` reads: what it shows besides its content, the revision
# everyone reads, and its content.
_FIELDS = (
    "id",
    "state_code",
    "stage",
    "visibility",
    "revision",
    "pending_revision",
    "published_revision",
    "version",
    "created_at",
    "updated_at",
    "submitted_at",
    "submitted_by_id",
    "published_at",
    *CONTENT_FIELDS,
)


def _fields(report: ProgressReport) -> dict[str, Any]:
    return {name: getattr(report, name) for name in _FIELDS}


def _content_matches(
    who: Principal | None,
    status: ImplementationStatus | None,
    recommendation: uuid.UUID | None,
) -> ColumnElement[bool]:
    """Filters on what each report shows this caller: the current revision to its State and to
    OHCHR, the published revision to everyone else."""
    current: list[ColumnElement[bool]] = [true()]
    published: list[ColumnElement[bool]] = [
        col(ProgressRevision.report_id) == col(ProgressReport.id),
        col(ProgressRevision.number) == col(ProgressReport.published_revision),
    ]
    if status is not None:
        current.append(col(ProgressReport.status) == status)
        published.append(col(ProgressRevision.status) == status)
    if recommendation is not None:
        current.append(col(ProgressReport.id).in_(LINKS.having(recommendation)))
        published.append(
            cast(ProgressRevision.recommendation_ids, String).like(f'%"{recommendation}"%')
        )
    reads_current = _reads_current(who)
    return or_(
        and_(reads_current, *current),
        and_(~reads_current, exists(select(ProgressRevision.id).where(*published))),
    )


def _reads_current(who: Principal | None) -> ColumnElement[bool]:
    if who is not None and who.is_ohchr:
        return true()
    if who is not None and who.is_state:
        return col(ProgressReport.state_code) == who.state_code
    return false()


def get_report(db: Session, who: Principal | None, report_id: uuid.UUID) -> ProgressReport:
    return find(db, ProgressReport, report_id, visible(ProgressReport, who), "progress report")


def get_own_report(db: Session, who: Principal, report_id: uuid.UUID) -> ProgressReport:
    """A report to change: its own State's only (another State's published report is read-only
    to it, and not found here)."""
    return find(db, ProgressReport, report_id, parties(ProgressReport, who), "progress report")


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
    LINKS.first(db, report.id, ids)
    PROGRESS_REPORT.announce(db, who, report, EventType.progress_report_created)
    return report


def update_report(
    db: Session, who: Principal, report: ProgressReport, body: ReportFields, if_match: str | None
) -> ProgressReport:
    """Edit a draft. A submitted report is corrected by a new revision, never in place."""
    require_match(if_match, report.version)
    require_draft(report, "progress report")
    if not body.model_fields_set:
        return report  # an empty PATCH changes nothing, not even the version
    before = show(db, Visibility.state, report)
    draft = _revision(db, report.id, 1)
    content = _merged(db, who, _current_content(db, report), body)
    report.touch()
    _assign(report, content)
    _assign(draft, _revision_content(content))
    draft.updated_at = utcnow()
    db.add_all([report, draft])
    LINKS.replace(db, report.id, content["recommendation_ids"])
    PROGRESS_REPORT.announce(db, who, report, EventType.progress_report_updated, before=before)
    return report


def delete_report(
    db: Session, who: Principal, report: ProgressReport, if_match: str | None
) -> None:
    require_match(if_match, report.version)
    require_draft(report, "progress report")
    before = show(db, Visibility.state, report)
    LINKS.replace(db, report.id, [])
    db.execute(delete(ProgressRevision).where(col(ProgressRevision.report_id) == report.id))
    db.delete(report)
    PROGRESS_REPORT.announce(
        db, who, report, EventType.progress_report_deleted, before=before, deleted=True
    )


def create_revision(
    db: Session, who: Principal, report: ProgressReport, body: RevisionFields
) -> ProgressRevision:
    """A correction: the given fields over the current revision, drafted like the first."""
    if report.stage is Stage.draft:
        raise Conflict("a draft is edited in place; revisions correct submitted reports")
    if report.pending_revision is not None:
        raise Conflict(
            f"revision {report.pending_revision} is already being drafted; submit it first"
        )
    content = _merged(db, who, _current_content(db, report), body)
    before = show(db, Visibility.state, report)
    report.touch()
    report.pending_revision = report.revision + 1
    revision = ProgressRevision(
        report_id=report.id,
        number=report.pending_revision,
        created_by_id=who.id,
        reason=body.reason,
        **_revision_content(content),
    )
    db.add_all([report, revision])
    PROGRESS_REPORT.announce(
        db,
        who,
        report,
        EventType.progress_report_revision_drafted,
        before=before,
        audience=Visibility.state,
    )
    return revision


def update_revision(
    db: Session,
    who: Principal,
    report: ProgressReport,
    number: int,
    body: RevisionFields,
    if_match: str | None,
) -> ProgressRevision:
    """Edit the correction being drafted. `If-Match` carries the report's ETag."""
    require_match(if_match, report.version)
    revision = _revision(db, report.id, number)
    if revision.stage is not Stage.draft:
        raise Conflict(f"revision {number} is submitted and never changes")
    if number == 1:
        raise Conflict("revision 1 of a draft report is edited through the report itself")
    before = show(db, Visibility.state, report)
    content = _merged(db, who, _revision_as_content(revision), body)
    report.touch()
    _assign(revision, _revision_content(content))
    if "reason" in body.model_fields_set:
        revision.reason = body.reason
    revision.updated_at = utcnow()
    db.add_all([report, revision])
    PROGRESS_REPORT.announce(
        db,
        who,
        report,
        EventType.progress_report_revision_updated,
        before=before,
        audience=Visibility.state,
    )
    return revision


def _revisions_seen(who: Principal | None, report: ProgressReport) -> ColumnElement[bool]:
    """Every revision to the State; the submitted ones to OHCHR; the published ones to others."""
    audience = audience_of(who, report.state_code)
    if audience is Visibility.state:
        return true()
    if audience is Visibility.ohchr:
        return col(ProgressRevision.stage) == Stage.submitted
    return col(ProgressRevision.number) <= (report.published_revision or 0)


def list_revisions(
    db: Session, who: Principal | None, report: ProgressReport
) -> list[RevisionRead]:
    revisions = db.exec(
        select(ProgressRevision)
        .where(ProgressRevision.report_id == report.id, _revisions_seen(who, report))
        .order_by(col(ProgressRevision.number))
    ).all()
    return [revision_read(r) for r in revisions]


def get_revision(
    db: Session, who: Principal | None, report: ProgressReport, number: int
) -> ProgressRevision:
    revision = db.exec(
        select(ProgressRevision).where(
            ProgressRevision.report_id == report.id,
            ProgressRevision.number == number,
            _revisions_seen(who, report),
        )
    ).first()
    if revision is None:
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
    content["recommendation_ids"] = LINKS.of(db, [report.id])[report.id]
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
    changes = body.model_dump(
        mode="json", exclude_unset=True, include=set(ReportFields.model_fields)
    )
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
    if body.recommendation_ids is not None or "cluster_id" in changes:
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
    fields = {f: content[f] for f in CONTENT_FIELDS if f in content}
    return fields | {"recommendation_ids": [str(rid) for rid in content["recommendation_ids"]]}


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


def to_read(
    db: Session, who: Principal | None, reports: Sequence[ProgressReport]
) -> list[ReportRead]:
    """Each report as this caller sees it."""
    return _shown(db, [(_fields(r), audience_of(who, r.state_code)) for r in reports])


def _shown(
    db: Session,
    seen: Sequence[tuple[Fields, Visibility]],
    linked: Mapping[uuid.UUID, Sequence[uuid.UUID | str]] | None = None,
) -> list[ReportRead]:
    """Reports (their `_fields`) as each audience sees them: everyone but the State and OHCHR
    reads the published revision, which lags the current one while a correction awaits
    publication. `linked` holds the reports' current links when the caller read them already."""
    published = _published_revisions(
        db,
        [
            r
            for r, audience in seen
            if audience is Visibility.public and _lags(r["published_revision"], r["revision"])
        ],
    )
    if linked is None:
        linked = LINKS.of(db, [r["id"] for r, _ in seen if r["id"] not in published])
    shown = []
    for report, audience in seen:
        revision = published.get(report["id"])
        if revision is None:
            content = {f: report[f] for f in CONTENT_FIELDS}
            content["recommendation_ids"] = linked[report["id"]]
        else:
            content = _revision_as_content(revision)
            content["recommendation_ids"] = sorted(content["recommendation_ids"], key=str)
        shown.append(
            ReportRead(
                id=report["id"],
                state_code=report["state_code"],
                stage=report["stage"],
                visibility=report["visibility"],
                revision=report["revision"] if revision is None else revision.number,
                pending_revision=(
                    report["pending_revision"] if audience is Visibility.state else None
                ),
                version=report["version"],
                created_at=report["created_at"],
                updated_at=report["updated_at"],
                submitted_at=report["submitted_at"],
                submitted_by_id=report["submitted_by_id"],
                published_at=report["published_at"],
                **content,
            )
        )
    return shown


def _published_revisions(
    db: Session, reports: Sequence[Fields]
) -> dict[uuid.UUID, ProgressRevision]:
    if not reports:
        return {}
    wanted = {(r["id"], r["published_revision"]) for r in reports}
    rows = db.exec(
        select(ProgressRevision).where(
            col(ProgressRevision.report_id).in_([r["id"] for r in reports])
        )
    ).all()
    return {row.report_id: row for row in rows if (row.report_id, row.number) in wanted}


def revision_read(revision: ProgressRevision) -> RevisionRead:
    return RevisionRead(
        report_id=revision.report_id,
        number=revision.number,
        stage=revision.stage,
        reason=revision.reason,
        created_at=revision.created_at,
        created_by_id=revision.created_by_id,
        submitted_at=revision.submitted_at,
        submitted_by_id=revision.submitted_by_id,
        **_revision_as_content(revision),
    )
