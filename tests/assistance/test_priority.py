"""The triage queue in priority order: LDC, LLDC, SIDS, conflict, particular needs, the
self-declared urgency and shortfall severity (capped together) and waiting time raise a request;
every part is shown to officers with its weight and a sentence; weights come from the settings."""

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.assistance.models import AssistanceRequest, RequestStage
from app.core.models import utcnow
from app.core.principal import Role
from app.core.settings import Settings
from app.shortfalls.models import Severity
from app.states.models import State
from tests.assistance.conftest import ClientWith
from tests.assistance.helpers import (
    ANONYMOUS,
    REQUESTS,
    Headers,
    ids,
    make_cast,
    make_request,
    make_shortfall,
)
from tests.core.test_problems import assert_problem
from tests.factories import auth, make_user

PARTS = {
    "ldc",
    "lldc",
    "sids",
    "emerging_from_conflict",
    "particular_needs",
    "urgency",
    "shortfall_severity",
    "waiting",
}


def _submitted(db: Session, state: str, *, days_ago: float = 1, **kwargs: Any) -> AssistanceRequest:
    at = utcnow() - dt.timedelta(days=days_ago)
    stage = RequestStage.submitted
    return make_request(
        db, state=state, stage=stage, submitted_at=at, stage_entered_at=at, **kwargs
    )


