"""A State's implementation report draft (DOCX), for its delegation to edit into a mid-term report.

The State's recommendations are grouped by theme as the OHCHR thematic matrices group them, each
recommendation once, under its first theme (codes in natural order, then themes without a code
by name, then "Other recommendations"). Each row holds the position, the recommending States, the
latest progress report the caller may see, the shortfalls and the assistance requested for it.

Who sees what is the one rule, `visible()`: the State its own drafts too, OHCHR what was
submitted; an assistance request counts once submitted. The data comes from nine set-based
queries whatever the number of recommendations, and rows are written by copying elements (see
`app.analytics.word`): a draft of 3,000 recommendations builds in about a second.
"""

import datetime as dt
import io
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import docx
from docx.document import Document
from docx.shared import Cm
from docx.styles.style import ParagraphStyle
from sqlalchemy import ColumnElement, and_, func, select
from sqlmodel import Session, col

from app.analytics import word
from app.assistance.models import AssistanceRequest, RequestRecommendation
from app.core.errors import NotFound
from app.core.models import utcnow
from app.core.principal import Principal
from app.events.types import Visibility
from app.expertise.models import Assignment, AssignmentStatus, Provider
from app.lifecycle.visibility import Stage, audience_of, visible
from app.progress.models import ImplementationStatus, ProgressReport, ProgressReportRecommendation
from app.recommendations.models import Recommendation, RecommendationTheme, RecommendingState
from app.shortfalls.models import Shortfall, ShortfallRecommendation
from app.states.models import State
from app.taxonomies.models import Theme
from app.taxonomies.vocabularies import (
    ASSISTANCE_TYPE_LABELS,
    BARRIER_TYPE_LABELS,
    MECHANISM_NAMES,
    AssistanceType,
    BarrierType,
    Mechanism,
    Position,
)

NO_VALUE = "—"
OTHER_RECOMMENDATIONS = "Other recommendations"
STATUS_WORDS: dict[ImplementationStatus, str] = {
    ImplementationStatus.fully_implemented: "Fully implemented",
    ImplementationStatus.partially_implemented: "Partially implemented",
    ImplementationStatus.in_progress: "In progress",
    ImplementationStatus.not_started: "Not started",
}
POSITION_WORDS: dict[Position, str] = {
    Position.supported: "supported",
    Position.supported_in_part: "supported in part",
    Position.noted: "noted",
}
SCOPE_WORDS: dict[Visibility, str] = {
    Visibility.state: "drafts included",
    Visibility.ohchr: "submitted material only",
    Visibility.public: "published material only",
}
# What makes a recommendation one of the draft's: conditions on `Recommendation`.
Chosen = tuple[ColumnElement[bool], ...]
PROVIDING = (AssignmentStatus.accepted, AssignmentStatus.completed)
# The five columns share the 26.1 cm of text width of an A4 landscape page.
MARGIN = Cm(1.8)
HEADERS = ("Recommendation", "Position", "Progress", "Shortfalls", "Assistance")
WIDTHS = (Cm(8.0), Cm(2.3), Cm(7.5), Cm(4.3), Cm(4.0))
SUMMARY_HEADERS, SUMMARY_WIDTHS = ("Figure", "Count"), (Cm(8.0), Cm(3.0))


# --- what the draft is made of ----------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """A theme heading of the draft; `rank` keeps coded themes, named ones and the rest apart."""

    rank: int
    code: str | None
    name: str

    @property
    def title(self) -> str:
        return f"{self.code} {self.name}" if self.code else self.name

    @property
    def order(self) -> tuple[Any, ...]:
        return (self.rank, _natural(self.code or ""), self.name.casefold())


OTHER = Section(2, None, OTHER_RECOMMENDATIONS)


def _theme_section(code: str | None, name: str) -> Section:
    return Section(0, code, name) if code else Section(1, None, name)


@dataclass(frozen=True)
class Progress:
    status: ImplementationStatus
    period_start: dt.date
    period_end: dt.date
    measures: list[str]
    indicators: list[dict[str, Any]]
    draft: bool


