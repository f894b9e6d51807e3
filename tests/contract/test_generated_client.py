"""Three integrations through the client generated from /openapi.json, and nothing else: no raw
HTTP, no casts. `.ci/run` generates and installs the client (`item10_client`) first; without it
these tests are skipped.

- a State's focal point: a token, a catalogue search, a report created with `Idempotency-Key`
  (the replay seen), submitted and published with `If-Match` from the answers' `ETag`;
- an officer: the queue by `-priority`, start-triage, accept, the candidates;
- an anonymous portal: the catalogue and the published reports, every page by cursor;
- a 409 and a 412 read as typed problems;
- an officer's analytics: figures, and a chart and a State's report draft as bytes;
- long work: an administrator's import and an officer's matching run answered `202`, read again
  until done, with a worker running beside the server as in production.
"""

import datetime as dt
import io
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

client_package = pytest.importorskip("item10_client")

from item10_client import AuthenticatedClient, Client  # noqa: E402
from item10_client.api.analytics import (  # noqa: E402
    get_assistance_analytics,
    get_assistance_chart,
    get_state_report_draft,
)
from item10_client.api.assistance_requests import (  # noqa: E402
    accept_assistance_request,
    list_assistance_requests,
    start_triage_assistance_request,
)
from item10_client.api.auth import issue_token  # noqa: E402
from item10_client.api.matching import (  # noqa: E402
    create_matching_run,
    get_matching_run,
    list_candidates,
)
from item10_client.api.progress_reports import (  # noqa: E402
    create_progress_report,
    list_progress_reports,
    publish_progress_report,
    submit_progress_report,
)
from item10_client.api.recommendation_imports import (  # noqa: E402
    create_recommendation_import,
    get_recommendation_import,
)
from item10_client.api.recommendations import list_recommendations  # noqa: E402
from item10_client.models import (  # noqa: E402
    AssistanceAnswer,
    BodyCreateRecommendationImport,
    BodyIssueToken,
    ChartFormat,
    ImplementationStatus,
    ImportReport,
    ImportReportStatus,
    ListAssistanceRequestsSort,
    MatchingRunCreate,
    MatchingRunRead,
    MatchingRunReadStatus,
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
from item10_client.types import UNSET, File, Unset  # noqa: E402

from app.assistance.models import RequestStage  # noqa: E402
from app.core.db import Database  # noqa: E402
from app.core.principal import Role  # noqa: E402
from app.expertise.models import Provider, ProviderKind  # noqa: E402
from tests.assistance.helpers import make_request  # noqa: E402
from tests.factories import make_recommendation, make_user  # noqa: E402
from tests.faults.live_server import REPO, LiveServer, live_server, server_environment  # noqa: E402

PASSWORD = "a long password for the scenario"
PAGE = 2
LONG_WORK_SECONDS = 60
T = TypeVar("T")


@pytest.fixture
def server(fresh_database: str, tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(fresh_database, tmp_path) as running:
        yield running


@pytest.fixture
def worker(fresh_database: str, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m app worker` beside the server, as production runs it (the server itself runs
    none there), stopped as an operator would (SIGTERM)."""
    with (tmp_path / "worker.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "worker"],
            cwd=REPO,
            env=server_environment(fresh_database) | {"WORKER_POLL_SECONDS": "0.1"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
            make_user(db, role=Role.ohchr_admin, email="admin@ohchr.example", password=PASSWORD)
            db.add(
                Provider(
                    name="Adviser, Suva",
                    kind=ProviderKind.human_rights_adviser,
                    assistance_types=["nmrf_support"],
                    languages=["en"],
                    regions_covered=["Oceania"],
                    modalities=["remote"],
                    capacity=2,
                    availability=[{"start": "2030-01-01", "end": "2030-12-31"}],
                )
            )
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


def test_an_officer_reads_the_figures_a_chart_and_a_states_report_draft(
    server: LiveServer, world: dict[str, str]
) -> None:
    officer = _sign_in(server, "officer@ohchr.example")
    figures = get_assistance_analytics.sync(client=officer, group_by="region")
    chart = get_assistance_chart.sync_detailed(ChartFormat.SVG, client=officer)
    draft = get_state_report_draft.sync_detailed("WSM", client=officer)

    assert isinstance(figures, AssistanceAnswer) and figures.audience == Visibility.OHCHR
    assert [(g.key.additional_properties, g.requests) for g in figures.groups] == [
        ({"region": "Oceania"}, 1)
    ]
    assert chart.status_code == 200 and b"<title" in chart.content
    assert draft.status_code == 200 and draft.content.startswith(b"PK")


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


def _until_done(read: Callable[[], T], done: Callable[[T], bool]) -> T:
    """What `read` gives once `done` says so: how a client follows a `202`."""
    deadline = time.monotonic() + LONG_WORK_SECONDS
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


UPR_INFO_EXPORT = (
    b"To,To-Rgrp,To-Org,Text,From,From-Rgrp,From-Org,Response,Action,Issue,Session\n"
    b"Samoa,Asia,,Ratify the Convention against Torture.,Fiji,Asia,,Accepted,4,Torture,11\n"
    b"Samoa,Asia,,Establish a national human rights institution.,Fiji,Asia,,Noted,4,NHRI,11\n"
)


def test_an_administrator_imports_a_file_and_follows_the_202_until_it_is_done(
    server: LiveServer, worker: subprocess.Popen[bytes], world: dict[str, str]
) -> None:
    admin = _sign_in(server, "admin@ohchr.example")
    upload = File(payload=io.BytesIO(UPR_INFO_EXPORT), file_name="export.csv", mime_type="text/csv")

    queued = create_recommendation_import.sync_detailed(
        client=admin, body=BodyCreateRecommendationImport(file=upload)
    )

    assert queued.status_code == 202 and isinstance(queued.parsed, ImportReport)
    assert queued.parsed.status is ImportReportStatus.QUEUED
    import_id = queued.parsed.id
    assert queued.headers["location"].endswith(f"/recommendation-imports/{import_id}")
    report = _until_done(
        lambda: get_recommendation_import.sync(import_id, client=admin),
        lambda r: (
            isinstance(r, ImportReport)
            and r.status in (ImportReportStatus.SUCCEEDED, ImportReportStatus.FAILED)
        ),
    )
    assert isinstance(report, ImportReport), report
    assert (report.status, report.rows_read, report.created) == (ImportReportStatus.SUCCEEDED, 2, 2)
    found = list_recommendations.sync(client=admin, state="WSM", q="institution")
    assert isinstance(found, RecommendationPage) and len(found.items) == 1


def test_an_officer_queues_a_matching_run_and_reads_it_until_it_has_proposals(
    server: LiveServer, worker: subprocess.Popen[bytes], world: dict[str, str]
) -> None:
    officer = _sign_in(server, "officer@ohchr.example")
    request = uuid.UUID(world["request"])
    start_triage_assistance_request.sync(request, client=officer)
    accept_assistance_request.sync(request, client=officer)

    queued = create_matching_run.sync_detailed(
        client=officer, body=MatchingRunCreate(request_ids=[request])
    )

    assert queued.status_code == 202 and isinstance(queued.parsed, MatchingRunRead)
    assert queued.parsed.status is MatchingRunReadStatus.QUEUED
    assert queued.parsed.proposals == []
    run_id = queued.parsed.id
    run = _until_done(
        lambda: get_matching_run.sync(run_id, client=officer),
        lambda r: (
            isinstance(r, MatchingRunRead)
            and r.status in (MatchingRunReadStatus.SUCCEEDED, MatchingRunReadStatus.FAILED)
        ),
    )
    assert isinstance(run, MatchingRunRead), run
    assert run.status is MatchingRunReadStatus.SUCCEEDED
    assert [p.request_id for p in run.proposals] == [request]
