"""Analytics, charts, spreadsheets and report drafts: HTTP only."""

from dataclasses import replace
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Query, Response

from app.analytics import (
    assistance,
    charts,
    gap,
    implementation,
    pictures,
    shortfalls,
    tables,
)
from app.analytics.query import (
    AssistanceQuestion,
    GapQuestion,
    ImplementationQuestion,
    Question,
    ShortfallQuestion,
)
from app.analytics.reader import Reader
from app.analytics.schemas import (
    AssistanceAnswer,
    GapAnswer,
    ImplementationAnswer,
    ShortfallAnswer,
)
from app.core.deps import AppSettings, DbSession
from app.core.errors import NotFound
from app.core.guards import Anyone, Officer, require
from app.core.principal import Principal, Role
from app.core.routing import api_router
from app.states.service import get_state
from app.taxonomies.vocabularies import Mechanism

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class TableFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


class ChartFormat(StrEnum):
    svg = "svg"
    png = "png"


PICTURE_TYPES = {ChartFormat.svg: "image/svg+xml", ChartFormat.png: "image/png"}
PICTURES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in PICTURE_TYPES.values()
        },
        "description": "the chart, with its title and text alternative",
    }
}

router = api_router("/analytics", tags=["analytics"])
drafts_router = api_router("/states", tags=["analytics"])

StateOrOhchr = Annotated[
    Principal,
    Depends(
        require(
            Role.state_contributor, Role.state_focal_point, Role.ohchr_officer, Role.ohchr_admin
        )
    ),
]