@dataclass(frozen=True)
class ShortfallLine:
    id: uuid.UUID
    barrier_type: BarrierType
    severity: str
    description: str
    resolved_on: dt.date | None
    draft: bool


@dataclass(frozen=True)
class RequestLine:
    id: uuid.UUID
    title: str
    assistance_type: AssistanceType
    stage: str


@dataclass
class Entry:
    """One recommendation and everything the caller may see about it."""

    id: uuid.UUID
    paragraph: str | None
    text: str
    position: Position | None
    mechanism: Mechanism
    cycle: int | None
    document_symbol: str | None
    recommending: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    progress: Progress | None = None
    shortfalls: list[ShortfallLine] = field(default_factory=list)
    requests: list[RequestLine] = field(default_factory=list)

    @property
    def section(self) -> Section:
        return min(self.sections, key=lambda s: s.order) if self.sections else OTHER


@dataclass
class Draft:
    state_name: str
    audience: Visibility
    mechanism: Mechanism | None
    cycle: int | None
    built_on: dt.date
    entries: list[Entry]
    providers: dict[uuid.UUID, list[str]]

    @property
    def title(self) -> str:
        return f"{self.state_name}: implementation of the recommendations received — draft"


# --- the contract -------------------------------------------------------------------------------


def build_report_draft(
    db: Session,
    who: Principal,
    state_code: str,
    *,
    mechanism: Mechanism | None,
    cycle: int | None,
) -> bytes:
    """The Word document of `state_code`'s recommendations (of `mechanism` and `cycle` when
    given) with what `who` may see of their progress, shortfalls and assistance. The caller
    decides who may ask; an unknown State is not found."""
    state = db.get(State, state_code)
    if state is None:
        raise NotFound(f"no State with the code {state_code!r}")
    entries, providers = _load(db, who, state_code, _chosen(state_code, mechanism, cycle))
    draft = Draft(
        state_name=state.name,
        audience=audience_of(who, state_code),
        mechanism=mechanism,
        cycle=cycle,
        built_on=utcnow().date(),
        entries=entries,
        providers=providers,
    )
    buffer = io.BytesIO()
    _render(draft).save(buffer)
    return buffer.getvalue()


# --- reading: one query per kind of fact --------------------------------------------------------


def _load(
    db: Session, who: Principal, state_code: str, chosen: Chosen
) -> tuple[list[Entry], dict[uuid.UUID, list[str]]]:
    """The draft's recommendations in reading order, and the providers of each request."""
    entries = {entry.id: entry for entry in _entries(db, chosen)}
    for rid, section in _themes(db, chosen):
        entries[rid].sections.append(section)
    for rid, name in _recommending(db, chosen):
        entries[rid].recommending.append(name)
    # The State's own objects are read whole and kept for the draft's recommendations here.
    # Filtering them in SQL by the recommendations chosen changes nothing (the latest report is
    # ranked per recommendation), and SQLite, without statistics, would probe each link table
    # once per report and per chosen recommendation: seconds for a large State.
    for rid, progress in _latest_progress(db, who, state_code):
        if rid in entries:
            entries[rid].progress = progress
    for rid, shortfall in _shortfalls(db, who, state_code):
        if rid in entries:
            entries[rid].shortfalls.append(shortfall)
    for rid, request in _requests(db, who, state_code):
        if rid in entries:
            entries[rid].requests.append(request)
    return sorted(entries.values(), key=_reading_order), _providers(db, who, state_code)


def _chosen(state_code: str, mechanism: Mechanism | None, cycle: int | None) -> Chosen:
    conditions = [col(Recommendation.state_code) == state_code]
    if mechanism is not None:
        conditions.append(col(Recommendation.mechanism) == mechanism)
    if cycle is not None:
        conditions.append(col(Recommendation.cycle) == cycle)
    return tuple(conditions)


def _among(recommendation_id: Any, chosen: Chosen) -> ColumnElement[bool]:
    return col(recommendation_id).in_(select(col(Recommendation.id)).where(*chosen))


