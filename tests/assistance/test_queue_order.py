"""Lists in a computed order (priority, age) read only what the order needs for the whole list
and the page in full: the pages, their boundaries and the cursor across them must be exactly
what a straightforward computation gives (every visible request shown with `view`, filtered,
sorted by the same key, sliced)."""

import datetime as dt
import random
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.assistance import service
from app.assistance.models import AssistanceRequest, RequestStage, Urgency
from app.assistance.priority import PriorityInputs, priority, score
from app.assistance.schemas import AnyRequestView, OfficerRequestView
from app.core.models import utcnow
from app.core.principal import Principal, PrincipalKind, Role
from app.core.settings import PriorityWeights, Settings
from app.shortfalls.models import Severity
from app.states.models import State
from tests.assistance.helpers import REQUESTS, make_request, make_shortfall
from tests.factories import auth, make_user

# States with different flags (an LDC, a SIDS, neither, ...) in different regions.
STATES = ("FRA", "NPL", "JAM", "COL", "WSM", "AFG", "BOL", "KEN", "FJI", "DNK")


def _seed(db: Session, seed: int) -> None:
    draw = random.Random(seed)
    shortfalls = {
        state: [make_shortfall(db, state=state, severity=s) for s in Severity] for state in STATES
    }
    now = utcnow()
    for _ in range(100):
        state = draw.choice(STATES)
        submitted = now - dt.timedelta(days=draw.randint(0, 40), hours=draw.randint(0, 23))
        make_request(
            db,
            state=state,
            stage=draw.choice(list(RequestStage)),
            urgency=draw.choice(list(Urgency)),
            submitted_at=submitted,
            stage_entered_at=submitted + dt.timedelta(days=draw.randint(0, 5)),
            shortfalls=tuple(draw.sample(shortfalls[state], draw.randint(0, 3))),
            published=draw.random() < 0.3,
        )


def _reference(
    db: Session,
    who: Principal,
    settings: Settings,
    as_of: dt.datetime,
    sort: str,
    overdue: bool | None = None,
    **equal: Any,
) -> list[AnyRequestView]:
    """The old computation: every visible request of the filter shown by `view`, then
    filtered, then sorted by (score or moment, id)."""
    rows = [
        r
        for r in db.exec(select(AssistanceRequest).where(service._visible_clause(who))).all()
        if all(_matches(db, r, name, value) for name, value in equal.items())
    ]
    views = service.view(db, who, rows, now=as_of, settings=settings)
    if overdue is not None:
        views = [v for v in views if isinstance(v, OfficerRequestView) and v.overdue is overdue]
    descending = sort.startswith("-")

    def key(item: AnyRequestView) -> tuple[Any, ...]:
        if sort.lstrip("-") == "priority":
            assert isinstance(item, OfficerRequestView)
            value = item.priority.score
        else:
            value = (item.submitted_at or item.created_at).timestamp()
        return (-value if descending else value, str(item.id))

    return sorted(views, key=key)


def _matches(db: Session, request: AssistanceRequest, name: str, value: Any) -> bool:
    if name == "region":
        state = db.get(State, request.state_code)
        assert state is not None
        return value in (state.region, state.sub_region)
    if name == "open_only":
        return not value or request.stage not in service.FINAL
    return bool(getattr(request, name) == value)


def _walk(
    db: Session,
    who: Principal,
    settings: Settings,
    as_of: dt.datetime,
    sort: str,
    limit: int,
    **filters: Any,
) -> list[AnyRequestView]:
    """Every page of the list from a cursor computed at `as_of`."""
    cursor: str | None = service._encode_cursor(settings, sort, as_of, 0)
    walked: list[AnyRequestView] = []
    while cursor is not None:
        page, cursor = service.list_requests(
            db, who, settings, sort=sort, limit=limit, cursor=cursor, **filters
        )
        assert len(page) <= limit
        assert cursor is None or len(page) == limit
        walked += page
    return walked


def _json(views: list[AnyRequestView]) -> list[str]:
    return [v.model_dump_json() for v in views]


