"""Who counts what in `GET /analytics/assistance`: each role against published and unpublished
requests of its own and other States; small cells withheld from everyone but OHCHR; and no
combination of filters and groupings that lets a State (or anyone) learn of another State's
unpublished requests."""

import dataclasses
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from tests.analytics import support
from tests.analytics import test_assistance_figures as figures
from tests.analytics.support import (
    Dataset,
    Headers,
    Json,
    Observed,
    Plan,
    analytics,
    make_planned,
)
from tests.factories import auth, make_user

connection = support.module_connection
built = support.built_once
rolled_back_each_test = support.savepoint_per_test

A, B, C = "NPL", "CHL", "HTI"
Bases = dict[str, list[Json]]
NOT_FIGURES = ("key", "suppressed", "suppressed_figures")
# Whose unpublished (submitted) requests each caller counts; everyone counts published ones.
UNPUBLISHED_COUNTED: dict[str, set[str]] = {
    "anonymous": set(),
    "provider": set(),
    "provider with offers": set(),
    "contributor of A": {A},
    "focal point of A": {A},
    "focal point of B": {B},
    "officer": set(support.STATES),
    "admin": set(support.STATES),
}
AUDIENCE = {"officer": "ohchr", "admin": "ohchr", "anonymous": "public", "provider": "public"}
AUDIENCE |= {"provider with offers": "public", "contributor of A": "state"}
AUDIENCE |= {"focal point of A": "state", "focal point of B": "state"}


def caller(role: str, db: Session, settings: Settings, data: Dataset) -> Headers:
    accounts = {
        "provider": (Role.provider, None),
        "contributor of A": (Role.state_contributor, A),
        "focal point of A": (Role.state_focal_point, A),
        "focal point of B": (Role.state_focal_point, B),
        "officer": (Role.ohchr_officer, None),
        "admin": (Role.ohchr_admin, None),
    }
    if role == "anonymous":
        return {}
    if role == "provider with offers":
        return data.provider
    kind, state = accounts[role]
    return auth(settings, make_user(db, role=kind, state=state))


def counted(seen: Observed, role: str, state: str) -> list[Json]:
    return [
        r
        for r in seen.requests
        if r["state_code"] == state
        and (r["visibility"] == "public" or state in UNPUBLISHED_COUNTED[role])
    ]


def totals(group: Json) -> tuple[Any, Any, Any]:
    return group["requests"], group["budget_estimate_usd"], group["co_funding_usd"]


@pytest.fixture
def every_cell_shown(settings: Settings) -> None:
    """Exact counts, whatever their size (the app reads this settings object)."""
    settings.public_min_cell = 1


@pytest.mark.usefixtures("every_cell_shown")
@pytest.mark.parametrize("state", [A, B, C])
@pytest.mark.parametrize("role", list(UNPUBLISHED_COUNTED))
def test_each_role_counts_published_requests_and_its_own_states_unpublished_ones(
    client: TestClient,
    db: Session,
    settings: Settings,
    built: tuple[Dataset, Observed],
    role: str,
    state: str,
) -> None:
    data, seen = built
    mine = counted(seen, role, state)
    budget = float(sum(r["budget_estimate_usd"] or 0 for r in mine))
    co_funding = float(sum(r["co_funding_usd"] or 0 for r in mine))

    (group,) = analytics(client, caller(role, db, settings, data), state=state)["groups"]

    assert totals(group) == (len(mine), pytest.approx(budget), pytest.approx(co_funding))


def test_the_cells_of_the_matrix_differ_so_the_counts_tell_them_apart(
    built: tuple[Dataset, Observed],
) -> None:
    _, seen = built
    for state in (A, B, C):
        published = counted(seen, "anonymous", state)
        unpublished = [r for r in counted(seen, "officer", state) if r not in published]
        assert published and unpublished, state
        assert sum(r["budget_estimate_usd"] or 0 for r in unpublished) > 0, state


@pytest.mark.usefixtures("every_cell_shown")
@pytest.mark.parametrize("role", list(UNPUBLISHED_COUNTED))
def test_each_role_is_told_its_audience_and_sees_only_groups_it_may_count(
    client: TestClient, db: Session, settings: Settings, built: tuple[Dataset, Observed], role: str
) -> None:
    data, seen = built
    answer = analytics(client, caller(role, db, settings, data), group_by="state")
    ohchr = AUDIENCE[role] == "ohchr"
    assert (answer["audience"], answer["min_cell"]) == (AUDIENCE[role], None if ohchr else 1)
    expected = {s: len(counted(seen, role, s)) for s in support.STATES if counted(seen, role, s)}
    assert {g["key"]["state"]: g["requests"] for g in answer["groups"]} == expected


