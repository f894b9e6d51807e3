"""Matching at the console: a run started from the page, watched until it is done, its
proposals reviewed with their reasons and offered from the page, each offer through the same
service as the API's."""

import re
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core.settings import Settings
from app.expertise.models import Assignment
from app.matching.models import MatchingRun
from tests.console.support import forms, signed_in, text_of
from tests.jobs.support import run_jobs
from tests.matching.support import (
    accepted_request,
    create_provider,
    officer,
    stored_request,
)

pytestmark = pytest.mark.usefixtures("quick_hashing")
ORIGIN = {"Origin": "http://testserver"}


def _start_run(client: TestClient, token: str) -> str:
    response = client.post(
        "/console/matching", data={"csrf_token": token}, headers=ORIGIN, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    location: str = response.headers["location"]
    assert re.fullmatch(r"/console/matching/[0-9a-f-]{36}", location)
    return location


def test_a_run_started_from_the_page_waits_then_shows_its_proposals(
    client: TestClient, db: Session, settings: Settings
) -> None:
    headers = officer(db, settings)
    provider = create_provider(client, headers, name="Adviser on prisons")
    request_id = accepted_request(client, db, settings, headers, title="Prison officials")
    _, token = signed_in(client, db)

    run_page = _start_run(client, token)
    waiting = client.get(run_page)
    status = client.get(f"{run_page}/status").json()
    run_jobs(client.app)  # type: ignore[arg-type]
    done = client.get(run_page)

    assert "data-poll" in waiting.text and status == {"status": "queued", "done": False}
    assert client.get(f"{run_page}/status").json() == {"status": "succeeded", "done": True}
    assert "data-poll" not in done.text
    words = text_of(done.text)
    assert "Prison officials" in words and "Adviser on prisons" in words
    offer_forms = [f for f in forms(done.text) if f.action == f"{run_page}/offers"]
    assert [f.fields.get("request_id") for f in offer_forms] == [None, request_id]
    assert f"Offer to {provider['name']}" in words


def test_making_every_offer_of_a_run_offers_each_proposal_once(
    client: TestClient, db: Session, settings: Settings
) -> None:
    headers = officer(db, settings)
    create_provider(client, headers)
    first = accepted_request(client, db, settings, headers, title="First")
    second = accepted_request(client, db, settings, headers, title="Second")
    _, token = signed_in(client, db)
    run_page = _start_run(client, token)
    run_jobs(client.app)  # type: ignore[arg-type]

    made = client.post(
        f"{run_page}/offers", data={"csrf_token": token}, headers=ORIGIN, follow_redirects=False
    )
    again = client.post(
        f"{run_page}/offers", data={"csrf_token": token}, headers=ORIGIN, follow_redirects=False
    )

    assert made.headers["location"] == f"{run_page}?offered=2&refused=0"
    assert again.headers["location"] == f"{run_page}?offered=0&refused=0"
    offered = db.exec(
        select(Assignment.request_id).where(
            col(Assignment.request_id).in_([uuid.UUID(first), uuid.UUID(second)])
        )
    ).all()
    assert sorted(map(str, offered)) == sorted([first, second])
    run_id = uuid.UUID(run_page.rsplit("/", 1)[1])
    assert {a.matching_run_id for a in db.exec(select(Assignment)).all()} == {run_id}
    assert "2 offers made." in text_of(client.get(f"{run_page}?offered=2&refused=0").text)


def test_an_unmatched_request_is_listed_with_its_title_and_reason(
    client: TestClient, db: Session, settings: Settings
) -> None:
    stored_request(db, title="Nobody speaks Tokelauan", languages=["tkl"])
    _, token = signed_in(client, db)
    run_page = _start_run(client, token)
    run_jobs(client.app)  # type: ignore[arg-type]

    words = text_of(client.get(run_page).text)

    assert "Requests left unmatched" in words
    assert "Nobody speaks Tokelauan" in words
    assert db.exec(select(MatchingRun)).first() is not None
