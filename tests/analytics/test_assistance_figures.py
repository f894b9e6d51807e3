"""Every figure of `GET /analytics/assistance`, as an officer reads it, against the same figure
computed here in plain Python over the requests and moves read through the API: for no
grouping, every dimension, two dimensions together and each filter."""

import datetime as dt
import re
import statistics
from collections import defaultdict
from collections.abc import Callable
from itertools import product
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.core.settings import Settings
from tests.analytics import support
from tests.analytics.support import Dataset, Json, Observed, analytics, flatten

connection = support.module_connection
built = support.built_once
rolled_back_each_test = support.savepoint_per_test

OUTCOME_OF_STAGE = {
    "submitted": "waiting",
    "in_triage": "in_triage",
    "info_requested": "in_triage",
    **{s: s for s in ("accepted", "matched", "in_delivery", "completed", "declined", "withdrawn")},
}
OUTCOMES: tuple[str, ...] = ("waiting", "in_triage", "accepted", "matched", "in_delivery")
OUTCOMES += ("completed", "declined", "withdrawn")
TIMED_STAGES = ("in_triage", "accepted", "matched", "in_delivery", "completed")
GROUP_FLAGS = {
    "ldc": "is_ldc",
    "lldc": "is_lldc",
    "sids": "is_sids",
    "conflict": "emerging_from_conflict",
    "particular_needs": "particular_needs",
}


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def working_days(start: dt.datetime, end: dt.datetime) -> int:
    """Monday-to-Friday days after the start's date up to and including the end's."""
    first, last = start.date(), end.date()
    days = (first + dt.timedelta(days=n) for n in range(1, (last - first).days + 1))
    return sum(1 for day in days if day.weekday() < 5)


def groups_of(state: Json) -> list[str]:
    return [name for name, flag in GROUP_FLAGS.items() if state[flag]] or ["none"]


def values_of(request: Json, dimension: str, seen: Observed) -> list[str | None]:
    """The request's values of a dimension (several for the multi-valued ones)."""
    state = seen.states[request["state_code"]]
    submitted = when(request["submitted_at"])
    goals = sorted({target.split(".")[0] for target in request["sdg_targets"]})
    by_dimension: dict[str, list[str | None]] = {
        "state": [state["code"]],
        "region": [state["region"]],
        "sub_region": [state["sub_region"]],
        "regional_group": [state["regional_group"]],
        "priority_group": list(groups_of(state)),
        "priority": ["other" if groups_of(state) == ["none"] else "priority"],
        "assistance_type": [request["assistance_type"]],
        "theme": list(request["themes"]) or [None],
        "sdg": list(goals) or [None],
        "language": list(request["languages"]),
        "quarter": [f"{submitted.year}-Q{(submitted.month - 1) // 3 + 1}"],
        "year": [str(submitted.year)],
    }
    return by_dimension[dimension]


def reached(request: Json, stage: str, seen: Observed) -> list[dt.datetime]:
    """When the request entered the stage, every time."""
    return [when(t["at"]) for t in seen.transitions[request["id"]] if t["to_stage"] == stage]


def stays(request: Json, stage: str, seen: Observed, as_of: dt.datetime) -> list[int]:
    """Working days of each stay at the stage; a stay still open runs to `as_of`."""
    lengths: list[int] = []
    opened = when(request["submitted_at"]) if stage == "submitted" else None
    for move in sorted(seen.transitions[request["id"]], key=lambda t: when(t["at"])):
        if move["to_stage"] == stage and opened is None:
            opened = when(move["at"])
        elif move["from_stage"] == stage and move["to_stage"] != stage and opened is not None:
            lengths.append(working_days(opened, when(move["at"])))
            opened = None
    if opened is not None:
        assert request["stage"] == stage
        lengths.append(working_days(opened, as_of))
    return lengths


def money(requests: list[Json], prefix: str = "") -> dict[str, Any]:
    def total(name: str) -> float:
        return float(sum(r[name] for r in requests if r[name] is not None))

    return {
        f"{prefix}requests": len(requests),
        f"{prefix}budget_estimate_usd": total("budget_estimate_usd"),
        f"{prefix}co_funding_usd": total("co_funding_usd"),
    }


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def figures(
    requests: list[Json], seen: Observed, as_of: dt.datetime, targets: dict[str, int]
) -> Json:
    """Every figure of one group, by dotted path."""
    flat = money(requests)
    for outcome in OUTCOMES:
        members = [r for r in requests if OUTCOME_OF_STAGE[r["stage"]] == outcome]
        flat.update(money(members, f"outcomes.{outcome}."))
    ever = {s: sum(1 for r in requests if reached(r, s, seen)) for s in (*TIMED_STAGES, "declined")}
    flat["acceptance_rate"] = ratio(ever["accepted"], ever["accepted"] + ever["declined"])
    flat["matching_rate"] = ratio(ever["matched"], ever["accepted"])
    flat["completion_rate"] = ratio(ever["completed"], ever["accepted"])
    for stage in TIMED_STAGES:
        days = [
            working_days(when(r["submitted_at"]), min(reached(r, stage, seen)))
            for r in requests
            if reached(r, stage, seen)
        ]
        flat[f"time_to_stage.{stage}.requests"] = len(days)
        flat[f"time_to_stage.{stage}.median_working_days"] = (
            statistics.median(days) if days else None
        )
        flat[f"time_to_stage.{stage}.p90_working_days"] = (
            float(np.percentile(days, 90)) if days else None
        )
    for stage, target in targets.items():
        lengths = [stays(r, stage, seen, as_of) for r in requests]
        stayed = [max(each) for each in lengths if each]
        past = sum(1 for longest in stayed if longest > target)
        flat.update(
            {f"past_target.{stage}.requests": len(stayed), f"past_target.{stage}.past": past}
        )
        flat[f"past_target.{stage}.share"] = ratio(past, len(stayed))
    return flat