def test_drafts_count_for_nobody_not_even_their_state(
    client: TestClient, db: Session, settings: Settings, built: tuple[Dataset, Observed]
) -> None:
    data, _ = built
    for role in ("focal point of A", "officer"):
        (group,) = analytics(client, caller(role, db, settings, data), state=A)["groups"]
        assert group["budget_estimate_usd"] == pytest.approx(123_000.0), role


def figures_of(group: Json) -> dict[str, Any]:
    return support.flatten({k: v for k, v in group.items() if k != "key"})


def by_state(answer: Json) -> dict[str | None, Json]:
    return {g["key"]["state"]: g for g in answer["groups"]}


def test_a_group_of_one_or_two_published_requests_is_withheld_from_the_public_only(
    client: TestClient, db: Session, settings: Settings, built: tuple[Dataset, Observed]
) -> None:
    data, _ = built
    assert settings.public_min_cell == 3
    public = analytics(client, {}, group_by="state")
    officer = by_state(analytics(client, data.officer, group_by="state"))
    assert public["min_cell"] == 3
    for state, published in (("CHL", 2), ("KEN", 1)):
        group = by_state(public)[state]
        flat = figures_of(group)
        assert group["suppressed"] is True, state
        assert {"requests", "budget_estimate_usd", "outcomes.waiting.requests"} <= set(
            group["suppressed_figures"]
        )
        assert {path for path, value in flat.items() if value is not None} == {
            "suppressed",
            "suppressed_figures",
        }, state
        assert (officer[state]["suppressed"], officer[state]["suppressed_figures"]) == (False, [])
        assert officer[state]["requests"] > published
    assert by_state(public)["WSM"]["requests"] == 3


def test_a_states_own_group_is_never_withheld_from_it(
    client: TestClient, db: Session, settings: Settings, built: tuple[Dataset, Observed]
) -> None:
    """Its groups of one request show every figure, as OHCHR reads them."""
    focal = caller("focal point of A", db, settings, built[0])
    answer = analytics(client, focal, group_by="state,assistance_type")
    officer = analytics(client, built[0].officer, group_by="state,assistance_type", state=A)
    own = [g for g in answer["groups"] if g["key"]["state"] == A]
    assert {g["key"]["assistance_type"]: g["requests"] for g in own} == {
        "legislative_review": 1,
        "training_of_officials": 5,
    }
    assert own == officer["groups"]
    others = [g for g in answer["groups"] if g["key"]["state"] == "KEN"]
    assert others and all(g["suppressed"] and g["requests"] is None for g in others)


def bases(requests: list[Json], seen: Observed, as_of: Any, targets: dict[str, int]) -> Bases:
    """The requests each figure is drawn from, by dotted path."""

    def ever(stage: str) -> list[Json]:
        return [r for r in requests if figures.reached(r, stage, seen)]

    drawn: Bases = dict.fromkeys(support.MONEY, requests)
    for outcome in figures.OUTCOMES:
        members = [r for r in requests if figures.OUTCOME_OF_STAGE[r["stage"]] == outcome]
        drawn |= {f"outcomes.{outcome}.{name}": members for name in support.MONEY}
    drawn["acceptance_rate"] = ever("accepted") + ever("declined")
    drawn["matching_rate"] = drawn["completion_rate"] = ever("accepted")
    for stage in figures.TIMED_STAGES:
        names = ("requests", "median_working_days", "p90_working_days")
        drawn |= {f"time_to_stage.{stage}.{name}": ever(stage) for name in names}
    for stage in targets:
        stayed = [r for r in requests if figures.stays(r, stage, seen, as_of)]
        drawn |= {f"past_target.{stage}.{name}": stayed for name in ("requests", "past", "share")}
    return drawn


def withheld(drawn: Bases, own: str | None, min_cell: int) -> tuple[set[str], set[str]]:
    """The figures withheld by their own basis, and the outcomes of which one more is withheld
    with a lone withheld outcome (the smallest other with other States' requests; ties: any)."""

    def foreign(requests: list[Json]) -> int:
        return sum(1 for r in requests if r["state_code"] != own)

    if 0 < foreign(drawn["requests"]) < min_cell:
        return set(drawn), set()
    sure = {path for path, requests in drawn.items() if 0 < foreign(requests) < min_cell}
    small = {o for o in figures.OUTCOMES if f"outcomes.{o}.requests" in sure}
    others = {o: foreign(drawn[f"outcomes.{o}.requests"]) for o in figures.OUTCOMES}
    others = {o: n for o, n in others.items() if n > 0 and o not in small}
    if len(small) != 1 or not others:
        return sure, set()
    return sure, {o for o, n in others.items() if n == min(others.values())}


