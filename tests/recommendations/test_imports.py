"""Importing the real files: exact counts, idempotent re-import, updates in place, atomicity."""

import csv
import io
import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.core.principal import Role
from app.core.settings import Settings
from app.recommendations import importing
from app.recommendations.models import Recommendation, RecommendationImport
from app.taxonomies.vocabularies import Position
from tests.conftest import ConnectionDatabase, make_settings
from tests.core.test_problems import assert_problem
from tests.factories import auth, make_user
from tests.jobs.support import run_jobs

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "samples"
UPR_INFO_CSV = SAMPLES / "upr-info" / "1-5.csv"
CHINA_MATRIX = SAMPLES / "ohchr-matrices" / "China_UPR_matrix_2013_cycle2.docx"
IMPORTS = "/api/v1/recommendation-imports"

needs_samples = pytest.mark.skipif(not UPR_INFO_CSV.exists(), reason="shared samples not present")


def _upload(
    client: TestClient, headers: dict[str, str], name: str, content: bytes, **form: str
) -> dict[str, object]:
    """Queue the import, let a worker run it, and read its report."""
    response = client.post(IMPORTS, files={"file": (name, content)}, data=form, headers=headers)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    run_jobs(client.app)  # type: ignore[arg-type]
    report = client.get(response.headers["location"], headers=headers)
    assert report.status_code == 200, report.text
    return report.json()  # type: ignore[no-any-return]


def _count(db: Session, **where: object) -> int:
    statement = select(func.count()).select_from(Recommendation)
    for name, value in where.items():
        statement = statement.where(getattr(Recommendation, name) == value)
    return int(db.exec(statement).one())


def _upr_info_rows(count: int) -> list[list[str]]:
    text = UPR_INFO_CSV.read_bytes().decode("mac_roman")
    return list(csv.reader(io.StringIO(text, newline="")))[: count + 1]


def _csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


@pytest.fixture
def admin_headers(db: Session, settings: Settings) -> dict[str, str]:
    return auth(settings, make_user(db, role=Role.ohchr_admin))


@needs_samples
def test_upr_info_sample_imports_whole_then_reimport_changes_nothing(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    content = UPR_INFO_CSV.read_bytes()
    first = _upload(client, admin_headers, "1-5.csv", content)
    assert (first["status"], first["format"]) == ("succeeded", "upr_info")
    assert (first["rows_read"], first["created"], first["rejected"]) == (6094, 6094, [])
    assert _count(db) == 6094
    assert _count(db, position=Position.supported) == 4087
    again = _upload(client, admin_headers, "1-5.csv", content)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 6094)
    assert _count(db) == 6094
    report = client.get(f"{IMPORTS}/{first['id']}", headers=admin_headers).json()
    assert report["created"] == 6094


@needs_samples
def test_china_matrix_imports_252_with_48_noted(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    report = _upload(client, admin_headers, "matrix.docx", CHINA_MATRIX.read_bytes(), state="CHN")
    assert (report["format"], report["created"], report["rejected"]) == ("ohchr_matrix", 252, [])
    assert _count(db, state_code="CHN") == 252
    assert _count(db, state_code="CHN", position=Position.noted) == 48
    found = client.get(
        "/api/v1/recommendations",
        params={"state": "CHN", "recommending_state": "MNG", "q": "efforts ratification"},
    ).json()["items"]
    paragraph = next(item for item in found if item["paragraph"] == "186.28")
    assert paragraph["document_symbol"] == "A/HRC/25/5"
    assert paragraph["position"] == "supported"
    assert {
        "code": "A12",
        "name": "Acceptance of international norms",
        "source_label": None,
    } in paragraph["themes"]


@needs_samples
def test_an_edited_file_updates_in_place_and_is_audited(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    rows = _upr_info_rows(20)
    _upload(client, admin_headers, "first.csv", _csv_bytes(rows))
    rows[3][7] = "Noted" if rows[3][7] == "Accepted" else "Accepted"
    report = _upload(client, admin_headers, "second.csv", _csv_bytes(rows))
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 1, 19)
    assert _count(db) == 20
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "recommendation.update")).one()
    assert event.before is not None and event.after is not None
    assert event.before["position"] != event.after["position"]
    assert event.after["version"] == 2


