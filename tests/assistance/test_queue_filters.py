"""Each filter of the triage queue selects exactly the requests it names."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.assistance.models import AssistanceRequest, RequestStage
from app.core.principal import Role
from app.core.settings import Settings
from app.states.models import State
from app.taxonomies.vocabularies import AssistanceType
from tests.assistance.helpers import REQUESTS, Headers, ids, make_request, stored
from tests.core.test_problems import assert_problem
from tests.factories import auth, make_user

# (state, stage, assistance type): Nepal is in Southern Asia, Japan in Eastern Asia (both Asia),
# France in Western Europe, Samoa in Polynesia (Oceania).
ROWS = {
    "npl-submitted": ("NPL", RequestStage.submitted, AssistanceType.legislative_review),
    "npl-triage": ("NPL", RequestStage.in_triage, AssistanceType.nmrf_support),
    "jpn-submitted": ("JPN", RequestStage.submitted, AssistanceType.nmrf_support),
    "fra-accepted": ("FRA", RequestStage.accepted, AssistanceType.legislative_review),
    "wsm-triage": ("WSM", RequestStage.in_triage, AssistanceType.treaty_reporting),
    "wsm-draft": ("WSM", RequestStage.draft, AssistanceType.nmrf_support),
}


@pytest.fixture
def queue(db: Session) -> dict[str, AssistanceRequest]:
    return {
        name: make_request(db, state=state, stage=stage, assistance_type=kind)
        for name, (state, stage, kind) in ROWS.items()
    }


@pytest.fixture
def officer(db: Session, settings: Settings) -> Headers:
    return auth(settings, make_user(db, role=Role.ohchr_officer))


def _selected(client: TestClient, headers: Headers, **params: Any) -> list[str]:
    response = client.get(REQUESTS, params={"limit": 200, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return sorted(ids(response.json()))


def _names(queue: dict[str, AssistanceRequest], *names: str) -> list[str]:
    return sorted(str(queue[name].id) for name in names)


def _label(value: object) -> str:
    if isinstance(value, dict):
        return "&".join(f"{k}={v}" for k, v in value.items()) or "all"
    return ""


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["npl-submitted", "npl-triage", "jpn-submitted", "fra-accepted", "wsm-triage"]),
        ({"stage": "submitted"}, ["npl-submitted", "jpn-submitted"]),
        ({"stage": "in_triage"}, ["npl-triage", "wsm-triage"]),
        ({"stage": "draft"}, []),
        ({"region": "Asia"}, ["npl-submitted", "npl-triage", "jpn-submitted"]),
        ({"region": "Southern Asia"}, ["npl-submitted", "npl-triage"]),
        ({"region": "Oceania"}, ["wsm-triage"]),
        ({"region": "Atlantis"}, []),
        ({"state": "NPL"}, ["npl-submitted", "npl-triage"]),
        ({"state": "npl"}, ["npl-submitted", "npl-triage"]),
        ({"assistance_type": "legislative_review"}, ["npl-submitted", "fra-accepted"]),
        ({"assistance_type": "nmrf_support"}, ["npl-triage", "jpn-submitted"]),
        ({"region": "Asia", "assistance_type": "nmrf_support"}, ["npl-triage", "jpn-submitted"]),
        ({"region": "Asia", "stage": "in_triage"}, ["npl-triage"]),
        ({"priority_group": "ldc"}, ["npl-submitted", "npl-triage"]),
        ({"priority_group": "lldc"}, ["npl-submitted", "npl-triage"]),
        ({"priority_group": "sids"}, ["wsm-triage"]),
        ({"priority_group": "conflict"}, []),
        ({"priority_group": "particular_needs"}, []),
        ({"priority_group": "ldc", "stage": "submitted"}, ["npl-submitted"]),
    ],
    ids=_label,
)
def test_a_queue_filter_selects_exactly_its_requests(
    client: TestClient,
    queue: dict[str, AssistanceRequest],
    officer: Headers,
    params: dict[str, str],
    expected: list[str],
) -> None:
    assert _selected(client, officer, **params) == _names(queue, *expected)


def test_a_states_own_list_takes_the_same_filters(
    client: TestClient, db: Session, settings: Settings, queue: dict[str, AssistanceRequest]
) -> None:
    samoa = auth(settings, make_user(db, role=Role.state_contributor, state="WSM"))
    assert _selected(client, samoa) == _names(queue, "wsm-triage", "wsm-draft")
    assert _selected(client, samoa, stage="draft") == _names(queue, "wsm-draft")
    assert _selected(client, samoa, region="Asia") == []


def test_the_assigned_officer_filter_selects_that_officers_requests(
    client: TestClient,
    db: Session,
    settings: Settings,
    queue: dict[str, AssistanceRequest],
) -> None:
    me = make_user(db, role=Role.ohchr_officer)
    officer = auth(settings, me)
    colleague = make_user(db, role=Role.ohchr_admin)
    for name in ("npl-triage", "fra-accepted"):
        response = client.patch(
            f"{REQUESTS}/{queue[name].id}",
            json={"assigned_officer_id": str(colleague.id)},
            headers={**officer, "If-Match": '"1"'},
        )
        assert response.status_code == 200, response.text
        assert response.json()["assigned_officer_id"] == str(colleague.id)
        assert stored(db, queue[name].id).assigned_officer_id == colleague.id

    selected = _selected(client, officer, assigned_officer_id=str(colleague.id))

    assert selected == _names(queue, "npl-triage", "fra-accepted")
    assert _selected(client, officer, assigned_officer_id=str(me.id)) == []


def test_the_flags_officers_set_put_a_state_in_its_group(
    client: TestClient, db: Session, queue: dict[str, AssistanceRequest], officer: Headers
) -> None:
    japan, france = db.get(State, "JPN"), db.get(State, "FRA")
    assert japan is not None and france is not None
    japan.emerging_from_conflict = True
    france.particular_needs = True
    db.add_all([japan, france])
    db.flush()

    assert _selected(client, officer, priority_group="conflict") == _names(queue, "jpn-submitted")
    selected = _selected(client, officer, priority_group="particular_needs")
    assert selected == _names(queue, "fra-accepted")


def test_every_caller_may_filter_by_priority_group(
    client: TestClient, db: Session, settings: Settings, queue: dict[str, AssistanceRequest]
) -> None:
    """The group is the State's public reference data, not OHCHR's working data."""
    samoa = auth(settings, make_user(db, role=Role.state_contributor, state="WSM"))
    assert _selected(client, samoa, priority_group="sids") == _names(
        queue, "wsm-triage", "wsm-draft"
    )
    assert _selected(client, samoa, priority_group="ldc") == []
    published = make_request(db, state="NPL", stage=RequestStage.submitted, published=True)
    assert _selected(client, {}, priority_group="ldc") == [str(published.id)]
    assert _selected(client, {}, priority_group="sids") == []


def test_an_unknown_stage_or_assistance_type_is_422(client: TestClient, officer: Headers) -> None:
    for params in (
        {"stage": "lost"},
        {"assistance_type": "astrology"},
        {"state": "TOOLONG"},
        {"priority_group": "poor"},
    ):
        response = client.get(REQUESTS, params=params, headers=officer)
        assert_problem(response, 422, "validation-error")


def test_a_state_cannot_probe_which_officer_is_assigned(
    client: TestClient, db: Session, settings: Settings, queue: dict[str, AssistanceRequest]
) -> None:
    assignee = make_user(db, role=Role.ohchr_officer)
    queue["wsm-triage"].assigned_officer_id = assignee.id
    db.add(queue["wsm-triage"])
    db.flush()
    samoa = auth(settings, make_user(db, role=Role.state_focal_point, state="WSM"))
    everything = _selected(client, samoa)

    for officer_id in (assignee.id, make_user(db, role=Role.ohchr_officer).id):
        assert _selected(client, samoa, assigned_officer_id=str(officer_id)) == everything
