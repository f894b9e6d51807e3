"""States over HTTP: public reference data; two flags that only administrators set."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.core.principal import Role
from app.core.settings import Settings
from app.states.models import State
from tests.core.test_problems import assert_problem
from tests.factories import auth, make_user


def test_samoa_is_sids_in_polynesia(client: TestClient) -> None:
    samoa = client.get("/api/v1/states/WSM").json()
    assert samoa["is_sids"] is True
    assert (samoa["region"], samoa["sub_region"]) == ("Oceania", "Polynesia")
    assert samoa["regional_group"] == "Asia-Pacific States"


def test_nepal_is_ldc_and_lldc_and_codes_are_case_insensitive(client: TestClient) -> None:
    nepal = client.get("/api/v1/states/npl")
    assert nepal.status_code == 200
    assert nepal.headers["etag"] == '"1"'
    assert (nepal.json()["is_ldc"], nepal.json()["is_lldc"]) == (True, True)


def test_observer_states_have_no_regional_group(client: TestClient) -> None:
    for code in ("VAT", "PSE"):
        state = client.get(f"/api/v1/states/{code}").json()
        assert (state["is_member"], state["regional_group"]) == (False, None)


def test_state_filters_combine(client: TestClient) -> None:
    response = client.get(
        "/api/v1/states", params={"region": "Africa", "is_ldc": True, "limit": 200}
    )
    codes = {s["code"] for s in response.json()["items"]}
    assert {"SEN", "ETH", "MOZ"} <= codes
    assert "ZAF" not in codes and "NPL" not in codes


def test_unknown_state_is_404_and_malformed_code_422(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/states/XXX"), 404, "not-found")
    assert_problem(client.get("/api/v1/states/TOOLONG"), 422, "validation-error")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("DPR Korea", "PRK"),
        ("St Kitts & Nevis", "KNA"),
        ("Türkiye", "TUR"),
        ("Cote d'Ivoire", "CIV"),
    ],
)
def test_resolve_maps_name_variants_to_states(client: TestClient, name: str, code: str) -> None:
    response = client.get("/api/v1/states/resolve", params={"name": name})
    assert response.status_code == 200
    assert response.json()["code"] == code


def test_resolve_reports_an_ambiguous_name_with_suggestions(client: TestClient) -> None:
    body = assert_problem(
        client.get("/api/v1/states/resolve", params={"name": "Korea"}), 404, "not-found"
    )
    assert set(body["suggestions"]) == {"KOR", "PRK"}


def test_admin_flags_a_state_and_the_change_is_audited(
    client: TestClient, db: Session, settings: Settings
) -> None:
    admin = make_user(db, role=Role.ohchr_admin)
    response = client.patch(
        "/api/v1/states/SSD",
        json={"emerging_from_conflict": True},
        headers={**auth(settings, admin), "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    assert response.json()["emerging_from_conflict"] is True
    assert response.headers["etag"] == '"2"'
    event = db.exec(select(AuditEvent).where(AuditEvent.resource_id == "SSD")).one()
    assert event.action == "state.update"
    assert event.before is not None and event.before["emerging_from_conflict"] is False
    assert event.after is not None and event.after["emerging_from_conflict"] is True


def test_reference_fields_cannot_be_patched(
    client: TestClient, db: Session, settings: Settings
) -> None:
    admin = make_user(db, role=Role.ohchr_admin)
    response = client.patch(
        "/api/v1/states/NPL",
        json={"is_ldc": False, "particular_needs": True},
        headers={**auth(settings, admin), "If-Match": '"1"'},
    )
    assert_problem(response, 422, "validation-error")
    nepal = db.get(State, "NPL")
    assert nepal is not None
    db.refresh(nepal)
    assert (nepal.is_ldc, nepal.particular_needs) == (True, False)
