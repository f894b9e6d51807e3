"""Priority explains itself and resists inflation: countries with special needs (LDC, LLDC,
SIDS), conflict and particular needs are the largest parts; what a State declares about its own
request (urgency, shortfall severity) is capped below every one of them; each part carries its
weight and a sentence; a `PRIORITY_WEIGHTS` that breaks the cap is refused when settings load."""

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlmodel import Session

from app.assistance.models import RequestStage, Urgency
from app.assistance.priority import FLAGS, PriorityInputs, priority
from app.core.models import utcnow
from app.core.principal import Role
from app.core.settings import PriorityWeights, Settings
from app.shortfalls.models import Severity
from tests.assistance.helpers import REQUESTS, ids, make_request, make_shortfall
from tests.factories import auth, make_user

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
SPECIAL_NEEDS = [name for name, *_ in FLAGS]
INPUT_FLAG = {name: flag for name, flag, *_ in FLAGS}
LEVELS = ["low", "medium", "high", "critical"]


def _inputs(
    flags: set[str], urgency: str, severity: str | None, waited_days: int
) -> PriorityInputs:
    return PriorityInputs(
        is_ldc="ldc" in flags,
        is_lldc="lldc" in flags,
        is_sids="sids" in flags,
        emerging_from_conflict="emerging_from_conflict" in flags,
        particular_needs="particular_needs" in flags,
        urgency=urgency,
        worst_shortfall_severity=severity,
        submitted_at=NOW - dt.timedelta(days=waited_days),
    )


@st.composite
def valid_weights(draw: st.DrawFn) -> PriorityWeights:
    """Any weights the settings accept: the defaults, or drawn with the cap below them all."""
    if draw(st.booleans()):
        return PriorityWeights()
    points = st.floats(min_value=0, max_value=10, allow_nan=False)
    special = {name: draw(st.floats(min_value=0.01, max_value=10)) for name in SPECIAL_NEEDS}
    # Below the smallest, by more than floating-point rounding of the sums.
    cap = min(special.values()) * draw(st.floats(min_value=0, max_value=0.999))
    return PriorityWeights(
        **special,
        self_declared_cap=cap,
        urgency={level: draw(points) for level in LEVELS},
        shortfall_severity={level: draw(points) for level in LEVELS},
        waiting_per_day=draw(st.floats(min_value=0, max_value=1)),
        waiting_cap=draw(points),
    )


def _lowest(levels: dict[str, float]) -> str:
    return min(levels, key=lambda level: levels[level])


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    weights=valid_weights(),
    special=st.sampled_from(SPECIAL_NEEDS),
    shared=st.sets(st.sampled_from(SPECIAL_NEEDS)),
    urgency=st.sampled_from(LEVELS),
    severity=st.none() | st.sampled_from(LEVELS),
    lowest_severity=st.booleans(),
    waited_days=st.integers(min_value=0, max_value=400),
)
def test_nothing_a_state_declares_outranks_a_country_with_special_needs(
    weights: PriorityWeights,
    special: str,
    shared: set[str],
    urgency: str,
    severity: str | None,
    lowest_severity: bool,
    waited_days: int,
) -> None:
    others = shared - {special}
    declaring = _inputs(others, urgency, severity, waited_days)
    lowest = _lowest(weights.shortfall_severity) if lowest_severity else None
    modest = _inputs(others | {special}, _lowest(weights.urgency), lowest, waited_days)

    declared, raised = priority(declaring, weights, NOW), priority(modest, weights, NOW)

    assert raised.score > declared.score
    assert raised.parts[special] == getattr(weights, special)
    self_declared = declared.parts["urgency"] + declared.parts["shortfall_severity"]
    # Relative rounding, and an absolute bound for caps so small they are subnormal (1e-323).
    assert self_declared <= weights.self_declared_cap * (1 + 1e-9) + 1e-300


@hypothesis_settings(max_examples=200, deadline=None)
@given(
    weights=valid_weights(),
    flags=st.sets(st.sampled_from(SPECIAL_NEEDS)),
    urgency=st.sampled_from(LEVELS),
    severity=st.none() | st.sampled_from(LEVELS),
    waited_days=st.integers(min_value=0, max_value=400),
)
def test_every_part_is_explained_and_the_points_sum_to_the_score(
    weights: PriorityWeights,
    flags: set[str],
    urgency: str,
    severity: str | None,
    waited_days: int,
) -> None:
    result = priority(_inputs(flags, urgency, severity, waited_days), weights, NOW)

    assert [p.part for p in result.explanation] == list(result.parts)
    assert set(result.parts) == {*SPECIAL_NEEDS, "urgency", "shortfall_severity", "waiting"}
    for part in result.explanation:
        assert part.part and part.text
        assert part.points == result.parts[part.part]
        assert part.weight >= 0
    assert result.score == sum(p.points for p in result.explanation)
    for name in SPECIAL_NEEDS:
        assert result.parts[name] == (getattr(weights, name) if name in flags else 0.0)


