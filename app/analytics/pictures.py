"""Which chart each analytics answer makes: its bars, words and text alternative."""

from enum import StrEnum
from typing import Any

from app.analytics.assistance import OUTCOME_NAMES, TIMED
from app.analytics.charts import ChartSpec, Series
from app.analytics.implementation import STATUSES


class AssistanceChart(StrEnum):
    outcomes = "outcomes"
    time_to_stage = "time_to_stage"
    budget = "budget"


NONE_LABEL = "(none)"
GAP_ROWS = 30
SOURCES = {
    "ohchr": "everything submitted to OHCHR",
    "state": "published material and the caller's own State's",
    "public": "published material only",
}


def _label(key: dict[str, str | None]) -> str:
    return " · ".join(_words(value) if value else NONE_LABEL for value in key.values()) or "all"


def _words(name: str) -> str:
    return name.replace("_", " ")


def _by(answer: dict[str, Any]) -> str:
    dimensions = answer["group_by"]
    return " and ".join(_words(d) for d in dimensions) if dimensions else "all"


def _source(answer: dict[str, Any]) -> str:
    withheld = sum(group["suppressed"] for group in answer["groups"])
    text = f"Drawn from {SOURCES[answer['audience']]}."
    if withheld:
        text += f" {withheld} group(s) hold figures withheld because too few objects make them."
    return text


def _column(answer: dict[str, Any], path: str) -> list[float | None]:
    values = []
    for group in answer["groups"]:
        value: Any = group
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        values.append(value)
    return values


def assistance(answer: dict[str, Any], chart: AssistanceChart) -> ChartSpec:
    categories = [_label(group["key"]) for group in answer["groups"]]
    by, total = _by(answer), sum(group["requests"] or 0 for group in answer["groups"])
    if chart is AssistanceChart.time_to_stage:
        return ChartSpec(
            title=f"Median working days from submission to each stage, by {by}",
            description=f"Median working days from submission to each stage, by {by}. "
            + _source(answer),
            x_label=_words(by),
            y_label="median working days",
            categories=categories,
            series=[
                Series(_words(s), _column(answer, f"time_to_stage.{s}.median_working_days"))
                for s in TIMED
            ],
            kind="grouped_bar",
        )
    if chart is AssistanceChart.budget:
        return ChartSpec(
            title=f"Estimated budgets and co-funding (USD), by {by}",
            description=f"Estimated budgets and co-funding of {total} requests, by {by}. "
            + _source(answer),
            x_label=_words(by),
            y_label="USD",
            categories=categories,
            series=[
                Series("estimated budget", _column(answer, "budget_estimate_usd")),
                Series("co-funding", _column(answer, "co_funding_usd")),
            ],
            kind="grouped_bar",
        )
    return ChartSpec(
        title=f"Assistance requests by outcome, by {by}",
        description=f"{total} assistance requests by outcome, by {by}. " + _source(answer),
        x_label=_words(by),
        y_label="requests",
        categories=categories,
        series=[
            Series(_words(o), _column(answer, f"outcomes.{o}.requests")) for o in OUTCOME_NAMES
        ],
        kind="stacked_bar",
    )


def gap(answer: dict[str, Any]) -> ChartSpec:
    """The largest gaps first: demand against the free capacity that could meet it."""
    rows = sorted(answer["groups"], key=lambda group: -(group["gap"] or 0))[:GAP_ROWS]
    shown = {**answer, "groups": rows}
    more = len(answer["groups"]) - len(rows)
    return ChartSpec(
        title="Accepted requests without a provider against free capacity, largest gaps first",
        description="Accepted requests still without an accepted assignment, against the free "
        "capacity of the providers who could serve them, by theme, assistance type, working "
        f"language and region (largest gaps first{f'; {more} more not shown' if more else ''}). "
        + _source(answer),
        x_label="theme · assistance type · language · region",
        y_label="requests or assignments",
        categories=[_label(group["key"]) for group in rows],
        series=[
            Series("requests waiting", _column(shown, "demand_requests")),
            Series("free capacity", _column(shown, "supply_free_capacity")),
        ],
        kind="grouped_bar",
    )


def implementation(answer: dict[str, Any]) -> ChartSpec:
    by = _by(answer)
    total = sum(group["recommendations"] or 0 for group in answer["groups"])
    return ChartSpec(
        title=f"Recommendations by latest reported status, by {by}",
        description=f"{total} recommendations by the status of their latest progress report, "
        f"by {by}. " + _source(answer),
        x_label=_words(by),
        y_label="recommendations",
        categories=[_label(group["key"]) for group in answer["groups"]],
        series=[
            Series(_words(s), _column(answer, f"latest_status.{s}"))
            for s in (*STATUSES, "no_report")
        ],
        kind="stacked_bar",
    )


def shortfalls(answer: dict[str, Any]) -> ChartSpec:
    by = _by(answer)
    total = sum(group["shortfalls"] or 0 for group in answer["groups"])
    return ChartSpec(
        title=f"Shortfalls by severity, by {by}",
        description=f"{total} shortfalls by severity, by {by}. " + _source(answer),
        x_label=_words(by),
        y_label="shortfalls",
        categories=[_label(group["key"]) for group in answer["groups"]],
        series=[
            Series(s, _column(answer, f"by_severity.{s}"))
            for s in ("low", "medium", "high", "critical")
        ],
        kind="stacked_bar",
    )
