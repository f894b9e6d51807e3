"""OHCHR's technical cooperation overview for a year (DOCX): the tables and charts of the
assistance analytics, each section with a short narrative in which every sentence states a
computed figure.

Built only from the analytics answers as the reader would get them through the API
(`assistance`, `gap`, `shortfalls`) and their charts (`pictures`): the document cannot say what
the API does not. A null figure (a zero denominator, or a withheld figure) reads "no figure",
and a sentence that would rest on one says so or is left out. The gap is not bounded by the
year: it is the supply gap as of the day the document is built.
"""

import datetime as dt
import io
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import docx
from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Emu
from sqlmodel import Session

from app.analytics import assistance, charts, gap, pictures, shortfalls, word
from app.analytics.query import Question
from app.analytics.reader import Reader
from app.core.settings import Settings
from app.taxonomies.vocabularies import ASSISTANCE_TYPE_LABELS, BARRIER_TYPE_LABELS

Json = dict[str, Any]
NO_FIGURE = "no figure"
NO_VALUE = "(none)"
LARGEST_GAPS = 10
# Pages are A4 landscape, as the report draft's: the gap table has nine columns.
MARGIN = Cm(2.0)
# A chart keeps its drawn size unless it would not fit under a heading on one page.
PICTURE_WIDTH, PICTURE_HEIGHT = Cm(24.0), Cm(14.5)
EMU_PER_PIXEL = 914_400 / charts.PNG_DPI

OUTCOME_WORDS = {
    "waiting": "Waiting",
    "in_triage": "In triage",
    "accepted": "Accepted",
    "matched": "Matched",
    "in_delivery": "In delivery",
    "completed": "Completed",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
}
STAGE_WORDS = {
    "in_triage": "triage",
    "accepted": "acceptance",
    "matched": "matching",
    "in_delivery": "delivery",
    "completed": "completion",
}
STAY_WORDS = {
    "submitted": "waiting for triage",
    "in_triage": "in triage",
    "accepted": "accepted and waiting for a provider",
}
PRIORITY_GROUP_WORDS = {
    "ldc": "Least developed countries",
    "lldc": "Landlocked developing countries",
    "sids": "Small island developing States",
    "conflict": "States emerging from conflict",
    "particular_needs": "States with particular needs",
}
RATES = {
    "acceptance_rate": "acceptance rate",
    "matching_rate": "matching rate",
    "completion_rate": "completion rate",
}
REASON_WORDS = {
    "no_provider_offers_type": "no provider offers the assistance type",
    "no_provider_with_language": "no provider works in the language",
    "no_provider_with_modality": "no provider works in the modality",
    "only_the_state_itself": "the only provider is the State itself",
    "none_available_in_window": "no provider is available in the window",
    "none_with_capacity_left": "no provider has capacity left",
    "below_minimum_score": "no provider reaches the minimum score",
    "candidates_went_to_higher_weight": "its candidates went to requests of higher weight",
}
SEVERITIES = ("critical", "high", "medium", "low")
MONEY_HEADERS = ("Requests", "Estimated budget (USD)", "Co-funding (USD)")
RATE_HEADERS = ("Acceptance rate", "Matching rate", "Completion rate")
GAP_HEADERS = (
    *("Theme", "Assistance type", "Language", "Region", "Requests waiting"),
    *("Their budgets (USD)", "Providers", "Free capacity", "Gap"),
)


@dataclass(frozen=True)
class Answers:
    """The analytics answers the document is written from."""

    year: int
    whole: Json
    by_state: Json
    by_region: Json
    by_priority: Json
    by_priority_group: Json
    by_quarter: Json
    gap: Json
    barriers: Json
    by_barrier: Json
    targets: dict[str, int]

    @property
    def total(self) -> Json:
        """The one group of every request of the year."""
        group: Json = self.whole["groups"][0]
        return group

    @property
    def as_of(self) -> dt.date:
        moment: dt.datetime = self.whole["as_of"]
        return moment.date()