def _entries(db: Session, chosen: Chosen) -> Iterator[Entry]:
    statement = select(
        col(Recommendation.id),
        col(Recommendation.paragraph),
        col(Recommendation.text),
        col(Recommendation.position),
        col(Recommendation.mechanism),
        col(Recommendation.cycle),
        col(Recommendation.document_symbol),
    ).where(*chosen)
    for rid, paragraph, text, position, mechanism, cycle, symbol in db.execute(statement).all():
        yield Entry(rid, paragraph, text, position, mechanism, cycle, symbol)


def _reading_order(entry: Entry) -> tuple[Any, ...]:
    return (
        entry.document_symbol or "",
        _natural(entry.paragraph or ""),
        entry.text,
        str(entry.id),
    )


def _themes(db: Session, chosen: Chosen) -> Iterator[tuple[uuid.UUID, Section]]:
    link = RecommendationTheme
    statement = (
        select(col(link.recommendation_id), col(Theme.code), col(Theme.name))
        .join(Theme, col(Theme.id) == link.theme_id)
        .where(_among(link.recommendation_id, chosen))
    )
    for rid, code, name in db.execute(statement):
        yield rid, _theme_section(code, name)


def _recommending(db: Session, chosen: Chosen) -> Iterator[tuple[uuid.UUID, str]]:
    link = RecommendingState
    statement = (
        select(col(link.recommendation_id), col(State.name))
        .join(State, col(State.code) == link.state_code)
        .where(_among(link.recommendation_id, chosen))
        .order_by(col(State.name))
    )
    yield from db.execute(statement)


def _latest_progress(
    db: Session, who: Principal, state_code: str
) -> Iterator[tuple[uuid.UUID, Progress]]:
    """Each recommendation's latest report the caller sees (period end, then last update); the
    report row holds its current revision."""
    link = ProgressReportRecommendation
    rank = func.row_number().over(
        partition_by=col(link.recommendation_id),
        order_by=(
            col(ProgressReport.period_end).desc(),
            col(ProgressReport.updated_at).desc(),
            col(ProgressReport.id).desc(),
        ),
    )
    ranked = (
        select(
            col(link.recommendation_id).label("recommendation_id"),
            col(link.report_id).label("report_id"),
            rank.label("rank"),
        )
        .join(ProgressReport, col(ProgressReport.id) == link.report_id)
        .where(col(ProgressReport.state_code) == state_code, visible(ProgressReport, who))
        .subquery()
    )
    latest = select(ranked.c.recommendation_id, ranked.c.report_id).where(ranked.c.rank == 1)
    pairs = db.execute(latest).all()
    content = select(
        col(ProgressReport.id),
        col(ProgressReport.status),
        col(ProgressReport.period_start),
        col(ProgressReport.period_end),
        col(ProgressReport.measures),
        col(ProgressReport.indicators),
        col(ProgressReport.stage),
    ).where(col(ProgressReport.id).in_(latest.with_only_columns(ranked.c.report_id)))
    reports = {
        report_id: Progress(status, start, end, measures, indicators, stage == Stage.draft)
        for report_id, status, start, end, measures, indicators, stage in db.execute(content)
    }
    for rid, report_id in pairs:
        yield rid, reports[report_id]


def _shortfalls(
    db: Session, who: Principal, state_code: str
) -> Iterator[tuple[uuid.UUID, ShortfallLine]]:
    link = ShortfallRecommendation
    statement = (
        select(
            col(link.recommendation_id),
            col(Shortfall.id),
            col(Shortfall.barrier_type),
            col(Shortfall.severity),
            col(Shortfall.description),
            col(Shortfall.resolved_on),
            col(Shortfall.stage),
        )
        .join(Shortfall, col(Shortfall.id) == link.shortfall_id)
        .where(col(Shortfall.state_code) == state_code, visible(Shortfall, who))
        .order_by(col(Shortfall.created_at), col(Shortfall.id))
    )
    for rid, sid, barrier, severity, description, resolved_on, stage in db.execute(statement):
        draft = stage == Stage.draft
        yield rid, ShortfallLine(sid, barrier, severity, description, resolved_on, draft)


