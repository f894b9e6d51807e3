"""Importing recommendation files into the catalogue, idempotently and all or nothing.

An import is checked and its report created first (`prepare`, `create_report`), then run on
that report (`run_import`): by a worker (app/recommendations/jobs.py) for an upload, in the
foreground for the command line. A run is one savepoint: it lands whole or not at all, and its
report is kept whatever the outcome (a dry run rolls the savepoint back and keeps only the
report). A recommendation is identified by its source key, so importing a file again changes
nothing and a newer file updates the recommendations it changes, in place and audited.
"""

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, Dialect, Table, delete
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, col

from app.audit.service import record
from app.core.errors import UnprocessableContent
from app.core.models import utcnow
from app.core.principal import Principal
from app.events.types import EventType, Visibility
from app.lifecycle.announce import announce
from app.recommendations.importers import (
    ImportFormat,
    ParsedRecommendation,
    RowRejection,
    UnreadableFile,
    detect_format,
    read_recommendations,
)
from app.recommendations.models import (
    Recommendation,
    RecommendationAffectedPerson,
    RecommendationImport,
    RecommendationSdg,
    RecommendationTheme,
    RecommendingState,
)
from app.recommendations.schemas import ImportOutcome
from app.recommendations.service import to_read
from app.states.models import State
from app.taxonomies.service import TermCache

log = logging.getLogger(__name__)
CHUNK_SIZE = 1000
MAX_REJECTIONS_KEPT = 10_000

Progress = Callable[[int], None]
"""Told the number of rows read so far, after every row (see `throttled`)."""


class UnreadableUpload(UnprocessableContent):
    slug = "unreadable-file"
    title = "The file cannot be imported"


class ImportStopped(Exception):
    """`should_stop` said so between two chunks: nothing of the run is kept (the caller's
    transaction must roll back)."""


@dataclass(frozen=True)
class Prepared:
    """A file checked as a whole, ready to import: its format and the State option."""

    format: ImportFormat
    state: str | None


@dataclass
class Tally:
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    unknown_themes: list[str] = field(default_factory=list)

    @property
    def kept(self) -> int:
        """Rows that are (or repeat) a recommendation of the catalogue now."""
        return self.created + self.updated + self.unchanged + self.duplicates

    def reject(self, row: int, reason: str) -> None:
        if len(self.rejected) < MAX_REJECTIONS_KEPT:
            self.rejected.append({"row": row, "reason": reason})


def prepare(
    db: Session,
    path: Path,
    *,
    requested_format: str = "auto",
    filename: str | None = None,
    state: str | None = None,
) -> Prepared:
    """Everything that can be checked before rows are read: the State option (UnprocessableContent)
    and the file as a whole, its format recognised from the content unless given (an unreadable
    file, a matrix that names no State: UnreadableUpload)."""
    state = _known_state(db, state)
    try:
        fmt = (
            detect_format(path, filename)
            if requested_format == "auto"
            else ImportFormat(requested_format)
        )
        read_recommendations(path, fmt, state=state)  # checks the whole; reads no row yet
    except UnreadableFile as exc:
        raise UnreadableUpload(str(exc)) from exc
    return Prepared(fmt, state)


def create_report(
    db: Session,
    who: Principal | None,
    prepared: Prepared,
    *,
    filename: str | None,
    dry_run: bool,
    status: str,
) -> RecommendationImport:
    report = RecommendationImport(
        status=status,
        format=prepared.format.value,
        filename=filename,
        state_code=prepared.state,
        dry_run=dry_run,
        created_by_id=who.id if who else None,
    )
    db.add(report)
    db.flush()
    return report