def test_the_sentences_say_what_each_part_is_worth() -> None:
    inputs = _inputs({"ldc", "lldc"}, "critical", None, 40)

    result = priority(inputs, PriorityWeights(), NOW)

    texts = {p.part: p.text for p in result.explanation}
    assert texts["ldc"] == "least developed country +3"
    assert texts["lldc"] == "landlocked developing country +2"
    assert texts["sids"] == "not a small island developing State +0"
    assert texts["urgency"] == "urgency declared critical +1.5 (self-declared, capped)"
    assert texts["shortfall_severity"] == "no linked shortfall +0 (self-declared, capped)"
    assert texts["waiting"] == "waiting 40 days +2"
    weights = {p.part: p.weight for p in result.explanation}
    assert (weights["ldc"], weights["lldc"], weights["urgency"], weights["waiting"]) == (
        3.0,
        2.0,
        1.5,
        0.05,
    )
    assert result.score == pytest.approx(3 + 2 + 1.5 + 2)


def test_declaring_more_than_the_cap_scales_both_self_declared_parts_down() -> None:
    inputs = _inputs(set(), "critical", "critical", 0)

    result = priority(inputs, PriorityWeights(), NOW)

    assert result.parts["urgency"] == result.parts["shortfall_severity"] == 0.75
    texts = {p.part: p.text for p in result.explanation}
    assert texts["urgency"] == "urgency declared critical +0.75 (self-declared, capped from +1.5)"
    assert texts["shortfall_severity"] == (
        "worst linked shortfall declared critical +0.75 (self-declared, capped from +1.5)"
    )


def test_waiting_beyond_its_cap_says_so() -> None:
    result = priority(_inputs(set(), "low", None, 100), PriorityWeights(), NOW)

    (waiting,) = [p for p in result.explanation if p.part == "waiting"]
    assert (waiting.points, waiting.text) == (3.0, "waiting 100 days +3 (capped)")


def test_the_defaults_keep_the_cap_below_every_special_needs_weight() -> None:
    weights = PriorityWeights()

    assert weights.lldc > 0
    assert weights.self_declared_cap < min(weights.special_needs().values())
    assert max(weights.urgency.values()) + max(weights.shortfall_severity.values()) > (
        weights.self_declared_cap
    )


@pytest.mark.parametrize(
    "weights",
    [
        '{"self_declared_cap": 2}',
        '{"self_declared_cap": 5}',
        '{"lldc": 1}',
        '{"particular_needs": 0}',
        '{"ldc": 1.5}',
    ],
)
def test_weights_that_let_self_declared_values_outweigh_special_needs_are_refused_at_startup(
    monkeypatch: pytest.MonkeyPatch, weights: str
) -> None:
    monkeypatch.setenv("PRIORITY_WEIGHTS", weights)

    with pytest.raises(ValidationError, match=r"self_declared_cap .* must be below"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_negative_self_declared_levels_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIORITY_WEIGHTS", '{"urgency": {"low": -4}}')

    with pytest.raises(ValidationError, match="less than 0: low"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_weights_that_keep_the_cap_below_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIORITY_WEIGHTS", '{"ldc": 4, "lldc": 1, "self_declared_cap": 0.9}')

    loaded = Settings(_env_file=None).priority_weights  # type: ignore[call-arg]

    assert (loaded.ldc, loaded.lldc, loaded.self_declared_cap) == (4.0, 1.0, 0.9)


def _queue(client: TestClient, db: Session, settings: Settings) -> list[dict[str, Any]]:
    officer = auth(settings, make_user(db, role=Role.ohchr_officer))
    response = client.get(REQUESTS, params={"sort": "-priority"}, headers=officer)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _submitted(db: Session, state: str, **kwargs: Any) -> Any:
    at = utcnow() - dt.timedelta(days=1)
    stage = RequestStage.submitted
    return make_request(
        db, state=state, stage=stage, submitted_at=at, stage_entered_at=at, **kwargs
    )


def test_a_landlocked_developing_country_outranks_an_identical_request_from_elsewhere(
    client: TestClient, db: Session, settings: Settings
) -> None:
    france, mongolia = _submitted(db, "FRA"), _submitted(db, "MNG")

    queue = _queue(client, db, settings)

    assert ids({"items": queue}) == [str(mongolia.id), str(france.id)]
    first, second = (item["priority"] for item in queue)
    lldc = settings.priority_weights.lldc
    assert (first["parts"]["lldc"], second["parts"]["lldc"]) == (lldc, 0.0)
    assert first["parts"]["ldc"] == 0.0
    assert first["score"] == pytest.approx(second["score"] + lldc)
    (explained,) = [p for p in first["explanation"] if p["part"] == "lldc"]
    assert explained == {
        "part": "lldc",
        "points": lldc,
        "text": "landlocked developing country +2",
        "weight": lldc,
        "value": None,
    }


def test_declaring_everything_critical_does_not_outrank_an_lldc_declaring_little(
    client: TestClient, db: Session, settings: Settings
) -> None:
    critical = make_shortfall(db, state="FRA", severity=Severity.critical)
    low = make_shortfall(db, state="MNG", severity=Severity.low)
    loud = _submitted(db, "FRA", urgency=Urgency.critical, shortfalls=(critical,))
    quiet = _submitted(db, "MNG", urgency=Urgency.low, shortfalls=(low,))

    queue = _queue(client, db, settings)

    assert ids({"items": queue}) == [str(quiet.id), str(loud.id)]
    parts = queue[0]["priority"]["parts"]
    assert (parts["ldc"], parts["lldc"], parts["urgency"]) == (0.0, 2.0, 0.0)
    loud_parts = queue[1]["priority"]["parts"]
    assert loud_parts["urgency"] + loud_parts["shortfall_severity"] == pytest.approx(1.5)