def build_overview(db: Session, reader: Reader, settings: Settings, year: int) -> bytes:
    """The overview of the requests submitted in `year`, as `reader` may see them (the route
    lets only officers and administrators ask)."""
    answers = _answers(db, reader, settings, year)
    document = docx.Document()
    word.landscape(document, MARGIN)
    _properties(document, year)
    document.add_heading(f"Technical cooperation overview {year}", level=0)
    word.paragraph(document, _provenance(answers))
    for write in (_demand, _regions, _priority, _timing, _supply, _barriers):
        write(document, answers)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _answers(db: Session, reader: Reader, settings: Settings, year: int) -> Answers:
    period = Question(start=dt.date(year, 1, 1), end=dt.date(year, 12, 31))

    def demand(*group_by: str) -> Json:
        question = replace(period, group_by=group_by)
        return assistance.answer(db, reader, question, settings.service_targets)

    def barriers(*group_by: str) -> Json:
        return shortfalls.answer(db, reader, replace(period, group_by=group_by))

    return Answers(
        year=year,
        whole=demand(),
        by_state=demand("state"),
        by_region=demand("region"),
        by_priority=demand("priority"),
        by_priority_group=demand("priority_group"),
        by_quarter=demand("quarter"),
        gap=gap.answer(db, reader, Question()),
        barriers=barriers(),
        by_barrier=barriers("barrier_type"),
        targets=settings.service_targets,
    )


# --- the document -------------------------------------------------------------------------------


def _properties(document: Document, year: int) -> None:
    word.properties(
        document,
        title=f"Technical cooperation overview {year}",
        subject=(
            f"OHCHR technical cooperation in {year}: assistance requested and the response, "
            "time to each stage, priority States, supply against demand and barriers"
        ),
        keywords="technical cooperation; assistance requests; analytics",
    )


def _provenance(answers: Answers) -> str:
    return (
        f"The figures cover the requests submitted from 1 January to 31 December {answers.year}, "
        f"drawn from {pictures.SOURCES[answers.whole['audience']]} on the {word.PLATFORM} as of "
        f"{_date(answers.as_of)}."
    )


def _say(document: Document, *sentences: str) -> None:
    word.paragraph(document, " ".join(sentence for sentence in sentences if sentence))


def _figure_table(
    document: Document,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    text_columns: int = 1,
) -> None:
    """The columns after the first `text_columns` hold figures and align right; an empty
    paragraph keeps the table apart from what follows."""
    word.table(document, headers, rows, right_from=text_columns)
    document.add_paragraph()


def _chart(document: Document, spec: charts.ChartSpec) -> None:
    """The chart as a PNG, fitted to the page, with its text alternative as the picture's."""
    png = charts.render(spec, "png")
    width, height = _fitted(png)
    picture = document.add_picture(io.BytesIO(png), width=width, height=height)
    picture._inline.docPr.set("descr", charts.text_alternative(spec))
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER


def _fitted(png: bytes) -> tuple[Emu, Emu]:
    pixels_wide, pixels_high = struct.unpack(">II", png[16:24])  # the IHDR chunk
    width, height = pixels_wide * EMU_PER_PIXEL, pixels_high * EMU_PER_PIXEL
    scale = min(1.0, PICTURE_WIDTH / width, PICTURE_HEIGHT / height)
    return Emu(round(width * scale)), Emu(round(height * scale))


# --- numbers for people -------------------------------------------------------------------------


def _count(value: int | None) -> str:
    return NO_FIGURE if value is None else f"{value:,}"


def _usd(value: float | None) -> str:
    return NO_FIGURE if value is None else f"{value:,.0f}"


def _dollars(value: float | None) -> str:
    return NO_FIGURE if value is None else f"USD {value:,.0f}"


def _percent(value: float | None) -> str:
    return NO_FIGURE if value is None else f"{value:.1%}"


def _days(value: float | None) -> str:
    return NO_FIGURE if value is None else f"{value:,.1f}".removesuffix(".0")


def _plural(count: int | None, noun: str) -> str:
    return f"{_count(count)} {noun if count == 1 else noun + 's'}"


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _listed(items: Sequence[str], last: str = "and") -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"


def _key(group: Json) -> str:
    return " · ".join(value or NO_VALUE for value in group["key"].values())


def _label(labels: Mapping[Any, tuple[str, str]], value: str | None) -> str:
    return NO_VALUE if value is None else labels.get(value, (value,))[0]


def _money_cells(figures: Json) -> list[str]:
    return [
        _count(figures["requests"]),
        _usd(figures["budget_estimate_usd"]),
        _usd(figures["co_funding_usd"]),
    ]


def _rate_cells(group: Json) -> list[str]:
    return [_percent(group.get(rate)) for rate in RATES]


def _leaders(groups: Sequence[Json], figure: str) -> tuple[int, list[Json]]:
    """The largest value of a count among the groups, and the groups that have it."""
    counted = [group for group in groups if group[figure] is not None]
    top = max((group[figure] for group in counted), default=0)
    return top, [group for group in counted if group[figure] == top]


# --- 1. demand and response ---------------------------------------------------------------------