def import_file(
    db: Session,
    who: Principal | None,
    path: Path,
    *,
    requested_format: str = "auto",
    filename: str | None = None,
    state: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> RecommendationImport:
    """Check, then import one file in the caller's transaction (the command line); returns its
    report. An unreadable file is refused with UnreadableUpload before any report exists."""
    prepared = prepare(db, path, requested_format=requested_format, filename=filename, state=state)
    report = create_report(db, who, prepared, filename=filename, dry_run=dry_run, status="running")
    return run_import(db, who, report, path, progress=progress)


def run_import(
    db: Session,
    who: Principal | None,
    report: RecommendationImport,
    path: Path,
    *,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> RecommendationImport:
    """Import `path` as `report` says (format, State, dry run) and write the outcome into the
    report, announced as `recommendation_import.succeeded` or `.failed`.

    A file that turns out unreadable part-way, one whose every row is rejected, or any failure
    of the import itself is a `failed` report with nothing imported. The database failing
    (`DBAPIError`) and `ImportStopped` propagate: the caller's transaction must roll back, and
    the import can be run again. The report's row is written only at the very end, so that
    another transaction may show progress on it meanwhile without waiting for this one.
    """
    tally = Tally()
    fmt = ImportFormat(report.format)
    try:
        with db.begin_nested() as savepoint:
            rows = read_recommendations(path, fmt, state=report.state_code)
            _load(db, who, report.id, rows, tally, progress, should_stop)
            if report.dry_run:
                savepoint.rollback()
    except (ImportStopped, DBAPIError):
        raise
    except UnreadableFile as exc:
        _finish(report, tally, "failed", f"the file cannot be read ({exc}); nothing was imported")
    except Exception:
        log.exception("import failed", extra={"import_id": str(report.id)})
        _finish(report, tally, "failed", "the import failed part-way; nothing was imported")
    else:
        if tally.rows_read and not tally.kept:
            _finish(report, tally, "failed", "every row was rejected; nothing was imported")
        else:
            _finish(report, tally, "succeeded", None)
    db.add(report)
    announce_outcome(db, who, report)
    return report


def announce_outcome(db: Session, who: Principal | None, report: RecommendationImport) -> None:
    """`recommendation_import.succeeded` or `.failed`, OHCHR's alone: the one record of how
    the import ended (dry runs included: they say so)."""
    event = (
        EventType.recommendation_import_succeeded
        if report.status == "succeeded"
        else EventType.recommendation_import_failed
    )
    announce(
        db,
        who,
        event,
        resource_id=report.id,
        state_code=None,
        version=None,
        visibility=Visibility.ohchr,
        shown=outcome(report),
    )


def outcome(report: RecommendationImport) -> BaseModel:
    return ImportOutcome(
        id=report.id,
        status=report.status,
        format=report.format,
        filename=report.filename,
        state_code=report.state_code,
        dry_run=report.dry_run,
        rows_read=report.rows_read,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        duplicates=report.duplicates,
        rejected=len(report.rejected),
        error=report.error,
    )


def throttled(action: Progress, *, seconds: float, rows: int | None = None) -> Progress:
    """`action` at most once every `seconds`, or sooner after `rows` more rows when given:
    progress shown without slowing the import."""
    last = {"at": time.monotonic(), "rows": 0}

    def maybe(count: int) -> None:
        now = time.monotonic()
        if now - last["at"] >= seconds or (rows is not None and count - last["rows"] >= rows):
            last["at"], last["rows"] = now, count
            action(count)

    return maybe


def _known_state(db: Session, state: str | None) -> str | None:
    if state is None:
        return None
    if db.get(State, state.upper()) is None:
        raise UnprocessableContent(f"unknown State code {state!r}")
    return state.upper()


def _finish(report: RecommendationImport, tally: Tally, status: str, error: str | None) -> None:
    report.status = status
    report.error = error
    report.rows_read = tally.rows_read
    report.created, report.updated, report.unchanged = tally.created, tally.updated, tally.unchanged
    report.duplicates = tally.duplicates
    report.rejected = list(tally.rejected)
    report.unknown_themes = list(tally.unknown_themes)
    report.finished_at = report.updated_at = utcnow()


def _load(
    db: Session,
    who: Principal | None,
    import_id: uuid.UUID,
    rows: Iterable[ParsedRecommendation | RowRejection],
    tally: Tally,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> None:
    terms = TermCache(db)
    for batch in _accepted_batches(rows, terms, tally, progress):
        if should_stop is not None and should_stop():
            raise ImportStopped(f"import {import_id} stopped after {tally.rows_read} rows")
        _apply(db, who, import_id, batch, terms, tally)
    tally.unknown_themes = sorted(terms.unknown_themes)


Accepted = tuple[ParsedRecommendation, str]
"""A row to store, with the hash of its content."""


def _accepted_batches(
    rows: Iterable[ParsedRecommendation | RowRejection],
    terms: TermCache,
    tally: Tally,
    progress: Progress | None = None,
) -> Iterator[list[Accepted]]:
    first_rows = FirstRows()
    batch: list[Accepted] = []
    for parsed in rows:
        tally.rows_read += 1
        if progress is not None:
            progress(tally.rows_read)
        if isinstance(parsed, RowRejection):
            tally.reject(parsed.row, parsed.reason)
            continue
        unknown = [code for code in parsed.sdg_targets if code not in terms.sdg_codes]
        if unknown:
            tally.reject(parsed.row, f"unknown SDG target or goal {', '.join(unknown)}")
            continue
        for term in parsed.themes:
            terms.note_unknown(term.code, term.name)
        digest = content_hash(parsed)
        earlier = first_rows.earlier(parsed.source_key, parsed.row, digest)
        if earlier is not None:
            earlier_row, same_content = earlier
            if same_content:
                tally.duplicates += 1
            else:
                tally.reject(
                    parsed.row, f"same recommendation as row {earlier_row} but different content"
                )
            continue
        batch.append((parsed, digest))
        if len(batch) >= CHUNK_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


class FirstRows:
    """The first row of each source key in a file and the hash of its content, so that a later
    row of the same key is told a duplicate or a conflict.

    Kept as digests (16 bytes of the key's BLAKE2b; 16 bytes of the content hash and the row
    number): about 130 bytes a key rather than 380 for the strings, which is most of an
    import's memory (200,000 rows: 30 MB rather than 80). Two keys or contents agreeing on 128
    bits of a cryptographic hash do not happen by chance."""

    def __init__(self) -> None:
        self._rows: dict[bytes, bytes] = {}

    def earlier(self, source_key: str, row: int, digest: str) -> tuple[int, bool] | None:
        """None for the first row of `source_key`, which is remembered; for a later one, the
        first row's number and whether its content was the same."""
        key = hashlib.blake2b(source_key.encode(), digest_size=16).digest()
        this = bytes.fromhex(digest[:32]) + row.to_bytes(4)
        first = self._rows.setdefault(key, this)
        if first is this:
            return None
        return int.from_bytes(first[16:]), first[:16] == this[:16]


def content_hash(parsed: ParsedRecommendation) -> str:
    content = {
        "state": parsed.state_code,
        "mechanism": parsed.mechanism,
        "body": parsed.body,
        "cycle": parsed.cycle,
        "session": parsed.session,
        "symbol": parsed.document_symbol,
        "paragraph": parsed.paragraph,
        "date": parsed.date.isoformat() if parsed.date else None,
        "text": parsed.text,
        "position": parsed.position,
        "recommending": sorted(parsed.recommending_states),
        "themes": sorted(
            [t.code or "", " ".join(t.name.split()).casefold()] for t in parsed.themes
        ),
        "persons": sorted(" ".join(p.split()).casefold() for p in parsed.affected_persons),
        "sdgs": sorted(parsed.sdg_targets),
        "uhri": parsed.uhri_id,
        "position_source": parsed.position_source,
    }
    if parsed.action_category is not None:  # absent otherwise: older hashes stay valid
        content["action"] = parsed.action_category
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _apply(
    db: Session,
    who: Principal | None,
    import_id: uuid.UUID,
    batch: list[Accepted],
    terms: TermCache,
    tally: Tally,
) -> None:
    existing = _known(db, [parsed.source_key for parsed, _ in batch])
    fresh: list[tuple[uuid.UUID, ParsedRecommendation, str]] = []
    for parsed, digest in batch:
        known = existing.get(parsed.source_key)
        if known is None:
            fresh.append((uuid.uuid4(), parsed, digest))
        elif known[1] == digest:
            tally.unchanged += 1
        else:
            _update(db, who, known[0], parsed, digest, import_id, terms)
            tally.updated += 1
    if fresh:
        insert_new(db, fresh, import_id, terms)
        tally.created += len(fresh)


def _known(db: Session, keys: list[str]) -> dict[str, tuple[uuid.UUID, str]]:
    """The id and content hash of each of `keys` the catalogue holds. The keys go as one
    parameter (an array; JSON on SQLite), so the statement is the same for every chunk and
    nobody renders or parses a thousand placeholders."""
    db.flush()  # as an ORM query would
    connection = db.connection()
    select_known = "SELECT id, source_key, content_hash FROM recommendations WHERE source_key"
    if connection.dialect.name == "postgresql":
        rows = connection.exec_driver_sql(f"{select_known} = ANY(%s)", (keys,))
    else:
        in_json = "IN (SELECT value FROM json_each(?))"
        rows = connection.exec_driver_sql(f"{select_known} {in_json}", (json.dumps(keys),))
    return {key: (_uuid(rid), digest) for rid, key, digest in rows}


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def _columns(
    parsed: ParsedRecommendation, digest: str, import_id: uuid.UUID | None
) -> dict[str, Any]:
    return {
        "source_key": parsed.source_key,
        "source_format": parsed.source_key.split(":", 1)[0],
        "uhri_id": parsed.uhri_id,
        "state_code": parsed.state_code,
        "mechanism": parsed.mechanism,
        "body": parsed.body,
        "cycle": parsed.cycle,
        "session": parsed.session,
        "document_symbol": parsed.document_symbol,
        "paragraph": parsed.paragraph,
        "position_source": parsed.position_source,
        "date": parsed.date,
        "text": parsed.text,
        "position": parsed.position,
        "action_category": parsed.action_category,
        "content_hash": digest,
        "last_import_id": import_id,
    }


def insert_new(
    db: Session,
    fresh: list[tuple[uuid.UUID, ParsedRecommendation, str]],
    import_id: uuid.UUID | None,
    terms: TermCache,
) -> None:
    now = utcnow()
    bulk_insert(
        db,
        Recommendation,
        [
            {"id": rid, "version": 1, "created_at": now, "updated_at": now}
            | _columns(parsed, digest, import_id)
            for rid, parsed, digest in fresh
        ],
    )
    _insert_links(db, [(rid, parsed) for rid, parsed, _ in fresh], terms)


def _insert_links(
    db: Session, items: list[tuple[uuid.UUID, ParsedRecommendation]], terms: TermCache
) -> None:
    links: dict[type[SQLModel], list[dict[str, Any]]] = {
        RecommendingState: [],
        RecommendationTheme: [],
        RecommendationAffectedPerson: [],
        RecommendationSdg: [],
    }
    for rid, parsed in items:
        links[RecommendingState] += [
            {"recommendation_id": rid, "state_code": code}
            for code in set(parsed.recommending_states)
        ]
        themes: dict[int, str | None] = {}
        for term in parsed.themes:
            for theme_id, label in terms.theme_links(term.code, term.name):
                themes.setdefault(theme_id, label)
        links[RecommendationTheme] += [
            {"recommendation_id": rid, "theme_id": theme_id, "label": label}
            for theme_id, label in themes.items()
        ]
        links[RecommendationAffectedPerson] += [
            {"recommendation_id": rid, "affected_person_id": person_id}
            for person_id in {terms.person_id(name) for name in parsed.affected_persons}
        ]
        links[RecommendationSdg] += [
            {"recommendation_id": rid, "code": code, "goal": int(code.split(".")[0])}
            for code in set(parsed.sdg_targets)
        ]
    for model, values in links.items():
        bulk_insert(db, model, values)


def bulk_insert(db: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts of the same columns) into `model`'s table in the session's
    transaction, with their values bound as SQLAlchemy binds them: by COPY on PostgreSQL and
    by one executemany on SQLite, without the ORM's work for each row. A database error is
    raised as SQLAlchemy's DBAPIError, as for any other statement."""
    if not rows:
        return
    table: Table = model.__table__  # type: ignore[attr-defined]
    db.flush()  # as an ORM statement would: a theme just coded is written first
    connection = db.connection()
    names = list(rows[0])
    values = _bound(connection.dialect, table, names, rows)
    if connection.dialect.name == "postgresql":
        _copy(connection, f"COPY {table.name} ({', '.join(names)}) FROM STDIN", values)
    else:
        placeholders = ", ".join("?" * len(names))
        columns = ", ".join(names)  # the model's own column names, never input
        statement = f"INSERT INTO {table.name} ({columns}) VALUES ({placeholders})"  # noqa: S608
        connection.exec_driver_sql(statement, values)


def _bound(
    dialect: Dialect, table: Table, names: list[str], rows: list[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    """The rows as tuples of the values the driver takes (UUIDs as text on SQLite, enums
    checked), each distinct value converted once: a chunk's rows share their timestamps,
    import and enums."""
    assert len(names) > 1, "itemgetter gives a tuple for two names or more"
    values: list[tuple[Any, ...]] = list(map(itemgetter(*names), rows))
    processors = {
        i: process
        for i, name in enumerate(names)
        if (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
    }
    if not processors:
        return values
    by_column = list(zip(*values, strict=True))
    for i, process in processors.items():
        converted = {value: process(value) for value in set(by_column[i])}
        by_column[i] = tuple(converted[value] for value in by_column[i])
    return list(zip(*by_column, strict=True))


def _copy(connection: Connection, statement: str, values: list[tuple[Any, ...]]) -> None:
    import psycopg  # here: loaded already on PostgreSQL, and not needed on SQLite

    driver: psycopg.Connection[Any] = connection.connection.driver_connection  # type: ignore[assignment]
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in values:
                copy.write_row(row)
    except psycopg.Error as error:
        raise DBAPIError.instance(statement, None, error, psycopg.Error) from error


def _update(
    db: Session,
    who: Principal | None,
    rid: uuid.UUID,
    parsed: ParsedRecommendation,
    digest: str,
    import_id: uuid.UUID,
    terms: TermCache,
) -> None:
    recommendation = db.get(Recommendation, rid)
    assert recommendation is not None
    before = to_read(db, [recommendation])[0]
    recommendation.touch()
    for name, value in _columns(parsed, digest, import_id).items():
        setattr(recommendation, name, value)
    db.add(recommendation)
    for model in (
        RecommendingState,
        RecommendationTheme,
        RecommendationAffectedPerson,
        RecommendationSdg,
    ):
        db.execute(delete(model).where(col(model.recommendation_id) == rid))
    _insert_links(db, [(rid, parsed)], terms)
    db.flush()
    after = to_read(db, [recommendation])[0]
    record(
        db,
        who,
        "recommendation.update",
        resource_type="recommendation",
        resource_id=rid,
        state_code=recommendation.state_code,
        before=before,
        after=after,
    )