def _requests_seen(who: Principal, state_code: str) -> ColumnElement[bool]:
    """A draft request is not a request yet, whoever asks."""
    return and_(
        col(AssistanceRequest.state_code) == state_code,
        visible(AssistanceRequest, who),
        col(AssistanceRequest.submitted_at).is_not(None),
    )


def _requests(
    db: Session, who: Principal, state_code: str
) -> Iterator[tuple[uuid.UUID, RequestLine]]:
    link = RequestRecommendation
    statement = (
        select(
            col(link.recommendation_id),
            col(AssistanceRequest.id),
            col(AssistanceRequest.title),
            col(AssistanceRequest.assistance_type),
            col(AssistanceRequest.stage),
        )
        .join(AssistanceRequest, col(AssistanceRequest.id) == link.request_id)
        .where(_requests_seen(who, state_code))
        .order_by(col(AssistanceRequest.submitted_at), col(AssistanceRequest.id))
    )
    for rid, request_id, title, assistance_type, stage in db.execute(statement):
        yield rid, RequestLine(request_id, title, assistance_type, stage)


def _providers(db: Session, who: Principal, state_code: str) -> dict[uuid.UUID, list[str]]:
    """The providers of each shown request's accepted or completed assignments."""
    statement = (
        select(col(Assignment.request_id), col(Provider.name), col(Provider.organization))
        .join(Provider, col(Provider.id) == Assignment.provider_id)
        .join(AssistanceRequest, col(AssistanceRequest.id) == Assignment.request_id)
        .where(
            col(Assignment.status).in_(PROVIDING),
            _requests_seen(who, state_code),
        )
        .order_by(col(Provider.name), col(Provider.id))
    )
    providers: dict[uuid.UUID, list[str]] = {}
    for request_id, name, organization in db.execute(statement):
        providers.setdefault(request_id, []).append(
            f"{name}, {organization}" if organization else name
        )
    return providers


# --- writing ------------------------------------------------------------------------------------


def _render(draft: Draft) -> Document:
    document = docx.Document()
    word.landscape(document, MARGIN)
    word.properties(
        document,
        title=draft.title,
        subject=f"Implementation report draft: {_filters(draft)}; {_scope(draft)}",
        keywords="implementation; recommendations; progress; shortfalls; assistance",
    )
    # Found once: python-docx looks a style name up among every style of the document.
    heading: ParagraphStyle = document.styles["Heading 1"]
    document.add_heading(draft.title, level=0)
    word.paragraph(document, _provenance(draft))
    word.paragraph(document, "Summary", heading)
    _summary_table(document, draft)
    if not draft.entries:
        word.paragraph(document, "No recommendation matches these filters.")
    for section, entries in _sections(draft.entries):
        word.paragraph(document, section.title, heading)
        _theme_table(document, draft, entries)
    return document


def _filters(draft: Draft) -> str:
    chosen = []
    if draft.mechanism is not None:
        chosen.append(f"mechanism: {MECHANISM_NAMES[draft.mechanism]}")
    if draft.cycle is not None:
        chosen.append(f"cycle: {draft.cycle}")
    return ", ".join(chosen) if chosen else "all mechanisms and cycles"


def _scope(draft: Draft) -> str:
    return SCOPE_WORDS[draft.audience]


def _provenance(draft: Draft) -> str:
    return (
        f"Built on {draft.built_on.isoformat()} from what was recorded on the {word.PLATFORM} "
        f"({_filters(draft)}; {_scope(draft)})."
    )


def _summary_table(document: Document, draft: Draft) -> None:
    entries = draft.entries
    reported = [entry.progress.status for entry in entries if entry.progress is not None]
    shortfalls = {s.id: s for entry in entries for s in entry.shortfalls}
    requests = {r.id for entry in entries for r in entry.requests}
    figures = [
        ("Recommendations", len(entries)),
        ("With a progress report", len(reported)),
        *(
            (f"Latest status: {words}", reported.count(status))
            for status, words in STATUS_WORDS.items()
        ),
        ("Latest status: no progress report", len(entries) - len(reported)),
        ("Open shortfalls", sum(1 for s in shortfalls.values() if s.resolved_on is None)),
        ("Assistance requests", len(requests)),
    ]
    rows = [(label, str(count)) for label, count in figures]
    word.table(document, SUMMARY_HEADERS, rows, widths=SUMMARY_WIDTHS)