@needs_samples
def test_rows_with_unknown_states_are_rejected_with_their_row_numbers(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    rows = _upr_info_rows(5)
    rows[2][0] = "Atlantis"
    rows[4][4] = "Narnia"
    report = _upload(client, admin_headers, "bad.csv", _csv_bytes(rows))
    rejected = {item["row"]: item["reason"] for item in report["rejected"]}  # type: ignore[attr-defined]
    assert set(rejected) == {3, 5}
    assert "Atlantis" in rejected[3]
    assert "Narnia" in rejected[5]
    assert report["created"] == 3
    assert _count(db) == 3


@needs_samples
def test_exact_duplicate_rows_become_one_recommendation(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    rows = _upr_info_rows(4)
    rows.append(list(rows[2]))
    report = _upload(client, admin_headers, "dupes.csv", _csv_bytes(rows))
    assert (report["created"], report["duplicates"]) == (4, 1)
    assert _count(db) == 4


@needs_samples
def test_dry_run_reports_and_writes_nothing_but_its_report(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    report = _upload(client, admin_headers, "1.csv", _csv_bytes(_upr_info_rows(30)), dry_run="true")
    assert (report["dry_run"], report["created"], report["status"]) == (True, 30, "succeeded")
    assert _count(db) == 0
    (record,) = db.exec(
        select(AuditEvent).where(AuditEvent.resource_type == "recommendation_import")
    ).all()
    assert record.action == "recommendation_import.succeeded"
    assert record.after is not None and record.after["dry_run"] is True
    updates = select(AuditEvent).where(AuditEvent.resource_type == "recommendation")
    assert db.exec(updates).all() == []


@needs_samples
def test_a_failure_midway_leaves_nothing_behind(
    client: TestClient, db: Session, admin_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "CHUNK_SIZE", 10)
    real_apply = importing._apply
    calls = []

    def failing_apply(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(importing, "_apply", failing_apply)
    report = _upload(client, admin_headers, "1.csv", _csv_bytes(_upr_info_rows(50)))
    assert report["status"] == "failed"
    assert "nothing was imported" in str(report["error"])
    assert _count(db) == 0
    stored = db.get(RecommendationImport, uuid.UUID(str(report["id"])))
    assert stored is not None and stored.status == "failed"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.csv", b""),
        ("picture.docx", b"\x89PNG\r\n\x1a\n" + b"\0" * 100),
        ("table.csv", b"Name,Colour\nA,red\n"),
    ],
)
def test_files_that_are_not_recommendation_files_are_refused(
    client: TestClient, db: Session, admin_headers: dict[str, str], name: str, content: bytes
) -> None:
    response = client.post(IMPORTS, files={"file": (name, content)}, headers=admin_headers)
    body = assert_problem(response, 422, "unreadable-file")
    assert body["detail"]
    assert _count(db) == 0


@needs_samples
def test_a_truncated_word_document_is_refused(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    content = CHINA_MATRIX.read_bytes()[:1000]
    response = client.post(
        IMPORTS,
        files={"file": ("m.docx", content)},
        data={"format": "ohchr_matrix"},
        headers=admin_headers,
    )
    assert_problem(response, 422, "unreadable-file")


def test_an_upload_over_the_limit_is_413(
    database_url: str,
    engine,
    connection,
    db: Session,  # type: ignore[no-untyped-def]
) -> None:
    from app.main import create_app

    settings = make_settings(database_url, max_upload_bytes=2048)
    app: FastAPI = create_app(settings, ConnectionDatabase(engine, connection))
    admin = make_user(db, role=Role.ohchr_admin)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post(
            IMPORTS, files={"file": ("big.csv", b"x" * 5000)}, headers=auth(settings, admin)
        )
    assert_problem(response, 413, "payload-too-large")


def test_unknown_state_option_is_422(client: TestClient, admin_headers: dict[str, str]) -> None:
    response = client.post(
        IMPORTS,
        files={"file": ("a.csv", b"To,Text\n")},
        data={"state": "XXX"},
        headers=admin_headers,
    )
    assert_problem(response, 422, "validation-error")


@needs_samples
def test_the_same_upload_with_one_idempotency_key_imports_once(
    client: TestClient, db: Session, admin_headers: dict[str, str]
) -> None:
    content = _csv_bytes(_upr_info_rows(10))
    headers = {**admin_headers, "Idempotency-Key": "upload-1"}
    first = client.post(IMPORTS, files={"file": ("a.csv", content)}, headers=headers)
    second = client.post(IMPORTS, files={"file": ("a.csv", content)}, headers=headers)
    assert first.json()["id"] == second.json()["id"]
    assert second.headers["idempotent-replayed"] == "true"
    assert db.exec(select(func.count()).select_from(RecommendationImport)).one() == 1


@needs_samples
def test_command_line_imports_the_matrix(
    fresh_database: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    from app.__main__ import main
    from app.core.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", fresh_database)
    get_settings.cache_clear()
    try:
        assert (
            main(["import-recommendations", str(CHINA_MATRIX), "--state", "CHN", "--dry-run"]) == 0
        )
        assert "created 252" in capsys.readouterr().out
        assert main(["import-recommendations", str(CHINA_MATRIX), "--state", "CHN"]) == 0
        assert "created 252" in capsys.readouterr().out
        assert main(["import-recommendations", str(CHINA_MATRIX), "--state", "CHN"]) == 0
        assert "created 0, updated 0, unchanged 252" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()
