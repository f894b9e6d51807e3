"""Running the jobs a test queued, in the test's own transaction, as a worker would."""

from fastapi import FastAPI

from app.worker import build_worker


def run_jobs(app: FastAPI) -> int:
    """Every tick and every job due now, until none is left; how many jobs ran."""
    worker = build_worker(app.state.settings, app.state.database, heartbeats=False)
    return worker.run_until_idle()