async def answer_format(
    format: Annotated[
        TableFormat | None,
        Query(description="`csv` or `xlsx` instead of JSON (or send `Accept: text/csv`)"),
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> TableFormat:
    if format is not None:
        return format
    if accept and tables.CSV in accept:
        return TableFormat.csv
    if accept and tables.XLSX in accept:
        return TableFormat.xlsx
    return TableFormat.json


AnswerFormat = Annotated[TableFormat, Depends(answer_format)]
TABLES = {
    "content": {
        tables.CSV: {"schema": {"type": "string"}},
        tables.XLSX: {"schema": {"type": "string", "format": "binary"}},
    }
}


def _shaped(answer: dict[str, Any], fmt: TableFormat, name: str) -> Any:
    """The answer as asked: JSON (the route's model), or a CSV or XLSX download."""
    if fmt is TableFormat.csv:
        return _download(tables.as_csv(answer), f"{tables.CSV}; charset=utf-8", f"{name}.csv")
    if fmt is TableFormat.xlsx:
        return _download(tables.as_xlsx(answer, name), tables.XLSX, f"{name}.xlsx")
    return answer


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/assistance",
    response_model=AssistanceAnswer,
    operation_id="get_assistance_analytics",
    responses={200: TABLES},
)
def get_assistance_analytics(
    who: Anyone,
    db: DbSession,
    settings: AppSettings,
    question: AssistanceQuestion,
    fmt: AnswerFormat,
) -> Any:
    """Technical assistance asked for and OHCHR's response: requests, budgets and co-funding
    by outcome; acceptance, matching and completion rates; working days to each stage and the
    share past its service target. Group by `state`, `region`, `sub_region`,
    `regional_group`, `priority_group`, `priority` (priority States against the others, the
    report's para. 46), `assistance_type`, `theme`, `sdg`, `language`, `quarter`, `year`.
    Public: OHCHR's figures cover everything submitted; everyone else's, published requests
    (and a State's own), with figures drawn from too few of other States' requests withheld."""
    reader = Reader.of(who, settings)
    answer = assistance.answer(db, reader, question, settings.service_targets)
    return _shaped(answer, fmt, "assistance")


@router.get(
    "/assistance/gap",
    response_model=GapAnswer,
    operation_id="get_assistance_gap",
    responses={200: TABLES},
)
def get_assistance_gap(
    who: Officer,
    db: DbSession,
    settings: AppSettings,
    question: GapQuestion,
    fmt: AnswerFormat,
) -> Any:
    """Supply against demand, by theme x assistance type x working language x region: accepted
    requests without an accepted assignment, against the free capacity of the active providers
    who could serve them (type, language, theme, region or remote, available within `months`),
    and the gap; and why the latest matching run left requests unmatched, counted by reason.
    OHCHR only: the roster is OHCHR's."""
    answer = gap.answer(db, Reader.of(who, settings), question)
    return _shaped(answer, fmt, "assistance-gap")


@router.get(
    "/implementation",
    response_model=ImplementationAnswer,
    operation_id="get_implementation_analytics",
    responses={200: TABLES},
)
def get_implementation_analytics(
    who: Anyone,
    db: DbSession,
    settings: AppSettings,
    question: ImplementationQuestion,
    fmt: AnswerFormat,
) -> Any:
    """Recommendations, the share with any progress reported and the latest status of each,
    across States. Group by `state`, `region`, `sub_region`, `regional_group`,
    `priority_group`, `mechanism`, `body`, `cycle`, `theme`, `sdg`, `sdg_target`, `position`;
    `from`/`to` keep the reports whose period ends between them. Public, as the State
    overview: OHCHR sees everything submitted, everyone else what was published (and a State
    its own), with figures drawn from too few of other States' reports withheld."""
    answer = implementation.answer(db, Reader.of(who, settings), question)
    return _shaped(answer, fmt, "implementation")


@router.get(
    "/implementation/shortfalls",
    response_model=ShortfallAnswer,
    operation_id="get_shortfall_analytics",
    responses={200: TABLES},
)
def get_shortfall_analytics(
    who: Anyone,
    db: DbSession,
    settings: AppSettings,
    question: ShortfallQuestion,
    fmt: AnswerFormat,
) -> Any:
    """What stops implementation, and where: shortfalls, open and resolved, by severity, with
    the recommendations they concern. Group by `state`, `region`, `sub_region`,
    `regional_group`, `priority_group`, `barrier_type`, `severity`, `theme`, `resolved`;
    `mechanism`, `body`, `cycle`, `theme` and `sdg` filter by the recommendations a shortfall
    concerns, `from`/`to` by when it was submitted. Public, under the same rule as the other
    analytics."""
    answer = shortfalls.answer(db, Reader.of(who, settings), question)
    return _shaped(answer, fmt, "shortfalls")


def _picture(spec: charts.ChartSpec, fmt: ChartFormat) -> Response:
    return Response(charts.render(spec, fmt.value), media_type=PICTURE_TYPES[fmt])


def _grouped_by_default(question: Question, dimension: str) -> Question:
    return question if question.group_by else replace(question, group_by=(dimension,))


@router.get(
    "/assistance/chart.{fmt}",
    response_class=Response,
    operation_id="get_assistance_chart",
    responses=PICTURES,
)
def get_assistance_chart(
    who: Anyone,
    db: DbSession,
    settings: AppSettings,
    question: AssistanceQuestion,
    fmt: ChartFormat,
    chart: Annotated[
        pictures.AssistanceChart,
        Query(description="outcomes (stacked), time_to_stage (median working days) or budget"),
    ] = pictures.AssistanceChart.outcomes,
) -> Response:
    """The assistance figures as a chart (SVG or PNG), grouped by region unless `group_by`
    says otherwise (`group_by=quarter&chart=time_to_stage`: time to each stage by quarter).
    The same filters and rule as `/analytics/assistance`."""
    question = _grouped_by_default(question, "region")
    answer = assistance.answer(db, Reader.of(who, settings), question, settings.service_targets)
    return _picture(pictures.assistance(answer, chart), fmt)


@router.get(
    "/assistance/gap/chart.{fmt}",
    response_class=Response,
    operation_id="get_assistance_gap_chart",
    responses=PICTURES,
)
def get_assistance_gap_chart(
    who: Officer, db: DbSession, settings: AppSettings, question: GapQuestion, fmt: ChartFormat
) -> Response:
    """Demand against free capacity, the largest gaps first, as a chart. OHCHR only."""
    answer = gap.answer(db, Reader.of(who, settings), question)
    return _picture(pictures.gap(answer), fmt)


@router.get(
    "/implementation/chart.{fmt}",
    response_class=Response,
    operation_id="get_implementation_chart",
    responses=PICTURES,
)
def get_implementation_chart(
    who: Anyone,
    db: DbSession,
    settings: AppSettings,
    question: ImplementationQuestion,
    fmt: ChartFormat,
) -> Response:
    """Recommendations by latest reported status as stacked bars, by region unless `group_by`
    says otherwise. Public, as `/analytics/implementation`."""
    question = _grouped_by_default(question, "region")
    answer = implementation.answer(db, Reader.of(who, settings), question)
    return _picture(pictures.implementation(answer), fmt)


@router.get(
    "/implementation/shortfalls/chart.{fmt}",
    response_class=Response,
    operation_id="get_shortfall_chart",
    responses=PICTURES,
)
def get_shortfall_chart(
    who: Anyone,
    db: DbSession,
    settings: AppSettings,
    question: ShortfallQuestion,
    fmt: ChartFormat,
) -> Response:
    """Shortfalls by severity as stacked bars, by barrier type unless `group_by` says
    otherwise. Public, as `/analytics/implementation/shortfalls`."""
    question = _grouped_by_default(question, "barrier_type")
    answer = shortfalls.answer(db, Reader.of(who, settings), question)
    return _picture(pictures.shortfalls(answer), fmt)


def _document(content: bytes, filename: str) -> Response:
    return _download(content, DOCX, filename)


@drafts_router.get(
    "/{code}/report-draft.docx",
    operation_id="get_state_report_draft",
    response_class=Response,
    responses={200: {"content": {DOCX: {"schema": {"type": "string", "format": "binary"}}}}},
)
def get_state_report_draft(
    who: StateOrOhchr,
    db: DbSession,
    code: Annotated[str, Path(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")],
    mechanism: Mechanism | None = None,
    cycle: Annotated[int | None, Query(ge=1, le=99)] = None,
) -> Response:
    """A State's implementation report draft as a Word document: its recommendations grouped by
    theme as the OHCHR matrices are, each with the latest progress, shortfalls and assistance
    received. The State's own members and OHCHR; another State's is not found."""
    state = get_state(db, code)
    if who.is_state and who.state_code != state.code:
        raise NotFound(f"no State with the code {code!r}")
    from app.analytics import report_draft  # python-docx, on the first document only

    content = report_draft.build_report_draft(db, who, state.code, mechanism=mechanism, cycle=cycle)
    return _document(content, f"{state.code}-report-draft.docx")


@router.get(
    "/assistance/overview.docx",
    operation_id="get_assistance_overview_document",
    response_class=Response,
    responses={200: {"content": {DOCX: {"schema": {"type": "string", "format": "binary"}}}}},
)
def get_assistance_overview_document(
    who: Officer,
    db: DbSession,
    settings: AppSettings,
    year: Annotated[int, Query(ge=2000, le=2100, description="the calendar year")],
) -> Response:
    """OHCHR's technical cooperation overview for a year, as a Word document: the tables and
    charts of the assistance analytics with a short narrative in which every sentence states
    a computed figure. Officers and administrators."""
    from app.analytics import overview_doc  # python-docx, on the first document only

    content = overview_doc.build_overview(db, Reader.of(who, settings), settings, year)
    return _document(content, f"technical-cooperation-{year}.docx")