CASES = [
    ("-priority", {}),
    ("-priority", {"stage": RequestStage.submitted}),
    ("priority", {"open_only": True}),
    ("-priority", {"overdue": True}),
    ("-priority", {"overdue": False, "region": "Asia"}),
    ("age", {}),
    ("-age", {"open_only": True}),
]


@pytest.mark.parametrize(("sort", "filters"), CASES)
@pytest.mark.parametrize("days_later", [0, 9])
def test_every_page_of_a_computed_order_is_the_straightforward_computations(
    db: Session, settings: Settings, sort: str, filters: dict[str, Any], days_later: int
) -> None:
    _seed(db, seed=17)
    officer = make_user(db, role=Role.ohchr_officer)
    who = Principal(officer.id, PrincipalKind.user, Role.ohchr_officer, None)
    as_of = utcnow() + dt.timedelta(days=days_later)
    overdue = filters.get("overdue")
    equal = {k: v for k, v in filters.items() if k != "overdue"}

    expected = _reference(db, who, settings, as_of, sort, overdue, **equal)

    assert len(expected) > 3
    for limit in (1, 7, len(expected), len(expected) + 3):
        assert _json(_walk(db, who, settings, as_of, sort, limit, **filters)) == _json(expected)


@pytest.mark.parametrize("sort", ["age", "-age"])
def test_a_states_own_requests_by_age_are_the_straightforward_computations(
    db: Session, settings: Settings, sort: str
) -> None:
    _seed(db, seed=23)
    who = Principal(make_user(db).id, PrincipalKind.user, Role.state_focal_point, "NPL")
    as_of = utcnow()

    expected = _reference(db, who, settings, as_of, sort)

    assert expected
    assert not any(isinstance(v, OfficerRequestView) for v in expected)
    assert _json(_walk(db, who, settings, as_of, sort, 5)) == _json(expected)


def test_the_officers_queue_of_a_region_walked_by_its_cursor(
    client: TestClient, db: Session, settings: Settings
) -> None:
    _seed(db, seed=31)
    officer = make_user(db, role=Role.ohchr_officer)
    headers = auth(settings, officer)
    params = {"stage": "submitted", "region": "Asia", "sort": "-priority", "limit": 1}
    pages: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = client.get(
            REQUESTS, params={**params, **({"cursor": cursor} if cursor else {})}, headers=headers
        )
        assert response.status_code == 200, response.text
        pages.append(response.json())
        cursor = pages[-1]["next_cursor"]
        if cursor is None:
            break
    assert len(pages) > 1
    as_of, _ = service._decode_cursor(settings, "-priority", pages[0]["next_cursor"])
    who = Principal(officer.id, PrincipalKind.user, Role.ohchr_officer, None)

    expected = _reference(
        db, who, settings, as_of, "-priority", stage=RequestStage.submitted, region="Asia"
    )

    walked = [item for page in pages for item in page["items"]]
    assert walked == [v.model_dump(mode="json") for v in expected]


def test_the_score_a_queue_sorts_by_is_the_priority_s_score_to_the_bit() -> None:
    draw = random.Random(5)
    now = utcnow()
    levels = [*Urgency, None]
    for _ in range(2000):
        weights = PriorityWeights(
            waiting_per_day=draw.choice([0.05, 0.1, 1 / 3]),
            self_declared_cap=draw.choice([0.5, 1.0, 1.9]),
        )
        inputs = PriorityInputs(
            is_ldc=draw.random() < 0.5,
            is_lldc=draw.random() < 0.5,
            is_sids=draw.random() < 0.5,
            emerging_from_conflict=draw.random() < 0.5,
            particular_needs=draw.random() < 0.5,
            urgency=draw.choice(list(Urgency)).value,
            worst_shortfall_severity=(lambda s: s and s.value)(draw.choice(levels)),
            submitted_at=draw.choice([None, now - dt.timedelta(days=draw.uniform(-2, 400))]),
        )
        assert score(inputs, weights, now) == priority(inputs, weights, now).score