def _sections(entries: Sequence[Entry]) -> list[tuple[Section, list[Entry]]]:
    grouped: dict[Section, list[Entry]] = {}
    for entry in entries:
        grouped.setdefault(entry.section, []).append(entry)
    return sorted(grouped.items(), key=lambda item: item[0].order)


def _theme_table(document: Document, draft: Draft, entries: Iterable[Entry]) -> None:
    rows = (
        (
            _recommendation_lines(entry),
            [POSITION_WORDS[entry.position] if entry.position else NO_VALUE],
            _progress_lines(entry.progress),
            [_shortfall_line(s) for s in entry.shortfalls] or [NO_VALUE],
            _assistance_lines(entry.requests, draft.providers) or [NO_VALUE],
        )
        for entry in entries
    )
    word.table(document, HEADERS, rows, widths=WIDTHS)


def _recommendation_lines(entry: Entry) -> list[str]:
    words = [entry.paragraph, entry.text] if entry.paragraph else [entry.text]
    if entry.recommending:
        words.append(f"({', '.join(entry.recommending)})")
    source = [MECHANISM_NAMES[entry.mechanism]]
    if entry.cycle is not None:
        source.append(f"cycle {entry.cycle}")
    if entry.document_symbol:
        source.append(entry.document_symbol)
    return [" ".join(words), f"Source: {', '.join(source)}"]


def _progress_lines(progress: Progress | None) -> list[str]:
    if progress is None:
        return ["No progress report"]
    status = STATUS_WORDS[progress.status] + (" (draft)" if progress.draft else "")
    lines = [status, f"Period: {progress.period_start} to {progress.period_end}"]
    if progress.measures:
        lines.append("Measures:")
        lines.extend(f"• {measure}" for measure in progress.measures)
    if progress.indicators:
        lines.append("Indicators:")
        lines.extend(f"• {_indicator(indicator)}" for indicator in progress.indicators)
    return lines


def _indicator(indicator: dict[str, Any]) -> str:
    """`Cases reviewed: 12 cases (2023-12-31; age=15-24, sex=female)`. Disaggregation keys are
    sorted: PostgreSQL keeps JSON keys in an order of its own, and the draft reads the same
    from either database."""
    value = " ".join(filter(None, [_number(indicator["value"]), indicator.get("unit")]))
    details = [indicator["date"]] if indicator.get("date") else []
    disaggregation = indicator.get("disaggregation") or {}
    if disaggregation:
        details.append(", ".join(f"{k}={disaggregation[k]}" for k in sorted(disaggregation)))
    suffix = f" ({'; '.join(details)})" if details else ""
    return f"{indicator['name']}: {value}{suffix}"


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _shortfall_line(shortfall: ShortfallLine) -> str:
    barrier = BARRIER_TYPE_LABELS[shortfall.barrier_type][0]
    line = f"{barrier}, {shortfall.severity}: {shortfall.description}"
    if shortfall.resolved_on is not None:
        line += f" (resolved on {shortfall.resolved_on.isoformat()})"
    return line + (" (draft)" if shortfall.draft else "")


def _assistance_lines(
    requests: Iterable[RequestLine], providers: dict[uuid.UUID, list[str]]
) -> list[str]:
    lines = []
    for request in requests:
        kind = ASSISTANCE_TYPE_LABELS[request.assistance_type][0]
        lines.append(f"{request.title} ({kind}; {request.stage.replace('_', ' ')})")
        lines.extend(f"Provider: {provider}" for provider in providers.get(request.id, []))
    return lines


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """Numbers compare as numbers: A3 before A12, 186.3 before 186.28."""
    return tuple(
        (0, int(piece)) if piece.isdecimal() else (1, piece.casefold())
        for piece in re.findall(r"\d+|\D+", text)
    )
