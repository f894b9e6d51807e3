"""Three integrations through the client generated from /openapi.json, and nothing else: no raw
HTTP, no casts. `.ci/run` generates and installs the client (`item10_client`) first; without it
these tests are skipped.

- a State's focal point: a token, a catalogue search, a report created with `Idempotency-Key`
  (the replay seen), submitted and published with `If-Match` from the answers' `ETag`;
- an officer: the queue by `-priority`, start-triage, accept, the candidates;
- an anonymous portal: the catalogue and the published reports, every page by cursor;
- a 409 and a 412 read as typed problems.
"""

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

client_package = pytest.importorskip("item10_client")

from item10_client import AuthenticatedClient, Client  # noqa: E402
from item10_client.api.assistance_requests import (  # noqa: E402
    accept_assistance_request,
    list_assistance_requests,
    start_triage_assistance_request,
)
from item10_client.api.auth import issue_token  # noqa: E402
from item10_client.api.matching import list_candidates  # noqa: E402
from item10_client.api.progress_reports import (  # noqa: E402
    create_progress_report,
    list_progress_reports,
    publish_progress_report,
    submit_progress_report,
)
from item10_client.api.recommendations import list_recommendations  # noqa: E402
from item10_client.models import (  # noqa: E402
    BodyIssueToken,
    ImplementationStatus,
    ListAssistanceRequestsSort,
    OfficerRequestView,
    Problem,
    RecommendationPage,
    ReportCreate,
    ReportPage,
    ReportRead,
    RequestPage,
    TokenResponse,
    Visibility,
)
from item10_client.types import UNSET, Unset  # noqa: E402

from app.assistance.models import RequestStage  # noqa: E402
from app.core.db import Database  # noqa: E402
from app.core.principal import Role  # noqa: E402
from tests.assistance.helpers import make_request  # noqa: E402
from tests.factories import make_recommendation, make_user  # noqa: E402
from tests.faults.live_server import LiveServer, live_server  # noqa: E402

PASSWORD = "a long password for the scenario"
PAGE = 2