def _demand(document: Document, answers: Answers) -> None:
    total = answers.total
    document.add_heading(f"Demand and response in {answers.year}", level=1)
    if total["requests"] == 0:
        _say(document, f"No assistance requests were submitted in {answers.year}.")
    else:
        budgets = (
            f"The estimated budgets given total {_dollars(total['budget_estimate_usd'])} and "
            f"the co-funding offered {_dollars(total['co_funding_usd'])}."
        )
        _say(document, _demand_sentence(answers), budgets)
    rows = [[OUTCOME_WORDS[name], *_money_cells(f)] for name, f in total["outcomes"].items()]
    rows.append(["All requests", *_money_cells(total)])
    _figure_table(document, ("Outcome", *MONEY_HEADERS), rows)


def _demand_sentence(answers: Answers) -> str:
    total = answers.total
    states = len(answers.by_state["groups"])
    said = (
        f"In {answers.year}, {_plural(states, 'State')} submitted "
        f"{_plural(total['requests'], 'assistance request')}"
    )
    if total["acceptance_rate"] is None:
        return f"{said}; none has been accepted or declined, so there is no acceptance rate."
    said += f"; {_percent(total['acceptance_rate'])} of those decided (accepted or declined) "
    if total["matching_rate"] is None:
        return said + "were accepted, so there are no matching or completion rates."
    return (
        f"{said}were accepted and, of those accepted, {_percent(total['matching_rate'])} were "
        f"matched with a provider and {_percent(total['completion_rate'])} completed."
    )


# --- 2. by region -------------------------------------------------------------------------------


def _regions(document: Document, answers: Answers) -> None:
    document.add_heading("By region", level=1)
    groups = answers.by_region["groups"]
    if not groups:
        _say(document, f"No assistance requests were submitted in {answers.year}.")
        return
    _say(document, *_region_sentences(groups, answers.total["requests"]))
    rows = [[_key(group), *_money_cells(group), *_rate_cells(group)] for group in groups]
    _figure_table(document, ("Region", *MONEY_HEADERS, *RATE_HEADERS), rows)
    _chart(document, pictures.assistance(answers.by_region, pictures.AssistanceChart.outcomes))


def _region_sentences(groups: Sequence[Json], requests: int | None) -> list[str]:
    sentences = [f"The requests came from States in {_plural(len(groups), 'region')}."]
    top, leaders = _leaders(groups, "requests")
    if leaders:
        each = " each" if len(leaders) > 1 else ""
        share = _percent(top / requests if requests else None)
        sentences.append(
            f"The {'region' if len(leaders) == 1 else 'regions'} with the most requests: "
            f"{_listed([_key(g) for g in leaders])}, {_plural(top, 'request')}{each}, "
            f"{share} of the year's."
        )
    return sentences


# --- 3. priority States -------------------------------------------------------------------------


def _priority(document: Document, answers: Answers) -> None:
    document.add_heading("Priority States first?", level=1)
    if answers.total["requests"] == 0:
        _say(document, f"No assistance requests were submitted in {answers.year}.")
        return
    first, other = _side(answers.by_priority, "priority"), _side(answers.by_priority, "other")
    _say(
        document,
        f"Priority States (least developed countries, landlocked developing countries, small "
        f"island developing States, States emerging from conflict and States with particular "
        f"needs) submitted {_plural(first['requests'], 'request')}, the other States "
        f"{_count(other['requests'])}.",
        _priority_rates_sentence(first, other),
        _priority_days_sentence(first, other),
    )
    headers = ("States", "Requests", *RATE_HEADERS, "Median working days to acceptance")
    _figure_table(document, headers, _priority_rows(answers, first, other))


def _side(answer: Json, value: str) -> Json:
    """The group of priority (or other) States; without requests, no group: zero requests."""
    found = [group for group in answer["groups"] if group["key"].get("priority") == value]
    return found[0] if found else {"requests": 0}


def _to_acceptance(group: Json) -> float | None:
    value: float | None = (
        group.get("time_to_stage", {}).get("accepted", {}).get("median_working_days")
    )
    return value


def _compared(first: float | None, other: float | None, *, rate: bool) -> str:
    """`60.0% for priority States and 50.0% for the others, 10.0 percentage points higher for
    priority States`; a missing figure is named as missing, and nothing is compared."""
    shown = _percent if rate else _days
    if first is None and other is None:
        return "no figure for either"
    if first is None or other is None:
        return f"{shown(first)} for priority States and {shown(other)} for the others"
    size = round(abs(first - other) * (100 if rate else 1), 1)
    if size == 0:
        return f"{shown(first)} for priority States and for the others alike"
    unit = "percentage points" if rate else "working day" + ("" if size == 1 else "s")
    more, less = ("higher", "lower") if rate else ("more", "fewer")
    direction = more if first > other else less
    return (
        f"{shown(first)} for priority States and {shown(other)} for the others, "
        f"{f'{size:.1f}' if rate else _days(size)} {unit} {direction} for priority States"
    )


