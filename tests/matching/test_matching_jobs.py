"""Matching runs leave the request: `202` with a `queued` run and its `Location`, a worker
computes it (`running`, then `succeeded` with its proposals, or `failed`), officers only."""

import dataclasses
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.core.principal import Principal, PrincipalKind, Role
from app.core.settings import Settings
from app.events.models import OutboxEvent
from app.jobs.models import Job, JobStatus
from app.matching import jobs as matching_jobs
from app.matching.models import MatchingRun
from tests.core.test_problems import assert_problem
from tests.factories import auth, make_user
from tests.jobs.support import run_jobs
from tests.matching.support import (
    RUNS,
    Headers,
    Json,
    completed_run,
    create_provider,
    headers_for,
    officer,
    stored_request,
)


def queue_run(client: TestClient, headers: Headers, body: Json | None = None) -> Json:
    response = client.post(RUNS, json=body, headers=headers)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"{RUNS}/{response.json()['id']}"
    queued: Json = response.json()
    return queued


def read_run(client: TestClient, headers: Headers, run_id: object) -> Json:
    response = client.get(f"{RUNS}/{run_id}", headers=headers)
    assert response.status_code == 200, response.text
    read: Json = response.json()
    return read


def run_jobs_of(db: Session, run_id: object) -> list[Job]:
    db.expire_all()
    statement = select(Job).where(Job.kind == matching_jobs.KIND, Job.subject_id == str(run_id))
    return list(db.exec(statement).all())


def one_open_request(client: TestClient, db: Session, headers: Headers) -> str:
    request_id = stored_request(db, state="NPL")
    create_provider(client, headers, capacity=1)
    return request_id