Filter = Callable[[Json, Observed], bool]


def grouped(
    requests: list[Json], group_by: tuple[str, ...], seen: Observed
) -> dict[tuple[str | None, ...], list[Json]]:
    """The requests of each key; a request with several values of a dimension is in each."""
    buckets: dict[tuple[str | None, ...], list[Json]] = defaultdict(list)
    for request in requests:
        for key in product(*(values_of(request, d, seen) for d in group_by)):
            buckets[key].append(request)
    if not group_by:
        buckets[()] = requests  # the one group is there even when it holds no request
    return buckets


def expected(
    seen: Observed, group_by: tuple[str, ...], answer: Json, settings: Settings, keep: Filter
) -> dict[tuple[str | None, ...], Json]:
    requests = [r for r in seen.requests if keep(r, seen)]
    as_of, targets = when(answer["as_of"]), settings.service_targets
    buckets = grouped(requests, group_by, seen)
    return {k: figures(v, seen, as_of, targets) for k, v in buckets.items()}


def answered(answer: Json, group_by: tuple[str, ...]) -> dict[tuple[str | None, ...], Json]:
    found: dict[tuple[str | None, ...], Json] = {}
    for group in answer["groups"]:
        assert set(group["key"]) == set(group_by)
        assert (group["suppressed"], group["suppressed_figures"]) == (False, [])
        figures_only = {
            k: v for k, v in group.items() if k not in ("key", "suppressed", "suppressed_figures")
        }
        found[tuple(group["key"][d] for d in group_by)] = flatten(figures_only)
    return found


def everything(request: Json, seen: Observed) -> bool:
    return True


def check(
    client: TestClient,
    built: tuple[Dataset, Observed],
    settings: Settings,
    group_by: tuple[str, ...] = (),
    keep: Filter = everything,
    **params: str,
) -> dict[tuple[str | None, ...], Json]:
    data, seen = built
    if group_by:
        params["group_by"] = ",".join(group_by)
    answer = analytics(client, data.officer, **params)
    assert (answer["audience"], answer["min_cell"], answer["group_by"]) == (
        "ohchr",
        None,
        list(group_by),
    )
    want = expected(seen, group_by, answer, settings, keep)
    got = answered(answer, group_by)
    assert sorted(got, key=repr) == sorted(want, key=repr)
    for key, flat in want.items():
        assert got[key] == pytest.approx(flat), key
    return got


def test_the_data_reaches_every_outcome_and_every_timed_stage(
    built: tuple[Dataset, Observed],
) -> None:
    """So that the comparisons below compare real figures, not zeros."""
    _, seen = built
    assert len(seen.requests) == len([p for p in support.PLANS if p.verbs]) == 25
    assert {OUTCOME_OF_STAGE[r["stage"]] for r in seen.requests} == set(OUTCOMES)
    for stage in TIMED_STAGES:
        assert sum(1 for r in seen.requests if reached(r, stage, seen)) >= 3, stage
    assert len({when(r["submitted_at"]).year for r in seen.requests}) >= 2


def test_without_group_by_one_group_holds_every_submitted_request(
    client: TestClient, built: tuple[Dataset, Observed], settings: Settings
) -> None:
    got = check(client, built, settings)
    assert got[()]["requests"] == 25
    assert got[()]["budget_estimate_usd"] == pytest.approx(472_500.0)


def test_as_of_is_the_moment_of_the_question(
    client: TestClient, built: tuple[Dataset, Observed]
) -> None:
    before = dt.datetime.now(dt.UTC)
    answer = analytics(client, built[0].officer)
    assert before - dt.timedelta(seconds=1) <= when(answer["as_of"]) <= dt.datetime.now(dt.UTC)


@pytest.mark.parametrize("dimension", support.DIMENSIONS)
def test_each_dimension_groups_as_computed_from_the_rows(
    client: TestClient, built: tuple[Dataset, Observed], settings: Settings, dimension: str
) -> None:
    got = check(client, built, settings, (dimension,))
    assert len(got) >= 2