def _priority_rates_sentence(first: Json, other: Json) -> str:
    parts = [
        f"{name}: {_compared(first.get(rate), other.get(rate), rate=True)}"
        for rate, name in RATES.items()
    ]
    sentence = "; ".join(parts) + "."
    return sentence[0].upper() + sentence[1:]


def _priority_days_sentence(first: Json, other: Json) -> str:
    compared = _compared(_to_acceptance(first), _to_acceptance(other), rate=False)
    return f"Median working days from submission to acceptance: {compared}."


def _difference(first: float | None, other: float | None, *, rate: bool) -> str:
    if first is None or other is None:
        return NO_FIGURE
    difference = first - other
    return f"{difference * 100:+.1f} points" if rate else f"{difference:+,.1f}".removesuffix(".0")


def _priority_rows(answers: Answers, first: Json, other: Json) -> list[list[str]]:
    def cells(group: Json) -> list[str]:
        return [_count(group["requests"]), *_rate_cells(group), _days(_to_acceptance(group))]

    differences = [_difference(first.get(rate), other.get(rate), rate=True) for rate in RATES]
    days = _difference(_to_acceptance(first), _to_acceptance(other), rate=False)
    groups = {
        group["key"]["priority_group"]: group for group in answers.by_priority_group["groups"]
    }
    return [
        ["Priority States", *cells(first)],
        ["Other States", *cells(other)],
        ["Difference (priority minus other)", "", *differences, days],
        *(
            [f"of which: {words}", *cells(groups[name])]
            for name, words in PRIORITY_GROUP_WORDS.items()
            if name in groups
        ),
    ]


# --- 4. how fast --------------------------------------------------------------------------------


def _timing(document: Document, answers: Answers) -> None:
    document.add_heading("How fast", level=1)
    if answers.total["requests"] == 0:
        _say(document, f"No assistance requests were submitted in {answers.year}.")
        return
    total = answers.total
    _say(document, _stages_sentence(total), _targets_sentence(total, answers.targets))
    rows = [
        [_key(group), STAGE_WORDS[stage].capitalize(), *_timing_cells(timing)]
        for group in answers.by_quarter["groups"]
        for stage, timing in group["time_to_stage"].items()
    ]
    headers = ("Quarter submitted", "Stage", "Requests that reached it", "Median working days")
    _figure_table(document, (*headers, "90th percentile (working days)"), rows, text_columns=2)
    _chart(
        document, pictures.assistance(answers.by_quarter, pictures.AssistanceChart.time_to_stage)
    )


def _timing_cells(timing: Json) -> list[str]:
    return [
        _count(timing["requests"]),
        _days(timing["median_working_days"]),
        _days(timing["p90_working_days"]),
    ]


def _stages_sentence(total: Json) -> str:
    timings = total["time_to_stage"]
    reached = [
        f"to {STAGE_WORDS[stage]} {_days(t['median_working_days'])} "
        f"({_days(t['p90_working_days'])})"
        for stage, t in timings.items()
        if t["requests"] != 0
    ]
    missed = [STAGE_WORDS[stage] for stage, t in timings.items() if t["requests"] == 0]
    if not reached:
        return f"No request reached {_listed(missed, 'or')}."
    sentence = "Median working days from submission, the 90th percentile in brackets: "
    sentence += "; ".join(reached)
    if missed:
        sentence += f"; no request reached {_listed(missed, 'or')}"
    return sentence + "."


def _targets_sentence(total: Json, targets: dict[str, int]) -> str:
    parts = []
    for stage, past in total["past_target"].items():
        words = STAY_WORDS.get(stage, stage.replace("_", " "))
        if past["requests"] == 0:
            parts.append(f"no request was {words}")
            continue
        parts.append(
            f"{_count(past['past'])} of the {_plural(past['requests'], 'request')} {words} "
            f"stayed more than {targets[stage]} working days ({_percent(past['share'])})"
        )
    return f"Against the service targets, {'; '.join(parts)}." if parts else ""


# --- 5. supply against demand -------------------------------------------------------------------