def test_a_run_is_answered_202_queued_with_no_proposals_until_a_worker_computes_it(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    request_id = one_open_request(client, db, caller)

    queued = queue_run(client, caller)

    assert queued["status"] == "queued"
    assert (queued["proposals"], queued["total_score"], queued["unmatched"]) == ([], 0.0, [])
    assert queued["started_at"] is None and queued["finished_at"] is None
    before = read_run(client, caller, queued["id"])
    assert (before["status"], before["proposals"]) == ("queued", [])
    (job,) = run_jobs_of(db, queued["id"])
    assert (job.status, job.subject_type) == (JobStatus.queued, "matching_run")

    run_jobs(client.app)  # type: ignore[arg-type]

    after = read_run(client, caller, queued["id"])
    assert after["status"] == "succeeded" and after["error"] is None
    assert [p["request_id"] for p in after["proposals"]] == [request_id]
    assert after["total_score"] > 0
    assert after["started_at"] <= after["finished_at"]
    (job,) = run_jobs_of(db, queued["id"])
    assert job.status is JobStatus.succeeded


def test_the_list_says_where_each_run_stands(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    one_open_request(client, db, caller)
    done = completed_run(client, caller)
    waiting = queue_run(client, caller)

    items = client.get(RUNS, headers=caller).json()["items"]
    by_id = {item["id"]: item for item in items}
    assert by_id[done["id"]]["status"] == "succeeded"
    assert by_id[done["id"]]["proposal_count"] == 1
    assert by_id[waiting["id"]]["status"] == "queued"
    assert by_id[waiting["id"]]["proposal_count"] == 0


def test_a_run_over_some_requests_keeps_them_for_the_worker(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    chosen = stored_request(db, state="NPL")
    stored_request(db, state="BGD")
    create_provider(client, caller, capacity=3)

    queued = queue_run(client, caller, {"request_ids": [chosen]})
    stored = db.get(MatchingRun, uuid.UUID(str(queued["id"])))
    assert stored is not None and stored.requested_ids == [chosen]
    run_jobs(client.app)  # type: ignore[arg-type]

    assert [p["request_id"] for p in read_run(client, caller, queued["id"])["proposals"]] == [
        chosen
    ]


def test_the_end_of_a_run_is_announced_once_to_ohchr_as_the_officer_who_asked(
    client: TestClient, db: Session, settings: Settings
) -> None:
    user = make_user(db, role=Role.ohchr_officer)
    caller = auth(settings, user)
    one_open_request(client, db, caller)
    run = completed_run(client, caller)

    events = db.exec(select(OutboxEvent).where(OutboxEvent.resource_id == run["id"])).all()
    assert [(e.type.value, e.state_code, e.visibility.value) for e in events] == [
        ("matching_run.succeeded", None, "ohchr")
    ]
    (record,) = db.exec(select(AuditEvent).where(AuditEvent.resource_id == run["id"])).all()
    assert (record.action, record.actor_id) == ("matching_run.succeeded", user.id)
    assert record.after is not None and record.after["proposal_count"] == 1


def test_a_dead_matching_job_fails_the_run_and_an_administrators_retry_computes_it(
    client: TestClient, db: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    caller = officer(db, settings)
    admin = headers_for(db, settings, Role.ohchr_admin)
    one_open_request(client, db, caller)
    quick = dataclasses.replace(matching_jobs.MATCHING_JOB, delays=(0.0,))
    monkeypatch.setattr("app.worker.MATCHING_JOB", quick)

    def broken(*_args: object) -> None:
        raise RuntimeError("the roster could not be read")

    monkeypatch.setattr(matching_jobs.service, "compute_run", broken)
    queued = queue_run(client, caller)
    run_jobs(client.app)  # type: ignore[arg-type]

    (job,) = run_jobs_of(db, queued["id"])
    assert (job.status, job.attempts) == (JobStatus.dead, matching_jobs.MAX_ATTEMPTS)
    failed = read_run(client, caller, queued["id"])
    assert (failed["status"], failed["proposals"]) == ("failed", [])
    assert "the roster could not be read" in failed["error"]
    events = db.exec(select(OutboxEvent.type).where(OutboxEvent.resource_id == queued["id"])).all()
    assert [e.value for e in events] == ["matching_run.failed"]

    monkeypatch.undo()
    retried = client.post(f"/api/v1/jobs/{job.id}/retry", headers=admin)
    assert retried.status_code == 200, retried.text
    assert read_run(client, caller, queued["id"])["status"] == "queued"
    run_jobs(client.app)  # type: ignore[arg-type]

    done = read_run(client, caller, queued["id"])
    assert (done["status"], done["error"], len(done["proposals"])) == ("succeeded", None, 1)


def test_one_idempotency_key_replays_the_202_and_queues_one_run(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = {**officer(db, settings), "Idempotency-Key": "run-once"}
    first = client.post(RUNS, json={}, headers=caller)
    second = client.post(RUNS, json={}, headers=caller)

    assert first.status_code == second.status_code == 202
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    assert len(db.exec(select(MatchingRun)).all()) == 1
    assert len(db.exec(select(Job).where(col(Job.kind) == matching_jobs.KIND)).all()) == 1


def test_a_refused_body_leaves_no_run_and_no_job(
    client: TestClient, db: Session, settings: Settings
) -> None:
    caller = officer(db, settings)
    response = client.post(RUNS, json={"request_ids": ["not-an-id"]}, headers=caller)
    assert_problem(response, 422, "validation-error")
    assert db.exec(select(MatchingRun)).all() == []
    assert db.exec(select(Job)).all() == []


@pytest.mark.parametrize("role", [Role.state_focal_point, Role.state_contributor, Role.provider])
def test_only_ohchr_queues_and_reads_runs(
    client: TestClient, db: Session, settings: Settings, role: Role
) -> None:
    queued = queue_run(client, officer(db, settings))
    caller = headers_for(db, settings, role, "NPL" if role.is_state_role else None)
    assert_problem(client.post(RUNS, json={}, headers=caller), 403, "forbidden")
    assert_problem(client.get(f"{RUNS}/{queued['id']}", headers=caller), 403, "forbidden")
    assert_problem(client.get(RUNS, headers=caller), 403, "forbidden")


def test_an_administrator_may_queue_a_run_too(
    client: TestClient, db: Session, settings: Settings
) -> None:
    admin = headers_for(db, settings, Role.ohchr_admin)
    one_open_request(client, db, admin)
    assert len(completed_run(client, admin)["proposals"]) == 1


def test_a_job_that_names_nobody_acts_as_the_runs_creator_seen_as_an_officer() -> None:
    creator = uuid.uuid4()
    run = MatchingRun(created_by_id=creator)
    assert matching_jobs.officer_of({"run_id": str(run.id)}, run) == Principal(
        creator, PrincipalKind.user, Role.ohchr_officer, None
    )
    client_payload = {"requested_by": f"client:{creator}", "role": "ohchr_admin"}
    who = matching_jobs.officer_of(client_payload, run)
    assert (who.kind, who.role) == (PrincipalKind.client, Role.ohchr_admin)
