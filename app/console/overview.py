"""The console's overview: the analytics charts an officer reads first, drawn from the same
answers as `/api/v1/analytics/...` for OHCHR (everything submitted, nothing suppressed). The
charts' own words (titles, axes, text alternatives) are the analytics' English."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.analytics import assistance, charts, gap, implementation, pictures, shortfalls
from app.analytics.query import Question
from app.analytics.reader import Reader
from app.console.pages import page
from app.console.sessions import Officer
from app.core.deps import AppSettings, DbSession
from app.core.errors import NotFound
from app.core.routing import page_router
from app.core.settings import Settings

router = page_router("/console")

Draw = Callable[[Session, Reader, Settings, Question], charts.ChartSpec]
Year = Annotated[int | None, Query(ge=2000, le=2100)]


def _assistance(group_by: str, chart: pictures.AssistanceChart) -> Draw:
    def draw(db: Session, reader: Reader, settings: Settings, when: Question) -> charts.ChartSpec:
        question = Question(start=when.start, end=when.end, group_by=(group_by,))
        answer = assistance.answer(db, reader, question, settings.service_targets)
        return pictures.assistance(answer, chart)

    return draw


def _catalogue(
    answer: Callable[[Session, Reader, Question], dict[str, Any]],
    picture: Callable[[dict[str, Any]], charts.ChartSpec],
    group_by: str,
) -> Draw:
    def draw(db: Session, reader: Reader, settings: Settings, when: Question) -> charts.ChartSpec:
        question = Question(start=when.start, end=when.end, group_by=(group_by,))
        return picture(answer(db, reader, question))

    return draw


def _gap(db: Session, reader: Reader, settings: Settings, when: Question) -> charts.ChartSpec:
    return pictures.gap(gap.answer(db, reader, Question()))


@dataclass(frozen=True)
class Chart:
    name: str
    draw: Draw
    dated: bool = True
    """Whether the year chosen on the page applies (the supply gap is as of today)."""


CHARTS = (
    Chart("demand-by-region", _assistance("region", pictures.AssistanceChart.outcomes)),
    Chart("priority-groups", _assistance("priority", pictures.AssistanceChart.outcomes)),
    Chart("time-to-stage", _assistance("quarter", pictures.AssistanceChart.time_to_stage)),
    Chart("supply-gap", _gap, dated=False),
    Chart(
        "implementation",
        _catalogue(implementation.answer, pictures.implementation, "region"),
    ),
    Chart("shortfalls", _catalogue(shortfalls.answer, pictures.shortfalls, "barrier_type")),
)
BY_NAME = {chart.name: chart for chart in CHARTS}


def _when(year: int | None) -> Question:
    if year is None:
        return Question()
    return Question(start=dt.date(year, 1, 1), end=dt.date(year, 12, 31))


@router.get("/overview", response_class=HTMLResponse)
def overview_page(
    request: Request, db: DbSession, settings: AppSettings, desk: Officer, year: Year = None
) -> Response:
    reader, when = Reader.of(desk.who, settings), _when(year)
    figures = [
        (chart, charts.text_alternative(chart.draw(db, reader, settings, when))) for chart in CHARTS
    ]
    this_year = dt.date.today().year
    return page(
        request,
        "overview.html",
        desk=desk,
        figures=figures,
        year=year,
        years=list(range(this_year, this_year - 5, -1)),
    )


@router.get("/overview/charts/{name}.svg", response_class=Response)
def overview_chart(
    db: DbSession, settings: AppSettings, desk: Officer, name: str, year: Year = None
) -> Response:
    chart = BY_NAME.get(name)
    if chart is None:
        raise NotFound(f"no chart {name}")
    spec = chart.draw(db, Reader.of(desk.who, settings), settings, _when(year))
    return Response(charts.render(spec, "svg"), media_type="image/svg+xml")