def _queue(client: TestClient, headers: Headers, **params: Any) -> list[dict[str, Any]]:
    response = client.get(REQUESTS, params={"sort": "-priority", **params}, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _officer(db: Session, settings: Settings) -> Headers:
    return auth(settings, make_user(db, role=Role.ohchr_officer))


FLAG_PARTS = {"ldc", "lldc", "sids", "emerging_from_conflict", "particular_needs"}


def _explained(item: dict[str, Any], part: str) -> dict[str, Any]:
    (found,) = [p for p in item["priority"]["explanation"] if p["part"] == part]
    return found


def _assert_explained(item: dict[str, Any]) -> None:
    priority = item["priority"]
    assert set(priority["parts"]) == PARTS
    assert priority["score"] == pytest.approx(sum(priority["parts"].values()))
    explanation = priority["explanation"]
    assert [part["part"] for part in explanation] == list(priority["parts"])
    for part in explanation:
        assert set(part) == {"part", "points", "text", "weight", "value"}
        assert part["text"] and isinstance(part["weight"], float)
        if part["part"] in FLAG_PARTS:
            assert part["value"] is None
        elif part["part"] in {"urgency", "waiting"}:
            assert part["value"] is not None
        assert part["points"] == priority["parts"][part["part"]]
    assert priority["score"] == pytest.approx(sum(part["points"] for part in explanation))


def test_an_ldc_request_outranks_an_identical_one_from_a_non_ldc(
    client: TestClient, db: Session, settings: Settings
) -> None:
    france, nepal = _submitted(db, "FRA"), _submitted(db, "NPL")

    queue = _queue(client, _officer(db, settings))

    assert ids({"items": queue}) == [str(nepal.id), str(france.id)]
    first, second = queue
    assert (first["priority"]["parts"]["ldc"], second["priority"]["parts"]["ldc"]) == (3.0, 0.0)
    for item in queue:
        _assert_explained(item)


def test_a_sids_request_outranks_an_identical_one_from_elsewhere(
    client: TestClient, db: Session, settings: Settings
) -> None:
    france, jamaica = _submitted(db, "FRA"), _submitted(db, "JAM")

    queue = _queue(client, _officer(db, settings))

    assert ids({"items": queue}) == [str(jamaica.id), str(france.id)]
    assert [item["priority"]["parts"]["sids"] for item in queue] == [3.0, 0.0]
    assert [item["priority"]["parts"]["ldc"] for item in queue] == [0.0, 0.0]


@pytest.mark.parametrize("flag", ["emerging_from_conflict", "particular_needs"])
def test_a_flag_an_administrator_sets_raises_the_states_requests(
    client: TestClient, db: Session, settings: Settings, flag: str
) -> None:
    officer = _officer(db, settings)
    admin = auth(settings, make_user(db, role=Role.ohchr_admin))
    france, colombia = _submitted(db, "FRA"), _submitted(db, "COL")
    before = {item["id"]: item for item in _queue(client, officer)}
    assert before[str(colombia.id)]["priority"]["parts"][flag] == 0.0

    etag = client.get("/api/v1/states/COL").headers["etag"]
    flagged = client.patch(
        "/api/v1/states/COL", json={flag: True}, headers={**admin, "If-Match": etag}
    )

    assert flagged.status_code == 200, flagged.text
    db.expire_all()
    assert getattr(db.get(State, "COL"), flag) is True
    queue = _queue(client, officer)
    assert ids({"items": queue}) == [str(colombia.id), str(france.id)]
    weight = getattr(settings.priority_weights, flag)
    assert queue[0]["priority"]["parts"][flag] == weight > 0
    assert queue[0]["priority"]["score"] == pytest.approx(
        before[str(colombia.id)]["priority"]["score"] + weight
    )


def test_a_request_behind_a_critical_shortfall_outranks_one_behind_a_low_one(
    client: TestClient, db: Session, settings: Settings
) -> None:
    low = make_shortfall(db, state="FRA", severity=Severity.low)
    critical = make_shortfall(db, state="FRA", severity=Severity.critical)
    on_low = _submitted(db, "FRA", shortfalls=(low,))
    on_critical = _submitted(db, "FRA", shortfalls=(critical, low))

    queue = _queue(client, _officer(db, settings))

    assert ids({"items": queue}) == [str(on_critical.id), str(on_low.id)]
    weights = settings.priority_weights
    declared = [
        item["priority"]["parts"]["urgency"] + item["priority"]["parts"]["shortfall_severity"]
        for item in queue
    ]
    # Medium urgency with a critical shortfall reaches the cap; with a low one it stays below.
    assert declared == pytest.approx(
        [weights.self_declared_cap, weights.urgency["medium"] + weights.shortfall_severity["low"]]
    )
    assert [_explained(item, "shortfall_severity")["weight"] for item in queue] == [
        weights.shortfall_severity["critical"],
        weights.shortfall_severity["low"],
    ]


def test_waiting_raises_a_request(client: TestClient, db: Session, settings: Settings) -> None:
    recent = _submitted(db, "FRA", days_ago=1)
    waiting = _submitted(db, "FRA", days_ago=20)

    queue = _queue(client, _officer(db, settings))

    assert ids({"items": queue}) == [str(waiting.id), str(recent.id)]
    parts = [item["priority"]["parts"]["waiting"] for item in queue]
    assert parts == pytest.approx([20 * 0.05, 1 * 0.05], rel=1e-3)


def test_the_queue_is_ordered_by_score_with_every_part_shown(
    client: TestClient, db: Session, settings: Settings
) -> None:
    critical = make_shortfall(db, state="FRA", severity=Severity.critical)
    requests = [
        _submitted(db, "NPL"),
        _submitted(db, "JAM", days_ago=30),
        _submitted(db, "FRA", days_ago=3, shortfalls=(critical,)),
        _submitted(db, "FRA", days_ago=0.1),
        _submitted(db, "BGD", days_ago=45),
    ]

    queue = _queue(client, _officer(db, settings))

    assert sorted(ids({"items": queue})) == sorted(str(r.id) for r in requests)
    scores = [item["priority"]["score"] for item in queue]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == len(scores)
    for item in queue:
        _assert_explained(item)


def _ldc_now_and_non_ldc_long_waiting(db: Session) -> tuple[AssistanceRequest, AssistanceRequest]:
    """BGD just submitted (LDC 3.0) against FRA waiting 40 days (waiting 2.0)."""
    return _submitted(db, "BGD", days_ago=0.01), _submitted(db, "FRA", days_ago=40)


# The self-declared cap must stay below every special-needs weight.
LDC_WEIGHS_ONE = {"ldc": 1.0, "self_declared_cap": 0.5}


def test_priority_weights_from_the_settings_change_the_order(
    client: TestClient, client_with: ClientWith, db: Session, settings: Settings
) -> None:
    officer = _officer(db, settings)
    bangladesh, france = _ldc_now_and_non_ldc_long_waiting(db)
    assert ids({"items": _queue(client, officer)}) == [str(bangladesh.id), str(france.id)]

    with client_with(priority_weights=LDC_WEIGHS_ONE) as reweighted:
        queue = _queue(reweighted, officer)

    assert ids({"items": queue}) == [str(france.id), str(bangladesh.id)]
    assert queue[1]["priority"]["parts"]["ldc"] == 1.0


def test_priority_weights_from_the_settings_apply_to_one_request_too(
    client_with: ClientWith, db: Session, settings: Settings
) -> None:
    officer = _officer(db, settings)
    bangladesh, _ = _ldc_now_and_non_ldc_long_waiting(db)

    with client_with(priority_weights=LDC_WEIGHS_ONE) as reweighted:
        (listed,) = [i for i in _queue(reweighted, officer) if i["id"] == str(bangladesh.id)]
        one = reweighted.get(f"{REQUESTS}/{bangladesh.id}", headers=officer).json()

    assert listed["priority"]["parts"]["ldc"] == 1.0
    assert one["priority"]["parts"]["ldc"] == 1.0


@pytest.mark.parametrize(
    "params",
    [{"sort": "-priority"}, {"sort": "priority"}, {"overdue": "true"}, {"overdue": "false"}],
    ids=["sort=-priority", "sort=priority", "overdue=true", "overdue=false"],
)
def test_only_ohchr_may_sort_by_priority_or_filter_by_overdue(
    client: TestClient, db: Session, settings: Settings, params: dict[str, str]
) -> None:
    cast = make_cast(db, settings, state="NPL")
    _submitted(db, "NPL")

    for headers in (cast.contributor, cast.focal, cast.provider, ANONYMOUS):
        response = client.get(REQUESTS, params=params, headers=headers)
        assert_problem(response, 403, "forbidden")
    for headers in (cast.officer, cast.admin):
        assert client.get(REQUESTS, params=params, headers=headers).status_code == 200


def test_a_cursor_walk_of_the_priority_queue_visits_every_request_once(
    client: TestClient, db: Session, settings: Settings
) -> None:
    officer = _officer(db, settings)
    states = ["NPL", "FRA", "JAM", "BGD", "FRA", "COL", "NPL"]
    requests = [_submitted(db, s, days_ago=i * 3 + 1) for i, s in enumerate(states)]
    whole = ids({"items": _queue(client, officer, limit=200)})

    walked: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"sort": "-priority", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get(REQUESTS, params=params, headers=officer).json()
        assert len(page["items"]) <= 2
        walked += ids(page)
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert pages == 4
    assert walked == whole
    assert sorted(walked) == sorted(str(r.id) for r in requests)