@pytest.mark.parametrize(
    "group_by", ["", "state", "region", "priority_group", "sdg", "quarter", "theme,year"]
)
@pytest.mark.parametrize("role", ["anonymous", "focal point of A"])
@pytest.mark.parametrize("min_cell", [2, 3])
def test_exactly_the_figures_drawn_from_too_few_of_other_states_requests_are_withheld(
    client: TestClient,
    db: Session,
    settings: Settings,
    built: tuple[Dataset, Observed],
    role: str,
    group_by: str,
    min_cell: int,
) -> None:
    data, seen = built
    settings.public_min_cell = min_cell
    own = A if role == "focal point of A" else None
    answer = analytics(client, caller(role, db, settings, data), group_by=group_by)
    dimensions = tuple(d for d in group_by.split(",") if d)
    visible = [r for r in seen.requests if r["visibility"] == "public" or r["state_code"] == own]
    as_of, targets = figures.when(answer["as_of"]), settings.service_targets
    buckets = figures.grouped(visible, dimensions, seen)
    keys = [tuple(g["key"][d] for d in dimensions) for g in answer["groups"]]
    assert sorted(keys, key=repr) == sorted(buckets, key=repr)
    for key, group in zip(keys, answer["groups"], strict=True):
        members = buckets[key]
        sure, tied = withheld(bases(members, seen, as_of, targets), own, min_cell)
        found = set(group["suppressed_figures"])
        extra = {path.split(".")[1] for path in found - sure if path.startswith("outcomes.")}
        assert sure <= found, key
        assert len(extra) == (1 if tied else 0) and extra <= tied, key
        assert found - sure == {f"outcomes.{o}.{name}" for o in extra for name in support.MONEY}
        assert group["suppressed"] is bool(found)
        shown = support.flatten({k: v for k, v in group.items() if k not in NOT_FIGURES})
        want = figures.figures(members, seen, as_of, targets) | dict.fromkeys(found)
        assert shown == pytest.approx(want), key


def test_a_withheld_outcome_takes_the_next_smallest_with_it(
    client: TestClient, db: Session, settings: Settings, built: tuple[Dataset, Observed]
) -> None:
    """Declined (1) is withheld, so waiting (3, the smallest other) is too: else the public
    could subtract the shown outcomes from `requests` (8)."""
    focal = auth(settings, make_user(db, role=Role.state_focal_point, state="URY"))
    data = dataclasses.replace(built[0], focal={"URY": focal})
    for path, count in (("wait", 3), ("triage", 4), ("decline", 1)):
        for _ in range(count):
            plan = Plan("URY", path, "", True, 1_000, None, "", "", "es", support.TRAINING)
            make_planned(client, data, plan)

    (group,) = analytics(client, {}, state="URY")["groups"]
    (whole,) = analytics(client, data.officer, state="URY")["groups"]

    outcomes = {name: cell["requests"] for name, cell in group["outcomes"].items()}
    assert outcomes == {
        **dict.fromkeys(group["outcomes"], 0),
        "waiting": None,
        "declined": None,
        "in_triage": 4,
    }
    assert {f"outcomes.{o}.{f}" for o in ("waiting", "declined") for f in support.MONEY} <= set(
        group["suppressed_figures"]
    )
    assert not [p for p in group["suppressed_figures"] if p.startswith("outcomes.in_triage")]
    assert (group["requests"], group["budget_estimate_usd"]) == (8, 8_000.0)
    assert (
        whole["outcomes"]["waiting"]["requests"],
        whole["outcomes"]["declined"]["requests"],
    ) == (3, 1)


def changed_answers(
    client: TestClient, headers: Headers, data: Dataset, seen: Observed
) -> list[dict[str, str]]:
    """The questions whose answers change when A's unpublished requests do."""
    asked = support.questions(seen)
    assert len(asked) > 200
    before = support.answers(client, headers, asked)
    support.change_nepals_unpublished_requests(client, data)
    after = support.answers(client, headers, asked)
    return [params for params, old, new in zip(asked, before, after, strict=True) if old != new]


@pytest.mark.parametrize("role", ["focal point of B", "anonymous"])
def test_no_question_tells_anyone_of_a_change_to_another_states_unpublished_requests(
    client: TestClient, db: Session, settings: Settings, built: tuple[Dataset, Observed], role: str
) -> None:
    data, seen = built
    assert changed_answers(client, caller(role, db, settings, data), data, seen) == []


def test_the_same_questions_do_tell_a_of_the_change(
    client: TestClient, db: Session, settings: Settings, built: tuple[Dataset, Observed]
) -> None:
    """The proof above could not pass by asking questions that see nothing."""
    data, seen = built
    changed = changed_answers(client, caller("focal point of A", db, settings, data), data, seen)
    assert {} in changed
    assert {"assistance_type": "transitional_justice", "group_by": "state,quarter"} in changed