@pytest.fixture
def server(fresh_database: str, tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(fresh_database, tmp_path) as running:
        yield running


@pytest.fixture
def world(fresh_database: str) -> dict[str, str]:
    """Committed, so that the server sees it: accounts, Samoa's catalogue, a submitted request."""
    database = Database.from_url(fresh_database)
    try:
        with database.transaction() as db:
            make_user(
                db,
                role=Role.state_focal_point,
                state="WSM",
                email="focal@wsm.example",
                password=PASSWORD,
            )
            make_user(db, role=Role.ohchr_officer, email="officer@ohchr.example", password=PASSWORD)
            for text in (
                "Prevent torture in places of detention",
                "End violence against women",
                "Ratify CRPD",
            ):
                make_recommendation(db, state="WSM", text=text)
            request = make_request(db, state="WSM", stage=RequestStage.submitted)
            return {"request": str(request.id)}
    finally:
        database.dispose()


def _sign_in(server: LiveServer, email: str) -> AuthenticatedClient:
    token = issue_token.sync(
        client=Client(base_url=server.base_url),
        body=BodyIssueToken(grant_type="password", username=email, password=PASSWORD),
    )
    assert isinstance(token, TokenResponse)
    return AuthenticatedClient(base_url=server.base_url, token=token.access_token)


def test_a_focal_point_reports_submits_and_publishes(
    server: LiveServer, world: dict[str, str]
) -> None:
    focal = _sign_in(server, "focal@wsm.example")
    found = list_recommendations.sync(client=focal, state="WSM", q="torture")
    assert found is not None and not isinstance(found, Problem)
    recommendation = found.items[0].id
    body = ReportCreate(
        recommendation_ids=[recommendation],
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
        status=ImplementationStatus.IN_PROGRESS,
        summary="A national preventive mechanism was designated",
    )
    key = str(uuid.uuid4())

    created = create_progress_report.sync_detailed(client=focal, body=body, idempotency_key=key)
    replayed = create_progress_report.sync_detailed(client=focal, body=body, idempotency_key=key)

    assert created.status_code == 201 and isinstance(created.parsed, ReportRead)
    assert replayed.headers["idempotent-replayed"] == "true"
    report = created.parsed
    submitted = submit_progress_report.sync_detailed(
        report.id, client=focal, if_match=created.headers["etag"]
    )
    assert submitted.status_code == 200 and isinstance(submitted.parsed, ReportRead)
    published = publish_progress_report.sync_detailed(
        report.id, client=focal, if_match=submitted.headers["etag"]
    )
    assert isinstance(published.parsed, ReportRead)
    assert published.parsed.visibility is Visibility.PUBLIC

    again = publish_progress_report.sync_detailed(report.id, client=focal)
    stale = submit_progress_report.sync_detailed(
        report.id, client=focal, if_match=created.headers["etag"]
    )

    assert isinstance(again.parsed, Problem) and again.parsed.status == 409
    assert again.parsed.type_ == "/problems/illegal-transition"
    assert isinstance(stale.parsed, Problem) and stale.parsed.status == 412
    assert stale.parsed.current_etag == published.headers["etag"]


def test_an_officer_triages_the_most_urgent_first(
    server: LiveServer, world: dict[str, str]
) -> None:
    officer = _sign_in(server, "officer@ohchr.example")
    queue = list_assistance_requests.sync(
        client=officer, sort=ListAssistanceRequestsSort.PRIORITY_DESCENDING
    )
    assert isinstance(queue, RequestPage)
    first = queue.items[0]
    assert isinstance(first, OfficerRequestView) and str(first.id) == world["request"]

    triaged = start_triage_assistance_request.sync(first.id, client=officer)
    accepted = accept_assistance_request.sync(first.id, client=officer)
    candidates = list_candidates.sync(first.id, client=officer)

    assert isinstance(triaged, OfficerRequestView) and triaged.stage.value == "in_triage"
    assert isinstance(accepted, OfficerRequestView) and accepted.stage.value == "accepted"
    assert candidates is not None and not isinstance(candidates, Problem)


def test_an_anonymous_portal_reads_every_page(server: LiveServer, world: dict[str, str]) -> None:
    focal = _sign_in(server, "focal@wsm.example")
    catalogue = list_recommendations.sync(client=focal, state="WSM")
    assert catalogue is not None and not isinstance(catalogue, Problem)
    for recommendation in catalogue.items:
        report = create_progress_report.sync(
            client=focal,
            body=ReportCreate(
                recommendation_ids=[recommendation.id],
                period_start=dt.date(2025, 1, 1),
                period_end=dt.date(2025, 12, 31),
                status=ImplementationStatus.NOT_STARTED,
            ),
        )
        assert isinstance(report, ReportRead)
        submit_progress_report.sync(report.id, client=focal)
        publish_progress_report.sync(report.id, client=focal)
    portal = Client(base_url=server.base_url)

    seen_recommendations = _walk(
        lambda cursor: list_recommendations.sync(
            client=portal, state="WSM", limit=PAGE, cursor=cursor
        )
    )
    seen_reports = _walk(
        lambda cursor: list_progress_reports.sync(
            client=portal, visibility=Visibility.PUBLIC, limit=PAGE, cursor=cursor
        )
    )

    assert seen_recommendations == {str(r.id) for r in catalogue.items}
    assert len(seen_reports) == len(catalogue.items)


def _walk(fetch: Callable[[str | Unset], object]) -> set[str]:
    """Every id of a list, page by page, following `next_cursor` as it comes."""
    seen: set[str] = set()
    cursor: str | Unset = UNSET
    while True:
        page = fetch(cursor)
        assert isinstance(page, RecommendationPage | ReportPage), page
        seen |= {str(item.id) for item in page.items}
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor
