"""What progress reports and shortfalls refuse: fields the server owns, another State's
recommendations (or a report's cluster), and bad input of every kind, in their bodies and in
the bodies of their verbs. Each refusal is a 422 problem and writes nothing."""

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.principal import Role
from app.core.settings import Settings
from app.recommendations.models import ClusterMember, RecommendationCluster
from tests.core.test_problems import assert_problem
from tests.progress.support import (
    KINDS,
    REPORT,
    SHORTFALL,
    VERB_IDS,
    VERBS,
    Kind,
    Verb,
    caller,
    created,
    etag,
    kind_id,
    make_bare_recommendation,
    make_owned,
    moved,
    report_body,
    stored,
)

_OWNED_BY_ALL = {
    "state_code": "NPL",
    "stage": "submitted",
    "visibility": "public",
    "version": 9,
    "created_at": "2020-01-01T00:00:00Z",
    "id": "00000000-0000-4000-8000-000000000001",
}
SERVER_OWNED: dict[Kind, dict[str, Any]] = {
    REPORT: _OWNED_BY_ALL | {"revision": 5, "published_revision": 1},
    SHORTFALL: _OWNED_BY_ALL | {"resolved_on": "2024-01-01"},
}


def _locations(body: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {tuple(error["loc"]) for error in body["errors"]}


def _cluster(db: Session, state: str, *members: uuid.UUID) -> RecommendationCluster:
    cluster = RecommendationCluster(state_code=state, name=f"Cluster {uuid.uuid4().hex[:6]}")
    db.add(cluster)
    db.flush()
    db.add_all(ClusterMember(cluster_id=cluster.id, recommendation_id=m) for m in members)
    db.flush()
    return cluster


# --- fields the server owns -----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=kind_id)
def test_a_new_object_refuses_every_field_the_server_owns(
    client: TestClient, db: Session, settings: Settings, kind: Kind
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    recommendation = make_bare_recommendation(db)
    before = stored(db)

    response = client.post(
        kind.url, json=kind.body(recommendation.id, **SERVER_OWNED[kind]), headers=focal
    )

    body = assert_problem(response, 422, "validation-error")
    assert _locations(body) == {("body", name) for name in SERVER_OWNED[kind]}
    assert stored(db) == before


@pytest.mark.parametrize("kind", KINDS, ids=kind_id)
def test_an_edit_refuses_every_field_the_server_owns(
    client: TestClient, db: Session, settings: Settings, kind: Kind
) -> None:
    draft = make_owned(db, settings, kind)
    before = stored(db)

    response = client.patch(
        draft.url,
        json={kind.text_field: "Edited", **SERVER_OWNED[kind]},
        headers={**draft.focal, "If-Match": '"1"'},
    )

    body = assert_problem(response, 422, "validation-error")
    assert _locations(body) == {("body", name) for name in SERVER_OWNED[kind]}
    assert stored(db) == before


def test_a_correction_refuses_every_field_the_server_owns(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, stage="submitted")
    before = stored(db)
    owned = SERVER_OWNED[REPORT] | {"number": 1, "report_id": report.id}

    response = client.post(
        f"{report.url}/revisions", json={"summary": "x", **owned}, headers=report.focal
    )

    body = assert_problem(response, 422, "validation-error")
    assert _locations(body) == {("body", name) for name in owned}
    assert stored(db) == before


# --- the State comes from the caller --------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=kind_id)
def test_an_object_on_another_states_recommendation_is_refused(
    client: TestClient, db: Session, settings: Settings, kind: Kind
) -> None:
    focal = caller(db, settings, Role.state_focal_point, "WSM")
    own, foreign = (
        make_bare_recommendation(db, state="WSM"),
        make_bare_recommendation(db, state="NPL"),
    )
    before = stored(db)

    response = client.post(kind.url, json=kind.body(own.id, foreign.id), headers=focal)

    body = assert_problem(response, 422, "validation-error")
    assert [(e["loc"], e["msg"]) for e in body["errors"]] == [
        (["body", "recommendation_ids"], f"not found: {foreign.id}")
    ]
    assert stored(db) == before


@pytest.mark.parametrize("kind", KINDS, ids=kind_id)
def test_the_object_belongs_to_the_callers_state(
    client: TestClient, db: Session, settings: Settings, kind: Kind
) -> None:
    nepal = caller(db, settings, Role.state_contributor, "NPL")

    response = client.post(
        kind.url, json=kind.body(make_bare_recommendation(db, state="NPL").id), headers=nepal
    )

    assert created(response)["state_code"] == "NPL"


def test_a_report_on_another_states_cluster_is_refused(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = caller(db, settings, Role.state_focal_point, "WSM")
    cluster = _cluster(db, "NPL", make_bare_recommendation(db, state="NPL").id)
    own = make_bare_recommendation(db, state="WSM")
    before = stored(db)

    response = client.post(
        REPORT.url, json=report_body(own.id, cluster_id=str(cluster.id)), headers=focal
    )

    body = assert_problem(response, 422, "validation-error")
    assert [e["loc"] for e in body["errors"]] == [["body", "cluster_id"]]
    assert stored(db) == before


def test_a_report_on_an_empty_cluster_alone_is_refused(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = caller(db, settings, Role.state_focal_point, "WSM")
    cluster = _cluster(db, "WSM")
    before = stored(db)

    response = client.post(REPORT.url, json=report_body(cluster_id=str(cluster.id)), headers=focal)

    body = assert_problem(response, 422, "validation-error")
    assert [e["loc"] for e in body["errors"]] == [["body", "cluster_id"]]
    assert stored(db) == before


def test_a_report_on_its_own_cluster_covers_the_clusters_members(
    client: TestClient, db: Session, settings: Settings
) -> None:
    focal = caller(db, settings, Role.state_focal_point, "WSM")
    members = [make_bare_recommendation(db, state="WSM").id for _ in range(2)]
    cluster = _cluster(db, "WSM", *members)

    report = created(
        client.post(REPORT.url, json=report_body(cluster_id=str(cluster.id)), headers=focal)
    )

    assert sorted(report["recommendation_ids"]) == sorted(str(m) for m in members)
    assert (report["state_code"], report["cluster_id"]) == ("WSM", str(cluster.id))


def test_an_edit_may_move_a_draft_onto_its_own_cluster(
    client: TestClient, db: Session, settings: Settings
) -> None:
    draft = make_owned(db, settings, REPORT, state="WSM")
    members = [make_bare_recommendation(db, state="WSM").id for _ in range(2)]
    cluster = _cluster(db, "WSM", *members)

    response = client.patch(
        draft.url,
        json={"cluster_id": str(cluster.id), "recommendation_ids": []},
        headers={**draft.focal, "If-Match": '"1"'},
    )

    assert response.status_code == 200, response.text
    assert sorted(response.json()["recommendation_ids"]) == sorted(str(m) for m in members)
    assert response.json()["cluster_id"] == str(cluster.id)


@pytest.mark.parametrize("kind", KINDS, ids=kind_id)
def test_an_edit_to_another_states_recommendation_is_refused(
    client: TestClient, db: Session, settings: Settings, kind: Kind
) -> None:
    draft = make_owned(db, settings, kind, state="WSM")
    foreign = make_bare_recommendation(db, state="NPL")
    before = stored(db)

    response = client.patch(
        draft.url,
        json={"recommendation_ids": [str(foreign.id)]},
        headers={**draft.focal, "If-Match": '"1"'},
    )

    assert_problem(response, 422, "validation-error")
    assert stored(db) == before


def test_a_correction_to_another_states_recommendation_is_refused(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, state="WSM", stage="submitted")
    foreign = make_bare_recommendation(db, state="NPL")
    before = stored(db)

    response = client.post(
        f"{report.url}/revisions",
        json={"recommendation_ids": [str(foreign.id)]},
        headers=report.focal,
    )

    assert_problem(response, 422, "validation-error")
    assert stored(db) == before


# --- bad input ------------------------------------------------------------------------------

VALID_URL = "https://example.org/report.pdf"
Bad = dict[str, tuple[dict[str, Any], tuple[Any, ...] | None]]
BAD_NEW: dict[Kind, Bad] = {
    REPORT: {
        "unknown-status": ({"status": "done"}, ("body", "status")),
        "status-null": ({"status": None}, ("body", "status")),
        "period-reversed": ({"period_start": "2024-01-01", "period_end": "2023-01-01"}, None),
        "summary-too-long": ({"summary": "x" * 20_001}, ("body", "summary")),
        "too-many-measures": ({"measures": ["Done"] * 101}, ("body", "measures")),
        "measure-too-long": ({"measures": ["x" * 5_001]}, ("body", "measures", 0)),
        "javascript-url": (
            {"evidence": [{"title": "Click", "url": "javascript:alert(1)"}]},
            ("body", "evidence", 0, "url"),
        ),
        "ftp-url": (
            {"evidence": [{"title": "Files", "url": "ftp://example.org/report.pdf"}]},
            ("body", "evidence", 0, "url"),
        ),
        "evidence-without-title": (
            {"evidence": [{"url": VALID_URL}]},
            ("body", "evidence", 0, "title"),
        ),
        "indicator-not-a-number": (
            {"indicators": [{"name": "Cases", "value": "many"}]},
            ("body", "indicators", 0, "value"),
        ),
        "nothing-reported-on": ({"recommendation_ids": []}, None),
    },
    SHORTFALL: {
        "unknown-barrier": ({"barrier_type": "money"}, ("body", "barrier_type")),
        "unknown-severity": ({"severity": "extreme"}, ("body", "severity")),
        "severity-null": ({"severity": None}, ("body", "severity")),
        "empty-description": ({"description": ""}, ("body", "description")),
        "description-too-long": ({"description": "x" * 20_001}, ("body", "description")),
        "no-recommendations": ({"recommendation_ids": []}, ("body", "recommendation_ids")),
        "too-many-recommendations": (
            {"recommendation_ids": [str(uuid.uuid4()) for _ in range(1001)]},
            ("body", "recommendation_ids"),
        ),
    },
}
BAD_NEW_FOR_ALL: Bad = {
    "recommendation-not-a-uuid": (
        {"recommendation_ids": ["186.28"]},
        ("body", "recommendation_ids", 0),
    ),
    "unknown-recommendation": (
        {"recommendation_ids": [str(uuid.uuid4())]},
        ("body", "recommendation_ids"),
    ),
    "unknown-field": ({"colour": "blue"}, ("body", "colour")),
}
BAD_NEW_CASES = [
    (kind, name, change, location)
    for kind in KINDS
    for name, (change, location) in (BAD_NEW[kind] | BAD_NEW_FOR_ALL).items()
]


@pytest.mark.parametrize(
    ("kind", "change", "location"),
    [(kind, change, location) for kind, _, change, location in BAD_NEW_CASES],
    ids=[f"{kind.name}-{name}" for kind, name, _, _ in BAD_NEW_CASES],
)
def test_a_bad_new_object_is_422_and_nothing_is_written(
    client: TestClient,
    db: Session,
    settings: Settings,
    kind: Kind,
    change: dict[str, Any],
    location: tuple[Any, ...] | None,
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    body = kind.body(make_bare_recommendation(db).id) | change
    before = stored(db)

    response = client.post(kind.url, json=body, headers=focal)

    problem = assert_problem(response, 422, "validation-error")
    if location is not None:
        assert location in _locations(problem)
    assert stored(db) == before


@pytest.mark.parametrize("kind", KINDS, ids=kind_id)
def test_a_body_that_is_not_json_is_422_and_nothing_is_written(
    client: TestClient, db: Session, settings: Settings, kind: Kind
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    before = stored(db)

    response = client.post(
        kind.url,
        content=b'{"recommendation_ids": [',
        headers={**focal, "content-type": "application/json"},
    )

    problem = assert_problem(response, 422, "validation-error")
    assert problem["detail"] == "the request body is not valid JSON"
    assert stored(db) == before


@pytest.mark.parametrize("kind", KINDS, ids=kind_id)
def test_a_body_that_is_not_an_object_is_422(
    client: TestClient, db: Session, settings: Settings, kind: Kind
) -> None:
    focal = caller(db, settings, Role.state_focal_point)
    body = [kind.body(make_bare_recommendation(db).id)]
    before = stored(db)

    response = client.post(kind.url, json=body, headers=focal)

    assert_problem(response, 422, "validation-error")
    assert stored(db) == before


@pytest.mark.parametrize("number", ["1e999", "NaN"])
def test_an_indicator_value_that_is_not_a_finite_number_is_422(
    client: TestClient, db: Session, settings: Settings, number: str
) -> None:
    """`1e999` is valid JSON that Python reads as infinity; no database or JSON reply holds it."""
    focal = caller(db, settings, Role.state_focal_point)
    body = report_body(make_bare_recommendation(db).id, indicators=[{"name": "Cases", "value": 0}])
    raw = json.dumps(body).replace('"value": 0', f'"value": {number}')
    before = stored(db)

    response = client.post(
        REPORT.url, content=raw, headers={**focal, "content-type": "application/json"}
    )

    problem = assert_problem(response, 422, "validation-error")
    assert ("body", "indicators", 0, "value") in _locations(problem)
    assert stored(db) == before


TEXT_FIELDS = [(REPORT, "summary"), (REPORT, "measures"), (SHORTFALL, "description")]


@pytest.mark.parametrize(
    ("kind", "field"), TEXT_FIELDS, ids=[f"{k.name}-{f}" for k, f in TEXT_FIELDS]
)
def test_text_with_a_nul_character_is_422_on_every_database(
    client: TestClient, db: Session, settings: Settings, kind: Kind, field: str
) -> None:
    """PostgreSQL cannot store U+0000 in text; SQLite can. Both must give the same answer."""
    focal = caller(db, settings, Role.state_focal_point)
    text = "Act No. 5\x00 adopted"
    value: Any = [text] if field == "measures" else text
    body = kind.body(make_bare_recommendation(db).id, **{field: value})
    before = stored(db)

    response = client.post(kind.url, json=body, headers=focal)

    assert_problem(response, 422, "validation-error")
    assert stored(db) == before


BAD_EDITS: dict[Kind, dict[str, dict[str, Any]]] = {
    REPORT: {
        "unknown-status": {"status": "done"},
        "period-start-after-current-end": {"period_start": "2024-06-01"},
        "period-end-before-current-start": {"period_end": "2022-06-01"},
        "status-null": {"status": None},
        "summary-null": {"summary": None},
        "measures-null": {"measures": None},
        "evidence-null": {"evidence": None},
        "period-start-null": {"period_start": None},
        "javascript-url": {"evidence": [{"title": "Click", "url": "javascript:alert(1)"}]},
    },
    SHORTFALL: {
        "unknown-barrier": {"barrier_type": "money"},
        "unknown-severity": {"severity": "extreme"},
        "empty-description": {"description": ""},
        "severity-null": {"severity": None},
        "description-null": {"description": None},
    },
}
BAD_EDITS_FOR_ALL = {"no-recommendations": {"recommendation_ids": []}, "unknown-field": {"x": 1}}
BAD_EDIT_CASES = [
    (kind, name, change)
    for kind in KINDS
    for name, change in (BAD_EDITS[kind] | BAD_EDITS_FOR_ALL).items()
]


@pytest.mark.parametrize(
    ("kind", "change"),
    [(kind, change) for kind, _, change in BAD_EDIT_CASES],
    ids=[f"{kind.name}-{name}" for kind, name, _ in BAD_EDIT_CASES],
)
def test_a_bad_edit_is_422_and_the_draft_is_unchanged(
    client: TestClient, db: Session, settings: Settings, kind: Kind, change: dict[str, Any]
) -> None:
    draft = make_owned(db, settings, kind)
    before = stored(db)

    response = client.patch(draft.url, json=change, headers={**draft.focal, "If-Match": '"1"'})

    assert_problem(response, 422, "validation-error")
    assert stored(db) == before


BAD_CORRECTION_EDITS = {
    name: {**BAD_EDITS[REPORT], **BAD_EDITS_FOR_ALL}[name]
    for name in (
        "period-start-after-current-end",
        "no-recommendations",
        "status-null",
        "summary-null",
        "measures-null",
    )
}


@pytest.mark.parametrize("change", BAD_CORRECTION_EDITS.values(), ids=BAD_CORRECTION_EDITS.keys())
def test_a_bad_pending_correction_edit_is_422_and_nothing_changes(
    client: TestClient, db: Session, settings: Settings, change: dict[str, Any]
) -> None:
    report = make_owned(db, settings, REPORT, stage="submitted", pending_revision=True)
    before = stored(db)

    response = client.patch(
        f"{report.url}/revisions/2",
        json=change,
        headers={**report.focal, "If-Match": etag(client, report)},
    )

    assert_problem(response, 422, "validation-error")
    assert stored(db) == before


def test_a_correction_reason_is_text_of_bounded_length(
    client: TestClient, db: Session, settings: Settings
) -> None:
    report = make_owned(db, settings, REPORT, stage="submitted")
    before = stored(db)

    for reason in ("x" * 5_001, 42, ["a"]):
        response = client.post(
            f"{report.url}/revisions", json={"reason": reason}, headers=report.focal
        )
        assert ("body", "reason") in _locations(assert_problem(response, 422, "validation-error"))
    assert stored(db) == before


LIST_FILTERS = [
    (REPORT, "status=done"),
    *((kind, query) for kind in KINDS for query in ("stage=archived", "visibility=everyone")),
    *((kind, "recommendation=186.28") for kind in KINDS),
    *((kind, "state=WS") for kind in KINDS),
]


@pytest.mark.parametrize(
    ("kind", "query"), LIST_FILTERS, ids=[f"{k.name}-{q}" for k, q in LIST_FILTERS]
)
def test_a_list_filter_outside_its_vocabulary_is_422(
    client: TestClient, kind: Kind, query: str
) -> None:
    assert_problem(client.get(f"{kind.url}?{query}"), 422, "validation-error")


# --- the body of a verb ---------------------------------------------------------------------


@pytest.mark.parametrize("verb", VERBS, ids=VERB_IDS)
def test_a_verb_takes_an_optional_message_and_reason(
    client: TestClient, db: Session, settings: Settings, verb: Verb
) -> None:
    owned = make_owned(db, settings, verb.kind, stage=verb.stage)
    body = (verb.body or {}) | {"message": "For the record", "reason": "Cabinet decision 12"}

    after = moved(client.post(f"{owned.url}/{verb.name}", json=body, headers=owned.focal))

    assert (after["stage"], after["visibility"]) == verb.after


BAD_VERB_BODIES = {
    "unknown-field": {"comment": "Not a verb field"},
    "message-not-text": {"message": 42},
    "reason-too-long": {"reason": "x" * 20_001},
    "not-an-object": ["submit"],
}


@pytest.mark.parametrize("bad", BAD_VERB_BODIES.values(), ids=BAD_VERB_BODIES.keys())
@pytest.mark.parametrize("verb", VERBS, ids=VERB_IDS)
def test_a_bad_verb_body_is_422_and_nothing_moves(
    client: TestClient, db: Session, settings: Settings, verb: Verb, bad: Any
) -> None:
    owned = make_owned(db, settings, verb.kind, stage=verb.stage)
    body = (verb.body or {}) | bad if isinstance(bad, dict) else bad
    before = stored(db)

    response = client.post(f"{owned.url}/{verb.name}", json=body, headers=owned.focal)

    assert_problem(response, 422, "validation-error")
    assert stored(db) == before


@pytest.mark.parametrize("kind", KINDS, ids=kind_id)
def test_an_empty_edit_changes_nothing_not_even_the_version(
    client: TestClient, db: Session, settings: Settings, kind: Kind
) -> None:
    draft = make_owned(db, settings, kind)
    before = stored(db)

    response = client.patch(draft.url, json={}, headers={**draft.focal, "If-Match": '"1"'})

    assert response.status_code == 200, response.text
    assert response.json()["version"] == 1
    assert response.headers["etag"] == '"1"'
    assert stored(db) == before