@pytest.mark.parametrize(
    "group_by", [("region", "quarter"), ("priority_group", "theme"), ("language", "sdg")]
)
def test_two_dimensions_group_by_every_pair_of_values(
    client: TestClient,
    built: tuple[Dataset, Observed],
    settings: Settings,
    group_by: tuple[str, str],
) -> None:
    check(client, built, settings, group_by)


def _of_state(field: str, value: object) -> Filter:
    return lambda r, seen: seen.states[r["state_code"]][field] == value


def _submitted_between(first: dt.date, last: dt.date) -> Filter:
    return lambda r, seen: first <= when(r["submitted_at"]).date() <= last


FILTERS: dict[str, tuple[dict[str, str], Filter]] = {
    "region": ({"region": "Africa"}, _of_state("region", "Africa")),
    "region names a sub-region": ({"region": "Caribbean"}, _of_state("sub_region", "Caribbean")),
    "sub_region": ({"sub_region": "South America"}, _of_state("sub_region", "South America")),
    "regional_group": (
        {"regional_group": "Asia-Pacific States"},
        _of_state("regional_group", "Asia-Pacific States"),
    ),
    "priority_group": ({"priority_group": "ldc"}, _of_state("is_ldc", True)),
    "conflict": ({"priority_group": "conflict"}, _of_state("emerging_from_conflict", True)),
    "state": ({"state": "HTI"}, lambda r, seen: r["state_code"] == "HTI"),
    "assistance_type": (
        {"assistance_type": "nmrf_support"},
        lambda r, seen: r["assistance_type"] == "nmrf_support",
    ),
    "theme": ({"theme": "A12"}, lambda r, seen: "A12" in r["themes"]),
    "sdg goal": ({"sdg": "16"}, lambda r, seen: any(t.startswith("16.") for t in r["sdg_targets"])),
    "sdg target": ({"sdg": "16.3"}, lambda r, seen: "16.3" in r["sdg_targets"]),
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_a_filter_keeps_the_requests_it_names(
    client: TestClient, built: tuple[Dataset, Observed], settings: Settings, name: str
) -> None:
    params, keep = FILTERS[name]
    got = check(client, built, settings, ("state",), keep, **params)
    assert len(got) >= 1


@pytest.mark.parametrize("params", [{"theme": "A3"}, {"sdg": "1"}, {"state": "FRA"}])
def test_a_filter_no_request_matches_leaves_one_empty_group(
    client: TestClient, built: tuple[Dataset, Observed], settings: Settings, params: dict[str, str]
) -> None:
    got = check(client, built, settings, (), lambda r, seen: False, **params)
    assert (got[()]["requests"], got[()]["acceptance_rate"]) == (0, None)


def test_from_and_to_bound_the_submission_date_inclusively(
    client: TestClient, built: tuple[Dataset, Observed], settings: Settings
) -> None:
    days = sorted(when(r["submitted_at"]).date() for r in built[1].requests)
    first, last = days[3], days[-4]
    params = {"from": first.isoformat(), "to": last.isoformat()}
    got = check(client, built, settings, ("quarter",), _submitted_between(first, last), **params)
    assert sum(g["requests"] for g in got.values()) == len(days) - 6


@pytest.mark.parametrize("which", [0, -1])
def test_year_is_the_calendar_year_of_submission(
    client: TestClient, built: tuple[Dataset, Observed], settings: Settings, which: int
) -> None:
    year = sorted(when(r["submitted_at"]).year for r in built[1].requests)[which]
    keep = _submitted_between(dt.date(year, 1, 1), dt.date(year, 12, 31))
    check(client, built, settings, ("quarter",), keep, year=str(year))


def test_filters_and_group_by_combine(
    client: TestClient, built: tuple[Dataset, Observed], settings: Settings
) -> None:
    def keep(r: Json, seen: Observed) -> bool:
        return seen.states[r["state_code"]]["region"] == "Americas" and "A12" in r["themes"]

    check(client, built, settings, ("state", "year"), keep, region="Americas", theme="A12")


def natural(text: str) -> list[tuple[int, int | str]]:
    """A3 before A12, goal 5 before goal 16."""
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.findall(r"\d+|\D+", text)]


def test_groups_come_sorted_by_key_with_null_last(
    client: TestClient, built: tuple[Dataset, Observed]
) -> None:
    answer = analytics(client, built[0].officer, group_by="theme,region")
    keys = [(g["key"]["theme"], g["key"]["region"]) for g in answer["groups"]]
    assert keys == sorted(keys, key=lambda k: [(v is None, natural(v or "")) for v in k])
    assert keys[-1][0] is None


def test_numbered_keys_come_in_numeric_order(
    client: TestClient, built: tuple[Dataset, Observed]
) -> None:
    answer = analytics(client, built[0].officer, group_by="sdg")
    goals = [int(g["key"]["sdg"]) for g in answer["groups"] if g["key"]["sdg"] is not None]
    assert len(goals) > 2 and any(goal >= 10 for goal in goals)
    assert goals == sorted(goals)