def _supply(document: Document, answers: Answers) -> None:
    document.add_heading("Where demand outruns supply", level=1)
    groups, unmatched = answers.gap["groups"], answers.gap["unmatched"]
    largest = sorted(groups, key=lambda group: -(group["gap"] or 0))[:LARGEST_GAPS]
    _say(document, _gap_sentence(answers), _unmatched_sentence(unmatched))
    if largest:
        rows = [_gap_row(group) for group in largest]
        _figure_table(document, GAP_HEADERS, rows, text_columns=4)
        _chart(document, pictures.gap({**answers.gap, "groups": largest}))
    if unmatched["by_reason"]:
        reasons = [[_reason(code), _count(n)] for code, n in unmatched["by_reason"].items()]
        _figure_table(document, ("Why left unmatched", "Requests"), reasons)


def _gap_sentence(answers: Answers) -> str:
    groups, months = answers.gap["groups"], answers.gap["months"]
    as_of = _date(answers.as_of)
    if not groups:
        return f"As of {as_of}, no accepted request is waiting for a provider."
    said = (
        f"As of {as_of}, accepted requests wait for a provider in "
        f"{_plural(len(groups), 'combination')} of theme, assistance type, working language "
        "and region"
    )
    short = [group["gap"] for group in groups if (group["gap"] or 0) > 0]
    capacity = "the free capacity of the providers who could serve them in the next " + _plural(
        months, "month"
    )
    if not short:
        return f"{said}; in none of them do they outnumber {capacity}."
    return (
        f"{said}; in {_count(len(short))} of them they outnumber {capacity}, "
        f"by up to {_count(max(short))}."
    )


def _unmatched_sentence(unmatched: Json) -> str:
    if unmatched["run_id"] is None:
        return "No matching run has finished yet."
    finished: dt.datetime | None = unmatched["finished_at"]
    run = f"The latest matching run{f', finished on {_date(finished.date())},' if finished else ''}"
    if unmatched["requests"] == 0:
        return f"{run} left no request unmatched."
    reasons = [f"{_count(n)} because {_reason(code)}" for code, n in unmatched["by_reason"].items()]
    return f"{run} left {_plural(unmatched['requests'], 'request')} unmatched: {_listed(reasons)}."


def _reason(code: str) -> str:
    return REASON_WORDS.get(code, code.replace("_", " "))


def _gap_row(group: Json) -> list[str]:
    key = group["key"]
    return [
        key["theme"] or NO_VALUE,
        _label(ASSISTANCE_TYPE_LABELS, key["assistance_type"]),
        key["language"] or NO_VALUE,
        key["region"] or NO_VALUE,
        _count(group["demand_requests"]),
        _usd(group["demand_budget_usd"]),
        _count(group["supply_providers"]),
        _count(group["supply_free_capacity"]),
        _count(group["gap"]),
    ]


# --- 6. barriers --------------------------------------------------------------------------------


def _barriers(document: Document, answers: Answers) -> None:
    document.add_heading("Barriers", level=1)
    whole = answers.barriers["groups"][0]
    if whole["shortfalls"] == 0:
        _say(document, f"No shortfall was submitted in {answers.year}.")
        return
    _say(document, *_barrier_sentences(answers, whole))
    headers = (
        "Barrier type",
        "Shortfalls",
        "Open",
        "Resolved",
        *(s.capitalize() for s in SEVERITIES),
    )
    rows = [_barrier_row(group) for group in answers.by_barrier["groups"]]
    _figure_table(document, headers, rows)
    _chart(document, pictures.shortfalls(answers.by_barrier))


def _barrier_sentences(answers: Answers, whole: Json) -> list[str]:
    sentences = [
        f"In {answers.year}, States submitted {_plural(whole['shortfalls'], 'shortfall')} "
        f"({_count(whole['open'])} open, {_count(whole['resolved'])} resolved) concerning "
        f"{_plural(whole['recommendations'], 'recommendation')}."
    ]
    top, leaders = _leaders(answers.by_barrier["groups"], "shortfalls")
    severities = _listed([f"{_count(whole['by_severity'][s])} {s}" for s in SEVERITIES])
    if leaders:
        names = [_label(BARRIER_TYPE_LABELS, g["key"]["barrier_type"]) for g in leaders]
        named = "was the barrier" if len(leaders) == 1 else "were the barriers"
        each = " each" if len(leaders) > 1 else ""
        sentences.append(
            f"{_listed(names)} {named} named most often ({_plural(top, 'shortfall')}{each}); "
            f"by severity, {severities}."
        )
    return sentences


def _barrier_row(group: Json) -> list[str]:
    return [
        _label(BARRIER_TYPE_LABELS, group["key"]["barrier_type"]),
        _count(group["shortfalls"]),
        _count(group["open"]),
        _count(group["resolved"]),
        *(_count(group["by_severity"][severity]) for severity in SEVERITIES),
    ]
