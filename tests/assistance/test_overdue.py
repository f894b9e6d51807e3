"""Service targets: a request waiting longer than its stage's target, in working days, is
overdue; the targets come from the settings."""

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.assistance.models import AssistanceRequest, RequestStage
from app.assistance.queue import is_overdue, working_days_between
from app.core.principal import Role
from app.core.settings import Settings
from tests.assistance.conftest import ClientWith
from tests.assistance.helpers import (
    REQUESTS,
    Headers,
    at_noon,
    ids,
    make_request,
    working_days_ago,
)
from tests.factories import auth, make_user

# 2024-03-01 is a Friday; 2024-03-02 and 03 the weekend; 2024-03-04 a Monday.
FRI, SAT, SUN, MON = (dt.date(2024, 3, d) for d in (1, 2, 3, 4))


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (FRI, FRI, 0),
        (FRI, SAT, 0),
        (FRI, SUN, 0),
        (FRI, MON, 1),
        (SAT, SUN, 0),
        (SAT, MON, 1),
        (SUN, MON, 1),
        (MON, dt.date(2024, 3, 8), 4),
        (MON, dt.date(2024, 3, 11), 5),
        (FRI, dt.date(2024, 3, 15), 10),
        (FRI, dt.date(2024, 3, 18), 11),
        (dt.date(2024, 2, 28), dt.date(2024, 3, 1), 2),
        (dt.date(2023, 12, 29), dt.date(2024, 1, 31), 23),
        (MON, FRI, 0),
    ],
)
def test_working_days_between_skips_weekends(start: dt.date, end: dt.date, expected: int) -> None:
    assert working_days_between(start, end) == expected


def test_the_target_is_exceeded_only_after_its_last_working_day() -> None:
    targets = {"submitted": 10}
    now = at_noon(dt.date(2024, 3, 18))
    assert is_overdue("submitted", at_noon(FRI), now, targets) is True
    assert is_overdue("submitted", at_noon(MON), now, targets) is False
    assert is_overdue("matched", at_noon(dt.date(2020, 1, 1)), now, targets) is False


def _waiting(
    db: Session, working_days: int, stage: RequestStage = RequestStage.submitted
) -> AssistanceRequest:
    entered = working_days_ago(working_days)
    assert working_days_between(entered, dt.datetime.now(dt.UTC).date()) == working_days
    return make_request(
        db, stage=stage, submitted_at=at_noon(entered), stage_entered_at=at_noon(entered)
    )


def _officer(db: Session, settings: Settings) -> Headers:
    return auth(settings, make_user(db, role=Role.ohchr_officer))


def _overdue_by_id(client: TestClient, headers: Headers, **params: Any) -> dict[str, bool]:
    response = client.get(REQUESTS, params={"limit": 200, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return {item["id"]: item["overdue"] for item in response.json()["items"]}


def test_a_submitted_request_eleven_working_days_old_is_overdue(
    client: TestClient, db: Session, settings: Settings
) -> None:
    assert settings.service_targets["submitted"] == 10
    officer = _officer(db, settings)
    late, on_time = _waiting(db, 11), _waiting(db, 10)

    assert _overdue_by_id(client, officer) == {str(late.id): True, str(on_time.id): False}
    assert client.get(f"{REQUESTS}/{late.id}", headers=officer).json()["overdue"] is True
    assert client.get(f"{REQUESTS}/{on_time.id}", headers=officer).json()["overdue"] is False


def test_a_stage_without_a_target_is_never_overdue(
    client: TestClient, db: Session, settings: Settings
) -> None:
    assert "matched" not in settings.service_targets
    request = _waiting(db, 200, RequestStage.matched)

    shown = client.get(f"{REQUESTS}/{request.id}", headers=_officer(db, settings)).json()

    assert shown["overdue"] is False


def test_the_overdue_filter_selects_exactly_the_overdue_requests(
    client: TestClient, db: Session, settings: Settings
) -> None:
    officer = _officer(db, settings)
    late = [_waiting(db, 11), _waiting(db, 30), _waiting(db, 16, RequestStage.in_triage)]
    on_time = [_waiting(db, 10), _waiting(db, 0), _waiting(db, 15, RequestStage.in_triage)]

    overdue = client.get(REQUESTS, params={"overdue": "true"}, headers=officer).json()
    in_time = client.get(REQUESTS, params={"overdue": "false"}, headers=officer).json()

    assert sorted(ids(overdue)) == sorted(str(r.id) for r in late)
    assert sorted(ids(in_time)) == sorted(str(r.id) for r in on_time)
    assert all(item["overdue"] for item in overdue["items"])


def _eleven_and_ten(db: Session) -> tuple[AssistanceRequest, AssistanceRequest]:
    return _waiting(db, 11), _waiting(db, 10)


@pytest.mark.parametrize(
    ("targets", "late_is_overdue", "on_time_is_overdue"),
    [({"submitted": 11}, False, False), ({"submitted": 9}, True, True), ({}, False, False)],
    ids=["target-11", "target-9", "no-targets"],
)
def test_service_targets_from_the_settings_change_the_queue(
    client_with: ClientWith,
    db: Session,
    settings: Settings,
    targets: dict[str, int],
    late_is_overdue: bool,
    on_time_is_overdue: bool,
) -> None:
    officer = _officer(db, settings)
    late, on_time = _eleven_and_ten(db)
    expected = {str(late.id): late_is_overdue, str(on_time.id): on_time_is_overdue}

    with client_with(service_targets=targets) as retargeted:
        listed = _overdue_by_id(retargeted, officer)
        filtered = retargeted.get(REQUESTS, params={"overdue": "true"}, headers=officer).json()

    assert listed == expected
    assert sorted(ids(filtered)) == sorted(k for k, v in expected.items() if v)


def test_service_targets_from_the_settings_apply_to_one_request_too(
    client_with: ClientWith, db: Session, settings: Settings
) -> None:
    officer = _officer(db, settings)
    late, _ = _eleven_and_ten(db)

    with client_with(service_targets={"submitted": 30}) as retargeted:
        listed = _overdue_by_id(retargeted, officer)[str(late.id)]
        one = retargeted.get(f"{REQUESTS}/{late.id}", headers=officer).json()["overdue"]

    assert (listed, one) == (False, False)
